#!/usr/bin/env bash
# The whole test suite: a Release build and an AddressSanitizer + UBSan build, each running every
# unit and end-to-end test through CTest, and a ThreadSanitizer build of the threaded components
# (pool, reader, engine front, flow graph). Usage: bash tests/run_all.sh [--fast] (--fast: Release
# only). Build trees: build-release/ and build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
run() {  # run NAME CMAKE_ARGS...
  local dir="build-$1"; shift
  echo "=== $dir: configure and build"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "=== $dir: test"
  (cd "$dir" && ctest --output-on-failure -j "$jobs") || { recap "$dir"; return 1; }
}
# recap DIR: the failed checks of the last ctest run in DIR, last, so that a log cut in the
# middle (as CI keeps only its head and tail) still says what failed.
recap() {
  echo "=== $1: the failed checks (from $1/Testing/Temporary/LastTest.log)"
  awk '/^[0-9]+\/[0-9]+ Test: / { test = $3 }
       /^FAIL|\[  FAILED  \]|^RESULT: FAILED|ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:/ {
         print test ": " substr($0, 1, 400)
       }' "$1/Testing/Temporary/LastTest.log" | head -n 60 || true
}
run release -DCMAKE_BUILD_TYPE=Release
if [ "${1:-}" != "--fast" ]; then
  # halt_on_error: a sanitizer report fails the test instead of scrolling past.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGFLOW_SANITIZE=ON -DRINGFLOW_BUILD_BENCH=OFF
  # ThreadSanitizer on everything that shares data across threads: the buffer pool, the reader,
  # the engine's front and the flow graph. Debian's libtbb is not instrumented (TSan would report oneTBB's own task
  # hand-offs as races), so the graph tests run against a oneTBB built with TSan from Debian's
  # source package of the same release (tests/testing/build_tbb_tsan.sh, ~40 s, cached).
  echo "=== build-tsan: oneTBB with ThreadSanitizer"
  tsan_tests='^(BufferPool|BatchMemoryPoolTest|Configs/FileReader|FileReaderLimits|Backends/FrontTest|FrontShutdownTest'
  tsan_targets=(buffer_pool_test record_test file_reader_test front_test)
  tsan_cmake=()
  rc=0
  bash tests/testing/build_tbb_tsan.sh build-tsan/tbb || rc=$?
  if [ "$rc" = 0 ]; then
    tsan_tests+='|FileSourceNodeTest|PipelineTest|PipelineGraphTest|ChecksumStageTest|ManifestSinkTest|StagesPipelineTest|CheckpointerTest|PipelineCheckpointTest'
    tsan_targets+=(file_source_test pipeline_test checksum_manifest_test stages_adapters_test checkpoint_test)
    tsan_cmake=(-DTBB_DIR="$PWD/build-tsan/tbb/lib/cmake/TBB")
  elif [ "$rc" = 3 ]; then
    echo "NOTE: no oneTBB source (add a deb-src entry, as .ci/install-deps does): the flow-graph"
    echo "      tests are skipped under ThreadSanitizer"
  else
    exit "$rc"
  fi
  tsan_tests+=')'
  echo "=== build-tsan: configure and build"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGFLOW_TSAN=ON \
    -DRINGFLOW_BUILD_BENCH=OFF "${tsan_cmake[@]}" >/dev/null
  cmake --build build-tsan -j "$jobs" --target "${tsan_targets[@]}"
  echo "=== build-tsan: test"
  # The oneTBB just built must be the one loaded (its RUNPATH is set by CMake; be explicit).
  (cd build-tsan && LD_LIBRARY_PATH="$PWD/tbb/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" -R "$tsan_tests") ||
    { recap build-tsan; exit 1; }
fi
echo "=== all test builds passed"

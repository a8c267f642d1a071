#!/usr/bin/env bash
# The whole test suite: a Release build and an AddressSanitizer + UBSan build, each running every
# unit and end-to-end test through CTest. Usage: bash tests/run_all.sh [--fast] (--fast: Release
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
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}
run release -DCMAKE_BUILD_TYPE=Release
if [ "${1:-}" != "--fast" ]; then
  # halt_on_error: a sanitizer report fails the test instead of scrolling past.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGFLOW_SANITIZE=ON -DRINGFLOW_BUILD_BENCH=OFF
  # ThreadSanitizer on the components that share buffers across threads. The flow-graph tests
  # are left out: Debian's libtbb is not instrumented, so TSan cannot see oneTBB's own
  # synchronisation and reports its task hand-offs as races.
  echo "=== build-tsan: configure and build"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGFLOW_TSAN=ON \
    -DRINGFLOW_BUILD_BENCH=OFF >/dev/null
  cmake --build build-tsan -j "$jobs" --target buffer_pool_test file_reader_test
  echo "=== build-tsan: test"
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" \
    -R '^(BufferPool|Configs/FileReader|FileReaderLimits)')
fi
echo "=== all test builds passed"

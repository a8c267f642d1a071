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
fi
echo "=== all test builds passed"

#!/usr/bin/env bash
# Builds oneTBB with ThreadSanitizer into PREFIX, from the Debian source package of the libtbb-dev
# that is installed (same upstream release), so that the flow-graph tests can run under TSan:
# with Debian's uninstrumented libtbb, TSan cannot see oneTBB's own synchronisation (task
# spawning, the scheduler's queues) and reports every hand-off between workers as a race.
# Usage: build_tbb_tsan.sh PREFIX   (reuses PREFIX when it already holds this version)
# Needs a deb-src entry for Debian (.ci/install-deps adds one), cmake, ninja; takes ~40 s on 2
# cores. Exit status 3 when the source cannot be had (no deb-src): the caller may skip.
set -euo pipefail
prefix=$(realpath -m -- "${1:?usage: build_tbb_tsan.sh PREFIX}")
version=$(dpkg-query -W -f '${Version}' libtbb-dev)
if [[ -f $prefix/.version && $(cat "$prefix/.version") == "$version" ]]; then exit 0; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ringflow-tbb.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
cd "$work"
if ! apt-get source --download-only -qq "onetbb=$version" >apt.log 2>&1; then
  echo "build_tbb_tsan.sh: cannot download the onetbb $version source (no deb-src entry?):" >&2
  tail -n 3 apt.log >&2
  exit 3
fi
tar xf onetbb_*.orig.tar.*
src=$(find . -maxdepth 1 -type d -name 'oneTBB-*' | head -n 1)
cmake -S "$src" -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_TEST=OFF \
  -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF -DTBB_SANITIZE=thread -DCMAKE_INSTALL_PREFIX="$prefix" \
  >cmake.log
cmake --build build -j "$(nproc)" >build.log
cmake --install build >/dev/null
echo "$version" >"$prefix/.version"

#!/usr/bin/env bash
# run_codec_bench.sh: decode speed of the same access-log content compressed with `gzip -6` and
# `zstd -3`, through each gzip library (zlib, libdeflate, isa-l's igzip) and libzstd, through
# ringflow's codec::Decoder, and through zcat and zstdcat to /dev/null (bench/codec_bench.cc);
# prints a markdown table with the command line.
# Usage: bash bench/run_codec_bench.sh [--size SIZE] [--runs N] [--build DIR] [--work DIR]
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bash bench/run_codec_bench.sh [options]

Generates one access-log file with tests/testing/gen_corpus.py (`--large 1 --large-size SIZE
--formats access`, reused while its arguments and the generator are unchanged), compresses it
with `gzip -6` and `zstd -3` (reused while newer than the file), and runs
  codec_bench FILE.gz FILE.zst --runs R
which decodes each file from memory R times per decoder, in 64 KiB input pieces into a 64 KiB
output buffer (libdeflate: the whole file at once, as it has no streaming interface), and runs
zcat and zstdcat on the files; each row is the median. MB/s is 10^6 bytes of content per second.

options:
  --size SIZE   content bytes (default 256M)
  --runs N      timed runs per decoder (default 5)
  --build DIR   use DIR/bench/codec_bench (default: build-release, built with ninja when missing)
  --work DIR    where the inputs are generated (default bench/.corpus)
  -h, --help    this help
USAGE
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GEN=$ROOT/tests/testing/gen_corpus.py
WORK=$ROOT/bench/.corpus
BUILD=$ROOT/build-release
SIZE=256M
RUNS=5
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
while (($#)); do
  case $1 in
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for tool in gzip zstd zcat zstdcat; do
  command -v "$tool" >/dev/null || die "required tool not found: $tool"
done
BENCH=$BUILD/bench/codec_bench
[[ -x $BENCH ]] || ninja -C "$BUILD" codec_bench >&2 || die "cannot build $BENCH"
mkdir -p "$WORK"
ensure_corpus "codec-$SIZE" --small 0 --large 1 --large-size "$SIZE" --formats access --seed 7 -q
file=$(find "$WORK/codec-$SIZE" -type f -name '*.log' | head -1)
[[ -n $file ]] || die "no .log file in $WORK/codec-$SIZE"
# Beside the corpus directory, not in it (ensure_corpus checks what the directory holds).
gz=$WORK/codec-$SIZE.log.gz
zst=$WORK/codec-$SIZE.log.zst
if [[ ! $gz -nt $file ]]; then
  note "gzip -6 $file"
  gzip -6 -c -- "$file" >"$gz"
fi
if [[ ! $zst -nt $file ]]; then
  note "zstd -3 $file"
  zstd -3 -q -f -o "$zst" -- "$file"
  touch -- "$zst"  # zstd gives its output the input's mtime
fi
echo "command: bash bench/run_codec_bench.sh --size $SIZE --runs $RUNS" \
  "($(nproc) CPUs, $(uname -r), isa-l $(pkg-config --modversion libisal 2>/dev/null || echo ?)," \
  "zlib $(pkg-config --modversion zlib 2>/dev/null || echo ?)," \
  "libdeflate $(pkg-config --modversion libdeflate 2>/dev/null || echo ?)," \
  "libzstd $(pkg-config --modversion libzstd 2>/dev/null || echo ?))"
"$BENCH" "$gz" "$zst" --runs "$RUNS"

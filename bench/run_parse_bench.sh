#!/usr/bin/env bash
# run_parse_bench.sh: single-threaded throughput of every line parser on a file of its format,
# beside raw on the same bytes, and what format detection costs the parse stage
# (bench/parse_bench.cc); prints a markdown table with the command line and the targets of
# issue 16.
# Usage: bash bench/run_parse_bench.sh [options]   (--help for all)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run_parse_bench.sh [options]

Generates one file per format with tests/testing/gen_corpus.py (`--large N --large-size SIZE
--formats LIST`, reused while its arguments and the generator are unchanged), reads the files
once (page cache), and runs
  parse_bench --runs R --batch-bytes 524288 NAME=FILE...
which, per format, parses the file from memory single-threaded R times after a warm-up (the
parser's runs interleaved with raw's on the same bytes: raw, one field per line, is the
ceiling) and reports the median; then the parse stage with the format named and with auto, on
record batches of 512 KiB (the batches after a file's first carry its head, as the line framer
hands them over), to show what detection costs. Grok runs %{COMBINEDAPACHELOG} on the access
file. MB/s is 10^6 bytes of input (newlines included) per second, per core.

options:
  --size SIZE      bytes per format (default 256M; e.g. 64M for a quicker run)
  --runs N         timed runs per case (default 5)
  --formats LIST   gen_corpus.py formats, comma-separated (default: access, json, logfmt,
                   syslog_file, apache_error, nginx_error, applog, logcat, glog, cri, docker)
  --no-stage       skip the parse-stage rows
  --build DIR      use DIR/bench/parse_bench as it is (default: build-release, built with
                   ninja there when missing)
  --work DIR       where the inputs are generated (default bench/.corpus)
  --tsv FILE       also keep parse_bench's raw rows (tab-separated) in FILE
  -h, --help       this help
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

SIZE=256M RUNS=5 STAGE=1 BUILD="$ROOT/build-release" WORK="$ROOT/bench/.corpus" TSV=""
FORMATS=access,json,logfmt,syslog_file,apache_error,nginx_error,applog,logcat,glog,cri,docker
ARGV=("$@")
while (($#)); do
  case "$1" in
    --size) SIZE=${2:?--size needs a size}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --formats) FORMATS=${2:?--formats needs a list}; shift 2 ;;
    --no-stage) STAGE=0; shift ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    --tsv) TSV=${2:?--tsv needs a file}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, not '$RUNS'"

GEN="$ROOT/tests/testing/gen_corpus.py"  # read by ensure_corpus (bench/lib.sh)
export GEN
BENCH="$BUILD/bench/parse_bench"
if [[ ! -x $BENCH ]]; then
  note "building parse_bench in $BUILD"
  ninja -C "$BUILD" parse_bench >&2 || die "could not build parse_bench in $BUILD"
fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

IFS=, read -r -a FMTS <<<"$FORMATS"
# One large file per format: file i of the layout takes format i of the list.
ensure_corpus "parse-$SIZE" --large "${#FMTS[@]}" --large-size "$SIZE" --formats "$FORMATS" -q
DIR="$WORK/parse-$SIZE"
INPUTS=()
for ((i = 0; i < ${#FMTS[@]}; i++)); do
  f=$(printf '%s/%02d/%02d/l%07d.log' "${FMTS[i]}" $((i % 7)) $((i % 31)) "$i")
  [[ -f $DIR/$f ]] || die "$DIR/$f is missing"
  INPUTS+=("${FMTS[i]}=$DIR/$f")
done
note "warming the page cache"
cat "$DIR"/*/*/*/*.log >/dev/null

CMD=("$BENCH" --runs "$RUNS" --batch-bytes 524288)
((STAGE)) || CMD+=(--no-stage)
OUT=$(mktemp /tmp/ringflow-parse-bench.XXXXXX)
trap 'rm -f "$OUT"' EXIT
note "running: ${CMD[*]} NAME=FILE... (${#FMTS[@]} inputs of $SIZE)"
status=0
"${CMD[@]}" "${INPUTS[@]}" >"$OUT" || status=$?
[[ -z $TSV ]] || cp "$OUT" "$TSV"

echo "Command: \`bash bench/run_parse_bench.sh ${ARGV[*]}\` (git $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- stages bench 2>/dev/null || echo ", uncommitted changes in stages/ or bench/")); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); one thread; $RUNS runs per case, median (min-max)."
echo
awk -F'\t' '
  # Targets of issue 16: each new parser 300 MB/s per core, grok %{COMBINEDAPACHELOG} 100.
  function target(parser) {
    if (parser ~ /^grok/) return 100
    if (parser ~ /^(apache_error|nginx_error|applog|logcat|glog|cri|docker)$/) return 300
    return 0
  }
  NR == 1 {
    print "| input | parser | MB/s per core, median (min-max) | raw on the same bytes, MB/s | of raw | target | lines parsed | note |"
    print "|---|---|---:|---:|---:|---|---:|---|"
    next
  }
  {
    t = target($2)
    goal = t ? (($6 >= t ? "≥ " t ": met" : "≥ " t ": **not met**")) : "—"
    if ($2 ~ /^stage/) goal = "—"
    raw = $7 > 0 ? $7 : "—"
    share = $7 > 0 ? sprintf("%.1f%%", 100 * $6 / $7) : "—"
    printf "| %s | %s | %s (%s-%s) | %s | %s | %s | %d of %d | %s |\n",
           $1, $2, $6, $8, $9, raw, share, goal, $5, $4, $10
  }' "$OUT"
echo
echo "Inputs: \`gen_corpus.py --large ${#FMTS[@]} --large-size $SIZE --formats $FORMATS\` (one file of $SIZE per format, read into memory and split into lines before timing)."
((status == 0)) || die "parse_bench exited with $status: a line did not parse, or auto chose another format (see the notes)"

#!/usr/bin/env bash
# run_nats_bench.sh: the 2 GiB corpus (or --size) replayed into a file-backed JetStream stream by
# the nats sink, beside the same replay to a JSON file and beside bench/nats_publish, a bare
# libnats async publisher sending the same NDJSON payloads (the ceiling), each with a small and a
# large max_pending; interleaved run by run; prints MB/s, the ratio sink / bare publisher
# (issue 18's target: >= 0.8) and peak RSS (the max_pending bound).
# Usage: bash bench/run_nats_bench.sh [--runs N] [--size SIZE] [--build DIR] [--work DIR]
#        [--batch-bytes B] [--pending-small N] [--pending-large N] [--results FILE]  (--help)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run_nats_bench.sh [options]

Makes the large corpus (gen_corpus.py --large 8 --large-size 256M: 8 files, 2 GiB, in
WORK/large, reused as bench/run_pipeline_bench.sh does; with --size SIZE: 8 files of SIZE/8
in WORK/nats-SIZE), starts a nats-server (JetStream, file storage in WORK/nats-bench-store,
127.0.0.1, a free port; stopped and its store removed at exit), and checks once, untimed:
  the JSON file replay's summary counts every line of the corpus (MANIFEST.tsv); its output is
  REF (WORK/nats-bench.ref.ndjson), the bare publisher's input;
  the sink's replay into a fresh stream, read back with nats_consume, equals REF (cmp);
  the bare publisher's stream holds as many messages as it says it sent.
Then times, interleaved in a new shuffled order each round (fixed seed), --runs rounds of:
  ringflow replay -q --exclude '*/MANIFEST.tsv*' CORPUS --out FILE           (json file sink)
  ringflow replay -q --config DOC CORPUS, DOC: lines -> parse -> nats sink (stream BENCH,
        batch_bytes B), max_pending small and large
  nats_publish --file REF --batch-bytes B --max-pending small and large   (the ceiling)
Before each timed run, untimed: the previous output file removed, the stream BENCH deleted and
made again (file storage, subjects bench.>), `sync`, and the command's input read whole (warm
page cache: the corpus, or REF for the bare publisher).

Reports, per command: median wall seconds (min-max), the command's CPU seconds (user+sys), the
server's CPU seconds during the run (from /proc), MB/s of payload (REF's bytes / wall: the
same JSON for every row), MB/s of input (the corpus's bytes / wall), peak RSS; then the ratio
sink / bare publisher (the bare publisher's median wall / the sink's, same max_pending), target
>= 0.8, and the sink's peak RSS with the small and the large max_pending.

options:
  --runs N           timed rounds, median reported (default 3)
  --size SIZE        corpus size (e.g. 256M, 1G; default: the 2 GiB corpus)
  --batch-bytes B    payload size of the sink and the bare publisher (default 262144: the sink's default, 256 KiB)
  --pending-small N  the small max_pending (default 8)
  --pending-large N  the large max_pending (default 1024)
  --build DIR        use DIR/apps/ringflow/ringflow, DIR/bench/nats_publish and
                     DIR/tests/nats_consume (default build-release; built with ninja when
                     missing); they are copied to a temporary directory for the run
  --work DIR         where the corpus, REF, the output file and the server's store live
                     (default bench/.corpus)
  --results FILE     also write the table to FILE (default WORK/nats-results-<date>.md), and
                     the timed runs to FILE without .md, plus .tsv
  -h, --help         this help

Needs: nats-server (JetStream), /usr/bin/time (apt-get install time), python3. Disk: REF and
the output file are ~1.5x the corpus each, the stream as much again.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

RUNS=3 SIZE="" BATCH=262144 PEND_SMALL=8 PEND_LARGE=1024
BUILD="$ROOT/build-release" WORK="$ROOT/bench/.corpus" RESULTS_FILE=""
while (($#)); do
  case "$1" in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --size) SIZE=${2:?--size needs a size}; shift 2 ;;
    --batch-bytes) BATCH=${2:?--batch-bytes needs a number}; shift 2 ;;
    --pending-small) PEND_SMALL=${2:?--pending-small needs a number}; shift 2 ;;
    --pending-large) PEND_LARGE=${2:?--pending-large needs a number}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    --results) RESULTS_FILE=${2:?--results needs a file}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $BATCH =~ ^[0-9]+$ ]] || die "--batch-bytes must be a number"
[[ $PEND_SMALL =~ ^[1-9][0-9]*$ && $PEND_LARGE =~ ^[1-9][0-9]*$ ]] || die "--pending-*: positive integers"
TARGET_RATIO=0.8

# ---- tools and binaries ---------------------------------------------------------------------
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install time"
for tool in nats-server python3 cmp; do
  command -v "$tool" >/dev/null || die "required tool not found: $tool"
done
BUILT_RF="$BUILD/apps/ringflow/ringflow" BUILT_PUB="$BUILD/bench/nats_publish" BUILT_CON="$BUILD/tests/nats_consume"
if [[ ! -x $BUILT_RF || ! -x $BUILT_PUB || ! -x $BUILT_CON ]]; then
  note "building ringflow, nats_publish and nats_consume in $BUILD"
  ninja -C "$BUILD" ringflow nats_publish nats_consume >&2 || die "cannot build them in $BUILD"
fi

TMP=$(mktemp -d /tmp/ringflow-nats-bench.XXXXXX)
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OUT_FILE=$WORK/nats-bench.ndjson
REF=$WORK/nats-bench.ref.ndjson
STORE=$WORK/nats-bench-store
SERVER_PID=""
cleanup() {
  [[ -z $SERVER_PID ]] || { kill -KILL "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
  rm -rf -- "$TMP" "$OUT_FILE" "$REF" "$STORE" "$WORK"/.nats-bench.ndjson.tmp-* "$WORK"/.nats-bench.ref.ndjson.tmp-*
}
trap cleanup EXIT
cp -- "$BUILT_RF" "$TMP/ringflow"
cp -- "$BUILT_PUB" "$TMP/nats_publish"
cp -- "$BUILT_CON" "$TMP/nats_consume"
RINGFLOW=$TMP/ringflow PUBLISH=$TMP/nats_publish CONSUME=$TMP/nats_consume
BUILT_MTIME=$(date -r "$BUILT_RF" '+%Y-%m-%d %H:%M:%S %z')
RESULTS=$TMP/results.tsv  # label run wall user sys maxrss_kib load1 server_cpu
: >"$RESULTS"
[[ -e $WORK/.gitignore ]] || echo '*' >"$WORK/.gitignore"
[[ -n $RESULTS_FILE ]] || RESULTS_FILE="$WORK/nats-results-$(date +%Y%m%d-%H%M%S).md"

# ---- corpus ---------------------------------------------------------------------------------
# shellcheck disable=SC2034  # GEN: the generator ensure_corpus runs
GEN="$ROOT/tests/testing/gen_corpus.py"
if [[ -z $SIZE ]]; then
  ensure_corpus large --large 8 --large-size 256M
  CORPUS=$WORK/large CORPUS_ARGS="--large 8 --large-size 256M"
else
  per=$(python3 -c '
import re, sys
m = re.fullmatch(r"([0-9]+)([KMG]?)(i?B)?", sys.argv[1])
if not m: sys.exit("bad --size " + sys.argv[1])
print(int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)] // 8)' "$SIZE") ||
    die "--size: a size such as 256M or 1G"
  ensure_corpus "nats-$SIZE" --large 8 --large-size "$per"
  CORPUS=$WORK/nats-$SIZE CORPUS_ARGS="--large 8 --large-size $per"
fi
EXCL='*/MANIFEST.tsv*'
find "$CORPUS" -type f ! -name MANIFEST.tsv >"$TMP/corpus.list"
CORPUS_BYTES=$(xargs -d '\n' -a "$TMP/corpus.list" stat -c %s | awk '{ s += $1 } END { printf "%.0f\n", s }')
CORPUS_LINES=$(awk -F'\t' 'NR > 1 { s += $3 } END { printf "%.0f\n", s }' "$CORPUS/MANIFEST.tsv")
note "corpus $CORPUS: $(wc -l <"$TMP/corpus.list") files, $CORPUS_BYTES bytes, $CORPUS_LINES lines"

# ---- server -----------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=nats://127.0.0.1:$PORT
rm -rf -- "$STORE"
nats-server -a 127.0.0.1 -p "$PORT" -js -sd "$STORE" >"$TMP/nats.log" 2>&1 </dev/null &
SERVER_PID=$!
"$CONSUME" --url "$URL" --wait 15 --ping || { tail -n 20 "$TMP/nats.log" >&2; die "nats-server does not answer"; }
NATS_VERSION=$(nats-server --version)
fresh_stream() {
  "$CONSUME" --url "$URL" --delete BENCH 2>/dev/null || true
  "$CONSUME" --url "$URL" --create BENCH --subjects 'bench.>' --storage file || die "cannot create the stream BENCH"
}
server_cpu() {  # the server's user+sys seconds so far
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$SERVER_PID/stat"
}
stream_msgs() {
  "$CONSUME" --url "$URL" --info BENCH | python3 -c 'import json, sys; print(json.load(sys.stdin)["messages"])'
}

# ---- commands ---------------------------------------------------------------------------------
for p in "$PEND_SMALL" "$PEND_LARGE"; do
  printf '{"source": {"paths": ["%s"], "exclude": ["%s"]}, "stages": [{"name": "lines", "type": "lines"}, {"name": "parsed", "type": "parse", "input": "lines"}], "sinks": [{"name": "out", "type": "nats", "input": "parsed", "url": "%s", "subject": "bench.replay", "stream": "BENCH", "batch_bytes": %s, "max_pending": %s}]}\n' \
    "$CORPUS" "$EXCL" "$URL" "$BATCH" "$p" >"$TMP/sink-$p.json"
done
LABELS=() CMDS=() INPUTS=() KINDS=()
add_cmd() {  # add_cmd LABEL INPUT-LIST KIND CMD...   KIND: file, nats
  LABELS+=("$1") INPUTS+=("$2") KINDS+=("$3"); shift 3
  CMDS+=("$(printf '%q ' "$@")")
}
echo "$REF" >"$TMP/ref.list"
L_FILE="ringflow replay --out FILE (json file sink)"
L_SINK_S="ringflow replay -> nats sink, max_pending $PEND_SMALL"
L_SINK_L="ringflow replay -> nats sink, max_pending $PEND_LARGE"
L_BARE_S="nats_publish (bare libnats), max_pending $PEND_SMALL"
L_BARE_L="nats_publish (bare libnats), max_pending $PEND_LARGE"
add_cmd "$L_FILE" "$TMP/corpus.list" file "$RINGFLOW" replay -q --exclude "$EXCL" "$CORPUS" --out "$OUT_FILE"
add_cmd "$L_SINK_S" "$TMP/corpus.list" nats "$RINGFLOW" replay -q --config "$TMP/sink-$PEND_SMALL.json" "$CORPUS"
add_cmd "$L_SINK_L" "$TMP/corpus.list" nats "$RINGFLOW" replay -q --config "$TMP/sink-$PEND_LARGE.json" "$CORPUS"
add_cmd "$L_BARE_S" "$TMP/ref.list" nats "$PUBLISH" --url "$URL" --subject bench.bare --file "$REF" --batch-bytes "$BATCH" --max-pending "$PEND_SMALL"
add_cmd "$L_BARE_L" "$TMP/ref.list" nats "$PUBLISH" --url "$URL" --subject bench.bare --file "$REF" --batch-bytes "$BATCH" --max-pending "$PEND_LARGE"
warm() { xargs -d '\n' -a "$1" cat >/dev/null; }

# ---- checks (once, untimed; also the warm-up) -------------------------------------------------
note "check: replay of $CORPUS to $REF"
warm "$TMP/corpus.list"
rm -f -- "$REF"
"$RINGFLOW" replay -q --exclude "$EXCL" "$CORPUS" --out "$REF" --stats-json "$TMP/ref.stats" \
  </dev/null >/dev/null 2>"$TMP/cmd.err" || { tail -n 20 "$TMP/cmd.err" >&2; die "replay of $CORPUS failed"; }
python3 - "$TMP/ref.stats" "$CORPUS_LINES" <<'EOF' || die "replay of $CORPUS: wrong summary"
import json, sys
s = json.load(open(sys.argv[1]))
bad = {k: s.get(k) for k in ("lines", "records") if s.get(k) != int(sys.argv[2])}
sys.exit(f"summary: {bad}, expected {sys.argv[2]}" if bad else 0)
EOF
REF_BYTES=$(stat -c %s "$REF")
note "ok: $CORPUS_LINES records, $REF_BYTES bytes of JSON"
note "check: the sink's replay into a fresh stream, read back, equals $REF"
fresh_stream
eval "${CMDS[2]}" </dev/null >/dev/null 2>"$TMP/cmd.err" || { tail -n 20 "$TMP/cmd.err" >&2; die "'$L_SINK_L' failed"; }
"$CONSUME" --url "$URL" --stream BENCH --timeout 60 --out - | cmp -- - "$REF" || die "'$L_SINK_L': the stream differs from $REF"
SINK_MSGS=$(stream_msgs)
note "ok: the stream ($SINK_MSGS messages) equals $REF"
fresh_stream
"$PUBLISH" --url "$URL" --subject bench.bare --file "$REF" --batch-bytes "$BATCH" --max-pending "$PEND_LARGE" \
  >"$TMP/bare.json" </dev/null || die "the bare publisher failed"
BARE_MSGS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["messages"])' "$TMP/bare.json")
[[ $(stream_msgs) == "$BARE_MSGS" ]] || die "the bare publisher's stream holds $(stream_msgs) messages, it sent $BARE_MSGS"
note "ok: the bare publisher's stream holds its $BARE_MSGS messages"

# ---- timing -------------------------------------------------------------------------------------
start_timing
RANDOM=1818
N=${#LABELS[@]}
note "$RUNS interleaved rounds of $N commands"
for ((r = 1; r <= RUNS; r++)); do
  shuffle_indexes "$N"
  for i in "${SHUFFLED[@]}"; do
    rm -f -- "$OUT_FILE"
    [[ ${KINDS[i]} == nats ]] && fresh_stream
    sync
    warm "${INPUTS[i]}"
    load=$(cut -d' ' -f1 /proc/loadavg)
    c0=$(server_cpu)
    eval "time_command \"\${LABELS[i]} (run $r)\" ${CMDS[i]}"
    c1=$(server_cpu)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${LABELS[i]}" "$r" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" \
      "$load" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')" >>"$RESULTS"
    note "round $r: ${LABELS[i]}: ${T_WALL} s"
  done
done
rm -f -- "$OUT_FILE"
cp -- "$RESULTS" "${RESULTS_FILE%.md}.tsv"

# ---- report ---------------------------------------------------------------------------------------
{
  echo "# ringflow replay into NATS JetStream (file storage) beside a JSON file and a bare libnats publisher"
  echo
  echo "Command: \`bash bench/run_nats_bench.sh --runs $RUNS${SIZE:+ --size $SIZE} --batch-bytes $BATCH --pending-small $PEND_SMALL --pending-large $PEND_LARGE\`. Build: \`$BUILT_RF\` (built $BUILT_MTIME; git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ", uncommitted changes in the tree")); $NATS_VERSION on 127.0.0.1 (the same $(nproc) CPUs), store on the corpus's file system; $RUNS rounds$( ((RUNS < 5)) && echo " (**fewer than 5: indicative only**)"), commands interleaved in an order shuffled each round; before each timed run the stream deleted and made again, \`sync\`, the input read whole (warm page cache)."
  echo
  echo "Corpus: \`gen_corpus.py $CORPUS_ARGS\` ($CORPUS_BYTES bytes, $CORPUS_LINES lines), replayed to $REF_BYTES bytes of NDJSON; payloads of at most $BATCH bytes cut at record ends (the sink: per file; the bare publisher: over REF, the same JSON, with a Nats-Msg-Id each as the sink's). Checked before timing: the sink's stream read back equals the JSON file replay (cmp); the bare publisher's stream holds its $BARE_MSGS messages (the sink's: $SINK_MSGS)."
  echo
  python3 - "$RESULTS" "$REF_BYTES" "$CORPUS_BYTES" "$TARGET_RATIO" "$L_FILE" "$L_SINK_S" "$L_SINK_L" "$L_BARE_S" "$L_BARE_L" <<'EOF'
import statistics, sys
results, ref_bytes, corpus_bytes, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
l_file, l_sink_s, l_sink_l, l_bare_s, l_bare_l = sys.argv[5:10]
rows = {}
for l in open(results):
    label, run, e, u, s, m, load, srv = l.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((float(e), float(u) + float(s), int(m), float(load), float(srv)))
def med(label, k):
    return statistics.median(x[k] for x in rows[label])
order = [l_file, l_sink_s, l_sink_l, l_bare_s, l_bare_l]
print("| command | wall s, median (min–max) | CPU s (user+sys) | server CPU s | MB/s of payload | MB/s of input | peak RSS MiB |")
print("|---|---|---|---|---|---|---|")
for label in order:
    walls = [x[0] for x in rows[label]]
    wall = statistics.median(walls)
    srv = "–" if label == l_file else f"{med(label, 4):.2f}"
    inp = f"{corpus_bytes / 1e6 / wall:,.0f}" if label in (l_file, l_sink_s, l_sink_l) else "–"
    print(f"| `{label}` | {wall:.2f} ({min(walls):.2f}–{max(walls):.2f}) | {med(label, 1):.2f} | {srv} | "
          f"{ref_bytes / 1e6 / wall:,.0f} | {inp} | {med(label, 2) / 1024:.1f} |")
print()
w = {label: med(label, 0) for label in order}
print("| target (issue 18) | measured | |")
print("|---|---|---|")
for sink, bare in ((l_sink_s, l_bare_s), (l_sink_l, l_bare_l)):
    r = w[bare] / w[sink]
    ok = "met" if r >= target else "**not met**"
    print(f"| `{sink}` / `{bare}` ≥ {target:g}× | {w[bare]:.2f} s / {w[sink]:.2f} s = **{r:.2f}×** | {ok} |")
print()
print(f"The sink's peak RSS: {med(l_sink_s, 2) / 1024:.1f} MiB with max_pending small, "
      f"{med(l_sink_l, 2) / 1024:.1f} MiB with max_pending large (the JSON file replay: {med(l_file, 2) / 1024:.1f} MiB). "
      f"The nats sink beside the JSON file sink: {w[l_file] / w[l_sink_l]:.2f}× its speed (max_pending large).")
loads = [x[3] for label in order for x in rows[label]]
print()
print(f"Load average (1 min) at the start of the timed runs: median {statistics.median(loads):.2f}, "
      f"range {min(loads):.2f}–{max(loads):.2f}.")
EOF
  echo
  echo "Wall: the shell's clock around \`/usr/bin/time\`; CPU and peak RSS: \`/usr/bin/time -f '%e %U %S %M'\` of the command (the server's CPU is apart: its user+sys from /proc over the run). MB/s of payload = REF's bytes / median wall (1 MB = 10^6 bytes): the same JSON for every row."
  echo
  echo "Run started $START_DATE, finished $(date '+%Y-%m-%d %H:%M:%S %z'); kernel $(uname -r); nproc $(nproc); load average at start $START_LOAD, at end $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$RESULTS_FILE"
note "tables also written to $RESULTS_FILE"

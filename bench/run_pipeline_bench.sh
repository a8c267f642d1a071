#!/usr/bin/env bash
# run_pipeline_bench.sh: times `ringflow run` end to end (read, lines, parse, JSON sink, fan-out
# with a manifest) against its peers (cat, wc -l, jq, mlr) on a small-file and a large-file
# corpus, warm page cache, in one run with interleaved commands, and prints one markdown table
# per corpus, the memory bound (peak RSS on 2 GiB vs 20 MiB) and the issue's targets.
# Usage: bash bench/run_pipeline_bench.sh [--runs N] [--build DIR] [--corpora small,large]
#        [--work DIR] [--results FILE] [--threads N]   (--help for all options)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run_pipeline_bench.sh [options]

Builds ringflow (Release), makes the corpora, writes one pipeline document per row into a
temporary directory (absolute paths; source = the corpus without its MANIFEST.tsv), checks the
outputs once, then times, interleaved run by run, in a warm page cache (one untimed warm-up run
of every command first, which is also the correctness check):
  ringflow run: read (+xxh3)           checksum -> null sink (every byte read and digested)
  ringflow run: read+lines             lines -> null
  ringflow run: read+lines+parse       lines -> parse (no format: detected per file) -> null
  ringflow run: ...+JSON -> file       lines -> parse -> json sink to WORK/pipeline-bench.ndjson
                                       (same file system as the corpus; a new file each run),
                                       with and without fsync, and once more without fsync
                                       over the previous run's output (replacing it)
  ringflow run: ...+JSON -> stdout     the same, json sink to stdout, redirected to /dev/null
  ringflow run: fan-out                lines -> parse -> json sink to the same file, and
                                       checksum -> manifest sink with ["sums", "parsed"]
  ringflow replay -q                   `ringflow replay -q --exclude '*/MANIFEST.tsv' CORPUS`
                                       to stdout (/dev/null): the command users type
  ringflow replay --progress           the same with the progress line forced on (stderr to a
                                       file): its cost, target < 2%
  ringflow replay --manifest           the same with --manifest (checksum + manifest sink):
                                       its cost, target < 5%
  ringflow replay --out FILE           to WORK/pipeline-bench.ndjson (fsync before the rename)
  ringflow replay --checkpoint         the same with --checkpoint (default interval: every
                                       64MiB or 1 s, each an fsync of the output and an atomic
                                       checkpoint write): its cost, target < 10%
  xargs cat > /dev/null                every file
  xargs wc -l                          every file
  xargs jq -c .                        the json files only (MB/s and lines/s on their own bytes)
  xargs mlr --inidx --ifs ' ' --ojsonl cat
                                       the access files only, to JSON lines (if mlr is installed)
Before every timed run, untimed: the output file (and manifest, checkpoint) of an earlier run
is removed, except for the "over the previous output" row, which needs it, and `sync` writes
back everything pending, so that no run pays for another's output (freeing a 3 GiB file on
this VM's disk takes ~0.8 s, and write-back competes for the 2 CPUs).
Large corpus only: the JSON -> file pipeline also on a 20 MiB corpus, for the memory bound
(peak RSS on 2 GiB / peak RSS on 20 MiB; target <= 1.5).

Checked before timing (abort on mismatch): the JSON outputs (file and stdout, fan-out's file)
hold exactly as many records as the corpus has lines (`wc -l` plus final lines without a
newline), the first and last are JSON objects; the manifest has one object per file, status
ok, the corpus's bytes and lines, records = lines per file, and its xxh3 equals `xxhsum -H3`
for a few files (first, middle, last, and the first of each format).

Reports median wall seconds (min-max), median CPU seconds (user+sys), MB/s (input bytes /
median wall, 1 MB = 10^6 bytes), lines/s (input lines / median wall), median peak RSS, and
"vs Fluent Bit" = Fluent Bit's published time / median wall for the parse-to-JSON rows (the
issue's figures, same machine kind: Fluent Bit 5.1.1 took 39 s for the 2 GiB corpus and 15 s
for the 20,000-file corpus; not re-measured here), then the targets: 2 GiB parsed to JSON lines
<= 3.9 s, 20,000 files <= 0.5 s, peak RSS 2 GiB / 20 MiB <= 1.5.

Corpora (generated with tests/testing/gen_corpus.py into WORK, reused when a previous
generation with the same arguments is there intact, e.g. bench/run_bench.sh's):
  small  gen_corpus.py --small 20000                      (20,000 files, ~160 MiB)
  large  gen_corpus.py --large 8 --large-size 256M        (8 files: access, json, syslog; 2 GiB)
  tiny   gen_corpus.py --large 8 --large-size 2560K       (20 MiB; with large, memory bound only)

options:
  --runs N          timed runs per command, median reported (default 5; fewer than 5 is
                    allowed but flagged in the output)
  --build DIR       use this existing build (DIR/apps/ringflow/ringflow) instead of configuring
                    and building build-bench/ in Release
  --corpora LIST    which corpora to run: small,large (default both)
  --work DIR        where the corpora and the JSON output file live (default bench/.corpus)
  --results FILE    also write the tables to FILE (default WORK/pipeline-results-<date>.md)
  --threads N       reader threads, written into every document as source.engine.threads
                    (default: ringflow's, one per CPU)
  -h, --help        this help

Needs: cmake, a C/C++ toolchain, python3, xxhsum (apt-get install xxhash), /usr/bin/time
(apt-get install time); jq and mlr (apt-get install jq miller) for their rows, skipped with a
note when absent. Disk: the 2 GiB corpus's JSON output is ~3 GiB (WORK/pipeline-bench.ndjson,
removed at exit). File names must not contain newlines.
EOF
}


ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

CORPORA="small,large" RUNS=5 BUILD="" WORK="$ROOT/bench/.corpus" RESULTS_FILE="" THREADS=""
while (($#)); do
  case "$1" in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --corpora) CORPORA=${2:?--corpora needs a list}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    --results) RESULTS_FILE=${2:?--results needs a file}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ -z $THREADS || $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer"
DO_SMALL=0 DO_LARGE=0
IFS=, read -ra _corpora <<<"$CORPORA"
for c in "${_corpora[@]}"; do
  case "$c" in small) DO_SMALL=1 ;; large) DO_LARGE=1 ;; *) die "--corpora: unknown corpus '$c'" ;; esac
done
((DO_SMALL || DO_LARGE)) || die "--corpora: nothing to run"

# The issue's published Fluent Bit 5.1.1 times on this machine kind, and the targets.
FB_LARGE=39 FB_SMALL=15
TARGET_LARGE=3.9 TARGET_SMALL=0.5 TARGET_RSS=1.5

# ---- tools ----------------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install time"
command -v xxhsum >/dev/null || die "xxhsum is missing: apt-get install xxhash"
command -v python3 >/dev/null || die "python3 is missing"
HAVE_JQ=1 HAVE_MLR=1
command -v jq >/dev/null || { HAVE_JQ=0; note "jq not found (apt-get install jq): no jq row"; }
command -v mlr >/dev/null || { HAVE_MLR=0; note "mlr not found (apt-get install miller): no mlr row"; }

TMP=$(mktemp -d /tmp/ringflow-pipeline-bench.XXXXXX)
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
# The JSON sinks' file: in WORK, next to the corpora (same file system); ringflow writes
# WORK/.pipeline-bench.ndjson.tmp-PID and renames it into place (prepare_run removes an earlier
# run's file first, except for the row that measures replacing it).
OUT_FILE=$WORK/pipeline-bench.ndjson
trap 'rm -rf -- "$TMP" "$OUT_FILE" "$WORK"/.pipeline-bench.ndjson.tmp-*' EXIT
RESULTS=$TMP/results.tsv  # corpus label run wall user sys maxrss_kib
ORDER=$TMP/order.tsv      # corpus label bytes lines fluent_bit_s, in table order
META=$TMP/corpora.tsv     # corpus dir files bytes lines
OUT_SIZES=$TMP/out_sizes.tsv  # corpus json_output_bytes
MANIFEST_OUT=$TMP/manifest.ndjson
REPLAY_CKPT=$TMP/replay.ckpt  # the --checkpoint row's
: >"$RESULTS"
: >"$ORDER"
: >"$META"
: >"$OUT_SIZES"
# Generated data only: make the work dir ignore itself so it never lands in a commit.
[[ -e $WORK/.gitignore ]] || echo '*' >"$WORK/.gitignore"
[[ -n $RESULTS_FILE ]] || RESULTS_FILE="$WORK/pipeline-results-$(date +%Y%m%d-%H%M%S).md"

# make_doc.py KIND CORPUS_DIR OUT_FILE MANIFEST THREADS: prints the pipeline document of a row.
cat >"$TMP/make_doc.py" <<'EOF'
import json, sys
kind, corpus, out, manifest, threads = sys.argv[1:6]
source = {"paths": [corpus], "exclude": ["*/MANIFEST.tsv"]}
if threads:
    source["engine"] = {"threads": int(threads)}
lines = {"name": "lines", "type": "lines"}
parsed = {"name": "parsed", "type": "parse", "input": "lines"}  # no format: detected per file
sums = {"name": "sums", "type": "checksum"}
if kind == "checksum":
    stages, sinks = [sums], [{"name": "out", "type": "null", "input": "sums"}]
elif kind == "lines":
    stages, sinks = [lines], [{"name": "out", "type": "null", "input": "lines"}]
elif kind == "parse":
    stages, sinks = [lines, parsed], [{"name": "out", "type": "null", "input": "parsed"}]
elif kind in ("json-file", "json-file-nosync", "json-stdout"):
    stages = [lines, parsed]
    sinks = [{"name": "out", "type": "json", "input": "parsed",
              "path": "-" if kind == "json-stdout" else out}]
    if kind == "json-file-nosync":
        sinks[0]["fsync"] = False
elif kind == "fanout":
    stages = [lines, parsed, sums]
    sinks = [{"name": "out", "type": "json", "input": "parsed", "path": out},
             {"name": "manifest", "type": "manifest", "input": ["sums", "parsed"], "path": manifest}]
else:
    sys.exit(f"unknown document kind {kind}")
json.dump({"source": source, "stages": stages, "sinks": sinks}, sys.stdout, indent=1)
print()
EOF
# tally.py LIST: "bytes finals": total size, and how many non-empty files do not end in '\n'
# (a line reader's final line that `wc -l` does not count).
cat >"$TMP/tally.py" <<'EOF'
import os, sys
total = finals = 0
for path in open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().splitlines():
    size = os.stat(path).st_size
    total += size
    if size:
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            finals += f.read(1) != b"\n"
print(total, finals)
EOF
# check_json.py EXPECTED [FILE]: FILE (default stdin) holds exactly EXPECTED newline-terminated
# records, and the first and the last are JSON objects; prints "records bytes".
cat >"$TMP/check_json.py" <<'EOF'
import json, sys
expected = int(sys.argv[1])
f = open(sys.argv[2], "rb") if len(sys.argv) > 2 else sys.stdin.buffer
n = size = 0; first = None; tail = b""
while True:
    block = f.read(16 << 20)
    if not block:
        break
    if first is None:
        first = block[:block.find(b"\n")] if b"\n" in block else block
    n += block.count(b"\n")
    size += len(block)
    tail = (tail + block)[-(1 << 20):]
what = sys.argv[2] if len(sys.argv) > 2 else "stdout"
if tail and not tail.endswith(b"\n"):
    sys.exit(f"{what}: the last record has no newline")
if n != expected:
    sys.exit(f"{what}: {n} records, expected {expected} (wc -l + final lines without newline)")
if n:
    last = tail[:-1].rsplit(b"\n", 1)[-1]
    for name, line in (("first", first), ("last", last)):
        try:
            ok = isinstance(json.loads(line), dict)
        except ValueError:
            ok = False
        if not ok:
            sys.exit(f"{what}: the {name} record is not a JSON object: {line[:200]!r}")
print(n, size)
EOF
# check_manifest.py MANIFEST LIST BYTES LINES: one ok object per listed file with the corpus's
# bytes and lines in total and records = lines each; xxh3 = `xxhsum -H3` for a sample of files.
cat >"$TMP/check_manifest.py" <<'EOF'
import json, subprocess, sys
manifest, listfile, want_bytes, want_lines = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
files = open(listfile, encoding="utf-8", errors="surrogateescape").read().splitlines()
objs = [json.loads(l) for l in open(manifest, encoding="utf-8", errors="surrogateescape")]
def fail(msg):
    sys.exit(f"manifest {manifest}: {msg}")
by_path = {o["path"]: o for o in objs}
if len(objs) != len(files) or set(by_path) != set(files):
    fail(f"{len(objs)} objects for {len(files)} files, or other paths")
bad = [o["path"] for o in objs if o.get("status") != "ok"]
if bad:
    fail(f"{len(bad)} files not ok, e.g. {bad[0]}")
got_bytes, got_lines = sum(o["bytes"] for o in objs), sum(o["lines"] for o in objs)
if (got_bytes, got_lines) != (want_bytes, want_lines):
    fail(f"{got_bytes} bytes, {got_lines} lines; expected {want_bytes} bytes, {want_lines} lines")
off = [o["path"] for o in objs if o["records"] != o["lines"]]
if off:
    fail(f"{len(off)} files with records != lines, e.g. {off[0]}")
sample = [files[0], files[len(files) // 2], files[-1]]
seen = set()
for p in files:  # the first file of each format folder (gen_corpus: <format>/...)
    top = p.rsplit("/", 4)[-4] if p.count("/") >= 4 else ""
    if top not in seen:
        seen.add(top)
        sample.append(p)
sample = list(dict.fromkeys(sample))
for p in sample:
    out = subprocess.run(["xxhsum", "-H3", p], capture_output=True, text=True, check=True).stdout
    ref = out.strip().rsplit(" = ", 1)[-1]
    if by_path[p]["xxh3"] != ref:
        fail(f"{p}: xxh3 {by_path[p]['xxh3']}, xxhsum -H3 says {ref}")
print(f"{len(objs)} files, {got_bytes} bytes, {got_lines} lines, "
      f"{sum(o['parse_errors'] or 0 for o in objs)} parse errors; xxh3 = xxhsum -H3 for {len(sample)} files")
EOF

# ---- build ----------------------------------------------------------------------------------
if [[ -n $BUILD ]]; then
  [[ -d $BUILD ]] || die "--build $BUILD: no such directory"
  BUILD=$(cd "$BUILD" && pwd)
else
  BUILD="$ROOT/build-bench"
  note "building ringflow (Release) in $BUILD"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRINGFLOW_BUILD_TESTS=OFF >"$TMP/cmake.log" 2>&1 ||
    { tail -n 30 "$TMP/cmake.log" >&2; die "cmake configure failed"; }
  cmake --build "$BUILD" -j --target ringflow >"$TMP/build.log" 2>&1 ||
    { tail -n 30 "$TMP/build.log" >&2; die "build failed"; }
fi
RINGFLOW=$BUILD/apps/ringflow/ringflow
[[ -x $RINGFLOW ]] || die "$RINGFLOW is missing"

# ---- corpora --------------------------------------------------------------------------------
GEN="$ROOT/tests/testing/gen_corpus.py"
((DO_SMALL)) && ensure_corpus small --small 20000
if ((DO_LARGE)); then
  ensure_corpus large --large 8 --large-size 256M
  ensure_corpus tiny --large 8 --large-size 2560K
fi

# ---- timing ---------------------------------------------------------------------------------
# run_timed CORPUS RUN LABEL CMD...: one timed run (time_command), one row into $RESULTS.
run_timed() {
  local corpus=$1 run=$2 label=$3; shift 3
  time_command "$label ($corpus, run $run)" "$@"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$label" "$run" "$T_WALL" "$T_USER" "$T_SYS" \
    "$T_RSS" >>"$RESULTS"
}

# Commands: LABELS[i] is shown in the table, CMDS[i] is the command (printf %q-quoted, eval'd),
# CHECKS[i] what its warm-up run checks (none, json-file, json-stdout, fanout), BYTES[i] and
# LINES[i] its input (for MB/s and lines/s), FB[i] Fluent Bit's seconds for it or "", PREPS[i]
# its set-up before each timed run (prepare_run: fresh, or replace; add_cmd sets fresh).
LABELS=() CMDS=() CHECKS=() BYTES=() LINES=() FB=() PREPS=()
# add_cmd LABEL CHECK BYTES LINES FLUENT_BIT_S CMD...
add_cmd() {
  LABELS+=("$1") CHECKS+=("$2") BYTES+=("$3") LINES+=("$4") FB+=("$5") PREPS+=(fresh); shift 5
  CMDS+=("$(printf '%q ' "$@")")
}

# warm_up CORPUS I: the untimed warm-up run of command I, checking its output.
warm_up() {
  local corpus=$1 i=$2 got
  local what="warm-up of '${LABELS[i]}' ($corpus)"
  case ${CHECKS[i]} in
    none)
      eval "${CMDS[i]}" </dev/null >/dev/null 2>"$TMP/cmd.err" ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "$what failed"; } ;;
    json-stdout)
      eval "${CMDS[i]}" </dev/null 2>"$TMP/cmd.err" |
        python3 "$TMP/check_json.py" "$EXPECT_LINES" >"$TMP/check.out" ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "$what: failed or wrong output"; }
      read -r got _ <"$TMP/check.out"
      note "ok: ${LABELS[i]}: $got records = lines" ;;
    json-file|fanout)
      rm -f -- "$OUT_FILE" "$MANIFEST_OUT"
      eval "${CMDS[i]}" </dev/null >/dev/null 2>"$TMP/cmd.err" ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "$what failed"; }
      got=$(python3 "$TMP/check_json.py" "$EXPECT_LINES" "$OUT_FILE") || die "$what: wrong JSON output"
      [[ ${CHECKS[i]} == json-file ]] && printf '%s\t%s\n' "$corpus" "${got#* }" >>"$OUT_SIZES"
      note "ok: ${LABELS[i]}: ${got% *} records = lines, ${got#* } bytes"
      if [[ ${CHECKS[i]} == fanout ]]; then
        got=$(python3 "$TMP/check_manifest.py" "$MANIFEST_OUT" "$LIST" "$EXPECT_BYTES" "$EXPECT_LINES") ||
          die "$what: wrong manifest"
        note "ok: ${LABELS[i]}: manifest: $got"
      fi ;;
    *) die "internal: unknown check ${CHECKS[i]}" ;;
  esac
}

# prepare_run I: the untimed set-up before a timed run of command I. fresh: no output of an
# earlier run left (the run writes a new file); replace: an earlier run's output in place for
# the run to replace (every file row writes the same bytes; made now by this command if there is
# none). Then `sync`, so that nothing of an earlier run is still being written back while this
# one runs.
prepare_run() {
  local i=$1
  if [[ ${PREPS[i]} == replace ]]; then
    if [[ ! -e $OUT_FILE ]]; then
      eval "${CMDS[i]}" </dev/null >/dev/null 2>"$TMP/cmd.err" ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "'${LABELS[i]}' failed (making the output to replace)"; }
    fi
  else
    rm -f -- "$OUT_FILE" "$MANIFEST_OUT" "$REPLAY_CKPT"
  fi
  sync
}

# run_suite CORPUS: one warm-up (and check) run of every command, then RUNS rounds; each round
# runs every command once, in an order shuffled anew each round (fixed seed, so reruns use the
# same orders), so that no command always follows the same one.
RANDOM=4242
run_suite() {
  local corpus=$1 n=${#LABELS[@]} r k i
  note "$corpus: warm-up (and check) run of every command, then $RUNS interleaved runs"
  for ((k = 0; k < n; k++)); do
    printf '%s\t%s\t%s\t%s\t%s\n' "$corpus" "${LABELS[k]}" "${BYTES[k]}" "${LINES[k]}" "${FB[k]}" >>"$ORDER"
    warm_up "$corpus" "$k"
  done
  for ((r = 0; r < RUNS; r++)); do
    shuffle_indexes "$n"
    for i in "${SHUFFLED[@]}"; do
      prepare_run "$i"
      eval "run_timed \"\$corpus\" $((r + 1)) \"\${LABELS[i]}\" ${CMDS[i]}"
    done
  done
}

# tally LIST: "bytes lines" of the listed files; lines = `wc -l` + final lines without newline.
tally() {
  local list=$1 bytes finals newlines
  read -r bytes finals < <(python3 "$TMP/tally.py" "$list")
  tr '\n' '\0' <"$list" >"$list.0"
  newlines=$(wc -l --files0-from="$list.0" | tail -n 1 | awk '{ print $1 }')
  echo "$bytes $((newlines + finals))"
}

# ---- per corpus -----------------------------------------------------------------------------
L_READ="ringflow run: read (+xxh3)"
L_LINES="ringflow run: read+lines"
L_PARSE="ringflow run: read+lines+parse"
L_JSON_FILE="ringflow run: read+lines+parse+JSON -> file"
L_JSON_NOSYNC="ringflow run: read+lines+parse+JSON -> file, fsync off"
L_JSON_REPLACE="ringflow run: read+lines+parse+JSON -> file, fsync off, over the previous output"
L_JSON_STDOUT="ringflow run: read+lines+parse+JSON -> stdout (/dev/null)"
L_FANOUT="ringflow run: fan-out: parse -> JSON file, checksum -> manifest"
L_REPLAY="ringflow replay -q -> stdout (/dev/null)"
L_REPLAY_PROGRESS="ringflow replay --progress -> stdout (/dev/null)"
L_REPLAY_MANIFEST="ringflow replay -q --manifest FILE -> stdout (/dev/null)"
L_REPLAY_FILE="ringflow replay -q --out FILE"
L_REPLAY_CKPT="ringflow replay -q --out FILE --checkpoint CKPT"

# bench_corpus CORPUS FLUENT_BIT_S: the table's commands on WORK/CORPUS (tiny: the JSON -> file
# pipeline only, for the memory bound).
bench_corpus() {
  local corpus=$1 fb=$2 dir="$WORK/$1" kind
  [[ -d $dir ]] || die "$corpus corpus: $dir is not a directory"
  LIST="$TMP/$corpus.list"
  find -L "$dir" -type f ! -name MANIFEST.tsv | LC_ALL=C sort >"$LIST"
  local nfiles; nfiles=$(wc -l <"$LIST")
  ((nfiles > 0)) || die "$corpus corpus: no files in $dir"
  read -r EXPECT_BYTES EXPECT_LINES < <(tally "$LIST")
  printf '%s\t%s\t%s\t%s\t%s\n' "$corpus" "$dir" "$nfiles" "$EXPECT_BYTES" "$EXPECT_LINES" >>"$META"
  note "$corpus corpus: $dir, $nfiles files, $EXPECT_BYTES bytes, $EXPECT_LINES lines"

  for kind in checksum lines parse json-file json-file-nosync json-stdout fanout; do
    python3 "$TMP/make_doc.py" "$kind" "$dir" "$OUT_FILE" "$MANIFEST_OUT" "$THREADS" >"$TMP/$corpus.$kind.json"
    "$RINGFLOW" validate "$TMP/$corpus.$kind.json" >"$TMP/validate.out" 2>&1 ||
      { cat "$TMP/validate.out" >&2; die "ringflow validate $TMP/$corpus.$kind.json failed"; }
  done

  local d="$TMP/$corpus" b="$EXPECT_BYTES" l="$EXPECT_LINES"
  LABELS=() CMDS=() CHECKS=() BYTES=() LINES=() FB=() PREPS=()
  if [[ $corpus == tiny ]]; then
    add_cmd "$L_JSON_NOSYNC" json-file "$b" "$l" "" "$RINGFLOW" run "$d.json-file-nosync.json"
    run_suite "$corpus"
    return
  fi
  add_cmd "$L_READ" none "$b" "$l" "" "$RINGFLOW" run "$d.checksum.json"
  add_cmd "$L_LINES" none "$b" "$l" "" "$RINGFLOW" run "$d.lines.json"
  add_cmd "$L_PARSE" none "$b" "$l" "" "$RINGFLOW" run "$d.parse.json"
  add_cmd "$L_JSON_FILE" json-file "$b" "$l" "$fb" "$RINGFLOW" run "$d.json-file.json"
  add_cmd "$L_JSON_NOSYNC" json-file "$b" "$l" "$fb" "$RINGFLOW" run "$d.json-file-nosync.json"
  add_cmd "$L_JSON_REPLACE" json-file "$b" "$l" "$fb" "$RINGFLOW" run "$d.json-file-nosync.json"
  PREPS[-1]=replace
  add_cmd "$L_JSON_STDOUT" json-stdout "$b" "$l" "$fb" "$RINGFLOW" run "$d.json-stdout.json"
  add_cmd "$L_FANOUT" fanout "$b" "$l" "$fb" "$RINGFLOW" run "$d.fanout.json"
  add_cmd "$L_REPLAY" json-stdout "$b" "$l" "$fb" "$RINGFLOW" replay -q --exclude '*/MANIFEST.tsv' "$dir"
  add_cmd "$L_REPLAY_PROGRESS" json-stdout "$b" "$l" "$fb" "$RINGFLOW" replay --progress \
    --exclude '*/MANIFEST.tsv' "$dir"
  add_cmd "$L_REPLAY_MANIFEST" json-stdout "$b" "$l" "$fb" "$RINGFLOW" replay -q --manifest "$MANIFEST_OUT" \
    --exclude '*/MANIFEST.tsv' "$dir"
  add_cmd "$L_REPLAY_FILE" json-file "$b" "$l" "$fb" "$RINGFLOW" replay -q --out "$OUT_FILE" \
    --exclude '*/MANIFEST.tsv' "$dir"
  add_cmd "$L_REPLAY_CKPT" json-file "$b" "$l" "$fb" "$RINGFLOW" replay -q --out "$OUT_FILE" \
    --checkpoint "$REPLAY_CKPT" --exclude '*/MANIFEST.tsv' "$dir"
  add_cmd "xargs cat > /dev/null" none "$b" "$l" "" xargs -d '\n' -a "$LIST" cat
  add_cmd "xargs wc -l" none "$b" "$l" "" xargs -d '\n' -a "$LIST" wc -l
  # Subsets by the corpus's own MANIFEST.tsv (path bytes lines format), measured on their bytes.
  local fmt sub tool sb sl
  for fmt in json access; do
    tool=jq; [[ $fmt == access ]] && tool=mlr
    if [[ $tool == jq ]] && ((!HAVE_JQ)); then continue; fi
    if [[ $tool == mlr ]] && ((!HAVE_MLR)); then continue; fi
    sub="$TMP/$corpus.$fmt.list"
    awk -F'\t' -v d="$dir" -v f="$fmt" 'NR > 1 && $4 == f { print d "/" $1 }' "$dir/MANIFEST.tsv" |
      LC_ALL=C sort >"$sub"
    if [[ ! -s $sub ]]; then note "$corpus: no $fmt files: no $tool row"; continue; fi
    read -r sb sl < <(tally "$sub")
    if [[ $tool == jq ]]; then
      add_cmd "xargs jq -c . (json files: $(wc -l <"$sub"))" none "$sb" "$sl" "" xargs -d '\n' -a "$sub" jq -c .
    else
      add_cmd "xargs mlr --inidx --ifs ' ' --ojsonl cat (access files: $(wc -l <"$sub"))" none "$sb" "$sl" "" \
        xargs -d '\n' -a "$sub" mlr --inidx --ifs ' ' --ojsonl cat
    fi
  done
  run_suite "$corpus"
}

start_timing
((DO_SMALL)) && bench_corpus small "$FB_SMALL"
if ((DO_LARGE)); then
  bench_corpus large "$FB_LARGE"
  bench_corpus tiny ""
fi

# ---- report ---------------------------------------------------------------------------------
{
  echo "# ringflow run and replay end to end: read, lines, parse, JSON sink, fan-out, against cat, wc -l, jq, mlr"
  echo
  echo "Before every timed run, untimed: the output (and manifest, checkpoint) of an earlier run removed, except for the row \"over the previous output\", which has the previous run's output in place; then \`sync\`, so that no run pays for another's output (its freeing or its write-back)."
  echo
  echo "Build: \`$BUILD\` (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ", uncommitted changes")); threads: ${THREADS:-ringflow default (one per CPU = $(nproc))}; runs: $RUNS per command$( ((RUNS < 5)) && echo " (**fewer than 5: indicative only**)"); warm page cache (one untimed warm-up run of every command first); commands interleaved, the order shuffled each round."
  echo
  echo "Checked before timing (the warm-up runs): the JSON outputs (file, stdout, fan-out's file) hold exactly one record per input line (\`wc -l\` + final lines without newline), first and last a JSON object; the fan-out's manifest has one \`ok\` object per file with the corpus's bytes and lines, records = lines per file, and xxh3 = \`xxhsum -H3\` for a sample of files."
  echo
  echo "Pipelines (\`ringflow run DOC\`, documents written by the script, absolute paths; source = the corpus minus MANIFEST.tsv, \`\"exclude\": [\"*/MANIFEST.tsv\"]\`; default engine$([[ -n $THREADS ]] && echo " but \`source.engine.threads = $THREADS\`"); \`ordered\` (the default): whole files in discovery order):"
  echo "- read (+xxh3): \`checksum\` -> \`null\` sink: every byte read through the io_uring source and digested"
  echo "- read+lines: \`lines\` -> \`null\`; read+lines+parse: \`lines\` -> \`parse\` (no format: detected per file) -> \`null\`"
  echo "- +JSON -> file: -> \`json\` sink to \`$OUT_FILE\` (same file system as the corpus; a new file each run: written to a temporary name, fsync'ed and renamed into place, so its time includes writing the output to disk); -> file, fsync off: the same with \`\"fsync\": false\` (renamed without waiting for the disk); over the previous output: the same, the previous run's output in place (the rename frees it); -> stdout: \`json\` sink to \`-\`, stdout redirected to /dev/null"
  echo "- fan-out: \`lines\` -> \`parse\` -> \`json\` sink to the same file, and \`checksum\` -> \`manifest\` sink with \`[\"sums\", \"parsed\"]\` (to the temp dir)"
  echo "- replay: \`ringflow replay -q --exclude '*/MANIFEST.tsv' CORPUS\` to stdout (/dev/null): format detected per file, ordered; with \`--progress\` (the line forced on, redrawn every 250 ms to stderr, a file here); with \`--manifest FILE\` (adds the checksum stage and the manifest sink); to a file with \`--out FILE\`, and the same with \`--checkpoint CKPT\` (defaults: a cut every 64MiB or 1 s)"
  echo "- peers, single-threaded: \`cat\` and \`wc -l\` over every file; \`jq -c .\` over the json files only and \`mlr\` (access files to JSON lines) over the access files only, their MB/s and lines/s on their own input$( ((HAVE_MLR)) || echo "; **mlr is not installed: no mlr row** (apt-get install miller)")$( ((HAVE_JQ)) || echo "; **jq is not installed: no jq row**")"
  echo
  python3 - "$RESULTS" "$ORDER" "$META" "$OUT_SIZES" "$TARGET_LARGE" "$TARGET_SMALL" "$TARGET_RSS" "$L_JSON_NOSYNC" "$L_JSON_STDOUT" "$L_JSON_FILE" \
    "$L_REPLAY" "$L_REPLAY_PROGRESS" "$L_REPLAY_MANIFEST" "$L_REPLAY_FILE" "$L_REPLAY_CKPT" "$L_JSON_REPLACE" <<'EOF'
import statistics, sys
results, order, meta, out_sizes = sys.argv[1:5]
target_large, target_small, target_rss = map(float, sys.argv[5:8])
json_file, json_stdout, json_fsync = sys.argv[8:11]
replay, replay_progress, replay_manifest, replay_file, replay_ckpt, json_replace = sys.argv[11:17]
out_size = dict(l.rstrip("\n").split("\t") for l in open(out_sizes))
info = {}
for l in open(meta):
    corpus, d, nfiles, nbytes, nlines = l.rstrip("\n").split("\t")
    info[corpus] = (d, int(nfiles), int(nbytes), int(nlines))
groups = {}
for l in open(order):
    corpus, label, nbytes, nlines, fb = l.rstrip("\n").split("\t")
    groups.setdefault(corpus, {})[label] = {"bytes": int(nbytes), "lines": int(nlines),
                                           "fb": float(fb) if fb else None, "runs": []}
for l in open(results):
    corpus, label, run, e, u, s, m = l.rstrip("\n").split("\t")
    groups[corpus][label]["runs"].append((float(e), float(u) + float(s), int(m)))
def med(corpus, label, k):
    return statistics.median(x[k] for x in groups[corpus][label]["runs"])
def mib(n):
    return n / (1 << 20)
for corpus, cmds in groups.items():
    if corpus == "tiny":
        continue
    d, nfiles, nbytes, nlines = info[corpus]
    print(f"### {corpus} corpus: {nfiles:,} files, {mib(nbytes):,.1f} MiB, {nlines:,} lines, "
          f"JSON output {mib(int(out_size[corpus])):,.1f} MiB, warm page cache (n={len(next(iter(cmds.values()))['runs'])})\n")
    print("| command | wall s, median (min–max) | CPU s (user+sys) | MB/s | lines/s | peak RSS MiB | vs Fluent Bit |")
    print("|---|---|---|---|---|---|---|")
    for label, c in cmds.items():
        walls = [x[0] for x in c["runs"]]
        wall = statistics.median(walls)
        vs = f"**{c['fb'] / wall:.1f}×** ({c['fb']:g} s)" if c["fb"] else "–"
        print(f"| `{label}` | {wall:.3f} ({min(walls):.3f}–{max(walls):.3f}) | {med(corpus, label, 1):.3f} | "
              f"{c['bytes'] / 1e6 / wall:,.0f} | {c['lines'] / 1e6 / wall:,.2f} M | "
              f"{med(corpus, label, 2) / 1024:.1f} | {vs} |")
    print()
def verdict(ok):
    return "met" if ok else "**not met**"
print("### memory bound and targets (issue)\n")
print("| target | measured | |")
print("|---|---|---|")
for corpus, what, target, fb in (("large", "2 GiB", target_large, 39),
                                 ("small", "20,000 files", target_small, 15)):
    head = f"| {what} parsed to JSON lines ≤ {target:g} s (Fluent Bit 5.1.1: {fb} s) |"
    if corpus not in groups:
        print(f"{head} not run (--corpora) | – |")
        continue
    wall, std, syn, over = (med(corpus, x, 0) for x in (json_file, json_stdout, json_fsync, json_replace))
    print(f"{head} {wall:.3f} s to a new file ({over:.3f} s over the previous output, {std:.3f} s "
          f"to stdout, {syn:.3f} s to a file with fsync) | {verdict(wall <= target)} |")
if "large" in groups and "tiny" in groups:
    big, small = med("large", json_file, 2) / 1024, med("tiny", json_file, 2) / 1024
    tiny_mib = mib(info["tiny"][2])
    print(f"| peak RSS, 2 GiB / {tiny_mib:.0f} MiB corpus ≤ {target_rss:g}× (`{json_file}`) | "
          f"{big:.1f} MiB / {small:.1f} MiB = **{big / small:.2f}×** | {verdict(big / small <= target_rss)} |")
else:
    print(f"| peak RSS, 2 GiB / 20 MiB corpus ≤ {target_rss:g}× | not run (needs the large corpus) | – |")
for corpus in ("small", "large"):
    if corpus not in groups or replay not in groups[corpus]:
        continue
    for label, what, limit, base_label in (
            (replay_progress, "progress line", 0.02, replay),
            (replay_manifest, "--manifest", 0.05, replay),
            (replay_ckpt, "--checkpoint (file output)", 0.10, replay_file)):
        base = med(corpus, base_label, 0)
        cost = med(corpus, label, 0) / base - 1
        print(f"| replay, {corpus} corpus: cost of {what} < {limit:.0%} | {cost:+.1%} "
              f"({med(corpus, label, 0):.3f} s vs {base:.3f} s without) | {verdict(cost < limit)} |")
print()
print("Targets judged on the JSON -> file pipeline without fsync, to a new file (medians; Fluent Bit's file "
      "output does not fsync either, and wrote a new file; the default json sink fsyncs before its rename). The memory bound: the same pipeline on "
      "`gen_corpus.py --large 8 --large-size 2560K` (8 files, 20 MiB), warm-up and runs as above.")
EOF
  echo
  echo "Wall: the shell's clock around \`/usr/bin/time\`; CPU and peak RSS: \`/usr/bin/time -f '%e %U %S %M'\` (children included: what xargs starts). MB/s = input bytes / median wall (1 MB = 10^6 bytes); lines/s = input lines (\`wc -l\` + final lines without newline) / median wall. vs Fluent Bit = Fluent Bit's time / ringflow's median wall (> 1: ringflow is faster), for the parse-to-JSON rows only, from the issue's published figures on this machine kind (Fluent Bit 5.1.1: 39 s for the 2 GiB corpus, 15 s for the 20,000-file corpus; not re-measured here)."
  echo
  echo "Run started $START_DATE, finished $(date '+%Y-%m-%d %H:%M:%S %z'); kernel $(uname -r); nproc $(nproc); load average at start $START_LOAD, at end $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$RESULTS_FILE"
note "tables also written to $RESULTS_FILE"

#!/usr/bin/env bash
# run_bench.sh: compares `ringflow checksum` with its peers (xxhsum, cat, a read() loop, fio)
# on a small-file and a large-file corpus, with a warm and a cold page cache, in one run with
# interleaved commands, and prints one markdown table per corpus and cache state.
# Usage: bash bench/run_bench.sh [--small DIR] [--large DIR] [--runs N] [--no-cold] [--build DIR]
#        (bash bench/run_bench.sh --help for all options)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run_bench.sh [options]

Builds ringflow (Release), makes the corpora, checks that `ringflow checksum` prints the same
lines as `xxhsum -H3` over the sorted file list, then times, interleaved run by run:
  ringflow checksum [RINGFLOW_ARGS] DIR          (the reference: ratio = peer time / this time)
  xargs -d '\n' xxhsum -H3 < LIST
  xargs -d '\n' cat < LIST
  read_loop LIST          (single-thread open/read/close, 128 KiB buffer)
  read_loop -x LIST       (the same plus XXH3 per file)
  large corpus, cold only: ringflow checksum --direct DIR   vs
                           fio io_uring O_DIRECT sequential reads of the same files, with
                           ringflow's request size, reads in flight per file and threads
in a warm page cache (after one untimed warm-up pass) and a cold one (before every cold run:
sync; echo 3 > /proc/sys/vm/drop_caches; sleep 0.5). Reports median wall seconds (min-max),
median CPU seconds (user+sys), median peak RSS, and ratio = peer time / ringflow time
(> 1: ringflow is faster).

options:
  --small DIR            small-file corpus to use as is (default: generate
                         `gen_corpus.py --small 20000` into WORK/small, reused if unchanged)
  --large DIR            large-file corpus to use as is (default: generate
                         `gen_corpus.py --large 8 --large-size 256M` into WORK/large, ~2 GiB)
  --corpora LIST         which corpora to run: small,large (default both)
  --runs N               timed runs per command and cache state, median reported (default 5;
                         fewer than 5 is allowed but flagged in the output)
  --no-cold              skip the cold-cache runs (they need root for drop_caches)
  --build DIR            use this existing build (DIR/apps/ringflow/ringflow, DIR/bench/read_loop)
                         instead of configuring and building build-bench/ in Release
  --ringflow-args "ARGS" extra flags for every `ringflow checksum` (word-split)
  --fio-bs SIZE          fio request size (default: ringflow's --buffer-size if given in
                         --ringflow-args, else 4M, ringflow's O_DIRECT default)
  --fio-depth N          fio iodepth per job (default: ringflow's --reads-per-file, else 4)
  --fio-jobs N           fio jobs, the files dealt round-robin among them, each job reading its
                         files one after another (default: ringflow's --threads/-j, else nproc)
  --work DIR             where generated corpora live (default bench/.corpus)
  --results FILE         also write the tables to FILE (default WORK/results-<date>.md)
  --peers-only           do not build or run ringflow (to test the script; the ratio then
                         uses read_loop as the reference)
  -h, --help             this help

Needs: cmake, a C/C++ toolchain, python3, xxhsum (apt-get install xxhash),
/usr/bin/time (apt-get install time), fio for the O_DIRECT row (apt-get install fio).
File names must not contain newlines.
EOF
}


ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

SMALL_DIR="" LARGE_DIR="" CORPORA="small,large" RUNS=5 COLD=1 BUILD="" RINGFLOW_ARGS=""
FIO_BS="" FIO_DEPTH="" FIO_JOBS="" WORK="$ROOT/bench/.corpus" RESULTS_FILE="" PEERS_ONLY=0
while (($#)); do
  case "$1" in
    --small) SMALL_DIR=${2:?--small needs a directory}; shift 2 ;;
    --large) LARGE_DIR=${2:?--large needs a directory}; shift 2 ;;
    --corpora) CORPORA=${2:?--corpora needs a list}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --no-cold) COLD=0; shift ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --ringflow-args) RINGFLOW_ARGS=${2?--ringflow-args needs a string}; shift 2 ;;
    --fio-bs) FIO_BS=${2:?--fio-bs needs a size}; shift 2 ;;
    --fio-depth) FIO_DEPTH=${2:?--fio-depth needs a number}; shift 2 ;;
    --fio-jobs) FIO_JOBS=${2:?--fio-jobs needs a number}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    --results) RESULTS_FILE=${2:?--results needs a file}; shift 2 ;;
    --peers-only) PEERS_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
DO_SMALL=0 DO_LARGE=0
IFS=, read -ra _corpora <<<"$CORPORA"
for c in "${_corpora[@]}"; do
  case "$c" in small) DO_SMALL=1 ;; large) DO_LARGE=1 ;; *) die "--corpora: unknown corpus '$c'" ;; esac
done
read -ra RF_EXTRA <<<"$RINGFLOW_ARGS"
# fio mirrors ringflow --direct: request size = --buffer-size (4M default with --direct), depth =
# --reads-per-file (default 4), jobs = --threads (default one per CPU), unless set explicitly.
rf_bs=4M rf_depth=4 rf_threads=$(nproc)
for ((k = 0; k < ${#RF_EXTRA[@]}; k++)); do
  a=${RF_EXTRA[k]} v=${RF_EXTRA[k + 1]:-}
  case "$a" in
    --buffer-size) rf_bs=$v ;; --buffer-size=*) rf_bs=${a#*=} ;;
    --reads-per-file) rf_depth=$v ;; --reads-per-file=*) rf_depth=${a#*=} ;;
    --threads|-j) rf_threads=$v ;; --threads=*) rf_threads=${a#*=} ;; -j[0-9]*) rf_threads=${a#-j} ;;
  esac
done
FIO_BS=${FIO_BS:-$rf_bs} FIO_DEPTH=${FIO_DEPTH:-$rf_depth} FIO_JOBS=${FIO_JOBS:-$rf_threads}
[[ $FIO_DEPTH =~ ^[1-9][0-9]*$ ]] || die "fio depth must be a positive integer, not '$FIO_DEPTH'"
[[ $FIO_JOBS =~ ^[1-9][0-9]*$ ]] || die "fio jobs must be a positive integer, not '$FIO_JOBS'"

# ---- tools ----------------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install time"
command -v xxhsum >/dev/null || die "xxhsum is missing: apt-get install xxhash"
command -v python3 >/dev/null || die "python3 is missing"
HAVE_FIO=1
command -v fio >/dev/null || { HAVE_FIO=0; note "fio not found (apt-get install fio): no fio row"; }
if ((COLD)) && [[ ! -w /proc/sys/vm/drop_caches ]]; then
  note "cannot write /proc/sys/vm/drop_caches (not root?): cold runs skipped"
  COLD=0
fi

TMP=$(mktemp -d /tmp/ringflow-bench.XXXXXX)
trap 'rm -rf -- "$TMP"' EXIT
RESULTS=$TMP/results.tsv  # corpus state label run wall user sys maxrss_kib
ORDER=$TMP/order.tsv      # corpus state label, in table order
# fio_parse.py JSON EXPECTED_BYTES -> "wall user sys" from fio's own figures:
# wall = bytes / bandwidth, CPU = (usr% + sys%) x job runtime. Fails if fio read other than all.
cat >"$TMP/fio_parse.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
j = d["jobs"][0]
r = j["read"]
if r["io_bytes"] != int(sys.argv[2]):
    sys.exit(f"fio read {r['io_bytes']} bytes, expected {sys.argv[2]}")
rt = j["job_runtime"] / 1000.0
print(f"{r['io_bytes'] / r['bw_bytes']:.6f} {j['usr_cpu'] * rt / 100:.6f} {j['sys_cpu'] * rt / 100:.6f}")
EOF
: >"$RESULTS"
: >"$ORDER"
mkdir -p "$WORK"
# Generated data only: make the work dir ignore itself so it never lands in a commit.
[[ -e $WORK/.gitignore ]] || echo '*' >"$WORK/.gitignore"
[[ -n $RESULTS_FILE ]] || RESULTS_FILE="$WORK/results-$(date +%Y%m%d-%H%M%S).md"

# ---- build ----------------------------------------------------------------------------------
if [[ -n $BUILD ]]; then
  [[ -d $BUILD ]] || die "--build $BUILD: no such directory"
  BUILD=$(cd "$BUILD" && pwd)
  if [[ ! -x $BUILD/bench/read_loop ]]; then
    note "building read_loop in $BUILD"
    cmake --build "$BUILD" --target read_loop >/dev/null || die "cannot build read_loop in $BUILD"
  fi
else
  BUILD="$ROOT/build-bench"
  note "building ringflow (Release) in $BUILD"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRINGFLOW_BUILD_TESTS=OFF >"$TMP/cmake.log" 2>&1 ||
    { tail -n 30 "$TMP/cmake.log" >&2; die "cmake configure failed"; }
  targets=(--target read_loop)
  ((PEERS_ONLY)) || targets+=(--target ringflow)
  cmake --build "$BUILD" -j "${targets[@]}" >"$TMP/build.log" 2>&1 ||
    { tail -n 30 "$TMP/build.log" >&2; die "build failed"; }
fi
RINGFLOW=$BUILD/apps/ringflow/ringflow
READ_LOOP=$BUILD/bench/read_loop
[[ -x $READ_LOOP ]] || die "$READ_LOOP is missing"
((PEERS_ONLY)) || [[ -x $RINGFLOW ]] || die "$RINGFLOW is missing (or use --peers-only)"

# ---- corpora --------------------------------------------------------------------------------
GEN="$ROOT/tests/testing/gen_corpus.py"
if ((DO_SMALL)) && [[ -z $SMALL_DIR ]]; then ensure_corpus small --small 20000; SMALL_DIR=$WORK/small; fi
if ((DO_LARGE)) && [[ -z $LARGE_DIR ]]; then ensure_corpus large --large 8 --large-size 256M; LARGE_DIR=$WORK/large; fi

# ---- timing ---------------------------------------------------------------------------------
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; sleep 0.5; }

# run_timed CORPUS STATE RUN LABEL CMD...: one timed run, one row into $RESULTS.
# Wall time comes from bash's $EPOCHREALTIME (µs; %e has only 10 ms), CPU and peak RSS from
# /usr/bin/time -f '%e %U %S %M' (user+sys include every child, e.g. what xargs starts).
run_timed() {
  local corpus=$1 state=$2 run=$3 label=$4; shift 4
  local e u s m
  time_command "$label ($corpus, $state, run $run)" "$@"
  e=$T_WALL u=$T_USER s=$T_SYS m=$T_RSS
  if [[ $label == fio* ]]; then
    # fio's own figures: wall = bytes / bandwidth, CPU = (usr% + sys%) x job runtime.
    read -r e u s < <(python3 "$TMP/fio_parse.py" "$TMP/fio.json" "$EXPECT_BYTES") ||
      die "fio output check failed"
    [[ -n $s ]] || die "fio output check failed: $(head -c 300 "$TMP/fio.json")"
    rm -f -- "$TMP/fio.json"
    # The same run by the shell's clock, start-up and file set-up included, like ringflow's rows.
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$state" "$label (wall, with start-up)" "$run" \
      "$T_WALL" "$u" "$s" "$m" >>"$RESULTS"
  else
    if [[ $label == "ringflow checksum --direct" ]]; then
      # Like fio's bandwidth figure: the time the readers spent reading (the slowest thread),
      # without start-up, walk and buffer set-up.
      local phase
      phase=$(sed -n 's/^ringflow: thread .* \([0-9.]*\) s$/\1/p' "$TMP/cmd.err" | sort -n | tail -n 1)
      [[ -n $phase ]] || die "ringflow --stats printed no thread time"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$state" "$label (read phase)" "$run" \
        "$phase" "$u" "$s" "$m" >>"$RESULTS"
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$state" "$label" "$run" "$e" "$u" "$s" "$m" >>"$RESULTS"
}

# Commands: LABELS[i] is shown in the table, CMDS[i] is the command (printf %q-quoted, eval'd).
LABELS=() CMDS=()
add_cmd() { local label=$1; shift; LABELS+=("$label"); CMDS+=("$(printf '%q ' "$@")"); }

# run_suite CORPUS STATE: RUNS rounds; each round runs every command once, in an order shuffled
# anew each round (fixed seed, so reruns use the same orders): in the cold state the guest memory
# state depends on what ran just before, so no command should always follow the same one.
RANDOM=4242
run_suite() {
  local corpus=$1 state=$2 n=${#LABELS[@]} r k i
  for ((k = 0; k < n; k++)); do printf '%s\t%s\t%s\n' "$corpus" "$state" "${LABELS[k]}" >>"$ORDER"; done
  for ((r = 0; r < RUNS; r++)); do
    shuffle_indexes "$n"
    for i in "${SHUFFLED[@]}"; do
      if [[ $state == cold ]]; then drop_caches; fi
      eval "run_timed \"\$corpus\" \"\$state\" $((r + 1)) \"\${LABELS[i]}\" ${CMDS[i]}"
    done
  done
}

# verify_checksums DIR LIST [RINGFLOW-FLAGS...]: ringflow's output must equal xxhsum -H3's.
verify_checksums() {
  local dir=$1 list=$2; shift 2
  local what; what=$(echo "ringflow checksum ${RF_EXTRA[*]} $* $dir" | tr -s ' ')
  # ringflow reads every file under DIR, MANIFEST.tsv too; the peers' list leaves it out.
  "$RINGFLOW" checksum "${RF_EXTRA[@]}" "$@" "$dir" 2>"$TMP/rf.err" |
    awk -v skip="XXH3 ($dir/MANIFEST.tsv) = " 'index($0, skip) != 1' >"$TMP/rf.out" ||
    { tail -n 20 "$TMP/rf.err" >&2; die "$what failed"; }
  if ! cmp -s "$TMP/ref.out" "$TMP/rf.out"; then
    echo "---- diff xxhsum ringflow (first 20 lines) ----" >&2
    diff "$TMP/ref.out" "$TMP/rf.out" | head -n 20 >&2 || true
    if cmp -s <(LC_ALL=C sort "$TMP/ref.out") <(LC_ALL=C sort "$TMP/rf.out"); then
      die "$what: same lines as xxhsum -H3 but in another order"
    fi
    die "$what differs from xxhsum -H3 ($(wc -l <"$TMP/rf.out") vs $(wc -l <"$TMP/ref.out") lines)"
  fi
  note "ok: $what matches xxhsum -H3 ($(wc -l <"$TMP/ref.out") files)"
}

# ---- per corpus -----------------------------------------------------------------------------
bench_corpus() {
  local corpus=$1 dir=$2
  [[ -d $dir ]] || die "$corpus corpus: $dir is not a directory"
  [[ $dir == / ]] || dir=${dir%/}
  local list="$TMP/$corpus.list"
  find -L "$dir" -type f ! -name MANIFEST.tsv | LC_ALL=C sort >"$list"
  local nfiles; nfiles=$(wc -l <"$list")
  ((nfiles > 0)) || die "$corpus corpus: no files in $dir"
  EXPECT_BYTES=$(xargs -d '\n' -a "$list" stat -L -c %s | awk '{ s += $1 } END { printf "%.0f", s }')
  note "$corpus corpus: $dir, $nfiles files, $EXPECT_BYTES bytes"

  # Correctness first, once per corpus: every checksum-producing command against xxhsum -H3.
  xargs -d '\n' -a "$list" xxhsum -H3 >"$TMP/ref.out" 2>"$TMP/xxh.err" ||
    { tail -n 20 "$TMP/xxh.err" >&2; die "xxhsum -H3 failed on $dir"; }
  "$READ_LOOP" -x "$list" >"$TMP/rl.out" 2>/dev/null || die "read_loop -x failed on $dir"
  cmp -s "$TMP/ref.out" "$TMP/rl.out" || die "read_loop -x output differs from xxhsum -H3"
  if ((!PEERS_ONLY)); then
    verify_checksums "$dir" "$list"
    [[ $corpus == large ]] && ((COLD)) && verify_checksums "$dir" "$list" --direct
  fi

  LABELS=() CMDS=()
  ((PEERS_ONLY)) || add_cmd "ringflow checksum" "$RINGFLOW" checksum "${RF_EXTRA[@]}" "$dir"
  add_cmd "xargs xxhsum -H3" xargs -d '\n' -a "$list" xxhsum -H3
  add_cmd "xargs cat" xargs -d '\n' -a "$list" cat
  add_cmd "read_loop" "$READ_LOOP" "$list"
  add_cmd "read_loop -x" "$READ_LOOP" -x "$list"

  # Warm: one untimed pass of every command first (fills the page cache, faults in binaries).
  note "$corpus/warm: warm-up pass, then $RUNS interleaved runs"
  local i
  for i in "${!CMDS[@]}"; do eval "${CMDS[i]}" </dev/null >/dev/null 2>&1 || die "warm-up of '${LABELS[i]}' failed"; done
  run_suite "$corpus" warm

  if ((COLD)); then
    if [[ $corpus == large ]]; then
      # --stats prints each reader thread's reading time: the "(read phase)" row below.
      ((PEERS_ONLY)) || add_cmd "ringflow checksum --direct" "$RINGFLOW" checksum "${RF_EXTRA[@]}" --direct --stats "$dir"
      if ((HAVE_FIO)); then
        # FIO_JOBS jobs (at most one per file), the files dealt round-robin; each job reads
        # its files one after another (file_service_type=sequential), each from start to end,
        # O_DIRECT, FIO_BS requests, FIO_DEPTH in flight; group_reporting sums the jobs.
        local jobs=$((FIO_JOBS < nfiles ? FIO_JOBS : nfiles)) j fio_args
        fio_args=(fio --ioengine=io_uring --direct=1 --rw=read --bs="$FIO_BS" --iodepth="$FIO_DEPTH"
          --file_service_type=sequential --readonly --group_reporting --output-format=json
          --output="$TMP/fio.json")
        for ((j = 0; j < jobs; j++)); do
          fio_args+=(--name="seq$j" --filename="$(awk -v j="$j" -v n="$jobs" '(NR - 1) % n == j' "$list" |
            sed 's/:/\\:/g' | paste -sd: -)")
        done
        add_cmd "fio io_uring --direct bs=$FIO_BS iodepth=$FIO_DEPTH jobs=$jobs" "${fio_args[@]}"
      fi
    fi
    note "$corpus/cold: $RUNS interleaved runs, each after sync + drop_caches + 0.5 s"
    run_suite "$corpus" cold
  fi
}

start_timing
((DO_SMALL)) && bench_corpus small "$SMALL_DIR"
((DO_LARGE)) && bench_corpus large "$LARGE_DIR"

# ---- report ---------------------------------------------------------------------------------
{
  echo "# ringflow vs peers: \`ringflow checksum\` against xxhsum, cat, a read() loop and fio"
  echo
  echo "Build: \`$BUILD\` (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)); ringflow args: \`${RINGFLOW_ARGS:-none}\`; runs: $RUNS per command and state$( ((RUNS < 5)) && echo " (**fewer than 5: indicative only**)")."
  echo "Outputs checked before timing: \`ringflow checksum\` (and \`--direct\` for the large corpus) and \`read_loop -x\` print exactly the lines of \`xxhsum -H3\` over the sorted file list (\`find -L DIR -type f ! -name MANIFEST.tsv | LC_ALL=C sort\`). \`ringflow checksum DIR\` also hashes DIR/MANIFEST.tsv, which the peers skip (its line is dropped before the comparison; it is ~0.5% of the small corpus's bytes, ~0% of the large one's). ringflow runs with its defaults (threads = one per CPU = $(nproc)) plus the args above; the peers are single-threaded."
  echo
  echo "Cache states: **warm** = page cache filled by one untimed pass of every command. "
  if ((COLD)); then
    echo "**cold** = \`sync; echo 3 > /proc/sys/vm/drop_caches; sleep 0.5\` before every timed run: the \`cold\` state of shared/research/io_uring_perf.md §2 (drop caches, 0.5 s). It is the state a freshly started reader meets; on this VM new page-cache pages may need host page faults (free page reporting), so cold times are bimodal and depend on what ran before: hence medians, with min–max, and the command order shuffled in each round."
  else
    echo "Cold runs were skipped (--no-cold, or no permission to drop caches)."
  fi
  echo
  python3 - "$RESULTS" "$PEERS_ONLY" "$ORDER" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
peers_only = sys.argv[2] == "1"
groups = {}
for corpus, state, label in (l.rstrip("\n").split("\t") for l in open(sys.argv[3]) if l.strip()):
    groups.setdefault((corpus, state), {}).setdefault(label, [])
for corpus, state, label, run, e, u, s, m in rows:
    groups.setdefault((corpus, state), {}).setdefault(label, []).append((float(e), float(u) + float(s), int(m)))
for (corpus, state), cmds in groups.items():
    med = {k: statistics.median(x[0] for x in v) for k, v in cmds.items()}
    base = "read_loop" if peers_only else "ringflow checksum"
    print(f"### {corpus} corpus, {state} page cache (n={len(next(iter(cmds.values())))})\n")
    print("| command | wall s, median (min–max) | CPU s (user+sys) | peak RSS MiB | ratio (peer / ref) |")
    print("|---|---|---|---|---|")
    for label, v in cmds.items():
        walls = [x[0] for x in v]
        cpu = statistics.median(x[1] for x in v)
        rss = statistics.median(x[2] for x in v) / 1024
        direct = "ringflow checksum --direct"
        if label.startswith("fio") and label.endswith("(wall, with start-up)"):
            ref = direct  # both by the shell's clock
        elif label.startswith("fio"):
            ref = direct + " (read phase)"  # both without start-up
        else:
            ref = base
        if label in (base, direct, direct + " (read phase)"):
            ratio = "ref"
        elif ref in med and med[ref] > 0:
            ratio = f"{med[label] / med[ref]:.2f}" + ("" if ref == base else " vs " + ref[len("ringflow checksum "):])
        else:
            ratio = "–"
        print(f"| `{label}` | {med[label]:.3f} ({min(walls):.3f}–{max(walls):.3f}) | {cpu:.3f} | {rss:.1f} | {ratio} |")
    print()
EOF
  echo "Wall: the shell's clock around \`/usr/bin/time\`; CPU and RSS: \`/usr/bin/time -f '%e %U %S %M'\` (children included)."
  if grep -q $'\tfio' "$RESULTS"; then
    echo "fio rows: wall = bytes read / fio's bandwidth (compared with ringflow's read phase: the slowest reader thread's time from \`--stats\`, without process start-up, walk and buffer set-up), and the same run by the shell's clock (compared with ringflow's wall); CPU = fio's usr+sys share of its job runtime, RSS from /usr/bin/time; fio mirrors \`ringflow checksum --direct\`: $FIO_BS requests, iodepth $FIO_DEPTH per job, up to $FIO_JOBS jobs, files dealt round-robin, each job reading its files in turn."
  fi
  echo
  echo "Run started $START_DATE, finished $(date '+%Y-%m-%d %H:%M:%S %z'); kernel $(uname -r); nproc $(nproc); load average at start $START_LOAD, at end $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$RESULTS_FILE"
note "tables also written to $RESULTS_FILE"

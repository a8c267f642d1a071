#!/usr/bin/env bash
# run_detect_bench.sh: what format detection (`--format auto`, the default) adds to the
# 20,000-file replay: each format's share of the corpus replayed with `--format auto` and with
# its format named, interleaved run by run; prints a markdown table and the issue's target.
# Usage: bash bench/run_detect_bench.sh [--runs N] [--build DIR] [--work DIR]
#        (--help for all options)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run_detect_bench.sh [options]

Uses the small corpus (gen_corpus.py --small 20000: 20,000 files of 1-16 KiB, about 160 MiB,
in WORK/small, reused as bench/run_bench.sh and bench/run_pipeline_bench.sh do). Its files
lie in one directory per format (access/, json/, syslog/), so each directory can be replayed
with the format named: the same files and bytes, without detection.

Checked once before timing (abort on mismatch): per directory, the replay with --format auto
writes the same bytes (cmp) as the replay with the format named, so detection chose that
format for every file.

Then two measurements:

1. The whole run. --runs rounds; in each, the directories in a new shuffled order, and per
   directory D the pair
     ringflow replay -q WORK/small/D --format auto --out /dev/null
     ringflow replay -q WORK/small/D --format D    --out /dev/null
   back to back (which goes first drawn at random), each after reading its input whole
   (cat > /dev/null), so that every run reads from a warm page cache. CPU time (user+sys) comes
   from wait4 (microseconds; /usr/bin/time has only 10 ms). Reports per directory the median wall
   and CPU seconds of each mode; for the total, what auto adds as the median over rounds of the
   round's paired difference (sum over the directories of auto minus named, over the sum of
   named), with a 95% bootstrap interval: a pair run back to back shares the machine's load of
   the moment, which the difference of two medians does not cancel.
2. Detection alone, in one process: parse_bench --tree D=WORK/small/D times the parse stage
   with the format named and with auto on every file of the directory as one batch (each file
   detected, as here), interleaved --runs times. Its per-file difference times the files, over
   the whole run's CPU time from part 1, is detection's share of the run without the noise of
   whole processes.

Both are held against the issue's target: format detection adds under 1 % to the 20,000-file
run.

options:
  --runs N        timed rounds, median reported (default 15)
  --build DIR     use DIR/apps/ringflow/ringflow and DIR/bench/parse_bench (default
                  build-release, built with ninja only when missing); both are copied to a
                  temporary directory for the run
  --work DIR      where the corpus lives (default bench/.corpus)
  -h, --help      this help

Needs: python3, cmp.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

RUNS=15 BUILD="$ROOT/build-release" WORK="$ROOT/bench/.corpus"
while (($#)); do
  case "$1" in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
for tool in python3 cmp; do
  command -v "$tool" >/dev/null || die "required tool not found: $tool"
done

BUILT="$BUILD/apps/ringflow/ringflow"
BUILT_PARSE="$BUILD/bench/parse_bench"
if [[ ! -x $BUILT || ! -x $BUILT_PARSE ]]; then
  note "building ringflow and parse_bench in $BUILD"
  ninja -C "$BUILD" ringflow parse_bench >&2 || die "cannot build in $BUILD"
fi
TMP=$(mktemp -d /tmp/ringflow-detect-bench.XXXXXX)
trap 'rm -rf -- "$TMP"' EXIT
RINGFLOW=$TMP/ringflow
PARSE_BENCH=$TMP/parse_bench
cp -- "$BUILT" "$RINGFLOW"
cp -- "$BUILT_PARSE" "$PARSE_BENCH"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
[[ -e $WORK/.gitignore ]] || echo '*' >"$WORK/.gitignore"

# shellcheck disable=SC2034  # GEN: the generator ensure_corpus runs
GEN="$ROOT/tests/testing/gen_corpus.py"
ensure_corpus small --small 20000
DIRS=(access json syslog)

note "checking that auto chooses each directory's format for every file"
for d in "${DIRS[@]}"; do
  [[ -d $WORK/small/$d ]] || die "$WORK/small/$d is missing"
  "$RINGFLOW" replay -q "$WORK/small/$d" --format auto --out "$TMP/auto.ndjson" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; die "replay --format auto of $d failed"; }
  "$RINGFLOW" replay -q "$WORK/small/$d" --format "$d" --out "$TMP/named.ndjson" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; die "replay --format $d of $d failed"; }
  cmp -s "$TMP/auto.ndjson" "$TMP/named.ndjson" ||
    die "$d: --format auto writes other records than --format $d"
done
rm -f "$TMP/auto.ndjson" "$TMP/named.ndjson"

note "timing $RUNS rounds (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$RINGFLOW" "$PARSE_BENCH" "$WORK/small" "$RUNS" "${DIRS[@]}" <<'PY'
import os, random, statistics, subprocess, sys, time

ringflow, parse_bench, root, runs, dirs = (sys.argv[1], sys.argv[2], sys.argv[3],
                                           int(sys.argv[4]), sys.argv[5:])
files = {d: [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(root, d)) for f in fs]
         for d in dirs}
rng = random.Random(1)

def run(d, mode):
    for path in files[d]:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass
    t0 = time.perf_counter()
    p = subprocess.Popen([ringflow, "replay", "-q", os.path.join(root, d), "--format", mode,
                          "--out", "/dev/null"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"replay {d} --format {mode} failed (status {status})")
    return wall, ru.ru_utime + ru.ru_stime

rounds = []  # per round: {(dir, auto): (wall, cpu)}
for _ in range(runs):
    order = list(dirs)
    rng.shuffle(order)
    got = {}
    for d in order:
        modes = [("auto", True), (d, False)]
        rng.shuffle(modes)
        for mode, auto in modes:
            got[(d, auto)] = run(d, mode)
    rounds.append(got)

def med(d, auto, k):
    return statistics.median(r[(d, auto)][k] for r in rounds)

print("| directory | files | named: wall s | auto: wall s | named: CPU s | auto: CPU s |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
tot = [0.0, 0.0, 0.0, 0.0]
for d in dirs:
    row = [med(d, False, 0), med(d, True, 0), med(d, False, 1), med(d, True, 1)]
    tot = [a + b for a, b in zip(tot, row)]
    print(f"| {d} | {len(files[d])} | " + " | ".join(f"{x:.4f}" for x in row) + " |")
print(f"| total | {sum(len(v) for v in files.values())} | " +
      " | ".join(f"{x:.4f}" for x in tot) + " |")

# A round's paired difference: what auto adds to the named runs of the same round, in percent.
def paired(k, sample):
    return statistics.median(
        100 * (sum(r[(d, True)][k] for d in dirs) / sum(r[(d, False)][k] for d in dirs) - 1)
        for r in sample)

def interval(k):
    boot = random.Random(2)
    est = sorted(paired(k, [boot.choice(rounds) for _ in rounds]) for _ in range(2000))
    return est[int(0.025 * len(est))], est[int(0.975 * len(est)) - 1]

wall_add, cpu_add = paired(0, rounds), paired(1, rounds)
(wl, wh), (cl, ch) = interval(0), interval(1)
print()
print(f"whole run: auto adds {wall_add:+.2f}% wall (95% interval {wl:+.2f} to {wh:+.2f}) and "
      f"{cpu_add:+.2f}% CPU ({cl:+.2f} to {ch:+.2f}), median of {runs} rounds' paired differences")

# Detection alone, in one process, against the whole run's CPU time.
out = subprocess.run([parse_bench, "--runs", str(runs)] +
                     [a for d in dirs for a in ("--tree", f"{d}={os.path.join(root, d)}")],
                     check=True, capture_output=True, text=True).stdout
added_s = 0.0
for line in out.splitlines():
    cells = line.split("\t")
    if len(cells) < 6 or cells[0] != "tree":
        continue
    if cells[6:] and cells[6]:
        sys.exit(f"parse_bench: {cells[1]}: {cells[6]}")
    us = float(cells[5].split()[2])
    added_s += us * 1e-6 * len(files[cells[1]])
    print(f"detection alone, {cells[1]}: {us:.3f} us per file (parse stage {cells[3]}, {cells[4]})")
share = 100 * added_s / tot[2]
print(f"detection alone: {added_s * 1e3:.1f} ms for the {sum(len(v) for v in files.values())} "
      f"files = {share:.2f}% of the named runs' CPU ({tot[2]:.3f} s)")
print()
worst = max(cpu_add, wall_add)
print(f"target (format detection adds under 1% to the 20,000-file run): "
      f"{'met' if share < 1 and worst < 1 else 'NOT met'} "
      f"(detection alone {share:.2f}% of the CPU; whole run {worst:+.2f}% at the median)")
PY

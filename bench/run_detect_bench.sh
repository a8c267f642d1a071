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

Then times, interleaved in a new shuffled order each round, --runs rounds of, per directory D:
  ringflow replay -q WORK/small/D --format auto --out /dev/null
  ringflow replay -q WORK/small/D --format D    --out /dev/null
each after reading its input whole (cat > /dev/null), so that every run reads from a warm page
cache. CPU time (user+sys) comes from wait4 (microseconds; /usr/bin/time has only 10 ms).

Reports per directory and in total (the sum of the directories' medians): median wall and CPU
seconds of each mode, and what auto adds to the total, against the issue's target (format
detection adds under 1 % to the 20,000-file run).

options:
  --runs N        timed rounds, median reported (default 15)
  --build DIR     use DIR/apps/ringflow/ringflow (default build-release, built with ninja only
                  when missing); the binary is copied to a temporary directory for the run
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
if [[ ! -x $BUILT ]]; then
  note "building $BUILT"
  ninja -C "$BUILD" ringflow >&2 || die "cannot build $BUILT"
fi
TMP=$(mktemp -d /tmp/ringflow-detect-bench.XXXXXX)
trap 'rm -rf -- "$TMP"' EXIT
RINGFLOW=$TMP/ringflow
cp -- "$BUILT" "$RINGFLOW"
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
python3 - "$RINGFLOW" "$WORK/small" "$RUNS" "${DIRS[@]}" <<'PY'
import os, random, statistics, subprocess, sys, time

ringflow, root, runs, dirs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
files = {d: [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(root, d)) for f in fs]
         for d in dirs}
rng = random.Random(1)
times = {}  # (dir, mode) -> [(wall, cpu)]
for _ in range(runs):
    jobs = [(d, mode) for d in dirs for mode in ("auto", d)]
    rng.shuffle(jobs)
    for d, mode in jobs:
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
        times.setdefault((d, mode == "auto"), []).append((wall, ru.ru_utime + ru.ru_stime))

def med(d, auto, k):
    return statistics.median(x[k] for x in times[(d, auto)])

print(f"| directory | files | named: wall s | auto: wall s | named: CPU s | auto: CPU s |")
print(f"| --- | ---: | ---: | ---: | ---: | ---: |")
tot = [0.0, 0.0, 0.0, 0.0]
for d in dirs:
    row = [med(d, False, 0), med(d, True, 0), med(d, False, 1), med(d, True, 1)]
    tot = [a + b for a, b in zip(tot, row)]
    print(f"| {d} | {len(files[d])} | " + " | ".join(f"{x:.4f}" for x in row) + " |")
print(f"| total | {sum(len(v) for v in files.values())} | " +
      " | ".join(f"{x:.4f}" for x in tot) + " |")
wall_add = 100 * (tot[1] / tot[0] - 1)
cpu_add = 100 * (tot[3] / tot[2] - 1)
print()
print(f"auto adds {wall_add:+.2f}% wall and {cpu_add:+.2f}% CPU to the 20,000-file replay "
      f"(medians of {runs} rounds; target: under 1%: {'met' if max(wall_add, cpu_add) < 1 else 'NOT met'})")
PY

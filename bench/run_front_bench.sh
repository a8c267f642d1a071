#!/usr/bin/env bash
# run_front_bench.sh: random 4 KiB reads of one 1 GiB file through the engine's many-producer
# front (bench/front_bench.cc: one I/O thread, 4 producers sharing 32 reads in flight) beside
# fio's io_uring engine at the same depth, interleaved run by run, and prints a markdown table.
# Usage: bash bench/run_front_bench.sh [options]   (--help for all)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run_front_bench.sh [options]

Times, interleaved in a new random order each round, for --seconds each:
  front_bench --file F --producers P --iodepth D             (the front; ratio = front / fio)
  fio --ioengine=io_uring --rw=randread --bs=4k --iodepth=D --invalidate=0 on F
and, unless --no-direct, the same two with O_DIRECT (front_bench --direct, fio --direct=1).
Buffered rows: the file is read whole (cat > /dev/null) before every timed run, so both read
from the page cache (fio's --invalidate=0 keeps it there). Reports median IOPS (min-max) over
--runs rounds, reads per CPU-second (user + sys of the whole process), and the ratios of the
front's medians to fio's.

options:
  --file PATH      the file to read (default: WORK/front-1g.dat, 1 GiB of random bytes, made
                   once and reused while its size is right)
  --runs N         rounds (default 5)
  --seconds S      length of each timed run (default 5)
  --producers N    producer threads of front_bench (default 4)
  --iodepth N      reads in flight, for both (default 32; front_bench divides it among producers)
  --no-direct      skip the O_DIRECT rows
  --build DIR      use DIR/bench/front_bench as it is (built there only if missing) instead
                   of configuring and building build-bench/ in Release
  --work DIR       where the default file lives (default bench/.corpus)
  -h, --help       this help

Needs: cmake, a C++ toolchain, fio (apt-get install fio), /usr/bin/time (apt-get install time).
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

FILE="" RUNS=5 SECONDS_EACH=5 PRODUCERS=4 IODEPTH=32 DIRECT=1 BUILD="" WORK="$ROOT/bench/.corpus"
while (($#)); do
  case "$1" in
    --file) FILE=${2:?--file needs a path}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --seconds) SECONDS_EACH=${2:?--seconds needs a number}; shift 2 ;;
    --producers) PRODUCERS=${2:?--producers needs a number}; shift 2 ;;
    --iodepth) IODEPTH=${2:?--iodepth needs a number}; shift 2 ;;
    --no-direct) DIRECT=0; shift ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
for n in RUNS PRODUCERS IODEPTH; do
  [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "--${n,,} must be a positive integer, not '${!n}'"
done
[[ $SECONDS_EACH =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--seconds must be a number, not '$SECONDS_EACH'"
command -v fio >/dev/null || die "fio not found (apt-get install fio)"

TMP=$(mktemp -d)
trap 'rm -rf -- "$TMP"' EXIT

# ---- build ----------------------------------------------------------------------------------
if [[ -n $BUILD ]]; then
  [[ -d $BUILD ]] || die "--build $BUILD: no such directory"
else
  BUILD="$ROOT/build-bench"
  note "configuring $BUILD (Release)"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRINGFLOW_BUILD_TESTS=OFF >"$TMP/cmake.log" 2>&1 ||
    { tail -n 30 "$TMP/cmake.log" >&2; die "cmake configure failed"; }
fi
BENCH="$BUILD/bench/front_bench"
if [[ $BUILD == "$ROOT/build-bench" || ! -x $BENCH ]]; then
  note "building front_bench in $BUILD"
  cmake --build "$BUILD" --target front_bench >"$TMP/build.log" 2>&1 ||
    { tail -n 30 "$TMP/build.log" >&2; die "cannot build front_bench in $BUILD"; }
fi

# ---- the file -------------------------------------------------------------------------------
if [[ -z $FILE ]]; then
  mkdir -p -- "$WORK"
  FILE="$WORK/front-1g.dat"
  if [[ ! -f $FILE || $(stat -c %s -- "$FILE") != 1073741824 ]]; then
    note "writing $FILE (1 GiB of random bytes)"
    head -c 1G /dev/urandom >"$FILE.tmp" && mv -- "$FILE.tmp" "$FILE"
  fi
fi
[[ -f $FILE ]] || die "$FILE: not a regular file"
SIZE=$(stat -c %s -- "$FILE")
((SIZE >= 4096)) || die "$FILE: smaller than one 4 KiB block"

# ---- the commands ---------------------------------------------------------------------------
LABELS=() CMDS=()
add_cmd() {  # add_cmd LABEL CMD...: the command as one string, words quoted for eval
  LABELS+=("$1"); shift
  CMDS+=("$(printf '%q ' "$@")")
}
FIO=(fio --name=randread --filename="$FILE" --ioengine=io_uring --rw=randread --bs=4k
  --iodepth="$IODEPTH" --size="$SIZE" --time_based --runtime="$SECONDS_EACH"
  --output-format=terse --terse-version=3)
FRONT=("$BENCH" --file "$FILE" --producers "$PRODUCERS" --iodepth "$IODEPTH"
  --seconds "$SECONDS_EACH")
add_cmd "front, page cache" "${FRONT[@]}"
add_cmd "fio, page cache" "${FIO[@]}" --invalidate=0
if ((DIRECT)); then
  add_cmd "front, O_DIRECT" "${FRONT[@]}" --direct
  add_cmd "fio, O_DIRECT" "${FIO[@]}" --direct=1
fi

# run_one I: runs command I and appends "LABEL<TAB>IOPS<TAB>READS<TAB>CPU-SECONDS" to
# TMP/results.tsv (CPU = user + sys of the whole process, from /usr/bin/time).
run_one() {
  local i=$1 label=${LABELS[$1]} iops reads user sys
  # Buffered rows read from a warm page cache: the whole file is read just before.
  [[ $label == *"page cache"* ]] && cat -- "$FILE" >/dev/null
  if ! eval /usr/bin/time -f "'%U %S'" -o "$TMP/time.out" "${CMDS[i]}" >"$TMP/out" 2>"$TMP/err" </dev/null; then
    tail -n 20 "$TMP/err" >&2
    die "'$label' failed: ${CMDS[i]}"
  fi
  if [[ $label == fio* ]]; then
    # Terse v3: field 5 is the error code, 6 the KiB read, 8 the read IOPS.
    read -r iops reads < <(awk -F';' 'NR == 1 && $5 == 0 { print $8, int($6 / 4) }' "$TMP/out")
  else
    read -r iops reads < <(sed -n 's/^iops=\([0-9]*\) reads=\([0-9]*\) .*/\1 \2/p' "$TMP/out")
  fi
  [[ ${iops:-} =~ ^[0-9]+$ && ${reads:-} =~ ^[0-9]+$ ]] ||
    die "'$label': no IOPS in its output: $(head -c 300 "$TMP/out")"
  read -r user sys < <(tail -n 1 "$TMP/time.out")
  printf '%s\t%s\t%s\t%s\n' "$label" "$iops" "$reads" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$TMP/results.tsv"
  note "round $round: $label: $iops IOPS"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/results.tsv"
for ((round = 1; round <= RUNS; round++)); do
  shuffle_indexes "${#LABELS[@]}"
  for i in "${SHUFFLED[@]}"; do run_one "$i"; done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ------------------------------------------------------------------------------
echo "# The engine's front vs fio: random ${IODEPTH} x 4 KiB reads in flight, $(basename -- "$FILE") ($((SIZE >> 20)) MiB)"
echo
echo "$(nproc) CPUs, kernel $(uname -r), fio $(fio --version | sed 's/^fio-//'); $RUNS rounds of ${SECONDS_EACH} s, commands interleaved in a new random order each round; load average $LOAD_BEFORE before, $LOAD_AFTER after (other work on the machine takes CPU from both, and more from fio's one thread than from the front's five threads: compare the reads per CPU-second too)."
echo "front: \`front_bench --producers $PRODUCERS --iodepth $IODEPTH\` (one I/O thread, $PRODUCERS producers, $((IODEPTH / PRODUCERS)) reads in flight each, registered buffers); fio: one job, \`--ioengine=io_uring --rw=randread --bs=4k --iodepth=$IODEPTH\` (defaults otherwise). CPU = user + sys of the whole process."
echo
python3 - "$TMP/results.tsv" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, iops, reads, cpu = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((int(iops), int(reads) / max(float(cpu), 0.01)))
print("| command | IOPS, median (min–max) | front / fio | reads per CPU-second, median | front / fio |")
print("| --- | ---: | ---: | ---: | ---: |")
for label in sorted(rows, key=lambda l: (l.split(", ")[1], l)):
    v = rows[label]
    iops = [x[0] for x in v]
    med, med_eff = statistics.median(iops), statistics.median(x[1] for x in v)
    ratio = ratio_eff = ""
    peer = rows.get(label.replace("front", "fio", 1)) if label.startswith("front") else None
    if peer:
        ratio = f"{med / statistics.median(x[0] for x in peer):.2f}x"
        ratio_eff = f"{med_eff / statistics.median(x[1] for x in peer):.2f}x"
    print(f"| {label} | {med:,.0f} ({min(iops):,}–{max(iops):,}) | {ratio} | {med_eff:,.0f} | {ratio_eff} |")
EOF

#!/usr/bin/env bash
# run_compressed_bench.sh: `ringflow replay` of the 2 GiB corpus as it is, and of copies of it
# compressed with `gzip -6`, `zstd -3` and `lz4` (decoded in place), to a file and to
# /dev/null, beside zcat, zstdcat and lz4cat (and pigz -dc, if installed) of the same compressed
# files to /dev/null, interleaved run by run; prints a markdown table and the issue's speed
# targets for compressed input.
# Usage: bash bench/run_compressed_bench.sh [--runs N] [--build DIR] [--work DIR]
#        [--results FILE]   (--help for all options)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/run_compressed_bench.sh [options]

Makes the large corpus (gen_corpus.py --large 8 --large-size 256M: 8 files, 2 GiB, in
WORK/large, reused as bench/run_pipeline_bench.sh does) and two copies of it beside it, the
same tree with every file compressed and named NAME.gz / NAME.zst / NAME.lz4 (MANIFEST.tsv
left out):
  WORK/large-gz6    gzip -6      (files compressed two at a time)
  WORK/large-zst3   zstd -3 -T0
  WORK/large-lz4    lz4 -1       (lz4's default level; files compressed two at a time)
each made once and reused while its stamp (WORK/large-gz6.stamp, ...: the source corpus's
stamp, the compressor's version and level, every file's size) matches.

Checked once before timing (abort on mismatch): every `ringflow replay` below writes the same
bytes (cmp) as the replay of the uncompressed corpus to a file, whose summary (--stats-json)
reads 8 files, none skipped, the corpus's bytes and lines (MANIFEST.tsv); zcat, zstdcat,
lz4cat (and pigz -dc) of the copies give the corpus's files concatenated (cmp); the
read+lines runs' summaries count every file and line.

Then times, interleaved in a new shuffled order each round (fixed seed), --runs rounds of:
  ringflow replay -q --exclude '*/MANIFEST.tsv*' WORK/large      --out FILE   (uncompressed)
  ringflow replay -q --exclude '*/MANIFEST.tsv*' WORK/large-gz6  --out FILE   (.gz)
  ringflow replay -q --exclude '*/MANIFEST.tsv*' WORK/large-zst3 --out FILE   (.zst)
  ringflow replay -q --exclude '*/MANIFEST.tsv*' DIR > /dev/null   (DIR: each of the four trees;
                    the JSON made and written as above, to /dev/null as the decoders' is)
  find WORK/large-gz6  -name '*.gz'  | sort | xargs zcat       > /dev/null
  find WORK/large-zst3 -name '*.zst' | sort | xargs zstdcat    > /dev/null
  find WORK/large-lz4  -name '*.lz4' | sort | xargs lz4cat     > /dev/null
  find WORK/large-gz6  -name '*.gz'  | sort | xargs pigz -dc   > /dev/null  (if installed)
  ringflow run DOC, DOC: each of the four trees -> lines -> null sink (reading, decoding and
                    line splitting only, no parse or JSON: the decoder beside zcat and zstdcat)
FILE is WORK/compressed-bench.ndjson (same file system as the corpus), a new file each run:
ringflow's default, written under a temporary name, fsync'ed and renamed into place. The same
output to /dev/null leaves out what this machine's disk adds (3 GB of JSON written and
fsync'ed), as the decoders' rows do. Before
every timed run, untimed: the previous run's output is removed and `sync` writes back
everything pending (so that no run pays for another's output), then the command's input is
read whole (cat > /dev/null) so that every run reads from a warm page cache.

Reports, per command: median wall seconds (min-max), median CPU seconds (user+sys, children
included), MB/s of content (the uncompressed corpus's bytes / median wall, 1 MB = 10^6 bytes,
for every row), median peak RSS; then the issue's targets on 2 CPUs:
  .zst replay / uncompressed replay <= 1.2
  .gz replay / uncompressed replay  <= 1.5
  zcat / .gz replay                 >= 2   (the .gz replay at least twice as fast as zcat)
each for the replays to a file and to /dev/null, and, beside them, zcat / read+lines of the
.gz, zstdcat / read+lines of the .zst and lz4cat / read+lines of the .lz4.

options:
  --runs N        timed rounds, median reported (default 5; fewer is flagged in the output)
  --build DIR     use DIR/apps/ringflow/ringflow (default build-release, built with ninja
                  only when missing); the binary is copied to a temporary directory for the
                  run, so a rebuild during the run does not mix builds
  --work DIR      where the corpus, its copies and the output file live (default bench/.corpus)
  --results FILE  also write the tables to FILE (default WORK/compressed-results-<date>.md),
                  and the timed runs, one per line, to FILE without .md, plus .tsv
  -h, --help      this help

Needs: gzip, zstd, lz4, /usr/bin/time (apt-get install time), python3; pigz optional. Disk:
the copies take ~1.3 GiB beside the corpus, the JSON output ~3 GiB, and ~3 GiB more during the
check (the reference output, removed before timing).
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"

RUNS=5 BUILD="$ROOT/build-release" WORK="$ROOT/bench/.corpus" RESULTS_FILE=""
while (($#)); do
  case "$1" in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --work) WORK=${2:?--work needs a directory}; shift 2 ;;
    --results) RESULTS_FILE=${2:?--results needs a file}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"

# The issue's targets.
TARGET_ZST=1.2 TARGET_GZ=1.5 TARGET_ZCAT=2

# ---- tools ----------------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install time"
for tool in gzip zstd zcat zstdcat lz4 lz4cat python3 cmp; do
  command -v "$tool" >/dev/null || die "required tool not found: $tool"
done
HAVE_PIGZ=1
command -v pigz >/dev/null || { HAVE_PIGZ=0; note "pigz not found (apt-get install pigz): no pigz row"; }

BUILT="$BUILD/apps/ringflow/ringflow"
if [[ ! -x $BUILT ]]; then
  note "building $BUILT"
  ninja -C "$BUILD" ringflow >&2 || die "cannot build $BUILT"
fi

TMP=$(mktemp -d /tmp/ringflow-compressed-bench.XXXXXX)
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OUT_FILE=$WORK/compressed-bench.ndjson
REF_FILE=$WORK/compressed-bench.ref.ndjson
trap 'rm -rf -- "$TMP" "$OUT_FILE" "$REF_FILE" "$WORK"/.compressed-bench.ndjson.tmp-* "$WORK"/.compressed-bench.ref.ndjson.tmp-*' EXIT
RINGFLOW=$TMP/ringflow
cp -- "$BUILT" "$RINGFLOW"
BUILT_MTIME=$(date -r "$BUILT" '+%Y-%m-%d %H:%M:%S %z')
RESULTS=$TMP/results.tsv  # label run wall user sys maxrss_kib load1
: >"$RESULTS"
[[ -e $WORK/.gitignore ]] || echo '*' >"$WORK/.gitignore"
[[ -n $RESULTS_FILE ]] || RESULTS_FILE="$WORK/compressed-results-$(date +%Y%m%d-%H%M%S).md"

# ---- corpus and its compressed copies -------------------------------------------------------
# shellcheck disable=SC2034  # GEN: the generator ensure_corpus runs
GEN="$ROOT/tests/testing/gen_corpus.py"
ensure_corpus large --large 8 --large-size 256M
SRC=$WORK/large
find "$SRC" -type f ! -name MANIFEST.tsv -printf '%P\n' | LC_ALL=C sort >"$TMP/rel.list"
[[ -s $TMP/rel.list ]] || die "no files in $SRC"

# copy_sizes DIR SUFFIX: "relpath size" of every expected file of a copy (missing: size -1).
copy_sizes() {
  local dir=$1 suffix=$2 rel
  while IFS= read -r rel; do
    if [[ -f $dir/$rel$suffix ]]; then
      printf '%s %s\n' "$rel$suffix" "$(stat -c %s -- "$dir/$rel$suffix")"
    else
      printf '%s -1\n' "$rel$suffix"
    fi
  done <"$TMP/rel.list"
}

# ensure_copy NAME SUFFIX COMPRESS-CMD...: WORK/NAME holds every file of the corpus compressed
# by `COMPRESS-CMD < FILE > FILE.SUFFIX`, unless a previous one with the same source corpus and
# compressor is there intact (its stamp: the want line, then every file's size).
ensure_copy() {
  local name=$1 suffix=$2; shift 2
  local dir="$WORK/$name" stamp="$WORK/$name.stamp" want version
  version=$("$1" --version 2>&1 | head -n 1)
  want="source: $(sha256sum "$WORK/large.stamp" | cut -d' ' -f1) | $* | $version"
  if [[ -f $stamp && $(sed -n 1p "$stamp") == "$want" ]] &&
     cmp -s <(sed 1d "$stamp") <(copy_sizes "$dir" "$suffix") &&
     [[ $(find "$dir" -type f | wc -l) == $(wc -l <"$TMP/rel.list") ]]; then
    note "reusing $dir (matches its stamp)"
    return
  fi
  note "making $dir: $* of every file of $SRC"
  rm -rf -- "$dir" "$stamp"
  local rel
  while IFS= read -r rel; do mkdir -p -- "$(dirname -- "$dir/$rel")"; done <"$TMP/rel.list"
  # gzip and lz4 are single-threaded: two files at a time; zstd -T0 uses every CPU on its own.
  local jobs=1
  [[ $1 == gzip || $1 == lz4 ]] && jobs=$(nproc)
  export SRC dir suffix
  # shellcheck disable=SC2016  # expanded by the inner sh: $0 the file, "$@" the compressor
  tr '\n' '\0' <"$TMP/rel.list" |
    xargs -0 -P "$jobs" -I{} sh -c '"$@" <"$SRC/$0" >"$dir/$0$suffix.part" && mv -- "$dir/$0$suffix.part" "$dir/$0$suffix"' {} "$@" ||
    die "compressing into $dir failed"
  { echo "$want"; copy_sizes "$dir" "$suffix"; } >"$stamp"
  if grep -q ' -1$' "$stamp"; then rm -f -- "$stamp"; die "$dir: a compressed file is missing"; fi
}
ensure_copy large-gz6 .gz gzip -6 -c
ensure_copy large-zst3 .zst zstd -3 -T0 -q -c
ensure_copy large-lz4 .lz4 lz4 -1 -q -c
GZ=$WORK/large-gz6 ZST=$WORK/large-zst3 LZ4=$WORK/large-lz4

sed "s|^|$SRC/|" "$TMP/rel.list" >"$TMP/plain.list"
sed "s|^|$GZ/|; s|\$|.gz|" "$TMP/rel.list" >"$TMP/gz.list"
sed "s|^|$ZST/|; s|\$|.zst|" "$TMP/rel.list" >"$TMP/zst.list"
sed "s|^|$LZ4/|; s|\$|.lz4|" "$TMP/rel.list" >"$TMP/lz4.list"
sizes() { xargs -d '\n' -a "$1" stat -c %s | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
NFILES=$(wc -l <"$TMP/rel.list")
CONTENT_BYTES=$(sizes "$TMP/plain.list")
GZ_BYTES=$(sizes "$TMP/gz.list")
ZST_BYTES=$(sizes "$TMP/zst.list")
LZ4_BYTES=$(sizes "$TMP/lz4.list")
CONTENT_LINES=$(awk -F'\t' 'NR > 1 { s += $3 } END { printf "%.0f\n", s }' "$SRC/MANIFEST.tsv")
note "corpus: $NFILES files, $CONTENT_BYTES bytes, $CONTENT_LINES lines; .gz $GZ_BYTES bytes, .zst $ZST_BYTES bytes, .lz4 $LZ4_BYTES bytes"

# ---- commands -------------------------------------------------------------------------------
# LABELS[i] is shown in the table, CMDS[i] is the command (printf %q-quoted, eval'd), INPUTS[i]
# the list of the files it reads (warmed before each timed run), CHECKS[i] what its check run
# compares: same (OUT_FILE with the uncompressed replay's), stdout (stdout with the uncompressed
# replay's output), content (stdout with the corpus's files), lines (the summary counts every
# line of the corpus).
LABELS=() CMDS=() INPUTS=() CHECKS=()
add_cmd() {  # add_cmd LABEL INPUT-LIST CHECK CMD...
  LABELS+=("$1") INPUTS+=("$2") CHECKS+=("$3"); shift 3
  CMDS+=("$(printf '%q ' "$@")")
}
# lines -> null: the source (reading, and decoding a compressed file) and the line splitter
# only, no parse or JSON: how fast the decoder feeds the pipeline, beside zcat and zstdcat.
for d in "$SRC" "$GZ" "$ZST" "$LZ4"; do
  printf '{"source": {"paths": ["%s"], "exclude": ["*/MANIFEST.tsv*"]}, "stages": [{"name": "lines", "type": "lines"}], "sinks": [{"name": "out", "type": "null", "input": "lines"}]}\n' \
    "$d" >"$TMP/lines-$(basename "$d").json"
done
EXCL='*/MANIFEST.tsv*'
L_PLAIN="ringflow replay -q --out FILE: uncompressed"
L_GZ="ringflow replay -q --out FILE: .gz (gzip -6)"
L_ZST="ringflow replay -q --out FILE: .zst (zstd -3)"
L_NULL_PLAIN="ringflow replay -q > /dev/null: uncompressed"
L_NULL_GZ="ringflow replay -q > /dev/null: .gz (gzip -6)"
L_NULL_ZST="ringflow replay -q > /dev/null: .zst (zstd -3)"
L_NULL_LZ4="ringflow replay -q > /dev/null: .lz4 (lz4 -1)"
L_ZCAT="xargs zcat > /dev/null"
L_ZSTDCAT="xargs zstdcat > /dev/null"
L_LZ4CAT="xargs lz4cat > /dev/null"
L_PIGZ="xargs pigz -dc > /dev/null"
L_LINES_PLAIN="ringflow run: read+lines -> null: uncompressed"
L_LINES_GZ="ringflow run: read+lines -> null: .gz"
L_LINES_ZST="ringflow run: read+lines -> null: .zst"
L_LINES_LZ4="ringflow run: read+lines -> null: .lz4"
add_cmd "$L_PLAIN" "$TMP/plain.list" ref "$RINGFLOW" replay -q --exclude "$EXCL" "$SRC" --out "$OUT_FILE"
add_cmd "$L_GZ" "$TMP/gz.list" same "$RINGFLOW" replay -q --exclude "$EXCL" "$GZ" --out "$OUT_FILE"
add_cmd "$L_ZST" "$TMP/zst.list" same "$RINGFLOW" replay -q --exclude "$EXCL" "$ZST" --out "$OUT_FILE"
add_cmd "$L_NULL_PLAIN" "$TMP/plain.list" stdout "$RINGFLOW" replay -q --exclude "$EXCL" "$SRC"
add_cmd "$L_NULL_GZ" "$TMP/gz.list" stdout "$RINGFLOW" replay -q --exclude "$EXCL" "$GZ"
add_cmd "$L_NULL_ZST" "$TMP/zst.list" stdout "$RINGFLOW" replay -q --exclude "$EXCL" "$ZST"
add_cmd "$L_NULL_LZ4" "$TMP/lz4.list" stdout "$RINGFLOW" replay -q --exclude "$EXCL" "$LZ4"
add_cmd "$L_ZCAT" "$TMP/gz.list" content xargs -d '\n' -a "$TMP/gz.list" zcat
add_cmd "$L_ZSTDCAT" "$TMP/zst.list" content xargs -d '\n' -a "$TMP/zst.list" zstdcat
add_cmd "$L_LZ4CAT" "$TMP/lz4.list" content xargs -d '\n' -a "$TMP/lz4.list" lz4cat
((HAVE_PIGZ)) && add_cmd "$L_PIGZ" "$TMP/gz.list" content xargs -d '\n' -a "$TMP/gz.list" pigz -dc
add_cmd "$L_LINES_PLAIN" "$TMP/plain.list" lines "$RINGFLOW" run "$TMP/lines-$(basename "$SRC").json"
add_cmd "$L_LINES_GZ" "$TMP/gz.list" lines "$RINGFLOW" run "$TMP/lines-$(basename "$GZ").json"
add_cmd "$L_LINES_ZST" "$TMP/zst.list" lines "$RINGFLOW" run "$TMP/lines-$(basename "$ZST").json"
add_cmd "$L_LINES_LZ4" "$TMP/lz4.list" lines "$RINGFLOW" run "$TMP/lines-$(basename "$LZ4").json"

warm() { xargs -d '\n' -a "$1" cat >/dev/null; }

# ---- checks (once, untimed; also the warm-up) -----------------------------------------------
note "check: replay of $SRC (the reference output)"
warm "$TMP/plain.list"
rm -f -- "$REF_FILE"
"$RINGFLOW" replay -q --exclude "$EXCL" "$SRC" --out "$REF_FILE" --stats-json "$TMP/plain.stats" \
  </dev/null >/dev/null 2>"$TMP/cmd.err" || { tail -n 20 "$TMP/cmd.err" >&2; die "replay of $SRC failed"; }
python3 - "$TMP/plain.stats" "$NFILES" "$CONTENT_BYTES" "$CONTENT_LINES" <<'EOF' || die "replay of $SRC: wrong summary"
import json, sys
s = json.load(open(sys.argv[1]))
want = {"files_read": int(sys.argv[2]), "files_skipped": 0, "bytes": int(sys.argv[3]),
        "lines": int(sys.argv[4]), "records": int(sys.argv[4])}
bad = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
sys.exit(f"summary (got, want): {bad}" if bad else 0)
EOF
REF_BYTES=$(stat -c %s "$REF_FILE")
note "ok: uncompressed replay: $NFILES files, $CONTENT_LINES records, $REF_BYTES bytes of JSON"
# The disk alone: as many bytes as the replay writes, written to FILE with O_DIRECT (no page
# cache, no CPU to speak of) and fsync'ed: no replay to a file can take less.
L_DISK="dd oflag=direct conv=fsync: the replay's output size to FILE"
echo /dev/null >"$TMP/none.list"
add_cmd "$L_DISK" "$TMP/none.list" none dd if=/dev/zero of="$OUT_FILE" bs=4M \
  count=$(((REF_BYTES + 4194303) / 4194304)) oflag=direct conv=fsync status=none
for ((k = 1; k < ${#LABELS[@]}; k++)); do
  warm "${INPUTS[k]}"
  case ${CHECKS[k]} in
    same)
      rm -f -- "$OUT_FILE"
      eval "${CMDS[k]}" </dev/null >/dev/null 2>"$TMP/cmd.err" ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "check of '${LABELS[k]}' failed"; }
      cmp -- "$REF_FILE" "$OUT_FILE" || die "'${LABELS[k]}': output differs from the uncompressed replay's"
      note "ok: ${LABELS[k]}: output identical to the uncompressed replay's" ;;
    stdout)
      eval "${CMDS[k]}" </dev/null 2>"$TMP/cmd.err" | cmp -- "$REF_FILE" - ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "'${LABELS[k]}': output differs from the uncompressed replay's"; }
      note "ok: ${LABELS[k]}: output identical to the uncompressed replay's" ;;
    content)
      eval "${CMDS[k]}" </dev/null 2>"$TMP/cmd.err" | cmp -- - <(xargs -d '\n' -a "$TMP/plain.list" cat) ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "'${LABELS[k]}': output differs from the corpus's files"; }
      note "ok: ${LABELS[k]}: output identical to the corpus's files" ;;
    lines)
      eval "${CMDS[k]}" </dev/null >/dev/null 2>"$TMP/cmd.err" ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "check of '${LABELS[k]}' failed"; }
      if ! grep -q "^ringflow: $NFILES files read, 0 skipped\$" "$TMP/cmd.err" ||
         ! grep -q "^ringflow: sink out: $CONTENT_LINES records," "$TMP/cmd.err"; then
        cat "$TMP/cmd.err" >&2
        die "'${LABELS[k]}': not every file and line of the corpus"
      fi
      note "ok: ${LABELS[k]}: $NFILES files, $CONTENT_LINES lines" ;;
    none) ;;
    *) die "internal: unknown check ${CHECKS[k]}" ;;
  esac
done
rm -f -- "$REF_FILE" "$OUT_FILE"

# ---- timing ---------------------------------------------------------------------------------
start_timing
RANDOM=4242
N=${#LABELS[@]}
note "$RUNS interleaved rounds of $N commands"
for ((r = 1; r <= RUNS; r++)); do
  shuffle_indexes "$N"
  for i in "${SHUFFLED[@]}"; do
    rm -f -- "$OUT_FILE"
    sync
    warm "${INPUTS[i]}"
    load=$(cut -d' ' -f1 /proc/loadavg)
    eval "time_command \"\${LABELS[i]} (run $r)\" ${CMDS[i]}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${LABELS[i]}" "$r" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" \
      "$load" >>"$RESULTS"
    note "round $r: ${LABELS[i]}: ${T_WALL} s"
  done
done
rm -f -- "$OUT_FILE"
cp -- "$RESULTS" "${RESULTS_FILE%.md}.tsv"

# ---- report ---------------------------------------------------------------------------------
{
  echo "# ringflow replay of compressed input: the 2 GiB corpus as it is, as .gz, .zst and .lz4, beside zcat, zstdcat and lz4cat"
  echo
  echo "Command: \`bash bench/run_compressed_bench.sh --runs $RUNS\`. Build: \`$BUILT\` (built $BUILT_MTIME; git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ", uncommitted changes in the tree")); $(nproc) CPUs; $RUNS rounds$( ((RUNS < 5)) && echo " (**fewer than 5: indicative only**)"), commands interleaved in an order shuffled each round; before each timed run the previous output removed, \`sync\`, and the command's input read whole (warm page cache)."
  echo
  echo "Corpus: \`gen_corpus.py --large 8 --large-size 256M\` ($NFILES files: access, json, syslog), compressed file by file with \`gzip -6\` ($(gzip --version | head -n 1)), \`zstd -3\` ($(zstd --version | sed 's/^\*\** *//; s/ *\**$//')) and \`lz4 -1\` ($(lz4 --version 2>&1 | head -n 1 | sed 's/^\*\** *//; s/ *\**$//')). Checked before timing: every replay's output, to a file or to stdout, is byte-identical (cmp) to the replay of the uncompressed corpus to a file ($CONTENT_LINES records), and zcat/zstdcat/lz4cat$( ((HAVE_PIGZ)) && echo "/pigz") give the corpus's bytes. The replays: \`ringflow replay -q --exclude '*/MANIFEST.tsv*' DIR --out FILE\` (a new file each run, fsync'ed before its rename, as by default), and the same without \`--out\`, stdout to /dev/null (the JSON made and written, as zcat's output is, but not stored on this machine's disk)."
  echo
  python3 - "$RESULTS" "$CONTENT_BYTES" "$GZ_BYTES" "$ZST_BYTES" "$LZ4_BYTES" "$TARGET_ZST" "$TARGET_GZ" \
    "$TARGET_ZCAT" "$HAVE_PIGZ" "$L_PLAIN" "$L_GZ" "$L_ZST" "$L_NULL_PLAIN" "$L_NULL_GZ" "$L_NULL_ZST" \
    "$L_NULL_LZ4" "$L_ZCAT" "$L_ZSTDCAT" "$L_LZ4CAT" "$L_PIGZ" "$L_LINES_PLAIN" "$L_LINES_GZ" \
    "$L_LINES_ZST" "$L_LINES_LZ4" "$L_DISK" "$REF_BYTES" <<'EOF'
import statistics, sys
results = sys.argv[1]
content, gz_bytes, zst_bytes, lz4_bytes = map(int, sys.argv[2:6])
t_zst, t_gz, t_zcat = map(float, sys.argv[6:9])
have_pigz = sys.argv[9] == "1"
(plain, gz, zst, n_plain, n_gz, n_zst, n_lz4, zcat, zstdcat, lz4cat, pigz,
 lines_plain, lines_gz, lines_zst, lines_lz4, disk) = sys.argv[10:26]
json_bytes = int(sys.argv[26])
rows = {}
for l in open(results):
    label, run, e, u, s, m, load = l.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((float(e), float(u) + float(s), int(m), float(load)))
order = ([plain, gz, zst, n_plain, n_gz, n_zst, n_lz4, zcat, zstdcat, lz4cat] + ([pigz] if have_pigz else [])
         + [lines_plain, lines_gz, lines_zst, lines_lz4, disk])
def med(label, k):
    return statistics.median(x[k] for x in rows[label])
sizes = {plain: content, gz: gz_bytes, zst: zst_bytes, n_plain: content, n_gz: gz_bytes, n_zst: zst_bytes,
         n_lz4: lz4_bytes, zcat: gz_bytes, zstdcat: zst_bytes, lz4cat: lz4_bytes, pigz: gz_bytes,
         lines_plain: content, lines_gz: gz_bytes, lines_zst: zst_bytes, lines_lz4: lz4_bytes, disk: 0}
n = len(rows[plain])
print(f"### {content / (1 << 20):,.0f} MiB of content; .gz {gz_bytes / (1 << 20):,.0f} MiB "
      f"({content / gz_bytes:.1f}:1), .zst {zst_bytes / (1 << 20):,.0f} MiB ({content / zst_bytes:.1f}:1), "
      f".lz4 {lz4_bytes / (1 << 20):,.0f} MiB ({content / lz4_bytes:.1f}:1); n={n}\n")
print("| command | input MiB | wall s, median (min–max) | CPU s (user+sys) | MB/s of content | peak RSS MiB |")
print("|---|---|---|---|---|---|")
for label in order:
    walls = [x[0] for x in rows[label]]
    wall = statistics.median(walls)
    if label == disk:
        print(f"| `{label}` | — | {wall:.3f} ({min(walls):.3f}–{max(walls):.3f}) | {med(label, 1):.3f} | "
              f"— ({json_bytes / 1e6 / wall:,.0f} of JSON) | {med(label, 2) / 1024:.1f} |")
        continue
    print(f"| `{label}` | {sizes[label] / (1 << 20):,.0f} | {wall:.3f} ({min(walls):.3f}–{max(walls):.3f}) | "
          f"{med(label, 1):.3f} | {content / 1e6 / wall:,.0f} | {med(label, 2) / 1024:.1f} |")
print()
def verdict(ok):
    return "met" if ok else "**not met**"
w = {label: med(label, 0) for label in order}
print("### targets (issue 17, 2 CPUs)\n")
print("| target | output | measured | |")
print("|---|---|---|---|")
for where, p, g, z in (("a file", plain, gz, zst), ("/dev/null", n_plain, n_gz, n_zst)):
    r = w[z] / w[p]
    print(f"| .zst replay / uncompressed replay ≤ {t_zst:g}× | {where} | {w[z]:.3f} s / {w[p]:.3f} s = **{r:.2f}×** | {verdict(r <= t_zst)} |")
    r = w[g] / w[p]
    print(f"| .gz replay / uncompressed replay ≤ {t_gz:g}× | {where} | {w[g]:.3f} s / {w[p]:.3f} s = **{r:.2f}×** | {verdict(r <= t_gz)} |")
    r = w[zcat] / w[g]
    print(f"| zcat / .gz replay ≥ {t_zcat:g}× | {where} | {w[zcat]:.3f} s / {w[g]:.3f} s = **{r:.2f}×** | {verdict(r >= t_zcat)} |")
print()
print("Beside the targets (the decoder without parse and JSON): zcat / `ringflow run` read+lines -> null of the .gz "
      f"= {w[zcat]:.3f} s / {w[lines_gz]:.3f} s = **{w[zcat] / w[lines_gz]:.2f}×**; zstdcat / read+lines of the .zst "
      f"= {w[zstdcat]:.3f} s / {w[lines_zst]:.3f} s = **{w[zstdcat] / w[lines_zst]:.2f}×**; lz4cat / read+lines of "
      f"the .lz4 = {w[lz4cat]:.3f} s / {w[lines_lz4]:.3f} s = **{w[lz4cat] / w[lines_lz4]:.2f}×**. What the file "
      f"adds to the replay (writing and fsyncing the JSON): {w[plain] - w[n_plain]:.2f} s uncompressed, "
      f"{w[gz] - w[n_gz]:.2f} s .gz, {w[zst] - w[n_zst]:.2f} s .zst; the disk alone takes {w[disk]:.2f} s for "
      f"the same {json_bytes / 1e9:.2f} GB ({json_bytes / 1e6 / w[disk]:,.0f} MB/s, the dd row).")
print()
loads = [x[3] for label in order for x in rows[label]]
print(f"Load average (1 min) at the start of the timed runs: median {statistics.median(loads):.2f}, "
      f"range {min(loads):.2f}–{max(loads):.2f}.")
EOF
  echo
  echo "Wall: the shell's clock around \`/usr/bin/time\`; CPU and peak RSS: \`/usr/bin/time -f '%e %U %S %M'\` (children included: what xargs starts; peak RSS is the largest process's). MB/s = the uncompressed corpus's bytes / median wall (1 MB = 10^6 bytes), for every row, so that rows compare on the same content."
  echo
  echo "Run started $START_DATE, finished $(date '+%Y-%m-%d %H:%M:%S %z'); kernel $(uname -r); nproc $(nproc); load average at start $START_LOAD, at end $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$RESULTS_FILE"
note "tables also written to $RESULTS_FILE"

#!/usr/bin/env bash
# e2e: `ringflow checksum` must print exactly what
#   find -L PATH -type f | LC_ALL=C sort | xargs xxhsum -H3
# prints, for every backend/buffer configuration and every way of spelling the root.
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"
log "generating corpus (2000 small + edge + 2 x 64 MiB) in $E2E_TMP/corpus"
python3 "$GEN" corpus --small 2000 --edge --large 2 --large-size 64M --seed 11 -q
# Extra tree shapes: symlinks to a file and to a directory (followed like find -L),
# hidden files and directories, a nested empty directory.
mkdir -p corpus/links corpus/.hidden_dir corpus/empty/deeper
ln -s ../edge/crlf.log corpus/links/file_link.log
ln -s ../json/00 corpus/links/dir_link
printf 'hidden\n' >corpus/.hidden_file.log
printf 'in hidden dir\n' >corpus/.hidden_dir/inside.log

xxh_oracle corpus >oracle.txt
n=$(wc -l <oracle.txt)
[[ $n -gt 2000 ]] || { fail "oracle has only $n lines"; e2e_done; }
log "oracle: $n files"

check "xxhsum agrees with the generator's MANIFEST for every generated file"
python3 - corpus/MANIFEST.tsv oracle.txt <<'EOF' || fail "MANIFEST and find disagree"
import sys
man = [l.split('\t')[0] for l in open(sys.argv[1], encoding='utf-8', errors='surrogateescape').read().splitlines()[1:]]
found = set()
for l in open(sys.argv[2], encoding='utf-8', errors='surrogateescape'):
    found.add(l[len('XXH3 (corpus/'):l.rindex(') = ')])
missing = [m for m in man if m not in found]
if missing:
    print('not found by find:', missing[:5]); sys.exit(1)
EOF

# --- every configuration, root spelled "corpus" ------------------------------------------
configs=(
  ""
  "--backend uring"
  "--backend pread"
  "--threads 1"
  "--threads 2"
  "--direct"
  "--direct --buffer-size 64K --threads 1"
  "--buffers 2 --buffer-size 4K --queue-depth 1 --open-files 1 --reads-per-file 1"
  "--buffer-size 4K --reads-per-file 8"
  "--backend pread --buffers 2 --buffer-size 4K --open-files 1 --reads-per-file 1"
  "--open-files 3 --queue-depth 4 --buffer-size 8K"
)
for cfg in "${configs[@]}"; do
  check "checksum ${cfg:-(defaults)} corpus == find -L | sort | xxhsum -H3"
  # shellcheck disable=SC2086
  rf out.txt err.txt checksum $cfg corpus
  expect_rc "checksum $cfg" 0 "$RC"
  [[ -s err.txt ]] && { log "  stderr:"; sed 's/^/    /' err.txt | head -5; }
  same_file "checksum $cfg" oracle.txt out.txt
done

check "-q: a successful run writes nothing on stderr"
rf out.txt err.txt checksum -q corpus
expect_rc "checksum -q" 0 "$RC"
if [[ -s err.txt ]]; then fail "stderr not empty with -q:"; head -5 err.txt; else pass "stderr empty"; fi
same_file "checksum -q" oracle.txt out.txt

check "xxhsum -c accepts ringflow's output"
rf sums.xxh3 err.txt checksum corpus
if xxhsum -c sums.xxh3 >verify.txt 2>verify.err; then
  ok=$(grep -c ': OK$' verify.txt || true)
  if [[ $ok == "$n" ]]; then pass "xxhsum -c: $ok OK"; else fail "xxhsum -c: $ok OK lines, expected $n"; fi
else
  fail "xxhsum -c rejected ringflow's output:"; grep -v ': OK$' verify.txt | head; head verify.err
fi

# --- root spellings ------------------------------------------------------------------------
check "root '.' (run inside the directory)"
(cd corpus && xxh_oracle .) >oracle_dot.txt
cd corpus; rf ../out.txt ../err.txt checksum .; cd ..
expect_rc "checksum ." 0 "$RC"
same_file "checksum ." oracle_dot.txt out.txt

check "root 'corpus/' (trailing slash)"
xxh_oracle corpus/ >oracle_slash.txt
rf out.txt err.txt checksum corpus/
expect_rc "checksum corpus/" 0 "$RC"
same_file "checksum corpus/" oracle_slash.txt out.txt

check "root './corpus'"
xxh_oracle ./corpus >oracle_dotslash.txt
rf out.txt err.txt checksum ./corpus
expect_rc "checksum ./corpus" 0 "$RC"
same_file "checksum ./corpus" oracle_dotslash.txt out.txt

check "absolute root"
xxh_oracle "$E2E_TMP/corpus" >oracle_abs.txt
rf out.txt err.txt checksum "$E2E_TMP/corpus"
expect_rc "checksum /abs/corpus" 0 "$RC"
same_file "checksum /abs/corpus" oracle_abs.txt out.txt

check "several roots, given out of order, are merged and sorted"
xxh_oracle corpus/syslog corpus/edge corpus/access >oracle_multi.txt
rf out.txt err.txt checksum corpus/syslog corpus/edge corpus/access
expect_rc "checksum 3 roots" 0 "$RC"
same_file "checksum 3 roots" oracle_multi.txt out.txt

check "a single file as root (including a 64 MiB file and the file through a symlink)"
for f in corpus/edge/crlf.log corpus/access/00/00/l0000000.log corpus/edge/empty.log \
         "corpus/edge/quotes 'single' and \"double\".log" corpus/links/file_link.log; do
  xxhsum -H3 -- "$f" >oracle_one.txt 2>/dev/null
  rf out.txt err.txt checksum "$f"
  expect_rc "checksum $f" 0 "$RC"
  same_file "checksum $f" oracle_one.txt out.txt
done

check "a symlinked directory as root"
xxh_oracle corpus/links/dir_link >oracle_link.txt
rf out.txt err.txt checksum corpus/links/dir_link
expect_rc "checksum dir symlink" 0 "$RC"
same_file "checksum dir symlink" oracle_link.txt out.txt

check "--no-recursive with files only"
xxhsum -H3 -- corpus/edge/crlf.log corpus/edge/utf8_bom.log corpus/json/01/01/s0000001.log 2>/dev/null | sort >oracle_nr.txt
rf out.txt err.txt checksum --no-recursive corpus/json/01/01/s0000001.log corpus/edge/utf8_bom.log corpus/edge/crlf.log
expect_rc "checksum --no-recursive files" 0 "$RC"
same_file "checksum --no-recursive files" oracle_nr.txt out.txt

check "--skip-hidden == find -L with names starting with '.' pruned"
find -L corpus -mindepth 1 -name '.*' -prune -o -type f -print0 | sort -z | xargs -0 xxhsum -H3 -- >oracle_sh.txt 2>/dev/null
rf out.txt err.txt checksum --skip-hidden corpus
expect_rc "checksum --skip-hidden" 0 "$RC"
same_file "checksum --skip-hidden corpus" oracle_sh.txt out.txt
grep -q hidden out.txt && fail "--skip-hidden printed a hidden file"

check "--skip-hidden with root '.' still walks the root"
(cd corpus && find -L . -mindepth 1 -name '.*' -prune -o -type f -print0 | sort -z | xargs -0 xxhsum -H3 -- 2>/dev/null) >oracle_shdot.txt
cd corpus; rf ../out.txt ../err.txt checksum --skip-hidden .; cd ..
expect_rc "checksum --skip-hidden ." 0 "$RC"
same_file "checksum --skip-hidden ." oracle_shdot.txt out.txt

e2e_done

#!/usr/bin/env bash
# e2e: problems in the tree are reported on stderr as `ringflow: PATH: reason`, the run goes on
# (every other file is still printed), the exit status is 1; FIFOs, sockets and devices are
# skipped without being opened (no hang); directory symlink loops terminate like find -L;
# an empty directory gives exit 0 and no output.
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"
log "generating a small corpus in $E2E_TMP/good"
python3 "$GEN" good --small 40 --edge --seed 14 -q
xxh_oracle good >oracle_good.txt

# stderr_has FILE WHAT REGEX: one line of FILE matches the extended regex.
stderr_has() {
  if grep -qE -- "$3" "$1"; then pass "stderr reports $2"; else
    fail "stderr does not report $2 (no line matching /$3/); stderr was (cat -v):"
    cat -v "$1" | sed 's/^/    /' | head -20
  fi
}
# ere STRING: STRING with the extended-regex metacharacters escaped.
ere() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# --- the format of problem lines -------------------------------------------------------------
check "stderr (a file, not a terminal) holds plain lines 'ringflow: PATH: reason (ERRNO)': no CR, no escapes"
for q in "" "-q"; do
  # shellcheck disable=SC2086
  rf out.txt err.txt checksum $q good/edge/crlf.log does-not-exist
  expect_rc "checksum $q with a missing PATH" 1 "$RC"
  if LC_ALL=C grep -q $'[\r\033]' err.txt; then
    fail "checksum $q: stderr contains CR or ESC bytes although it is not a terminal: $(od -An -c err.txt | head -3 | tr -s ' ')"
  else
    pass "checksum $q: no CR/ESC on stderr"
  fi
  expected_line='ringflow: does-not-exist: No such file or directory (ENOENT)'
  if [[ $(<err.txt) == "$expected_line" ]]; then pass "stderr is exactly '$expected_line'"; else
    fail "checksum $q: stderr is $(od -An -c err.txt | tr -s ' ' | head -3), expected exactly '$expected_line'"
  fi
done

# --- missing paths -------------------------------------------------------------------------
for backend in uring pread; do
  check "checksum --backend $backend: a missing PATH is reported (ENOENT), the others are printed, exit 1"
  rf out.txt err.txt checksum --backend "$backend" good does-not-exist good/nope/missing.log
  expect_rc "missing PATH" 1 "$RC"
  same_file "files of the good PATH" oracle_good.txt out.txt
  stderr_has err.txt "does-not-exist" '^ringflow: does-not-exist: .*\(ENOENT\)$'
  stderr_has err.txt "good/nope/missing.log" '^ringflow: good/nope/missing\.log: .*\(ENOENT\)$'
  n=$(grep -c '^ringflow: ' err.txt || true)
  [[ $n == 2 ]] && pass "2 problem lines" || fail "expected 2 'ringflow:' lines on stderr, got $n"
done

check "count: a missing PATH is reported, the other files and the total are printed, exit 1"
rf out.txt err.txt count --pattern ' 200 ' does-not-exist good
expect_rc "count missing PATH" 1 "$RC"
rf expected.txt err2.txt count --pattern ' 200 ' good
same_file "count output without the missing PATH" expected.txt out.txt
stderr_has err.txt "does-not-exist" '^ringflow: does-not-exist: .*\(ENOENT\)$'

# --- FIFOs, sockets, devices, dangling symlinks inside a tree -----------------------------------
log "building tree/ with a FIFO, a unix socket, devices, a dangling symlink and a symlink to the FIFO"
mkdir -p tree/sub
cp good/edge/crlf.log tree/a.log
cp good/edge/utf8_bom.log tree/sub/b.log
: >tree/sub/empty.log
mkfifo tree/fifo
mkfifo tree/sub/fifo2
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' tree/sock
ln -s fifo tree/fifo_link
ln -s does-not-exist tree/dangling
specials=(tree/fifo tree/sub/fifo2 tree/sock tree/fifo_link tree/dangling)
if mknod tree/chardev c 1 3 2>/dev/null; then specials+=(tree/chardev); fi   # like /dev/null
if mknod tree/blockdev b 7 250 2>/dev/null; then specials+=(tree/blockdev); fi
xxh_oracle tree >oracle_tree.txt
[[ $(wc -l <oracle_tree.txt) == 3 ]] || fail "test setup: expected 3 regular files in tree/"

for cmd in "checksum --backend uring" "checksum --backend pread" "checksum --json" "checksum --direct"; do
  check "$cmd tree/: special files skipped and reported, no hang, regular files printed, exit 1"
  # shellcheck disable=SC2086
  rf out.txt err.txt $cmd tree
  expect_rc "$cmd tree" 1 "$RC"
  if [[ $cmd == *--json* ]]; then
    n=$(wc -l <out.txt)
    [[ $n == 3 ]] && pass "3 JSON records" || { fail "expected 3 JSON records, got $n:"; cat out.txt; }
  else
    same_file "$cmd: regular files of tree/" oracle_tree.txt out.txt
  fi
  for s in "${specials[@]}"; do
    stderr_has err.txt "$s" "^ringflow: $(ere "$s"): "
  done
  stderr_has err.txt "the dangling symlink with ENOENT" '^ringflow: tree/dangling: .*\(ENOENT\)$'
  n=$(grep -c '^ringflow: ' err.txt || true)
  [[ $n == "${#specials[@]}" ]] && pass "one line per problem ($n)" ||
    { fail "expected ${#specials[@]} 'ringflow:' lines on stderr, got $n:"; cat err.txt; }
done

check "count tree/: special files skipped, counts of the regular files and the total printed, exit 1"
rf out.txt err.txt count --pattern a tree
expect_rc "count tree" 1 "$RC"
{
  for f in tree/a.log tree/sub/b.log tree/sub/empty.log; do printf '%s %s\n' "$(grep -a -o -F a "$f" | wc -l)" "$f"; done
  printf '%s total\n' "$(cat tree/a.log tree/sub/b.log | grep -a -o -F a | wc -l)"
} >expected.txt
same_file "count tree" expected.txt out.txt
stderr_has err.txt "the FIFO" '^ringflow: tree/fifo: '

check "FIFOs are never opened: a writer waiting on the FIFO must still be waiting afterwards"
# A writer blocks in open(2) until some process opens the FIFO for reading; if ringflow opened
# it (even with O_NONBLOCK) the writer would proceed and create the marker file.
(exec 3>tree/fifo; : >fifo_was_opened) &
writer=$!
(exec 3>tree/sub/fifo2; : >fifo2_was_opened) &
writer2=$!
sleep 0.2
for cmd in "checksum --backend uring" "checksum --backend pread" "count --pattern x"; do
  # shellcheck disable=SC2086
  rf out.txt err.txt $cmd tree tree/fifo tree/fifo_link
  expect_rc "$cmd with a waiting writer" 1 "$RC"
done
sleep 0.2
if [[ -e fifo_was_opened || -e fifo2_was_opened ]]; then
  fail "ringflow opened a FIFO (a writer waiting on it was released)"
else
  pass "no FIFO was opened"
fi
kill "$writer" "$writer2" 2>/dev/null || true
wait "$writer" "$writer2" 2>/dev/null || true

check "special files given directly as PATH: FIFO, socket, /dev/null, dangling symlink"
for p in tree/fifo tree/sock /dev/null tree/dangling tree/fifo_link; do
  rf out.txt err.txt checksum "$p"
  expect_rc "checksum $p" 1 "$RC"
  [[ -s out.txt ]] && fail "checksum $p printed something: $(head -c 200 out.txt)"
  stderr_has err.txt "$p" "^ringflow: $(ere "$p"): "
done

# --- directory symlink loops ---------------------------------------------------------------------
log "building loops/ with symlinks to '.', to an ancestor, and two directories pointing at each other"
mkdir -p loops/a loops/b loops/c/d
echo a >loops/a/fa
echo b >loops/b/fb
echo d >loops/c/d/fd
ln -s ../b loops/a/b_link
ln -s ../a loops/b/a_link
ln -s . loops/c/self
ln -s ../.. loops/c/d/up2
ln -s ../a loops/c/a_again
for backend in uring pread; do
  check "checksum --backend $backend loops/: terminates, prints what find -L prints, reports the loops"
  xxh_oracle loops >oracle_loops.txt
  rf out.txt err.txt checksum --backend "$backend" loops
  expect_rc "loops" 1 "$RC"
  same_file "files of loops/ (as find -L lists them)" oracle_loops.txt out.txt
  find -L loops -type f >/dev/null 2>find_err.txt || true
  sed -n "s/^find: File system loop detected; ['‘]\(.*\)['’] is part of.*/\1/p" find_err.txt | sort >loops_find.txt
  sed -n 's/^ringflow: \(.*\): file system loop.*/\1/p' err.txt | sort >loops_rf.txt
  [[ -s loops_find.txt ]] || fail "test setup: find reported no loops"
  same_file "loop paths reported (find -L vs ringflow)" loops_find.txt loops_rf.txt
  grep -v 'file system loop' err.txt | grep . && fail "unexpected stderr lines (above)"
done

check "a symlink loop of symlinks (l1 -> l2 -> l1) is reported, not followed forever"
mkdir -p symloop
echo x >symloop/x.log
ln -s l2 symloop/l1
ln -s l1 symloop/l2
rf out.txt err.txt checksum symloop
expect_rc "symlink cycle" 1 "$RC"
xxh_oracle symloop >oracle_symloop.txt
same_file "symloop/ regular files" oracle_symloop.txt out.txt
stderr_has err.txt "symloop/l1 (ELOOP)" '^ringflow: symloop/l1: .*\(ELOOP\)$'
stderr_has err.txt "symloop/l2 (ELOOP)" '^ringflow: symloop/l2: .*\(ELOOP\)$'

# --- --no-recursive -------------------------------------------------------------------------------
check "--no-recursive with a directory PATH: the directory is reported, files given are printed, exit 1"
rf out.txt err.txt checksum --no-recursive good/edge good/edge/crlf.log
expect_rc "--no-recursive DIR FILE" 1 "$RC"
xxhsum -H3 -- good/edge/crlf.log >expected.txt 2>/dev/null
same_file "--no-recursive prints only the file" expected.txt out.txt
stderr_has err.txt "good/edge" '^ringflow: good/edge: '
n=$(grep -c '^ringflow: ' err.txt || true)
[[ $n == 1 ]] && pass "one problem line" || fail "expected 1 'ringflow:' line, got $n"

# --- empty directories ----------------------------------------------------------------------------
mkdir -p empty emptytree/x/y/z
for cmd in "checksum" "checksum --json" "checksum --backend pread"; do
  check "$cmd on an empty directory (and a tree of empty directories): exit 0, no output"
  # shellcheck disable=SC2086
  rf out.txt err.txt $cmd empty emptytree
  expect_rc "$cmd empty" 0 "$RC"
  [[ -s out.txt ]] && fail "stdout not empty: $(head -c 200 out.txt)" || pass "stdout empty"
  [[ -s err.txt ]] && fail "stderr not empty: $(head -c 200 err.txt)" || pass "stderr empty"
done
check "count on an empty directory: exit 0, only '0 total'"
rf out.txt err.txt count --pattern x empty
expect_rc "count empty" 0 "$RC"
printf '0 total\n' >expected.txt
same_file "count empty" expected.txt out.txt

e2e_done

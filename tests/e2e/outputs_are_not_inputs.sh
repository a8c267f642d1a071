#!/usr/bin/env bash
# e2e: no input is ever overwritten, and a run never reads its own files.
#  - --out, --manifest, --stats-json, a document's sink path, or stdout naming an input file (by
#    path, through a symlink or a hard link) is refused before anything is read: one line, exit 2,
#    the input byte for byte as before, no temporary file left;
#  - outputs inside the input tree: a second run leaves the first run's outputs, its temporary
#    files and the checkpoint out of discovery (one note each), so it gives the same records and
#    the same manifest as the first.
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"
log "generating a small corpus in $E2E_TMP/logs"
python3 "$GEN" logs --small 12 --seed 7 -q
find logs -type f | sort >files_before.txt
xxh_oracle logs >oracle.txt
nfiles=$(wc -l <files_before.txt)
some=$(sed -n 3p files_before.txt)
[[ -n $some && -f $some ]] || { echo "FAIL: the corpus has no third file" >&2; exit 1; }

# inputs_intact WHAT: every input file holds the bytes it held before, and no file was added.
inputs_intact() {
  local now
  now=$(xxh_oracle logs)
  if [[ $now == "$(<oracle.txt)" ]]; then pass "$1: every input unchanged, none added"; else
    fail "$1: the input tree changed:"
    diff <(printf '%s\n' "$now") oracle.txt | head -10 || true
  fi
}
# one_line WHAT FILE REGEX: FILE is exactly one line, matching REGEX.
one_line() {
  if [[ $(wc -l <"$2") == 1 ]] && grep -qE -- "$3" "$2"; then pass "$1: one line: $(head -c 300 "$2")"; else
    fail "$1: stderr is not one line matching /$3/:"
    head -c 1000 "$2" | cat -v | sed 's/^/    /'
  fi
}

# --- item 1: an output that is an input is refused -------------------------------------------
check "--out naming an input file (relative path) is refused, exit 2, the input untouched"
rf out.txt err.txt replay -q logs --out "$some"
expect_rc "replay logs --out $some" 2 "$RC"
one_line "--out is an input" err.txt "^ringflow: replay: --out $some is the input file $some: an input is never overwritten"
inputs_intact "--out an input"
[[ ! -s out.txt ]] && pass "nothing on stdout" || fail "stdout is not empty"

check "a root file named as its own output: ringflow replay one.log --out one.log"
cp -- "$some" one.log
sum_one=$(xxhsum -H3 one.log 2>/dev/null)
rf out.txt err.txt replay -q one.log --out one.log
expect_rc "replay one.log --out one.log" 2 "$RC"
one_line "one.log is its own output" err.txt "--out one\.log is the input file one\.log"
[[ $(xxhsum -H3 one.log 2>/dev/null) == "$sum_one" ]] && pass "one.log unchanged" || fail "one.log changed"
rf out.txt err.txt replay -q one.log --out one.log --append
expect_rc "replay one.log --out one.log --append" 2 "$RC"
[[ $(xxhsum -H3 one.log 2>/dev/null) == "$sum_one" ]] && pass "one.log unchanged with --append" || fail "one.log changed by --append"

check "the same file through a symlink and through a hard link"
ln -s "$PWD/$some" link.log
rf out.txt err.txt replay -q logs --out link.log
expect_rc "--out a symlink to an input" 2 "$RC"
one_line "--out a symlink to an input" err.txt "--out link\.log is the input file $some"
[[ -L link.log ]] && pass "the symlink is still a symlink" || fail "link.log was replaced"
ln -- "$some" hard.log
rf out.txt err.txt replay -q logs --manifest hard.log
expect_rc "--manifest a hard link to an input" 2 "$RC"
one_line "--manifest a hard link to an input" err.txt "--manifest hard\.log is the input file $some"
rf out.txt err.txt replay -q logs --out /dev/null --stats-json hard.log
expect_rc "--stats-json a hard link to an input" 2 "$RC"
one_line "--stats-json a hard link to an input" err.txt "--stats-json hard\.log is the input file $some"
# The input reached through a symlinked directory inside the tree.
mkdir -p viadir && ln -s "$PWD/logs" viadir/logs
rf out.txt err.txt replay -q viadir --out "$some"
expect_rc "--out an input found through a directory symlink" 2 "$RC"
rm -f hard.log link.log
inputs_intact "symlinks and hard links"

check "a pipeline document's sink path naming an input (ringflow run)"
cat >doc.json <<EOF
{"source": {"paths": ["logs"]},
 "stages": [{"name": "lines", "type": "lines"}],
 "sinks": [{"name": "out", "type": "json", "input": "lines", "path": "$some"}]}
EOF
rf out.txt err.txt run doc.json
expect_rc "run with sinks[0].path an input" 2 "$RC"
one_line "run: the sink's path is an input" err.txt "sinks\[0\]\.path $some is the input file $some"
inputs_intact "run"

check "stdout appended to an input file is refused (the shell opened it; ringflow writes nothing)"
sum_some=$(xxhsum -H3 "$some" 2>/dev/null)
RC=0
timeout 60 "$RF" replay -q logs >>"$some" 2>err.txt </dev/null || RC=$?
expect_rc "replay logs >> an input" 2 "$RC"
one_line "stdout is an input" err.txt "^ringflow: replay: stdout is the input file $some"
[[ $(xxhsum -H3 "$some" 2>/dev/null) == "$sum_some" ]] && pass "the input is unchanged" || fail "the input changed"

check "no temporary file is left behind by a refused run"
left=$(find . -name '.*.tmp-*' | head -5)
[[ -z $left ]] && pass "no .*.tmp-* files" || fail "temporary files left: $left"
inputs_intact "after every refusal"

# --- item 2: outputs inside the input tree --------------------------------------------------
check "outputs inside the input tree: a second run reads neither the first run's outputs nor its own"
cp -r logs tree
run_in_tree() {  # run_in_tree N: replay tree with outputs inside it
  rf out.txt "err$1.txt" replay -q tree --out tree/out.ndjson --manifest tree/sub/manifest.ndjson \
    --stats-json tree/stats.json --hidden
  expect_rc "run $1 with its outputs inside the tree" 0 "$RC"
  cp tree/out.ndjson "out$1.ndjson"
  cp tree/sub/manifest.ndjson "manifest$1.ndjson"
}
mkdir -p tree/sub
run_in_tree 1
run_in_tree 2
same_file "the second run's records equal the first's" out1.ndjson out2.ndjson
same_file "the second run's manifest equals the first's" manifest1.ndjson manifest2.ndjson
lines_in=$(find -L logs -type f -exec cat {} + | wc -l)
[[ $(wc -l <out2.ndjson) -ge $lines_in && $(wc -l <out2.ndjson) -le $((lines_in + nfiles)) ]] &&
  pass "the second run's output holds one record per input line ($(wc -l <out2.ndjson))" ||
  fail "the second run wrote $(wc -l <out2.ndjson) records for $lines_in input lines"
if grep -q 'tree/out.ndjson\|manifest.ndjson\|stats.json\|\.tmp-' manifest2.ndjson; then
  fail "the manifest lists the run's own files: $(grep -o '"path":"[^"]*"' manifest2.ndjson | grep 'ndjson\|json\|tmp' | head -3)"
else
  pass "the manifest lists none of the run's own files"
fi
for f in tree/out.ndjson tree/sub/manifest.ndjson tree/stats.json; do
  if grep -qF "ringflow: note: left out ringflow's own output $f" err2.txt; then
    pass "the summary says '$f' was left out"
  else
    fail "no note for $f in the second run's stderr:"; sed 's/^/    /' err2.txt | head -20
  fi
done
n_notes=$(grep -c "left out ringflow's own" err2.txt || true)
[[ $n_notes == 3 ]] && pass "one note per own file (3)" || fail "$n_notes notes about own files, expected 3"

check "a file that merely looks like an output (no ringflow mark) is refused, not replaced"
rm tree/out.ndjson && cp -- "$some" tree/out.ndjson  # a user's own file where the output goes
rf out.txt err.txt replay -q tree --out tree/out.ndjson
expect_rc "an unmarked file in the output's place" 2 "$RC"
cmp -s -- "$some" tree/out.ndjson && pass "the user's file is unchanged" || fail "the user's file was changed"

check "a temporary file of the output (a concurrent or killed run's) and the checkpoint are left out"
rm -f tree/out.ndjson
printf 'not a record\n' >tree/.out.ndjson.tmp-12345-1
rf out.txt err.txt replay -q tree --hidden --out tree/out.ndjson --checkpoint tree/run.ckpt
expect_rc "with a stray temporary file and a checkpoint inside the tree" 0 "$RC"
if grep -q 'not a record' tree/out.ndjson; then fail "the stray temporary file was replayed"; else
  pass "the stray temporary file was not replayed"
fi
grep -qF "left out ringflow's own temporary file tree/.out.ndjson.tmp-12345-1" err.txt &&
  pass "its note is printed" || { fail "no note for the temporary file"; sed 's/^/    /' err.txt | head; }

check "a checkpoint inside the tree: a crashed run's checkpoint, lock and temporary files are not replayed on --resume"
rm -rf tree2 && cp -r logs tree2
rf out.txt err.txt replay -q tree2 --out whole.ndjson --manifest whole.manifest
expect_rc "an uninterrupted run" 0 "$RC"
RC=0
env RINGFLOW_CRASH_AT=checkpoint-written:2 timeout 60 "$RF" replay -q tree2 --out tree2/out.ndjson \
  --manifest tree2/m.ndjson --checkpoint tree2/run.ckpt --checkpoint-every 1 --hidden \
  >/dev/null 2>err.txt </dev/null || RC=$?
[[ $RC != 0 && $RC != 124 && -f tree2/run.ckpt ]] && pass "the run crashed after a checkpoint (exit $RC)" ||
  fail "the crash seam did not stop the run with a checkpoint in place (exit $RC)"
touch tree2/run.ckpt.lock  # as a kill -9 may leave it
rf out.txt err.txt replay -q tree2 --out tree2/out.ndjson --manifest tree2/m.ndjson \
  --checkpoint tree2/run.ckpt --resume --hidden
expect_rc "--resume with the checkpoint inside the tree" 0 "$RC"
same_file "the resumed output equals the uninterrupted run's" whole.ndjson tree2/out.ndjson
same_file "the resumed manifest equals the uninterrupted run's" whole.manifest tree2/m.ndjson
grep -qF "left out ringflow's own checkpoint tree2/run.ckpt" err.txt && pass "the checkpoint's note" ||
  { fail "no note for the checkpoint"; sed 's/^/    /' err.txt | head; }

e2e_done

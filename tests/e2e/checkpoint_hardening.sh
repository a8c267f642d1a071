#!/usr/bin/env bash
# e2e: --checkpoint hardening.
#  - item 1: a --checkpoint FILE that is someone else's (a log, a JSON document, a directory, a
#    FIFO) is refused: one line "ringflow: FILE: not a ringflow checkpoint (...)", exit 2, FILE
#    byte for byte and inode as before, no output, no temporary or lock file left; nothing hangs.
#    An empty FILE is a checkpoint cut short: --resume refuses it as damaged (exit 1), a run
#    without --resume starts over and replaces it.
#  - item 10: while a run holds FILE, a second run on it (with or without --resume) exits at once,
#    non-zero, with one line naming FILE and "in use"; the first ends normally with the output of
#    a run without a checkpoint (cmp). After a kill -9 the lock is gone with the process: --resume
#    completes byte for byte and leaves nothing beside the outputs.
#  - item 9: 100,000 small files: peak RSS with --checkpoint within 32 MiB of the run without
#    (/usr/bin/time -v; it was about 1 KiB a file), and the output identical.
source "$(dirname "$0")/lib.sh" "$@"
cd "$E2E_TMP"

log "generating a corpus (40 small files + 2 x 4 MiB) in $E2E_TMP/logs"
python3 "$GEN" logs --small 40 --large 2 --large-size 4M --seed 11 -q
rm -f logs/MANIFEST.tsv
mkdir w

# one_line WHAT FILE FIXED: FILE is exactly one line, containing the fixed string FIXED.
one_line() {
  if [[ $(wc -l <"$2") == 1 ]] && grep -qF -- "$3" "$2"; then pass "$1: one line: $(head -c 300 "$2")"; else
    fail "$1: stderr is not one line containing \"$3\":"
    head -c 1000 "$2" | cat -v | sed 's/^/    /'
  fi
}
# listing: the names in w/, sorted, on one line.
listing() { find w -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//'; }
expect_listing() {
  local got
  got=$(listing)
  if [[ $got == "$2" ]]; then pass "$1: w/ holds exactly: ${2:-(nothing)}"; else
    fail "$1: w/ holds [$got], expected [$2]"
  fi
}
# fingerprint FILE: inode, size, mtime and XXH3 (a directory or FIFO: inode and mtime).
fingerprint() {
  if [[ -f $1 ]]; then stat -c '%i %s %Y' -- "$1"; xxhsum -H3 -- "$1" 2>/dev/null; else stat -c '%i %F %Y' -- "$1"; fi
}

log "reference: one run without a checkpoint"
rf ref.out ref.err replay -q logs --out ref.ndjson
expect_rc "reference run" 0 "$RC"

# --- item 1: someone else's file as --checkpoint --------------------------------------------------
check "--checkpoint naming a log, a JSON document, a directory, a FIFO: refused (exit 2), left as it is"
printf 'Dec  5 23:05:07 host app[12]: started\nDec  5 23:05:08 host app[12]: ok\n' >w/app.log
printf '{"format":"mine","files":[1,2,3]}\n' >w/state.json
mkdir w/adir
mkfifo w/afifo
for f in w/app.log w/state.json w/adir w/afifo; do
  before=$(fingerprint "$f")
  for resume in "" --resume; do
    what="--checkpoint $f $resume"
    rf out.txt err.txt replay -q logs --out w/out.ndjson --checkpoint "$f" $resume
    expect_rc "$what" 2 "$RC"
    one_line "$what" err.txt "ringflow: $f: not a ringflow checkpoint ("
    if [[ $(fingerprint "$f") == "$before" ]]; then pass "$what: $f unchanged (inode, size, mtime, bytes)"; else
      fail "$what: $f changed: [$before] -> [$(fingerprint "$f")]"; fi
  done
done
expect_listing "after the refused runs" "adir afifo app.log state.json"
rm -rf w && mkdir w

check "an empty --checkpoint FILE: a checkpoint cut short (--resume: damaged; without: replaced)"
: >w/empty.ckpt
rf out.txt err.txt replay -q logs --out w/out.ndjson --checkpoint w/empty.ckpt --resume
expect_rc "empty, --resume" 1 "$RC"
one_line "empty, --resume" err.txt "checkpoint w/empty.ckpt is damaged: cut short"
expect_listing "empty, --resume refused" "empty.ckpt"
rf out.txt err.txt replay -q logs --out w/out.ndjson --checkpoint w/empty.ckpt
expect_rc "empty, no --resume" 0 "$RC"
if grep -qF "ringflow: note: w/empty.ckpt: damaged; starting over" err.txt; then pass "empty, no --resume: starting over"; else
  fail "empty, no --resume: no 'starting over' note:"; sed 's/^/    /' err.txt | head -5; fi
same_file "empty, no --resume: the output" ref.ndjson w/out.ndjson
expect_listing "empty, no --resume: the checkpoint removed on success" "out.ndjson"
rm -rf w && mkdir w

# --- item 10: one run at a time per checkpoint ------------------------------------------------------
# The first run is slowed by --rate (8 MiB+ of input at 4 MiB/s: two seconds and more).
check "a second run on a checkpoint in use is refused at once; the first completes normally"
"$RF" replay -q logs --out w/first.ndjson --checkpoint w/run.ckpt --rate 4MiB/s \
  >first.out 2>first.err </dev/null &
first=$!
for _ in $(seq 100); do [[ -e w/run.ckpt.lock && -e w/run.ckpt ]] && break; sleep 0.05; done
if [[ -e w/run.ckpt.lock ]]; then pass "the first run holds w/run.ckpt.lock"; else fail "no w/run.ckpt.lock while the first run works: [$(listing)]"; fi
for resume in "" --resume; do
  what="second run $resume"
  t0=$(date +%s.%N)
  rf second.out second.err replay -q logs --out w/second.ndjson --checkpoint w/run.ckpt $resume
  took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  if [[ $RC != 0 && $RC != 124 ]]; then pass "$what: exit status $RC"; else fail "$what: exit status $RC, expected a failure"; fi
  one_line "$what" second.err "w/run.ckpt: in use by another ringflow run"
  if awk -v t="$took" 'BEGIN { exit !(t < 1.5) }'; then pass "$what: refused in ${took}s"; else fail "$what: took ${took}s (not at once)"; fi
  if kill -0 "$first" 2>/dev/null; then pass "$what: the first run is still at work (the check was a real overlap)"; else
    fail "$what: the first run had ended already: the overlap was not tested"; fi
  if [[ -e w/second.ndjson ]] || compgen -G 'w/.second.ndjson.tmp-*' >/dev/null; then
    fail "$what: the refused run left an output: [$(listing)]"; else pass "$what: no output of the refused run"; fi
done
wait "$first" && rc=0 || rc=$?
expect_rc "the first run" 0 "$rc"
# (Its stderr: the summary only, no error.)
if ! grep -vqE '^ringflow: ([0-9]+ files read|formats: |[0-9.]+ MiB, |[0-9.]+ s, |sink )' first.err; then
  pass "the first run: its summary, no error on stderr"; else
  fail "the first run's stderr:"; sed 's/^/    /' first.err | head -5; fi
same_file "the first run's output" ref.ndjson w/first.ndjson
expect_listing "after the first run" "first.ndjson"

check "two runs started together on one checkpoint: one works, the other is refused (never both failing)"
rm -rf w && mkdir w
pids=()
for k in 1 2; do
  "$RF" replay -q logs --out "w/o$k.ndjson" --checkpoint w/run.ckpt --rate 8MiB/s >"o$k.out" 2>"o$k.err" </dev/null &
  pids+=($!)
done
rcs=()
for p in "${pids[@]}"; do wait "$p" && rcs+=(0) || rcs+=($?); done
ok=0
for k in 1 2; do
  if [[ ${rcs[k - 1]} == 0 ]]; then
    ok=$((ok + 1))
    same_file "run $k (exit 0): its output" ref.ndjson "w/o$k.ndjson"
  else
    one_line "run $k (exit ${rcs[k - 1]})" "o$k.err" "w/run.ckpt: in use by another ringflow run"
  fi
done
if ((ok >= 1)); then pass "$ok of the two runs completed"; else fail "neither run completed: [${rcs[*]}]"; fi
if [[ -z $(find w -name 'run.ckpt*') ]]; then pass "no checkpoint, lock or temporary checkpoint left"; else
  fail "left in w/: [$(listing)]"; fi

check "kill -9 of the run holding the checkpoint: the lock goes with it, --resume completes"
rm -rf w && mkdir w
"$RF" replay -q logs --out w/out.ndjson --checkpoint w/run.ckpt --checkpoint-every 1MiB --rate 4MiB/s \
  >k.out 2>k.err </dev/null &
victim=$!
for _ in $(seq 200); do [[ -e w/run.ckpt ]] && break; sleep 0.05; done
sleep 0.5
kill -9 "$victim"
wait "$victim" 2>/dev/null && rc=0 || rc=$?
expect_rc "the killed run" 137 "$rc"
if [[ -e w/run.ckpt ]]; then pass "a checkpoint is in place after the kill"; else fail "no checkpoint after the kill: [$(listing)]"; fi
rf r.out r.err replay -q logs --out w/out.ndjson --checkpoint w/run.ckpt --checkpoint-every 1MiB --resume
expect_rc "--resume after kill -9" 0 "$RC"
if grep -qF "ringflow: resuming from w/run.ckpt: " r.err; then pass "--resume resumed"; else fail "--resume did not resume:"; sed 's/^/    /' r.err | head -5; fi
same_file "--resume after kill -9: the output" ref.ndjson w/out.ndjson
expect_listing "--resume after kill -9" "out.ndjson"

# --- item 9: the cost of --checkpoint on 100,000 files ---------------------------------------------
check "100,000 small files: peak RSS with --checkpoint within 32 MiB of the run without"
python3 "$GEN" many --small 100000 --small-min 40 --small-max 400 --seed 3 -q
rm -f many/MANIFEST.tsv
peak() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
/usr/bin/time -v -o plain.time "$RF" replay -q many --out w/plain.ndjson >/dev/null 2>plain.err </dev/null && rc=0 || rc=$?
expect_rc "100,000 files without --checkpoint" 0 "$rc"
/usr/bin/time -v -o ckpt.time "$RF" replay -q many --out w/ckpt.ndjson --checkpoint w/many.ckpt >/dev/null 2>ckpt.err </dev/null && rc=0 || rc=$?
expect_rc "100,000 files with --checkpoint" 0 "$rc"
plain_kib=$(peak plain.time)
ckpt_kib=$(peak ckpt.time)
log "  peak RSS: $((plain_kib / 1024)) MiB without, $((ckpt_kib / 1024)) MiB with --checkpoint"
rss_within "100,000 files: --checkpoint's peak RSS" "$ckpt_kib" $((plain_kib + 32 * 1024))
if cmp -s w/plain.ndjson w/ckpt.ndjson; then pass "100,000 files: the same output with and without --checkpoint"; else
  fail "100,000 files: the outputs differ"; fi

e2e_done

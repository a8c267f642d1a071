#!/usr/bin/env bash
# e2e: crash-safe checkpoints of `ringflow replay` (--checkpoint, --resume).
# One uninterrupted run without a checkpoint is the reference (its manifest checked against
# xxhsum -H3, its output against the manifest's record counts). Then the run is killed (SIGKILL)
# at every crash point of the RINGFLOW_CRASH_AT test seam with several N, at random moments from
# outside, and repeatedly in a chain of resumes; each time `--resume` must finish with exit 0, an
# --out and --manifest byte-identical (cmp) to the reference, and nothing left beside them (no
# .NAME.tmp-PID-RANDOM, no checkpoint, no checkpoint temporary). Files changed between the crash and the
# resume (appended to, replaced by another inode, first bytes changed, deleted), a damaged or cut
# checkpoint, a checkpoint of another pipeline, starting over without --resume, bad option
# combinations and output to stdout (at least once) each have exact expectations.
# RINGFLOW_E2E_SEED=N repeats the random kill moments of an earlier run (printed at the start).
source "$(dirname "$0")/lib.sh" "$@"
cd "$E2E_TMP"

SEED=${RINGFLOW_E2E_SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED
log "random seed $SEED (RINGFLOW_E2E_SEED=$SEED repeats the random kill moments)"

log "generating the corpus (300 small + edge + 3 x 16 MiB) in $E2E_TMP/corpus"
python3 "$GEN" corpus --small 300 --large 3 --large-size 16M --edge --seed 5 -q
xxh_oracle corpus >corpus.xxh # to check at the end that every case put the corpus back

# Every run replays `corpus` into w/ (the paths are part of the pipeline, so they never change).
W=w
OUT=$W/out.ndjson
MAN=$W/man.ndjson
CKPT=$W/run.ckpt
REPLAY=(replay -q corpus --out "$OUT" --manifest "$MAN")
CK=(--checkpoint "$CKPT" --checkpoint-every 2MiB)
# Cuts by size only (not every second too): the N-th cut is at least 2*(N-1) MiB into the input,
# however slow the machine (for the changed-file cases, which need known finished files).
CK_BYTES=(--checkpoint "$CKPT" --checkpoint-every 2MiB --checkpoint-interval 1h)

# go OUT ERR CRASH ARGS...: ringflow ARGS with RINGFLOW_CRASH_AT=CRASH ("-": unset) under
# timeout 60, stdin closed, stdout to OUT, stderr to ERR; sets RC (137: killed, 124: hung).
# (The group's stderr is dropped only for bash's own "Killed" report.)
go() {
  local out=$1 err=$2 crash=$3
  shift 3
  local envs=(env -u RINGFLOW_CRASH_AT)
  [[ $crash == - ]] || envs=(env "RINGFLOW_CRASH_AT=$crash")
  RC=$({ timeout 60 "${envs[@]}" "$RF" "$@" >"$out" 2>"$err" </dev/null && echo 0 || echo $?; } 2>/dev/null)
  if [[ $RC == 124 ]]; then fail "ringflow $* (RINGFLOW_CRASH_AT=$crash) did not finish within 60 s (hang?)"; fi
}
fresh() { rm -rf -- "$W" && mkdir -- "$W"; }
# go_killed OUT ERR POINT:N ARGS...: go, and while the run finished before its N-th POINT (cuts
# that come while one is being written merge into the next, more so on a loaded machine), again
# from fresh at N/2. For cases that need some checkpoint, not the N-th.
go_killed() {
  local out=$1 err=$2 point=${3%%:*} n=${3##*:}
  shift 3
  go "$out" "$err" "$point:$n" "$@"
  while [[ $RC == 0 ]] && ((n > 2)); do
    n=$((n / 2))
    log "  ($point was not reached: the run finished first, its cuts merged; trying $point:$n)"
    fresh
    go "$out" "$err" "$point:$n" "$@"
  done
}
# listing: the names in w/, one line, sorted.
listing() { find "$W" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//'; }
# snapshot: every file in w/ with its inode, size and mtime in ns (any write, cut, rename or
# removal shows; that the bytes are still good shows when the resume that follows completes).
snapshot() { find "$W" -mindepth 1 -maxdepth 1 -printf '%f ino %i, %s bytes, mtime %TY-%Tm-%Td %TT\n' | sort; }
show_err() { sed 's/^/      stderr: /' "$1" | head -n "${2:-8}"; }

# same_bytes WHAT REFERENCE GOT: byte equality (cmp), with where and how they differ.
same_bytes() {
  local what=$1 ref=$2 got=$3
  if [[ ! -f $got ]]; then
    fail "$what: $got does not exist"
  elif cmp -s -- "$ref" "$got"; then
    pass "$what: identical to the reference ($(stat -c %s -- "$got") bytes)"
  else
    fail "$what: differs from the reference: $(cmp -- "$ref" "$got" 2>&1 | head -n 1);" \
      "reference $(stat -c %s -- "$ref") bytes / $(wc -l <"$ref") lines," \
      "got $(stat -c %s -- "$got") bytes / $(wc -l <"$got") lines"
  fi
}
# err_has WHAT FILE TEXT: FILE has a line containing TEXT (fixed string).
err_has() {
  if grep -qF -- "$3" "$2"; then pass "$1: stderr says \"$3\""; else
    fail "$1: stderr lacks \"$3\""
    show_err "$2"
  fi
}
err_lacks() {
  if grep -qF -- "$3" "$2"; then
    fail "$1: stderr unexpectedly says \"$3\""
    show_err "$2"
  else pass "$1: stderr does not say \"$3\""; fi
}
# expect_listing WHAT NAMES: w/ holds exactly NAMES (space-separated, sorted).
expect_listing() {
  local got
  got=$(listing)
  if [[ $got == "$2" ]]; then pass "$1: the directory holds exactly: ${2:-(nothing)}"; else
    fail "$1: the directory holds [$got], expected [$2] (left-over temporary files or checkpoint?)"
  fi
}
# expect_listing_but WHAT NAMES OLD: as expect_listing, but the files in OLD (a killed run's
# temporary outputs that no trusted checkpoint names: it died before its first, or the checkpoint
# was damaged) may also stay.
expect_listing_but() {
  local name rest=() stayed=()
  for name in $(listing); do # (the names in w/ have no spaces)
    if [[ " $3 " == *" $name "* ]]; then stayed+=("$name"); else rest+=("$name"); fi
  done
  local also=""
  ((${#stayed[@]} == 0)) || also=" and the killed run's ${stayed[*]}"
  if [[ ${rest[*]} == "$2" ]]; then pass "$1: the directory holds $2$also"; else
    fail "$1: the directory holds [$(listing)], expected [$2] (the killed run's [$3] may stay)"
  fi
  if ((${#stayed[@]})); then
    log "  note: $1: the killed run's temporary outputs (${stayed[*]}) stay: no trusted checkpoint names them"
  fi
}
# finished_ok WHAT ERR: the outputs equal the reference and nothing else is left in w/.
finished_ok() {
  same_bytes "$1: --out" ref.out "$OUT"
  same_bytes "$1: --manifest" ref.man "$MAN"
  expect_listing "$1" "man.ndjson out.ndjson"
}
# killed WHAT: the run was killed (137) and its outputs are not under their final names.
killed() {
  expect_rc "$1: the killed run" 137 "$RC"
  if [[ -e $OUT || -e $MAN ]]; then fail "$1: an output is under its final name after the crash: [$(listing)]"; else
    pass "$1: no output under its final name after the crash"
  fi
}
# temps_of_run: the .NAME.tmp-PID-RANDOM files now in w/ (space-separated).
temps_of_run() { find "$W" -mindepth 1 -maxdepth 1 -regextype egrep -regex '.*/\.(out|man)\.ndjson\.tmp-[0-9]+-[0-9a-f]+' -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//'; }

# --- the Python checks ------------------------------------------------------------------------
cat >ck.py <<'PY'
import json, os, subprocess, sys

FAILS = 0
def fail(msg):
    global FAILS
    FAILS += 1
    print("FAIL: " + msg)
def ok(msg):
    print("  ok: " + msg)
def done():
    sys.exit(1 if FAILS else 0)

def lines(path):
    with open(path, "rb") as f:
        data = f.read()
    out = data.split(b"\n")
    if out[-1] == b"":
        out.pop()
    return out, data

def manifest(path):
    return [json.loads(l) for l in lines(path)[0]]

def xxh3(path):
    with open(path, "rb") as f:
        res = subprocess.run(["xxhsum", "-H3", "-"], stdin=f, capture_output=True, check=True).stdout
    return res.split()[-1].decode() if res.split() else "?"

def slice_of(man, out, path):
    """The reference output lines of `path`, as bytes with their newlines (the manifest gives
    each file's record count)."""
    pos = nth = 0
    for m in man:
        if m["path"] == path:
            end = pos
            for _ in range(m["records"]):
                end = out.index(b"\n", end) + 1
            return out[pos:end]
        for _ in range(m["records"]):
            pos = out.index(b"\n", pos) + 1
    raise SystemExit("FAIL: setup: %s is not in the reference manifest" % path)

def read(path):
    with open(path, "rb") as f:
        return f.read()

def common_prefix(a, b):
    """The length of the longest common prefix of two byte strings (1 MiB slices, then bytes)."""
    n, step, p = min(len(a), len(b)), 1 << 20, 0
    while p < n and a[p:p + step] == b[p:p + step]:
        p += step
    p = min(p, n)
    while p < n and a[p] == b[p]:
        p += 1
    return p

def inserted(what, ref, got, block):
    """got == ref[:k] + block + ref[k:] for some line boundary k (all bytes, lines joined with
    a newline): the block once more, nothing else changed."""
    nl = lambda data: data.count(b"\n")
    if len(got) != len(ref) + len(block):
        fail("%s: %d bytes / %d lines, expected %d / %d (the reference's %d lines + the %d of the "
             "file read again)" % (what, len(got), nl(got), len(ref) + len(block),
                                   nl(ref) + nl(block), nl(ref), nl(block)))
        return
    p = common_prefix(ref, got)
    k = ref.rfind(b"\n", 0, p) + 1  # the start of the line where they differ, then those before
    while k >= p - len(block):
        if got[k:k + len(block)] == block and got[k + len(block):] == ref[k:]:
            ok("%s: the reference's %d lines with the %d of the file read again inserted once, at line %d"
               % (what, nl(ref), nl(block), nl(ref[:k]) + 1))
            return
        if k == 0:
            break
        k = ref.rfind(b"\n", 0, k - 1) + 1
    fail("%s: not the reference with the file's %d lines inserted once (first difference at line %d: %r)"
         % (what, nl(block), nl(ref[:p]) + 1, got[got.rfind(b"\n", 0, p) + 1:].split(b"\n")[0][:200]))
PY

# --- 0. the reference: one run without a checkpoint --------------------------------------------
check "0. reference: an uninterrupted run without --checkpoint; manifest vs xxhsum -H3 and stat, output vs manifest"
fresh
go ref.stdout ref.err - "${REPLAY[@]}"
expect_rc "reference run" 0 "$RC"
[[ $RC == 0 ]] || show_err ref.err
cp -- "$OUT" ref.out
cp -- "$MAN" ref.man
NFILES=$(wc -l <ref.man)
python3 - <<'PY' || fail "reference: see the FAIL lines above"
import os, random, sys
sys.path.insert(0, ".")
from ck import *
out = read("ref.out")
man = manifest("ref.man")
files = []
for d, _, fs in os.walk("corpus"):
    files += [os.path.join(d, f) for f in fs if not f.startswith(".")]
if sorted(m["path"] for m in man) == sorted(files):
    ok("the manifest has one line per file of the corpus (%d)" % len(man))
else:
    fail("the manifest has %d lines for %d files of the corpus" % (len(man), len(files)))
if all(m["status"] == "ok" for m in man):
    ok("every file read (status ok)")
else:
    fail("files not read: %r" % [m for m in man if m["status"] != "ok"][:3])
total = sum(m["records"] for m in man)
if total == out.count(b"\n") and total > 300000 and out.endswith(b"\n"):
    ok("output lines (%d) == the sum of the manifest's records" % total)
else:
    fail("the output has %d newlines, the manifest's records add up to %d" % (out.count(b"\n"), total))
# 20 files: the 3 large ones, the edge cases and some small ones, against xxhsum -H3 and stat.
big = [m for m in man if m["bytes"] >= 16 << 20]
edge = [m for m in man if "/edge/" in m["path"]][:7]
rest = [m for m in man if m not in big and m not in edge]
pick = big + edge + random.Random(5).sample(rest, 20 - len(big) - len(edge))
bad = [(m["path"], m["xxh3"], xxh3(m["path"]), m["bytes"], os.stat(m["path"]).st_size) for m in pick
       if m["xxh3"] != xxh3(m["path"]) or m["bytes"] != os.stat(m["path"]).st_size]
if len(big) == 3 and len(pick) == 20 and not bad:
    ok("xxh3 == xxhsum -H3 and bytes == stat for %d files (3 of 16 MiB)" % len(pick))
else:
    fail("manifest vs xxhsum -H3 / stat (%d large files, %d picked): (path, xxh3, xxhsum, bytes, stat) %r"
         % (len(big), len(pick), bad[:3]))
done()
PY

check "1. an uninterrupted run with --checkpoint: same bytes as without, the checkpoint removed"
fresh
go x.stdout x.err - "${REPLAY[@]}" "${CK[@]}"
expect_rc "with --checkpoint" 0 "$RC"
finished_ok "with --checkpoint"

check "2. --resume without a checkpoint file: a note, then a normal run"
fresh
go x.stdout x.err - "${REPLAY[@]}" "${CK[@]}" --resume
expect_rc "--resume, no checkpoint" 0 "$RC"
err_has "--resume, no checkpoint" x.err "ringflow: note: $CKPT: no checkpoint yet: starting from the beginning"
finished_ok "--resume, no checkpoint"

# --- 3. every crash point of the seam, several N ------------------------------------------------
# crash_case POINT:N: killed there, then resumed once.
crash_case() {
  local at=$1 point=${1%%:*} n=${1##*:}
  check "3. crash at $at, then --resume"
  fresh
  go x.stdout crash.err "$at" "${REPLAY[@]}" "${CK[@]}"
  # How many checkpoints a run writes depends on the machine: cuts that come while one is being
  # written merge into the next. A run that finished before its N-th point is tried again at N/2.
  while [[ $RC == 0 && $point != complete && $point != renamed ]] && ((n > 2)); do
    n=$((n / 2))
    log "  ($at was not reached: the run finished first, its cuts merged; trying $point:$n)"
    at=$point:$n
    fresh
    go x.stdout crash.err "$at" "${REPLAY[@]}" "${CK[@]}"
  done
  local what="crash at $at"
  expect_rc "$what: the killed run" 137 "$RC"
  case $point in
    renamed)
      # The outputs are in place, the checkpoint is still there.
      same_bytes "$what: --out before the resume" ref.out "$OUT"
      same_bytes "$what: --manifest before the resume" ref.man "$MAN"
      if [[ -f $CKPT ]]; then pass "$what: the checkpoint is still there"; else fail "$what: no checkpoint after the crash"; fi
      ;;
    *)
      if [[ -e $OUT || -e $MAN ]]; then fail "$what: an output is under its final name after the crash: [$(listing)]"; else
        pass "$what: no output under its final name after the crash"; fi
      if [[ $point == checkpoint-half || $point == checkpoint-written ]]; then
        if compgen -G "$CKPT.tmp-*" >/dev/null; then pass "$what: $CKPT.tmp-* is there"; else fail "$what: no $CKPT.tmp-* after the crash: [$(listing)]"; fi
      fi
      if [[ -f $CKPT ]]; then pass "$what: a checkpoint is in place"; else fail "$what: no checkpoint after the crash: [$(listing)]"; fi
      ;;
  esac
  go x.stdout resume.err - "${REPLAY[@]}" "${CK[@]}" --resume
  expect_rc "$what: the resume" 0 "$RC"
  if [[ $point == complete || $point == renamed ]]; then
    err_has "$what: the resume" resume.err "ringflow: $CKPT: the run had finished; its outputs are now in place"
  else
    err_has "$what: the resume" resume.err "ringflow: resuming from $CKPT: "
    err_lacks "$what: the resume" resume.err "since the checkpoint"
    # Finished files are not read again: "N files done before, M to go", and M files read.
    local done_before to_go read
    done_before=$(grep -oE '[0-9]+ files done before' resume.err | grep -oE '^[0-9]+' || true)
    to_go=$(grep -oE '[0-9]+ to go' resume.err | grep -oE '^[0-9]+' || true)
    read=$(grep -oE '^ringflow: [0-9]+ files read' resume.err | grep -oE '[0-9]+' || true)
    if [[ -n $done_before && -n $to_go && $((done_before + to_go)) == "$NFILES" && $read == "$to_go" ]]; then
      pass "$what: the resume read $read files, $done_before were done before"
    else
      fail "$what: the resume says '${done_before:-?} files done before, ${to_go:-?} to go' and read ${read:-?} files (of $NFILES)"
      show_err resume.err
    fi
  fi
  finished_ok "$what"
}
for at in cut-synced:2 cut-synced:9 cut-synced:20 checkpoint-half:2 checkpoint-half:7 checkpoint-half:16 \
  checkpoint-written:3 checkpoint-written:5 checkpoint-written:14 complete:1 renamed:1; do
  crash_case "$at"
done

# Killed before its first checkpoint was in place: the resume starts from the beginning. It
# cannot know the killed run's temporary outputs (no checkpoint names them): those may stay.
check "3b. crash at cut-synced:1 (before the first checkpoint), then --resume: starts from the beginning"
fresh
go x.stdout crash.err cut-synced:1 "${REPLAY[@]}" "${CK[@]}"
killed "cut-synced:1"
if [[ -e $CKPT ]]; then fail "cut-synced:1: a checkpoint exists before the first was written"; else pass "cut-synced:1: no checkpoint yet"; fi
old=$(temps_of_run)
go x.stdout resume.err - "${REPLAY[@]}" "${CK[@]}" --resume
expect_rc "cut-synced:1: the resume" 0 "$RC"
err_has "cut-synced:1: the resume" resume.err "no checkpoint yet: starting from the beginning"
same_bytes "cut-synced:1: --out" ref.out "$OUT"
same_bytes "cut-synced:1: --manifest" ref.man "$MAN"
expect_listing_but "cut-synced:1" "man.ndjson out.ndjson" "$old"

# --- 4. kill -9 from outside at random moments --------------------------------------------------
for i in 1 2 3 4; do
  t=$(printf '0.%02d' $((5 + RANDOM % 36)))
  check "4. kill -9 from outside after ${t} s (random $i of 4), then --resume"
  fresh
  # timeout -s KILL sends SIGKILL to ringflow after $t seconds (exit 137) unless it finished first.
  RC=$({ timeout -s KILL "$t" "$RF" "${REPLAY[@]}" "${CK[@]}" >x.stdout 2>crash.err </dev/null && echo 0 || echo $?; } 2>/dev/null)
  if [[ $RC == 0 ]]; then
    log "  (the run finished within $t s: the resume starts over)"
    finished_ok "random kill $i (finished before the kill)"
  elif [[ $RC == 137 ]]; then
    pass "random kill $i: killed (137)"
    # An output under its final name: the run had finished (the final checkpoint names the
    # rest), or it was killed after removing the checkpoint: then both are whole.
    if [[ -e $OUT || -e $MAN ]] && [[ ! -e $CKPT ]] && ! { cmp -s ref.out "$OUT" && cmp -s ref.man "$MAN"; }; then
      fail "random kill $i: an output under its final name, not the reference's, and no checkpoint: [$(listing)]"
    fi
  else
    fail "random kill $i: exit status $RC, expected 137 (killed) or 0 (finished first)"
    show_err crash.err
  fi
  had_ckpt=0
  [[ -f $CKPT ]] && had_ckpt=1
  old=$(temps_of_run)
  go x.stdout resume.err - "${REPLAY[@]}" "${CK[@]}" --resume
  expect_rc "random kill $i: the resume" 0 "$RC"
  same_bytes "random kill $i: --out" ref.out "$OUT"
  same_bytes "random kill $i: --manifest" ref.man "$MAN"
  if ((had_ckpt)); then
    expect_listing "random kill $i" "man.ndjson out.ndjson"
  else
    # Killed before its first checkpoint (or finished): see 3b.
    err_has "random kill $i: the resume" resume.err "no checkpoint yet: starting from the beginning"
    expect_listing_but "random kill $i" "man.ndjson out.ndjson" "$old"
  fi
done

# --- 5. a chain: crash, a resume that crashes, another, the last resume -------------------------
check "5. chain: crash at cut-synced:4, resume killed at checkpoint-written:6, resume killed at checkpoint-half:3, resume"
fresh
go_killed x.stdout crash.err cut-synced:4 "${REPLAY[@]}" "${CK[@]}"
killed "chain 1 (cut-synced:4)"
go x.stdout resume1.err checkpoint-written:6 "${REPLAY[@]}" "${CK[@]}" --resume
killed "chain 2 (the resume, checkpoint-written:6)"
err_has "chain 2" resume1.err "ringflow: resuming from $CKPT: "
go x.stdout resume2.err checkpoint-half:3 "${REPLAY[@]}" "${CK[@]}" --resume
killed "chain 3 (the second resume, checkpoint-half:3)"
err_has "chain 3" resume2.err "ringflow: resuming from $CKPT: "
go x.stdout resume3.err - "${REPLAY[@]}" "${CK[@]}" --resume
expect_rc "chain: the last resume" 0 "$RC"
err_has "chain: the last resume" resume3.err "ringflow: resuming from $CKPT: "
finished_ok "chain"

# The same, cut by size only, so that the resume is killed while it reads the partial file again
# (from its start) and has not yet passed where the first run was: its checkpoint must still
# vouch for every record the output already holds.
check "5b. crash at cut-synced:5 (in the first 16 MiB file), resume killed at its cut-synced:3 (re-reading that file), resume"
fresh
go_killed x.stdout crash.err cut-synced:5 "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "re-read 1 (cut-synced:5)"
go x.stdout resume1.err cut-synced:3 "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
killed "re-read 2 (the resume, cut-synced:3)"
go x.stdout resume2.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
expect_rc "re-read: the last resume" 0 "$RC"
err_has "re-read: the last resume" resume2.err "ringflow: resuming from $CKPT: "
finished_ok "re-read"
if ! cmp -s ref.out "$OUT" && [[ -f $OUT ]]; then
  python3 - <<'PY'
import sys
sys.path.insert(0, ".")
from ck import *
ref, got = read("ref.out"), read("w/out.ndjson")
p = common_prefix(ref, got)
line = ref.count(b"\n", 0, p) + 1
extra = got.count(b"\n") - ref.count(b"\n")
start = ref.rfind(b"\n", 0, p) + 1
if extra > 0 and got[start:] == ref[start - (len(got) - len(ref)):]:
    first = ref.count(b"\n", 0, start - (len(got) - len(ref))) + 1
    print("  (re-read: the output repeats reference lines %d..%d (%d lines) after line %d)"
          % (first, line - 1, extra, line - 1))
PY
fi

# --- 6. files changed between the crash and the resume -----------------------------------------
# Each case crashes at cut-synced@$VOUCH: the first cut once the checkpoint in place vouches for
# A, B, C, D and every file before them (the manifest lists the files in the order the run reads
# them). A count of cuts would not do: on a slow disk cuts merge, and the run may end before the
# N-th.
A=corpus/access/00/00/s0000000.log
B=corpus/access/00/01/s0000063.log
C=corpus/access/00/02/s0000126.log
D=corpus/access/00/03/s0000189.log
VOUCH=0
for f in "$A" "$B" "$C" "$D"; do
  n=$(grep -n -F "{\"path\":\"$f\"," ref.man | cut -d: -f1 || true)
  if [[ -z $n ]]; then fail "$f is not in ref.man"; elif ((n > VOUCH)); then VOUCH=$n; fi
done
log "  (A, B, C and D are among the run's first $VOUCH files of $(wc -l <ref.man))"
cp -p -- "$A" A.orig
cp -p -- "$B" B.orig
cp -p -- "$C" C.orig
cp -p -- "$D" D.orig

# Each case: crash at cut-synced@$VOUCH, change a finished file, resume: stderr names the file and
# the reason, and its records are written again (the output is the reference with the file's
# records as they are now inserted once), or for a deleted file the outputs are the reference's.
check "6a. a finished file appended to after the crash: replayed from the start, its records written again"
fresh
go x.stdout crash.err "cut-synced@$VOUCH" "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "append"
head -n 3 A.orig >>"$A"
go x.stdout resume.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
expect_rc "append: the resume" 0 "$RC"
err_has "append" resume.err "ringflow: $A: size changed since the checkpoint: replayed from the start"
if [[ $(grep -c "since the checkpoint" resume.err) == 1 ]]; then pass "append: one file reported changed"; else
  fail "append: $(grep -c "since the checkpoint" resume.err) files reported changed, expected 1"; show_err resume.err; fi
expect_listing "append" "man.ndjson out.ndjson"
python3 - "$A" <<'PY' || fail "append: see the FAIL lines above"
import os, sys
sys.path.insert(0, ".")
from ck import *
path = sys.argv[1]
ref = read("ref.out")
got = read("w/out.ndjson")
old = slice_of(manifest("ref.man"), ref, path)
nold = old.count(b"\n")
# The file is its old lines and then its first three again: so are its records.
inserted("append: --out", ref, got, old + b"".join(l + b"\n" for l in old.split(b"\n")[:3]))
man_ref = read("ref.man")
man_got = read("w/man.ndjson")
entry = [m for m in manifest("w/man.ndjson") if m["path"] == path]
want = {"path": path, "bytes": os.stat(path).st_size, "lines": nold + 3, "records": nold + 3,
        "parse_errors": 0, "format": "access", "xxh3": xxh3(path), "status": "ok"}
if len(entry) == 2 and entry[-1] == want:
    ok("append: the manifest has the file twice, the second time as it is now (bytes, lines, xxhsum -H3)")
else:
    fail("append: the file's manifest lines %r, expected the old one and %r" % (entry, want))
new_line = [l + b"\n" for l in lines("w/man.ndjson")[0] if json.loads(l) == entry[-1]] if entry else []
inserted("append: --manifest", man_ref, man_got, b"".join(new_line[:1]))
done()
PY
cp -p -- A.orig "$A"

# The same, but the resume is killed once it has written the changed file's records again and
# before it is back in the file it was in (its first cut is after its first message, that file's):
# its checkpoint must still vouch for the partial file's records the output holds.
check "6b. a finished file appended to, the resume killed at its cut-synced:2 (after that file), resume"
fresh
go x.stdout crash.err "cut-synced@$VOUCH" "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "append, killed resume"
head -n 3 A.orig >>"$A"
go x.stdout resume1.err cut-synced:2 "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
killed "append, killed resume (the resume, cut-synced:2)"
err_has "append, killed resume" resume1.err "ringflow: $A: size changed since the checkpoint: replayed from the start"
go x.stdout resume2.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
expect_rc "append, killed resume: the last resume" 0 "$RC"
err_lacks "append, killed resume: the last resume" resume2.err "since the checkpoint"
expect_listing "append, killed resume" "man.ndjson out.ndjson"
python3 - "$A" <<'PY' || fail "append, killed resume: see the FAIL lines above"
import sys
sys.path.insert(0, ".")
from ck import *
path = sys.argv[1]
ref = read("ref.out")
old = slice_of(manifest("ref.man"), ref, path)
inserted("append, killed resume: --out", ref, read("w/out.ndjson"),
         old + b"".join(l + b"\n" for l in old.split(b"\n")[:3]))
done()
PY
cp -p -- A.orig "$A"

check "6c. a finished file replaced by another inode (same name and bytes): replayed from the start"
fresh
go x.stdout crash.err "cut-synced@$VOUCH" "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "replace"
cp -p -- "$B" "$B.new"
mv -- "$B.new" "$B"
go x.stdout resume.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
expect_rc "replace: the resume" 0 "$RC"
err_has "replace" resume.err "ringflow: $B: replaced (another inode) since the checkpoint: replayed from the start"
expect_listing "replace" "man.ndjson out.ndjson"
python3 - "$B" <<'PY' || fail "replace: see the FAIL lines above"
import sys
sys.path.insert(0, ".")
from ck import *
path = sys.argv[1]
ref = read("ref.out")
inserted("replace: --out", ref, read("w/out.ndjson"), slice_of(manifest("ref.man"), ref, path))
inserted("replace: --manifest", read("ref.man"), read("w/man.ndjson"),
         b"".join(l + b"\n" for l in lines("ref.man")[0] if json.loads(l)["path"] == path))
done()
PY

check "6d. a finished file whose first bytes changed (same inode, size and mtime): replayed from the start"
fresh
go x.stdout crash.err "cut-synced@$VOUCH" "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "first bytes"
# Swap the case of one letter in its first line, in place; put the mtime back.
python3 - "$C" <<'PY'
import sys
p = sys.argv[1]
with open(p, "r+b") as f:
    head = f.read(200)
    i = next(i for i, c in enumerate(head) if chr(c).isalpha())
    f.seek(i)
    f.write(bytes([head[i] ^ 0x20]))
PY
touch -r C.orig -- "$C"
go x.stdout resume.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
expect_rc "first bytes: the resume" 0 "$RC"
err_has "first bytes" resume.err "ringflow: $C: first bytes changed since the checkpoint: replayed from the start"
n=$(wc -l <"$OUT" || echo 0)
want=$(($(wc -l <ref.out) + $(wc -l <C.orig)))
if [[ $n == "$want" ]]; then pass "first bytes: --out has $n lines (the reference + the file's $(wc -l <C.orig))"; else
  fail "first bytes: --out has $n lines, expected $want (the reference + the file's)"; fi
expect_listing "first bytes" "man.ndjson out.ndjson"
cp -p -- C.orig "$C"

check "6e. a finished file deleted after the crash: 'gone since the checkpoint', exit 1, the run completes"
fresh
go x.stdout crash.err "cut-synced@$VOUCH" "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "deleted"
rm -f -- "$D"
go x.stdout resume.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
expect_rc "deleted: the resume" 1 "$RC"
err_has "deleted" resume.err "ringflow: $D: gone since the checkpoint"
# Its records were durable before it went: the outputs are the reference's.
finished_ok "deleted"
cp -p -- D.orig "$D"

# --- 7. a damaged or cut checkpoint is refused, the temporary outputs untouched -----------------
# (cut-synced:12, by size: a checkpoint listing some hundred files, so the flips hit many fields)
check "7. a damaged checkpoint (flipped bytes) or one cut short: --resume refuses, touches nothing"
fresh
go_killed x.stdout crash.err cut-synced:12 "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "damaged"
cp -- "$CKPT" good.ckpt
snapshot >before.snap
size=$(stat -c %s good.ckpt)
# flip POS: one byte XOR 0x01 at POS (negative: from the end).
for how in "flip 0" "flip 1" "flip 40" "flip $((size / 3))" "flip $((size / 2))" "flip $((size - 30))" \
  "flip -10" "flip -2" "flip -1" "cut $((size / 2))" "cut $((size - 1))" "cut $((size - 18))" "cut 1" "cut 0"; do
  # shellcheck disable=SC2086  # (how: two plain words)
  python3 - good.ckpt "$CKPT" $how <<'PY'
import sys
src, dst, how, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = bytearray(open(src, "rb").read())
if how == "flip":
    data[n] ^= 0x01
else:
    data = data[:n]
open(dst, "wb").write(bytes(data))
PY
  snapshot >damaged.snap
  go x.stdout resume.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
  expect_rc "damaged ($how)" 1 "$RC"
  if [[ $(wc -l <resume.err) == 1 ]] && grep -qF "is damaged" resume.err && grep -qF "$CKPT" resume.err; then
    pass "damaged ($how): one stderr line: $(cat resume.err)"
  else
    fail "damaged ($how): expected one stderr line naming $CKPT and saying \"is damaged\", got $(wc -l <resume.err) lines:"
    show_err resume.err
  fi
  snapshot >after.snap
  if cmp -s damaged.snap after.snap; then pass "damaged ($how): every file in $W untouched"; else
    fail "damaged ($how): the refused resume changed $W:"; diff damaged.snap after.snap | head -n 8; fi
done
# The temporary outputs are what the checkpoint vouches for: with it back, the resume completes.
cp -- good.ckpt "$CKPT"
snapshot >restored.snap
if cmp -s <(grep -v '^run\.ckpt ' before.snap) <(grep -v '^run\.ckpt ' restored.snap); then
  pass "damaged: the temporary outputs are as the crash left them"; else
  fail "damaged: the temporary outputs changed"; diff before.snap restored.snap | head -n 8; fi
go x.stdout resume.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
expect_rc "damaged, then the intact checkpoint: the resume" 0 "$RC"
finished_ok "damaged, then the intact checkpoint"

# Without --resume a damaged checkpoint is replaced like any other (with the note): the run
# starts over. (Its temporary outputs may stay: the paths in a damaged checkpoint are not to be
# trusted for removing files.)
check "7b. a run without --resume over a damaged checkpoint: 'starting over', a normal run"
fresh
go_killed x.stdout crash.err cut-synced:12 "${REPLAY[@]}" "${CK_BYTES[@]}"
killed "damaged, no --resume"
old=$(temps_of_run)
python3 - "$CKPT" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x01
open(sys.argv[1], "wb").write(bytes(data))
PY
go x.stdout rerun.err - "${REPLAY[@]}" "${CK_BYTES[@]}"
expect_rc "damaged, no --resume" 0 "$RC"
err_has "damaged, no --resume" rerun.err "ringflow: note: $CKPT: damaged; starting over"
err_lacks "damaged, no --resume" rerun.err "resuming from"
same_bytes "damaged, no --resume: --out" ref.out "$OUT"
same_bytes "damaged, no --resume: --manifest" ref.man "$MAN"
expect_listing_but "damaged, no --resume" "man.ndjson out.ndjson" "$old"

# --- 8. without --resume an existing checkpoint is replaced, the old temporary outputs removed ---
check "8. a run without --resume over a checkpoint: 'starting over', the old temporary outputs removed"
fresh
go_killed x.stdout crash.err cut-synced:9 "${REPLAY[@]}" "${CK[@]}"
killed "starting over"
old=$(temps_of_run)
if [[ -n $old ]]; then pass "starting over: the killed run left [$old]"; else fail "starting over: the killed run left no temporary outputs"; fi
go x.stdout rerun.err - "${REPLAY[@]}" "${CK[@]}"
expect_rc "starting over" 0 "$RC"
err_has "starting over" rerun.err "ringflow: note: $CKPT: starting over (--resume continues from it)"
err_lacks "starting over" rerun.err "resuming from"
finished_ok "starting over"

# --- 9. a checkpoint of another pipeline is refused ---------------------------------------------
check "9. --resume with another pipeline (--format raw, another --out, another --include): refused, nothing touched"
fresh
go_killed x.stdout crash.err cut-synced:9 "${REPLAY[@]}" "${CK[@]}"
killed "other pipeline"
snapshot >before.snap
for variant in "--format raw" "--include *.log" "--out $W/other.ndjson"; do
  args=("${REPLAY[@]}")
  # shellcheck disable=SC2206  # (the variants are plain words)
  if [[ $variant == --out* ]]; then args=(replay -q corpus --manifest "$MAN" $variant); else args+=($variant); fi
  go x.stdout resume.err - "${args[@]}" "${CK[@]}" --resume
  expect_rc "other pipeline ($variant)" 1 "$RC"
  err_has "other pipeline ($variant)" resume.err "written by another pipeline"
  snapshot >after.snap
  if cmp -s before.snap after.snap; then pass "other pipeline ($variant): every file in $W untouched"; else
    fail "other pipeline ($variant): the refused resume changed $W:"; diff before.snap after.snap | head -n 8; fi
done
go x.stdout resume.err - "${REPLAY[@]}" "${CK[@]}" --resume
expect_rc "other pipeline, then the same one: the resume" 0 "$RC"
finished_ok "other pipeline, then the same one"

# --- 10. option combinations ---------------------------------------------------------------------
check "10. --resume without --checkpoint: usage error (2); --unordered --checkpoint: refused (1)"
fresh
go x.stdout x.err - "${REPLAY[@]}" --resume
expect_rc "--resume without --checkpoint" 2 "$RC"
expect_listing "--resume without --checkpoint" ""
go x.stdout x.err - "${REPLAY[@]}" --unordered "${CK[@]}"
expect_rc "--unordered --checkpoint" 1 "$RC"
err_has "--unordered --checkpoint" x.err "ordered"
expect_listing "--unordered --checkpoint" ""

# --- 11. stdout: at least once -------------------------------------------------------------------
# ref == killed[:j] + resumed for some j <= k, k the whole lines the killed run wrote: the resumed
# run starts at a record boundary no later than what was out, so nothing is lost.
for at in cut-synced:9 checkpoint-written:6; do
  check "11. output to stdout, crash at $at, --resume: at least once, the manifest identical"
  fresh
  go_killed killed.stdout crash.err "$at" replay -q corpus --manifest "$MAN" "${CK[@]}"
  expect_rc "stdout $at: the killed run" 137 "$RC"
  go resumed.stdout resume.err - replay -q corpus --manifest "$MAN" "${CK[@]}" --resume
  expect_rc "stdout $at: the resume" 0 "$RC"
  err_has "stdout $at: the resume" resume.err "ringflow: resuming from $CKPT: "
  same_bytes "stdout $at: --manifest" ref.man "$MAN"
  expect_listing "stdout $at" "man.ndjson"
  python3 - "stdout $at" <<'PY' || fail "stdout: see the FAIL lines above"
import sys
sys.path.insert(0, ".")
from ck import *
what = sys.argv[1]
ref = read("ref.out")
killed = read("killed.stdout")
resumed = read("resumed.stdout")
line_of = lambda off: ref.count(b"\n", 0, off) + 1
killed = killed[:killed.rfind(b"\n") + 1]  # whole lines: the last may be cut by the kill
k = len(killed)
if ref.startswith(killed):
    ok("%s: the killed run's %d whole lines are the reference's first" % (what, killed.count(b"\n")))
else:
    fail("%s: the killed run's stdout is not a prefix of the reference (they differ at line %d)"
         % (what, line_of(common_prefix(ref, killed))))
j = len(ref) - len(resumed)
if j >= 0 and ref.endswith(resumed) and (j == 0 or ref[j - 1:j] == b"\n"):
    ok("%s: the resumed stdout is the reference from line %d on (%d lines)"
       % (what, line_of(j), resumed.count(b"\n")))
    if j <= k:
        ok("%s: nothing lost: killed + resumed hold every reference line (%d lines repeated at the seam)"
           % (what, ref.count(b"\n", j, k)))
    else:
        fail("%s: lines %d..%d of the reference are in neither stdout (the killed run wrote %d, "
             "the resume started at line %d)" % (what, line_of(k), line_of(j) - 1, line_of(k) - 1, line_of(j)))
else:
    fail("%s: the resumed stdout (%d bytes, %d lines) is not the reference's end from a line start "
         "(reference %d bytes, %d lines)" % (what, len(resumed), resumed.count(b"\n"), len(ref), ref.count(b"\n")))
done()
PY
done

# Paced output (--rate) is written record by record in slices: the slices must not confuse the
# sink's count of the partial file's records. SIGINT (not a kill): the stopped run prints its
# summary, keeps its outputs for --resume and exits 130. (timeout --foreground: without it,
# timeout also signals its process group, and a second SIGINT makes ringflow exit at once.)
check "12. SIGINT during a paced replay (--rate 20MB/s) with --checkpoint, then --resume"
for delay in 0.7 1.6; do
  fresh
  # The delay counts from the run's start (its first temporary output exists), not from the
  # exec: on a loaded machine a SIGINT before the handlers are in place would be ignored (a
  # background job of a non-interactive shell starts with SIGINT ignored).
  RC=$({ timeout --foreground 60 "$RF" "${REPLAY[@]}" "${CK_BYTES[@]}" --rate 20MB/s >x.stdout 2>sigint.err </dev/null &
         pid=$!
         for _ in $(seq 200); do compgen -G "$W/.out.ndjson.tmp-*" >/dev/null && break; sleep 0.05; done
         sleep "$delay"; kill -INT "$pid"; wait "$pid" && echo 0 || echo $?; } 2>/dev/null)
  expect_rc "paced, SIGINT after ${delay}s" 130 "$RC"
  err_has "paced, SIGINT after ${delay}s" sigint.err "ringflow: interrupted; the output so far stays: continue with --resume"
  err_has "paced, SIGINT after ${delay}s: the summary" sigint.err "ringflow: sink out:"
  go x.stdout resume.err - "${REPLAY[@]}" "${CK_BYTES[@]}" --resume
  expect_rc "paced, SIGINT after ${delay}s: resume" 0 "$RC"
  err_has "paced, SIGINT after ${delay}s: resume" resume.err "resuming from"
  finished_ok "paced, SIGINT after ${delay}s"
done

# A file the killed run could not read (a FIFO: skipped without opening) is done before the
# resume, which does not read it again: the resume must still end with exit status 1 (something
# was skipped), say why once, and its outputs (the FIFO's manifest line included) equal the
# reference's.
check "13. a file skipped before the crash: the resume exits 1 as one run would, outputs identical"
rm -rf corpus2 && mkdir -p corpus2/b
mkfifo corpus2/a.log # first in discovery order
find corpus -type f -size +10M -exec cp -- {} corpus2/b/ \;
REPLAY2=(replay -q corpus2 --out "$OUT" --manifest "$MAN")
fresh
go x.stdout ref2.err - "${REPLAY2[@]}"
expect_rc "corpus2, no checkpoint" 1 "$RC"
err_has "corpus2, no checkpoint" ref2.err "ringflow: corpus2/a.log: "
mv -- "$OUT" ref2.out && mv -- "$MAN" ref2.man
fresh
go x.stdout crash.err cut-synced@1 "${REPLAY2[@]}" "${CK_BYTES[@]}"
killed "corpus2 (cut-synced@1)"
err_has "corpus2, the killed run" crash.err "ringflow: corpus2/a.log: "
go x.stdout resume.err - "${REPLAY2[@]}" "${CK_BYTES[@]}" --resume
expect_rc "corpus2, the resume" 1 "$RC"
err_has "corpus2, the resume" resume.err "ringflow: resuming from $CKPT: "
err_has "corpus2, the resume" resume.err "ringflow: 1 of the files done before could not be read"
same_bytes "corpus2, the resume: --out" ref2.out "$OUT"
same_bytes "corpus2, the resume: --manifest" ref2.man "$MAN"
expect_listing "corpus2, the resume" "man.ndjson out.ndjson"
rm -rf corpus2

check "the corpus is as generated (every case put back what it changed)"
xxh_oracle corpus >corpus.now
if cmp -s corpus.xxh corpus.now; then pass "corpus unchanged"; else fail "the corpus changed:"; diff corpus.xxh corpus.now | head; fi

e2e_done

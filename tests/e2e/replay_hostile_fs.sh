#!/usr/bin/env bash
# e2e: files that change kind after discovery. `ringflow replay` is
# paced (--rate 2MB/s) on a 10 MB first file, so that the walk is long done when, after 500 kB of
# output, a later file becomes a FIFO (with a writer that never writes), another a symlink to
# /dev/zero, and the first file is truncated. The run must end by itself, report the two files
# with the walker's reason, note the truncated file (manifest status "truncated"), and read every
# other file whole (manifest digests against xxhsum, records against wc -l).
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"
python3 - <<'PY'
import os
os.makedirs("h")
def lines(n, tag):
    return b"".join(b"%s %08d %s\n" % (tag, i, b"x" * 40) for i in range(n))
open("h/a_shrink.log", "wb").write(lines(200000, b"a"))  # 10.4 MB
# More small files than the reader opens ahead, so that the z* files are opened after the change.
for i in range(400):
    open("h/m%04d.log" % i, "wb").write(b"filler %d\nsecond line\n" % i)
open("h/z_fifo.log", "wb").write(b"a regular file at discovery\n")
open("h/z_normal.log", "wb").write(lines(1000, b"n"))
open("h/z_zero.log", "wb").write(b"a regular file at discovery\n")
PY

cat >watch.py <<'PY'
import os, sys
out, trigger = sys.argv[1], int(sys.argv[2])
n, fired, writer = 0, False, None
with open(out, "wb") as f:
    while True:
        b = sys.stdin.buffer.read1(1 << 16)
        if not b:
            break
        f.write(b)
        n += len(b)
        if not fired and n >= trigger:
            fired = True
            os.unlink("h/z_fifo.log")
            os.mkfifo("h/z_fifo.log")
            # A writer that never writes: a blocking open or read of the FIFO would wait for ever.
            writer = os.open("h/z_fifo.log", os.O_RDWR | os.O_NONBLOCK)
            os.unlink("h/z_zero.log")
            os.symlink("/dev/zero", "h/z_zero.log")
            os.truncate("h/a_shrink.log", 100000)
            open(out + ".fired", "w").write("%d\n" % n)
PY

check "replay: a FIFO and a symlink to /dev/zero swapped in after discovery, a file truncated while read"
set +e
timeout -k 5 30 "$RF" replay -q --rate 2MB/s --manifest h.man h 2>h.err </dev/null |
  python3 watch.py h.out 500000
ps=("${PIPESTATUS[@]}")
set -e
RC=${ps[0]}
if [[ $RC == 124 || $RC == 137 ]]; then
  fail "the run did not end by itself within 30 s (hang, or /dev/zero read without end)"
else
  pass "the run ended by itself"
fi
[[ ${ps[1]} == 0 ]] || fail "watch.py failed (${ps[1]})"
if [[ -e h.out.fired ]]; then pass "the files were changed after $(<h.out.fired) bytes of output"
else fail "test setup: the output never reached 500000 bytes, nothing was changed"; fi
expect_rc "two files not read" 1 "$RC"

grep -qxF 'ringflow: h/z_fifo.log: not a regular file (fifo)' h.err &&
  pass "the FIFO is reported as the walker would" ||
  { fail "no 'not a regular file (fifo)' line for h/z_fifo.log:"; head -n 20 h.err; }
grep -qxF 'ringflow: h/z_zero.log: not a regular file (character device)' h.err &&
  pass "the symlink to /dev/zero is reported as the walker would" ||
  { fail "no 'not a regular file (character device)' line for h/z_zero.log:"; head -n 20 h.err; }
if grep -qE '^ringflow: note: h/a_shrink\.log: shrank while being read \([0-9]+ of 10400000 bytes\)$' h.err; then
  pass "the truncated file has its note"
else
  fail "no 'shrank while being read' note for h/a_shrink.log:"; head -n 20 h.err
fi
big=$(stat -c %s h.out)
if ((big < 20000000)); then pass "output of $big bytes: /dev/zero was not read on"
else fail "output of $big bytes: /dev/zero was read on"; fi

# The oracle: every file still regular, through xxhsum and wc -l, against the manifest.
find h -type f ! -name a_shrink.log -print0 | sort -z | xargs -0 xxhsum -H3 -- 2>/dev/null |
  sed -E 's/^XXH3 \((.*)\) = ([0-9a-f]+)$/\1 \2/' >oracle.txt
for f in $(cut -d' ' -f1 oracle.txt); do printf '%s %s\n' "$f" "$(wc -l <"$f")"; done >lines.txt
python3 - h.man oracle.txt lines.txt <<'PY' || fail "the manifest check"
import json, sys
man = {}
for line in open(sys.argv[1], "rb"):
    m = json.loads(line)
    man[m["path"]] = m
bad = 0
def fail(msg):
    global bad
    bad += 1
    print("FAIL: " + msg)
sums = dict(l.split() for l in open(sys.argv[2]))
lines = {p: int(n) for p, n in (l.split() for l in open(sys.argv[3]))}
for p, h in sums.items():
    m = man.get(p)
    if m is None or m["status"] != "ok" or m["xxh3"] != h or m["records"] != lines[p]:
        fail("%s: manifest %r, expected xxh3 %s and %d records" % (p, m, h, lines[p]))
print("  ok: %d regular files whole in the manifest (xxh3 as xxhsum, records as wc -l)" % len(sums))
a = man.get("h/a_shrink.log")
if a is None or a["status"] != "truncated" or not (100000 <= a["bytes"] < 10400000):
    fail("h/a_shrink.log: manifest %r, expected status truncated" % (a,))
else:
    print("  ok: h/a_shrink.log: status truncated, %d bytes read" % a["bytes"])
for p, why in (("h/z_fifo.log", "not a regular file (fifo)"),
               ("h/z_zero.log", "not a regular file (character device)")):
    m = man.get(p)
    if m is None or m["status"] != why or m["bytes"] != 0:
        fail("%s: manifest %r, expected status %r and no bytes" % (p, m, why))
    else:
        print("  ok: %s: %s" % (p, why))
if len(man) != len(sums) + 3:
    fail("manifest has %d files, expected %d" % (len(man), len(sums) + 3))
sys.exit(1 if bad else 0)
PY
# Records out = records the manifest counts (nothing lost between the sink and the manifest).
want=$(python3 -c 'import json,sys; print(sum(json.loads(l)["records"] for l in open("h.man","rb")))')
got=$(wc -l <h.out)
[[ $got == "$want" ]] && pass "$got records out, as the manifest counts" ||
  fail "$got records out, the manifest counts $want"

e2e_done

#!/usr/bin/env bash
# e2e: a tree deeper than PATH_MAX: 60 levels of ~100-byte names (about
# 6,000 bytes) with 30 files at depths 2 to 60. Every file `find` lists must be read by
# `ringflow checksum` (digests against an oracle that opens each file step by step with dir_fd,
# as xxhsum cannot open such paths) and by `ringflow replay` (records against the lines).
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"
python3 - <<'PY'
import os, subprocess
os.mkdir("t")
fd = os.open("t", os.O_RDONLY | os.O_DIRECTORY)
path, files, total_lines = "t", [], 0
for level in range(1, 61):
    name = ("L%02d_" % level) + "d" * (90 + level % 17)
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd, path = nfd, path + "/" + name
    if level % 2 == 0:
        data = b"".join(b"level %d line %d\n" % (level, i) for i in range(level))
        f = os.open("f%02d.log" % level, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, data)
        os.close(f)
        h = subprocess.run(["xxhsum", "-H3", "-"], input=data, capture_output=True, check=True)
        files.append((path + "/f%02d.log" % level, h.stdout.split()[-1].decode(), len(data)))
        total_lines += level
os.close(fd)
with open("oracle.txt", "w") as o:
    for p, h, n in sorted(files):
        o.write("%s %s %d\n" % (p, h, n))
open("lines.txt", "w").write("%d\n" % total_lines)
print("deepest path: %d bytes" % len(path))
PY

check "the oracle: find lists every file, some past PATH_MAX"
# (find -L itself gives up past PATH_MAX here, "File name too long"; the tree has no symlinks,
# so find without -L, which descends with descriptors, lists what find -L would.)
found=$(find t -type f | wc -l)
[[ $found == 30 ]] && pass "find lists 30 files" || fail "find lists $found files, expected 30"
longest=$(find t -type f | awk '{ print length($0) }' | sort -n | tail -n 1)
((longest > 4096)) && pass "the longest path has $longest bytes (PATH_MAX is 4096)" ||
  fail "test setup: the longest path has only $longest bytes"

check "ringflow checksum --json reads every file, with the oracle's digests"
rf sums.json sums.err checksum --json t
expect_rc "checksum" 0 "$RC"
[[ -s sums.err ]] && { fail "checksum wrote to stderr:"; head -c 600 sums.err; echo; }
python3 - sums.json oracle.txt <<'PY' || fail "checksum's digests differ from the oracle"
import json, sys
got = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    got[m["path"]] = (m.get("xxh3"), m.get("bytes"))
want = {p: (h, int(n)) for p, h, n in (l.split() for l in open(sys.argv[2]))}
missing = sorted(set(want) - set(got))
wrong = sorted(p for p in want if p in got and got[p] != want[p])
extra = sorted(set(got) - set(want))
for p in missing[:3]:
    print("FAIL: not read: ...%s (%d bytes)" % (p[-60:], len(p)))
for p in wrong[:3]:
    print("FAIL: ...%s: %r, expected %r" % (p[-60:], got[p], want[p]))
for p in extra[:3]:
    print("FAIL: not in the oracle: ...%s" % p[-60:])
if missing or wrong or extra:
    sys.exit(1)
print("  ok: %d files, digests and sizes as the oracle's" % len(want))
PY

check "ringflow checksum (xxhsum format) lists 30 files"
rf sums.txt sums2.err checksum t
expect_rc "checksum" 0 "$RC"
n=$(grep -c '^XXH3 (t/' sums.txt || true)
[[ $n == 30 ]] && pass "30 digest lines" || fail "$n digest lines, expected 30"

check "ringflow replay reads every file: records = the files' lines"
rf replay.out replay.err replay -q --manifest replay.man t
expect_rc "replay" 0 "$RC"
want=$(<lines.txt)
got=$(wc -l <replay.out)
[[ $got == "$want" ]] && pass "$got records" || { fail "$got records, expected $want"; head -c 600 replay.err; echo; }
ok=$(grep -c '"status":"ok"' replay.man || true)
[[ $ok == 30 ]] && pass "the manifest has 30 files with status ok" || fail "the manifest has $ok files with status ok"

e2e_done

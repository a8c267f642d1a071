#!/usr/bin/env bash
# e2e: `ringflow replay` on bad input. Every bad input is built here and run next to a normal file:
# empty file, no final newline, CRLF, UTF-8 BOM, a 5 MiB line, a 256 MiB file without a newline
# (bounded memory), NUL bytes and invalid UTF-8, FIFOs / a socket / a directory named x.log,
# dangling symlinks and symlink loops, files deleted / truncated / appended to during the run,
# a file without read permission, odd file names, 200,000 files under `ulimit -n 1024`, a PATH
# that is a file and one that does not exist, hidden and compressed files.
# For each run: no hang (timeout), the exit status is exactly the specified one, every output
# line and manifest line is JSON (Python's json), the manifest has one line per file with the
# right status, every file read has bytes = stat, lines = records = the line count (a final line
# without newline counts) and xxh3 = xxhsum -H3, the records of each file are in the output
# (content checked where it is known), and each problem is on stderr exactly once, in one line.
source "$(dirname "$0")/lib.sh" "$@"
[[ -x /usr/bin/time ]] || { fail "/usr/bin/time is missing (apt-get install time)"; e2e_done; }
cd "$E2E_TMP"

# --- the checker (Python): oracles computed from the files themselves ----------------------------
cat >chk.py <<'PY'
"""Checks one `ringflow replay --manifest` run against oracles computed from the file system.

check_run(what, out, manifest, err, rc, expect) -> Run
  expect: {path (bytes, as given on the command line + walk): spec}; spec is OK, problem(regex),
  note(regex), or either(prefix_of=bytes): "ok" with the bytes read being a prefix of
  prefix_of (status "ok", or "truncated" with a note if it shrank), or a problem (a file changed
  while being read).
"""
import codecs, collections, json, os, re, subprocess, sys

FAILS = 0


def fail(msg):
    global FAILS
    FAILS += 1
    print("FAIL: " + msg)


def ok(msg):
    print("  ok: " + msg)


def done():
    sys.exit(1 if FAILS else 0)


# The documented JSON form of a path (README, stages/json_writer.h): valid UTF-8 as is, every
# byte that is not valid UTF-8 as \u00XX (its Latin-1 reading).
codecs.register_error("rf_latin1", lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))


def jpath(b):
    return b.decode("utf-8", "rf_latin1")


def tpath(b):
    """A path as printed on stderr: control characters (and DEL) as \\xNN, other bytes as they are."""
    return re.sub(rb"[\x00-\x1f\x7f]", lambda m: b"\\x%02x" % m.group()[0], b)


def nlines(data):
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def nlines_file(path):
    n, last = 0, b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 24)
            if not chunk:
                break
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (1 if last and last != b"\n" else 0)


def _hash_of(text):
    m = re.search(rb"\b([0-9a-f]{16})\s*$", text.strip())
    return m.group(1).decode() if m else "xxhsum said %r" % text[:200]


def xxh3_bytes(data):
    return _hash_of(subprocess.run(["xxhsum", "-H3", "-"], input=data, capture_output=True,
                                   check=True).stdout)


def xxh3_file(path):
    with open(path, "rb") as f:
        return _hash_of(subprocess.run(["xxhsum", "-H3", "-"], stdin=f, capture_output=True,
                                       check=True).stdout)


def _simple(p):
    return re.fullmatch(rb"[\x21-\x7e ]+", p) is not None and b"\\" not in p


def xxh3_many(paths):
    """xxhsum -H3 over many plain-named files at once (odd names go through stdin one by one)."""
    if not paths:
        return {}
    res = subprocess.run(["xargs", "-0", "xxhsum", "-H3", "--"], input=b"\0".join(paths),
                         capture_output=True).stdout
    got = {}
    for line in res.split(b"\n"):
        m = re.fullmatch(rb"XXH3 \((.*)\) = ([0-9a-f]{16})", line)
        if m:
            got[m.group(1)] = m.group(2).decode()
    return got


def _reject_constant(c):
    raise ValueError("not JSON: " + c)


def read_jsonl(path, what):
    """Every line of `path` as a JSON object (strict UTF-8, no NaN); failures reported."""
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        fail("%s: does not end with a newline" % what)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    objs, bad = [], 0
    for i, line in enumerate(lines, 1):
        try:
            o = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
            if not isinstance(o, dict):
                raise ValueError("not an object")
            objs.append(o)
        except (ValueError, UnicodeDecodeError) as e:
            bad += 1
            objs.append(None)
            if bad <= 3:
                fail("%s: line %d is not a JSON object (%s): %r" % (what, i, e, line[:200]))
    if bad:
        fail("%s: %d of %d lines are not JSON objects" % (what, bad, len(lines)))
    else:
        ok("%s: all %d lines parse as JSON objects" % (what, len(lines)))
    return objs


OK = {"kind": "ok"}


def problem(rx):
    return {"kind": "problem", "status": rx}


def note(rx):
    return {"kind": "note", "status": rx}


def either(prefix_of):
    return {"kind": "either", "prefix_of": prefix_of}


SUMMARY = re.compile(rb"^ringflow: (\d+ files? read, \d+ skipped|formats: |[0-9.]+ [KMGT]?i?B, |"
                     rb"[0-9.]+ s, |sink [^:]+: )")
KEYS = {"path", "bytes", "lines", "records", "parse_errors", "format", "xxh3", "status"}


class Run:
    pass


def check_run(what, out, manifest, err, rc, expect):
    r = Run()
    r.recs = read_jsonl(out, what + ": --out")
    man = [m for m in read_jsonl(manifest, what + ": --manifest") if m is not None]
    r.man, r.slices, r.lines = {}, {}, {}
    byj = {}
    for p in expect:
        assert jpath(p) not in byj, "test setup: two files with the same JSON path %r" % p
        byj[jpath(p)] = p
    bad_keys = [m for m in man if set(m) != KEYS]
    if bad_keys:
        fail("%s: manifest lines without exactly the keys %s: %r" % (what, sorted(KEYS), bad_keys[:2]))
    seen = collections.Counter(m.get("path") for m in man)
    dup = [p for p, n in seen.items() if n > 1]
    extra = [p for p in seen if p not in byj]
    missing = [byj[j] for j in byj if j not in seen]
    if dup:
        fail("%s: %d paths appear more than once in the manifest: %r" % (what, len(dup), dup[:5]))
    if extra:
        fail("%s: %d unexpected paths in the manifest: %r" % (what, len(extra), extra[:5]))
    if missing:
        fail("%s: %d files missing from the manifest: %r" % (what, len(missing), missing[:5]))
    if not (dup or extra or missing):
        ok("%s: the manifest has exactly one line per file (%d)" % (what, len(man)))
    for m in man:
        if m.get("path") in byj:
            r.man[byj[m["path"]]] = m

    kinds = {}
    for p, spec in expect.items():
        m = r.man.get(p)
        if m is None:
            continue
        k = spec["kind"]
        if k == "either":
            # "truncated": read to its end, which came before the size at open (a note).
            k = "ok" if m["status"] in ("ok", "truncated") else "problem"
        kinds[p] = k
    batch = [p for p, k in kinds.items() if k == "ok" and "prefix_of" not in expect[p] and _simple(p)
             and r.man[p]["status"] == "ok"]
    hashes = xxh3_many(batch)
    n_ok = n_bad = 0
    problems = 0
    for p, k in kinds.items():
        m, spec = r.man[p], expect[p]
        if k == "ok":
            if m["status"] != "ok" and not (m["status"] == "truncated" and "prefix_of" in spec):
                n_bad += 1
                fail("%s: %r: status %r, expected \"ok\"" % (what, p, m["status"]))
                continue
            if "prefix_of" in spec:
                full = spec["prefix_of"]
                if not isinstance(m["bytes"], int) or not 0 <= m["bytes"] <= len(full):
                    n_bad += 1
                    fail("%s: %r: bytes %r, not a length within the file's %d bytes" % (what, p, m["bytes"], len(full)))
                    continue
                data = full[:m["bytes"]]
                want = (len(data), nlines(data), nlines(data), xxh3_bytes(data))
            else:
                lines = r.lines[p] = nlines_file(p)
                want = (os.stat(p).st_size, lines, lines, hashes.get(p) or xxh3_file(p))
            got = (m["bytes"], m["lines"], m["records"], m["xxh3"])
            if got != want:
                n_bad += 1
                fail("%s: %r: (bytes, lines, records, xxh3) = %r, oracle (stat, line count, line count, "
                     "xxhsum -H3) = %r" % (what, p, got, want))
            else:
                n_ok += 1
        else:
            if not re.search(spec["status"] if "status" in spec else r".", m["status"]) or m["status"] == "ok":
                n_bad += 1
                fail("%s: %r: status %r does not match /%s/" % (what, p, m["status"], spec.get("status")))
            elif m["xxh3"] is not None or m["records"] != m["lines"]:
                n_bad += 1
                fail("%s: %r skipped but xxh3=%r records=%r lines=%r" % (what, p, m["xxh3"], m["records"], m["lines"]))
            else:
                ok("%s: %r: status %r" % (what, p, m["status"]))
            if k == "problem":
                problems += 1
    if n_ok and not n_bad:
        ok("%s: %d files read: bytes == stat, lines == records == line count, xxh3 == xxhsum -H3"
           % (what, n_ok))

    want_rc = 1 if problems else 0
    if rc != want_rc:
        fail("%s: exit status %d, expected %d (%d files skipped for a problem)" % (what, rc, want_rc, problems))
    else:
        ok("%s: exit status %d (%d problems)" % (what, rc, problems))

    # stderr: each problem (and note) exactly once, as one whole line; nothing else but the summary.
    lines = open(err, "rb").read().split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    rest = [l for l in lines if not SUMMARY.match(l)]
    used = [False] * len(rest)
    n_reported = 0
    for p, k in kinds.items():
        if k == "ok" and r.man[p]["status"] == "truncated":
            prefix = b"ringflow: note: " + tpath(p) + b": shrank while being read ("
            hits = [i for i, l in enumerate(rest) if l.startswith(prefix)]
            for i in hits:
                used[i] = True
            if len(hits) != 1:
                fail("%s: %r is noted %d times on stderr, expected once as %r" % (what, p, len(hits), prefix))
            else:
                n_reported += 1
            continue
        if k == "ok":
            continue
        prefix = b"ringflow: " + (b"note: " if k == "note" else b"") + tpath(p) + b": "
        hits = [i for i, l in enumerate(rest) if l.startswith(prefix)]
        for i in hits:
            used[i] = True
        want = prefix + r.man[p]["status"].encode()
        if len(hits) != 1:
            fail("%s: %r is reported %d times on stderr, expected once as %r" % (what, p, len(hits), want))
        elif rest[hits[0]] != want:
            fail("%s: stderr line %r, expected %r" % (what, rest[hits[0]], want))
        else:
            n_reported += 1
    for i, l in enumerate(rest):
        if not used[i]:
            fail("%s: unexpected stderr line %r" % (what, l))
    if all(used):
        ok("%s: stderr: %d problem/note lines, each once and whole, plus the summary" % (what, n_reported))
    if not any(SUMMARY.match(l) for l in lines):
        fail("%s: no summary on stderr" % what)

    # The output holds each file's records, whole files in manifest (discovery) order.
    total = sum(m["records"] for m in man)
    if total != len(r.recs):
        fail("%s: the manifest counts %d records, the output has %d lines" % (what, total, len(r.recs)))
    else:
        r.slices = {p: [] for p in expect}   # files missing from the manifest: no records
        pos = 0
        for m in man:
            s = r.recs[pos:pos + m["records"]]
            pos += m["records"]
            if m["path"] in byj:
                r.slices[byj[m["path"]]] = s
            errors = sum(1 for x in s if x is not None and "_error" in x)
            if errors != m["parse_errors"]:
                fail("%s: %r: parse_errors %r, but %d of its records have _error" % (what, m["path"], m["parse_errors"], errors))
        ok("%s: output records (%d) == sum of the manifest's records" % (what, total))
    return r


def walk(top):
    """Every regular file under top (bytes paths), as find would see it without following links."""
    files = []
    for d, dirs, fs in os.walk(top):
        for f in fs:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                files.append(p)
    return files


def messages(recs):
    return [x.get("message") if x is not None else None for x in recs]


def raw_lines(data):
    """The lines of data as the raw parser should give them: no \\n, no \\r before it."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [jpath(l[:-1] if l.endswith(b"\r") else l) for l in lines]


def expect_eq(what, got, want):
    if got == want:
        ok(what)
    else:
        g, w = repr(got), repr(want)
        fail("%s: got %s, expected %s" % (what, g[:300], w[:300]))


def strings(o):
    """Every key and string value in a JSON value."""
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for k, v in o.items():
            yield k
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)
PY

# run_replay NAME ARGS...: ringflow replay -q --manifest NAME.man ARGS... > NAME.out 2> NAME.err.
run_replay() {
  local name=$1; shift
  rf "$name.out" "$name.err" replay -q --manifest "$name.man" "$@"
}
# checked WHAT: a Python check on stdin (chk imported) failed: its FAIL lines say why.
checked() { python3 - "$@" || fail "$1: see the FAIL lines above"; }

# --- 1-5, 7, 12: empty, no final newline, CRLF, BOM, a 5 MiB line, NUL / invalid UTF-8, names ----
check "empty, no final newline, CRLF, BOM, a 5 MiB line, NUL and invalid UTF-8, odd names: all read whole, exit 0"
python3 "$GEN" corpus --small 12 --edge --seed 11 -q
python3 - <<'PY'
import glob, os
os.makedirs("edge/names")
def w(p, data):
    with open(p, "wb") as f:
        f.write(data)
orig = {fmt: sorted(glob.glob("corpus/%s/**/*.log" % fmt, recursive=True))[0] for fmt in ("access", "json", "syslog")}
with open("orig.txt", "w") as f:
    for fmt, p in orig.items():
        f.write("%s %s\n" % (fmt, p))
w("edge/empty.log", b"")
w("edge/nonl.log", b"first\nsecond\nlast line without newline")
for fmt, p in orig.items():
    w("edge/crlf_%s.log" % fmt, open(p, "rb").read().replace(b"\n", b"\r\n"))
w("edge/crlf_raw.log", b"a\r\nb c\r\n\r\nd\r\n")
w("edge/bom_json.log", b"\xef\xbb\xbf" + open(orig["json"], "rb").read())
w("edge/bom_access.log", b"\xef\xbb\xbf" + open(orig["access"], "rb").read())
w("edge/bom_raw.log", b"\xef\xbb\xbfhello\nworld\n")
w("edge/long.log", b"before\n" + b"y" * (5 << 20) + b"\nafter the long line\n")
w("edge/nul.log", b"a\x00b\nc\xff\xfed\n\xc3\x28 cut sequence\n\xed\xa0\x80 surrogate\n"
                  b"{\"k\":\"\xff\"}\n\xf8\x88\x80\x80\x80 five bytes\nend\x00")
w("edge/normal.log", b"".join(b"normal line %d\n" % i for i in range(100)))
for i, name in enumerate([b"a\nb.log", b"bad\xff.log", b'q"uote.log', b"sp ace.log", b"back\\slash.log",
                          b"tab\there.log", b"\xc3\xa9t\xc3\xa9.log", b"it's.log", b"cr\rname.log",
                          b"ctl\x01\x7f.log", b"lone\xc3.log"]):
    w(b"edge/names/" + name, b"name %d\n" % i)
PY
EMPTY_XXH=$(xxhsum -H3 </dev/null | grep -oE '[0-9a-f]{16}' | tail -n 1)
run_replay a corpus edge
checked "edge cases" "$RC" "$EMPTY_XXH" <<'PY'
import sys
from chk import *
rc, empty_xxh = int(sys.argv[2]), sys.argv[3]
files = walk(b"corpus") + walk(b"edge")
r = check_run("edge cases", "a.out", "a.man", "a.err", rc, {p: OK for p in files})
orig = dict(l.split() for l in open("orig.txt"))
orig = {fmt: p.encode() for fmt, p in orig.items()}
S = r.slices
if not S:
    fail("no per-file records (see above)")
    done()
m = r.man[b"edge/empty.log"]
expect_eq("1. empty file: 0 bytes, 0 lines, 0 records, status ok, xxh3 of nothing (%s)" % empty_xxh,
          (m["bytes"], m["lines"], m["records"], m["status"], m["xxh3"]), (0, 0, 0, "ok", empty_xxh))
expect_eq("2. no final newline: the last line is a record",
          messages(S[b"edge/nonl.log"]), ["first", "second", "last line without newline"])
expect_eq("2. no final newline: manifest lines counts it", r.man[b"edge/nonl.log"]["lines"], 3)
for fmt, p in orig.items():
    c = S[b"edge/crlf_%s.log" % fmt.encode()]
    expect_eq("3. CRLF %s file: records identical to its LF original (%d)" % (fmt, len(c)), c, S[p])
expect_eq("3. CRLF raw file: no \\r in the messages", messages(S[b"edge/crlf_raw.log"]), ["a", "b c", "", "d"])
cr = [x for f in S if f.startswith(b"edge/crlf_") for x in S[f] if any("\r" in s for s in strings(x))]
expect_eq("3. no \\r in any key or value of the CRLF files' records", cr, [])
expect_eq("4. BOM + JSON lines: records identical to the file without BOM",
          S[b"edge/bom_json.log"], S[orig["json"]])
expect_eq("4. BOM + JSON lines: the first line parses (no _error)",
          [("_error" in x) for x in S[b"edge/bom_json.log"][:1]], [False])
expect_eq("4. BOM + access log: records identical to the file without BOM",
          S[b"edge/bom_access.log"], S[orig["access"]])
expect_eq("4. BOM + raw: the first record does not start with U+FEFF",
          messages(S[b"edge/bom_raw.log"]), ["hello", "world"])
bom = [s for f in S if f.startswith(b"edge/bom_") for x in S[f][:1] for s in strings(x) if "\ufeff" in s]
expect_eq("4. no U+FEFF in any key or value of the first records", bom, [])
L = S[b"edge/long.log"]
expect_eq("5. a 5 MiB line: 3 records", len(L), 3)
if len(L) == 3:
    expect_eq("5. the line before it is intact", L[0], {"message": "before"})
    expect_eq("5. the 5 MiB line: one record of 1 MiB of 'y', flagged _truncated",
              (L[1].get("_truncated"), len(L[1].get("message", "")), set(L[1].get("message", ""))),
              (True, 1 << 20, {"y"}))
    expect_eq("5. the line after it is intact (not flagged)", L[2], {"message": "after the long line"})
nul = open("edge/nul.log", "rb").read()
expect_eq("7. NUL bytes and invalid UTF-8: every line a record, bytes kept (invalid ones as U+00XX)",
          messages(S[b"edge/nul.log"]), raw_lines(nul))
expect_eq("normal file next to them: all its lines", messages(S[b"edge/normal.log"]),
          ["normal line %d" % i for i in range(100)])
names = sorted(p for p in files if p.startswith(b"edge/names/"))
got = [(r.man[p]["path"], messages(S[p])) for p in names]
want = [(jpath(p), ["name %d" % int(open(p, "rb").read().split()[1])]) for p in names]
expect_eq("12. %d odd names: manifest path == the real name (JSON-decoded; invalid bytes as U+00XX) "
          "and its records are that file's" % len(names), got, want)
done()
PY

# --- 8, 9, 14: FIFOs, a socket, a directory x.log, dangling symlinks, loops, PATHs ---------------
check "FIFOs (not opened), a socket, x.log directory, dangling symlink, symlink loops, a file PATH, a missing PATH: exit 1"
mkdir -p spec/x.log spec/d
printf 'n1\nn2\nn3 no newline' >spec/normal.log
printf 'inside x.log\n' >spec/x.log/inner.log
printf 'in d\n' >spec/d/f.log
printf 'solo 1\nsolo 2\n' >solo.log
mkfifo spec/fifo spec/fifo2 $'spec/fi\nfo "q\\\xff'
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' spec/sock
ln -s does-not-exist spec/dangling
ln -s does-not-exist $'spec/dang\x01\xfe.lnk'
ln -s lb spec/la
ln -s la spec/lb
ln -s .. spec/d/loop
# A writer waits on fifo2: it proceeds (and leaves a marker) only if some process opens it.
(exec 3>spec/fifo2; : >fifo2_was_opened) &
writer=$!
sleep 0.2
run_replay b spec solo.log missing-path
sleep 0.2
if [[ -e fifo2_was_opened ]]; then fail "8. ringflow opened a FIFO (the writer waiting on it was released)"; else
  pass "8. the FIFO with a waiting writer was never opened"; fi
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
checked "specials" "$RC" <<'PY'
import sys
from chk import *
rc = int(sys.argv[2])
fifo, sock = problem(r"^not a regular file \(fifo\)$"), problem(r"^not a regular file \(socket\)$")
enoent, eloop = problem(r"No such file or directory \(ENOENT\)$"), problem(r"\(ELOOP\)$")
expect = {b"spec/normal.log": OK, b"spec/x.log/inner.log": OK, b"spec/d/f.log": OK, b"solo.log": OK,
          b"spec/fifo": fifo, b"spec/fifo2": fifo, b"spec/fi\nfo \"q\\\xff": fifo, b"spec/sock": sock,
          b"spec/dangling": enoent, b"spec/dang\x01\xfe.lnk": enoent, b"spec/la": eloop,
          b"spec/lb": eloop, b"spec/d/loop": eloop,
          b"missing-path": problem(r"^No such file or directory \(ENOENT\)$")}
r = check_run("specials", "b.out", "b.man", "b.err", rc, expect)
S = r.slices
if S:
    expect_eq("the normal file next to them: all 3 lines", messages(S[b"spec/normal.log"]), ["n1", "n2", "n3 no newline"])
    expect_eq("8. the directory x.log is walked: its file is read", messages(S[b"spec/x.log/inner.log"]), ["inside x.log"])
    expect_eq("14. a PATH that is a file is read", messages(S[b"solo.log"]), ["solo 1", "solo 2"])
done()
PY

check "14. a PATH that is a file, alone: just that file, exit 0"
run_replay c solo.log
checked "file PATH" "$RC" <<'PY'
import sys
from chk import *
r = check_run("file PATH", "c.out", "c.man", "c.err", int(sys.argv[2]), {b"solo.log": OK})
expect_eq("the records of solo.log", messages(r.recs), ["solo 1", "solo 2"])
done()
PY

# --- hidden files and archives: notes, exit 0 --------------------------------------------------------
check "hidden files and a zip archive: a note each, status in the manifest, exit 0; --hidden reads them"
mkdir -p hid/.hdir
printf 'visible\n' >hid/a.log
printf 'hidden\n' >hid/.hidden.log
printf 'in hidden dir\n' >hid/.hdir/in.log
python3 -c 'import zipfile; zipfile.ZipFile("hid/x.log.zip", "w").writestr("x.log", b"zipped line\n" * 10)'
run_replay h1 hid
checked "hidden" "$RC" <<'PY'
import sys
from chk import *
expect = {b"hid/a.log": OK, b"hid/.hidden.log": note(r"^hidden"), b"hid/.hdir": note(r"^hidden"),
          b"hid/x.log.zip": note(r"^compressed")}
r = check_run("hidden", "h1.out", "h1.man", "h1.err", int(sys.argv[2]), expect)
expect_eq("only the visible file is read", messages(r.recs), ["visible"])
done()
PY
run_replay h2 --hidden hid
checked "--hidden" "$RC" <<'PY'
import sys
from chk import *
expect = {b"hid/a.log": OK, b"hid/.hidden.log": OK, b"hid/.hdir/in.log": OK, b"hid/x.log.zip": note(r"^compressed")}
r = check_run("--hidden", "h2.out", "h2.man", "h2.err", int(sys.argv[2]), expect)
expect_eq("the hidden files are read", sorted(messages(r.recs)), ["hidden", "in hidden dir", "visible"])
done()
PY

# --- 6: a 256 MiB file without a newline: one truncated record, bounded memory --------------------
check "6. a 256 MiB file without a newline: one record cut at 1 MiB and flagged, peak RSS bounded, exit 0"
mkdir big
head -c $((256 << 20)) /dev/zero | tr '\0' 'z' >big/one.log
printf 'next 1\nnext 2\n' >big/normal.log
RC=0
timeout 120 /usr/bin/time -f '%M' -o rss.txt "$RF" replay -q --manifest big.man big >big.out 2>big.err </dev/null || RC=$?
[[ $RC == 124 ]] && fail "6. ringflow replay big did not finish within 120 s (hang?)"
RSS_KB=$(tail -n 1 rss.txt 2>/dev/null || echo 0)
checked "256 MiB line" "$RC" <<'PY'
import sys
from chk import *
r = check_run("256 MiB line", "big.out", "big.man", "big.err", int(sys.argv[2]), {b"big/one.log": OK, b"big/normal.log": OK})
S = r.slices
if S:
    one = S[b"big/one.log"]
    expect_eq("one record, flagged _truncated, 1 MiB of 'z'",
              [(x.get("_truncated"), len(x.get("message", "")), set(x.get("message", ""))) for x in one],
              [(True, 1 << 20, {"z"})])
    expect_eq("the file next to it is whole", messages(S[b"big/normal.log"]), ["next 1", "next 2"])
done()
PY
rss_within "6. replay of a 256 MiB line" "$RSS_KB" $((200 * 1024))
rm -rf big big.out

# --- 10: files deleted / truncated / appended to during the run ----------------------------------
# Pacing (--rate 2MB/s) keeps the reader on the first file (10 MB) for seconds. The changes are
# made by the reader of ringflow's stdout once 500 kB of output went by: the first file is then
# being read (the reader is at most its buffer pool, a few MiB, ahead of the output), and the
# files named z* come after it and 300 small files (more than the ~200 opened ahead), so they
# are opened only after the change, whatever the machine's speed.
cat >watch.py <<'PY'
import os, sys, time
out, trigger, actions = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
n, fired = 0, False
with open(out, "wb") as f:
    while True:
        b = sys.stdin.buffer.read1(1 << 16)
        if not b:
            break
        f.write(b)
        n += len(b)
        if not fired and n >= trigger:
            fired = True
            for a in actions:
                op, path, arg = (a.split(":", 2) + [""])[:3]
                if op == "rm":
                    os.unlink(path)
                elif op == "truncate":
                    os.truncate(path, int(arg))
                elif op == "append":
                    with open(path, "ab") as g:
                        g.write(arg.encode().replace(b"|", b"\n"))
            open(out + ".fired", "w").write("%d\n" % n)
PY
# paced NAME TOP ACTIONS...: replay TOP at 2MB/s, stdout through watch.py; sets RC.
paced() {
  local name=$1 top=$2; shift 2
  local ps
  set +e
  timeout 60 "$RF" replay -q --rate 2MB/s --manifest "$name.man" "$top" 2>"$name.err" </dev/null |
    python3 watch.py "$name.out" 500000 "$@"
  ps=("${PIPESTATUS[@]}")
  set -e
  RC=${ps[0]}
  [[ $RC == 124 ]] && fail "ringflow replay --rate 2MB/s $top did not finish within 60 s (hang?)"
  [[ ${ps[1]} == 0 ]] || fail "watch.py failed (${ps[1]})"
  if [[ -e $name.out.fired ]]; then pass "the changes were made after $(<"$name.out.fired") bytes of output"
  else fail "test setup: the output never reached 500000 bytes, nothing was changed"; fi
}
check "10. while the first file is read: it is truncated; later files are deleted, truncated, appended to"
python3 - <<'PY'
import os
os.makedirs("race")
def lines(n, tag):
    return b"".join(b"%s %08d %s\n" % (tag, i, b"x" * 40) for i in range(n))
open("race/a_shrink.log", "wb").write(lines(200000, b"a"))   # 10.2 MB
open("a_shrink.orig", "wb").write(lines(200000, b"a"))
for i in range(300):
    open("race/m%04d.log" % i, "wb").write(b"filler %d\n" % i)
open("race/zdel.log", "wb").write(b"to be deleted\n")
open("race/ztrunc.log", "wb").write(lines(40000, b"t"))       # 2 MB, cut to 100003 bytes
open("race/zz_append.log", "wb").write(lines(10, b"p"))
PY
paced race race truncate:race/a_shrink.log:100000 rm:race/zdel.log truncate:race/ztrunc.log:100003 \
  'append:race/zz_append.log:appended 1|appended 2|'
checked "race" "$RC" <<'PY'
import sys
from chk import *
orig = open("a_shrink.orig", "rb").read()
expect = {p: OK for p in walk(b"race")}
expect[b"race/a_shrink.log"] = either(orig)
expect[b"race/zdel.log"] = problem(r"No such file or directory \(ENOENT\)$")
r = check_run("race", "race.out", "race.man", "race.err", int(sys.argv[2]), expect)
S = r.slices
if S:
    m = r.man[b"race/a_shrink.log"]
    print("  (the file truncated while being read: %d of %d bytes read, status %r)" % (m["bytes"], len(orig), m["status"]))
    got = messages(S[b"race/a_shrink.log"])
    want = raw_lines(orig)[:len(got)]
    # The last record may be a line cut where the file ended: a prefix of that line.
    same = bool(got) and got[:-1] == want[:-1] and isinstance(got[-1], str) and want[-1].startswith(got[-1])
    expect_eq("the file truncated while read: its %d records are its first lines (the last may be cut)"
              % len(got), same, True)
    expect_eq("the file truncated before it was read: its records are its current lines",
              messages(S[b"race/ztrunc.log"]), raw_lines(open("race/ztrunc.log", "rb").read()))
    expect_eq("the file appended to before it was read: the appended lines are in",
              messages(S[b"race/zz_append.log"])[-2:], ["appended 1", "appended 2"])
done()
PY

check "10. a file appended to while it is read: the records are those of the bytes read"
python3 - <<'PY'
import os
os.makedirs("grow")
data = b"".join(b"g %08d %s\n" % (i, b"x" * 40) for i in range(200000))
open("grow/a_grow.log", "wb").write(data)
open("grow/normal.log", "wb").write(b"normal 1\nnormal 2\n")
open("a_grow.len", "w").write("%d\n" % len(data))
PY
paced grow grow "append:grow/a_grow.log:$(printf 'grown %d|' $(seq 1 100))"
checked "grow" "$RC" <<'PY'
import sys
from chk import *
now = open("grow/a_grow.log", "rb").read()
n0 = int(open("a_grow.len").read())
r = check_run("grow", "grow.out", "grow.man", "grow.err", int(sys.argv[2]),
              {b"grow/a_grow.log": either(now), b"grow/normal.log": OK})
if r.slices:
    m = r.man[b"grow/a_grow.log"]
    if m["status"] == "ok":
        expect_eq("bytes read: the size at open (%d) or with the appended lines (%d)" % (n0, len(now)),
                  m["bytes"] in (n0, len(now)), True)
    expect_eq("the file next to it is whole", messages(r.slices[b"grow/normal.log"]), ["normal 1", "normal 2"])
done()
PY
rm -rf race grow race.out grow.out

# --- 11: a file without read permission (run as an unprivileged user) ----------------------------
check "11. a file without read permission: Permission denied (EACCES) once, the others read, exit 1"
DROP=()
if [[ $(id -u) == 0 ]]; then
  if command -v setpriv >/dev/null; then DROP=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  elif command -v runuser >/dev/null; then DROP=(runuser -u nobody --); fi
fi
if ((${#DROP[@]} == 0)); then
  log "  note: case 11 skipped: not root, or neither setpriv nor runuser is available"
else
  chmod 755 "$E2E_TMP"
  mkdir -p perm/sub permout
  printf 'readable 1\nreadable 2\n' >perm/normal.log
  printf 'sub\n' >perm/sub/other.log
  printf 'secret\n' >perm/secret.log
  chmod -R a+rX perm
  chmod 000 perm/secret.log
  chown 65534:65534 permout
  RFU=$RF
  if ! "${DROP[@]}" test -x "$RFU"; then mkdir bin && cp "$RF" bin/ringflow && chmod 755 bin bin/ringflow && RFU=$E2E_TMP/bin/ringflow; fi
  if ! "${DROP[@]}" test -r perm/normal.log || "${DROP[@]}" test -r perm/secret.log ||
    ! "${DROP[@]}" test -w permout || ! "${DROP[@]}" test -x "$RFU"; then
    log "  note: case 11 skipped: the unprivileged user cannot reach $E2E_TMP (or can read the 000 file)"
  else
    RC=0
    timeout 60 "${DROP[@]}" "$RFU" replay -q --manifest permout/p.man --out permout/p.out perm \
      2>p.err </dev/null || RC=$?
    [[ $RC == 124 ]] && fail "11. ringflow replay perm did not finish within 60 s (hang?)"
    checked "permission" "$RC" <<'PY'
import sys
from chk import *
expect = {b"perm/normal.log": OK, b"perm/sub/other.log": OK,
          b"perm/secret.log": problem(r"Permission denied \(EACCES\)$")}
r = check_run("permission", "permout/p.out", "permout/p.man", "p.err", int(sys.argv[2]), expect)
if r.slices:
    expect_eq("the readable files are read", messages(r.slices[b"perm/normal.log"]), ["readable 1", "readable 2"])
done()
PY
  fi
fi

# --- 13: 200,000 files under ulimit -n 1024 --------------------------------------------------------
check "13. 200,000 files in ~200 directories under ulimit -n 1024: all read, records == lines, exit 0"
python3 - <<'PY'
import os
for d in range(200):
    os.makedirs("many/d%03d" % d)
for i in range(200000):
    with open("many/d%03d/f%06d.log" % (i % 200, i), "wb") as f:
        # one line; every 7th file two lines, the last without newline; every 50th empty
        f.write(b"" if i % 50 == 0 else b"a %d\nb" % i if i % 7 == 0 else b"r %d\n" % i)
PY
log "  (200,000 files made at $(_elapsed) s)"
RC=0
(ulimit -n 1024 && exec timeout 300 "$RF" replay -q --manifest many.man many) >many.out 2>many.err </dev/null || RC=$?
[[ $RC == 124 ]] && fail "13. ringflow replay many did not finish within 300 s (hang?)"
log "  (replay done at $(_elapsed) s)"
checked "200,000 files" "$RC" <<'PY'
import sys
from chk import *
files = walk(b"many")
assert len(files) == 200000, len(files)
r = check_run("200,000 files", "many.out", "many.man", "many.err", int(sys.argv[2]), {p: OK for p in files})
total = sum(r.lines[p] if p in r.lines else nlines_file(p) for p in files)
expect_eq("total records (%d) == total line count of the files" % len(r.recs), len(r.recs), total)
done()
PY
log "  (checked at $(_elapsed) s)"
rm -rf many many.out many.man
log "  (removed at $(_elapsed) s)"

e2e_done

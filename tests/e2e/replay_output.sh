#!/usr/bin/env bash
# e2e: `ringflow replay` output. On a generated corpus (access, json, syslog, edge cases) every
# output line is valid JSON and matches an independent Python model of the parsers field by field
# (parse errors exactly where the model expects them), and the manifest agrees with
# MANIFEST.tsv, stat and xxhsum -H3; per-file format detection (access, json, syslog, logfmt)
# and --format; byte-identical reruns (also with other engine settings), --unordered as the same
# multiset; file selection (--include, --exclude, --no-recursive, --hidden) against find;
# output safety (missing directory, /dev/full, /dev/null, a full filesystem, replace only on
# success, --append); --stats-json against the manifest and the text summary; --config; --help
# and bad usage.
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"

# A 1 MiB tmpfs (mounted in check 5 when the mount works): unmounted before lib.sh's cleanup.
SMALL=$E2E_TMP/small
_replay_cleanup() {
  if [[ -d $SMALL ]]; then umount "$SMALL" 2>/dev/null || umount -l "$SMALL" 2>/dev/null || true; fi
  _e2e_cleanup
}
trap _replay_cleanup EXIT

# no_tmp_left WHAT DIR: no `.NAME.tmp-*` file in DIR.
no_tmp_left() {
  local left
  left=$(find "$2" -maxdepth 1 -name '.*.tmp-*' 2>/dev/null | head -5)
  [[ -z $left ]] && pass "$1: no temporary file left in $2" || fail "$1: temporary file(s) left: $left"
}

# one_error_line WHAT ERRFILE REGEX: stderr holds exactly one line, `ringflow: ...`, matching REGEX.
one_error_line() {
  local n
  n=$(wc -l <"$2")
  if [[ $n == 1 ]] && grep -q '^ringflow: ' "$2" && grep -q -E -- "$3" "$2"; then
    pass "$1: one error line: $(<"$2")"
  else
    fail "$1: expected one 'ringflow: ...' line matching /$3/, got $n line(s):"
    cat -v "$2" | head -5
  fi
}

# --- the independent model of replay's output ----------------------------------------------------
cat >oracle.py <<'PY'
"""usage: oracle.py CORPUS MANIFEST.tsv RF_MANIFEST RF_OUT XXH_ORACLE YEAR

Checks ringflow replay's --out and --manifest for the generated CORPUS against MANIFEST.tsv
(bytes, lines, format of each file), os.stat, xxhsum -H3 output and an independent model of
each parser (regexes and json.loads), record by record, field by field."""
import codecs
import datetime
import json
import os
import re
import sys

codecs.register_error("bytes_as_latin1",
                      lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))
corpus, tsv_path, man_path, out_path, xxh_path, year = sys.argv[1:7]
year = int(year)
LIMIT = 1 << 20  # --max-line-bytes default
problems = []


def problem(msg):
    problems.append(msg)
    if len(problems) <= 25:
        print("FAIL: " + msg)


def short(x):
    t = repr(x)
    return t if len(t) < 400 else t[:400] + "..."


def reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def loads_pairs(text):
    return json.loads(text, object_pairs_hook=lambda kv: [(k, v) for k, v in kv],
                      parse_constant=reject_constant)


MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
QUOTED = r'"((?:[^"\\]|\\.)*)"'
ACCESS = re.compile(r"^(\S+) (\S+) (\S+) \[(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}:\d{2}:\d{2}) "
                    r"([+-])(\d{2})(\d{2})\] " + QUOTED + r" (\d{1,3}) (\d+|-)"
                    r"(?: " + QUOTED + " " + QUOTED + r"(.*))?$")
SYSLOG = re.compile(r"^<(\d{1,3})>([A-Z][a-z]{2}) ([ \d]\d) (\d{2}:\d{2}:\d{2}) (\S+) "
                    r"([^\s:\[]+)(?:\[(\d+)\])?: (.*)$", re.S)


def unescape(q):
    return re.sub(r'\\(["\\])', r"\1", q)


def model_access(text):
    m = ACCESS.match(text)
    if not m or m.group(5) not in MONTHS:
        return None
    (addr, ident, user, dd, mon, yyyy, hms, sign, oh, om, req, status, nbytes, ref, ua,
     extra) = m.groups()
    rec = [("remote_addr", addr), ("remote_user", None if user == "-" else user),
           ("time", f"{yyyy}-{MONTHS[mon]:02d}-{dd}T{hms}{sign}{oh}:{om}")]
    words = unescape(req).split(" ")
    if len(words) == 3 and all(words):
        rec += [("method", words[0]), ("path", words[1]), ("protocol", words[2])]
    else:
        rec.append(("request", unescape(req)))
    rec += [("status", int(status)), ("bytes", 0 if nbytes == "-" else int(nbytes))]
    if ref is not None:
        rec += [("referer", None if ref == "-" else unescape(ref)),
                ("user_agent", None if ua == "-" else unescape(ua))]
        if extra.strip(" \t"):
            rec.append(("extra", extra.strip(" \t")))
    return rec


def model_syslog(text):
    m = SYSLOG.match(text)
    if not m or m.group(2) not in MONTHS:
        return None
    pri, mon, dd, hms, host, app, pid, msg = m.groups()
    pri = int(pri)
    if pri > 191:
        return None
    rec = [("pri", pri), ("facility", pri // 8), ("severity", pri % 8),
           ("time", f"{year:04d}-{MONTHS[mon]:02d}-{int(dd):02d}T{hms}"), ("host", host),
           ("app", app)]
    if pid is not None:
        rec.append(("pid", int(pid)))
    rec.append(("message", msg))
    return rec


def model_json(text):
    try:
        v = loads_pairs(text)
    except ValueError:
        return None
    return v if isinstance(v, list) and (not v or isinstance(v[0], tuple)) else None


def model(fmt, text):
    if fmt == "raw":
        return [("message", text)]
    return {"access": model_access, "json": model_json, "syslog": model_syslog}[fmt](text)


def split_lines(data):
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    lines = [x[:-1] if x.endswith(b"\r") else x for x in parts]
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return lines


# MANIFEST.tsv: path bytes lines format.
tsv = {}
with open(tsv_path, encoding="utf-8") as f:
    header = f.readline().rstrip("\n").split("\t")
    assert header == ["path", "bytes", "lines", "format"], header
    for row in f:
        p, b, n, fmt = row.rstrip("\n").split("\t")
        tsv[os.path.join(corpus, p)] = (int(b), int(n), fmt)

# xxhsum -H3 (BSD or GNU style lines).
digests = {}
for line in open(xxh_path, encoding="utf-8", errors="surrogateescape"):
    line = line.rstrip("\n")
    m = re.match(r"^XXH3 \((.*)\) = ([0-9a-f]{16})$", line)
    if m:
        digests[m.group(1)] = m.group(2)
    elif (m := re.match(r"^(?:XXH3_)?([0-9a-f]{16})  (.*)$", line)):
        digests[m.group(2)] = m.group(1)

# The manifest.
manifest = []
for i, line in enumerate(open(man_path, "rb").read().split(b"\n")[:-1]):
    try:
        manifest.append(json.loads(line.decode("utf-8"), object_pairs_hook=dict))
    except ValueError as e:
        problem(f"manifest line {i + 1} is not JSON: {e}: {short(line)}")
paths = [m.get("path") for m in manifest]
if sorted(paths) != sorted(tsv):
    problem(f"manifest lists other files than MANIFEST.tsv: only in manifest "
            f"{short(sorted(set(paths) - set(tsv)))}, missing {short(sorted(set(tsv) - set(paths)))}")
if len(set(paths)) != len(paths):
    problem("a file is listed twice in the manifest")
if len(digests) != len(tsv):
    problem(f"the xxhsum oracle gave {len(digests)} digests for {len(tsv)} files")
KEYS = ["path", "bytes", "lines", "records", "parse_errors", "format", "xxh3", "status"]
for m in manifest:
    p = m.get("path")
    if list(m) != KEYS:
        problem(f"manifest keys {list(m)}, expected {KEYS}")
    if p not in tsv:
        continue
    b, n, _ = tsv[p]
    if m["status"] != "ok":
        problem(f"{p}: status {m['status']!r}")
    if not (m["bytes"] == b == os.stat(p).st_size):
        problem(f"{p}: manifest bytes {m['bytes']}, MANIFEST.tsv {b}, stat {os.stat(p).st_size}")
    if not (m["lines"] == m["records"] == n):
        problem(f"{p}: manifest lines {m['lines']} records {m['records']}, MANIFEST.tsv {n}")
    if m["xxh3"] != digests.get(p):
        problem(f"{p}: manifest xxh3 {m['xxh3']}, xxhsum -H3 {digests.get(p)}")
total = sum(v[1] for v in tsv.values())
if not problems:
    print(f"  ok: manifest checked for {len(manifest)} files ({total} lines in MANIFEST.tsv)")

# The output, file by file in the manifest's order, record by record against the model.
data = open(out_path, "rb").read()
if data and not data.endswith(b"\n"):
    problem("the output does not end with a newline")
out_lines = data.split(b"\n")[:-1] if data else []
if len(out_lines) != total:
    problem(f"output has {len(out_lines)} lines, MANIFEST.tsv says {total} input lines")
if sum(m.get("records", 0) or 0 for m in manifest) != total:
    problem("sum of the manifest's records differs from the sum of MANIFEST.tsv lines")
pos = 0
checked = {"access": 0, "json": 0, "syslog": 0, "raw": 0}
errors_expected = 0
for m in manifest:
    p = m.get("path")
    if p not in tsv:
        continue
    fmt = tsv[p][2]
    lines = split_lines(open(p, "rb").read())
    file_errors = 0
    for k, raw in enumerate(lines):
        where = f"{p} line {k + 1} (output line {pos + 1})"
        if pos >= len(out_lines):
            problem(f"{where}: output ends early")
            break
        got_bytes = out_lines[pos]
        pos += 1
        try:
            got_text = got_bytes.decode("utf-8")
            got = loads_pairs(got_text)
        except ValueError as e:
            problem(f"{where}: not valid JSON ({e}): {short(got_bytes)}")
            continue
        if not isinstance(got, list) or (got and not isinstance(got[0], tuple)):
            problem(f"{where}: not a JSON object: {short(got_text)}")
            continue
        cut = raw[:LIMIT]
        text = cut.decode("utf-8", "bytes_as_latin1")
        want = model(fmt, text)
        if want is None:
            file_errors += 1
            d = dict(got)
            keys = [kv[0] for kv in got]
            want_keys = ["_error", "_raw"] + (["_truncated"] if len(raw) > LIMIT else [])
            if keys != want_keys or not isinstance(d["_error"], str) or not d["_error"] \
                    or d["_raw"] != text or d.get("_truncated", True) is not True:
                problem(f"{where}: the model expects a parse error for {fmt} line "
                        f"{short(text)}, got {short(got_text)}")
            continue
        if len(raw) > LIMIT:
            want = want + [("_truncated", True)]
        if got != want:
            problem(f"{where}: {fmt} record differs from the model:\n    got  {short(got)}\n"
                    f"    want {short(want)}")
            continue
        d = dict(got)
        if fmt == "access":
            if not RFC3339.match(d["time"]):
                problem(f"{where}: access time {d['time']!r} is not RFC 3339")
            datetime.datetime.fromisoformat(d["time"])
            if not (isinstance(d["status"], int) and isinstance(d["bytes"], int)):
                problem(f"{where}: status/bytes not integers")
        elif fmt == "syslog":
            datetime.datetime.strptime(d["time"], "%Y-%m-%dT%H:%M:%S")  # a real date and time
        checked[fmt] += 1
    errors_expected += file_errors
    if m.get("parse_errors") != file_errors:
        problem(f"{p}: manifest parse_errors {m.get('parse_errors')}, the model expects "
                f"{file_errors}")
if pos != len(out_lines):
    problem(f"output has {len(out_lines) - pos} lines more than the files' lines")
print(f"  {'ok' if not problems else 'checked'}: records equal to the model: {checked}; "
      f"parse errors where the model expects them: {errors_expected}")
if problems:
    print(f"oracle: {len(problems)} problem(s)")
    sys.exit(1)
PY

# stats_check.py STATS_JSON MANIFEST SUMMARY_STDERR: --stats-json vs the manifest and the summary.
cat >stats_check.py <<'PY'
import collections
import json
import re
import sys

stats_path, man_path, err_path = sys.argv[1:4]
bad = []
try:
    stats = json.loads(open(stats_path, encoding="utf-8").read())
except ValueError as e:
    print(f"FAIL: --stats-json is not valid JSON: {e}")
    sys.exit(1)
man = [json.loads(l) for l in open(man_path, encoding="utf-8")]
ok = [m for m in man if m["status"] == "ok"]
skipped = collections.Counter(m["status"] for m in man if m["status"] != "ok")
want = {"files_total": len(man), "files_read": len(ok), "files_skipped": len(man) - len(ok),
        "skipped": dict(skipped), "bytes": sum(m["bytes"] for m in man),
        "lines": sum(m["lines"] for m in man), "records": sum(m["records"] for m in man),
        "parse_errors": sum(m["parse_errors"] for m in man),
        "formats": dict(collections.Counter(m["format"] for m in man if m["format"] is not None)),
        "interrupted": False, "signal": None}
for k, v in want.items():
    if stats.get(k) != v:
        bad.append(f"stats {k} = {stats.get(k)!r}, the manifest says {v!r}")
for k in ("elapsed_seconds", "bytes_per_second", "lines_per_second"):
    if not isinstance(stats.get(k), (int, float)) or isinstance(stats.get(k), bool) or stats[k] < 0:
        bad.append(f"stats {k} = {stats.get(k)!r}, expected a number >= 0")
want_keys = {"files_total", "files_read", "files_skipped", "skipped", "bytes", "lines", "records",
             "parse_errors", "formats", "elapsed_seconds", "bytes_per_second", "lines_per_second",
             "interrupted", "signal"}
if set(stats) != want_keys:
    bad.append(f"stats keys {sorted(stats)}, expected {sorted(want_keys)}")
e = stats.get("elapsed_seconds") or 0
if e >= 0.05 and stats["bytes"] > 0:
    implied = stats["bytes_per_second"] * e
    if abs(implied - stats["bytes"]) > 0.02 * stats["bytes"] + stats["bytes_per_second"] * 0.001:
        bad.append(f"bytes_per_second {stats['bytes_per_second']} x elapsed {e} != bytes "
                   f"{stats['bytes']}")
# The text summary on stderr.
err = open(err_path, encoding="utf-8", errors="replace").read()
m1 = re.search(r"^ringflow: (\d+) files? read, (\d+) skipped", err, re.M)
m2 = re.search(r"^ringflow: ([\d.]+) MiB, (\d+) lines?, (\d+) records?, (\d+) parse errors?", err,
               re.M)
if not (m1 and m2):
    bad.append(f"no summary lines in stderr: {err[-500:]!r}")
else:
    if (int(m1.group(1)), int(m1.group(2))) != (stats.get("files_read"), stats.get("files_skipped")):
        bad.append(f"summary says {m1.group(0)!r}, stats files_read {stats.get('files_read')}, "
                   f"files_skipped {stats.get('files_skipped')}")
    if [int(m2.group(i)) for i in (2, 3, 4)] != [stats.get(k) for k in ("lines", "records",
                                                                       "parse_errors")]:
        bad.append(f"summary says {m2.group(0)!r}, stats lines/records/parse_errors "
                   f"{stats.get('lines')}/{stats.get('records')}/{stats.get('parse_errors')}")
    if abs(float(m2.group(1)) - stats.get("bytes", 0) / 2**20) > 0.051:
        bad.append(f"summary says {m2.group(1)} MiB, stats bytes {stats.get('bytes')}")
for b in bad:
    print("FAIL: " + b)
if bad:
    sys.exit(1)
print(f"  ok: stats {json.dumps({k: stats[k] for k in want})} agree with the manifest "
      f"({len(man)} entries) and the summary")
PY

# --- 1. a generated corpus, all three formats and the edge cases ---------------------------------
log "generating corpus (200 small + 2 x 8 MiB + edge cases) in $E2E_TMP/corpus"
python3 "$GEN" corpus --small 200 --large 2 --large-size 8M --edge --seed 5 -q
mv corpus/MANIFEST.tsv corpus.tsv # the corpus holds only log files
xxh_oracle corpus >xxh.txt

check "1. corpus: records, manifest (bytes, lines, xxh3) and every record against a model"
rf main.out main.err replay --year 2024 --out out1.ndjson --manifest man1.ndjson \
  --stats-json stats1.json corpus
expect_rc "replay corpus" 0 "$RC"
[[ ! -s main.out ]] && pass "nothing on stdout with --out" || fail "stdout not empty with --out"
want_records=$(awk -F'\t' 'NR > 1 { s += $3 } END { print s + 0 }' corpus.tsv)
got_records=$(wc -l <out1.ndjson)
[[ $got_records == "$want_records" ]] && pass "$got_records output lines == sum of MANIFEST.tsv lines" ||
  fail "$got_records output lines, MANIFEST.tsv sums to $want_records"
if python3 oracle.py corpus corpus.tsv man1.ndjson out1.ndjson xxh.txt 2024; then
  pass "every line valid JSON and equal to the model; manifest == MANIFEST.tsv, stat, xxhsum -H3"
else
  fail "the output or manifest differs from the oracle (see above)"
fi

# --- 2. per-file format detection, --format ------------------------------------------------------
check "2. per-file format detection: access, json, syslog, logfmt in one directory"
mkdir fmt
# The first small file of each format with at least 40 lines (MANIFEST.tsv: path bytes lines format).
pick() { awk -F'\t' -v f="$1" '$4 == f && $3 >= 40 && $1 ~ /\/s[0-9]+\.log$/ { print "corpus/" $1; exit }' corpus.tsv; }
a=$(pick access) j=$(pick json) s=$(pick syslog)
head -n 20 "$a" >fmt/1-access.log
head -n 20 "$j" >fmt/2-json.log
head -n 20 "$s" >fmt/3-syslog.log
for i in $(seq 1 20); do
  printf 'ts=2026-01-02T03:04:%02dZ level=info msg="request done %d" n=%d dur=1.5 ok=true\n' \
    "$i" "$i" "$i"
done >fmt/4-logfmt.log
rf fmt.out fmt.err replay --manifest fmt.man fmt
expect_rc "replay fmt" 0 "$RC"
if python3 - fmt.out fmt.man <<'PY'; then pass "each file's records carry its format's fields"; else fail "format detection"; fi
import json, sys
out = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
man = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
want = {"1-access.log": ["remote_addr", "remote_user", "time", "method", "path", "protocol",
                         "status", "bytes", "referer", "user_agent"],
        "2-json.log": None,  # the object's own keys
        "3-syslog.log": ["pri", "facility", "severity", "time", "host", "app", "pid", "message"],
        "4-logfmt.log": ["ts", "level", "msg", "n", "dur", "ok"]}
bad, pos = 0, 0
for m in man:
    name = m["path"].rsplit("/", 1)[-1]
    src = open(m["path"], encoding="utf-8").read().splitlines()
    recs = out[pos:pos + m["records"]]
    pos += m["records"]
    if m["records"] != len(src) or len(src) < 2 or m["parse_errors"] != 0:
        print(f"FAIL: {name}: {m['records']} records, {m['parse_errors']} parse errors"); bad += 1
    for i, (r, line) in enumerate(zip(recs, src)):
        keys = want[name] if want[name] is not None else list(json.loads(line))
        if name == "3-syslog.log" and "[" not in line.split(":", 3)[-2]:
            keys = [k for k in keys if k != "pid"]  # "kernel:" has no [PID]
        if list(r) != keys:
            print(f"FAIL: {name} record {i}: keys {list(r)}, expected {keys}"); bad += 1; break
        if name == "4-logfmt.log" and r != {"ts": f"2026-01-02T03:04:{i + 1:02d}Z", "level": "info",
                                            "msg": f"request done {i + 1}", "n": i + 1,
                                            "dur": 1.5, "ok": True}:
            print(f"FAIL: logfmt record {i}: {r}"); bad += 1; break
        if name == "2-json.log" and r != json.loads(line):
            print(f"FAIL: json record {i}: {r}"); bad += 1; break
        if name == "1-access.log" and not (isinstance(r["status"], int) and isinstance(r["bytes"], int)):
            print(f"FAIL: access record {i}: {r}"); bad += 1; break
sys.exit(1 if bad or pos != len(out) else 0)
PY

check "2. --format json on an access file: every record a parse error with _error and _raw"
rf fj.out fj.err replay --format json --manifest fj.man fmt/1-access.log
expect_rc "replay --format json access" 0 "$RC"
if python3 - fj.out fj.man fmt/1-access.log <<'PY'; then pass "20 records, each {_error, _raw = the line}"; else fail "--format json on access"; fi
import json, sys
out = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
man = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
src = open(sys.argv[3], encoding="utf-8").read().splitlines()
ok = len(out) == len(src) == 20 and man[0]["parse_errors"] == 20 and all(
    list(r) == ["_error", "_raw"] and r["_error"] and r["_raw"] == l for r, l in zip(out, src))
if not ok:
    print(f"FAIL: {len(out)} records, manifest {man}, first {out[:1]}")
sys.exit(0 if ok else 1)
PY

# --- 3. determinism --------------------------------------------------------------------------------
check "3. determinism: a second run writes identical --out and --manifest"
rf run2.out run2.err replay --year 2024 --out out2.ndjson --manifest man2.ndjson corpus
expect_rc "second run" 0 "$RC"
cmp -s out1.ndjson out2.ndjson && pass "--out identical ($(wc -c <out2.ndjson) bytes)" ||
  fail "two runs wrote different --out"
cmp -s man1.ndjson man2.ndjson && pass "--manifest identical" || fail "two runs wrote different manifests"

check "3. --unordered: the same multiset of lines"
rf un.out un.err replay --year 2024 --unordered --out outu.ndjson --manifest manu.ndjson corpus
expect_rc "--unordered" 0 "$RC"
sort out1.ndjson >s1
sort outu.ndjson >s2
cmp -s s1 s2 && pass "sorted --unordered output == sorted ordered output" ||
  fail "--unordered output is not a permutation of the ordered output"
sort man1.ndjson >m1s
sort manu.ndjson >m2s
cmp -s m1s m2s && pass "same manifest lines" || fail "--unordered manifest differs"

check "3. engine settings change nothing in the output (each option of --help's Engine group)"
rf fmt2.out fmt2.err replay fmt
expect_rc "replay fmt (default engine)" 0 "$RC"
for opt in "--threads 1" "--buffers 2" "--buffer-size 64KiB" "--queue-depth 8" "--direct" "--sqpoll" \
  "--decode-threads 0" "--decode-threads 3"; do
  # shellcheck disable=SC2086
  rf eng.out eng.err replay $opt fmt
  if [[ $RC == 0 ]] && cmp -s fmt2.out eng.out; then
    pass "replay $opt: exit 0, identical output"
  else
    fail "replay $opt fmt: exit $RC, output $(cmp -s fmt2.out eng.out && echo identical || echo differs); stderr: $(head -c 300 eng.err)"
  fi
done

# --- 4. file selection ---------------------------------------------------------------------------
check "4. file selection (--include, --exclude, --no-recursive, --hidden) == find"
mkdir -p sel/1/deep sel/2/1 sel/3 sel/.hdir
for f in a.log b.txt "sp ace.log" 1/c.log 1/d.txt 1/deep/x.log 2/e.log 2/1/f.log 3/h.log 3/.i.log \
  .hidden.log .hdir/g.log; do
  printf 'k=v n=1\nk=w n=2\n' >"sel/$f"
done
python3 -c 'import zipfile; zipfile.ZipFile("sel/z.log.zip", "w").writestr("z.log", b"x\n")'
# ok_paths MANIFEST: the paths read (status "ok"), sorted; skipped_paths: the others.
ok_paths() { python3 -c 'import json,sys; [print(m["path"]) for m in map(json.loads, open(sys.argv[1])) if m["status"] == "ok"]' "$1" | sort; }
skipped_paths() { python3 -c 'import json,sys; [print(m["path"], m["status"].split(" ")[0]) for m in map(json.loads, open(sys.argv[1])) if m["status"] != "ok"]' "$1" | sort; }
# select_case WHAT EXPECTED_RC ORACLE_FILE ARGS...
select_case() {
  local what=$1 want_rc=$2 oracle=$3
  shift 3
  rf sel.out sel.err replay --manifest sel.man "$@"
  expect_rc "$what" "$want_rc" "$RC"
  ok_paths sel.man >sel.got
  same_file "$what: files read == find" "$oracle" sel.got
}
NOCOMP=(-not -name '*.zip')
find sel -type f -not -path '*/.*' "${NOCOMP[@]}" | sort >o.default
select_case "default" 0 o.default sel
{ find sel -mindepth 1 -name '.*' -prune -printf '%p hidden\n'
  find sel -path '*/.*' -prune -o -type f -name '*.zip' -printf '%p compressed\n'; } | sort >o.skipped
skipped_paths sel.man >sel.skipped
same_file "default: hidden entries and archives listed as skipped" o.skipped sel.skipped
for p in $(cut -d' ' -f1 o.skipped); do
  grep -q -F "ringflow: note: $p: " sel.err || fail "no note for $p: $(head -c 300 sel.err)"
done
find sel -type f -path '*.log' -not -path '*/.*' | sort >o.include
select_case "--include '*.log'" 0 o.include --include '*.log' sel
find sel -type f -not -path '*/1/*' -not -path '*/.*' "${NOCOMP[@]}" | sort >o.exclude
select_case "--exclude '*/1/*'" 0 o.exclude --exclude '*/1/*' sel
find sel -type f -path '*.log' -not -path '*/1/*' -not -path '*/.*' | sort >o.both
select_case "--include '*.log' --exclude '*/1/*'" 0 o.both --include '*.log' --exclude '*/1/*' sel
find sel -type f "${NOCOMP[@]}" | sort >o.hidden
select_case "--hidden" 0 o.hidden --hidden sel
find sel -type f -path '*.log' -not -path '*/1/*' | sort >o.hidden2
select_case "--hidden --include '*.log' --exclude '*/1/*'" 0 o.hidden2 --hidden --include '*.log' \
  --exclude '*/1/*' sel
named=(sel/a.log sel/b.txt "sel/sp ace.log" sel/1/c.log)
find "${named[@]}" -maxdepth 0 -type f | sort >o.norec
select_case "--no-recursive FILE..." 0 o.norec --no-recursive "${named[@]}"
rf sel.out sel.err replay --manifest sel.man --no-recursive sel
expect_rc "--no-recursive DIR (a directory named: reported)" 1 "$RC"
[[ $(ok_paths sel.man | wc -l) == 0 && ! -s sel.out ]] && pass "--no-recursive sel: nothing read" ||
  fail "--no-recursive sel read files: $(ok_paths sel.man | head -3)"
grep -q '^ringflow: sel: .*directory' sel.err && pass "the directory is named: $(grep '^ringflow: sel:' sel.err)" ||
  fail "--no-recursive sel: no line naming the directory: $(head -c 300 sel.err)"

# --- 5. output safety ------------------------------------------------------------------------------
check "5a. --out into a directory that does not exist: one error line, exit 1, nothing created"
mkdir empty
pushd empty >/dev/null
rf ../a.out ../a.err replay --out no/such/dir/out.ndjson ../fmt
popd >/dev/null
expect_rc "--out no/such/dir/out.ndjson" 1 "$RC"
one_error_line "missing directory" a.err 'no/such/dir.*(ENOENT|No such file)'
[[ -z $(ls -A empty) ]] && pass "nothing created" || fail "files created: $(ls -A empty)"

check "5b. stdout on /dev/full: one ENOSPC line, exit 1, no crash"
RC=0
timeout 60 "$RF" replay fmt >/dev/full 2>b.err </dev/null || RC=$?
expect_rc "replay > /dev/full" 1 "$RC"
one_error_line "stdout full" b.err 'ENOSPC|No space left'

check "5c. --out /dev/full: one ENOSPC line, exit 1, /dev/full left a character device"
rf c.out c.err replay --out /dev/full fmt
expect_rc "--out /dev/full" 1 "$RC"
one_error_line "--out /dev/full" c.err 'ENOSPC|No space left'
[[ -c /dev/full ]] && pass "/dev/full is still a character device" || fail "/dev/full was replaced!"
no_tmp_left "--out /dev/full" /dev

check "5d. --out /dev/null: exit 0, /dev/null left a character device"
rf d.out d.err replay --out /dev/null --manifest d.man fmt
expect_rc "--out /dev/null" 0 "$RC"
[[ -c /dev/null ]] && pass "/dev/null is still a character device" || fail "/dev/null was replaced!"
[[ ! -s d.out && $(wc -l <d.man) == 4 ]] && pass "stdout empty, manifest written" || fail "stdout/manifest wrong"
no_tmp_left "--out /dev/null" /dev

check "5e/5f. a full filesystem: exit 1, ENOSPC, no partial file, no temporary file, old file kept"
mkdir "$SMALL"
if mount -t tmpfs -o size=1m ringflow-e2e "$SMALL" 2>mount.err; then
  rf e.out e.err replay --out "$SMALL/out.ndjson" --manifest "$SMALL/man.ndjson" corpus
  expect_rc "--out on a 1 MiB tmpfs (output ~$(($(wc -c <out1.ndjson) >> 20)) MiB)" 1 "$RC"
  one_error_line "full tmpfs" e.err 'ENOSPC|No space left'
  left=$(ls -A "$SMALL")
  [[ -z $left ]] && pass "nothing left on the tmpfs (no final file, no temporary)" ||
    fail "left on the full tmpfs: $left"
  # 5f: a good run, then a failing one: the good run's file stays as it was.
  rf f.out f.err replay --out "$SMALL/out.ndjson" fmt
  expect_rc "small run onto the tmpfs" 0 "$RC"
  cp "$SMALL/out.ndjson" good.ndjson
  cmp -s good.ndjson fmt2.out && pass "good run written" || fail "good run's output differs"
  rf f.out f.err replay --out "$SMALL/out.ndjson" corpus
  expect_rc "failing run over the existing file" 1 "$RC"
  cmp -s good.ndjson "$SMALL/out.ndjson" && pass "previous content intact after the failed run" ||
    fail "a failed run changed the existing $SMALL/out.ndjson"
  no_tmp_left "failed run over the existing file" "$SMALL"
  # The manifest's filesystem fills up: the run fails, so --out (elsewhere) must not be replaced.
  rm -f "$SMALL/out.ndjson"
  head -c 2M /dev/zero >"$SMALL/filler" 2>/dev/null || true
  printf 'previous\n' >keep.ndjson
  rf g.out g.err replay --out keep.ndjson --manifest "$SMALL/man.ndjson" fmt
  expect_rc "--manifest on a full tmpfs" 1 "$RC"
  one_error_line "--manifest on a full tmpfs" g.err 'ENOSPC|No space left'
  [[ $(<keep.ndjson) == previous ]] && pass "--out keep.ndjson intact after the failed run" ||
    fail "BUG: the run failed (exit $RC: $(head -1 g.err)) but --out keep.ndjson was replaced ($(wc -l <keep.ndjson) lines): an output is renamed into place although the run did not succeed"
  no_tmp_left "--manifest on a full tmpfs" .
  no_tmp_left "--manifest on a full tmpfs" "$SMALL"
  umount "$SMALL" || umount -l "$SMALL" || true
else
  log "note: cannot mount a tmpfs ($(head -1 mount.err)); the full-filesystem cases are skipped"
fi

check "5f. replace only on success: a failing run (bad --config stage, manifest on /dev/full) keeps the old file"
printf 'previous\n' >keep.ndjson
cat >bad_stage.json <<'JSON'
{"source": {"paths": ["fmt"]},
 "stages": [{"name": "lines", "type": "lines"},
            {"name": "p", "type": "parse", "input": "lines", "format": "json"},
            {"name": "f", "type": "filter", "input": "p", "where": "level == = 3"}],
 "sinks": [{"name": "out", "type": "json", "input": "f", "path": "keep.ndjson"}]}
JSON
rf h.out h.err replay --config bad_stage.json fmt
expect_rc "--config with a bad stage" 1 "$RC"
[[ $(<keep.ndjson) == previous ]] && pass "old content intact" || fail "a failed --config run changed keep.ndjson"
rf h.out h.err replay --out keep.ndjson --manifest /dev/full fmt
expect_rc "--out FILE --manifest /dev/full" 1 "$RC"
[[ $(<keep.ndjson) == previous ]] && pass "--out keep.ndjson intact after the failed run" ||
  fail "BUG: the run failed (exit $RC: $(head -1 h.err)) but --out keep.ndjson was replaced ($(wc -l <keep.ndjson) lines)"
no_tmp_left "--manifest /dev/full" .

check "5g. --append twice: the concatenation of two runs"
rf app.out app.err replay --append --out app.ndjson fmt
expect_rc "--append (1)" 0 "$RC"
rf app.out app.err replay --append --out app.ndjson fmt
expect_rc "--append (2)" 0 "$RC"
cat fmt2.out fmt2.out >app.want
same_file "--append x2" app.want app.ndjson
printf 'previous\n' >app2.ndjson
rf app.out app.err replay --append --out app2.ndjson fmt
{ printf 'previous\n'; cat fmt2.out; } >app2.want
same_file "--append to an existing file keeps its content" app2.want app2.ndjson

# --- 6. --stats-json -----------------------------------------------------------------------------
check "6. --stats-json agrees with the manifest and the text summary (corpus)"
python3 stats_check.py stats1.json man1.ndjson main.err || fail "stats of the corpus run"
check "6. --stats-json with skipped files (hidden, an archive)"
rf st.out st.err replay --stats-json st.json --manifest st.man sel
expect_rc "replay sel" 0 "$RC"
python3 stats_check.py st.json st.man st.err || fail "stats of the selection run"

# --- 7. --config -----------------------------------------------------------------------------------
check "7. --config: PATH replaces the document's source paths; lines -> parse json -> filter -> json"
cat >errors.json <<'JSON'
{"source": {"paths": ["no-such-directory"]},
 "stages": [{"name": "lines", "type": "lines"},
            {"name": "parsed", "type": "parse", "input": "lines", "format": "json"},
            {"name": "errors", "type": "filter", "input": "parsed", "where": "level == \"error\""}],
 "sinks": [{"name": "out", "type": "json", "input": "errors", "path": "errors.ndjson"}]}
JSON
rf cfg.out cfg.err replay --config errors.json corpus/json
expect_rc "replay --config errors.json corpus/json" 0 "$RC"
python3 - corpus/json errors.ndjson <<'PY' && pass "filtered records == Python's" || fail "--config output differs from Python"
import json, os, sys
want = []
for d, dirs, names in os.walk(sys.argv[1]):
    for n in names:
        for line in open(os.path.join(d, n), encoding="utf-8"):
            r = json.loads(line)
            if r.get("level") == "error":
                want.append(r)
got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
key = lambda r: json.dumps(r, sort_keys=True)
ok = len(want) > 0 and sorted(map(key, want)) == sorted(map(key, got))
print(f"  {'ok' if ok else 'FAIL'}: {len(got)} records, Python finds {len(want)} with level == error")
sys.exit(0 if ok else 1)
PY
rf cfg.out cfg.err replay --config errors.json --set 'sinks[0].path=errors2.ndjson' corpus/json
expect_rc "--config --set sinks[0].path=..." 0 "$RC"
cmp -s errors.ndjson errors2.ndjson && pass "--set redirected the sink (identical output)" ||
  fail "--set sinks[0].path: output differs or missing"
bad_usage() {
  local what=$1 want=$2
  shift 2
  rf bu.out bu.err replay "$@"
  expect_rc "$what" 2 "$RC"
  [[ ! -s bu.out ]] || fail "$what: printed on stdout"
  one_error_line "$what" bu.err "$want"
}
bad_usage "--out with --config" '--out' --config errors.json --out x.ndjson corpus/json
[[ ! -e x.ndjson ]] || fail "--out with --config created x.ndjson"
bad_usage "--set without --config" '--set' --set 'sinks[0].path=-' corpus/json

# --- 8. --help and bad usage -----------------------------------------------------------------------
check "8. --help documents every option and has an Examples section"
rf help.out help.err replay --help
expect_rc "replay --help" 0 "$RC"
sed -n '/^Options:/,$p' help.out | grep -oE '^  (-[a-zA-Z] \[ )?--[a-z][a-z-]*' | sed -E 's/.*--//' |
  sort >help.got
printf '%s\n' help out append manifest stats-json no-fsync format year timezone include exclude \
  no-recursive order shard hidden max-line-bytes multiline unordered rate speed max-gap quiet progress queue-depth \
  buffers buffer-size direct sqpoll threads decode-threads config set checkpoint resume checkpoint-every \
  checkpoint-interval | sort >help.want
same_file "options listed by --help" help.want help.got
sed -n '/^Examples:/,/^$/p' help.out >examples.txt
if [[ $(grep -c '^  ringflow replay ' examples.txt) -ge 2 ]]; then
  pass "Examples section with $(grep -c '^  ringflow replay ' examples.txt) commands"
else
  fail "--help has no Examples section with ringflow replay commands"
fi

check "8. bad usage: exit 2, one line naming the option"
bad_usage "no PATH" 'PATH'
bad_usage "--format acces" '--format.*acces' --format acces fmt
bad_usage "--order newest" '--order.*newest' --order newest fmt
bad_usage "--rate 5" '--rate' --rate 5 fmt
bad_usage "--speed 0" '--speed' --speed 0 fmt
bad_usage "--max-gap x" '--max-gap' --max-gap x fmt
# An engine setting out of range is the document's error, named by its key (exit 1, as
# for --threads 0).
rf bu.out bu.err replay --decode-threads 65 fmt
expect_rc "--decode-threads 65" 1 "$RC"
one_error_line "--decode-threads 65" bu.err 'source\.decode_threads: 65 is out of range; must be between 0 and 64'

e2e_done

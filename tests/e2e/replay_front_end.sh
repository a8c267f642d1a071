#!/usr/bin/env bash
# e2e: the front end of `ringflow replay` around the pipeline.
#  - Signals: SIGINT / SIGTERM stop a paced run: exit 130 / 143, the output is renamed into place,
#    holds whole files of JSON lines that the manifest accounts for ("interrupted" for the files
#    cut short, xxh3 null), the summary says so, no temporary file is left; a second SIGINT
#    exits at once (also when the drain is stuck on a consumer that does not read) and removes
#    the temporary files; a signal that comes before the run (during discovery) is no different.
#  - Pacing: --rate (bytes and lines) and --speed (the logs' "time" fields, --max-gap, time that
#    goes back) delay records without changing a byte; paced output reaches a live consumer as
#    it goes. Timings are only checked as lower bounds (what pacing must wait at least) and as
#    hang limits, never as performance bounds.
#  - Progress: --progress redraws "\r...ESC[K" on stderr, never on stdout; --quiet and a stderr
#    that is not a terminal get none; problem lines never share a line with the progress text.
#  - The summary ("ringflow: " lines) and --stats-json agree with each other and with the input.
# ringflow is started with `&` from this non-interactive bash, so it inherits SIGINT as SIG_IGN
# (as any background job there): it must install its own handler, which is checked as well.
source "$(dirname "$0")/lib.sh" "$@"
cd "$E2E_TMP"

# ---- helpers ----------------------------------------------------------------------------------

# (now, secs_since, ge, wait_exit, no_temps: lib.sh)

# timed_rf OUT ERR ARGS...: rf (timeout 60, stdin closed) and the wall time in TOOK.
timed_rf() {
  local t0
  t0=$(now)
  rf "$@"
  TOOK=$(secs_since "$t0")
}
# at_least WHAT SECONDS MIN: a lower bound on a paced run's wall time.
at_least() {
  if ge "$2" "$3"; then pass "$1: took $2 s >= $3 s"; else fail "$1: took $2 s, pacing must take >= $3 s"; fi
}

# start_bg OUT ERR ARGS...: ringflow in the background (stdin closed); its pid in BG.
start_bg() {
  local out=$1 err=$2; shift 2
  "$RF" "$@" >"$out" 2>"$err" </dev/null &
  BG=$!
}
# stderr_has FILE WHAT FIXED_STRING
stderr_has() {
  if grep -qF -- "$3" "$1"; then pass "$2: stderr has '$3'"; else
    fail "$2: stderr lacks '$3'; stderr was (cat -v):"
    [[ -s $1 ]] || echo "    (empty)"
    cat -v "$1" | sed 's/^/    /' | head -20
  fi
}
# pycheck ARGS...: the Python checks below; each failure they print counts as one.
pycheck() {
  local rc=0
  python3 checks.py "$@" || rc=$?
  E2E_FAILS=$((E2E_FAILS + rc))
}
# sigmask PID FIELD: the signal mask FIELD (SigIgn, SigCgt) of PID from /proc, as hex.
sigmask() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

cat >checks.py <<'PY'
"""Checks of ringflow replay's outputs; prints ok/FAIL lines, exits with the number of FAILs."""
import json
import re
import sys

fails = 0


def ok(msg):
    print("  ok: " + msg)


def fail(msg):
    global fails
    fails += 1
    print("FAIL: " + msg)


def ndjson(path):
    """The JSON values of the lines of path; fails (and returns None) on a bad line."""
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        fail("%s does not end with a newline (a cut line?)" % path)
    values = []
    for n, line in enumerate(data.split(b"\n")[:-1] if data else [], 1):
        try:
            values.append(json.loads(line))
        except ValueError as e:
            fail("%s line %d is not JSON (%s): %r" % (path, n, e, line[:200]))
            return None
    return values


def summary_counts(err_text):
    """(files read, {reason: count}) from the summary's "N files read, K skipped (...)" line."""
    m = re.search(r"^ringflow: (\d+) files? read, (\d+) skipped(?: \((.*)\))?$", err_text, re.M)
    if not m:
        return None, None
    reasons = {}
    if m.group(3):
        for part in re.split(r", (?=\d+ )", m.group(3)):
            n, reason = part.split(" ", 1)
            reasons[reason] = int(n)
    if sum(reasons.values()) != int(m.group(2)):
        fail("summary: skipped total %s != the sum of its reasons %r" % (m.group(2), reasons))
    return int(m.group(1)), reasons


def interrupted(out, man, full_out, full_man, err, stats, sig):
    """A run stopped by signal `sig`, against the complete run (full_out, full_man)."""
    recs = ndjson(out)
    m = ndjson(man)
    fm = ndjson(full_man)
    full = open(full_out, "rb").read().split(b"\n")[:-1]
    if recs is None or m is None or fm is None:
        return
    ok("every line of the output and of the manifest is JSON (%d records, %d files)" % (len(recs), len(m)))
    total = sum(x["records"] for x in m)
    if total == len(recs):
        ok("output lines (%d) == the sum of the manifest's records" % total)
    else:
        fail("output has %d lines, the manifest's records add up to %d" % (len(recs), total))
    paths = [x["path"] for x in m]
    if paths == [x["path"] for x in fm[: len(m)]]:
        ok("the manifest lists the first %d of %d files in discovery order" % (len(m), len(fm)))
    else:
        fail("manifest paths %r are not the first files of the complete run %r" % (paths, [x["path"] for x in fm]))
    cut = [x for x in m if x["status"] == "interrupted"]
    if cut or len(m) < len(fm):
        ok("the run was cut short: %d file(s) interrupted, %d not reached" % (len(cut), len(fm) - len(m)))
    else:
        fail("the signal did not cut the run short (every file read): the test proves nothing")
    by_path = {x["path"]: x for x in fm}
    for x in m:
        if x["status"] == "interrupted":
            if x["xxh3"] is not None:
                fail("interrupted file %s has xxh3 %r, expected null" % (x["path"], x["xxh3"]))
            if x["bytes"] > by_path[x["path"]]["bytes"]:
                fail("interrupted file %s: %d bytes, more than its size" % (x["path"], x["bytes"]))
        elif x != by_path.get(x["path"]):
            fail("manifest entry %r differs from the complete run's %r" % (x, by_path.get(x["path"])))
    if all(x["status"] in ("ok", "interrupted") for x in m):
        ok("ok files match the complete run's manifest (xxh3 too); interrupted ones have xxh3 null")
    else:
        fail("unexpected statuses: %r" % sorted({x["status"] for x in m}))

    text = open(err, encoding="utf-8", errors="replace").read()
    if re.search(r"^ringflow: interrupted by %s$" % sig, text, re.M):
        ok("summary says 'interrupted by %s'" % sig)
    else:
        fail("summary lacks 'ringflow: interrupted by %s': %r" % (sig, text[-600:]))
    n_ok = sum(1 for x in m if x["status"] == "ok")
    read, reasons = summary_counts(text)
    want = {}
    if cut:
        want["interrupted"] = len(cut)
    if len(m) < len(fm):
        want["not reached: interrupted"] = len(fm) - len(m)
    if read == n_ok and reasons == want:
        ok("summary: %d files read, skipped %r" % (read, reasons))
    else:
        fail("summary: %r files read, skipped %r; expected %d read, skipped %r" % (read, reasons, n_ok, want))
    s = json.load(open(stats))
    if (s["interrupted"] is True and s["signal"] == sig and s["files_read"] == n_ok
            and s["records"] == len(recs) and s["skipped"] == want and s["files_total"] == len(fm)):
        ok("--stats-json: interrupted, signal %s, %d files read, %d records" % (sig, n_ok, len(recs)))
    else:
        fail("--stats-json %r disagrees (expected interrupted, %s, %d read, %d records, skipped %r)"
             % (s, sig, n_ok, len(recs), want))

    # Whole files in discovery order: the output must be, file by file, the first `records`
    # records of that file in the complete run. A record that is not a line of the input (the
    # piece of a line a chunk boundary cut off when the reads stopped) breaks this.
    expected, start = [], 0
    seg = {}
    for x in fm:
        seg[x["path"]] = full[start : start + x["records"]]
        start += x["records"]
    bad = []
    got = open(out, "rb").read().split(b"\n")[:-1]
    pos = 0
    for x in m:
        want_lines = seg[x["path"]][: x["records"]]
        have = got[pos : pos + x["records"]]
        for k, (w, h) in enumerate(zip(want_lines, have)):
            if w != h:
                bad.append((x["path"], x["status"], k + 1, x["records"], w[:160], h[:160]))
        pos += x["records"]
    if not bad:
        ok("the output is, file by file, a prefix of the complete run's records (only whole input lines)")
    else:
        for path, status, k, n, w, h in bad[:4]:
            fail("%s (%s): record %d of %d is not the input's line %d: complete run %r, interrupted run %r"
                 % (path, status, k, n, k, w, h))


def progress(err, mode, note):
    """stderr of a run: mode "progress" (redraws expected) or "none" (no CR/ESC at all)."""
    data = open(err, "rb").read()
    note = note.encode()
    if mode == "none":
        if b"\r" in data or b"\x1b" in data:
            fail("%s: CR or ESC on stderr without a progress line: %r" % (err, data[:300]))
        else:
            ok("%s: no CR, no ESC" % err)
    else:
        pieces = data.split(b"\r")
        redraw = re.compile(rb"ringflow: \d+/\d+ files, \d+\.\d (?:MiB|GiB), \d+\.\d MB/s, "
                            rb"\d+\.\d\d M lines/s, ETA (?:\?|\d+:\d\d(?::\d\d)?)\x1b\[K")
        lines_after = re.compile(rb"(?:ringflow: [^\r\n\x1b]*\n)*")
        draws, bad = 0, []
        if not lines_after.fullmatch(pieces[0]):
            bad.append(pieces[0])
        for p in pieces[1:]:
            m = redraw.match(p)
            if m:
                draws += 1
                rest = p[m.end():]
            elif p.startswith(b"\x1b[K"):
                rest = p[3:]
            else:
                bad.append(p)
                continue
            if not lines_after.fullmatch(rest):
                bad.append(p)
        if draws >= 1 and not bad:
            ok("%s: %d redraws '\\r' + 'ringflow: N/M files, ... MB/s, ... ETA ...' + ESC[K" % (err, draws))
        else:
            fail("%s: %d redraws, malformed pieces: %r" % (err, draws, bad[:3]))
        if all(w in data for w in (b"files", b"MB/s", b"ETA")):
            ok("%s: the progress line names files, MB/s and ETA" % err)
        else:
            fail("%s: 'files', 'MB/s' or 'ETA' missing: %r" % (err, data[:300]))
    # A problem line starts a line of its own: after a newline or after the erase of the
    # progress line, and ends with a newline.
    spots = [i for i in range(len(data)) if data.startswith(note, i)]
    good = [i for i in spots if (i == 0 or data[:i].endswith(b"\n") or data[:i].endswith(b"\r\x1b[K"))
            and data[i + len(note):i + len(note) + 1] == b"\n"]
    if len(spots) == 1 and good == spots:
        ok("%s: %r on a line of its own" % (err, note.decode()))
    else:
        fail("%s: %r found %d times, %d on a line of its own: %r" % (
            err, note.decode(), len(spots), len(good),
            [data[max(0, i - 80):i + len(note) + 2] for i in spots][:2]))


def summary(err, stats, files_read, skipped_json, total_bytes, lines, parse_errors):
    """The summary lines against the input and against --stats-json."""
    text = open(err, encoding="utf-8", errors="replace").read()
    s = json.load(open(stats))
    want_skipped = json.loads(skipped_json)
    read, reasons = summary_counts(text)
    if read == int(files_read) and reasons == want_skipped:
        ok("summary: %d files read, skipped %r" % (read, reasons))
    else:
        fail("summary: %r files read, skipped %r; expected %s and %r" % (read, reasons, files_read, want_skipped))
    m = re.search(r"^ringflow: (\d+\.\d) (MiB|GiB), (\d+) lines?, (\d+) records?, (\d+) parse errors?$", text, re.M)
    size = int(total_bytes) / (1 << 20)
    if m and m.group(2) == "MiB" and abs(float(m.group(1)) - size) <= 0.051 and int(m.group(3)) == int(lines) \
            and int(m.group(4)) == int(lines) and int(m.group(5)) == int(parse_errors):
        ok("summary: %s MiB, %s lines, %s records, %s parse errors" % m.group(1, 3, 4, 5))
    else:
        fail("summary bytes/lines/records/parse errors: %r; expected %.1f MiB, %s lines and records, %s parse errors"
             % (m and m.group(0), size, lines, parse_errors))
    t = re.search(r"^ringflow: (\d+\.\d\d) s, (\d+\.\d) MB/s, (\d+\.\d\d) M lines/s$", text, re.M)
    if t:
        ok("summary: elapsed and rates: %r" % t.group(0))
    else:
        fail("summary lacks 'ringflow: S.ss s, X.x MB/s, Y.yy M lines/s': %r" % text[-500:])
    other = [l for l in text.splitlines() if not l.startswith("ringflow: ")]
    if other:
        fail("stderr lines not starting with 'ringflow: ': %r" % other[:3])
    else:
        ok("every stderr line starts with 'ringflow: '")
    want = dict(files_total=int(files_read) + sum(want_skipped.values()), files_read=int(files_read),
                files_skipped=sum(want_skipped.values()), skipped=want_skipped, bytes=int(total_bytes),
                lines=int(lines), records=int(lines), parse_errors=int(parse_errors),
                interrupted=False, signal=None)
    diff = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
    if not diff:
        ok("--stats-json: %r" % want)
    else:
        fail("--stats-json (got, expected): %r" % diff)
    if t:
        el, mbs, lps = float(t.group(1)), float(t.group(2)), float(t.group(3))
        j_el = s["elapsed_seconds"]
        # The rates are per the unrounded elapsed time; elapsed_seconds is rounded to 1 ms.
        def per(count, rate):
            return abs(count / rate - j_el) <= 0.0006 if rate > 0 else count == 0 or j_el == 0
        agree = (abs(el - j_el) <= 0.0051 and abs(mbs - s["bytes_per_second"] / 1e6) <= 0.051
                 and abs(lps - s["lines_per_second"] / 1e6) <= 0.0051
                 and per(s["bytes"], s["bytes_per_second"]) and per(s["lines"], s["lines_per_second"]))
        if agree:
            ok("--stats-json elapsed %.3f s, %.1f B/s, %.1f lines/s agree with the summary"
               % (j_el, s["bytes_per_second"], s["lines_per_second"]))
        else:
            fail("--stats-json elapsed/rates %r disagree with the summary %r"
                 % ({k: s[k] for k in ("elapsed_seconds", "bytes_per_second", "lines_per_second")}, t.group(0)))


def times(path, *secs):
    """A JSON-lines file with a "time" field per line: 2024-01-01T00:00:00Z + secs[i] seconds."""
    import datetime
    t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    with open(path, "w") as f:
        for i, s in enumerate(secs):
            t = (t0 + datetime.timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%SZ")
            f.write(json.dumps({"time": t, "i": i, "msg": "event %d" % i}) + "\n")


{"interrupted": interrupted, "progress": progress, "summary": summary, "times": times}[sys.argv[1]](*sys.argv[2:])
sys.exit(min(fails, 100))
PY

# ---- 1. signals -------------------------------------------------------------------------------

log "generating big/ (4 files of 10 MiB) and the complete, unpaced run"
python3 "$GEN" big --large 4 --large-size 10M -q
rf full.ndjson full.err replay --quiet big --out full.ndjson --manifest full.man
expect_rc "unpaced replay of big/" 0 "$RC"

sleep 30 &
sp=$!
ign=$(sigmask "$sp" SigIgn)
kill "$sp" 2>/dev/null || true
wait "$sp" 2>/dev/null || true
if [[ -n $ign ]] && (((16#$ign >> 1) & 1)); then
  log "note: a background job of this shell starts with SIGINT ignored (SigIgn $ign): ringflow must install its own handler"
else
  log "note: a background job of this shell starts with SIGINT not ignored (SigIgn '${ign}')"
fi

# interrupt_run SIG NAME CODE: a replay paced at 5 MB/s over 40 MiB, SIG after 1.5 s.
interrupt_run() {
  local sig=$1 name=$2 code=$3 dir=int_$2 cgt
  check "$name 1.5 s into a replay paced at 5 MB/s over 40 MiB: exit $code, whole files, manifest, summary"
  mkdir "$dir"
  start_bg "$dir/stdout" "$dir/err.txt" replay --rate 5MB/s big --out "$dir/out.ndjson" \
    --manifest "$dir/man.ndjson" --stats-json "$dir/stats.json"
  sleep 1.5
  cgt=$(sigmask "$BG" SigCgt)
  if [[ -n $cgt ]] && (((16#$cgt >> 1) & 1)) && (((16#$cgt >> 14) & 1)); then
    pass "ringflow catches SIGINT and SIGTERM during the run (SigCgt $cgt)"
  else
    fail "ringflow has no handler for SIGINT and SIGTERM 1.5 s into the run (SigCgt '$cgt'; the run already over?)"
  fi
  kill -s "$sig" "$BG" 2>/dev/null || true
  wait_exit "$BG" 10
  expect_rc "replay stopped by $name (after ${WAITED} s)" "$code" "$RC"
  [[ -f $dir/out.ndjson ]] && pass "out.ndjson renamed into place" || fail "out.ndjson missing after $name"
  [[ -f $dir/man.ndjson ]] && pass "man.ndjson renamed into place" || fail "man.ndjson missing after $name"
  no_temps "$dir" "$name"
  [[ ! -s $dir/stdout ]] && pass "nothing on stdout" || fail "stdout not empty: $(head -c 200 "$dir/stdout")"
  if [[ -f $dir/out.ndjson && -f $dir/man.ndjson && -f $dir/stats.json ]]; then
    pycheck interrupted "$dir/out.ndjson" "$dir/man.ndjson" full.ndjson full.man "$dir/err.txt" \
      "$dir/stats.json" "$name"
  else
    fail "$name: outputs missing, stderr: $(cat -v "$dir/err.txt" | head -5)"
  fi
}
interrupt_run INT SIGINT 130
interrupt_run TERM SIGTERM 143

check "two SIGINTs 50 ms apart during a replay paced at 1 MB/s: exit 130 at once, no temporary file"
mkdir twice
start_bg twice/stdout twice/err.txt replay --rate 1MB/s big --out twice/out.ndjson --manifest twice/man.ndjson
sleep 1
kill -INT "$BG" 2>/dev/null || true
sleep 0.05
kill -INT "$BG" 2>/dev/null || true
wait_exit "$BG" 3
expect_rc "replay after two SIGINTs (exited ${WAITED} s after the second)" 130 "$RC"
no_temps twice "two SIGINTs"

# A consumer that never reads (a FIFO held open, unread) blocks the output: the first SIGINT
# cannot drain, the second must end the process anyway and remove the manifest's temporary file.
check "a drain stuck on a consumer that does not read: the second SIGINT exits at once, temporary files removed"
mkdir stuck
mkfifo stuck/consumer
exec 7<>stuck/consumer
"$RF" replay --quiet big --out stuck/consumer --manifest stuck/man.ndjson >stuck/stdout 2>stuck/err.txt </dev/null 7<&- &
BG=$!
sleep 1
if compgen -G 'stuck/.man.ndjson.tmp-*' >/dev/null; then
  pass "the manifest is being written under a temporary name"
else
  fail "no temporary manifest file in stuck/ (ls: $(ls -A stuck | tr '\n' ' '))"
fi
kill -INT "$BG" 2>/dev/null || true
sleep 1
if kill -0 "$BG" 2>/dev/null; then
  pass "after the first SIGINT the run is still draining into the blocked consumer (as expected)"
else
  log "note: the run ended after the first SIGINT although nobody reads the FIFO"
fi
kill -INT "$BG" 2>/dev/null || true
wait_exit "$BG" 3
exec 7<&-
expect_rc "replay after the second SIGINT (exited ${WAITED} s after it)" 130 "$RC"
no_temps stuck "second SIGINT on a stuck drain"

# Symlinks to directories are followed: 16 levels of two links to the next level make 65,536
# paths to walk (and 65,536 one-line files to read), so discovery takes a while (about a second
# here). The output's temporary file exists from the start (before discovery), so a signal must
# be handled, and the file cleaned up, however early it comes: SIGTERM has the default action
# there unless ringflow handles it, SIGINT is SIG_IGN (inherited, see above) unless it does.
mkdir early
for i in $(seq 0 16); do mkdir "early/d$i"; done
for i in $(seq 0 15); do
  ln -s "../d$((i + 1))" "early/d$i/a"
  ln -s "../d$((i + 1))" "early/d$i/b"
done
echo '{"msg": "deep"}' >early/d16/x.log
for sig in TERM INT; do
  [[ $sig == TERM ]] && code=143 || code=130
  check "SIG$sig as soon as the output's temporary file appears (during discovery): exit $code, summary, no temporary file"
  mkdir "early_$sig"
  start_bg "early_$sig/stdout" "early_$sig/err.txt" replay --quiet early/d0 --out "early_$sig/out.ndjson"
  for _ in $(seq 500); do
    compgen -G "early_$sig/.out.ndjson.tmp-*" >/dev/null && break
    sleep 0.01
  done
  kill -s "$sig" "$BG" 2>/dev/null || true
  wait_exit "$BG" 20
  expect_rc "replay stopped by SIG$sig early" "$code" "$RC"
  no_temps "early_$sig" "SIG$sig during discovery"
  stderr_has "early_$sig/err.txt" "SIG$sig during discovery" "ringflow: interrupted by SIG$sig"
done

# ---- 2. pacing --------------------------------------------------------------------------------

python3 "$GEN" pg --large 1 --large-size 4M -q --seed 9
mkfifo pg/zz.fifo  # sorts after the 4 MiB file: its problem line comes in the middle of the run
rf unpaced.ndjson unpaced.err replay --quiet pg
expect_rc "unpaced replay of pg/ (a FIFO in it)" 1 "$RC"

check "--rate 2MB/s over 4 MiB: at least 1.5 s, the same bytes as unpaced; stderr not a terminal: no progress"
timed_rf paced.ndjson paced.err replay --rate 2MB/s pg
expect_rc "replay --rate 2MB/s (a FIFO in the tree)" 1 "$RC"
at_least "--rate 2MB/s over 4 MiB" "$TOOK" 1.5
same_file "--rate 2MB/s output == unpaced output" unpaced.ndjson paced.ndjson
pycheck progress paced.err none "ringflow: pg/zz.fifo: not a regular file (fifo)"

check "--rate 20000lines/s over 50,000 lines: at least 2 s, the same bytes; --quiet: no progress"
mkdir lines
seq -f 'line %g of a raw log' 50000 >lines/raw.log
rf lines_unpaced.ndjson lines_unpaced.err replay --quiet lines
timed_rf lines_paced.ndjson lines_paced.err replay --quiet --rate 20000lines/s lines
expect_rc "replay --rate 20000lines/s" 0 "$RC"
at_least "--rate 20000lines/s over 50,000 lines" "$TOOK" 2.0
same_file "--rate 20000lines/s output == unpaced output" lines_unpaced.ndjson lines_paced.ndjson
[[ $(wc -l <lines_paced.ndjson) == 50000 ]] && pass "50000 records" || fail "$(wc -l <lines_paced.ndjson) records, expected 50000"
pycheck progress lines_paced.err none "ringflow: 1 file read, 0 skipped"

mkdir speed
python3 checks.py times speed/steady.json 0 1 2 3 4 5 6 7 8 9 10
python3 checks.py times speed/gap.json 0 1 2 3 4 3604 3605 3606 3607 3608 3609
python3 checks.py times speed/back.json 0 1 2 3 4 -31536000 -31535999 -31535998 -31535997 -31535996 -31535995
for f in steady gap back; do
  rf "speed/$f.unpaced" speed/err.txt replay --quiet "speed/$f.json"
  expect_rc "unpaced replay of speed/$f.json" 0 "$RC"
done

check "--speed 5 over 11 events 1 s apart (10 s of log time): at least 1.6 s, the same bytes"
timed_rf speed/steady.out speed/err.txt replay --quiet --speed 5 speed/steady.json
expect_rc "replay --speed 5" 0 "$RC"
at_least "--speed 5 over 10 s of log" "$TOOK" 1.6
same_file "--speed 5 output == unpaced output" speed/steady.unpaced speed/steady.out

# At --speed 10 the 1-hour gap would take 6 minutes; cut to 1 s, the 10 s of log (4 + 1 + 5)
# take 1 s. (At --speed 1000 an uncut hour is only 3.6 s, which a hang limit cannot tell apart.)
check "--speed 10 --max-gap 1s over a 1-hour gap in the log: the gap is cut (>= 0.8 s, < 30 s)"
timed_rf speed/gap.out speed/err.txt replay --quiet --speed 10 --max-gap 1s speed/gap.json
expect_rc "replay --speed 10 --max-gap 1s" 0 "$RC"
at_least "--speed 10 --max-gap 1s over 10 s of log + a cut gap" "$TOOK" 0.8
ge 30 "$TOOK" && pass "the 1-hour gap did not stall the replay ($TOOK s < 30 s)" ||
  fail "the 1-hour gap was not cut by --max-gap 1s: took $TOOK s"
same_file "--speed 10 --max-gap 1s output == unpaced output" speed/gap.unpaced speed/gap.out

check "--speed 10 over timestamps that go back a year: no stall (>= 0.6 s, < 30 s), the same bytes"
timed_rf speed/back.out speed/err.txt replay --quiet --speed 10 speed/back.json
expect_rc "replay --speed 10 with time going back" 0 "$RC"
at_least "--speed 10 over 9 s of forward log time" "$TOOK" 0.6
ge 30 "$TOOK" && pass "time going back did not stall the replay ($TOOK s < 30 s)" ||
  fail "time going back stalled the replay: took $TOOK s"
same_file "--speed 10 (time going back) output == unpaced output" speed/back.unpaced speed/back.out

check "--speed 1 into a FIFO read by a live consumer: lines arrive as they are due, not at the end"
mkdir live
python3 checks.py times live/events.json 0 1 2 3
mkfifo live/pipe
timeout 30 cat live/pipe >live/got.ndjson &
CAT=$!
t0=$(now)
start_bg live/stdout live/err.txt replay --quiet --speed 1 live/events.json --out live/pipe
sleep 1.5
n=$(wc -l <live/got.ndjson)
# On a slow start there may be nothing yet: the first line must then still come before the rest.
while [[ $n == 0 ]] && ! ge "$(secs_since "$t0")" 10; do
  sleep 0.02
  n=$(wc -l <live/got.ndjson)
done
alive=no
kill -0 "$BG" 2>/dev/null && alive=yes
if ((n >= 1 && n < 4)) && [[ $alive == yes ]]; then
  pass "$(secs_since "$t0") s after the start the consumer holds $n of 4 lines, the replay still runs"
else
  fail "$(secs_since "$t0") s after the start the consumer holds $n of 4 lines (ringflow running: $alive); expected 1..3 while it runs"
fi
wait_exit "$BG" 30
expect_rc "replay --speed 1 into a FIFO" 0 "$RC"
wait "$CAT" || true
rf live/unpaced.ndjson live/unpaced.err replay --quiet live/events.json
same_file "the consumer got the unpaced output" live/unpaced.ndjson live/got.ndjson

# ---- 3. progress ------------------------------------------------------------------------------

check "--progress with stderr in a file: '\\r' redraws with files, MB/s, ETA ending in ESC[K; stdout == --quiet"
timed_rf progress.ndjson progress.err replay --progress --rate 4MB/s pg
expect_rc "replay --progress (a FIFO in the tree)" 1 "$RC"
log "  (--progress run took $TOOK s; the first redraw comes after 250 ms)"
pycheck progress progress.err progress "ringflow: pg/zz.fifo: not a regular file (fifo)"
cmp -s unpaced.ndjson progress.ndjson && pass "stdout with --progress == stdout with --quiet (cmp)" ||
  fail "stdout with --progress differs from stdout with --quiet (cmp: $(cmp unpaced.ndjson progress.ndjson 2>&1 | head -1))"
pycheck progress unpaced.err none "ringflow: pg/zz.fifo: not a regular file (fifo)"

if command -v script >/dev/null; then
  check "on a terminal (script -qc): a progress line by default, none with --quiet"
  for q in "" "--quiet"; do
    RC=0
    timeout 60 script -qec "$(printf '%q ' "$RF" replay $q --rate 4MB/s pg --out "tty$q.ndjson")" /dev/null \
      </dev/null >"tty$q.txt" 2>&1 || RC=$?
    expect_rc "replay ${q:-(no option)} on a terminal (a FIFO in the tree)" 1 "$RC"
    # (The terminal turns "\n" into "\r\n": ESC[K tells the redraws apart.)
    if [[ -z $q ]]; then
      grep -qaF $'\033[K' tty.txt && grep -qa 'ETA' tty.txt && pass "a terminal gets the progress line" ||
        fail "no progress line on a terminal: $(cat -v tty.txt | head -3)"
    else
      grep -qaF $'\033[' "tty$q.txt" && fail "--quiet on a terminal: escape sequences: $(cat -v "tty$q.txt" | head -3)" ||
        pass "--quiet on a terminal: no progress line"
    fi
    cmp -s unpaced.ndjson "tty$q.ndjson" && pass "replay ${q:-(no option)} on a terminal: --out == unpaced output" ||
      fail "replay ${q:-(no option)} on a terminal: --out differs from the unpaced output"
  done
else
  log "note: script(1) not installed: the terminal check is skipped"
fi

# ---- 4. the summary ---------------------------------------------------------------------------

check "the summary: files read/skipped, bytes, lines, records, parse errors, elapsed, MB/s; --stats-json agrees"
python3 "$GEN" sum --small 30 --seed 3 -q
python3 - <<'PY'
import json
with open("sum/events.json", "w") as f:
    # 30 of 33 lines are JSON: over the nine tenths detection asks for, so the file is json
    # and the other three are its parse errors.
    for i in range(30):
        f.write(json.dumps({"time": "2024-01-01T00:00:%02dZ" % i, "msg": "m%d" % i}) + "\n")
    for i in range(3):
        f.write("{not json %d\n" % i)
PY
echo 'hidden' >sum/.hidden.log
python3 -c 'import zipfile; zipfile.ZipFile("sum/old.log.zip", "w").writestr("old.log", b"old\n")'
mkfifo sum/zz.fifo
# The files ringflow reads: regular, not hidden, not an archive (bytes and lines counted here).
read -r files bytes lines < <(python3 - <<'PY'
import os
n = b = l = 0
for d, dirs, fs in os.walk("sum"):
    for f in fs:
        p = os.path.join(d, f)
        if f.startswith(".") or f.endswith(".zip") or not os.path.isfile(p) or os.path.islink(p):
            continue
        data = open(p, "rb").read()
        n, b = n + 1, b + len(data)
        l += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
print(n, b, l)
PY
)
rf sum.ndjson sum.err replay sum --out sum.ndjson --stats-json sum.stats
expect_rc "replay of a tree with a FIFO, a hidden file and a zip archive" 1 "$RC"
pycheck summary sum.err sum.stats "$files" \
  '{"compressed (zip; decompress it first)": 1, "hidden (--hidden reads it)": 1, "not a regular file (fifo)": 1}' \
  "$bytes" "$lines" 3
[[ $(wc -l <sum.ndjson) == "$lines" ]] && pass "$lines records written" ||
  fail "$(wc -l <sum.ndjson) records written, expected $lines"

e2e_done

#!/usr/bin/env bash
# e2e: faults injected by the test stages of tests/testing/fault_stages.cc (a plugin) on a
# generated access-log corpus. fail_every: every 7th record becomes an error that reaches the
# sink in-band; the run finishes with exit 0, the output holds exactly one record per input line
# (wc -l), floor(lines / 7) of them "injected failure" errors keeping their raw line, and the
# summary counts them. delay + slow_null with two buffers: the run finishes and its peak RSS
# (/usr/bin/time) stays bounded, far below the input's size. throw: exit 1, one clear line, no
# output file and no temporary file left. gate: the run waits for the gate file, then finishes
# with every record.
# Arguments: RINGFLOW GEN_CORPUS FAULT_STAGES_PLUGIN
source "$(dirname "$0")/lib.sh" "$@"
[[ $# -ge 3 ]] || { echo "usage: $0 RINGFLOW GEN FAULT_STAGES_PLUGIN" >&2; exit 2; }
PLUGIN=$(realpath -- "$3")
[[ -f $PLUGIN ]] || { echo "FAIL: plugin not found: $PLUGIN" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "FAIL: required tool not found: /usr/bin/time" >&2; exit 1; }

cd "$E2E_TMP"
log "generating an access-log corpus (300 small files + 1 x 4 MiB) and 96 MiB for the memory check"
python3 "$GEN" logs --small 300 --large 1 --large-size 4M --formats access --seed 23 -q
python3 "$GEN" big --large 3 --large-size 32M --formats access --seed 24 -q
lines=$(find logs -name '*.log' -print0 | xargs -0 cat | wc -l)
big_lines=$(find big -name '*.log' -print0 | xargs -0 cat | wc -l)
big_kib=$(($(find big -name '*.log' -print0 | xargs -0 cat | wc -c) / 1024))

# pipeline SOURCE_DIR STAGE_JSON SINK_JSON: a document with lines -> parse access -> STAGE_JSON
# (named "fault") -> SINK_JSON, listing the plugin.
pipeline() {
  cat <<EOF
{"plugins": ["$PLUGIN"],
 "source": {"paths": ["$1"], "include": ["*.log"], "engine": {}},
 "stages": [{"name": "lines", "type": "lines"},
            {"name": "parsed", "type": "parse", "input": "lines", "format": "access"},
            $2],
 "sinks": [$3]}
EOF
}

check "fail_every n=7: every record reaches the sink, floor(lines/7) as in-band errors, exit 0"
pipeline logs '{"name": "fault", "type": "fail_every", "input": "parsed", "n": 7}' \
  '{"name": "out", "type": "json", "input": "fault", "path": "fail.ndjson"}' >fail.json
rf run.out run.err run fail.json
expect_rc "run fail_every" 0 "$RC"
records=$(wc -l <fail.ndjson)
injected=$(grep -c '"_error":"injected failure"' fail.ndjson || true)
[[ $records == "$lines" ]] && pass "$records records == wc -l $lines" ||
  fail "$records records for $lines input lines"
[[ $injected == $((lines / 7)) ]] && pass "$injected injected failures == floor($lines / 7)" ||
  fail "$injected injected failures, expected $((lines / 7))"
grep -qE "^ringflow: [0-9]+ files? read, 0 skipped" run.err &&
  grep -qE "^ringflow: sink out: $lines records, $injected parse errors" run.err &&
  pass "the summary counts them: $(cat run.err)" || fail "summary does not count them: $(cat run.err)"
# Each record in order against its input line: an injected error keeps the raw line, any
# other record is the parsed line.
python3 - fail.ndjson logs <<'PY' || fail "records do not match the input lines"
import json, os, sys
files = sorted(os.path.join(d, n) for d, _, names in os.walk(sys.argv[2]) for n in names
               if n.endswith(".log"))
lines = [l for p in files for l in open(p, encoding="utf-8").read().splitlines()]
records = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(records) == len(lines), (len(records), len(lines))
failed = 0
for i, (rec, line) in enumerate(zip(records, lines)):
    if "_error" in rec:
        assert rec == {"_error": "injected failure", "_raw": line}, (i, rec, line)
        failed += 1
    else:
        assert line.startswith(rec["remote_addr"] + " ") and f'"{rec["method"]} ' in line, (i, rec)
assert failed == len(lines) // 7, (failed, len(lines))
print(f"  ok: {len(records)} records in input order, {failed} errors keep their raw line")
PY

check "delay + slow_null with source.engine.buffers=2: finishes, peak RSS bounded"
pipeline big '{"name": "fault", "type": "delay", "input": "parsed", "ms": 1}' \
  '{"name": "out", "type": "slow_null", "input": "fault", "ms": 1}' >slow.json
RC=0
timeout 120 /usr/bin/time -f %M -o rss.txt "$RF" run slow.json --set source.engine.buffers=2 \
  >run.out 2>run.err </dev/null || RC=$?
expect_rc "run delay + slow_null" 0 "$RC"
grep -qE "^ringflow: 3 files read, 0 skipped" run.err &&
  grep -qE " $big_lines records, 0 parse errors" run.err &&
  pass "every record reached the sink: $(cat run.err)" || fail "summary: $(cat run.err)"
rss_kib=$(tail -n 1 rss.txt)
# Two 512 KiB buffers and a bounded number of batches in flight: a few MiB of data on top of
# the program itself (about 10 MiB), whatever the input's size.
rss_within "slow sink over $((big_kib / 1024)) MiB of input" "$rss_kib" $((32 * 1024))

check "throw after 3 batches: exit 1, one clear line, no output file nor temporary file left"
mkdir -p thrown
pipeline logs '{"name": "fault", "type": "throw", "input": "parsed", "after": 3}' \
  '{"name": "out", "type": "json", "input": "fault", "path": "thrown/out.ndjson"}' >throw.json
# (Not rf's 60 s: this run is short, a hang should not cost a minute.)
RC=0
timeout 20 "$RF" run throw.json >run.out 2>run.err </dev/null || RC=$?
if [[ $RC == 124 ]]; then
  fail "a stage that throws: the run did not finish within 20 s (hang; killed, so its files are not checked)"
else
  expect_rc "run throw" 1 "$RC"
  n=$(wc -l <run.err)
  [[ $n == 1 ]] && pass "one line: $(cat run.err)" || { fail "$n lines on stderr:"; head -5 run.err; }
  grep -q 'injected exception after 3 batches' run.err && pass "says what was thrown" ||
    fail "the exception's text is missing: $(cat run.err)"
  left=$(find thrown -mindepth 1 | head -5)
  [[ -z $left ]] && pass "thrown/ is empty" || fail "files left behind: $left"
fi

check "gate: the run waits while the gate file is absent, then finishes with every record"
pipeline logs "{\"name\": \"fault\", \"type\": \"gate\", \"input\": \"parsed\", \"path\": \"$E2E_TMP/gate\"}" \
  '{"name": "out", "type": "json", "input": "fault", "path": "gated.ndjson"}' >gate.json
rm -f gate
timeout 60 "$RF" run gate.json >gate.out 2>gate.err </dev/null &
pid=$!
sleep 1
if kill -0 "$pid" 2>/dev/null && [[ ! -e gated.ndjson ]]; then
  pass "still running after 1 s, no output yet"
else
  fail "the run did not wait for the gate: $(cat gate.err)"
fi
touch gate
RC=0
wait "$pid" || RC=$?
expect_rc "gated run" 0 "$RC"
records=$(wc -l <gated.ndjson 2>/dev/null || echo 0)
[[ $records == "$lines" ]] && pass "$records records == wc -l $lines" ||
  fail "$records records for $lines input lines"
grep -qE " $lines records, 0 parse errors" gate.err && pass "summary: $(cat gate.err)" ||
  fail "summary: $(cat gate.err)"
e2e_done

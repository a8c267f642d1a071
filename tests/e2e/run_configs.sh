#!/usr/bin/env bash
# e2e: every pipeline document in configs/ runs on a generated corpus; each output line is
# valid JSON (python3's json module), there is exactly one record per input line (wc -l, plus
# one for a final line without newline), the records come in file order and files in discovery
# order (the n-th record's raw text is the n-th line of `find | sort | cat`), fields match an
# independent parse, and two runs write identical bytes. Also: validate, stages, bad documents.
source "$(dirname "$0")/lib.sh" "$@"
CONFIGS=$(cd "$(dirname "$0")/../../configs" && pwd)

cd "$E2E_TMP"
log "generating corpus (300 small + 2 x 8 MiB per format) in $E2E_TMP/logs"
python3 "$GEN" logs --small 300 --large 6 --large-size 8M --seed 21 -q

for config in "$CONFIGS"/*.json; do
  name=$(basename "$config" .json)
  check "$name: runs, one valid JSON record per input line, in discovery order"
  out=$(python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["sinks"]][0]["path"])' "$config")
  rf run.out run.err run "$config"
  expect_rc "ringflow run $name" 0 "$RC"
  grep -q '^ringflow: .* files (0 skipped)' run.err && pass "summary on stderr" ||
    fail "no summary line: $(cat run.err)"
  # The input files as the pipeline saw them: its source path, include/exclude applied, in the
  # walker's order (bytewise-sorted names, depth first, which equals sorted full paths here).
  python3 - "$config" "$out" <<'PY' || fail "$name: records do not match the input"
import fnmatch, json, os, re, sys
cfg = json.load(open(sys.argv[1]))
src = cfg["source"]
files = []
for root in src["paths"]:
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            if src.get("include") and not any(fnmatch.fnmatch(p, g) for g in src["include"]): continue
            if any(fnmatch.fnmatch(p, g) for g in src.get("exclude", [])): continue
            files.append(p)
files.sort()  # the walker's order: bytewise by full path within a root
lines = []
for p in files:
    data = open(p, "rb").read()
    parts = data.split(b"\n")
    if parts and parts[-1] == b"": parts.pop()
    lines += [x[:-1] if x.endswith(b"\r") else x for x in parts]
records = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(records) == len(lines), f"{len(records)} records for {len(lines)} lines"
fmt = [s for s in cfg["stages"] if s["type"] == "parse"][0]["format"]
access = re.compile(r'^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d+) (\d+|-)')
for i, (rec, line) in enumerate(zip(records, lines)):
    text = line.decode("utf-8")
    assert "_error" not in rec, f"record {i} failed: {rec}"
    if fmt == "raw":
        assert rec == {"message": text}, (i, rec, text)
    elif fmt == "json":
        assert rec == json.loads(text), (i, rec, text)
    elif fmt == "access":
        m = access.match(text)
        assert m, text
        assert rec["remote_addr"] == m.group(1) and rec["method"] == m.group(4), (rec, text)
        assert rec["path"] == m.group(5) and rec["status"] == int(m.group(7)), (rec, text)
        assert rec["bytes"] == (0 if m.group(8) == "-" else int(m.group(8))), (rec, text)
    elif fmt == "syslog":
        assert rec["message"] and text.endswith(rec["message"]), (rec, text)
        assert rec["host"] in text and rec["time"].startswith("2026-"), (rec, text)
print(f"  ok: {len(records)} records == {len(lines)} input lines, fields match")
PY
  cp "$out" first.ndjson
  rf run.out run.err run "$config"
  cmp -s first.ndjson "$out" && pass "second run wrote identical bytes" ||
    fail "$name: two runs differ"
  check "$name: validate"
  rf val.out val.err validate "$config"
  expect_rc "validate $name" 0 "$RC"
done

check "a document with several problems: every one reported with its JSON path, exit 1"
cat >bad.json <<'JSON'
{"source": {"paths": ["logs"], "colour": 1},
 "stages": [{"name": "lines", "type": "linez"},
            {"name": "p", "type": "parse", "input": "lines", "format": "acces"}],
 "sinks": [{"name": "out", "type": "json", "input": "nope"}]}
JSON
rf out.txt err.txt validate bad.json
expect_rc "validate bad.json" 1 "$RC"
for want in 'source.colour: unknown key' 'stages\[0\].type: unknown stage type "linez"' \
  'stages\[1\].format: unknown format "acces"; known: access, json, syslog, logfmt, raw' \
  'sinks\[0\].input: unknown stage "nope"'; do
  grep -q "$want" err.txt && pass "reports: $want" || fail "missing '$want' in: $(cat err.txt)"
done

check "run with a missing file among the paths: reported, the rest written, exit 1"
rf out.txt err.txt run "$CONFIGS/raw_to_json.json" --set 'source.paths=["logs/json","missing.log"]' \
  --set 'sinks[0].path=partial.ndjson'
expect_rc "run with a missing path" 1 "$RC"
grep -q '^ringflow: missing.log: .*(ENOENT)' err.txt && pass "missing.log reported" ||
  fail "no ENOENT line: $(cat err.txt)"
[[ -s partial.ndjson ]] && pass "output written for the readable files" || fail "no output"

check "a sink that cannot be written leaves no file behind"
rf out.txt err.txt run "$CONFIGS/raw_to_json.json" --set 'sinks[0].path=no/such/dir/out.ndjson'
[[ $RC != 0 ]] && pass "exit status $RC" || fail "exit status 0 for an unwritable sink"
grep -q 'no/such/dir' err.txt && pass "the path is named" || fail "path not named: $(cat err.txt)"

check "stages lists every type with its parameters"
rf out.txt err.txt stages
expect_rc "ringflow stages" 0 "$RC"
for want in lines parse json null max_line_bytes format; do
  grep -q "$want" out.txt && pass "mentions $want" || fail "stages does not mention $want"
done
e2e_done

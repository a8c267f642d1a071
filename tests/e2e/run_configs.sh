#!/usr/bin/env bash
# e2e: every pipeline document in configs/ runs on a generated corpus and each of its sinks'
# output is checked against an independent model of the pipeline (check_config_outputs.py:
# Python parsers and filters; every record valid JSON, one per input line that passes, in file
# order and files in discovery order; manifests against xxhsum -H3 and line counts), and two
# runs write identical bytes. Also: validate, stages, bad documents.
source "$(dirname "$0")/lib.sh" "$@"
CONFIGS=$(cd "$(dirname "$0")/../../configs" && pwd)

cd "$E2E_TMP"
log "generating corpus (300 small + 2 x 8 MiB per format) in $E2E_TMP/logs"
python3 "$GEN" logs --small 300 --large 6 --large-size 8M --seed 21 -q
# configs/server_logs.json reads logs/server: the formats servers write, and a Java application
# log whose exceptions the java multiline rule joins to their log lines.
log "generating logs/server (60 small + 3 x 2 MiB of syslog_file, applog, nginx_error)"
python3 "$GEN" logs/server --small 60 --large 3 --large-size 2M --seed 22 -q \
  --formats syslog_file,applog,nginx_error
# configs/cri_to_json.json reads logs/containers: CRI container logs with partial (P) lines.
log "generating logs/containers (40 small + 2 x 2 MiB of cri)"
python3 "$GEN" logs/containers --small 40 --large 2 --large-size 2M --seed 23 -q --formats cri
mkdir -p logs/server/applog/traces
for i in 1 2 3; do
  cat >>logs/server/applog/traces/app.log <<LOG
2026-12-05 21:27:0$i,123 INFO  [main] com.acme.App: starting $i
2026-12-05 21:27:0$i,456 ERROR [main] com.acme.App: request $i failed
java.lang.IllegalStateException: could not load order 4$i
	at com.acme.orders.OrderService.load(OrderService.java:88)
	at com.acme.App.main(App.java:17)
Caused by: java.sql.SQLException: connection refused
	at org.postgresql.Driver.connect(Driver.java:285)
	... 12 more
	Suppressed: java.io.IOException: close failed
		at com.acme.db.Pool.close(Pool.java:40)
		... 13 more
2026-12-05 21:27:0$i,789 WARN  [main] com.acme.App: retrying
LOG
done

for config in "$CONFIGS"/*.json; do
  name=$(basename "$config" .json)
  check "$name: runs; every sink's output matches an independent model of the pipeline"
  mapfile -t outs < <(python3 -c 'import json,sys; [print(s["path"]) for s in json.load(open(sys.argv[1]))["sinks"]]' "$config")
  rf run.out run.err run "$config"
  expect_rc "ringflow run $name" 0 "$RC"
  grep -q -E '^ringflow: [0-9]+ files? read, 0 skipped' run.err && pass "summary on stderr" ||
    fail "no summary line: $(cat run.err)"
  python3 "$(dirname "$0")/check_config_outputs.py" "$config" ||
    fail "$name: output does not match the model"
  for out in "${outs[@]}"; do cp "$out" "first.$out"; done
  rf run.out run.err run "$config"
  for out in "${outs[@]}"; do
    cmp -s "first.$out" "$out" && pass "second run wrote identical bytes to $out" ||
      fail "$name: two runs differ in $out"
  done
  check "$name: validate"
  rf val.out val.err validate "$config"
  expect_rc "validate $name" 0 "$RC"
done

check "server_logs: each exception joined to the log line before it (36 lines, 9 records)"
grep -q '"path":"logs/server/applog/traces/app.log","bytes":[0-9]*,"lines":36,"records":9,"parse_errors":0,"format":"applog"' \
  server.manifest.ndjson && pass "app.log: 36 lines, 9 records, applog" ||
  fail "app.log in the manifest: $(grep traces/app.log server.manifest.ndjson)"

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
  'stages\[1\].format: unknown format "acces"; known: auto, access, apache_error, nginx_error, syslog, applog, logcat, glog, cri, docker, json, logfmt, grok, regex, raw' \
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
for want in lines checksum parse filter select json manifest null max_line_bytes format where; do
  grep -q "$want" out.txt && pass "mentions $want" || fail "stages does not mention $want"
done
e2e_done

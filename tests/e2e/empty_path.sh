#!/usr/bin/env bash
# e2e: an empty PATH argument ('') is bad usage for every command that takes paths: one line
# saying the path is empty, exit 2, nothing on stdout, nothing read or written (it used to be
# read as a file and end as "ringflow: : No such file or directory (ENOENT)", exit 1).
source "$(dirname "$0")/lib.sh" "$@"
cd "$E2E_TMP"
mkdir logs
printf 'a line\n' >logs/a.log
cat >doc.json <<'EOF'
{"source": {"paths": ["logs"]}, "stages": [{"name": "lines", "type": "lines"}],
 "sinks": [{"name": "out", "type": "json", "input": "lines", "path": "out.ndjson"}]}
EOF

expected='ringflow: empty PATH argument: a path cannot be empty (see --help)'
while IFS= read -r line; do
  read -r -a args <<<"$line"
  for where in first last; do
    if [[ $where == first ]]; then argv=("${args[@]:0:1}" "" "${args[@]:1}"); else argv=("${args[@]}" ""); fi
    check "ringflow ${args[*]} with '' ($where): exit 2, one line saying the path is empty"
    rf out.txt err.txt "${argv[@]}"
    expect_rc "${args[0]} ''" 2 "$RC"
    if [[ $(<err.txt) == "$expected" ]]; then pass "stderr is exactly '$expected'"; else
      fail "stderr is '$(cat -A err.txt | head -5)', expected exactly '$expected'"
    fi
    [[ ! -s out.txt ]] && pass "nothing on stdout" || fail "stdout: $(head -c 200 out.txt)"
    [[ ! -e out.ndjson ]] && pass "nothing written" || { fail "out.ndjson written"; rm -f out.ndjson; }
  done
done <<'EOF'
checksum logs
checksum --json logs
count --pattern line logs
replay --quiet logs
replay --quiet --out out.ndjson logs
run doc.json
validate doc.json
EOF

# An empty FILE for an output option would silently mean "none" or stdout.
for option in --out --manifest --stats-json --checkpoint --config; do
  check "replay $option '': exit 2, one line naming the option"
  rf out.txt err.txt replay --quiet logs "$option" ''
  expect_rc "replay $option ''" 2 "$RC"
  want="ringflow: replay: $option: the FILE is empty (see --help)"
  if [[ $(<err.txt) == "$want" ]]; then pass "stderr is exactly '$want'"; else
    fail "stderr is '$(cat -A err.txt | head -5)', expected exactly '$want'"
  fi
  [[ ! -s out.txt ]] && pass "nothing on stdout" || fail "stdout: $(head -c 200 out.txt)"
done

e2e_done

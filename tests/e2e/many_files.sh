#!/usr/bin/env bash
# e2e: 20,000 small files read under `ulimit -n 256` (every file printed, same digests as
# xxhsum, same counts as grep), and a 300-level deep directory chain under the same limit
# (find -L walks it with a bounded number of descriptors; so must ringflow).
source "$(dirname "$0")/lib.sh" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
NFILES=20000
LIMIT=256

cd "$E2E_TMP"
log "writing $NFILES tiny files into many/ (100 directories, 2 levels) and a 300-level chain deep/"
python3 - "$NFILES" <<'EOF'
import os, sys
n = int(sys.argv[1])
for i in range(n):
    d = 'many/g%02d/d%03d' % (i % 10, i % 100)
    if i < 100:
        os.makedirs(d)
    with open('%s/f%05d.log' % (d, i), 'wb') as f:
        # sizes 0..~300 bytes; every 7th file has no final newline, every 50th is empty
        if i % 50:
            f.write((b'line %d GET /api\n' % i) * (i % 17 + 1))
            if i % 7 == 0:
                f.write(b'tail without newline')
p = 'deep'
for k in range(300):
    p += '/d'
os.makedirs(p)
with open(p + '/bottom.log', 'wb') as f:
    f.write(b'bottom GET /api\n')
with open('deep/top.log', 'wb') as f:
    f.write(b'top\n')
EOF

found=$(find -L many -type f | wc -l)
[[ $found == "$NFILES" ]] || fail "test setup: find -L many -type f lists $found files, expected $NFILES"
xxh_oracle many >oracle_many.txt
mkdir -p expected
mkdir -p pat && printf 'GET /api' >pat/api
echo pat/api | python3 "$HERE/count_oracle.py" expected many

# limited CMD...: run ringflow with `ulimit -n $LIMIT` in a subshell; sets RC.
limited() {
  local out=$1 err=$2; shift 2
  RC=0
  (ulimit -n "$LIMIT" && exec timeout 120 "$RF" "$@") >"$out" 2>"$err" </dev/null || RC=$?
  [[ $RC == 124 ]] && fail "ringflow $* did not finish within 120 s"
  return 0
}
show_err() { [[ -s $1 ]] && { log "  stderr ($(wc -l <"$1") lines):"; head -5 "$1" | cat -v | sed 's/^/    /'; }; return 0; }

for cfg in "" "--backend pread" "--threads 1" "--json"; do
  check "ulimit -n $LIMIT: checksum ${cfg:-(defaults)} many/ reads all $NFILES files"
  # shellcheck disable=SC2086
  limited out.txt err.txt checksum $cfg many
  expect_rc "checksum $cfg under ulimit -n $LIMIT" 0 "$RC"
  show_err err.txt
  n=$(wc -l <out.txt)
  [[ $n == "$NFILES" ]] && pass "$n lines == find -L | wc -l" || fail "checksum $cfg printed $n lines, find -L lists $NFILES files"
  if [[ $cfg == --json ]]; then
    python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], "rb")]
bad = [r for r in recs if r["bytes"] > 400]
sys.exit(1 if bad or len({r["path"] for r in recs}) != len(recs) else 0)' out.txt &&
      pass "JSON records parse, paths unique" || fail "JSON records broken or duplicated"
  else
    same_file "checksum $cfg many/ under ulimit -n $LIMIT" oracle_many.txt out.txt
  fi
done

check "ulimit -n $LIMIT: count --pattern 'GET /api' many/ == grep per file + total"
limited out.txt err.txt count --pattern 'GET /api' many
expect_rc "count under ulimit -n $LIMIT" 0 "$RC"
show_err err.txt
same_file "count many/ under ulimit -n $LIMIT" expected/api.txt out.txt

check "a 300-level deep directory chain without a descriptor limit"
xxh_oracle deep >oracle_deep.txt
[[ $(wc -l <oracle_deep.txt) == 2 ]] || fail "test setup: find -L deep lists $(wc -l <oracle_deep.txt) files, expected 2"
rf out.txt err.txt checksum deep
expect_rc "checksum deep" 0 "$RC"
show_err err.txt
same_file "checksum deep (no limit)" oracle_deep.txt out.txt

check "a 300-level deep directory chain under ulimit -n $LIMIT (find -L manages it)"
(ulimit -n "$LIMIT" && find -L deep -type f -print0 | sort -z | xargs -0 xxhsum -H3 -- 2>/dev/null) >oracle_deep_limited.txt
same_file "find -L deep under ulimit -n $LIMIT (oracle sanity)" oracle_deep.txt oracle_deep_limited.txt
limited out.txt err.txt checksum deep
expect_rc "checksum deep under ulimit -n $LIMIT" 0 "$RC"
show_err err.txt
same_file "checksum deep under ulimit -n $LIMIT" oracle_deep.txt out.txt

e2e_done

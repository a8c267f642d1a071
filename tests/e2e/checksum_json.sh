#!/usr/bin/env bash
# e2e: `ringflow checksum --json` prints one valid JSON object per file whose bytes, lines and
# xxh3 match os.path.getsize, the generator's MANIFEST / wc -l, and xxhsum; odd file names
# (spaces, quotes, backslash, control characters, newline, invalid UTF-8) round-trip.
source "$(dirname "$0")/lib.sh" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)

cd "$E2E_TMP"
log "generating corpus (500 small + edge + 1 x 64 MiB) in $E2E_TMP/corpus"
python3 "$GEN" corpus --small 500 --edge --large 1 --large-size 64M --seed 12 -q

log "creating files with unusual names in corpus/names/"
python3 - <<'EOF'
import os
d = b'corpus/names'
os.makedirs(d + b'/sub\xffdir')
names = [
    b'with space.log', b'quote"double.log', b"quote'single.log", b'back\\slash.log',
    b'new\nline.log', b'tab\tand\rcr.log', b'ctl\x01\x1b\x1f\x7f.log',
    b'utf8_caf\xc3\xa9_\xe2\x82\xac_\xf0\x9f\x98\x80.log',       # valid UTF-8
    b'latin1_\xff\xfe.log',                                       # invalid bytes
    b'lone_cont_\x80\xbf.log', b'truncated_\xc3', b'overlong_\xc0\xaf.log',
    b'surrogate_\xed\xa0\x80.log', b'above_max_\xf4\x90\x80\x80.log',
    b'mixed_\xc3\xa9\xe9_\xe2\x82.log',                          # valid then invalid
    b'json_like_{"a":1}.log', b'slash_u_\\u0041.log',
]
for i, n in enumerate(names):
    with open(d + b'/' + n, 'wb') as f:
        f.write(b'line %d\n' % i * (i + 1) + (b'no final newline' if i % 2 else b''))
with open(d + b'/sub\xffdir/inner \xfe"x".log', 'wb') as f:
    f.write(b'inner\n')
open(d + b'/empty', 'wb').close()
os.symlink(b'latin1_\xff\xfe.log', d + b'/link_\xfa.log')
EOF

for cfg in "" "--buffer-size 4K --threads 1" "--backend pread --buffer-size 4K --reads-per-file 8" "--direct"; do
  check "checksum --json ${cfg:-(defaults)} corpus: valid JSON, fields match the oracles"
  # shellcheck disable=SC2086
  rf out.json err.txt checksum --json $cfg corpus
  expect_rc "checksum --json $cfg" 0 "$RC"
  [[ -s err.txt ]] && { log "  stderr:"; sed 's/^/    /' err.txt | head -5; }
  if python3 "$HERE/check_json.py" out.json corpus corpus/MANIFEST.tsv; then
    pass "JSON output matches"
  else
    fail "checksum --json $cfg corpus: JSON output does not match (see mismatches above)"
  fi
done

check "invalid UTF-8 bytes are written as \\u00XX escapes (raw output)"
rf out.json err.txt checksum --json corpus/names
for want in 'latin1_\u00ff\u00fe.log' 'overlong_\u00c0\u00af.log' 'truncated_\u00c3"' \
            'surrogate_\u00ed\u00a0\u0080.log' 'sub\u00ffdir/inner \u00fe\"x\".log' 'new\nline.log'; do
  if grep -qiF -- "$want" out.json; then pass "found $want"; else fail "raw output lacks $want"; fi
done

check "checksum --json on a single file"
rf out.json err.txt checksum --json corpus/edge/no_final_newline.log
expect_rc "checksum --json FILE" 0 "$RC"
if python3 "$HERE/check_json.py" out.json corpus/edge/no_final_newline.log corpus/MANIFEST.tsv; then
  pass "JSON output matches"
else
  fail "checksum --json FILE: JSON output does not match"
fi

e2e_done

#!/usr/bin/env bash
# e2e: `ringflow count --pattern STR` per file and in total equals `grep -a -o -F STR | wc -l`,
# with the default buffers and with 4K buffers (so that matches straddle read boundaries),
# for short, multi-byte, self-overlapping and long patterns.
source "$(dirname "$0")/lib.sh" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)

cd "$E2E_TMP"
log "generating corpus (1000 small + edge + 1 x 32 MiB) in $E2E_TMP/corpus"
python3 "$GEN" corpus --small 1000 --edge --large 1 --large-size 32M --seed 13 -q

log "writing crafted files (corpus/crafted/) and the patterns (pat/)"
mkdir -p pat
python3 - <<'EOF'
import os, random
rnd = random.Random(13)
os.makedirs('corpus/crafted')
# runs of one byte: self-overlapping patterns 'aa' / 'aaa' across every 4K boundary
with open('corpus/crafted/a_runs.log', 'wb') as f:
    f.write(b'a' * 100003 + b'\n' + b'a' * 4095 + b'\n' + b'a' * 4097 + b'\n' + b'a' * 8193)
# random text over {a, b}: many partial matches of 'abab' / 'aabaa' at buffer ends
with open('corpus/crafted/ab_random.log', 'wb') as f:
    for _ in range(60):
        f.write(bytes(rnd.choice(b'ab') for _ in range(rnd.randrange(100, 9000))) + b'\n')
# a pattern placed so that it ends exactly at, starts exactly at, and straddles 4K boundaries
with open('corpus/crafted/boundaries.log', 'wb') as f:
    data = bytearray(b'.' * (64 * 4096))
    for k in range(1, 60):
        off = k * 4096 + (-8, 0, -3, -1, 1)[k % 5]
        data[off:off + 8] = b'BOUNDARY'
    f.write(bytes(data) + b'\n')

long_line = max(open('corpus/edge/long_line_5MiB.log', 'rb').read().split(b'\n'), key=len)
pats = {
    'status_200': b' 200 ',
    'get_api': b'GET /api',
    'json_error': b'"level":"error"',
    'json_ERROR_upper': b'"level":"ERROR"',
    'dash_lead': b'- - [',
    'single_q': b'q',
    'cr': b'\r',
    'utf8_tokyo': '東京'.encode(),
    'aa': b'aa',
    'aaa': b'aaa',
    'abab': b'abab',
    'aabaa': b'aabaa',
    'boundary': b'BOUNDARY',
    'long_3000': long_line[2001:5001],
    'long_4096': long_line[777:777 + 4096],
    'long_6000_over_buffer': long_line[100:6100],
}
for name, p in pats.items():
    assert b'\n' not in p and b'\0' not in p
    with open(f'pat/{name}', 'wb') as f:
        f.write(p)
EOF

log "computing the oracles (grep -a -o -F per pattern, cross-checked with bytes.count)"
mkdir -p expected
ls pat/* | python3 "$HERE/count_oracle.py" expected corpus

# Every pattern with the default and with 4K buffers; the patterns whose matches straddle
# 4K boundaries in the crafted files also with the other reader configurations.
base_configs=("" "--buffer-size 4K")
more_configs=(
  "--buffer-size 4K --threads 1 --reads-per-file 8"
  "--backend pread --buffer-size 4K"
  "--buffers 2 --buffer-size 4K --queue-depth 1 --open-files 1 --reads-per-file 1"
)
for pf in pat/*; do
  name=${pf#pat/}
  pat=$(<"$pf")
  configs=("${base_configs[@]}")
  case $name in
    status_200 | aaa | abab | aabaa | boundary | long_*) configs+=("${more_configs[@]}") ;;
  esac
  for cfg in "${configs[@]}"; do
    check "count --pattern <$name> ${cfg:-(defaults)} corpus == grep -a -o -F | wc -l per file + total"
    # shellcheck disable=SC2086
    rf out.txt err.txt count --pattern "$pat" $cfg corpus
    expect_rc "count <$name> $cfg" 0 "$RC"
    [[ -s err.txt ]] && { log "  stderr:"; sed 's/^/    /' err.txt | head -5; }
    same_file "count <$name> $cfg" "expected/$name.txt" out.txt
  done
done

check "count --direct --buffer-size 4K on the 64 MiB file and crafted files"
mkdir -p exp_direct
echo pat/boundary | python3 "$HERE/count_oracle.py" exp_direct corpus/crafted corpus/access/00/00/l0000000.log
rf out.txt err.txt count --direct --buffer-size 4K --pattern BOUNDARY corpus/crafted corpus/access/00/00/l0000000.log
expect_rc "count --direct" 0 "$RC"
same_file "count --direct BOUNDARY" exp_direct/boundary.txt out.txt
echo pat/status_200 | python3 "$HERE/count_oracle.py" exp_direct corpus/access/00/00/l0000000.log
rf out.txt err.txt count --direct --buffer-size 4K --pattern ' 200 ' corpus/access/00/00/l0000000.log
expect_rc "count --direct ' 200 '" 0 "$RC"
same_file "count --direct ' 200 '" exp_direct/status_200.txt out.txt

check "count with -p, --pattern=STR spellings and several roots"
mkdir -p exp_multi
echo pat/get_api | python3 "$HERE/count_oracle.py" exp_multi corpus/json corpus/access corpus/edge
rf out.txt err.txt count -p 'GET /api' corpus/json corpus/edge corpus/access
expect_rc "count -p" 0 "$RC"
same_file "count -p 'GET /api' (3 roots)" exp_multi/get_api.txt out.txt
rf out.txt err.txt count '--pattern=GET /api' corpus/access corpus/edge corpus/json
expect_rc "count --pattern=" 0 "$RC"
same_file "count --pattern='GET /api' (3 roots)" exp_multi/get_api.txt out.txt

e2e_done

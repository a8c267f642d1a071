#!/usr/bin/env bash
# --shard K/N (replay, run, checksum): N runs over one tree, --shard 1/N ... N/N, read every file
# exactly once. Checked against one unsharded run of the same tree, for N = 1..4:
#   - every file is in exactly one shard's manifest, and the union of the shards' records
#     equals the unsharded run's records, file by file in order (each output split into files
#     by its manifest's record counts: ordered output holds whole files in discovery order);
#   - the union of `checksum --shard` outputs holds the unsharded checksum's lines, each once;
#   - `run CONFIG --shard` and the document's "source.shard" split the same way;
#   - the shard of each file is the README's rule, computed here from `xxhsum -H3` of the
#     file's key and SplitMix64 in Python (an oracle outside ringflow);
#   - files added between runs (new files, new directories, a rotated member) move no file that
#     was there before to another shard;
#   - a checkpoint of one shard is refused for another (and resumes its own);
#   - a bad K/N is bad usage (exit 2, one line) for replay, run and checksum.
source "$(dirname "$0")/lib.sh" "$@"
command -v gzip >/dev/null || { echo "FAIL: required tool not found: gzip" >&2; exit 1; }

T=$E2E_TMP
C=$T/corpus
python3 "$GEN" "$C" --small 240 --small-min 200 --small-max 30000 --seed 11 -q
# A rotated set (read oldest first, on one shard) and a compressed member.
mkdir -p "$C/nginx"
head -n 40 "$C/access/00/00/s0000000.log" >"$C/nginx/access.log.2"
gzip -n "$C/nginx/access.log.2"
head -n 30 "$C/access/00/00/s0000000.log" >"$C/nginx/access.log.1"
head -n 20 "$C/access/00/00/s0000000.log" >"$C/nginx/access.log"
FILES=$(find "$C" -type f | wc -l)
log "corpus: $FILES files, $(du -sh "$C" | cut -f1)"

# split_check MANIFEST OUTPUT... -> per-file records, compared in Python (see the header).
cat >"$T/union.py" <<'EOF'
import json, sys
# argv: REF_MANIFEST REF_OUT then pairs SHARD_MANIFEST SHARD_OUT
def per_file(manifest, out):
    files = {}
    order = []
    with open(manifest, 'rb') as m, open(out, 'rb') as o:
        lines = o.read().split(b'\n')
        assert lines[-1] == b'', 'output does not end with a newline'
        lines.pop()
        at = 0
        for raw in m:
            entry = json.loads(raw)
            n = entry.get('records', 0)
            path = entry['path']
            if path in files:
                sys.exit('FAIL: %s twice in %s' % (path, manifest))
            files[path] = (entry, lines[at:at + n])
            order.append(path)
            at += n
        if at != len(lines):
            sys.exit('FAIL: %s: the manifest counts %d records, the output holds %d' % (manifest, at, len(lines)))
    return files, order
ref, ref_order = per_file(sys.argv[1], sys.argv[2])
union = {}
all_lines = []
for i in range(3, len(sys.argv), 2):
    files, order = per_file(sys.argv[i], sys.argv[i + 1])
    # A shard reads its files in the unsharded run's order.
    positions = [ref_order.index(p) for p in order if p in ref]
    if positions != sorted(positions):
        sys.exit('FAIL: shard %s is not in the unsharded order' % sys.argv[i])
    for path, value in files.items():
        if path in union:
            sys.exit('FAIL: %s in two shards' % path)
        union[path] = value
        all_lines += value[1]
missing = sorted(set(ref) - set(union))
extra = sorted(set(union) - set(ref))
if missing or extra:
    sys.exit('FAIL: files missing from the shards: %s; not in the unsharded run: %s' % (missing[:5], extra[:5]))
for path, (entry, records) in ref.items():
    got_entry, got_records = union[path]
    if got_records != records:
        sys.exit('FAIL: %s: records differ from the unsharded run (%d vs %d)' % (path, len(got_records), len(records)))
    for key in ('bytes', 'lines', 'records', 'xxh3', 'status', 'format'):
        if got_entry.get(key) != entry.get(key):
            sys.exit('FAIL: %s: manifest %s %r vs %r' % (path, key, got_entry.get(key), entry.get(key)))
ref_lines = sorted(l for _, (_, r) in ref.items() for l in r)
if sorted(all_lines) != ref_lines:
    sys.exit('FAIL: the records differ as multisets')
print('%d files, %d records: the union equals the unsharded run, file by file' % (len(ref), len(ref_lines)))
EOF

# The rule, outside ringflow: the shard of each key (stdin: "PATH<TAB>KEY" lines) for N, from
# xxhsum -H3 of the key's bytes (one file per key) and SplitMix64.
cat >"$T/rule.py" <<'EOF'
import os, subprocess, sys, tempfile
n = int(sys.argv[1])
rows = [l.rstrip('\n').split('\t') for l in sys.stdin if l.strip()]
M = (1 << 64) - 1
with tempfile.TemporaryDirectory() as d:
    names = []
    for i, (_, key) in enumerate(rows):
        name = os.path.join(d, str(i))
        with open(name, 'wb') as f:
            f.write(key.encode())
        names.append(name)
    out = subprocess.run(['xxhsum', '-H3', '--'] + names, capture_output=True, check=True).stdout.decode()
    hashes = {}
    for line in out.splitlines():
        # "XXH3 (NAME) = HEX"
        name = line[line.index('(') + 1:line.rindex(')')]
        hashes[name] = int(line.rsplit('= ', 1)[1], 16)
for (path, key), name in zip(rows, names):
    h = hashes[name]
    best = None
    for k in range(1, n + 1):
        z = (h + k * 0x9e3779b97f4a7c15) & M
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
        z ^= z >> 31
        if best is None or z > best[0]:
            best = (z, k)
    print('%s\t%d' % (path, best[1]))
EOF

check "one unsharded replay and checksum (the reference)"
rf "$T/all.out" "$T/all.err" replay "$C" --out "$T/all.ndjson" --manifest "$T/all.man" -q
expect_rc "unsharded replay" 0 "$RC"
rf "$T/all.sum" "$T/all.sum.err" checksum "$C"
expect_rc "unsharded checksum" 0 "$RC"
sort "$T/all.sum" >"$T/all.sum.sorted"

# shard_of MANIFEST... -> "PATH<TAB>K" for every file of shard K's manifest (K = argument order).
shard_map() {
  local k=0 m
  for m in "$@"; do
    k=$((k + 1))
    python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["path"] + "\t" + sys.argv[2])' "$m" "$k"
  done | sort
}

for N in 1 2 3 4; do
  check "N=$N: replay --shard K/$N and checksum --shard K/$N for K = 1..$N"
  args=()
  sums=()
  for ((K = 1; K <= N; K++)); do
    rf "$T/s$K.out" "$T/s$K.err" replay "$C" --shard "$K/$N" --out "$T/s$K.ndjson" \
      --manifest "$T/s$K.man" -q
    expect_rc "replay --shard $K/$N" 0 "$RC"
    n=$(wc -l <"$T/s$K.man")
    if grep -qx "ringflow: shard $K/$N: $n of the $FILES files found" "$T/s$K.err"; then
      pass "replay --shard $K/$N says: shard $K/$N: $n of the $FILES files found"
    else
      fail "replay --shard $K/$N: no line 'shard $K/$N: $n of the $FILES files found' on stderr:"
      head -n 5 "$T/s$K.err"
    fi
    args+=("$T/s$K.man" "$T/s$K.ndjson")
    rf "$T/sum$K" "$T/sum$K.err" checksum "$C" --shard "$K/$N"
    expect_rc "checksum --shard $K/$N" 0 "$RC"
    sums+=("$T/sum$K")
  done
  if msg=$(python3 "$T/union.py" "$T/all.man" "$T/all.ndjson" "${args[@]}"); then
    pass "N=$N: $msg"
  else
    fail "N=$N: $msg"
  fi
  sort "${sums[@]}" >"$T/sums.sorted"
  same_file "N=$N: the checksum shards' lines, together, are the unsharded checksum's" \
    "$T/all.sum.sorted" "$T/sums.sorted"
  if ((N == 3)); then
    for K in 1 2 3; do cp "$T/s$K.ndjson" "$T/three$K.ndjson"; done
    shard_map "$T/s1.man" "$T/s2.man" "$T/s3.man" >"$T/map3.before"
    check "N=3: each file's shard is the README's rule (xxhsum -H3 and SplitMix64 in Python)"
    # The key: the path below the PATH argument; the rotated set goes as nginx/access.log.
    cut -f1 "$T/map3.before" | python3 -c 'import sys, re
root = sys.argv[1] + "/"
for line in sys.stdin:
    p = line.rstrip("\n")
    key = p[len(root):]
    if key.startswith("nginx/access.log"): key = "nginx/access.log"
    print(p + "\t" + key)' "$C" | python3 "$T/rule.py" 3 | sort >"$T/map3.rule"
    same_file "N=3: shards by the documented rule" "$T/map3.rule" "$T/map3.before"
    fam=$(grep -F "/nginx/access.log" "$T/map3.before" | cut -f2 | sort -u | wc -l)
    if [[ $fam == 1 ]]; then pass "the rotated set is on one shard"; else fail "the rotated set is on $fam shards"; fi
  fi
done

check "run CONFIG --shard K/3 and source.shard split as replay --shard does"
cat >"$T/pipe.json" <<EOF
{"source": {"paths": ["$C"]},
 "stages": [{"name": "lines", "type": "lines"}, {"name": "parsed", "type": "parse", "input": "lines"}],
 "sinks": [{"name": "out", "type": "json", "input": "parsed", "path": "$T/run.ndjson"},
           {"name": "manifest", "type": "manifest", "input": "parsed", "digest": true, "path": "$T/run.man"}]}
EOF
for K in 1 2 3; do
  rf "$T/r.out" "$T/r.err" run "$T/pipe.json" --shard "$K/3" --set "sinks[0].path=$T/r$K.ndjson" \
    --set "sinks[1].path=$T/r$K.man"
  expect_rc "run --shard $K/3" 0 "$RC"
  same_file "run --shard $K/3 writes what replay --shard $K/3 wrote" "$T/three$K.ndjson" "$T/r$K.ndjson"
done
rf "$T/r.out" "$T/r.err" run "$T/pipe.json" --set 'source.shard="2/3"' \
  --set "sinks[0].path=$T/d2.ndjson" --set "sinks[1].path=$T/d2.man"
expect_rc "run with source.shard \"2/3\"" 0 "$RC"
same_file "source.shard \"2/3\" reads shard 2/3" "$T/three2.ndjson" "$T/d2.ndjson"
rf "$T/r.out" "$T/r.err" run "$T/pipe.json" --set 'source.shard="2/3"' --shard 3/3 \
  --set "sinks[0].path=$T/d3.ndjson" --set "sinks[1].path=$T/d3.man"
expect_rc "run with source.shard \"2/3\" and --shard 3/3" 0 "$RC"
same_file "--shard overrides source.shard" "$T/three3.ndjson" "$T/d3.ndjson"

check "files added between runs move no file to another shard"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  cp "$C/access/00/00/s0000000.log" "$C/access/00/00/added$i.log"
  mkdir -p "$C/newdir$i"
  cp "$C/json/01/01/s0000001.log" "$C/newdir$i/app.log"
done
cp "$C/nginx/access.log" "$C/nginx/access.log-20261201"
FILES=$(find "$C" -type f | wc -l)
for K in 1 2 3; do
  rf "$T/s$K.out" "$T/s$K.err" replay "$C" --shard "$K/3" --out "$T/n$K.ndjson" \
    --manifest "$T/n$K.man" -q
  expect_rc "replay --shard $K/3 after the additions" 0 "$RC"
done
shard_map "$T/n1.man" "$T/n2.man" "$T/n3.man" >"$T/map3.after"
join -t "$(printf '\t')" "$T/map3.before" "$T/map3.after" | awk -F'\t' '$2 != $3' >"$T/moved"
kept=$(join -t "$(printf '\t')" "$T/map3.before" "$T/map3.after" | wc -l)
if [[ $kept == $(wc -l <"$T/map3.before") && ! -s $T/moved ]]; then
  pass "all $kept files of before are on the same shard after $((FILES - kept)) were added"
else
  fail "files moved or lost: $(head -n 5 "$T/moved" | tr '\n' ' ') ($kept of $(wc -l <"$T/map3.before") kept)"
fi
rf "$T/all.out" "$T/all.err" replay "$C" --out "$T/all2.ndjson" --manifest "$T/all2.man" -q
if msg=$(python3 "$T/union.py" "$T/all2.man" "$T/all2.ndjson" "$T/n1.man" "$T/n1.ndjson" \
  "$T/n2.man" "$T/n2.ndjson" "$T/n3.man" "$T/n3.ndjson"); then
  pass "after the additions: $msg"
else
  fail "after the additions: $msg"
fi
fam=$(grep -F "/nginx/access.log" "$T/map3.after" | cut -f2 | sort -u | wc -l)
if [[ $fam == 1 ]]; then pass "the rotated set (with its new member) is on one shard"; else fail "the rotated set is on $fam shards"; fi

check "a checkpoint of one shard is refused for another, and resumes its own"
W=$T/ck
mkdir -p "$W"
# Killed while it writes its second checkpoint, so that the first is in place: a later one may
# never be written on a slow disk, where a cut that waits behind another's write is replaced by
# the next. (The group's stderr is dropped only for bash's own "Killed" report.)
RC=$({ env RINGFLOW_CRASH_AT=checkpoint-written:2 timeout 60 "$RF" replay "$C" --shard 1/3 \
  --out "$W/out.ndjson" --checkpoint "$W/ck" --checkpoint-every 16KiB --checkpoint-interval 1h \
  -q >/dev/null 2>"$W/err" </dev/null && echo 0 || echo $?; } 2>/dev/null)
expect_rc "replay --shard 1/3 killed writing its second checkpoint" 137 "$RC"
[[ -f $W/ck ]] && pass "the checkpoint stays" || fail "no checkpoint left in $W"
for other in 2/3 1/2 1/4; do
  rf "$W/o" "$W/e" replay "$C" --shard "$other" --out "$W/out.ndjson" --checkpoint "$W/ck" --resume -q
  expect_rc "resume with --shard $other" 1 "$RC"
  if grep -q "was written by another pipeline (its stages, sinks, inputs or shard differ)" "$W/e"; then
    pass "--shard $other: refused: $(grep -m1 "another pipeline" "$W/e")"
  else
    fail "--shard $other: not refused as another pipeline's: $(head -n 3 "$W/e")"
  fi
done
rf "$W/o" "$W/e" replay "$C" --out "$W/out.ndjson" --checkpoint "$W/ck" --resume -q
expect_rc "resume without --shard" 1 "$RC"
rf "$W/o" "$W/e" replay "$C" --shard 1/3 --out "$W/out.ndjson" --checkpoint "$W/ck" --resume -q
expect_rc "resume with --shard 1/3" 0 "$RC"
same_file "the resumed shard 1/3 equals an uninterrupted one" "$T/n1.ndjson" "$W/out.ndjson"

check "bad K/N: bad usage, one line"
for bad in 0/3 4/3 1/0 3 a/b 1/1025 ""; do
  for cmd in replay run checksum; do
    target=("$C")
    [[ $cmd == run ]] && target=("$T/pipe.json")
    rf "$T/b.out" "$T/b.err" "$cmd" "${target[@]}" --shard "$bad"
    lines=$(wc -l <"$T/b.err")
    if [[ $RC == 2 && $lines == 1 ]] && grep -q "^ringflow: $cmd: --shard: not a shard: " "$T/b.err" &&
      [[ ! -s $T/b.out ]]; then
      pass "$cmd --shard '$bad': exit 2: $(cat "$T/b.err")"
    else
      fail "$cmd --shard '$bad': exit $RC, $lines lines: $(head -n 3 "$T/b.err")"
    fi
  done
done
rf "$T/b.out" "$T/b.err" run "$T/pipe.json" --set 'source.shard="5/4"'
if [[ $RC == 1 ]] && grep -q 'source.shard: not a shard: "5/4": K must be between 1 and N' "$T/b.err"; then
  pass "source.shard \"5/4\": $(cat "$T/b.err")"
else
  fail "source.shard \"5/4\": exit $RC: $(head -n 3 "$T/b.err")"
fi

e2e_done

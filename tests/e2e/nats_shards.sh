#!/usr/bin/env bash
# e2e: three shards (`replay --shard K/3`, three processes at once) publishing into one JetStream
# stream of a real nats-server, against one unsharded run into a stream of its own. Read back
# with nats_consume (payloads and "SEQ MSGID LINES BYTES" per message), the two streams must hold
# the same messages (Nats-Msg-Id and payload) each exactly once, every file's messages in its
# order (first record indexes contiguous from 0 in stream order), and the unsharded stream's
# payloads must equal the json file sink's output of the same replay (cmp). Then files are added
# and the three shards run again into the same stream: the files already there add nothing (their
# messages come back as duplicates), the new ones arrive once, and the stream equals an unsharded
# run of the grown tree.
# Arguments: ringflow binary, gen_corpus.py, nats_consume binary.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/nats_lib.sh" "${3:-}"
cd "$E2E_TMP"

log "generating the corpus (240 small files, 2 of 3 MiB) and the reference replay"
python3 "$GEN" corpus --small 240 --large 2 --large-size 3MiB --seed 11 -q
rm -f corpus/MANIFEST.tsv
show_err() { sed 's/^/      stderr: /' "$1" | head -n "${2:-8}"; }

nats_start s
URL=$(nats_url s)

# read_stream NAME PREFIX: PREFIX.ndjson (payloads) and PREFIX.ids of stream NAME.
read_stream() {
  consume --url "$URL" --stream "$1" --out "$2.ndjson" --ids "$2.ids"
  [[ $CRC == 0 ]] || fail "nats_consume of $1 failed (exit $CRC)"
}

# same_messages WHAT A B: streams read by read_stream as A and B hold the same messages (id and
# payload) once each, and in each one every file's messages come in order.
same_messages() {
  local out
  if out=$(python3 - "$2" "$3" <<'PY'
import collections, re, sys

def messages(prefix):
    data = open(prefix + ".ndjson", "rb").read()
    out, at = [], 0
    for line in open(prefix + ".ids"):
        seq, mid, lines, size = line.split()
        out.append((int(seq), mid, data[at:at + int(size)]))
        at += int(size)
    if at != len(data):
        sys.exit(f"{prefix}: the ids list {at} payload bytes, the stream {len(data)}")
    return out

problems = []
sets = []
for prefix in sys.argv[1:]:
    msgs = messages(prefix)
    ids = collections.Counter(mid for _, mid, _ in msgs)
    doubled = [mid for mid, n in ids.items() if n > 1]
    if doubled:
        problems.append(f"{prefix}: {len(doubled)} message ids more than once, e.g. {doubled[0]}")
    nxt = {}
    for seq, mid, _ in msgs:
        m = re.fullmatch(r"([0-9a-f]{16})-([0-9]+)-([0-9]+)", mid)
        if not m:
            problems.append(f"{prefix}: message {seq}: id {mid!r}")
            continue
        key, first, count = m.group(1), int(m.group(2)), int(m.group(3))
        if first != nxt.get(key, 0):
            problems.append(f"{prefix}: message {seq} ({mid}): file {key} expected record {nxt.get(key, 0)} next")
        nxt[key] = first + count
    sets.append(({mid: p for _, mid, p in msgs}, len(nxt)))
(a, files_a), (b, files_b) = sets
if a != b:
    only_a, only_b = a.keys() - b.keys(), b.keys() - a.keys()
    other = [k for k in a.keys() & b.keys() if a[k] != b[k]]
    problems.append(f"the streams differ: {len(only_a)} messages only in the first, "
                    f"{len(only_b)} only in the second, {len(other)} with other payloads")
if problems:
    print("; ".join(problems[:5]))
    sys.exit(1)
print(f"{len(a)} messages of {files_a} files")
PY
  ); then pass "$1: $out, once each, every file in order"; else fail "$1: $out"; fi
}

# shards SUBJECT TAG: the three shards at once into SUBJECT; each must exit 0 and say its share;
# the shares must add up to the files found.
shards() {
  local subject=$1 tag=$2 k pids=() rc total=0 found=""
  for k in 1 2 3; do
    timeout 120 "$RF" replay corpus --shard "$k/3" --out "$URL/$subject" --progress \
      >"$tag.$k.out" 2>"$tag.$k.err" </dev/null &
    pids+=($!)
  done
  for k in 1 2 3; do
    rc=0
    wait "${pids[k - 1]}" || rc=$?
    expect_rc "$tag: shard $k/3" 0 "$rc"
    [[ $rc == 0 ]] || show_err "$tag.$k.err"
    local line
    line=$(grep -o "shard $k/3: [0-9]* of the [0-9]* files found" "$tag.$k.err" || true)
    if [[ -z $line ]]; then fail "$tag: shard $k/3 does not say its share"; continue; fi
    total=$((total + $(awk '{ print $3 }' <<<"$line")))
    found=$(awk '{ print $6 }' <<<"$line")
  done
  if [[ $total == "$found" ]]; then pass "$tag: the three shares add up to the $found files found"; else
    fail "$tag: the shares add up to $total files, $found found"
  fi
}

check "1. three shards at once into one stream = one unsharded run"
consume --url "$URL" --create ONE --subjects 'one.>'
consume --url "$URL" --create SHARDS --subjects 'shards.>'
rf ref.out ref.err replay -q corpus --out ref.ndjson
expect_rc "the reference replay (json file)" 0 "$RC"
rf one.out one.err replay -q corpus --out "$URL/one.all"
expect_rc "the unsharded run into ONE" 0 "$RC"
[[ $RC == 0 ]] || show_err one.err
shards shards.all first
read_stream ONE one
read_stream SHARDS sharded
same_file "the unsharded stream's payloads = the json file's" ref.ndjson one.ndjson
same_messages "sharded into one stream against unsharded" one sharded

check "2. files added, the three shards again into the same stream"
python3 "$GEN" added --small 30 --seed 12 -q
rm -f added/MANIFEST.tsv
mv added corpus/added
f=$(find corpus/access -name '*.log' | sort | head -n 1)
cp -- "$f" "${f%.log}-copy.log"  # a new file whose bytes equal an old one's: its own messages
consume --url "$URL" --create ONE2 --subjects 'one2.>'
rf one2.out one2.err replay -q corpus --out "$URL/one2.all"
expect_rc "the unsharded run of the grown tree into ONE2" 0 "$RC"
shards shards.all second
read_stream ONE2 one2
read_stream SHARDS sharded2
same_messages "the grown tree, shards run twice into one stream, against unsharded" one2 sharded2
new_msgs=$(($(wc -l <sharded2.ids) - $(wc -l <sharded.ids)))
added_msgs=$(($(wc -l <one2.ids) - $(wc -l <one.ids)))
if [[ $new_msgs == "$added_msgs" ]] && ((new_msgs > 0)); then
  pass "the second shards' run added $new_msgs messages: those of the new files only"
else
  fail "the second shards' run added $new_msgs messages; the new files have $added_msgs"
fi

e2e_done

#!/usr/bin/env bash
# e2e: exactly once into NATS JetStream. The oracle is one uninterrupted `ringflow replay CORPUS
# --out FILE` (and its manifest): after every interruption below, the stream's content (what
# nats_consume reads back, payloads concatenated) must be a prefix of that file (nothing doubled,
# nothing out of order), and once the run completes, equal to it (cmp), with every
# Nats-Msg-Id once and contiguous per file.
#  1. A chain of --checkpoint runs, each killed (SIGKILL) and resumed with --resume: at the named
#     crash points (nats-published, nats-acked, cut-synced, checkpoint-written at random counts,
#     then complete) and at least 8 times at random moments from outside.
#  2. nats-server killed (-9) mid-run and restarted on its port and store about 1 s later, while
#     ringflow runs with a long retry_for: the run completes.
#  3. A 3-node JetStream cluster, the stream with 3 replicas: one node killed mid-run (a follower
#     that is not the first URL's node; then, on a new stream, the stream's leader): the run
#     completes.
# The runs are paced (--rate) so that the kills land mid-run. RINGFLOW_E2E_SEED=N repeats the
# random moments and counts of an earlier run (printed at the start).
# Arguments: ringflow binary, gen_corpus.py, nats_consume binary.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/nats_lib.sh" "${3:-}"
cd "$E2E_TMP"

SEED=${RINGFLOW_E2E_SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED
log "random seed $SEED (RINGFLOW_E2E_SEED=$SEED repeats the random kill moments and counts)"

log "generating the corpus (400 small files + 4 x 2 MiB) and the reference replay"
python3 "$GEN" corpus --small 400 --large 4 --large-size 2M --seed 11 -q
REF=ref.ndjson
rf ref.out ref.err replay -q corpus --out "$REF" --manifest ref.man
expect_rc "the reference replay" 0 "$RC"
log "reference: $(wc -l <"$REF") records, $(stat -c %s "$REF") bytes"
RATE=4MB/s  # the corpus takes about 3 s at this pace
BATCH=16384

show_err() { sed 's/^/      stderr: /' "$1" | head -n "${2:-8}"; }
# nats_doc FILE URL SUBJECT STREAM [JSON MEMBERS]: the replay's pipeline ending in a nats sink.
nats_doc() {
  printf '{"source": {"paths": ["corpus"]}, "stages": [{"name": "lines", "type": "lines"}, {"name": "parsed", "type": "parse", "input": "lines"}], "sinks": [{"name": "out", "type": "nats", "input": "parsed", "url": "%s", "subject": "%s", "stream": "%s"%s}]}\n' \
    "$2" "$3" "$4" "${5:+, $5}" >"$1"
}
# read_stream URL STREAM: nats_consume's copy of the stream in got.ndjson (ids in got.ids; it
# retries for up to 30 s while a cluster elects new leaders after a node loss); returns non-zero
# (after a failure) when it cannot be read.
read_stream() {
  consume --url "$1" --wait 30 --stream "$2" --out got.ndjson --ids got.ids
  if [[ $CRC != 0 ]]; then fail "nats_consume of stream $2 failed (exit $CRC)"; return 1; fi
}
# is_prefix WHAT URL STREAM: the stream's content is a prefix of the reference.
is_prefix() {
  read_stream "$2" "$3" || return 0
  local n
  n=$(stat -c %s got.ndjson)
  if cmp -s -n "$n" -- got.ndjson "$REF" && { ((n == 0)) || [[ $(tail -c 1 got.ndjson | od -An -c | tr -d ' ') == '\n' ]]; }; then
    pass "$1: the stream holds a prefix of the reference ($(wc -l <got.ndjson) of $(wc -l <"$REF") records)"
  else
    fail "$1: the stream is not a prefix of the reference: $(cmp -- got.ndjson "$REF" 2>&1 | head -n 1)" \
      "($n bytes, $(wc -l <got.ndjson) records; doubled or out-of-order records?)"
  fi
}
# stream_equals WHAT URL STREAM: the stream equals the reference, its ids are right.
stream_equals() {
  read_stream "$2" "$3" || return 0
  same_file "$1: the stream's payloads = the json file's" "$REF" got.ndjson
  nats_check_ids "$1" got.ids ref.man "$BATCH"
}

# --- 1. kill -9 and --resume, again and again ---------------------------------------------------------
nats_start s
URL=$(nats_url s)
CK=(--checkpoint run.ckpt --checkpoint-every 256KiB --checkpoint-interval 200ms)
STREAM="" CHAIN=0
# new_chain: a new stream EO<k> (subjects eo<k>.>) and no checkpoint: the next run starts over.
new_chain() {
  CHAIN=$((CHAIN + 1))
  STREAM=EO$CHAIN
  rm -f run.ckpt
  consume --url "$URL" --create "$STREAM" --subjects "eo$CHAIN.>"
  nats_doc eo.json "$URL" "eo$CHAIN.app" "$STREAM" "\"batch_bytes\": $BATCH, \"max_pending\": 32"
  log "  chain $CHAIN: stream $STREAM"
}
new_chain
# step WHAT CRASH KILL_AFTER: one --resume run (the first of a chain starts without a checkpoint,
# which --resume allows), with RINGFLOW_CRASH_AT=CRASH ("-": none) and, unless KILL_AFTER is "-",
# SIGKILL from outside after KILL_AFTER seconds. Sets RC (137: killed, 0: completed).
step() {
  local what=$1 crash=$2 after=$3 envs=(env -u RINGFLOW_CRASH_AT) killer=()
  [[ $crash == - ]] || envs=(env "RINGFLOW_CRASH_AT=$crash")
  [[ $after == - ]] && killer=(timeout 60) || killer=(timeout -s KILL "$after")
  RC=$({ "${killer[@]}" "${envs[@]}" "$RF" replay -q --config eo.json corpus --rate "$RATE" "${CK[@]}" --resume \
    >step.out 2>step.err </dev/null && echo 0 || echo $?; } 2>/dev/null)
  case $RC in
    137) pass "$what: killed (137)"; is_prefix "$what" "$URL" "$STREAM" ;;
    0) pass "$what: the run completed before the kill"
       stream_equals "$what (chain $CHAIN complete)" "$URL" "$STREAM"
       if [[ -e run.ckpt ]]; then fail "$what: the checkpoint is still there after the run completed"; fi ;;
    *) fail "$what: exit status $RC, expected 137 (killed) or 0"; show_err step.err
       is_prefix "$what" "$URL" "$STREAM" ;;
  esac
}

check "1. chain: killed at the named crash points, resumed each time"
NAMED=0
for point in "nats-published:$((2 + RANDOM % 30))" "nats-acked:$((2 + RANDOM % 30))" \
             "cut-synced:$((1 + RANDOM % 3))" "checkpoint-written:$((1 + RANDOM % 3))"; do
  step "crash at $point" "$point" -
  [[ $RC == 137 ]] && NAMED=$((NAMED + 1))
  [[ $RC == 0 ]] && new_chain
done
((NAMED >= 3)) && pass "named crash points: $NAMED of 4 killed a running replay" ||
  fail "named crash points: only $NAMED of 4 killed a running replay"

check "1b. chain: killed at least 8 times at random moments from outside, resumed each time"
KILLS=0 TRIES=0
while ((KILLS < 8 && TRIES < 24)); do
  TRIES=$((TRIES + 1))
  t=$(printf '%d.%02d' $((RANDOM % 3 == 2)) $((30 + RANDOM % 70)))
  step "random kill after $t s (try $TRIES)" - "$t"
  if [[ $RC == 137 ]]; then KILLS=$((KILLS + 1)); elif [[ $RC == 0 ]]; then new_chain; fi
done
((KILLS >= 8)) && pass "random kills: $KILLS landed mid-run in $TRIES tries" ||
  fail "random kills: only $KILLS of $TRIES landed mid-run (runs too short?)"

check "1c. chain: killed at complete (the final checkpoint written), then resumed to the end"
step "crash at complete:1" complete:1 -
if [[ $RC == 137 ]]; then
  step "the resume after complete" - -
  [[ $RC == 0 ]] || fail "the resume after complete: exit status $RC"
fi
step "one more resume of a completed run (no checkpoint: starts over, every message a duplicate)" - -
stream_equals "chain $CHAIN, replayed once more" "$URL" "$STREAM"

# --- 2. the server killed and restarted mid-run ------------------------------------------------------
check "2. nats-server killed (-9) mid-run, restarted on its port and store 1 s later; retry_for 60s"
consume --url "$URL" --create RS --subjects 'rs.>'
nats_doc rs.json "$URL" rs.app RS "\"batch_bytes\": $BATCH, \"retry_for\": \"60s\""
"$RF" replay -q --config rs.json corpus --rate "$RATE" >rs.out 2>rs.err </dev/null &
RPID=$!
sleep 1.2
if kill -0 "$RPID" 2>/dev/null; then pass "restart: ringflow still running at the kill"; else
  fail "restart: ringflow ended before the server was killed (runs too short?)"
fi
nats_kill s
sleep 1
nats_restart s
nats_ready "$URL"
wait_exit "$RPID" 90
expect_rc "restart: the run" 0 "$RC"
[[ $RC == 0 ]] || { show_err rs.err 20; nats_log s 10; }
log "  (the run ended $WAITED s after the restart)"
stream_equals "restart" "$URL" RS

# --- 3. a 3-node cluster, one node killed mid-run ---------------------------------------------------------
# cluster_case WHAT STREAM PICK: a stream with 3 replicas, a paced run into it, and the node PICK
# names (follower: a follower other than c1, the first URL; leader: the stream's leader) killed
# 1.2 s into the run; the run must complete and the stream equal the reference.
cluster_case() {
  local what=$1 stream=$2 pick=$3 leader victim
  consume --url "$CURL" --create "$stream" --subjects "${stream,,}.>" --replicas 3
  consume --url "$CURL" --info "$stream" >cl.info
  leader=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["leader"])' cl.info)
  if [[ $pick == leader ]]; then victim=$leader; else
    victim=c3
    [[ $leader == c3 ]] && victim=c2
  fi
  log "  stream $stream's leader: $leader; the node killed: $victim"
  nats_doc cl.json "$CURL" "${stream,,}.app" "$stream" "\"batch_bytes\": $BATCH, \"retry_for\": \"60s\""
  "$RF" replay -q --config cl.json corpus --rate "$RATE" >cl.out 2>cl.err </dev/null &
  RPID=$!
  sleep 1.2
  if kill -0 "$RPID" 2>/dev/null; then pass "$what: ringflow still running at the kill"; else
    fail "$what: ringflow ended before the node was killed (runs too short?)"
  fi
  nats_kill "$victim"
  wait_exit "$RPID" 90
  expect_rc "$what: the run" 0 "$RC"
  [[ $RC == 0 ]] || { show_err cl.err 20; for k in 1 2 3; do nats_log "c$k" 3; done; }
  local alive=c1
  [[ $victim == c1 ]] && alive=c2
  stream_equals "$what ($victim killed)" "$(nats_url "$alive")" "$stream"
  VICTIM=$victim
}
nats_kill s
nats_cluster c
CURL=$(nats_cluster_urls c)
check "3. 3-node cluster, stream with 3 replicas: a follower (not the first URL's node) killed mid-run"
cluster_case "cluster, follower" CLF follower
nats_restart "$VICTIM"
check "3b. 3-node cluster, stream with 3 replicas: the stream's leader killed mid-run"
cluster_case "cluster, leader" CLL leader

e2e_done

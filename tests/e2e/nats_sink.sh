#!/usr/bin/env bash
# e2e: the nats sink against a real nats-server (JetStream, file storage) on 127.0.0.1.
# The oracle is `ringflow replay CORPUS --out FILE` of the same corpus: what nats_consume reads
# back from the stream (payloads concatenated, in stream order) must be byte-identical (cmp),
# and every message's Nats-Msg-Id must be <file key>-<first record index>-<count>, contiguous
# per file, as the reference's manifest counts the records. Cases: the replay shorthand
# (--out nats://HOST:PORT/SUBJECT), batch_bytes 0 and small through a pipeline document,
# `ringflow run` with the sink, no server at start (one line, exit 1), user/password, token and
# nkey auth (and wrong ones), TLS with a client certificate (and without it, and with a CA that did
# not sign the server), a full stream (max_bytes, discard new: an error, then --resume once
# there is room: each record once, though not always in order; also with one record per message).
# Arguments: ringflow binary, gen_corpus.py, nats_consume binary.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/nats_lib.sh" "${3:-}"
cd "$E2E_TMP"

log "generating the corpus (300 small files) and the reference replay"
python3 "$GEN" corpus --small 300 --seed 3 -q
REF=ref.ndjson
rf ref.out ref.err replay -q corpus --out "$REF" --manifest ref.man
expect_rc "the reference replay" 0 "$RC"
REF_LINES=$(wc -l <"$REF")
REF_BYTES=$(stat -c %s "$REF")
log "reference: $REF_LINES records, $REF_BYTES bytes"

show_err() { sed 's/^/      stderr: /' "$1" | head -n "${2:-8}"; }
# refused WHAT ERR URL REGEX: a run that failed said why in one line (ERR, its stderr), naming
# URL and matching REGEX (case-insensitive).
refused() {
  if [[ $(wc -l <"$2") == 1 ]] && grep -qF "$3" "$2" && grep -qiE "$4" "$2"; then
    pass "$1: one line naming the URL and the reason: $(cat "$2")"
  else
    fail "$1: not one line naming $3 and matching /$4/:"
    show_err "$2"
  fi
}
# unchanged WHAT URL STREAM [AUTH...]: STREAM holds the messages stream_equals last read (got.ids):
# the failed runs since added nothing.
unchanged() {
  local what=$1 url=$2 stream=$3
  shift 3
  consume --url "$url" "$@" --info "$stream" >"$stream.info"
  if [[ $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"])' "$stream.info") == \
        $(wc -l <got.ids) ]]; then pass "$what added nothing to $stream"; else
    fail "$what changed $stream: $(cat "$stream.info")"
  fi
}
# stream_equals WHAT URL STREAM [BATCH_BYTES [AUTH...]]: the stream's payloads equal the reference
# (cmp) and its message ids are right; BATCH_BYTES: the sink's, for the payload size check (-1 or
# absent: not known, sizes not checked); AUTH: nats_consume's --user/--password/--token.
stream_equals() {
  local what=$1 url=$2 stream=$3 batch=${4:--1}
  shift 3
  (($# == 0)) || shift
  consume --url "$url" "$@" --stream "$stream" --out got.ndjson --ids got.ids
  if [[ $CRC != 0 ]]; then fail "$what: nats_consume of $stream failed (exit $CRC)"; return; fi
  same_file "$what: the stream's payloads = the json file's" "$REF" got.ndjson
  ((batch >= 0)) || batch=1000000000
  nats_check_ids "$what" got.ids ref.man "$batch"
}

# full_stream_once WHAT STREAM: the stream (read into got.ndjson, got.ids) holds no message id
# twice, and each record once: its sorted lines equal the reference's.
full_stream_once() {
  consume --url "$URL" --stream "$2" --out got.ndjson --ids got.ids
  if [[ $CRC != 0 ]]; then fail "$1: nats_consume of $2 failed (exit $CRC)"; return; fi
  local doubled
  doubled=$(awk '{ print $2 }' got.ids | sort | uniq -d | head -n 3)
  if [[ -z $doubled ]]; then pass "$1: every message id once ($(wc -l <got.ids) messages)"; else
    fail "$1: message ids stored more than once: $doubled"
  fi
  if cmp -s <(sort got.ndjson) <(sort "$REF"); then
    pass "$1: each record once (the sorted lines equal the reference's)"
  else
    fail "$1: records missing or doubled (the sorted lines differ from the reference's)"
  fi
}

# nats_doc FILE URL SUBJECT STREAM [JSON MEMBERS]: the replay's pipeline (lines -> parse, format
# detected per file) ending in a nats sink; extra sink members as a JSON fragment, e.g.
# '"batch_bytes": 0'.
nats_doc() {
  printf '{"source": {"paths": ["corpus"]}, "stages": [{"name": "lines", "type": "lines"}, {"name": "parsed", "type": "parse", "input": "lines"}], "sinks": [{"name": "out", "type": "nats", "input": "parsed", "url": "%s", "subject": "%s", "stream": "%s"%s}]}\n' \
    "$2" "$3" "$4" "${5:+, $5}" >"$1"
}

# --- 1. no server at start ----------------------------------------------------------------------
check "1. no server at start: one line naming the URL, exit 1"
PORT=$(nats_free_port)
t0=$(now)
rf nosrv.out nosrv.err replay -q corpus --out "nats://127.0.0.1:$PORT/logs.app"
took=$(secs_since "$t0")
expect_rc "no server" 1 "$RC"
want="ringflow: nats://127.0.0.1:$PORT: connection refused"
if [[ $(cat nosrv.err) == "$want" ]]; then pass "no server: stderr is the one line \"$want\" (after $took s)"; else
  fail "no server: stderr is not the one line \"$want\" (after $took s):"
  show_err nosrv.err 20
fi
if [[ -s nosrv.out ]]; then fail "no server: something on stdout: $(head -c 200 nosrv.out)"; else pass "no server: nothing on stdout"; fi

# --- 2. the replay shorthand ----------------------------------------------------------------------
nats_start s
URL=$(nats_url s)
check "2. ringflow replay corpus --out nats://127.0.0.1:PORT/logs.app (stream LOGS holds logs.>)"
consume --url "$URL" --create LOGS --subjects 'logs.>'
rf short.out short.err replay -q corpus --out "$URL/logs.app"
expect_rc "shorthand" 0 "$RC"
[[ $RC == 0 ]] || show_err short.err
stream_equals "shorthand" "$URL" LOGS
if [[ -s short.out ]]; then fail "shorthand: something on stdout: $(head -c 200 short.out)"; else pass "shorthand: nothing on stdout"; fi
check "2b. the same replay again: every message a duplicate (dropped), the stream unchanged"
consume --url "$URL" --info LOGS >info1.json
rf short2.out short2.err replay -q corpus --out "$URL/logs.app"
expect_rc "shorthand again" 0 "$RC"
consume --url "$URL" --info LOGS >info2.json
if cmp -s info1.json info2.json; then pass "shorthand again: stream state unchanged: $(cat info2.json)"; else
  fail "shorthand again: the stream changed: before $(cat info1.json), after $(cat info2.json)"
fi
stream_equals "shorthand again" "$URL" LOGS

# --- 3. batch_bytes 0 and small, through a pipeline document -----------------------------------------
for batch in 0 1024 65536; do
  check "3. replay --config (nats sink, batch_bytes $batch, max_pending 64) into stream B$batch"
  consume --url "$URL" --create "B$batch" --subjects "b$batch.>"
  nats_doc "b$batch.json" "$URL" "b$batch.app" "B$batch" "\"batch_bytes\": $batch, \"max_pending\": 64"
  rf b.out b.err replay -q --config "b$batch.json" corpus
  expect_rc "batch_bytes $batch" 0 "$RC"
  [[ $RC == 0 ]] || show_err b.err
  stream_equals "batch_bytes $batch" "$URL" "B$batch" "$batch"
done
check "3b. a stream made by the sink itself (create_stream, stream_subjects, duplicate_window)"
nats_doc mk.json "$URL" "made.app" MADE '"create_stream": true, "stream_subjects": ["made.>"], "storage": "file", "replicas": 1, "duplicate_window": "10m"'
rf mk.out mk.err replay -q --config mk.json corpus
expect_rc "create_stream" 0 "$RC"
[[ $RC == 0 ]] || show_err mk.err
stream_equals "create_stream" "$URL" MADE

# --- 4. ringflow run with the sink ---------------------------------------------------------------------
check "4. ringflow run DOC (nats sink) against ringflow run of the same DOC with a json sink"
consume --url "$URL" --create RUN --subjects 'run.>'
nats_doc run.json "$URL" "run.x" RUN '"batch_bytes": 4096'
rf run.out run.err run run.json
expect_rc "ringflow run" 0 "$RC"
[[ $RC == 0 ]] || show_err run.err
rf runj.out runj.err run run.json --set 'sinks[0]={"name": "out", "type": "json", "input": "parsed", "path": "run-json.ndjson"}'
expect_rc "ringflow run, json sink" 0 "$RC"
[[ $RC == 0 ]] || show_err runj.err
same_file "ringflow run's json file = the replay's" "$REF" run-json.ndjson
stream_equals "ringflow run" "$URL" RUN 4096

# --- 5. auth: user/password, token ---------------------------------------------------------------
check "5. user/password: the right ones publish, a wrong password is a clear error"
printf 'authorization {\n  user: "rf"\n  password: "s3cret pass"\n}\n' >userpass.conf
nats_start up -c "$E2E_TMP/userpass.conf"
UURL=$(nats_url up)
nats_ready "$UURL" --user rf --password "s3cret pass"
consume --url "$UURL" --user rf --password "s3cret pass" --create UP --subjects 'up.>'
nats_doc up.json "$UURL" up.app UP '"user": "rf", "password": "s3cret pass"'
rf up.out up.err replay -q --config up.json corpus
expect_rc "user/password" 0 "$RC"
[[ $RC == 0 ]] || show_err up.err
stream_equals "user/password" "$UURL" UP -1 --user rf --password "s3cret pass"
nats_doc upbad.json "$UURL" up.app UP '"user": "rf", "password": "wrong"'
rf upbad.out upbad.err replay -q --config upbad.json corpus
expect_rc "wrong password" 1 "$RC"
refused "wrong password" upbad.err "$UURL" 'authori[sz]ation'
nats_doc upnone.json "$UURL" up.app UP
rf upnone.out upnone.err replay -q --config upnone.json corpus
expect_rc "no credentials for a server that needs them" 1 "$RC"
unchanged "the failed runs" "$UURL" UP --user rf --password "s3cret pass"

check "5b. token: the right one publishes, a wrong one is a clear error"
printf 'authorization {\n  token: "t0k-en"\n}\n' >token.conf
nats_start tok -c "$E2E_TMP/token.conf"
TURL=$(nats_url tok)
nats_ready "$TURL" --token t0k-en
consume --url "$TURL" --token t0k-en --create TK --subjects 'tk.>'
nats_doc tk.json "$TURL" tk.app TK '"token": "t0k-en"'
rf tk.out tk.err replay -q --config tk.json corpus
expect_rc "token" 0 "$RC"
[[ $RC == 0 ]] || show_err tk.err
stream_equals "token" "$TURL" TK -1 --token t0k-en
nats_doc tkbad.json "$TURL" tk.app TK '"token": "nope"'
rf tkbad.out tkbad.err replay -q --config tkbad.json corpus
expect_rc "wrong token" 1 "$RC"
refused "wrong token" tkbad.err "$TURL" 'authori[sz]ation'
nats_kill up
nats_kill tok

check "5b2. nkey: the user's public NKey and its seed file authenticate; another seed is refused"
# nkey_pair PREFIX: PREFIX.pub (the user's public NKey) and PREFIX.seed (its seed), made the way
# the nkeys library encodes them (base32 of prefix bytes, the key and a CRC-16/XMODEM), the
# Ed25519 public key derived by openssl from a random seed.
nkey_pair() {
  python3 - "$1" <<'PY'
import base64, os, subprocess, sys
def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc
def encode(raw):
    return base64.b32encode(raw + crc16(raw).to_bytes(2, "little")).decode().rstrip("=")
seed = os.urandom(32)
der = bytes.fromhex("302e020100300506032b657004220420") + seed  # PKCS#8 Ed25519 private key
pub = subprocess.run(["openssl", "pkey", "-inform", "DER", "-pubout", "-outform", "DER"],
                     input=der, capture_output=True, check=True).stdout[-32:]
user = 20 << 3  # the nkeys prefix of a user; a seed's first byte is 18 << 3
open(sys.argv[1] + ".pub", "w").write(encode(bytes([user]) + pub))
open(sys.argv[1] + ".seed", "w").write(encode(bytes([(18 << 3) | (user >> 5), (user & 31) << 3]) + seed) + "\n")
PY
}
command -v openssl >/dev/null || { echo "FAIL: required tool not found: openssl" >&2; exit 1; }
nkey_pair nk
nkey_pair nk2
printf 'authorization {\n  users = [ { nkey: "%s" } ]\n}\n' "$(cat nk.pub)" >nkey.conf
nats_start nk -c "$E2E_TMP/nkey.conf"
KURL=$(nats_url nk)
NK_ARGS=(--nkey "$(cat nk.pub)" --nkey-seed nk.seed)
nats_ready "$KURL" "${NK_ARGS[@]}"
consume --url "$KURL" "${NK_ARGS[@]}" --create NK --subjects 'nk.>'
nats_doc nk.json "$KURL" nk.app NK "\"nkey\": \"$(cat nk.pub)\", \"nkey_seed\": \"$E2E_TMP/nk.seed\""
rf nk.out nk.err replay -q --config nk.json corpus
expect_rc "nkey" 0 "$RC"
[[ $RC == 0 ]] || show_err nk.err
stream_equals "nkey" "$KURL" NK -1 "${NK_ARGS[@]}"
nats_doc nkbad.json "$KURL" nk.app NK "\"nkey\": \"$(cat nk2.pub)\", \"nkey_seed\": \"$E2E_TMP/nk2.seed\""
rf nkbad.out nkbad.err replay -q --config nkbad.json corpus
expect_rc "an NKey the server does not know" 1 "$RC"
refused "an NKey the server does not know" nkbad.err "$KURL" 'authori[sz]ation'
unchanged "the failed nkey run" "$KURL" NK "${NK_ARGS[@]}"
nats_kill nk

check "5c. TLS: tls_ca verifies the server, tls_cert+tls_key are the client's (--tlsverify); a missing client certificate and a CA that did not sign the server are clear errors"
# cert NAME CA SUBJECT [EXT]: an EC key NAME.key and certificate NAME.pem signed by CA (CA "-":
# self-signed, a CA).
cert() {
  local name=$1 ca=$2 subject=$3 ext=${4:-}
  if [[ $ca == - ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -keyout "$name.key" -out "$name.pem" -subj "$subject" 2>/dev/null
  else
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout "$name.key" -out "$name.csr" -subj "$subject" 2>/dev/null
    openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial -days 2 \
      ${ext:+-extfile "$ext"} -out "$name.pem" 2>/dev/null
  fi
}
command -v openssl >/dev/null || { echo "FAIL: required tool not found: openssl" >&2; exit 1; }
printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
cert ca - "/CN=ringflow test CA"
cert other - "/CN=another CA"
cert server ca "/CN=127.0.0.1" server.ext
cert client ca "/CN=ringflow client"
nats_start tls --tls --tlscert "$E2E_TMP/server.pem" --tlskey "$E2E_TMP/server.key" \
  --tlscacert "$E2E_TMP/ca.pem" --tlsverify
SURL="tls://127.0.0.1:${NATS_PORT[tls]}"
TLS_ARGS=(--tls-ca ca.pem --tls-cert client.pem --tls-key client.key)
nats_ready "$SURL" "${TLS_ARGS[@]}"
consume --url "$SURL" "${TLS_ARGS[@]}" --create TLS --subjects 'tls.>'
nats_doc tls.json "$SURL" tls.app TLS \
  "\"tls_ca\": \"$E2E_TMP/ca.pem\", \"tls_cert\": \"$E2E_TMP/client.pem\", \"tls_key\": \"$E2E_TMP/client.key\""
rf tls.out tls.err replay -q --config tls.json corpus
expect_rc "TLS with a client certificate" 0 "$RC"
[[ $RC == 0 ]] || show_err tls.err
stream_equals "TLS" "$SURL" TLS -1 "${TLS_ARGS[@]}"
nats_doc tlsnocert.json "$SURL" tls.app TLS "\"tls_ca\": \"$E2E_TMP/ca.pem\""
rf tlsnocert.out tlsnocert.err replay -q --config tlsnocert.json corpus
expect_rc "TLS without the client certificate the server asks for" 1 "$RC"
refused "TLS without a client certificate" tlsnocert.err "$SURL" 'tls_cert'
nats_doc tlsother.json "$SURL" tls.app TLS \
  "\"tls_ca\": \"$E2E_TMP/other.pem\", \"tls_cert\": \"$E2E_TMP/client.pem\", \"tls_key\": \"$E2E_TMP/client.key\""
rf tlsother.out tlsother.err replay -q --config tlsother.json corpus
expect_rc "TLS with a CA that did not sign the server's certificate" 1 "$RC"
refused "TLS, the server not verified" tlsother.err "$SURL" 'certificate|verif|tls|ssl|handshake'
unchanged "the failed TLS runs" "$SURL" TLS "${TLS_ARGS[@]}"
nats_kill tls

# --- 6. a full stream ------------------------------------------------------------------------------
check "6. stream FULL (max_bytes a third of the output, discard new): an error, then --resume with room"
consume --url "$URL" --create FULL --subjects 'full.>' --max-bytes $((REF_BYTES / 3)) --discard new
rf full.out full.err replay -q corpus --out "$URL/full.app" --checkpoint full.ckpt
if [[ $RC != 0 && $RC != 124 ]]; then pass "full stream: the run failed (exit $RC)"; else
  fail "full stream: exit status $RC, expected a failure"
fi
if grep -qiE 'maximum bytes|stream full|exceed|limit' full.err && grep -qE 'FULL|full\.app' full.err; then
  pass "full stream: stderr names the stream and the limit: $(grep -iE 'maximum bytes|stream full|exceed|limit' full.err | head -n 1)"
else
  fail "full stream: stderr does not name the stream FULL (or its subject) and the limit:"
  show_err full.err
fi
if [[ -f full.ckpt ]]; then pass "full stream: the checkpoint is kept"; else fail "full stream: no checkpoint left for --resume"; fi
consume --url "$URL" --info FULL >full1.info
log "  stream after the failed run: $(cat full1.info)"
consume --url "$URL" --update FULL --max-bytes $((REF_BYTES * 4))
rf full2.out full2.err replay -q corpus --out "$URL/full.app" --checkpoint full.ckpt --resume
expect_rc "full stream: --resume with room" 0 "$RC"
[[ $RC == 0 ]] || show_err full2.err
# Each record once, but not always in order: with discard new, a message after the refused one
# that is smaller may still fit and be stored before the resume stores the refused one (the
# README says so). So: every message id once, and the sorted lines equal the reference's.
full_stream_once "full stream, resumed" FULL
if [[ -e full.ckpt ]]; then fail "full stream: the checkpoint is still there after the run completed"; else
  pass "full stream: the checkpoint is removed"
fi
check "6b. the same with batch_bytes 0 (one record per message: records of every size in flight)"
consume --url "$URL" --create FULL0 --subjects 'full0.>' --max-bytes $((REF_BYTES / 3)) --discard new
nats_doc full0.json "$URL" full0.app FULL0 '"batch_bytes": 0'
rf full0.out full0.err replay -q --config full0.json corpus --checkpoint full0.ckpt
if [[ $RC != 0 && $RC != 124 ]]; then pass "full stream, batch_bytes 0: the run failed (exit $RC)"; else
  fail "full stream, batch_bytes 0: exit status $RC, expected a failure"
fi
consume --url "$URL" --update FULL0 --max-bytes $((REF_BYTES * 40))
rf full0b.out full0b.err replay -q --config full0.json corpus --checkpoint full0.ckpt --resume
expect_rc "full stream, batch_bytes 0: --resume with room" 0 "$RC"
[[ $RC == 0 ]] || show_err full0b.err
full_stream_once "full stream, batch_bytes 0, resumed" FULL0

e2e_done

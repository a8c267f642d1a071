# shellcheck shell=bash
# Helpers for the NATS end-to-end tests: real nats-server processes on 127.0.0.1 (one server, or
# a 3-node JetStream cluster), each on a free port with its own store directory under E2E_TMP,
# started, killed (-9), stopped and restarted on the same port and store; every server this
# script started is killed when the test exits (whatever way). Source after lib.sh:
#   source "$(dirname "$0")/lib.sh" "$@"
#   source "$(dirname "$0")/nats_lib.sh" "$3"     # $3: the nats_consume binary
# Server names are the test's own labels (letters, digits, _): NAME's URL is $(nats_url NAME).

command -v nats-server >/dev/null || { echo "FAIL: required tool not found: nats-server" >&2; exit 1; }
[[ -n ${1:-} && -x $1 ]] || { echo "FAIL: nats_consume binary not executable: ${1:-(none given)}" >&2; exit 1; }
NATS_CONSUME=$(realpath -- "$1")

declare -A NATS_PORT=() NATS_PID=() NATS_DIR=()
NATS_PORTS_GIVEN=" "

# Kill every server still running (SIGKILL: their stores are scratch), then lib.sh's cleanup.
_nats_cleanup() {
  local name pid
  for name in "${!NATS_PID[@]}"; do
    pid=${NATS_PID[$name]}
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  for name in "${!NATS_PID[@]}"; do
    pid=${NATS_PID[$name]}
    [[ -n $pid ]] && wait "$pid" 2>/dev/null || true
  done
}
trap '_nats_cleanup; _e2e_cleanup' EXIT

# nats_free_port: prints a TCP port free on 127.0.0.1 now and not handed out before by this script.
nats_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [[ $NATS_PORTS_GIVEN != *" $port "* ]]; then
      NATS_PORTS_GIVEN+="$port "
      echo "$port"
      return 0
    fi
  done
  echo "FAIL: no free port found" >&2
  return 1
}

# nats_answers PORT: a server on PORT sends its INFO line (the NATS protocol's greeting).
nats_answers() {
  local line
  line=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && head -c 4 <&3' _ "$1" 2>/dev/null) || return 1
  [[ $line == INFO ]]
}

# _nats_launch NAME: runs NAME's saved command line (NATS_DIR/cmd) in the background, its output
# appended to NATS_DIR/log, and waits up to 10 s until its port answers. Dies if it does not.
_nats_launch() {
  local name=$1 dir=${NATS_DIR[$1]} port=${NATS_PORT[$1]} cmd=() pid
  mapfile -d '' -t cmd <"$dir/cmd"
  echo "--- $(date -u +%T.%N) start: ${cmd[*]}" >>"$dir/log"
  "${cmd[@]}" >>"$dir/log" 2>&1 </dev/null &
  pid=$!
  NATS_PID[$name]=$pid
  local t0=$SECONDS
  until nats_answers "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: nats-server $name (port $port) exited at start; its log:" >&2
      tail -n 20 "$dir/log" >&2
      exit 1
    fi
    if ((SECONDS - t0 > 10)); then
      echo "FAIL: nats-server $name does not answer on port $port after 10 s; its log:" >&2
      tail -n 20 "$dir/log" >&2
      exit 1
    fi
    sleep 0.05
  done
}

# nats_define NAME PORT [nats-server ARGS...]: records NAME's command line (nats-server -a
# 127.0.0.1 -p PORT -js -sd E2E_TMP/nats-NAME/store ARGS...) without starting it.
nats_define() {
  local name=$1 port=$2
  shift 2
  local dir=$E2E_TMP/nats-$name
  mkdir -p -- "$dir/store"
  NATS_PORT[$name]=$port
  NATS_DIR[$name]=$dir
  NATS_PID[$name]=""
  printf '%s\0' nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir/store" "$@" >"$dir/cmd"
}

# nats_start NAME [nats-server ARGS...]: a JetStream server on a free port, answering when this
# returns (e.g. nats_start s; nats_start auth -c auth.conf).
nats_start() {
  local name=$1
  shift
  nats_define "$name" "$(nats_free_port)" "$@"
  _nats_launch "$name"
}

# nats_url NAME: nats://127.0.0.1:PORT of NAME.
nats_url() { echo "nats://127.0.0.1:${NATS_PORT[$1]}"; }
# nats_pid NAME: NAME's process id ("" when not running).
nats_pid() { echo "${NATS_PID[$1]}"; }

# nats_kill NAME: SIGKILL, and wait until it is gone (its port closed).
nats_kill() {
  local pid=${NATS_PID[$1]}
  [[ -n $pid ]] || return 0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  NATS_PID[$1]=""
  echo "--- $(date -u +%T.%N) killed (SIGKILL)" >>"${NATS_DIR[$1]}/log"
}

# nats_stop NAME: SIGTERM (a clean shutdown), SIGKILL after 10 s.
nats_stop() {
  local pid=${NATS_PID[$1]} t0=$SECONDS
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((SECONDS - t0 < 10)); do sleep 0.05; done
  nats_kill "$1"
}

# nats_restart NAME: start NAME again on its port with its store (after nats_kill/nats_stop).
nats_restart() {
  [[ -z ${NATS_PID[$1]} ]] || nats_kill "$1"
  _nats_launch "$1"
}

# nats_log NAME [N]: the last N (default 20) lines of NAME's log, indented (for failure reports).
nats_log() { tail -n "${2:-20}" "${NATS_DIR[$1]}/log" | sed "s/^/      $1: /"; }

# consume ARGS...: nats_consume under timeout 60 (stdin closed); sets CRC (124: hung).
consume() {
  CRC=0
  timeout 60 "$NATS_CONSUME" "$@" </dev/null || CRC=$?
  if [[ $CRC == 124 ]]; then fail "nats_consume $* did not finish within 60 s"; fi
  return 0
}

# nats_ready URL [AUTH ARGS...]: JetStream answers at URL within 30 s (else the test dies).
nats_ready() {
  local url=$1
  shift
  timeout 60 "$NATS_CONSUME" --url "$url" "$@" --wait 30 --ping </dev/null ||
    { echo "FAIL: JetStream at $url is not ready after 30 s" >&2; exit 1; }
}

# nats_cluster NAME: three JetStream servers NAME1, NAME2, NAME3 (server names NAME1.., cluster
# name NAME), each with its own port, cluster port and store, routes to all three; returns when
# a stream with 3 replicas can be made (the meta leader elected, every peer known).
# nats_cluster_urls NAME: their three URLs, comma-separated (NAME1's first).
nats_cluster() {
  local name=$1 k routes="" cports=()
  for k in 1 2 3; do cports+=("$(nats_free_port)"); done
  for k in 0 1 2; do routes+="${routes:+,}nats://127.0.0.1:${cports[k]}"; done
  for k in 1 2 3; do
    nats_define "$name$k" "$(nats_free_port)" -server_name "$name$k" -cluster_name "$name" \
      -cluster "nats://127.0.0.1:${cports[k - 1]}" -routes "$routes"
  done
  for k in 1 2 3; do _nats_launch "$name$k"; done
  local url
  url=$(nats_cluster_urls "$name")
  nats_ready "$url"
  local t0=$SECONDS
  until timeout 30 "$NATS_CONSUME" --url "$url" --create "_ready_$name" --subjects "_ready.$name" \
      --replicas 3 </dev/null 2>"$E2E_TMP/cluster-ready.err"; do
    if ((SECONDS - t0 > 30)); then
      echo "FAIL: cluster $name: no stream with 3 replicas after 30 s: $(cat "$E2E_TMP/cluster-ready.err")" >&2
      for k in 1 2 3; do nats_log "$name$k" 5 >&2; done
      exit 1
    fi
    sleep 0.5
  done
  timeout 30 "$NATS_CONSUME" --url "$url" --delete "_ready_$name" </dev/null ||
    { echo "FAIL: cluster $name: cannot delete the probe stream" >&2; exit 1; }
}
nats_cluster_urls() { echo "$(nats_url "${1}1"),$(nats_url "${1}2"),$(nats_url "${1}3")"; }

# nats_check_ids WHAT IDS MANIFEST BATCH_BYTES: the messages nats_consume --ids listed (IDS: "SEQ
# MSGID LINES BYTES" per message, stream order) against the reference replay's --manifest: each
# Nats-Msg-Id is "<16 hex: file key>-<first record index>-<count>", unique, its count the
# payload's lines; a file's messages are consecutive, one key per file, their first indexes
# contiguous from the same base (0 or 1) for every file, and their counts add up to the file's
# records in the manifest, files in the manifest's order; payloads at most BATCH_BYTES bytes
# unless they hold one record (BATCH_BYTES 0: one record per message).
nats_check_ids() {
  local out
  if out=$(python3 - "$@" <<'PY'
import json, re, sys
what, ids_path, man_path, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
files = [m for m in map(json.loads, open(man_path, encoding="utf-8")) if m.get("records")]
msgs = [l.split() for l in open(ids_path)]
problems, seen, runs = [], set(), []  # runs: [key, first index, next index, records]
pat = re.compile(r"^([0-9a-f]{16})-([0-9]+)-([0-9]+)$")
for seq, mid, lines, size in msgs:
    m = pat.match(mid)
    if not m:
        problems.append(f"message {seq}: Nats-Msg-Id {mid!r} is not <16 hex>-<index>-<count>")
        continue
    if mid in seen:
        problems.append(f"message {seq}: Nats-Msg-Id {mid} twice in the stream")
    seen.add(mid)
    key, first, count = m.group(1), int(m.group(2)), int(m.group(3))
    if count != int(lines) or count < 1:
        problems.append(f"message {seq} ({mid}): count {count}, payload holds {lines} lines")
    if batch == 0 and count != 1:
        problems.append(f"message {seq} ({mid}): {count} records with batch_bytes 0")
    if batch > 0 and int(size) > batch and count > 1:
        problems.append(f"message {seq} ({mid}): {size} bytes, {count} records, batch_bytes {batch}")
    if runs and runs[-1][0] == key:
        if first != runs[-1][2]:
            problems.append(f"message {seq} ({mid}): first index {first}, expected {runs[-1][2]}")
        runs[-1][2], runs[-1][3] = first + count, runs[-1][3] + count
    else:
        if any(r[0] == key for r in runs):
            problems.append(f"message {seq} ({mid}): file key {key} again after another file's messages")
        runs.append([key, first, first + count, count])
bases = {r[1] for r in runs}
if len(bases) > 1 or (bases and bases - {0, 1}):
    problems.append(f"first record indexes of the files start at {sorted(bases)[:5]}, expected one base, 0 or 1")
if len(runs) != len(files):
    problems.append(f"{len(runs)} file keys in the stream, {len(files)} files with records in the manifest")
for r, f in zip(runs, files):
    if r[3] != f["records"]:
        problems.append(f"file key {r[0]}: {r[3]} records in its messages, {f['path']} has {f['records']}")
        break
if problems:
    print("\n".join(problems[:10]) + (f"\n... {len(problems)} problems" if len(problems) > 10 else ""))
    sys.exit(1)
print(f"{len(msgs)} messages, {len(runs)} files, ids contiguous per file")
PY
  ); then
    pass "$1: message ids: $out"
  else
    fail "$1: message ids:"
    printf '%s\n' "$out" | sed 's/^/      /'
  fi
}

# Shared helpers for the ringflow end-to-end tests (sourced by each test script).
# Usage in a script:  source "$(dirname "$0")/lib.sh" "$@"
# Arguments of the test script: $1 = ringflow binary, $2 = gen_corpus.py.

set -euo pipefail
export LC_ALL=C

if [[ $# -lt 2 ]]; then
  echo "usage: $0 RINGFLOW_BINARY GEN_CORPUS_PY" >&2
  exit 2
fi
RF=$(realpath -- "$1")
GEN=$(realpath -- "$2")
[[ -x $RF ]] || { echo "FAIL: ringflow binary not executable: $RF" >&2; exit 1; }
[[ -f $GEN ]] || { echo "FAIL: generator not found: $GEN" >&2; exit 1; }
for tool in python3 xxhsum grep find sort xargs timeout mkfifo cmp diff od; do
  command -v "$tool" >/dev/null || { echo "FAIL: required tool not found: $tool" >&2; exit 1; }
done

# A sanitizer build (ASan keeps freed memory in quarantine, shadow memory adds more): peak RSS
# says nothing about ringflow's own bounds there, so RSS checks pass with a note (the Release run
# of the suite checks them).
SANITIZED=0
# (ldd's output is taken whole: `ldd | grep -q` under pipefail fails when grep stops early.)
if [[ $(ldd "$RF" 2>/dev/null || true) =~ lib(a|t)san ]]; then SANITIZED=1; fi
# rss_within WHAT KIB BOUND_KIB: pass if KIB < BOUND_KIB (or a sanitizer build), else fail.
rss_within() {
  if ((SANITIZED)); then
    pass "$1: peak RSS $(($2 / 1024)) MiB (sanitizer build: the bound of $(($3 / 1024)) MiB is checked in Release)"
  elif [[ $2 =~ ^[0-9]+$ ]] && (($2 < $3)); then
    pass "$1: peak RSS $(($2 / 1024)) MiB < $(($3 / 1024)) MiB"
  else
    fail "$1: peak RSS '$2' KiB, bound $3 KiB"
  fi
}

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ringflow-e2e.XXXXXX")
_e2e_cleanup() { chmod -R u+rwx "$E2E_TMP" 2>/dev/null || true; rm -rf -- "$E2E_TMP"; }
trap _e2e_cleanup EXIT
E2E_FAILS=0
E2E_CHECKS=0

log() { printf '%s\n' "$*"; }
# A failed check: print the message and remember it; the script exits 1 at the end (e2e_done).
fail() { printf 'FAIL: %s\n' "$*"; E2E_FAILS=$((E2E_FAILS + 1)); }
pass() { printf '  ok: %s\n' "$*"; }
E2E_T0=$(date +%s.%N)
_elapsed() { awk -v t0="$E2E_T0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'; }
check() { E2E_CHECKS=$((E2E_CHECKS + 1)); printf 'CHECK [%ss]: %s\n' "$(_elapsed)" "$*"; }

# same_file WHAT EXPECTED ACTUAL: compare two files, show a bounded diff on mismatch.
same_file() {
  local what=$1 expected=$2 actual=$3
  if cmp -s -- "$expected" "$actual"; then
    pass "$what ($(wc -l <"$actual") lines identical)"
  else
    fail "$what: output differs from the oracle (--- expected +++ ringflow):"
    diff -u -- "$expected" "$actual" | head -n 40 || true
  fi
}

# expect_rc WHAT EXPECTED ACTUAL
expect_rc() {
  if [[ $3 == "$2" ]]; then pass "$1: exit status $3"; else fail "$1: exit status $3, expected $2"; fi
}

# rf OUT ERR ARGS...: run ringflow under timeout 60 with stdin closed; sets RC (124 = hung).
rf() {
  local out=$1 err=$2; shift 2
  RC=0
  timeout 60 "$RF" "$@" >"$out" 2>"$err" </dev/null || RC=$?
  if [[ $RC == 124 ]]; then fail "ringflow $* did not finish within 60 s (hang?)"; fi
}

# xxh_oracle DIR... : `find -L DIR -type f`, bytewise-sorted, through xxhsum -H3 (NUL-safe).
# (xxhsum's stderr is dropped: it writes a progress line there; a failure shows up as a diff.)
xxh_oracle() {
  { find -L "$@" -type f -print0 2>/dev/null || true; } | sort -z | xargs -0 -r xxhsum -H3 -- 2>/dev/null || true
}

# now: seconds since the epoch (ns); secs_since T0: seconds since T0 (3 decimals); ge A B: A >= B.
now() { date +%s.%N; }
secs_since() { awk -v t0="$1" -v t1="$(now)" 'BEGIN { printf "%.3f", t1 - t0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# wait_exit PID LIMIT: waits up to LIMIT seconds for PID to end; its status in RC, the wait in
# WAITED. A process still alive at the limit is a failure (it is killed: it is ours).
wait_exit() {
  local pid=$1 limit=$2 t0
  t0=$(now)
  while kill -0 "$pid" 2>/dev/null; do
    if ge "$(secs_since "$t0")" "$limit"; then
      fail "ringflow (pid $pid) still running ${limit} s after the signal (hang?): killed"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.02
  done
  RC=0
  wait "$pid" || RC=$?
  WAITED=$(secs_since "$t0")
}
# no_temps DIR WHAT: no `.NAME.tmp-*` file is left in DIR.
no_temps() {
  local left
  left=$(find "$1" -maxdepth 1 -name '.*.tmp-*' -printf '%f ' 2>/dev/null || true)
  if [[ -z $left ]]; then pass "$2: no temporary file left in $1/"; else
    fail "$2: temporary files left in $1/: $left"
  fi
}

e2e_done() {
  if [[ $E2E_FAILS -gt 0 ]]; then
    echo "RESULT: FAILED: $E2E_FAILS failure(s) in $E2E_CHECKS checks ($(_elapsed) s)"
    exit 1
  fi
  echo "RESULT: all $E2E_CHECKS checks passed ($(_elapsed) s)"
}

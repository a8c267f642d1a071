#!/usr/bin/env bash
# e2e: command-line contract. Bad usage (unknown option/command, missing PATH or --pattern, bad
# values) exits 2 with exactly one `ringflow: ...` line on stderr and nothing on stdout;
# --help of every command exits 0 and documents every option; doctor exits 0 and names the
# backend it would choose.
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"
mkdir d
printf 'GET /api 200\n' >d/a.log

# bad_usage ARGS...: expect exit 2, empty stdout, exactly one stderr line `ringflow: ...`.
bad_usage() {
  rf out.txt err.txt "$@"
  local shown="ringflow $*"
  if [[ $RC != 2 ]]; then
    fail "$shown: exit status $RC, expected 2 (bad usage); stderr: $(head -c 300 err.txt | cat -v)"
    return
  fi
  if [[ -s out.txt ]]; then fail "$shown: printed on stdout: $(head -c 200 out.txt)"; return; fi
  local n
  n=$(wc -l <err.txt)
  if [[ $n != 1 ]] || ! grep -q '^ringflow: ' err.txt; then
    fail "$shown: stderr should be one 'ringflow: ...' line, got $n lines (cat -v):"
    cat -v err.txt | head -5
    return
  fi
  pass "$shown -> 2: $(<err.txt)"
}

check "checksum: bad usage exits 2 with one 'ringflow:' line"
bad_usage checksum
bad_usage checksum --json
bad_usage checksum --bogus d
bad_usage checksum d --bogus
bad_usage checksum -z d
bad_usage checksum --buffers 1 d
bad_usage checksum --buffers 0 d
bad_usage checksum --buffers -1 d
bad_usage checksum --buffer-size 5000 d
bad_usage checksum --buffer-size 0 d
bad_usage checksum --buffer-size 2G d
bad_usage checksum --buffer-size 4X d
bad_usage checksum --backend aio d
bad_usage checksum --threads abc d
bad_usage checksum --threads -1 d
bad_usage checksum --queue-depth 0 d
bad_usage checksum --queue-depth 5000 d
bad_usage checksum --open-files 0 d
bad_usage checksum --reads-per-file 0 d
bad_usage checksum --reads-per-file 65 d
bad_usage checksum d --buffers

check "count: bad usage exits 2 with one 'ringflow:' line"
bad_usage count d
bad_usage count --pattern '' d
bad_usage count --pattern x
bad_usage count --pattern x --bogus d
bad_usage count --pattern x --buffers 1 d
bad_usage count --pattern x --buffer-size 5000 d
bad_usage count --pattern x --backend aio d
bad_usage count d --pattern

check "doctor and unknown commands: bad usage exits 2 with one 'ringflow:' line"
bad_usage doctor --backend aio
bad_usage doctor --bogus
bad_usage doctor d
bad_usage frobnicate
bad_usage frobnicate d
bad_usage --bogus

check "no command at all: exit 2, nothing on stdout"
rf out.txt err.txt
expect_rc "ringflow (no arguments)" 2 "$RC"
[[ -s out.txt ]] && fail "ringflow without arguments printed on stdout"
[[ -s err.txt ]] && pass "usage on stderr" || fail "ringflow without arguments printed nothing on stderr"

# --- help ----------------------------------------------------------------------------------------
read_opts=(--backend --threads --direct --buffer-size --buffers --open-files --reads-per-file
           --queue-depth --no-recursive --skip-hidden -q)
# help_mentions WHAT FILE OPTION...: every OPTION appears as a word in FILE.
help_mentions() {
  local what=$1 file=$2 opt missing=()
  shift 2
  for opt in "$@"; do
    grep -qE -- "(^|[^-[:alnum:]])${opt}([^-[:alnum:]]|$)" "$file" || missing+=("$opt")
  done
  if [[ ${#missing[@]} == 0 ]]; then pass "$what mentions all $# options"; else
    fail "$what does not mention: ${missing[*]}"
  fi
}
for h in --help -h; do
  check "checksum $h: exit 0, documents every option"
  rf out.txt err.txt checksum "$h"
  expect_rc "checksum $h" 0 "$RC"
  [[ -s err.txt ]] && fail "checksum $h wrote on stderr: $(head -c 200 err.txt)"
  help_mentions "checksum $h" out.txt --json "${read_opts[@]}"
  grep -q 'Usage: ringflow checksum' out.txt && pass "usage line" || fail "checksum $h: no 'Usage: ringflow checksum' line"

  check "count $h: exit 0, documents every option"
  rf out.txt err.txt count "$h"
  expect_rc "count $h" 0 "$RC"
  [[ -s err.txt ]] && fail "count $h wrote on stderr: $(head -c 200 err.txt)"
  help_mentions "count $h" out.txt --pattern "${read_opts[@]}"
  grep -q 'Usage: ringflow count' out.txt && pass "usage line" || fail "count $h: no 'Usage: ringflow count' line"

  check "doctor $h: exit 0, documents --backend"
  rf out.txt err.txt doctor "$h"
  expect_rc "doctor $h" 0 "$RC"
  help_mentions "doctor $h" out.txt --backend

  check "ringflow $h: exit 0, lists the commands"
  rf out.txt err.txt "$h"
  expect_rc "ringflow $h" 0 "$RC"
  help_mentions "ringflow $h" out.txt checksum count doctor
done

check "--help wins over missing arguments (count --help without --pattern/PATH)"
rf out.txt err.txt count --help d
expect_rc "count --help d" 0 "$RC"

# --- doctor --------------------------------------------------------------------------------------
check "doctor: exit 0, prints 'backend chosen' with uring or pread"
rf out.txt err.txt doctor
expect_rc "doctor" 0 "$RC"
sed 's/^/    /' out.txt | head -12
chosen=$(sed -n 's/^backend chosen[[:space:]]\{1,\}\([a-z]*\).*/\1/p' out.txt)
case $chosen in
  uring | pread) pass "backend chosen: $chosen" ;;
  *) fail "doctor: no 'backend chosen uring|pread' line" ;;
esac

check "doctor --backend pread chooses pread"
rf out.txt err.txt doctor --backend pread
expect_rc "doctor --backend pread" 0 "$RC"
c=$(sed -n 's/^backend chosen[[:space:]]\{1,\}\([a-z]*\).*/\1/p' out.txt)
[[ $c == pread ]] && pass "backend chosen: pread" || fail "doctor --backend pread: backend chosen '$c'"

if [[ $chosen == uring ]]; then
  check "doctor --backend uring chooses uring (io_uring is available here)"
  rf out.txt err.txt doctor --backend uring
  expect_rc "doctor --backend uring" 0 "$RC"
  c=$(sed -n 's/^backend chosen[[:space:]]\{1,\}\([a-z]*\).*/\1/p' out.txt)
  [[ $c == uring ]] && pass "backend chosen: uring" || fail "doctor --backend uring: backend chosen '$c'"
fi

e2e_done

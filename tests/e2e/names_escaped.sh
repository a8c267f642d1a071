#!/usr/bin/env bash
# e2e: hostile file names (newline, carriage return, ESC, tab, "ringflow:" inside, backslashes)
# cannot forge or break lines of `checksum` and `count`:
#  - every problem on stderr is exactly one "ringflow: PATH: reason" line, control bytes escaped
#    as \xNN (as replay writes them);
#  - checksum lines and count lines escape a name with a newline or a carriage return as
#    sha256sum does (a leading backslash; \n, \r, \\), checked against sha256sum's own escaping;
#    every other name stays as it is, and `xxhsum -c` verifies those lines;
#  - --json output is valid JSON that gives back the exact names (Python's json module), bytes
#    that are not UTF-8 as U+00XX.
source "$(dirname "$0")/lib.sh" "$@"
command -v sha256sum >/dev/null || { echo "FAIL: required tool not found: sha256sum" >&2; exit 1; }
cd "$E2E_TMP"

# Names are made with printf so that the bytes are exact.
mkdir -p t
hostile=(
  "$(printf 't/new\nringflow: forged.log')"
  "$(printf 't/cr\rringflow: forged.log')"
  "$(printf 't/esc\033[2J.log')"
  "$(printf 't/\tringflow: x.log')"
  "$(printf 't/back\\slash.log')"
  "$(printf 't/both\\and\nnewline.log')"
  "t/plain.log"
  "$(printf 't/not utf-8 \377\300.log')"
)
i=0
for name in "${hostile[@]}"; do
  printf 'line %d GET\nsecond GET line\n' "$i" >"$name"
  i=$((i + 1))
done
# Problems with hostile names (as root chmod 000 does not stop a read: a dangling symlink and a
# FIFO, which is skipped without being opened, are problems for everyone).
mkdir -p bad
ln -s /nonexistent/target "$(printf 'bad/dangling\nringflow: forged')"
ln -s /nonexistent/target "$(printf 'bad/dangling\rcr\033[31mred')"
mkfifo "$(printf 'bad/fifo\tringflow: x\033[2J')"
PROBLEMS=3

# one_line_per_problem WHAT FILE: FILE has exactly PROBLEMS lines, each "ringflow: bad/...: ...",
# with no CR, ESC or tab.
one_line_per_problem() {
  local n bad_lines
  n=$(wc -l <"$2")
  bad_lines=$(grep -cv '^ringflow: bad/[^[:cntrl:]]*: [^[:cntrl:]]*$' "$2" || true)
  if [[ $n == "$PROBLEMS" && $bad_lines == 0 ]]; then
    pass "$1: $PROBLEMS problems, $PROBLEMS plain 'ringflow: bad/...' lines on stderr"
  else
    fail "$1: expected $PROBLEMS plain lines on stderr, got $n ($bad_lines not of the form); cat -A:"
    cat -A "$2" | head -10 | sed 's/^/    /'
  fi
  if LC_ALL=C grep -q $'[\r\033\t]' "$2"; then fail "$1: stderr holds CR, ESC or tab bytes"; else
    pass "$1: no CR, ESC or tab on stderr"
  fi
  if grep -q 'dangling\\x0aringflow: forged: ' "$2" && grep -q 'fifo\\x09ringflow: x\\x1b\[2J: ' "$2"; then
    pass "$1: the names are in the messages, control bytes as \\xNN"
  else
    fail "$1: the escaped names are not in the messages: $(cat -A "$2" | head -3)"
  fi
}

# ---- stderr ----------------------------------------------------------------------------------
for cmd in "checksum" "checksum --json" "count --pattern GET"; do
  check "$cmd: problems with hostile names are one escaped line each"
  # shellcheck disable=SC2086
  rf out.txt err.txt $cmd bad t
  expect_rc "$cmd over bad/ and t/" 1 "$RC"
  one_line_per_problem "$cmd" err.txt
done

# ---- checksum lines --------------------------------------------------------------------------
check "checksum: one line per file; names with NL/CR escaped as sha256sum escapes them"
rf sums.txt err.txt checksum t
expect_rc "checksum t" 0 "$RC"
n=$(wc -l <sums.txt)
[[ $n == "${#hostile[@]}" ]] && pass "${#hostile[@]} lines for ${#hostile[@]} files" ||
  fail "$n lines for ${#hostile[@]} files: $(cat -A sums.txt | head)"
# The expected lines: the digest from xxhsum (of a copy under a plain name), the name as
# sha256sum writes it when it escapes one (sha256sum also escapes a lone backslash; ringflow
# keeps such a name as it is, for xxhsum 0.8.1), otherwise the name as it is.
: >expected.txt
for name in "${hostile[@]}"; do
  cp -- "$name" copy.bin
  digest=$(xxhsum -H3 copy.bin 2>/dev/null | sed 's/.*) = //')
  if [[ $name == *$'\n'* || $name == *$'\r'* ]]; then
    sha_line=$(sha256sum -- "$name")
    [[ $sha_line == \\* ]] || fail "sha256sum did not escape $(printf '%q' "$name")"
    printf '\\XXH3 (%s) = %s\n' "${sha_line#*  }" "$digest" >>expected.txt
  else
    printf 'XXH3 (%s) = %s\n' "$name" "$digest" >>expected.txt
  fi
done
LC_ALL=C sort -o expected.sorted expected.txt
LC_ALL=C sort -o sums.sorted sums.txt
same_file "checksum lines against xxhsum digests and sha256sum's escaping" expected.sorted sums.sorted

check "xxhsum -c verifies every checksum line it can read"
# xxhsum 0.8.2 and later unescape a line that starts with a backslash; 0.8.1 cannot, so with it
# only the lines without escaping are checked.
probe=$(printf 'probe\nname')
printf 'x' >"$probe"
if printf '\\XXH3 (probe\\nname) = %s\n' "$(xxhsum -H3 - <"$probe" 2>/dev/null | awk '{print $1}')" |
  xxhsum -c - >/dev/null 2>&1; then
  cp sums.txt to_check.txt
  log "note: this xxhsum unescapes names: every line is checked"
else
  grep -v '^\\' sums.txt >to_check.txt || true
  log "note: this xxhsum ($(xxhsum --version 2>&1 | head -1 | awk '{print $2}')) does not unescape names: the $(wc -l <to_check.txt) lines without escaping are checked"
fi
rm -f -- "$probe"
if xxhsum -c to_check.txt >verify.txt 2>verify.err; then
  pass "xxhsum -c: $(grep -c ': OK$' verify.txt || true) OK"
else
  fail "xxhsum -c rejected ringflow's lines: $(cat -A verify.txt verify.err | head -10)"
fi
[[ $(grep -c ': OK$' verify.txt || true) == $(wc -l <to_check.txt) ]] &&
  pass "every checked line is OK" || fail "not every line is OK: $(cat -A verify.txt | head)"

# ---- count lines -----------------------------------------------------------------------------
check "count: one line per file plus the total; names with NL/CR escaped as sha256sum escapes them"
rf counts.txt err.txt count --pattern GET t
expect_rc "count t" 0 "$RC"
: >expected.txt
for name in "${hostile[@]}"; do
  if [[ $name == *$'\n'* || $name == *$'\r'* ]]; then
    sha_line=$(sha256sum -- "$name")
    printf '\\2 %s\n' "${sha_line#*  }" >>expected.txt
  else
    printf '2 %s\n' "$name" >>expected.txt
  fi
done
LC_ALL=C sort -o expected.sorted expected.txt
grep -v ' total$' counts.txt | LC_ALL=C sort >counts.sorted
same_file "count lines against sha256sum's escaping" expected.sorted counts.sorted
[[ $(tail -n 1 counts.txt) == "$((2 * ${#hostile[@]})) total" ]] && pass "the total line is last and right" ||
  fail "last line is '$(tail -n 1 counts.txt | cat -A)', expected '$((2 * ${#hostile[@]})) total'"
[[ $(grep -c 'total$' counts.txt) == 1 && $(grep -c '^ringflow' counts.txt) == 0 ]] &&
  pass "no forged total or ringflow line" || fail "a forged line in count's output: $(cat -A counts.txt)"

# ---- --json ----------------------------------------------------------------------------------
check "checksum --json: valid JSON lines that give back the exact names (not UTF-8: U+00XX per byte)"
rf json.txt err.txt checksum --json t
expect_rc "checksum --json t" 0 "$RC"
if python3 - json.txt "${hostile[@]}" <<'PY'; then pass "JSON lines valid, names exact"; else fail "checksum --json output is not right"; fi
import codecs, json, os, sys
# Bytes that are not UTF-8 come back as U+00XX, one per byte (the README's "any bytes escaped").
codecs.register_error("per_byte", lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))
want = sorted(os.fsencode(n).decode("utf-8", "per_byte") for n in sys.argv[2:])
got = []
with open(sys.argv[1], "rb") as f:
    lines = f.read().split(b"\n")
assert lines[-1] == b"", "no final newline"
for line in lines[:-1]:
    obj = json.loads(line.decode("utf-8"))  # strict: raw control characters are an error
    got.append(obj["path"])
if sorted(got) != want:
    print("names differ:", sorted(got), want)
    sys.exit(1)
PY

e2e_done

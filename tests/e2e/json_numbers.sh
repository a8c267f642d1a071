#!/usr/bin/env bash
# e2e: numbers in JSON logs at the extremes. One line {"n":0.000…0001} with 348+ zeros
# used to kill the run with SIGSEGV (RapidJSON's full-precision path), leaving temporary files,
# and 323-347 zeros gave wrong values. Here Python generates ~20,000 lines of extreme numbers
# (fractions with up to 100,000 leading zeros, exact ties between adjacent doubles and texts just
# off them, subnormals, exponents far out either way, 19- to 400-digit integers, -0), each once
# as is (the parser's fast path) and once with a backslash elsewhere in the line (RapidJSON's
# path), and in an array. `ringflow replay` must exit 0 without leftovers; every output line is
# strict JSON; every number is bit for bit what Python's float() gives (correctly rounded, an
# oracle independent of strtod and from_chars) or, as an integer within int64, the same integer;
# a record is an "_error" only for a number beyond double range (float() gives inf, or one of the
# few RapidJSON's grammar refuses: a zero with a big exponent, a 309+ digit integer part).
source "$(dirname "$0")/lib.sh" "$@"
cd "$E2E_TMP"
mkdir logs out

cat >gen.py <<'PY'
import decimal, math, random, struct, sys

rng = random.Random(20261205)
nums = ["0", "-0", "-0.0", "-0e5", "0e400", "0.0e99999", "1e308", "1e309", "0.1e309",
        "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
        "-1.7976931348623159e308", "2.4703282292062328e-324", "2.4703282292062327e-324",
        "5e-324", "1e-400", "-1e-400", "1e99999999999999999999", "1e-99999999999999999999",
        "1e0000000000000000000000308", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
        "1" + "0" * 308, "2" + "0" * 308, "1" + "0" * 400, "1" + "0" * 100000 + "e-100000",
        "0." + "0" * 100000 + "1", "0." + "0" * 400 + "1e400"]
for z in range(0, 421):
    nums += ["0.%s1" % ("0" * z), "-0.%s24703282292062328" % ("0" * z)]
for digits in range(19, 41):
    nums.append(str(rng.randrange(10 ** (digits - 1), 10 ** digits)) * 1)
    nums.append("-" + str(rng.randrange(10 ** (digits - 1), 10 ** digits)))
decimal.getcontext().prec = 2000
for _ in range(2500):
    bits = rng.getrandbits(64)
    if rng.random() < 0.3:
        bits &= 0x800FFFFFFFFFFFFF  # subnormal
    d = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if not math.isfinite(d):
        continue
    nums += [repr(d), "%.16g" % d, "%.25e" % d]
    nxt = math.nextafter(d, math.inf)
    if math.isfinite(nxt):
        tie = (decimal.Decimal(d) + decimal.Decimal(nxt)) / 2  # exact at this precision
        t = format(tie, "e")
        mant, exp = t.split("e")
        nums.append(t)
        nums.append(mant + ("" if "." in mant else ".") + "0000000001e" + exp)  # above the tie
with open(sys.argv[1], "w") as f:
    for i, n in enumerate(nums):
        f.write('{"i":%d,"n":%s}\n' % (i, n))
        f.write('{"i":%d,"s":"a\\tb","n":%s}\n' % (i, n))
        f.write('{"i":%d,"a":[%s]}\n' % (i, n))
print(len(nums))
PY
check "generate the extreme numbers"
count=$(python3 gen.py logs/numbers.log)
pass "$count numbers, $((count * 3)) lines"

check "ringflow replay of the numbers: exit 0, no crash, no temporary files left"
rf out.txt err.txt replay logs --format json --out out/numbers.ndjson --manifest out/manifest.ndjson
expect_rc "replay" 0 "$RC"
leftover=$(find out -mindepth 1 ! -name numbers.ndjson ! -name manifest.ndjson | head -5)
if [[ -z $leftover ]]; then pass "only the outputs in out/"; else fail "left in out/: $leftover"; fi
[[ -s err.txt ]] && log "stderr: $(head -c 300 err.txt)"

check "every number is Python's float() of its text, bit for bit, or an out-of-range error"
cat >chk.py <<'PY'
import json, math, struct, sys

def reject(name):
    raise ValueError("not strict JSON: " + name)

def bits(x):
    return struct.pack("<d", x)

def may_refuse(text, value):
    """RapidJSON's grammar refuses a zero with an exponent over 308 (+ fraction digits) and an
    integer part of 309+ digits near or above the largest double; allowed as errors."""
    body = text.lstrip("-")
    int_digits = len(body.split(".")[0].split("e")[0].split("E")[0])
    if int_digits >= 309:
        return True
    if value == 0 and ("e" in text or "E" in text):
        e = text.lower().split("e")[1]
        return not e.startswith("-") and int(e.lstrip("+")) > 308
    return False

inputs = open(sys.argv[1]).read().split("\n")[:-1]
outputs = open(sys.argv[2], "rb").read().split(b"\n")[:-1]
fails = 0
def fail(msg):
    global fails
    fails += 1
    if fails <= 20:
        print("FAIL: " + msg[:400])
if len(inputs) != len(outputs):
    fail("%d input lines, %d output lines" % (len(inputs), len(outputs)))
errors = exact = 0
for line, out in zip(inputs, outputs):
    rec = json.loads(out, parse_constant=reject)  # no NaN/Infinity
    text = line.split(":", 2)[-1][:-1].strip("[]") if '"a":[' in line else line.rsplit(":", 1)[1][:-1]
    value = float(text)
    if "_error" in rec:
        errors += 1
        if rec["_error"] != "number out of range" or rec.get("_raw") != line:
            fail("unexpected error %r for %s" % (rec["_error"], line[:200]))
        elif not (math.isinf(value) or may_refuse(text, value)):
            fail("refused a number in range (%r): %s" % (value, line[:200]))
        continue
    if math.isinf(value):
        fail("accepted a number beyond double range: %s -> %s" % (line[:200], out[:200]))
        continue
    if '"a":[' in line:
        if rec.get("a") is None or out.decode().find("[" + text + "]") < 0:
            fail("nested number not kept as its text: %s -> %s" % (line[:200], out[:200]))
        continue
    got = rec.get("n")
    is_int = all(c in "-0123456789" for c in text) and text != "-0"
    if is_int and -2**63 <= int(text) < 2**63:
        if type(got) is not int or got != int(text):
            fail("integer %s came out as %r" % (text[:200], got))
            continue
    elif type(got) is not float or bits(got) != bits(value):
        fail("%s came out as %r, float() gives %r" % (text[:200], got, value))
        continue
    exact += 1
print("  ok: %d lines, %d numbers exact, %d out-of-range errors" % (len(outputs), exact, errors))
sys.exit(1 if fails else 0)
PY
if python3 chk.py logs/numbers.log out/numbers.ndjson; then
  pass "all numbers checked"
else
  fail "numbers differ from Python's float()"
fi

check "the review's lines: 323-347 zeros are not wrong, 348+ do not crash"
for zeros in 322 323 330 347 348 400 5000; do
  python3 -c "import sys; print('{\"n\":-0.' + '0' * int(sys.argv[1]) + '1}')" "$zeros" >one.log
  rm -f one.ndjson
  rf one.out one.err replay one.log --format json --out one.ndjson
  want=$(python3 -c "import sys; print(repr(float('-0.' + '0' * int(sys.argv[1]) + '1')))" "$zeros")
  got=$(python3 -c "import json; print(repr(json.load(open('one.ndjson'))['n']))" 2>&1 || true)
  if [[ $RC == 0 && $got == "$want" ]]; then
    pass "$zeros zeros: $got"
  else
    fail "$zeros zeros: exit $RC, n = $got, float() gives $want; stderr: $(head -c 200 one.err)"
  fi
done

e2e_done

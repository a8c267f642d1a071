#!/usr/bin/env bash
# e2e: `ringflow validate` has no side effects and its errors stay readable.
# validate creates, opens and truncates nothing: a sink path that is a FIFO does not
# block it, a missing output is not created, an existing one keeps its bytes, inode and mtime.
# A document or --set value nested 60,000 deep is refused with its JSON path (under a 1 MiB
# stack too, where copying it used to overflow). Every error line is under 1,000 bytes and
# names a JSON path, however long the strings in the document; a sink listing a stage twice
# names sinks[0].input[1].
source "$(dirname "$0")/lib.sh" "$@"

cd "$E2E_TMP"
mkdir logs out
printf 'a line\n' >logs/a.log
cat >conf.json <<'JSON'
{"source": {"paths": ["logs"]},
 "stages": [{"name": "lines", "type": "lines"},
            {"name": "sums", "type": "checksum"}],
 "sinks": [{"name": "out", "type": "json", "input": "lines", "path": "out/records.ndjson"},
           {"name": "manifest", "type": "manifest", "input": "sums", "path": "out/manifest.ndjson"}]}
JSON

# listing DIR: every entry with its inode, size and mtime (ns), hidden ones included.
listing() { find "$1" -mindepth 1 -printf '%p %i %s %T@\n' | sort; }

check "validate with sink paths that do not exist creates nothing"
rf val.out val.err validate conf.json
expect_rc "validate conf.json" 0 "$RC"
grep -q '^ok: 2 stages, 2 sinks$' val.out && pass "prints ok" || fail "stdout: $(cat val.out)"
[[ -z $(listing out) ]] && pass "out/ is still empty" || fail "validate left files: $(listing out)"

check "validate with sink paths that are FIFOs finishes (nothing opens them)"
mkfifo out/fifo.ndjson out/fifo.manifest
before=$(listing out)
RC=0
timeout 10 "$RF" validate conf.json --set sinks[0].path=out/fifo.ndjson \
  --set sinks[1].path=out/fifo.manifest >val.out 2>val.err </dev/null || RC=$?
if [[ $RC == 124 ]]; then
  fail "validate blocked on a FIFO sink path (killed after 10 s)"
else
  expect_rc "validate with FIFO sinks" 0 "$RC"
fi
RC=0
timeout 10 "$RF" validate conf.json --set sinks[0].path=out/fifo.ndjson \
  --set sinks[0].append=true >val.out 2>val.err </dev/null || RC=$?
[[ $RC == 0 ]] && pass "validate with an appending FIFO sink: exit 0" ||
  fail "validate with an appending FIFO sink: exit status $RC; $(head -c 300 val.err)"
[[ $(listing out) == "$before" ]] && pass "out/ unchanged" || fail "out/ changed: $(listing out)"
rm out/fifo.ndjson out/fifo.manifest

check "validate leaves existing outputs untouched (bytes, inode, mtime)"
printf 'old records\n' >out/records.ndjson
printf 'old manifest\n' >out/manifest.ndjson
touch -d '2001-02-03 04:05:06' out/records.ndjson out/manifest.ndjson
before=$(listing out)
for extra in "" "--set sinks[0].append=true"; do
  # shellcheck disable=SC2086  # $extra is one option and its value, or nothing
  rf val.out val.err validate conf.json $extra
  expect_rc "validate over existing outputs ${extra:-(replace)}" 0 "$RC"
done
[[ $(listing out) == "$before" ]] && pass "out/ unchanged: $(listing out | tr '\n' ' ')" ||
  fail "out/ changed: before '$before', after '$(listing out)'"
[[ $(cat out/records.ndjson) == "old records" ]] && pass "content kept" || fail "content changed"

check "validate still reports a sink that could not be written"
rf val.out val.err validate conf.json --set sinks[0].path=no/such/dir/out.ndjson
expect_rc "validate, missing directory" 1 "$RC"
grep -q '^ringflow: conf.json: sinks\[0\]: create no/such/dir/out.ndjson: .*(ENOENT)$' val.err &&
  pass "$(cat val.err)" || fail "unexpected message: $(cat val.err)"
rf val.out val.err validate conf.json --set sinks[1].path=out
expect_rc "validate, a directory as the manifest path" 1 "$RC"
grep -q '^ringflow: conf.json: sinks\[1\]: open out: .*(EISDIR)$' val.err &&
  pass "$(cat val.err)" || fail "unexpected message: $(cat val.err)"
printf 'x' >plainfile
rf val.out val.err validate conf.json --set sinks[0].path=plainfile/out.ndjson
expect_rc "validate, a file as the directory" 1 "$RC"
grep -q 'sinks\[0\]: create plainfile/out.ndjson: .*(ENOTDIR)$' val.err &&
  pass "$(cat val.err)" || fail "unexpected message: $(cat val.err)"
[[ -z $(find . -name '*.tmp-*') ]] && pass "no temporary file anywhere" ||
  fail "temporary files: $(find . -name '*.tmp-*')"

check "run still writes the outputs (built the same way as before)"
rm -f out/*
rf run.out run.err run conf.json
expect_rc "run conf.json" 0 "$RC"
[[ $(wc -l <out/records.ndjson) == 1 ]] && pass "records written" ||
  fail "records: $(head -c 200 out/records.ndjson)"
[[ $(wc -l <out/manifest.ndjson) == 1 ]] && pass "manifest written" || fail "no manifest line"

# each_line_short WHAT FILE: every line of FILE is under 1,000 bytes and it has at least one.
each_line_short() {
  local longest
  longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$2")
  if [[ ! -s $2 ]]; then
    fail "$1: no error message"
  elif ((longest < 1000)); then
    pass "$1: $(wc -l <"$2") line(s), the longest $longest bytes"
  else
    fail "$1: a line of $longest bytes: $(head -c 300 "$2")"
  fi
}

check "a --set value nested 60,000 deep is refused with its path, under a 1 MiB stack too"
deep=$(python3 -c 'print("[" * 60000 + "]" * 60000)')
for stack in default 1024; do
  RC=0
  (
    [[ $stack == default ]] || ulimit -s "$stack"
    exec timeout 60 "$RF" validate conf.json --set "sinks[0].deep=$deep" >val.out 2>val.err </dev/null
  ) || RC=$?
  expect_rc "validate --set 60,000 deep (stack $stack)" 1 "$RC"
  grep -q '^ringflow: conf.json: override ".*": the value at sinks\[0\]\.deep\[0\]\[0\].* is nested deeper than 64 levels' val.err &&
    pass "names the path" || fail "message: $(head -c 400 val.err)"
  each_line_short "deep --set (stack $stack)" val.err
  RC=0
  (
    [[ $stack == default ]] || ulimit -s "$stack"
    exec timeout 60 "$RF" run conf.json --set "stages[0].deep=$deep" >run.out 2>run.err </dev/null
  ) || RC=$?
  expect_rc "run --set 60,000 deep (stack $stack)" 1 "$RC"
  grep -q 'stages\[0\]\.deep\[0\]' run.err && pass "run names the path" ||
    fail "message: $(head -c 400 run.err)"
done

check "a document nested 60,000 deep is refused with its path, under a 1 MiB stack too"
python3 - <<'PY'
depth = 60000
with open("deep.json", "w") as f:
    f.write('{"source": {"paths": ["logs"]}, "stages": [{"name": "lines", "type": "lines"}],'
            ' "sinks": [{"name": "o", "type": "null", "input": "lines", "x": ' + "[" * depth +
            "]" * depth + "}]}")
PY
RC=0
(
  ulimit -s 1024
  exec timeout 60 "$RF" validate deep.json >val.out 2>val.err </dev/null
) || RC=$?
expect_rc "validate deep.json (1 MiB stack)" 1 "$RC"
grep -q '^ringflow: deep.json: sinks\[0\]\.x\[0\]\[0\].*: nested deeper than 64 levels' val.err &&
  pass "names the path" || fail "message: $(head -c 400 val.err)"
each_line_short "deep document" val.err

check "10 MB strings in every kind of field: every error line < 1,000 bytes with a JSON path"
python3 - <<'PY'
import json
huge = "x" * (10 << 20)
base = {"source": {"paths": ["logs"]},
        "stages": [{"name": "lines", "type": "lines"},
                   {"name": "p", "type": "parse", "input": "lines", "format": "raw"}],
        "sinks": [{"name": "out", "type": "json", "input": "p", "path": "out/o.ndjson"}]}
def doc(name, edit):
    d = json.loads(json.dumps(base))
    edit(d)
    with open(name + ".json", "w") as f:
        json.dump(d, f)
doc("int", lambda d: d["source"].update(engine={"buffers": huge}))
doc("size", lambda d: d["source"].update(engine={"buffer_size": huge}))
doc("bool", lambda d: d["source"].update(recursive=huge))
doc("list", lambda d: d["source"].update(paths=huge))
doc("enum", lambda d: d["stages"][1].update(format=huge))
doc("stype", lambda d: d["stages"][1].update(type=huge))
doc("input", lambda d: d["stages"][1].update(input=huge))
doc("sinput", lambda d: d["sinks"][0].update(input=["p", huge]))
doc("key", lambda d: d["sinks"][0].update({huge: 1}))
half = "d" * (7 << 20)  # twice in a document under its 16 MiB limit
doc("dupname", lambda d: d["stages"].append({"name": half, "type": "parse", "input": "lines"}) or
    d["stages"].append({"name": half, "type": "parse", "input": "lines"}))
doc("pattern", lambda d: d["stages"][1].update(format="regex", pattern="(" + huge))
doc("types", lambda d: d["stages"][1].update(format="regex", pattern="(?P<a>.*)", types=[huge]))
doc("where", lambda d: d["stages"].append({"name": "f", "type": "filter", "input": "p",
                                          "where": "a == " + "9" * (10 << 20) + "x"}) or
    d["sinks"][0].update(input="f"))
doc("wherere", lambda d: d["stages"].append({"name": "f", "type": "filter", "input": "p",
                                            "where": 'a matches "(' + huge + '"'}) or
    d["sinks"][0].update(input="f"))
doc("rename", lambda d: d["stages"].append({"name": "s", "type": "select", "input": "p",
                                           "rename": [huge]}) or
    d["sinks"][0].update(input="s"))
doc("ctrl", lambda d: d["stages"][1].update(format="\x1b[31m" + "\n" * 100000))
doc("path", lambda d: d["sinks"][0].update(path="out/" + "p" * 100000 + "/x.ndjson"))
doc("samepath", lambda d: d["sinks"].append({"name": "o" * 100000, "type": "json", "input": "p",
                                              "path": "out/o.ndjson"}))
names = ["n%04d%s" % (i, "y" * 200) for i in range(3000)]
def many(d):
    for n in names:
        d["stages"].append({"name": n, "type": "parse", "input": "lines"})
    d["sinks"][0]["input"] = ["nope"] + names
doc("known", many)
PY
for f in int size bool list enum stype input sinput key dupname pattern types where wherere rename \
  ctrl path samepath known; do
  rf val.out val.err validate "$f.json"
  expect_rc "validate $f.json" 1 "$RC"
  each_line_short "$f.json" val.err
  # Every line names a JSON path after the document's name.
  if grep -qv "^ringflow: $f.json: \(source\|stages\|sinks\|(root)\)[^ ]*: " val.err; then
    fail "$f.json: a line without a JSON path: $(grep -v "^ringflow: $f.json: \(source\|stages\|sinks\|(root)\)[^ ]*: " val.err | head -c 300)"
  else
    pass "$f.json: every line names a JSON path"
  fi
done

check "long --set values (100 KB each) give short lines too"
big=$(python3 -c 'print("z" * 100000)')
rf val.out val.err validate conf.json --set "stages[0].max_line_bytes=$big" \
  --set "$big" --set "sinks[0].input=$big"
expect_rc "validate with long --set values" 1 "$RC"
each_line_short "long --set values" val.err

check "long command-line values (100 KB) give short lines"
for args in "validate $big.json" "validate conf.json $big" "stages $big" "stages --config $big" \
  "replay --threads $big logs" "replay --format $big logs" "replay --$big logs" "run $big"; do
  # shellcheck disable=SC2086  # split on purpose: each case is a command line
  rf val.out val.err $args
  [[ $RC == 1 || $RC == 2 ]] && pass "ringflow ${args:0:30}...: exit status $RC" ||
    fail "ringflow ${args:0:30}...: exit status $RC"
  each_line_short "ringflow ${args:0:30}..." val.err
done

check "a sink that lists a stage twice: the error names sinks[0].input[1]"
rf val.out val.err validate conf.json --set 'sinks[0].input=["lines","lines"]'
expect_rc "validate, a stage listed twice" 1 "$RC"
grep -qx 'ringflow: conf.json: sinks\[0\]\.input\[1\]: stage "lines" is listed twice (first at sinks\[0\]\.input\[0\])' val.err &&
  pass "$(cat val.err)" || fail "message: $(cat val.err)"

e2e_done

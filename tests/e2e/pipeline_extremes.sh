#!/usr/bin/env bash
# e2e: `ringflow run` at the extremes, without deadlock or memory that grows with the input:
# a 1 GiB file without a newline (one record, cut at max_line_bytes and flagged), 100,000 small
# files under `ulimit -n 256` (one record per line, manifest = xxhsum -H3 for every file), an
# empty directory, and a pool of 2 buffers with queue depth 1 (same bytes as the defaults).
# Peak RSS (/usr/bin/time) stays under a bound set by the configuration, not the input.
source "$(dirname "$0")/lib.sh" "$@"
[[ -x /usr/bin/time ]] || { fail "/usr/bin/time is missing (apt-get install time)"; e2e_done; }
cd "$E2E_TMP"

# doc PATHS_JSON OUT [MAX_LINE]: a document: lines -> parse raw -> json OUT, checksum -> manifest.
doc() {
  cat <<JSON
{"source": {"paths": $1},
 "stages": [{"name": "lines", "type": "lines", "max_line_bytes": "${3:-1MiB}"},
            {"name": "raw", "type": "parse", "input": "lines", "format": "raw"},
            {"name": "sums", "type": "checksum"}],
 "sinks": [{"name": "out", "type": "json", "input": "raw", "path": "$2", "fsync": false},
           {"name": "manifest", "type": "manifest", "input": ["sums", "raw"],
            "path": "$2.manifest", "fsync": false}]}
JSON
}
# timed OUT ERR ARGS...: ringflow under timeout 300 and /usr/bin/time; sets RC and RSS_KB.
timed() {
  local out=$1 err=$2; shift 2
  RC=0
  timeout 300 /usr/bin/time -f '%M' -o rss.txt "$RF" "$@" >"$out" 2>"$err" </dev/null || RC=$?
  [[ $RC == 124 ]] && fail "ringflow $* did not finish within 300 s (hang?)"
  RSS_KB=$(tail -n 1 rss.txt 2>/dev/null || echo 0)
}

check "a 1 GiB file without a newline: one record, cut and flagged, memory bounded"
mkdir big
head -c $((1 << 30)) /dev/zero | tr '\0' 'x' >big/one_line.log
doc '["big"]' big.ndjson 1MiB >big.json
timed out.txt err.txt run big.json
expect_rc "run big.json" 0 "$RC"
python3 - <<'PY' || fail "the record or the manifest is wrong"
import json
recs = [json.loads(l) for l in open("big.ndjson")]
assert len(recs) == 1, len(recs)
r = recs[0]
assert r["_truncated"] is True and r["message"] == "x" * (1 << 20), (len(r["message"]),)
m = [json.loads(l) for l in open("big.ndjson.manifest")]
assert len(m) == 1 and m[0]["bytes"] == 1 << 30 and m[0]["lines"] == 1 and m[0]["records"] == 1, m
print("  ok: 1 record of 1 MiB flagged _truncated; manifest: 1 GiB, 1 line, 1 record")
PY
want=$(head -c $((1 << 30)) /dev/zero | tr '\0' 'x' | xxhsum -H3 - | awk '{print $NF}')
got=$(python3 -c 'import json; print(json.loads(open("big.ndjson.manifest").readline())["xxh3"])')
[[ $want == *"$got"* ]] && pass "manifest xxh3 == xxhsum -H3 ($got)" || fail "xxh3 $got, xxhsum says $want"
# Bound: the pool (4 MiB) + one line of max_line_bytes + batches in flight (18 MiB seen;
# more under ASan); far below 1 GiB.
rss_within "a 1 GiB line" "$RSS_KB" $((128 * 1024))
rm -rf big big.ndjson

check "100,000 small files under ulimit -n 256: one record per line, every file in the manifest"
python3 - <<'PY'
import os
for i in range(100000):
    d = "many/%02d/%03d" % (i % 17, i % 389)
    os.makedirs(d, exist_ok=True)
    with open("%s/f%06d.log" % (d, i), "wb") as f:
        f.write(b"line %d\n" % i * (i % 5) + (b"tail %d" % i if i % 11 == 0 else b""))
PY
doc '["many"]' many.ndjson >many.json
RC=0
(ulimit -n 256 && exec timeout 300 /usr/bin/time -f '%M' -o rss.txt "$RF" run many.json) \
  >out.txt 2>err.txt </dev/null || RC=$?
RSS_KB=$(tail -n 1 rss.txt)
expect_rc "run many.json under ulimit -n 256" 0 "$RC"
n=$(wc -l <many.ndjson)
# Lines per file (wc -l plus a final line without newline), counted independently.
lines=$(python3 -c '
import os
n = 0
for d, _, fs in os.walk("many"):
    for f in fs:
        b = open(os.path.join(d, f), "rb").read()
        n += b.count(b"\n") + (1 if b and not b.endswith(b"\n") else 0)
print(n)')
[[ $n == "$lines" ]] && pass "$n records == $lines lines" || fail "$n records for $lines lines"
python3 - <<'PY' || fail "manifest does not match xxhsum -H3"
import json, re, subprocess
m = [json.loads(l) for l in open("many.ndjson.manifest")]
assert len(m) == 100000, len(m)
paths = sorted(x["path"] for x in m)
assert paths == [x["path"] for x in m], "manifest not in discovery (sorted) order"
out = subprocess.run(["xargs", "-d", "\n", "xxhsum", "-H3", "--"], input="\n".join(paths),
                     capture_output=True, text=True, check=True).stdout.splitlines()
want = {}
for line in out:
    mm = re.match(r"^XXH3 \((.*)\) = ([0-9a-f]{16})$", line)
    if mm:
        want[mm.group(1)] = mm.group(2)
    else:
        h, p = line.split("  ", 1)
        want[p] = h.split("_")[-1]
bad = [x for x in m if x["xxh3"] != want[x["path"]] or x["status"] != "ok" or x["records"] != x["lines"]]
assert not bad, bad[:3]
print("  ok: 100000 manifest lines, xxh3 == xxhsum -H3, records == lines for every file")
PY
rss_within "100,000 files" "$RSS_KB" $((128 * 1024))

check "a pool of 2 buffers and queue depth 1 give the same bytes as the defaults"
python3 "$GEN" logs --small 200 --large 2 --large-size 3M --edge -q --seed 5
doc '["logs"]' a.ndjson >a.json
rf out.txt err.txt run a.json
expect_rc "run with the defaults" 0 "$RC"
rf out.txt err.txt run a.json --set 'sinks[0].path=b.ndjson' --set 'sinks[1].path=b.ndjson.manifest' \
  --set 'source.engine={"buffers": 2, "queue_depth": 1, "buffer_size": "4KiB"}'
expect_rc "run with 2 buffers of 4 KiB, queue depth 1" 0 "$RC"
cmp -s a.ndjson b.ndjson && pass "records identical" || fail "2 buffers / depth 1 changed the records"
cmp -s a.ndjson.manifest b.ndjson.manifest && pass "manifests identical" ||
  fail "2 buffers / depth 1 changed the manifest"

check "an empty directory: exit 0, empty outputs, a summary of 0 files"
mkdir empty
doc '["empty"]' e.ndjson >e.json
rf out.txt err.txt run e.json
expect_rc "run on an empty directory" 0 "$RC"
[[ -f e.ndjson && ! -s e.ndjson && -f e.ndjson.manifest && ! -s e.ndjson.manifest ]] &&
  pass "both outputs exist and are empty" || fail "outputs missing or not empty"
grep -q '^ringflow: 0 files read, 0 skipped' err.txt && pass "summary says 0 files" ||
  fail "summary: $(cat err.txt)"
e2e_done

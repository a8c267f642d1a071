#!/usr/bin/env bash
# e2e: compressed and rotated logs (issue 17). A compressed copy of a corpus (gzip, zstd, bzip2,
# xz, lz4, each file compressed by the real tool) replays to the same bytes as the corpus itself; the
# manifest keeps each file's stored size and xxh3 (checked with xxhsum -H3) and says its
# compression and content size (checked with zcat and friends). Multi-member gzip and
# multi-frame zstd and lz4 equal the replay of their concatenated content. Truncated and corrupt archives
# keep the records before the damage (a prefix of the intact file's), are reported once and fail
# the run; a decompression bomb stops at max_ratio in bounded memory; a mislabelled file is
# refused one way and decoded the other. A logrotate directory replays oldest first, and
# --order path|mtime choose otherwise. A kill -9 in the middle of a compressed file resumes to
# the uninterrupted run's bytes.
source "$(dirname "$0")/lib.sh" "$@"
cd "$E2E_TMP"
for tool in gzip zstd bzip2 xz lz4 zcat; do
  command -v "$tool" >/dev/null || { echo "FAIL: required tool not found: $tool" >&2; exit 1; }
done

log "generating the corpus (60 small + 2 x 3 MiB) in $E2E_TMP/plain"
python3 "$GEN" plain --small 60 --large 2 --large-size 3M --seed 17 -q

# compress_tree CODEC CMD...: copy/ of plain/ with every file through CMD (stdin to stdout),
# named NAME.EXT.
compress_tree() {
  local ext=$1
  shift
  rm -rf "$ext"
  (cd plain && find . -type f) | while read -r f; do
    mkdir -p "$ext/$(dirname "$f")"
    "$@" <"plain/$f" >"$ext/$f.$ext"
  done
}
compress_tree gz gzip -6 -c
compress_tree zst zstd -3 -q -c
compress_tree bz2 bzip2 -c
compress_tree xz xz -c
compress_tree lz4 lz4 -q -c

replay() { rf "$1.out" "$1.err" replay -q "${@:2}"; }

# --- 1. every codec: the same records as the plain corpus, the manifest as stored ---------------
check "1. a compressed copy of the corpus (gzip, zstd, bzip2, xz, lz4) replays to the plain corpus's bytes"
replay plain plain --out plain.ndjson --manifest plain.man
expect_rc "plain" 0 "$RC"
for ext in gz zst bz2 xz lz4; do
  replay "$ext" "$ext" --out "$ext.ndjson" --manifest "$ext.man"
  expect_rc "$ext" 0 "$RC"
  if cmp -s plain.ndjson "$ext.ndjson"; then pass "$ext: --out identical to the plain corpus's ($(wc -l <plain.ndjson) records)"; else
    fail "$ext: --out differs: $(cmp plain.ndjson "$ext.ndjson" 2>&1 | head -n 1)"; fi
  xxh_oracle "$ext" >"$ext.xxh"
  python3 - "$ext" <<'PY' || fail "$ext: the manifest (see above)"
import json, subprocess, sys
ext = sys.argv[1]
tool = {"gz": ["zcat"], "zst": ["zstd", "-dc"], "bz2": ["bzip2", "-dc"], "xz": ["xz", "-dc"],
        "lz4": ["lz4", "-dc"]}[ext]
name = {"gz": "gzip", "zst": "zstd", "bz2": "bzip2", "xz": "xz", "lz4": "lz4"}[ext]
sums = {}
for line in open(ext + ".xxh", "rb"):
    # "XXH3 (PATH) = HEX"
    text = line.decode().rstrip("\n")
    path, hexd = text[6:text.rindex(") = ")], text[text.rindex(" = ") + 3:]
    sums[path] = hexd
plain = {m["path"]: m for m in map(json.loads, open("plain.man"))}
bad = 0
man = [json.loads(l) for l in open(ext + ".man")]
for m in man:
    content = subprocess.run(tool + [m["path"]], capture_output=True, check=True).stdout
    twin = plain["plain" + m["path"][len(ext):-len(ext) - 1]]
    want = {"path": m["path"], "bytes": __import__("os").stat(m["path"]).st_size,
            "compression": name, "content_bytes": len(content),
            "lines": content.count(b"\n") + (1 if content and not content.endswith(b"\n") else 0),
            "records": twin["records"], "parse_errors": twin["parse_errors"],
            "format": twin["format"], "xxh3": sums[m["path"]], "status": "ok"}
    if m != want or list(m) != list(want):
        bad += 1
        if bad <= 3:
            print("FAIL: %s: manifest line %r, expected %r" % (ext, m, want))
if len(man) != len(plain):
    bad += 1
    print("FAIL: %s: %d manifest lines, expected %d" % (ext, len(man), len(plain)))
if bad == 0:
    print("  ok: %s: %d manifest lines: bytes and xxh3 as stored (xxhsum -H3), compression, "
          "content_bytes and lines of the content (%s), records as the plain corpus's"
          % (ext, len(man), " ".join(tool)))
sys.exit(1 if bad else 0)
PY
done

# Decoding on the I/O thread (0), on one decoder, and on more decoders than files at once: the
# same records in the same order, and the same manifest.
for n in 0 1 3; do
  replay "gzd$n" gz --out "gzd$n.ndjson" --manifest "gzd$n.man" --decode-threads "$n"
  expect_rc "gz --decode-threads $n" 0 "$RC"
  if cmp -s plain.ndjson "gzd$n.ndjson" && cmp -s gz.man "gzd$n.man"; then
    pass "gz --decode-threads $n: --out identical to the plain corpus's, manifest identical"
  else
    fail "gz --decode-threads $n: output or manifest differs: $(cmp plain.ndjson "gzd$n.ndjson" 2>&1 | head -n 1) $(cmp gz.man "gzd$n.man" 2>&1 | head -n 1)"
  fi
done

# --- 2. multi-member gzip, multi-frame zstd, empty archives, one line without newline -----------
check "2. multi-member gzip, multi-frame zstd and lz4, empty archives, a line without newline"
mkdir -p multi/plain multi/packed
L1=$(find plain -name '*.log' -size +1M | sort | head -n 1)
S1=$(find plain -name '*.log' -size -20k | sort | head -n 1)
S2=$(find plain -name '*.log' -size -20k | sort | sed -n 2p)
cat "$L1" "$S1" "$S2" >multi/plain/a.log
{ gzip -c "$L1"; gzip -1 -c "$S1"; gzip -9 -c "$S2"; } >multi/packed/a.log
cat "$S1" "$S2" "$L1" >multi/plain/b.log
{ zstd -q -c "$S1"; zstd -q -19 -c "$S2"; zstd -q -c "$L1"; } >multi/packed/b.log
: >multi/plain/c.log
gzip -c </dev/null >multi/packed/c.log
: >multi/plain/d.log
zstd -q -c </dev/null >multi/packed/d.log
printf 'the only line, without newline' >multi/plain/e.log
gzip -c multi/plain/e.log >multi/packed/e.log
cat "$S2" "$L1" "$S1" >multi/plain/f.log
{ lz4 -q -c "$S2"; lz4 -q -B4 -c "$L1"; lz4 -q -c </dev/null; lz4 -q -9 -c "$S1"; } >multi/packed/f.log
replay mp multi/plain --out mp.ndjson --manifest mp.man
replay mc multi/packed --out mc.ndjson --manifest mc.man
expect_rc "multi/packed" 0 "$RC"
if cmp -s mp.ndjson mc.ndjson; then pass "the archives' records equal their content's ($(wc -l <mc.ndjson) records)"; else
  fail "the archives' records differ from their content's: $(cmp mp.ndjson mc.ndjson 2>&1 | head -n 1)"; fi
python3 <<'PY' || fail "multi: the manifest (see above)"
import json, os, sys
plain = {os.path.basename(m["path"]): m for m in map(json.loads, open("mp.man"))}
bad = 0
for m in map(json.loads, open("mc.man")):
    p = plain[os.path.basename(m["path"])]
    for k in ("lines", "records", "parse_errors", "status"):
        if m[k] != p[k]:
            bad += 1
            print("FAIL: %s: %s %r, the content's %r" % (m["path"], k, m[k], p[k]))
    if m["content_bytes"] != p["bytes"]:
        bad += 1
        print("FAIL: %s: content_bytes %r, the content has %r" % (m["path"], m["content_bytes"], p["bytes"]))
if not bad:
    print("  ok: multi: lines, records, status and content_bytes equal the content's")
sys.exit(1 if bad else 0)
PY

# --- 3. damage ------------------------------------------------------------------------------------
check "3. truncated and corrupt archives: the records before the damage, one line, exit 1"
B=$(find gz -name '*.log.gz' -size +100k | sort | head -n 1)
PLAIN_B=plain${B#gz}
PLAIN_B=${PLAIN_B%.gz}
replay whole "$PLAIN_B" --out whole.ndjson
size=$(stat -c %s "$B")
for cut in 10 3000 $((size / 2)) $((size - 5)); do
  rm -rf dmg && mkdir dmg
  head -c "$cut" "$B" >dmg/t.log.gz
  replay "t$cut" dmg --out "t$cut.ndjson" --manifest "t$cut.man"
  expect_rc "cut at $cut of $size" 1 "$RC"
  n=$(grep -c -F "ringflow: dmg/t.log.gz: gzip: unexpected end of data at compressed byte $cut" "t$cut.err" || true)
  if [[ $n == 1 ]]; then pass "cut at $cut: reported once, at compressed byte $cut"; else
    fail "cut at $cut: reported $n times: $(head -c 400 "t$cut.err")"; fi
  python3 - "$cut" <<'PY' || fail "cut: see above"
import json, subprocess, sys
cut = sys.argv[1]
got = open("t%s.ndjson" % cut, "rb").read()
whole = open("whole.ndjson", "rb").read()
# zcat's own idea of the content before the damage, whole lines only.
part = subprocess.run(["zcat"], stdin=open("dmg/t.log.gz", "rb"), capture_output=True).stdout
complete = part.count(b"\n")
n = got.count(b"\n")
m = json.loads(open("t%s.man" % cut).read())
ok = whole.startswith(got) and n == complete and m["status"].startswith("gzip: unexpected end of data") \
    and m["records"] == n and m["xxh3"] is None
if ok:
    print("  ok: cut at %s: %d records, a prefix of the intact file's, as many as zcat's whole "
          "lines; the manifest says %r" % (cut, n, m["status"]))
else:
    print("FAIL: cut at %s: %d records (prefix: %s), zcat has %d whole lines; manifest %r"
          % (cut, n, whole.startswith(got), complete, m))
sys.exit(0 if ok else 1)
PY
done
# A corrupt stretch may decode to wrong bytes before a check fails (the CRC comes at the end of
# the member, as zcat has it too): what must come out is every record before the damage, i.e. the
# records of the archive cut where the damage starts.
for at in 20 $((size / 3)) $((size - 12)); do
  rm -rf dmg && mkdir dmg
  python3 - "$B" "$at" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = int(sys.argv[2])
for i in range(at, min(at + 8, len(data))):
    data[i] ^= 0x5A
open("dmg/c.log.gz", "wb").write(data)
PY
  replay "c$at" dmg --out "c$at.ndjson" --manifest "c$at.man"
  expect_rc "corrupt at $at" 1 "$RC"
  if [[ $(grep -c "^ringflow: dmg/c.log.gz: gzip: .*compressed byte [0-9]" "c$at.err" || true) == 1 ]]; then
    pass "corrupt at $at: one line: $(grep "^ringflow: dmg/c.log.gz" "c$at.err")"
  else
    fail "corrupt at $at: $(head -c 400 "c$at.err")"
  fi
  rm -rf cutb && mkdir cutb
  head -c "$at" "$B" >cutb/c.log.gz
  replay "cb$at" cutb --out "cb$at.ndjson"
  before=$(wc -c <"cb$at.ndjson")
  if [[ $(head -c "$before" "c$at.ndjson" | cmp - "cb$at.ndjson" && echo same) == same ]]; then
    pass "corrupt at $at: $(wc -l <"c$at.ndjson") records, beginning with the $(wc -l <"cb$at.ndjson") before the damage"
  else
    fail "corrupt at $at: the records before the damage are not all out"
  fi
done
rm -rf cutb
rm -rf dmg

# --- 4. a decompression bomb ----------------------------------------------------------------------
check "4. a bomb (1 GiB of zeros, gzip -9: ~1 MiB): stopped at max_ratio, bounded memory, exit 1"
mkdir -p bomb
head -c $((1 << 30)) /dev/zero | gzip -9 >bomb/zeros.log.gz
printf 'after the bomb\n' >bomb/z.log
log "  (bomb: $(stat -c %s bomb/zeros.log.gz) bytes of gzip)"
RC=0
t0=$(now)
timeout 120 /usr/bin/time -f '%M' -o bomb.rss "$RF" replay -q bomb --out bomb.ndjson --manifest bomb.man \
  >bomb.stdout 2>bomb.err </dev/null || RC=$?
expect_rc "bomb" 1 "$RC"
log "  (took $(secs_since "$t0") s)"
if grep -q "^ringflow: bomb/zeros.log.gz: gzip: content past 1000 times the compressed size" bomb.err; then
  pass "bomb: $(grep '^ringflow: bomb/zeros' bomb.err)"
else
  fail "bomb: no max_ratio error: $(head -c 400 bomb.err)"
fi
rss_within "bomb" "$(tail -n 1 bomb.rss)" $((150 * 1024))
if grep -q '"after the bomb"' bomb.ndjson; then pass "bomb: the next file is read"; else fail "bomb: the next file is missing"; fi
# With the limit off (source.max_ratio 0), all of it, through a pool of a few MiB.
cat >bomb.json <<'JSON'
{"source": {"paths": ["bomb"], "max_ratio": 0},
 "stages": [{"name": "lines", "type": "lines"}],
 "sinks": [{"name": "none", "type": "null", "input": "lines"},
           {"name": "manifest", "type": "manifest", "input": "lines", "digest": true,
            "path": "bomb-all.man"}]}
JSON
RC=0
timeout 300 /usr/bin/time -f '%M' -o bomb-all.rss "$RF" run bomb.json >bomb-all.out 2>bomb-all.err </dev/null || RC=$?
expect_rc "bomb, max_ratio 0" 0 "$RC"
python3 <<'PY' || fail "bomb, max_ratio 0: see above"
import json, sys
m = {x["path"]: x for x in map(json.loads, open("bomb-all.man"))}["bomb/zeros.log.gz"]
ok = m["content_bytes"] == 1 << 30 and m["compression"] == "gzip" and m["status"] == "ok"
print(("  ok: " if ok else "FAIL: ") + "bomb, max_ratio 0: content_bytes %d, status %s" % (m["content_bytes"], m["status"]))
sys.exit(0 if ok else 1)
PY
rss_within "bomb, max_ratio 0 (1 GiB decoded)" "$(tail -n 1 bomb-all.rss)" $((150 * 1024))
rm -rf bomb

# --- 5. mislabelled files --------------------------------------------------------------------------
check "5. a .gz or .lz4 that is not (text, zstd, gzip) is refused; gzip and lz4 named .log are found by their bytes"
mkdir -p label
printf 'plain text\n' >label/a.log.gz
printf 'zipped text 1\nzipped text 2\n' | gzip >label/b.log
printf 'lz4 text\n' | lz4 -q -c >label/c.log
printf 'zstd text\n' | zstd -q -c >label/d.log.gz
printf 'gzip text\n' | gzip >label/e.log.lz4
replay label label --out label.ndjson --manifest label.man
expect_rc "label" 1 "$RC"
grep -q -F 'ringflow: label/a.log.gz: not gzip data, although the name says so: not read' label.err &&
  pass "a.log.gz: refused, naming gzip" || fail "a.log.gz: $(head -c 400 label.err)"
grep -q -F 'ringflow: label/d.log.gz: zstd data, although the name says gzip: not read' label.err &&
  pass "d.log.gz: zstd under a gzip name, refused" || fail "d.log.gz: $(head -c 400 label.err)"
grep -q -F 'ringflow: label/e.log.lz4: gzip data, although the name says lz4: not read' label.err &&
  pass "e.log.lz4: gzip under an lz4 name, refused" || fail "e.log.lz4: $(head -c 400 label.err)"
if [[ $(cat label.ndjson) == $'{"message":"zipped text 1"}\n{"message":"zipped text 2"}\n{"message":"lz4 text"}' ]]; then
  pass "b.log and c.log: decoded (gzip and lz4 found by their bytes)"
else
  fail "b.log, c.log: $(head -c 300 label.ndjson)"
fi

# --- 6. rotated sets --------------------------------------------------------------------------------
check "6. a logrotate directory: oldest first by default; --order path and mtime"
mkdir -p rot
printf 'live\n' >rot/access.log
printf 'gen 1\n' >rot/access.log.1
for n in 2 3 9 10 11 12; do printf 'gen %d\n' "$n" | gzip >"rot/access.log.$n.gz"; done
printf 'day 1\n' | gzip >rot/error.log-20261201.gz
printf 'day 2\n' >rot/error.log-20261202
printf 'error live\n' >rot/error.log
printf 'other\n' >rot/b.log
for f in rot/*; do touch -d '2026-12-05 00:00:00' "$f"; done
touch -d '2026-12-01 00:00:00' rot/b.log
touch -d '2026-12-02 00:00:00' rot/access.log
messages() { python3 -c 'import json,sys; print(" | ".join(json.loads(l)["message"] for l in open(sys.argv[1])))' "$1"; }
replay rot1 rot --out rot1.ndjson
want="gen 12 | gen 11 | gen 10 | gen 9 | gen 3 | gen 2 | gen 1 | live | other | day 1 | day 2 | error live"
[[ $(messages rot1.ndjson) == "$want" ]] && pass "rotation: $want" || fail "rotation: $(messages rot1.ndjson), expected $want"
replay rot2 rot --out rot2.ndjson --order path
want="live | gen 1 | gen 10 | gen 11 | gen 12 | gen 2 | gen 3 | gen 9 | other | error live | day 1 | day 2"
[[ $(messages rot2.ndjson) == "$want" ]] && pass "path: $want" || fail "path: $(messages rot2.ndjson), expected $want"
replay rot3 rot --out rot3.ndjson --order mtime
want="other | live | gen 1 | gen 10 | gen 11 | gen 12 | gen 2 | gen 3 | gen 9 | error live | day 1 | day 2"
[[ $(messages rot3.ndjson) == "$want" ]] && pass "mtime: $want" || fail "mtime: $(messages rot3.ndjson), expected $want"

# --- 7. kill -9 in the middle of a compressed file, then --resume ---------------------------------
check "7. kill -9 in a compressed file (zstd and gzip), --resume: the uninterrupted run's bytes"
for ext in gz zst; do
  rm -rf w && mkdir w
  # (The group's stderr is dropped only for bash's own "Killed" report.)
  RC=$({ env RINGFLOW_CRASH_AT=cut-synced:3 timeout 60 "$RF" replay -q "$ext" --out w/out.ndjson \
    --manifest w/man.ndjson --checkpoint w/run.ckpt --checkpoint-every 1MiB --checkpoint-interval 1h \
    >/dev/null 2>"k$ext.err" </dev/null && echo 0 || echo $?; } 2>/dev/null)
  expect_rc "$ext: the killed run" 137 "$RC"
  log "  ($ext: the checkpoint in place: $(grep -c '^[pP] ' w/run.ckpt || true) partial file(s), $(grep -c '^[dD] ' w/run.ckpt || true) done)"
  rf "r$ext.out" "r$ext.err" replay -q "$ext" --out w/out.ndjson --manifest w/man.ndjson \
    --checkpoint w/run.ckpt --checkpoint-every 1MiB --checkpoint-interval 1h --resume
  expect_rc "$ext: the resume" 0 "$RC"
  grep -q "resuming from" "r$ext.err" && pass "$ext: resumed" || fail "$ext: not resumed: $(head -c 300 "r$ext.err")"
  if grep -q "since the checkpoint" "r$ext.err"; then fail "$ext: a file seen as changed: $(grep 'since the checkpoint' "r$ext.err" | head -n 2)"; else
    pass "$ext: no file seen as changed"; fi
  cmp -s "$ext.ndjson" w/out.ndjson && pass "$ext: --out identical to the uninterrupted run's" ||
    fail "$ext: --out differs: $(cmp "$ext.ndjson" w/out.ndjson 2>&1 | head -n 1)"
  cmp -s "$ext.man" w/man.ndjson && pass "$ext: --manifest identical" || fail "$ext: --manifest differs"
done

# --- 8. count in the content, checksum of the stored bytes ----------------------------------------
check "8. ringflow count counts in the content (zcat | grep -o), checksum hashes the stored bytes"
for ext in gz zst; do
  rf "n$ext.out" "n$ext.err" count --pattern ' 200 ' "$ext"
  expect_rc "count $ext" 0 "$RC"
  python3 - "$ext" <<'PY' || fail "count $ext: see above"
import os, subprocess, sys
ext = sys.argv[1]
tool = {"gz": ["zcat"], "zst": ["zstd", "-dc"]}[ext]
want, total = [], 0
for d, _, fs in os.walk(ext):
    for f in fs:
        p = os.path.join(d, f)
        n = subprocess.run(tool + [p], capture_output=True, check=True).stdout.count(b" 200 ")
        want.append((p, n))
        total += n
want = ["%d %s" % (n, p) for p, n in sorted(want, key=lambda x: x[0].encode())] + ["%d total" % total]
got = open("n%s.out" % ext).read().splitlines()
if got == want:
    print("  ok: count %s: %d files, %d in all, as %s | grep -o finds" % (ext, len(want) - 1, total, tool[0]))
else:
    print("FAIL: count %s differs: %r ... expected %r ..." % (ext, got[:3], want[:3]))
    sys.exit(1)
PY
done
rf ck.out ck.err checksum gz
expect_rc "checksum gz" 0 "$RC"
xxh_oracle gz >ck.want
same_file "checksum of the .gz files == xxhsum -H3 of them as stored" ck.want ck.out
rf nl.out nl.err count --pattern x label/a.log.gz
expect_rc "count of a .gz that is not gzip" 1 "$RC"
grep -q -F 'ringflow: label/a.log.gz: not gzip data, although the name says so: not read' nl.err &&
  pass "count: the mislabelled file is refused" || fail "count: $(head -c 300 nl.err)"

e2e_done

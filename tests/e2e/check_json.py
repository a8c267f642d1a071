#!/usr/bin/env python3
"""Oracle for `ringflow checksum --json ROOT`: checks ringflow's output against the file tree.

usage: check_json.py OUTPUT ROOT [MANIFEST.tsv]

- every output line must be a JSON object (strict UTF-8, strict JSON) with exactly the keys
  path, bytes, lines, xxh3 (int, int, 16 lowercase hex digits);
- the paths must be exactly the regular files of `find -L ROOT -type f`, in bytewise order of
  the real (byte) names; a name that is not valid UTF-8 must decode to the name's Latin-1
  reading per invalid byte (ringflow writes \\u00XX for each byte that is not part of a valid
  UTF-8 sequence), every valid UTF-8 sequence decodes to itself;
- bytes == os.path.getsize, lines == count of '\\n' (+1 if the file is non-empty and does not end
  in '\\n') == MANIFEST lines for generated files == `wc -l` (+1 adjusted), xxh3 == xxhsum -H3.
Prints every mismatch (up to a limit) and exits 1 on any.
"""
import json
import os
import re
import subprocess
import sys

out_path, root = sys.argv[1], os.fsencode(sys.argv[2])
manifest = sys.argv[3] if len(sys.argv) > 3 else None
errors = []


def err(msg):
    errors.append(msg)


def display(name: bytes) -> str:
    """The string a JSON decoder must yield for a byte name: UTF-8, invalid bytes as U+00XX."""
    s = name.decode('utf-8', errors='surrogateescape')
    return ''.join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in s)


# --- the tree, like find -L ROOT -type f -------------------------------------------------------
expected = []
for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
    for n in dirnames + filenames:
        p = os.path.join(dirpath, n)
        if n in filenames and os.path.isfile(p):
            expected.append(p)
if os.path.isfile(root):
    expected = [root]
expected.sort()
by_display = {}
for p in expected:
    d = display(p)
    if d in by_display:
        sys.exit(f'test setup error: two names decode to the same string: {by_display[d]!r} {p!r}')
    by_display[d] = p

# --- xxhsum oracle: batched for plain names, via stdin for names with a newline ----------------
oracle = {}
plain = [p for p in expected if b'\n' not in p]
for i in range(0, len(plain), 500):
    batch = plain[i:i + 500]
    res = subprocess.run([b'xxhsum', b'-H3', b'--'] + batch, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True)
    lines = res.stdout.split(b'\n')
    for p, line in zip(batch, lines):
        m = re.fullmatch(rb'XXH3 \((.*)\) = ([0-9a-f]{16})', line, re.S)
        if not m or m.group(1) != p:
            sys.exit(f'cannot parse xxhsum output {line!r} for {p!r}')
        oracle[p] = m.group(2).decode()
for p in expected:
    if p not in oracle:
        with open(p, 'rb') as f:
            res = subprocess.run(['xxhsum', '-H3'], stdin=f, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, check=True)
        oracle[p] = re.match(rb'XXH3 \(stdin\) = ([0-9a-f]{16})', res.stdout).group(1).decode()

man_lines = {}
if manifest:
    mroot = os.path.dirname(os.fsencode(manifest))
    with open(manifest, 'rb') as f:
        rows = f.read().split(b'\n')
    assert rows[0].split(b'\t')[:3] == [b'path', b'bytes', b'lines'], rows[0]
    for row in rows[1:]:
        if row:
            path, size, lines = row.split(b'\t')[:3]
            man_lines[os.path.join(mroot, path)] = (int(size), int(lines))

# --- ringflow's output ---------------------------------------------------------------------------
with open(out_path, 'rb') as f:
    raw = f.read()
if raw and not raw.endswith(b'\n'):
    err('output does not end with a newline')
records = []
for no, line in enumerate(raw.split(b'\n')[:-1] if raw else [], 1):
    try:
        text = line.decode('utf-8')  # strict: the output must be valid UTF-8
        obj = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        err(f'line {no} is not valid UTF-8 JSON ({e}): {line[:200]!r}')
        continue
    if not isinstance(obj, dict) or set(obj) != {'path', 'bytes', 'lines', 'xxh3'}:
        err(f'line {no}: not an object with exactly path/bytes/lines/xxh3: {text[:200]}')
        continue
    if not (isinstance(obj['path'], str) and type(obj['bytes']) is int and type(obj['lines']) is int
            and isinstance(obj['xxh3'], str) and re.fullmatch('[0-9a-f]{16}', obj['xxh3'])):
        err(f'line {no}: bad field types: {text[:200]}')
        continue
    records.append(obj)

got_paths = [r['path'] for r in records]
want_paths = [display(p) for p in expected]
if got_paths != want_paths:
    gs, ws = set(got_paths), set(want_paths)
    err(f'paths differ: {len(got_paths)} printed, {len(want_paths)} expected; '
        f'missing {sorted(ws - gs)[:5]!r}; unexpected {sorted(gs - ws)[:5]!r}')
    if gs == ws:
        first = next(i for i, (a, b) in enumerate(zip(got_paths, want_paths)) if a != b)
        err(f'same set but wrong order from record {first}: got {got_paths[first:first+3]!r}, '
            f'want {want_paths[first:first+3]!r}')

checked_wc = 0
for r in records:
    p = by_display.get(r['path'])
    if p is None:
        continue
    data = open(p, 'rb').read()
    want_lines = data.count(b'\n') + (1 if data and not data.endswith(b'\n') else 0)
    if r['bytes'] != os.path.getsize(p):
        err(f'{p!r}: bytes {r["bytes"]}, expected {os.path.getsize(p)}')
    if r['lines'] != want_lines:
        err(f'{p!r}: lines {r["lines"]}, expected {want_lines}')
    if p in man_lines and (r['bytes'], r['lines']) != man_lines[p]:
        err(f'{p!r}: bytes/lines {(r["bytes"], r["lines"])}, MANIFEST says {man_lines[p]}')
    if r['xxh3'] != oracle[p]:
        err(f'{p!r}: xxh3 {r["xxh3"]}, xxhsum says {oracle[p]}')
    # `wc -l` cross-check for the odd files (edge cases, unusual names, large files)
    if b'/edge/' in p or not p.isascii() or b' ' in p or len(data) > (1 << 20) or checked_wc < 20:
        checked_wc += 1
        with open(p, 'rb') as f:
            wc = int(subprocess.run(['wc', '-l'], stdin=f, stdout=subprocess.PIPE, check=True).stdout)
        adj = wc + (1 if data and not data.endswith(b'\n') else 0)
        if r['lines'] != adj:
            err(f'{p!r}: lines {r["lines"]}, wc -l (+1 without final newline) says {adj}')

print(f'  {len(records)} JSON records, {len(expected)} files expected, '
      f'{len(man_lines)} in MANIFEST, {checked_wc} cross-checked with wc -l')
if errors:
    for e in errors[:30]:
        print('  mismatch:', e)
    if len(errors) > 30:
        print(f'  ... and {len(errors) - 30} more')
    sys.exit(1)

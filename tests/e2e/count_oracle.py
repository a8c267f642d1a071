#!/usr/bin/env python3
"""Oracle for `ringflow count --pattern PAT ROOT...`.

usage: count_oracle.py OUTDIR ROOT... < PATTERN_FILES (one path a line)

For each pattern file pat/NAME writes OUTDIR/NAME.txt.

Lists the files like `find -L ROOT -type f` (sorted bytewise), counts PAT in each one with
`grep -a -o -F -- PAT FILE | wc -l` semantics (one batched `grep -a -o -F -H -Z` per 500
files), cross-checks every count with Python's bytes.count (also leftmost, non-overlapping),
and writes what ringflow must print: `COUNT PATH` per file, then `TOTAL total`.
A pattern must not contain a newline or a NUL byte.
"""
import collections
import os
import subprocess
import sys

outdir = sys.argv[1]
roots = [os.fsencode(r) for r in sys.argv[2:]]
pats = {}
for pf in sys.stdin.read().split():
    with open(pf, 'rb') as f:
        pats[os.path.basename(pf)] = f.read()
    assert pats[os.path.basename(pf)] and b'\n' not in pats[os.path.basename(pf)] \
        and b'\0' not in pats[os.path.basename(pf)], f'{pf}: pattern must be non-empty, no NL/NUL'

find = subprocess.run([b'find', b'-L'] + roots + [b'-type', b'f', b'-print0'],
                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
files = sorted(p for p in find.stdout.split(b'\0') if p)
assert files, 'no files found'
assert all(b'\n' not in p for p in files), 'file names with a newline are not supported here'

# Independent second count: Python's bytes.count, every file read once for all patterns.
pycounts = {name: {} for name in pats}
for p in files:
    with open(p, 'rb') as f:
        data = f.read()
    for name, pat in pats.items():
        pycounts[name][p] = data.count(pat)

env = dict(os.environ, LC_ALL='C')
for name, pat in pats.items():
    counts = collections.Counter()
    for i in range(0, len(files), 500):
        batch = files[i:i + 500]
        res = subprocess.run([b'grep', b'-a', b'-o', b'-F', b'-H', b'-Z', b'-e', pat, b'--'] + batch,
                             stdout=subprocess.PIPE, env=env)
        if res.returncode not in (0, 1):
            sys.exit(f'grep failed with status {res.returncode}')
        for line in res.stdout.split(b'\n'):
            if line:
                fname, _, match = line.partition(b'\0')
                if match != pat:
                    sys.exit(f'unexpected grep output line {line[:200]!r}')
                counts[fname] += 1
    total = 0
    with open(os.path.join(outdir, name + '.txt'), 'wb') as out:
        for p in files:
            if pycounts[name][p] != counts[p]:
                sys.exit(f'oracle disagreement on {p!r} for {name}: grep -o says {counts[p]}, '
                         f'bytes.count says {pycounts[name][p]}')
            total += counts[p]
            out.write(b'%d %s\n' % (counts[p], p))
        out.write(b'%d total\n' % total)
    print(f'  oracle {name}: {len(files)} files, {total} matches of a {len(pat)}-byte pattern')

"""Checks every sink output of one pipeline document against an independent model of it.

usage: check_config_outputs.py CONFIG   (run in the directory the pipeline ran in)

The model: the source's files in walk order (include/exclude applied), split into lines as wc -l
does (plus a final line without newline, CRLF stripped, a leading UTF-8 BOM dropped); each stage
re-done in Python: parse with independent parsers (json.loads; regexes for access and syslog,
checked field by field where the format has many fields; re with the document's own pattern for
regex), filter with a Python predicate written by hand for each "where" used in configs/ (an
unknown expression fails the check, so a new config must add its predicate), select (keep, drop,
rename). A json sink must hold exactly the model's records, in order (only json sinks with one
input are modelled); a manifest must list every file with bytes, lines, xxh3 (xxhsum -H3)
and the counts of its second input.
"""
import codecs
import fnmatch
import json
import os
import re
import subprocess
import sys

# The JSON writer's reading of bytes that are not UTF-8: each one as U+00XX.
codecs.register_error("latin1", lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))

cfg = json.load(open(sys.argv[1]))
src = cfg["source"]

# Python versions of the filter expressions used in configs/.
WHERE = {
    'level == "error" or level == "fatal" or status >= 500':
        lambda r: r.get("level") in ("error", "fatal") or r.get("status", 0) >= 500,
    "status >= 500": lambda r: r.get("status", 0) >= 500,
}

ACCESS = re.compile(r'^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d+) (\d+|-)')


def source_files():
    files = []
    for root in src["paths"]:
        for d, dirs, names in os.walk(root):
            dirs.sort()
            for n in sorted(names):
                p = os.path.join(d, n)
                if src.get("include") and not any(fnmatch.fnmatch(p, g) for g in src["include"]):
                    continue
                if any(fnmatch.fnmatch(p, g) for g in src.get("exclude", [])):
                    continue
                files.append(p)
    files.sort()
    return files


def split_lines(data):
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    lines = [x[:-1] if x.endswith(b"\r") else x for x in parts]
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return lines


def parse(stage, text):
    """An independent parse: (record, exact) where exact says whether the whole record is known
    (else only the keys given are checked)."""
    fmt = stage["format"]
    if fmt == "raw":
        return {"message": text}, True
    if fmt == "json":
        return json.loads(text), True
    if fmt == "access":
        m = ACCESS.match(text)
        assert m, text
        return {"remote_addr": m.group(1), "method": m.group(4), "path": m.group(5),
                "status": int(m.group(7)),
                "bytes": 0 if m.group(8) == "-" else int(m.group(8))}, False
    if fmt == "syslog":
        m = re.match(r"^<(\d+)>", text)
        assert m, text
        return {"facility": int(m.group(1)) // 8, "severity": int(m.group(1)) % 8}, False
    if fmt == "regex":
        m = re.fullmatch(stage["pattern"], text, re.S)
        assert m, text
        types = dict(t.split("=", 1) for t in stage.get("types", []))
        rec = {}
        for name, value in m.groupdict().items():
            if value is None:
                continue
            rec[name] = int(value) if types.get(name) == "int" else value
        return rec, True
    raise AssertionError(f"no model for format {fmt}")


def parse_size(text):
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"(\d+)\s*([KMGT]?)(?:i?B)?", text, re.I)
    return int(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " ")


def short(x):
    text = repr(x)
    return text if len(text) < 300 else text[:300] + "..."


def select(stage, rec):
    keep, drop = stage.get("keep"), stage.get("drop", [])
    renames = dict(x.split("=", 1) for x in stage.get("rename", []))
    return {renames.get(k, k): v for k, v in rec.items()
            if (keep is None or k in keep) and k not in drop}


files = source_files()
per_file_lines = {p: split_lines(open(p, "rb").read()) for p in files}
stages = {s["name"]: s for s in cfg["stages"]}
memo = {}


def stream(name):
    """The model's records of stage `name`, per file: {path: [(record, exact), ...]}."""
    if name in memo:
        return memo[name]
    stage = stages[name]
    if stage["type"] == "lines":
        limit = parse_size(stage.get("max_line_bytes", "1MiB"))
        out = {p: [({"_line": l[:limit].decode("utf-8", "latin1"), "_cut": len(l) > limit}, True)
                   for l in per_file_lines[p]] for p in files}
    else:
        up = stream(stage["input"])
        out = {}
        for p in files:
            recs = []
            for rec, exact in up[p]:
                if stage["type"] == "parse":
                    parsed, exact = parse(stage, rec["_line"])
                    if rec["_cut"]:
                        parsed["_truncated"] = True
                    recs.append((parsed, exact))
                elif stage["type"] == "filter":
                    assert stage["where"] in WHERE, f"no Python model for where: {stage['where']}"
                    if WHERE[stage["where"]](rec):
                        recs.append((rec, exact))
                elif stage["type"] == "select":
                    recs.append((select(stage, rec), exact))
                else:
                    raise AssertionError(f"no model for stage type {stage['type']}")
            out[p] = recs
    memo[name] = out
    return out


def check_json_sink(sink):
    inputs = sink["input"] if isinstance(sink["input"], list) else [sink["input"]]
    assert len(inputs) == 1, "several inputs: not modelled"
    want = [r for p in files for r in stream(inputs[0])[p]]
    got = [json.loads(l) for l in open(sink["path"], encoding="utf-8")]
    assert len(got) == len(want), f"{sink['name']}: {len(got)} records, model has {len(want)}"
    for i, (g, (w, exact)) in enumerate(zip(got, want)):
        assert "_error" not in g, f"record {i} failed: {short(g)}"
        if exact:
            assert g == w, (i, short(g), short(w))
        else:
            for k, v in w.items():
                assert g.get(k) == v, (i, k, short(g), short(w))
    print(f"  ok: {sink['name']}: {len(got)} records match the model")


def check_manifest(sink):
    inputs = sink["input"] if isinstance(sink["input"], list) else [sink["input"]]
    got = [json.loads(l) for l in open(sink["path"], encoding="utf-8")]
    assert [g["path"] for g in got] == files, f"{sink['name']}: files or their order differ"
    sums = subprocess.run(["xxhsum", "-H3", "--"] + files, capture_output=True, check=True,
                          text=True).stdout.splitlines()
    digests = {}
    for line in sums:
        m = re.match(r"^XXH3 \((.*)\) = ([0-9a-f]{16})$", line) or \
            re.match(r"^(?:XXH3_)?([0-9a-f]{16})  (.*)$", line)
        if line.startswith("XXH3 ("):
            digests[m.group(1)] = m.group(2)
        else:
            digests[m.group(2)] = m.group(1)
    for g in got:
        p = g["path"]
        assert list(g) == ["path", "bytes", "lines", "records", "parse_errors", "format", "xxh3",
                           "status"], g
        assert g["bytes"] == os.path.getsize(p) and g["status"] == "ok", g
        assert g["lines"] == len(per_file_lines[p]), (g, len(per_file_lines[p]))
        assert g["xxh3"] == digests[p], (g, digests[p])
        if len(inputs) > 1:
            assert g["records"] == len(stream(inputs[1])[p]) and g["parse_errors"] == 0, g
        else:
            assert g["records"] is None and g["parse_errors"] is None, g
    print(f"  ok: {sink['name']}: {len(got)} files, sizes, lines and xxh3 match xxhsum -H3")


for sink in cfg["sinks"]:
    if sink["type"] == "json":
        check_json_sink(sink)
    elif sink["type"] == "manifest":
        check_manifest(sink)
    else:
        raise AssertionError(f"no check for sink type {sink['type']}")

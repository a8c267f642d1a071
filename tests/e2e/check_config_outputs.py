"""Checks every sink output of one pipeline document against an independent model of it.

usage: check_config_outputs.py CONFIG   (run in the directory the pipeline ran in)

The model: the source's files in walk order (include/exclude applied), split into lines as wc -l
does (plus a final line without newline, CRLF stripped, a leading UTF-8 BOM dropped); each stage
re-done in Python: parse with independent parsers (json.loads; regexes for access and syslog,
checked field by field where the format has many fields; re with the document's own pattern for
regex; for format auto, the format the file's folder names, checked on a few fields), multiline
java and cri re-done on the lines (the Java rule and CRI's joining written again), filter with a Python predicate written by hand for each "where" used in configs/ (an
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
SYSLOG_FILE = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (\S+) ")
NGINX_ERROR = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] (\d+)#(\d+): ")


def java_continues(line):
    """Whether `line` continues the record before it under multiline "java"."""
    if not line:
        return False
    if line[0] in " \t":
        return True
    if "0" <= line[0] <= "9":
        return False
    if line[0] == ".":
        return re.match(r"\.\.\. \d+ more", line) is not None
    if line.startswith("Caused by:") or line.startswith("Suppressed:"):
        return True
    name = re.match(r"[A-Za-z0-9_$.]*", line).group(0)
    if not name or (len(line) > len(name) and line[len(name)] != ":"):
        return False
    dot = name.rfind(".")
    if dot <= 0 or dot + 1 == len(name) or "0" <= name[0] <= "9":
        return False
    return any(w in name[dot + 1:] for w in ("Exception", "Error", "Throwable"))


CRI = re.compile(rb"^(\S+) (stdout|stderr) ([FP])(?: (.*))?$", re.S)


def join_cri(lines):
    """The records of multiline "cri", as CRI lines (bytes): each stream's P lines up to its F
    line joined (the first part's time and stream, the messages concatenated), handed out at
    the F line; at the end, what is still open, first parts first, with tag P."""
    out, pending = [], {}
    for i, line in enumerate(lines):
        m = CRI.match(line)
        assert m, line
        time, stream_, tag, msg = m.group(1), m.group(2), m.group(3), m.group(4) or b""
        pending.setdefault(stream_, (i, time, stream_, []))[3].append(msg)
        if tag == b"F":
            _, first_time, _, parts = pending.pop(stream_)
            out.append(first_time + b" " + stream_ + b" F " + b"".join(parts))
    for _, first_time, stream_, parts in sorted(pending.values()):
        out.append(first_time + b" " + stream_ + b" P " + b"".join(parts))
    return out


def join_java(lines):
    """The records of multiline "java": (first line, [continuation lines]) per record."""
    records = []
    for line in lines:
        if records and java_continues(line):
            records[-1][1].append(line)
        else:
            records.append((line, []))
    return records


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


def parse(stage, text, path):
    """An independent parse: (record, exact) where exact says whether the whole record is known
    (else only the keys given are checked)."""
    fmt = stage.get("format", "auto")
    if fmt == "auto":
        # configs/server_logs.json: the corpus has one folder per format.
        fmt = next(f for f in ("syslog_file", "applog", "nginx_error") if f"/{f}/" in path)
    if fmt == "cri":
        m = re.fullmatch(r"(\S+) (stdout|stderr) ([FP])(?: (.*))?", text, re.S)
        assert m, text
        return {"time": m.group(1), "stream": m.group(2), "partial": m.group(3) == "P",
                "message": m.group(4) or ""}, True
    if fmt == "syslog_file":
        m = SYSLOG_FILE.match(text)
        assert m, text
        return {"host": m.group(1)}, False
    if fmt == "nginx_error":
        m = NGINX_ERROR.match(text)
        assert m, text
        # One spelling per level, as every parser writes them.
        level = {"warning": "warn", "err": "error", "crit": "critical",
                 "emerg": "emergency"}.get(m.group(1), m.group(1))
        return {"level": level, "pid": int(m.group(2)), "tid": int(m.group(3))}, False
    if fmt == "applog":
        # The continuation lines end the message ("message" holds them).
        first, rest = text.split("\n", 1) if "\n" in text else (text, None)
        return ({"_message_ends": "\n" + rest} if rest is not None else {}), False
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
        if stage.get("multiline") == "cri":
            for p in files:
                joined = join_cri([l[:limit] for l in per_file_lines[p]])
                assert all(len(r) < 1 << 20 for r in joined), "multiline_max_bytes: not modelled"
                out[p] = [({"_line": r.decode("utf-8", "latin1"), "_cut": False}, True)
                          for r in joined]
        elif stage.get("multiline", "none") != "none":
            assert stage["multiline"] == "java", f"no model for multiline {stage['multiline']}"
            for p in files:
                joined = []
                for first, rest in join_java([r["_line"] for r, _ in out[p]]):
                    assert len(rest) < 500, "multiline_max_lines is not modelled"
                    joined.append(({"_line": "\n".join([first] + rest), "_cut": False}, True))
                out[p] = joined
    else:
        up = stream(stage["input"])
        out = {}
        for p in files:
            recs = []
            for rec, exact in up[p]:
                if stage["type"] == "parse":
                    parsed, exact = parse(stage, rec["_line"], p)
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
                if k == "_message_ends":
                    assert g.get("message", "").endswith(v), (i, short(g), short(w))
                    continue
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

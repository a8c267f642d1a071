#!/usr/bin/env python3
"""grok against a second implementation.

Usage: grok_oracle.py GROK_TOOL GROK_PATTERNS_CC

Reads the standard definitions out of stages/grok_patterns.cc (the text between R"grok( and
)grok"), expands each test expression itself into a Python `re` pattern (bytes, so that \\w, \\s,
\\b and `.` are ASCII and byte-wise as in RE2 with Latin-1), matches a set of lines -- real
layouts from the software's documentation and random mutations of them -- and compares the
fields, their types and values, and the failures with what grok_tool (ringflow's GrokParser)
prints for the same lines. Exits 1 on any difference.

The expansion follows the rules of stages/grok.h, written independently: %{NAME} is the
definition in a non-capturing group, %{NAME:field[:int|float]} a capture; only the outermost
named captures are fields; `[a][b]` is the field `a.b`; a field captured in several places takes
the first that took part in the match.
"""

import json
import math
import random
import re
import subprocess
import sys

# One token of a regex: an escape, a character class, a named group's opening, a paren, a
# grok reference, or any other character.
TOKEN = re.compile(
    r"""(?P<escape>\\.)
      | (?P<cls>\[\^?\]?(?:\\.|\[:[a-z]+:\]|[^\]])*\])
      | \(\?P?<(?![=!])(?P<named>[^>]*)>
      | (?P<open>\()
      | (?P<close>\))
      | %\{(?P<ref>[^}]*)\}
      | (?P<other>.)""",
    re.X | re.S,
)
FIELD_DOTTED = re.compile(r"[A-Za-z0-9_@-]+(?:\.[A-Za-z0-9_@-]+)*")
FIELD_BRACKETS = re.compile(r"(?:\[[A-Za-z0-9_@-]+\])+")
INT_TEXT = re.compile(r"-?[0-9]+")
FLOAT_TEXT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def load_definitions(path):
    with open(path, encoding="ascii") as f:
        text = f.read()
    start = text.index('R"grok(\n') + len('R"grok(\n')
    end = text.index('\n)grok"', start)
    definitions = {}
    for line in text[start:end].split("\n"):
        if not line or line.startswith("#"):
            continue
        name, _, regex = line.partition(" ")
        definitions[name] = regex
    return definitions


def field_name(raw):
    if FIELD_BRACKETS.fullmatch(raw):
        return ".".join(re.findall(r"\[([^\]]*)\]", raw))
    if FIELD_DOTTED.fullmatch(raw):
        return raw
    raise ValueError("bad field name %r" % raw)


class Expansion:
    def __init__(self, definitions):
        self.definitions = definitions
        self.groups = []  # (python group name, field, type) in order

    def new_group(self, field, kind):
        name = "g%d" % len(self.groups)
        self.groups.append((name, field, kind))
        return "(?P<%s>" % name

    def expand(self, text, inside, stack):
        out = []
        fields_open = []  # per open paren in `text`: does it capture a field
        for m in TOKEN.finditer(text):
            kind = m.lastgroup
            if kind == "named":
                captures = not inside and not any(fields_open)
                fields_open.append(captures)
                out.append(self.new_group(field_name(m.group("named")), "string")
                           if captures else "(?:")
            elif kind == "open":
                fields_open.append(False)
                out.append("(")
            elif kind == "close":
                if fields_open:
                    fields_open.pop()
                out.append(")")
            elif kind == "ref":
                parts = m.group("ref").split(":")
                name = parts[0]
                if name in stack:
                    raise ValueError("cycle")
                captures = len(parts) > 1 and not inside and not any(fields_open)
                body = self.expand(self.definitions[name], inside or any(fields_open) or captures,
                                   stack + [name])
                if captures:
                    kind_name = parts[2] if len(parts) > 2 else "string"
                    out.append(self.new_group(field_name(parts[1]), kind_name) + body + ")")
                else:
                    out.append("(?:" + body + ")")
            else:
                out.append(m.group(0))
        return "".join(out)


def convert(kind, text):
    """The value of a typed capture, or None when it does not convert."""
    if kind == "string":
        return ("s", text)
    if text.startswith("+"):
        text = text[1:]
        if text.startswith(("+", "-")):
            return None
    if kind == "int":
        if not INT_TEXT.fullmatch(text):
            return None
        v = int(text)
        return ("i", v) if -(2**63) <= v < 2**63 else None
    if not FLOAT_TEXT.fullmatch(text):
        return None
    v = float(text)
    return ("d", v) if math.isfinite(v) else None


def oracle(rx, groups, line):
    m = rx.fullmatch(line.encode("latin-1"))
    if m is None:
        return {"ok": False, "error": "grok: no match"}
    # Fields in the order they first appear; each from the first of its groups that took part.
    order = []
    for _, field, _ in groups:
        if field not in order:
            order.append(field)
    fields = []
    for field in order:
        for name, f, kind in groups:
            if f != field or m.group(name) is None:
                continue
            value = convert(kind, m.group(name).decode("latin-1"))
            if value is None:
                what = "is not an integer" if kind == "int" else "is not a number"
                return {"ok": False, "error": 'grok: field "%s" %s' % (field, what)}
            fields.append([field, value[0], value[1]])
            break
    return {"ok": True, "fields": fields}


def ringflow(tool, expression, definitions, lines):
    args = [tool]
    for name, regex in definitions.items():
        args += ["-d", "%s=%s" % (name, regex)]
    args.append(expression)
    data = "".join(line + "\n" for line in lines).encode("latin-1")
    out = subprocess.run(args, input=data, capture_output=True, check=True).stdout
    out_lines = out.decode("ascii").split("\n")
    assert out_lines[0].startswith("pattern "), out_lines[0]
    return [json.loads(l) for l in out_lines[1:] if l]


MUTATION_BYTES = ' -.:/[]"\'a0Z9%@<>\t'


def mutations(line, rng, n):
    out = []
    for _ in range(n):
        s = list(line)
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(s)) if s else 0
            op = rng.randrange(4)
            if op == 0 and s:
                del s[i]
            elif op == 1:
                s.insert(i, rng.choice(MUTATION_BYTES))
            elif op == 2 and s:
                s[i] = rng.choice(MUTATION_BYTES)
            elif s:
                s.insert(i, s[i])
        out.append("".join(s))
    return out


APACHE = [
    # Apache httpd's documentation (Combined and Common Log Format).
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
    '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
    # nginx's default "combined".
    '192.168.1.10 - - [05/Dec/2026:21:27:01 +0000] "GET /index.html HTTP/1.1" 200 612 "-" '
    '"curl/8.5.0"',
    '2001:db8::7 - alice [05/Dec/2026:21:27:01 +0100] "POST /api/v1/items?id=3 HTTP/2.0" 304 - '
    '"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"',
    '203.0.113.9 - - [05/Dec/2026:21:27:01 +0000] "\\x16\\x03\\x01\\x00" 400 157 "-" "-"',
    'host.example.org - bob@example.org [31/Dec/2025:23:59:60 -0000] "HEAD / HTTP/1.1" 200 0 '
    '"-" "Go-http-client/1.1"',
]
COMMON = ['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
          '::1 - - [01/Jan/2026:00:00:00 +0000] "OPTIONS * HTTP/1.1" 200 -']
SYSLOG = [
    "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
    "Dec  1 07:01:02 web01 CRON[811]: (root) CMD (run-parts /etc/cron.hourly)",
    "Jun  3 12:00:00 host kernel: [   12.345678] usb 1-1: new high-speed USB device",
    "2026-12-05T21:27:01.123456+00:00 host systemd[1]: Started Session 4 of user root.",
    "Feb 29 23:59:59 10.0.0.5 dhclient[0]: DHCPACK of 10.0.0.5 from 10.0.0.1",
]
HTTPD_ERROR = [
    "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server "
    "configuration: /export/home/live/ap/htdocs/test",
    "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] "
    "[client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico",
    "[Wed Oct 11 14:32:52.123456 2000] [:warn] [pid 1] AH00558: httpd: Could not reliably "
    "determine the server's fully qualified domain name",
]
SYSLOG5424 = [
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for "
    "lonvick on /dev/pts/8",
    "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
    "the do-nuts.",
    '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 '
    'iut="3" eventSource="Application" eventID="1011"] An application event log entry',
]

CASES = [
    ("%{COMBINEDAPACHELOG}", {}, APACHE),
    ("%{COMMONAPACHELOG}", {}, COMMON + APACHE[:1]),
    ("%{SYSLOGLINE}", {}, SYSLOG),
    ("%{SYSLOGBASE} %{GREEDYDATA:message}", {}, SYSLOG),
    ("%{HTTPD_ERRORLOG}", {}, HTTPD_ERROR),
    ("%{SYSLOG5424LINE}", {}, SYSLOG5424),
    ("%{TIMESTAMP_ISO8601:time} %{LOGLEVEL:level} \\[%{DATA:thread}\\] %{JAVACLASS:logger}: "
     "%{GREEDYDATA:message}", {"JAVACLASS": r"(?:[a-zA-Z$_][a-zA-Z$_0-9]*\.)*[a-zA-Z$_][a-zA-Z$_0-9]*"},
     ["2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: "
      "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
      "2026-12-05T21:27:01.123Z WARN [pool-1-thread-3] com.example.Svc: slow (1200 ms)"]),
    ("%{IP:ip} %{HOSTNAME:host} %{EMAILADDRESS:mail} %{HOSTPORT:hp}", {},
     ["10.1.2.3 db-01.internal first.last+x@example.com example.com:8080",
      "fe80::1%eth0 localhost root@localhost 192.0.2.1:22",
      "::ffff:192.0.2.128 a.b.c. a@b [::1]:80"]),
    ("%{URI:uri} %{URIPATHPARAM:pp} %{PATH:path}", {},
     ["https://user:pw@example.com:8443/a/b.html?q=1&r=%20#top /search?q=grok /var/log/syslog",
      "ftp://192.0.2.1/pub /x C:\\Windows\\System32"]),
    ("%{INT:i:int} %{NUMBER:f:float} %{BASE16NUM:h} %{POSINT:p:int} %{NONNEGINT:z:int}", {},
     ["42 1.5 0xdeadBEEF 7 0", "+7 -0.25 ff 12 00", "-9223372036854775808 .5 -0x1 1 1",
      "9223372036854775808 1 1 1 1"]),
    ("%{UUID:uuid} %{MAC:mac} %{DATESTAMP:ds} %{TZ:tz} %{HTTPDATE:hd}", {},
     ["123e4567-e89b-12d3-a456-426614174000 00:1A:2b:3c:4D:5e 12/31/2026 23:59:59 PDT "
      "10/Oct/2000:13:55:36 -0700",
      "123E4567-E89B-12D3-A456-426614174000 001a.2b3c.4d5e 31.12.26-01:02:03 UTC "
      "1/M\xc3\xa4r/2026:00:00:00 +0100"]),
    ("%{QUOTEDSTRING:q} %{WORD:w} %{NOTSPACE:n}%{SPACE}%{DATA:d};%{GREEDYDATA:rest}", {},
     ['"say \\"hi\\"" word x\xff\x00y   data;rest', "'single' w n ;", "`b` w n d;;"]),
    ("(?:%{INT:v:int}|%{WORD:w} %{INT:v:int}) (?<outer>x(?<inner>y)%{INT:n})%{MYID:[id][code]}",
     {"MYID": "[A-Z]{2}-%{POSINT}"}, ["5 xy1AB-12", "abc 6 xy22ZZ-1", "abc 6 xy22zz-1"]),
]


def main():
    tool, patterns_cc = sys.argv[1], sys.argv[2]
    standard = load_definitions(patterns_cc)
    rng = random.Random(16)
    failures, total, matched = 0, 0, 0
    for expression, extra, seeds in CASES:
        definitions = dict(standard)
        definitions.update(extra)
        expansion = Expansion(definitions)
        rx = re.compile(expansion.expand(expression, False, []).encode("latin-1"))
        lines = list(seeds)
        for seed in seeds:
            lines += mutations(seed, rng, 60)
        want = [oracle(rx, expansion.groups, line) for line in lines]
        got = ringflow(tool, expression, extra, lines)
        if len(got) != len(lines):
            print("%s: %d lines in, %d out" % (expression, len(lines), len(got)))
            failures += 1
            continue
        seeds_ok = sum(1 for w in want[: len(seeds)] if w["ok"])
        if seeds_ok == 0:
            print("%s: none of the %d seed lines matches" % (expression, len(seeds)))
            failures += 1
        for line, w, g in zip(lines, want, got):
            total += 1
            matched += w["ok"]
            if w != g:
                failures += 1
                print("DIFF %s\n  line   %r\n  python %s\n  grok   %s" %
                      (expression, line, json.dumps(w), json.dumps(g)))
    print("grok_oracle: %d lines, %d matched, %d differences" % (total, matched, failures))
    if matched == 0 or matched == total:
        print("grok_oracle: the lines must both match and fail")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

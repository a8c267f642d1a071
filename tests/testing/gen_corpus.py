#!/usr/bin/env python3
"""gen_corpus.py: deterministic generator of log-file corpora for ringflow's tests and benchmarks.

Writes a directory of log files in three formats:
  access   nginx "combined" access-log lines
  json     NDJSON, one object per line (as structured loggers write; some UTF-8 text)
  syslog   RFC 3164 lines: "<PRI>Mmm dd hh:mm:ss host tag[pid]: message"

Layouts (they can be combined in one directory):
  --small N   N small files, each of an exact size drawn uniformly from --small-min..--small-max
  --large N   N large files of exactly --large-size bytes each (written in big writes from
              pre-generated chunks of lines, so 8 x 256M takes a few seconds)
  --edge      edge-case files in edge/: empty, no final newline, CRLF, UTF-8 BOM, a 5 MiB line,
              NUL bytes and invalid UTF-8, exactly 4096 / 1 MiB / 1 MiB+1 bytes, names with
              spaces and quotes, blank lines

File i of a layout goes to <fmt>/<i%7>/<i%31>/<s|l><i:07d>.log, fmt cycling over --formats.
Every regular file ends with a newline (except the edge cases that are about that), and each
file's size is exact (a size below one line gets a cut-down line). The same arguments and --seed give byte-identical output (file i depends
only on the seed, its format, its layout and i).

MANIFEST.tsv at the top lists every generated file, sorted by path in byte order
(as `LC_ALL=C sort`): header "path bytes lines format" (tab-separated), path relative to OUT.
"lines" is what a line reader yields: the number of '\\n' bytes, plus 1 if the file is not empty
and does not end in '\\n'. "format" is access, json, syslog, or raw (no format: empty file,
binary junk). MANIFEST.tsv is written last (atomically), so a directory without one is incomplete.

Sizes accept a binary suffix: 512, 16K, 256M, 1G (also 16KiB, 256MB: all powers of 1024).

Examples:
  gen_corpus.py corpus-small --small 20000
  gen_corpus.py corpus-large --large 8 --large-size 256M
  gen_corpus.py corpus-edge --edge --small 50 --seed 7

Python 3 standard library only.
"""
import argparse
import json
import os
import random
import sys
import time

FORMATS = ("access", "json", "syslog")
POOL_LINES = 8192          # distinct lines pre-generated per format
CHUNK_BYTES = 1 << 20      # large files are written from chunks of about this size
CHUNKS_PER_FORMAT = 16
WRITE_BATCH = 16           # chunks per os.writev call (16 MiB per write)
EPOCH = 1767225600         # 2026-01-01T00:00:00Z: all timestamps are after this

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
VERBS = ("GET",) * 10 + ("POST",) * 4 + ("PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")
ROUTES = ("/", "/favicon.ico", "/robots.txt", "/api/v2/items", "/api/v2/items/{n}",
          "/api/v2/cart/{n}/checkout", "/assets/main.{h}.css", "/assets/vendor.{h}.js",
          "/media/thumbs/{n}.webp", "/account/settings", "/search?q={w}&page={p}",
          "/blog/{y}/{w}-{w2}", "/status", "/wp-login.php", "/feed.xml")
WORDS = ("alpha", "bravo", "cobalt", "delta", "ember", "falcon", "granite", "harbor",
         "indigo", "juniper", "kepler", "lumen", "meridian", "nova", "orbit", "prism")
CODES = (200,) * 20 + (201, 204, 206, 301, 302, 304, 304, 400, 401, 403, 404, 404, 404,
                        408, 429, 500, 502, 503, 504)
UAS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
       "curl/8.11.0", "Wget/1.21.3", "okhttp/4.12.0", "Prometheus/2.55.0",
       "Googlebot/2.1 (+http://www.google.com/bot.html)")
REFERERS = ("-",) * 6 + ("https://www.example.com/", "https://search.example.org/?q=logs",
                         "https://news.example.net/item?id=4242")
LEVELS = ("debug", "info", "info", "info", "info", "warn", "warn", "error", "fatal")
SERVICES = ("checkout", "gateway", "billing", "search", "auth", "inventory", "notifier")
MESSAGES = ("request completed", "cache miss", "retrying upstream call", "user signed in",
            "payment authorised", "slow query", "connection reset by peer",
            "rate limit exceeded", "config reloaded", "queue depth high")
NAMES = ("alice", "bob", "José", "Zoë", "Łukasz", "Søren", "Ana María", "東京太郎", "Ελένη", "Дмитрий")
HOSTS = ("edge-01", "edge-02", "app-03", "app-04", "db-primary", "db-replica", "mq-01", "bastion")
TAGS = ("sshd", "CRON", "systemd", "kernel", "postfix/smtpd", "dhclient", "sudo", "nginx")
SYSMSG = ("Accepted publickey for deploy from 10.{a}.{b}.{c} port {p} ssh2",
          "pam_unix(cron:session): session opened for user root(uid=0)",
          "Started Daily apt download activities.",
          "EXT4-fs (vda): mounted filesystem with ordered data mode",
          "connect from unknown[192.0.2.{c}]",
          "DHCPACK of 10.{a}.{b}.{c} from 10.{a}.0.1",
          "deploy : TTY=pts/{b} ; PWD=/srv ; USER=root ; COMMAND=/usr/bin/systemctl restart app",
          "Failed password for invalid user admin from 198.51.100.{c} port {p} ssh2")
PAD_TEXT = " lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"


def parse_size(text):
    """'512', '16K', '256M', '1G', '16KiB', '256MB' -> bytes (powers of 1024)."""
    s = text.strip().upper()
    for suffix in ("IB", "B"):
        if s.endswith(suffix) and len(s) > len(suffix) and s[-len(suffix) - 1] in "KMG":
            s = s[: -len(suffix)]
            break
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:], 1)
    if mult != 1:
        s = s[:-1]
    try:
        value = int(float(s) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"negative size: {text!r}")
    return value


def padding(n):
    """n bytes of harmless ASCII text (no quotes, backslashes or control characters)."""
    reps = n // len(PAD_TEXT) + 1
    return (PAD_TEXT * reps)[:n]


# Each generator returns (head, tail): the line is head + tail, and a filler line that must hit
# an exact length is head + padding(k) + tail (the padding lands inside a free-text field).

def access_line(rng, t):
    tm = time.gmtime(EPOCH + t)
    ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    user = "-" if rng.random() < 0.9 else rng.choice(WORDS)
    route = rng.choice(ROUTES).format(n=rng.randint(1, 999999), h=f"{rng.getrandbits(32):08x}",
                                      w=rng.choice(WORDS), w2=rng.choice(WORDS),
                                      p=rng.randint(1, 40), y=2020 + rng.randint(0, 6))
    stamp = f"{tm.tm_mday:02d}/{MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000"
    code = rng.choice(CODES)
    size = 0 if code in (204, 304) else rng.randint(0, 250000)
    head = (f'{ip} - {user} [{stamp}] "{rng.choice(VERBS)} {route} HTTP/1.1" {code} {size} '
            f'"{rng.choice(REFERERS)}" "{rng.choice(UAS)}')
    return head, '"\n'


def json_line(rng, t):
    tm = time.gmtime(EPOCH + t)
    ms = rng.randint(0, 999)
    rec = {
        "ts": f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}.{ms:03d}Z",
        "level": rng.choice(LEVELS),
        "service": rng.choice(SERVICES),
        "trace": f"{rng.getrandbits(64):016x}",
        "user": {"name": rng.choice(NAMES), "id": rng.randint(1, 10**7)},
        "status": rng.choice(CODES),
        "dur_ms": round(rng.random() * 1500, 3),
        "msg": rng.choice(MESSAGES) + "@@PAD@@",
    }
    if rng.random() < 0.2:
        rec["tags"] = rng.sample(WORDS, rng.randint(1, 4))
    text = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
    head, tail = text.split("@@PAD@@")
    return head, tail + "\n"


def syslog_line(rng, t):
    tm = time.gmtime(EPOCH + t)
    pri = rng.randint(0, 23) * 8 + rng.choice((3, 4, 5, 6, 6, 6, 7))
    tag = rng.choice(TAGS)
    pid = "" if tag == "kernel" else f"[{rng.randint(2, 4194304)}]"
    msg = rng.choice(SYSMSG).format(a=rng.randint(0, 255), b=rng.randint(0, 255),
                                    c=rng.randint(1, 254), p=rng.randint(1024, 65535))
    head = (f"<{pri}>{MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} "
            f"{rng.choice(HOSTS)} {tag}{pid}: {msg}")
    return head, "\n"


GENERATORS = {"access": access_line, "json": json_line, "syslog": syslog_line}


class FormatData:
    """Per-format pool of encoded lines (and, lazily, ~1 MiB chunks of them for large files)."""

    def __init__(self, fmt, seed):
        self.fmt = fmt
        self.seed = seed
        rng = random.Random(f"ringflow-corpus:{seed}:{fmt}:pool")
        gen = GENERATORS[fmt]
        t = rng.randint(0, 300 * 86400)
        self.pool = []
        for _ in range(POOL_LINES):
            t += rng.randint(0, 3)
            head, tail = gen(rng, t)
            self.pool.append((head + tail).encode())
        self.maxline = max(len(line) for line in self.pool)
        # The last line of a file is stretched to hit the exact size; keep at least this many
        # bytes for it (longer than an unpadded line of this format).
        self.min_fill = self.maxline + 32
        self.chunks = None

    def get_chunks(self):
        if self.chunks is None:
            rng = random.Random(f"ringflow-corpus:{self.seed}:{self.fmt}:chunks")
            self.chunks = []
            for _ in range(CHUNKS_PER_FORMAT):
                lines, size = [], 0
                while size < CHUNK_BYTES:
                    line = self.pool[rng.randrange(POOL_LINES)]
                    lines.append(line)
                    size += len(line)
                self.chunks.append((b"".join(lines), len(lines)))
            self.maxchunk = max(len(c) for c, _ in self.chunks)
        return self.chunks

    def filler(self, rng, nbytes):
        """One line of exactly nbytes (newline included) if a line fits, else a cut-down line."""
        for _ in range(64):
            head, tail = GENERATORS[self.fmt](rng, rng.randint(0, 300 * 86400))
            head_b, tail_b = head.encode(), tail.encode()
            base = len(head_b) + len(tail_b)
            if nbytes >= base:
                return head_b + padding(nbytes - base).encode() + tail_b
        if nbytes == 0:
            return b""
        # Tiny target: cut the line short (keep whole UTF-8 characters), end with '\n'.
        cut = (head + tail[:-1]).encode()[: nbytes - 1].decode("utf-8", "ignore").encode()
        return cut + b" " * (nbytes - 1 - len(cut)) + b"\n"


def fill(data, rng, target, use_chunks=False):
    """Yields (parts, lines) batches: byte strings that add up to exactly `target` bytes."""
    parts, lines, rem = [], 0, target
    if use_chunks:
        chunks = data.get_chunks()
        while rem >= data.maxchunk + data.min_fill + data.maxline:
            chunk, n = chunks[rng.randrange(len(chunks))]
            parts.append(chunk)
            lines += n
            rem -= len(chunk)
            if len(parts) >= WRITE_BATCH:
                yield parts, lines
                parts, lines = [], 0
    while True:
        line = data.pool[rng.randrange(POOL_LINES)]
        if rem - len(line) < data.min_fill:
            break
        parts.append(line)
        lines += 1
        rem -= len(line)
    if rem > 0:
        parts.append(data.filler(rng, rem))
        lines += 1
    yield parts, lines


def write_parts(fd, parts):
    """os.writev in groups of at most IOV_MAX buffers, with retry on short writes."""
    for i in range(0, len(parts), 1024):
        group = parts[i:i + 1024]
        total = sum(len(p) for p in group)
        done = os.writev(fd, group)
        if done < total:
            rest = b"".join(group)[done:]
            while rest:
                rest = rest[os.write(fd, rest):]


def count_lines(blob):
    n = blob.count(b"\n")
    return n + (1 if blob and not blob.endswith(b"\n") else 0)


class Writer:
    def __init__(self, out, formats, seed):
        self.out = out
        self.formats = formats
        self.seed = seed
        self.data = {}
        self.rows = []
        self.made_dirs = set()

    def fmt_data(self, fmt):
        if fmt not in self.data:
            self.data[fmt] = FormatData(fmt, self.seed)
        return self.data[fmt]

    def open(self, rel):
        path = os.path.join(self.out, rel)
        d = os.path.dirname(path)
        if d not in self.made_dirs:
            os.makedirs(d, exist_ok=True)
            self.made_dirs.add(d)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)

    def write_generated(self, rel, fmt, rng, target, use_chunks):
        fd = self.open(rel)
        lines = 0
        try:
            for parts, n in fill(self.fmt_data(fmt), rng, target, use_chunks):
                write_parts(fd, parts)
                lines += n
        finally:
            os.close(fd)
        self.rows.append((rel, target, lines, fmt))

    def write_blob(self, rel, blob, fmt):
        fd = self.open(rel)
        try:
            write_parts(fd, [blob])
        finally:
            os.close(fd)
        self.rows.append((rel, len(blob), count_lines(blob), fmt))

    def layout(self, kind, count, size_of):
        for i in range(count):
            fmt = self.formats[i % len(self.formats)]
            rng = random.Random(f"ringflow-corpus:{self.seed}:{kind}:{fmt}:{i}")
            target = size_of(rng)
            rel = os.path.join(fmt, f"{i % 7:02d}", f"{i % 31:02d}", f"{kind}{i:07d}.log")
            self.write_generated(rel, fmt, rng, target, use_chunks=target > 4 * CHUNK_BYTES)

    def lines_bytes(self, fmt, rng, target):
        """Exactly `target` bytes of whole lines of `fmt` (in memory; for edge files)."""
        return b"".join(b"".join(p) for p, _ in fill(self.fmt_data(fmt), rng, target))

    def edge(self):
        rng = random.Random(f"ringflow-corpus:{self.seed}:edge")
        some = lambda fmt, n: self.lines_bytes(fmt, rng, n)  # noqa: E731
        e = lambda name: os.path.join("edge", name)  # noqa: E731
        self.write_blob(e("empty.log"), b"", "raw")
        self.write_blob(e("blank_lines.log"), b"\n" * 5 + some("syslog", 600) + b"\n\n", "syslog")
        self.write_blob(e("no_final_newline.log"), some("access", 3000)[:-1], "access")
        self.write_blob(e("single_line_no_newline.log"), some("json", 400)[:-1], "json")
        self.write_blob(e("crlf.log"), some("syslog", 4000).replace(b"\n", b"\r\n"), "syslog")
        self.write_blob(e("utf8_bom.log"), b"\xef\xbb\xbf" + some("json", 3000), "json")
        # One 5 MiB line (5 MiB of text, then '\n') between ordinary lines.
        long_line = padding(5 << 20).encode()
        self.write_blob(e("long_line_5MiB.log"),
                        some("access", 2000) + long_line + b"\n" + some("access", 2000), "access")
        junk = [b"plain text before\n",
                b"nul\x00in the\x00middle\n", b"\x00\x00\x00\x00\n",
                b"lone byte \xff and \xfe here\n",
                b"bad continuation \xc3\x28 and lone \x80\x81\n",
                b"overlong slash \xc0\xaf and surrogate \xed\xa0\x80\n",
                b"4-byte beyond U+10FFFF \xf4\x90\x80\x80\n",
                b"truncated at end of line \xe2\x82\n",
                b"valid after junk: caf\xc3\xa9 \xe2\x82\xac\n"]
        self.write_blob(e("nul_and_invalid_utf8.log"),
                        b"".join(junk) + some("syslog", 1000) + b"\x00tail without newline \xc3",
                        "raw")
        self.write_blob(e("exact_4096.log"), some("access", 4096), "access")
        self.write_blob(e("exact_1MiB.log"), some("json", 1 << 20), "json")
        self.write_blob(e("exact_1MiB_plus_1.log"), some("syslog", (1 << 20) + 1), "syslog")
        self.write_blob(e("name with spaces.log"), some("access", 1500), "access")
        self.write_blob(e("quotes 'single' and \"double\".log"), some("syslog", 1500), "syslog")

    def write_manifest(self):
        self.rows.sort(key=lambda r: os.fsencode(r[0]))
        tmp = os.path.join(self.out, ".MANIFEST.tsv.tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write("path\tbytes\tlines\tformat\n")
            for rel, size, lines, fmt in self.rows:
                f.write(f"{rel}\t{size}\t{lines}\t{fmt}\n")
        os.replace(tmp, os.path.join(self.out, "MANIFEST.tsv"))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="gen_corpus.py", description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", metavar="OUT", help="output directory (created if missing)")
    ap.add_argument("--small", type=int, default=0, metavar="N",
                    help="number of small files (default 0)")
    ap.add_argument("--small-min", type=parse_size, default=512, metavar="SIZE",
                    help="smallest small-file size in bytes, inclusive (default 512)")
    ap.add_argument("--small-max", type=parse_size, default=16384, metavar="SIZE",
                    help="largest small-file size in bytes, inclusive (default 16384)")
    ap.add_argument("--large", type=int, default=0, metavar="N",
                    help="number of large files (default 0)")
    ap.add_argument("--large-size", type=parse_size, default=256 << 20, metavar="SIZE",
                    help="exact size of each large file (default 256M)")
    ap.add_argument("--edge", action="store_true",
                    help="also write the edge-case files into OUT/edge/")
    ap.add_argument("--formats", default=",".join(FORMATS), metavar="LIST",
                    help="comma-separated formats to cycle through, from access,json,syslog "
                         "(default: all three)")
    ap.add_argument("--seed", type=int, default=1, metavar="N",
                    help="random seed; same seed + same arguments = same bytes (default 1)")
    ap.add_argument("--force", action="store_true",
                    help="write into OUT even if it is not empty (files are overwritten, "
                         "nothing is deleted; MANIFEST.tsv lists only this run's files)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    a = ap.parse_args(argv)

    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        ap.error(f"unknown format(s) {bad}; choose from {','.join(FORMATS)}")
    if a.small < 0 or a.large < 0:
        ap.error("--small and --large must be >= 0")
    if a.small_min > a.small_max:
        ap.error("--small-min is larger than --small-max")
    if not (a.small or a.large or a.edge):
        ap.error("nothing to do: give --small N, --large N and/or --edge")
    if os.path.isdir(a.out) and os.listdir(a.out) and not a.force:
        ap.error(f"{a.out} exists and is not empty (use --force to write into it anyway)")

    start = time.monotonic()
    os.makedirs(a.out, exist_ok=True)
    w = Writer(a.out, formats, a.seed)
    w.layout("s", a.small, lambda rng: rng.randint(a.small_min, a.small_max))
    w.layout("l", a.large, lambda rng: a.large_size)
    if a.edge:
        w.edge()
    w.write_manifest()
    if not a.quiet:
        total = sum(r[1] for r in w.rows)
        print(f"{len(w.rows)} files, {total} bytes in {a.out} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

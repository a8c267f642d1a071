#!/usr/bin/env python3
"""gen_corpus.py: deterministic generator of log-file corpora for ringflow's tests and benchmarks.

Writes a directory of log files in three formats by default:
  access   nginx "combined" access-log lines
  json     NDJSON, one object per line (as structured loggers write; some UTF-8 text)
  syslog   RFC 3164 lines: "<PRI>Mmm dd hh:mm:ss host tag[pid]: message"
and in these when --formats names them (the default output does not change with them):
  logfmt         logrus / go-kit: time=... level=... msg="..." key=value ...
  syslog_file    RFC 3164 as rsyslog writes files: no <PRI>, "kernel: [  12.345678] msg"
  syslog_hp      rsyslog's high-precision file format: "2026-12-05T21:27:01.123456+00:00 host ..."
  syslog_5424    RFC 5424: "<PRI>1 TIME HOST APP PROCID MSGID SD MSG"
  apache_error   httpd 2.4 (module:level, pid:tid, client, AHnnnnn, referer) and 2.2 lines
  nginx_error    "yyyy/mm/dd hh:mm:ss [level] pid#tid: *cid msg, client: ..., request: ..."
  applog         application logs, each line in one of the layouts below, chosen per line:
  applog_log4j   log4j/logback "TIME LEVEL [thread] logger: msg" and its usual variations
  applog_spring  Spring Boot 3 "TIME  LEVEL pid --- [app] [thread] logger : msg"
  applog_python  Python logging "TIME - name - LEVEL - msg"
  applog_go      Go's log "yyyy/mm/dd hh:mm:ss[.us] [file.go:N: ][LEVEL ]msg"
  applog_zap     zap's console encoder, tab-separated
  applog_rails   Ruby's Logger "I, [TIME #pid]  INFO -- prog: msg"
  applog_hadoop  Hadoop/Spark "yy/MM/dd HH:mm:ss LEVEL logger: msg" and HDFS "yyMMdd HHmmss pid ..."
  logcat         Android logcat -v threadtime
  glog           glog and klog "Lmmdd hh:mm:ss.uuuuuu THREADID file:line] msg"
  cri            Kubernetes CRI "TIME stdout|stderr F|P msg" (RFC3339Nano, trailing zeros dropped)
  docker         Docker json-file {"log":"...\\n","stream":...,"time":...} with Go's escapes

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
and does not end in '\\n'. "format" is the parse format of the file's lines (access, json,
syslog, ...: a variant's format, syslog for syslog_hp, applog for applog_zap), or raw (no format:
empty file, binary junk). MANIFEST.tsv is written last (atomically), so a directory without one is incomplete.

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


# Generators of the formats that only --formats asks for (never part of the default output).
# Each writes one layout as the software itself writes it; times step through the same range.

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CLIENT_ROUTES = ("/favicon.ico", "/wp-login.php", "/cgi-bin/test.cgi", "/api/v2/items/{n}",
                 "/.env", "/admin/config.php", "/images/{n}.png", "/server-status")


def _ip(rng):
    return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _route(rng):
    return rng.choice(CLIENT_ROUTES).format(n=rng.randint(1, 99999))


def _ymd_hms(tm, dsep="-", sep=" "):
    return (f"{tm.tm_year}{dsep}{tm.tm_mon:02d}{dsep}{tm.tm_mday:02d}{sep}"
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}")


def _nano_trimmed(rng):
    """A fraction as Go's time.RFC3339Nano writes it: trailing zeros dropped, none for zero."""
    ns = rng.randint(0, 999999999)
    if rng.random() < 0.1:  # whole milliseconds, or a whole second
        ns = rng.choice((rng.randint(0, 999) * 1000000, 0))
    digits = f"{ns:09d}".rstrip("0")
    return "." + digits if digits else ""


APACHE24 = (  # (module, level, has_client, text); {r} a route, {n} a number
    ("core", "error", True, "AH00128: File does not exist: /var/www/html{r}"),
    ("authz_core", "error", True, "AH01630: client denied by server configuration: /var/www/html{r}"),
    ("php", "error", True, "PHP Warning:  Undefined variable $user in /var/www/html/index.php on line {n}"),
    ("", "error", True, "PHP Notice:  Trying to access array offset on value of type null in /srv/app.php on line {n}"),
    ("proxy", "error", True, "(111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (127.0.0.1) failed"),
    ("proxy_http", "error", True, "(70007)The timeout specified has expired: AH01102: error reading status line from remote server 127.0.0.1:8080"),
    ("ssl", "warn", False, "AH01909: www.example.com:443:0 server certificate does NOT include an ID which matches the server name"),
    ("mpm_event", "notice", False, "AH00489: Apache/2.4.62 (Debian) OpenSSL/3.0.15 configured -- resuming normal operations"),
    ("core", "notice", False, "AH00094: Command line: '/usr/sbin/apache2'"),
    ("mpm_event", "notice", False, "AH00492: caught SIGWINCH, shutting down gracefully"),
    ("core", "crit", True, "(13)Permission denied: AH00529: /srv/www/.htaccess pcfg_openfile: unable to check htaccess file"),
    ("cgi", "error", True, "AH01215: stderr from /usr/lib/cgi-bin/test.cgi: Use of uninitialized value"),
    ("authz_core", "debug", True, "mod_authz_core.c(820): AH01626: authorization result of Require all granted: granted"),
    ("ssl", "info", True, "AH01964: Connection to child {n} established (server www.example.com:443)"),
    ("rewrite", "trace3", True, "mod_rewrite.c(483): applying pattern '^/old/(.*)$' to uri '{r}'"),
)
APACHE22 = (("error", True, "File does not exist: /var/www/html{r}"),
            ("error", True, "client denied by server configuration: /var/www/html{r}"),
            ("notice", False, "Apache/2.2.22 (Ubuntu) configured -- resuming normal operations"),
            ("notice", False, "caught SIGTERM, shutting down"),
            ("warn", False, "RSA server certificate CommonName (CN) `localhost' does NOT match server name!?"),
            ("error", True, "(13)Permission denied: access to {r} denied"),
            ("crit", True, "(13)Permission denied: /home/user/public_html/.htaccess pcfg_openfile: unable to check htaccess file"))


def apache_error_line(rng, t):
    tm = time.gmtime(EPOCH + t)
    day = f"{WEEKDAYS[tm.tm_wday]} {MONTHS[tm.tm_mon - 1]} {tm.tm_mday:02d}"
    hms = f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
    r, n = _route(rng), rng.randint(1, 9999)
    if rng.random() < 0.8:  # 2.4
        module, level, client, text = rng.choice(APACHE24)
        head = f"[{day} {hms}.{rng.randint(0, 999999):06d} {tm.tm_year}] [{module}:{level}] "
        pid = rng.randint(100, 4194304)
        head += (f"[pid {pid}:tid {rng.randint(1 << 44, 1 << 47)}] " if rng.random() < 0.7
                 else f"[pid {pid}] ")
        text = text.format(r=r, n=n)
        if client and "[client" not in text:
            addr = f"[client {_ip(rng)}:{rng.randint(1024, 65535)}] "
            if text.startswith("mod_") or text.startswith("("):  # after "file(line): "/status
                cut = text.index(": ") + 2
                text = text[:cut] + addr + text[cut:]
            else:
                text = addr + text
        tail = ", referer: https://www.example.com/" if client and rng.random() < 0.25 else ""
    else:  # 2.2
        level, client, text = rng.choice(APACHE22)
        head = f"[{day} {hms} {tm.tm_year}] [{level}] "
        if client:
            head += f"[client {_ip(rng)}] "
        text = text.format(r=r, n=n)
        tail = ""
    return head + text, tail + "\n"


NGINX_ERRORS = (
    ("error", True, 'open() "/usr/share/nginx/html{r}" failed (2: No such file or directory)'),
    ("error", True, 'upstream timed out (110: Connection timed out) while reading response header from upstream'),
    ("error", True, 'connect() failed (111: Connection refused) while connecting to upstream'),
    ("warn", True, 'an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{d}/00/00000000{d} while reading upstream'),
    ("error", True, 'recv() failed (104: Connection reset by peer) while reading response header from upstream'),
    ("crit", True, 'SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking'),
    ("error", True, 'access forbidden by rule'),
    ("info", True, 'client closed keepalive connection'),
    ("warn", False, 'conflicting server name "example.com" on 0.0.0.0:80, ignored'),
    ("notice", False, 'signal process started'),
    ("notice", False, 'using the "epoll" event method'),
    ("notice", False, 'start worker process {n}'),
    ("emerg", False, 'bind() to 0.0.0.0:80 failed (98: Address already in use)'),
    ("alert", False, 'worker process {n} exited on signal 9'),
)


def nginx_error_line(rng, t):
    tm = time.gmtime(EPOCH + t)
    level, http, text = rng.choice(NGINX_ERRORS)
    pid = rng.randint(1, 65535)
    head = f"{_ymd_hms(tm, '/')} [{level}] {pid}#{rng.choice((0, 0, 0, pid))}: "
    text = text.format(r=_route(rng), n=rng.randint(1, 65535), d=rng.randint(0, 9))
    if not http:
        return head + text, "\n"
    head += f"*{rng.randint(1, 10 ** 7)} " + text
    verb, route = rng.choice(VERBS), _route(rng)
    tail = f', client: {_ip(rng)}, server: {rng.choice(("example.com", "api.example.com", "_"))}'
    tail += f', request: "{verb} {route} HTTP/1.1"'
    if "upstream" in text and "buffered" not in text:
        tail += f', upstream: "http://127.0.0.1:{rng.choice((8080, 3000, 9000))}{route}"'
    if rng.random() < 0.8:
        tail += ', host: "example.com"'
    if rng.random() < 0.2:
        tail += ', referrer: "https://www.example.com/"'
    return head, tail + "\n"


JAVA_THREADS = ("main", "http-nio-8080-exec-{n}", "pool-2-thread-{n}", "kafka-producer-network-thread",
                "scheduling-1", "ForkJoinPool.commonPool-worker-{n}", "IPC Server handler {n} on 8020")
JAVA_LOGGERS = ("org.apache.hadoop.mapreduce.v2.app.MRAppMaster", "com.example.orders.OrderService",
                "org.springframework.web.servlet.DispatcherServlet", "o.a.k.clients.NetworkClient",
                "org.hibernate.SQL", "com.zaxxer.hikari.HikariPool", "org.apache.zookeeper.ClientCnxn")
APP_MESSAGES = ("Created MRAppMaster for application appattempt_1445144423722_0020_000001",
                "Completed initialization in {n} ms", "HikariPool-1 - Start completed.",
                "Order {n} placed by user {w}", "Retrying request to http://inventory:8080/api/items/{n}",
                "Connection to node -1 (localhost/127.0.0.1:9092) could not be established.",
                "Session 0x{h} for server zk-1/10.0.0.{b}:2181, closing socket connection",
                "Cache miss for key user:{n}", "Slow query took {n} ms: SELECT * FROM orders WHERE id = ?",
                "Failed to process message {h}: java.lang.IllegalStateException: queue full",
                "Processing request GET /api/v2/items/{n} from 10.0.0.{b}",
                "Timeout waiting for lock \"orders-{n}\" after 30000 ms")
JAVA_LEVELS = ("INFO",) * 8 + ("DEBUG", "DEBUG", "WARN", "WARN", "ERROR", "TRACE")
PY_LEVELS = ("INFO",) * 8 + ("DEBUG", "DEBUG", "WARNING", "WARNING", "ERROR", "CRITICAL")


def _app_msg(rng):
    return rng.choice(APP_MESSAGES).format(n=rng.randint(1, 99999), w=rng.choice(WORDS),
                                           h=f"{rng.getrandbits(48):012x}", b=rng.randint(1, 254))


def _thread(rng):
    return rng.choice(JAVA_THREADS).format(n=rng.randint(1, 64))


def applog_log4j_line(rng, t):
    """log4j/logback: "TIME LEVEL [thread] logger: msg" and its common variations."""
    tm = time.gmtime(EPOCH + t)
    ms = rng.randint(0, 999)
    stamp = _ymd_hms(tm, "-", rng.choice((" ", " ", "T"))) + rng.choice((",", ".")) + f"{ms:03d}"
    level, thread, logger = rng.choice(JAVA_LEVELS), _thread(rng), rng.choice(JAVA_LOGGERS)
    v = rng.randrange(4)
    if v == 0:
        head = f"{stamp} {level} [{thread}] {logger}: "
    elif v == 1:
        head = f"{stamp} [{thread}] {level:<5} {logger} - "
    elif v == 2:
        head = f"{stamp} {level:<5} [{thread}] {logger} - "
    else:
        head = f"{stamp} [{level}] {logger}: "
    return head + _app_msg(rng), "\n"


def applog_spring_line(rng, t):
    """Spring Boot 3: "TIME  LEVEL PID --- [app] [thread] logger : msg" (padded columns)."""
    tm = time.gmtime(EPOCH + t)
    stamp = f"{_ymd_hms(tm, '-', 'T')}.{rng.randint(0, 999):03d}{rng.choice(('Z', '+00:00', '+01:00', '-05:00'))}"
    level = rng.choice(JAVA_LEVELS)
    logger = rng.choice(("o.s.b.w.embedded.tomcat.TomcatWebServer", "c.e.orders.OrderController",
                         "o.s.web.servlet.DispatcherServlet", "com.zaxxer.hikari.HikariDataSource"))
    app = "[orders-service] " if rng.random() < 0.5 else ""
    head = (f"{stamp} {level:>5} {rng.randint(1, 99999)} --- {app}[{_thread(rng)[:15]:>15}] "
            f"{logger:<40} : ")
    return head + _app_msg(rng), "\n"


def applog_python_line(rng, t):
    """Python logging: "%(asctime)s - %(name)s - %(levelname)s - %(message)s"."""
    tm = time.gmtime(EPOCH + t)
    stamp = f"{_ymd_hms(tm)},{rng.randint(0, 999):03d}"
    name = rng.choice(("root", "urllib3.connectionpool", "celery.worker", "django.request", "app.api"))
    if rng.random() < 0.8:
        head = f"{stamp} - {name} - {rng.choice(PY_LEVELS)} - "
    else:
        head = f"{stamp} - {rng.choice(PY_LEVELS)} - "
    return head + _app_msg(rng), "\n"


def applog_go_line(rng, t):
    """Go's log: "yyyy/mm/dd hh:mm:ss[.micro] [file.go:N: ]msg", and slog through log."""
    tm = time.gmtime(EPOCH + t)
    head = _ymd_hms(tm, "/")
    if rng.random() < 0.4:
        head += f".{rng.randint(0, 999999):06d}"
    head += " "
    if rng.random() < 0.4:
        head += f"{rng.choice(('main.go', 'server.go', 'handler.go', 'db.go'))}:{rng.randint(1, 900)}: "
    if rng.random() < 0.3:
        head += rng.choice(("INFO", "INFO", "WARN", "ERROR", "DEBUG")) + " "
    return head + _app_msg(rng), "\n"


def applog_zap_line(rng, t):
    """zap's development console encoder: "TIME\\tLEVEL\\tlogger\\tcaller\\tmsg"."""
    tm = time.gmtime(EPOCH + t)
    stamp = f"{_ymd_hms(tm, '-', 'T')}.{rng.randint(0, 999):03d}Z"
    level = rng.choice(("INFO",) * 6 + ("DEBUG", "WARN", "ERROR", "DPANIC"))
    head = f"{stamp}\t{level}\t"
    if rng.random() < 0.5:
        head += rng.choice(("server", "db", "grpc.server")) + "\t"
    head += f"{rng.choice(('cmd/main.go', 'internal/api/handler.go', 'pkg/db/pool.go'))}:{rng.randint(1, 900)}\t"
    return head + _app_msg(rng), "\n"


def applog_rails_line(rng, t):
    """Ruby's Logger (Rails): "L, [yyyy-mm-ddThh:mm:ss.ffffff #pid]  LEVEL -- progname: msg"."""
    tm = time.gmtime(EPOCH + t)
    level = rng.choice(("INFO",) * 6 + ("DEBUG", "WARN", "ERROR", "FATAL"))
    prog = rng.choice(("", "", "", "ActionController", "Sidekiq"))
    head = (f"{level[0]}, [{_ymd_hms(tm, '-', 'T')}.{rng.randint(0, 999999):06d} "
            f"#{rng.randint(1, 99999)}] {level:>5} -- {prog}: ")
    msg = rng.choice(('Started GET "/api/v2/items/{n}" for 10.0.0.{b} at {ts}',
                      "Completed 200 OK in {n}ms (Views: 1.2ms | ActiveRecord: 3.4ms)",
                      "Processing by ItemsController#show as JSON",
                      '  Parameters: {{"id"=>"{n}"}}')).format(
        n=rng.randint(1, 9999), b=rng.randint(1, 254), ts=_ymd_hms(tm) + " +0000")
    return head + msg, "\n"


def applog_hadoop_line(rng, t):
    """Hadoop/Spark's "yy/MM/dd HH:mm:ss LEVEL logger: msg" and HDFS's "yyMMdd HHmmss pid ..."."""
    tm = time.gmtime(EPOCH + t)
    yy, level, logger = tm.tm_year % 100, rng.choice(JAVA_LEVELS), rng.choice(JAVA_LOGGERS)
    if rng.random() < 0.6:
        head = (f"{yy:02d}/{tm.tm_mon:02d}/{tm.tm_mday:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}:"
                f"{tm.tm_sec:02d} {level} {logger}: ")
    else:
        head = (f"{yy:02d}{tm.tm_mon:02d}{tm.tm_mday:02d} {tm.tm_hour:02d}{tm.tm_min:02d}"
                f"{tm.tm_sec:02d} {rng.randint(1, 9999)} {level} dfs.DataNode$PacketResponder: ")
    return head + _app_msg(rng), "\n"


APPLOG_LAYOUTS = (applog_log4j_line, applog_spring_line, applog_python_line, applog_go_line,
                  applog_zap_line, applog_rails_line, applog_hadoop_line)


def applog_line(rng, t):
    """One of the applog layouts, chosen per line."""
    return rng.choice(APPLOG_LAYOUTS)(rng, t)


LOGCAT_TAGS = (("ActivityManager", "Start proc {n}:com.example.app/u0a{b} for activity"),
               ("WindowManager", "Changing focus from Window{{{h} u0 StatusBar}} to null"),
               ("chatty", "uid=1000(system) Binder:{n}_2 identical {b} lines"),
               ("Zygote", "Process {n} exited due to signal 9 (Killed)"),
               ("OkHttp", "--> GET https://api.example.com/v1/items/{n}"),
               ("AndroidRuntime", "FATAL EXCEPTION: main"),
               ("DEBUG", "pid: {n}, tid: {n}, name: RenderThread  >>> com.example.app <<<"),
               ("System.out", "onResume called {b} times"),
               ("wpa_supplicant", "wlan0: CTRL-EVENT-SCAN-RESULTS"),
               ("BatteryService", "level:{b}, scale:100, status:2, health:2"))


def logcat_line(rng, t):
    """Android logcat -v threadtime: "MM-DD hh:mm:ss.mmm  PID  TID L TAG     : msg"."""
    tm = time.gmtime(EPOCH + t)
    tag, msg = rng.choice(LOGCAT_TAGS)
    level = rng.choice("VDDDIIIIIIWWEF")
    pid = rng.randint(1, 32767)
    tid = pid if rng.random() < 0.4 else rng.randint(1, 32767)
    head = (f"{tm.tm_mon:02d}-{tm.tm_mday:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}."
            f"{rng.randint(0, 999):03d} {pid:5d} {tid:5d} {level} {tag:<8}: ")
    msg = msg.format(n=rng.randint(1, 32767), b=rng.randint(0, 100), h=f"{rng.getrandbits(28):07x}")
    return head + msg, "\n"


GLOG_SITES = (("main.cc", "Starting server on port 8080"), ("rpc_server.cc", "Handled {n} requests"),
              ("controller.go", "Successfully synced \"default/web-{n}\""),
              ("reflector.go", "Watch close - *v1.Pod total {n} items received"),
              ("kubelet.go", "SyncLoop (PLEG): event for pod \"web-{n}_default\""),
              ("leaderelection.go", "failed to renew lease kube-system/kube-controller-manager: timed out"),
              ("db.cc", "Compaction took {n} ms"))


def glog_line(rng, t):
    """glog / klog: "Lmmdd hh:mm:ss.uuuuuu THREADID file:line] msg"."""
    tm = time.gmtime(EPOCH + t)
    site, msg = rng.choice(GLOG_SITES)
    width = 7 if site.endswith(".go") else 5
    head = (f"{rng.choice('IIIIIIIWWEF')}{tm.tm_mon:02d}{tm.tm_mday:02d} {tm.tm_hour:02d}:"
            f"{tm.tm_min:02d}:{tm.tm_sec:02d}.{rng.randint(0, 999999):06d} "
            f"{rng.randint(1, 4194304):>{width}d} {site}:{rng.randint(1, 2000)}] ")
    return head + msg.format(n=rng.randint(1, 99999)), "\n"


def _container_output(rng, t):
    """What a container writes on one line: a log line of one of the layouts, or a plain one."""
    if rng.random() < 0.5:
        head, _ = rng.choice((applog_zap_line, applog_go_line, applog_log4j_line))(rng, t)
        return head
    return rng.choice(("Listening on :8080", "GET /healthz 200 0.4ms", _app_msg(rng),
                       'level=info msg="reconciled" object="default/web" dur=12ms'))


def cri_line(rng, t):
    """Kubernetes CRI: "TIME STREAM F|P msg", TIME as Go's RFC3339Nano (trailing zeros dropped)."""
    tm = time.gmtime(EPOCH + t)
    stamp = _ymd_hms(tm, "-", "T") + _nano_trimmed(rng) + "Z"
    stream = "stdout" if rng.random() < 0.8 else "stderr"
    tag = "P" if rng.random() < 0.05 else "F"
    return f"{stamp} {stream} {tag} " + _container_output(rng, t), "\n"


def _go_json_string(text):
    """A JSON string body as Docker's log driver escapes it (<, >, & as \\u003c.. like Go)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch in "<>&" or ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def docker_line(rng, t):
    """Docker json-file: {"log":"msg\\n","stream":"stdout"[,"attrs":{..}],"time":"...9 digits Z"}."""
    tm = time.gmtime(EPOCH + t)
    stamp = f"{_ymd_hms(tm, '-', 'T')}.{rng.randint(0, 999999999):09d}Z"
    r = rng.random()
    if r < 0.1:  # ANSI colours, as many tools write to a terminal-less stdout
        msg = f"\x1b[32mINFO\x1b[0m[{rng.randint(0, 9999):04d}] " + _app_msg(rng)
    elif r < 0.2:
        msg = json.dumps({"level": rng.choice(LEVELS), "msg": rng.choice(MESSAGES),
                          "user": rng.choice(NAMES)}, ensure_ascii=False)
    elif r < 0.25:
        msg = f'<a href="/items?id={rng.randint(1, 99)}&sort=asc">C:\\temp\\{rng.choice(WORDS)}</a>'
    else:
        msg = _container_output(rng, t)
    head = '{"log":"' + _go_json_string(msg)
    stream = "stdout" if rng.random() < 0.8 else "stderr"
    attrs = (f',"attrs":{{"tag":"{rng.choice(SERVICES)}"}}' if rng.random() < 0.1 else "")
    return head, f'\\n","stream":"{stream}"{attrs},"time":"{stamp}"}}\n'


SYSLOG_FILE_TAGS = ("sshd", "CRON", "systemd", "systemd-logind", "postfix/smtpd", "dbus-daemon",
                    "(sd-pam)", "org.gnome.Shell.desktop", "NetworkManager", "sudo", "su",
                    "rsyslogd", "dhclient")
KERNEL_MSGS = ("[UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:{b:02x}:00:01 SRC=198.51.100.{c} DST=10.0.0.{b} PROTO=TCP SPT={p} DPT=22",
               "EXT4-fs (vda1): re-mounted. Opts: errors=remount-ro",
               "Out of memory: Killed process {p} (java) total-vm:8123456kB",
               "usb 1-1: new high-speed USB device number {b} using xhci_hcd")


def _bsd_body(rng):
    tag = rng.choice(SYSLOG_FILE_TAGS + ("kernel",))
    fill = dict(a=rng.randint(0, 255), b=rng.randint(0, 255), c=rng.randint(1, 254),
                p=rng.randint(1024, 65535))
    if tag == "kernel":
        up = f"{rng.randint(0, 999999):5d}.{rng.randint(0, 999999):06d}"  # printk's "[%5lu.%06lu]"
        return f"{rng.choice(HOSTS)} kernel: [{up}] " + rng.choice(KERNEL_MSGS).format(**fill)
    return (f"{rng.choice(HOSTS)} {tag}[{rng.randint(2, 4194304)}]: "
            + rng.choice(SYSMSG).format(**fill))


def syslog_file_line(rng, t):
    """RFC 3164 as rsyslog writes /var/log/syslog: no <PRI>, the day padded with a space."""
    tm = time.gmtime(EPOCH + t)
    return (f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}:"
            f"{tm.tm_sec:02d} " + _bsd_body(rng)), "\n"


def syslog_hp_line(rng, t):
    """rsyslog's high-precision file format (Debian's default): RFC 3339 time, then as 3164."""
    tm = time.gmtime(EPOCH + t)
    return (f"{_ymd_hms(tm, '-', 'T')}.{rng.randint(0, 999999):06d}"
            f"{rng.choice(('+00:00', '+00:00', '+01:00', '-05:00'))} " + _bsd_body(rng)), "\n"


def syslog5424_line(rng, t):
    """RFC 5424: "<PRI>1 TIME HOST APP PROCID MSGID SD MSG"."""
    tm = time.gmtime(EPOCH + t)
    pri = rng.randint(0, 23) * 8 + rng.randint(0, 7)
    app = rng.choice(("sshd", "nginx", "app", "-"))
    procid = rng.choice((str(rng.randint(2, 99999)), "-", "worker-3"))
    msgid = rng.choice(("-", "ID47", "audit"))
    sd = rng.choice(("-", "-", f'[exampleSDID@32473 iut="{rng.randint(1, 9)}" eventSource="Application"]',
                     '[meta sequenceId="29"][origin ip="192.0.2.1"]'))
    head = (f"<{pri}>1 {_ymd_hms(tm, '-', 'T')}.{rng.randint(0, 999):03d}Z {rng.choice(HOSTS)} "
            f"{app} {procid} {msgid} {sd} ")
    return head + rng.choice(MESSAGES), "\n"


def logfmt_line(rng, t):
    """logfmt as logrus / go-kit write it: time=... level=... msg="..." key=value ..."""
    tm = time.gmtime(EPOCH + t)
    head = (f"time={_ymd_hms(tm, '-', 'T')}.{rng.randint(0, 999):03d}Z level={rng.choice(LEVELS)} "
            f'msg="{rng.choice(MESSAGES)}')
    tail = (f'" service={rng.choice(SERVICES)} method={rng.choice(VERBS)} path={_route(rng)} '
            f"status={rng.choice(CODES)} duration_ms={rng.random() * 900:.3f} "
            f"trace_id={rng.getrandbits(64):016x}")
    if rng.random() < 0.2:
        tail += f' user="{rng.choice(NAMES)}" err="dial tcp 10.0.0.{rng.randint(1, 254)}:5432: \\"refused\\""'
    if rng.random() < 0.1:
        tail += " retry"
    return head, tail + "\n"

GENERATORS = {"access": access_line, "json": json_line, "syslog": syslog_line,
              "logfmt": logfmt_line, "syslog_file": syslog_file_line, "syslog_hp": syslog_hp_line,
              "syslog_5424": syslog5424_line, "apache_error": apache_error_line,
              "nginx_error": nginx_error_line, "applog": applog_line,
              "applog_log4j": applog_log4j_line, "applog_spring": applog_spring_line,
              "applog_python": applog_python_line, "applog_go": applog_go_line,
              "applog_zap": applog_zap_line, "applog_rails": applog_rails_line,
              "applog_hadoop": applog_hadoop_line, "logcat": logcat_line, "glog": glog_line,
              "cri": cri_line, "docker": docker_line}


def manifest_format(fmt):
    """The parse format a generator's lines are in: its name up to the first '_' for the
    variants of one format (syslog_file -> syslog, applog_zap -> applog), else the name."""
    return fmt if fmt in ("apache_error", "nginx_error") else fmt.split("_")[0]


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
        self.rows.append((rel, target, lines, manifest_format(fmt)))

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
                    help="comma-separated formats to cycle through (default: access,json,syslog; "
                         "the others are listed above)")
    ap.add_argument("--seed", type=int, default=1, metavar="N",
                    help="random seed; same seed + same arguments = same bytes (default 1)")
    ap.add_argument("--force", action="store_true",
                    help="write into OUT even if it is not empty (files are overwritten, "
                         "nothing is deleted; MANIFEST.tsv lists only this run's files)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    a = ap.parse_args(argv)

    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in GENERATORS]
    if bad or not formats:
        ap.error(f"unknown format(s) {bad}; choose from {','.join(GENERATORS)}")
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

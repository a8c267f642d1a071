// Tests for the parsers of the logs servers write: apache_error, nginx_error, logcat and glog.
// Lines in the layouts the software's own documentation and sources show, the odd corners
// (optional parts, padding, trailing spaces), impossible dates and truncated lines as errors, and
// every format's lines failing every other format's parser, so that detection can tell them apart.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "framework/core/calendar.h"
#include "framework/flow/record.h"
#include "stages/log_time.h"
#include "stages/parse_apache_error.h"
#include "stages/parse_glog.h"
#include "stages/parse_logcat.h"
#include "stages/parse_nginx_error.h"
#include "tests/testing/parse_test_util.h"

namespace ringflow::stages {
namespace {

using testing::Fields;
using testing::Parsed;
using testing::Strings;

using ParseFn = bool (*)(std::string_view, flow::Record&, flow::Arena&, const TimeContext&);

TimeContext FixedYear(int year) {
  TimeContext context;
  context.fixed_year = year;
  return context;
}

// Parses `line` with `parse` and checks what every parser promises: raw is the line, ok()
// agrees with the result, and a failed record has a reason and no fields.
Parsed ParseWith(ParseFn parse, std::string_view line, const TimeContext& time = FixedYear(2026)) {
  flow::Record r;
  flow::Arena arena;
  r.fields.push_back({"stale", flow::Value::Int(1)});  // must be cleared
  const bool ok = parse(line, r, arena, time);
  EXPECT_EQ(r.raw.data(), line.data());
  EXPECT_EQ(r.raw.size(), line.size());
  EXPECT_EQ(ok, r.ok());
  if (!ok) {
    EXPECT_TRUE(r.fields.empty()) << "fields left on a failed record";
    EXPECT_FALSE(r.error.empty());
  }
  return {ok, Fields(r), std::string(r.error)};
}

Parsed Apache(std::string_view line, const TimeContext& time = FixedYear(2026)) {
  return ParseWith(ParseApacheErrorLine, line, time);
}
Parsed Nginx(std::string_view line, const TimeContext& time = FixedYear(2026)) {
  return ParseWith(ParseNginxErrorLine, line, time);
}
Parsed Logcat(std::string_view line, const TimeContext& time = FixedYear(2026)) {
  return ParseWith(ParseLogcatLine, line, time);
}
Parsed Glog(std::string_view line, const TimeContext& time = FixedYear(2026)) {
  return ParseWith(ParseGlogLine, line, time);
}

// ---------------------------------------------------------------------------------------------
// apache_error

TEST(ParseApacheErrorTest, Apache22AsTheLogFilesPageShowsIt) {
  const Parsed p = Apache(
      "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server "
      "configuration: /export/home/live/ap/htdocs/test");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2000-10-11T14:32:52", "level=s:error", "client=s:127.0.0.1",
                               "message=s:client denied by server configuration: "
                               "/export/home/live/ap/htdocs/test"}));
}

TEST(ParseApacheErrorTest, Apache22WithoutClient) {
  const Parsed p = Apache(
      "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok "
      "/etc/httpd/conf/workers2.properties");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2005-12-04T04:47:44", "level=s:notice",
                     "message=s:workerEnv.init() ok /etc/httpd/conf/workers2.properties"}));
  const Parsed q =
      Apache("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields, (Strings{"time=s:2005-12-04T04:47:44", "level=s:error",
                               "message=s:mod_jk child workerEnv in error state 6"}));
}

TEST(ParseApacheErrorTest, Apache22StatusComesAfterTheClient) {
  const Parsed p = Apache(
      "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] (2)No such file or directory: script "
      "not found or unable to stat: /usr/lib/cgi-bin/x");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2000-10-11T14:32:52", "level=s:error",
                     "os_error=s:(2)No such file or directory", "client=s:127.0.0.1",
                     "message=s:script not found or unable to stat: /usr/lib/cgi-bin/x"}));
}

TEST(ParseApacheErrorTest, Apache24DefaultFormat) {
  const Parsed p = Apache(
      "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] "
      "[client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2011-09-09T10:42:29.902022", "module=s:core", "level=s:error",
                     "pid=i:35708", "tid=i:4328636416", "client=s:72.15.99.187",
                     "message=s:File does not exist: /usr/local/apache2/htdocs/favicon.ico"}));
  const Parsed q = Apache(
      "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] "
      "[client 72.15.99.187:2345] AH00124: Request exceeded the limit of 10 internal redirects");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields, (Strings{"time=s:2000-10-11T14:32:52.123456", "module=s:core",
                               "level=s:error", "pid=i:35708", "tid=i:4328636416",
                               "client=s:72.15.99.187:2345", "code=s:AH00124",
                               "message=s:Request exceeded the limit of 10 internal redirects"}));
}

TEST(ParseApacheErrorTest, Apache24StatusClientCodeAndReferer) {
  const Parsed p = Apache(
      "[Thu May 12 08:28:57.652118 2011] [core:error] [pid 8777:tid 4326490112] (13)Permission "
      "denied: [client ::1:58619] AH00035: access to /index.html denied, referer: "
      "http://localhost/");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2011-05-12T08:28:57.652118", "module=s:core", "level=s:error",
                     "pid=i:8777", "tid=i:4326490112", "os_error=s:(13)Permission denied",
                     "client=s:::1:58619", "code=s:AH00035",
                     "message=s:access to /index.html denied", "referer=s:http://localhost/"}));
  const Parsed q = Apache(
      "[Mon Jan 05 10:00:00.000001 2026] [proxy:error] [pid 12:tid 13] (111)Connection refused: "
      "[remote 10.0.0.2:8080] AH00957: HTTP: attempt to connect to 10.0.0.2:8080 failed");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(
      q.fields,
      (Strings{"time=s:2026-01-05T10:00:00.000001", "module=s:proxy", "level=s:error", "pid=i:12",
               "tid=i:13", "os_error=s:(111)Connection refused", "remote=s:10.0.0.2:8080",
               "code=s:AH00957", "message=s:HTTP: attempt to connect to 10.0.0.2:8080 failed"}));
  const Parsed r = Apache(
      "[Mon Jan 05 10:00:00.000001 2026] [proxy:error] [pid 12:tid 13] (EAI 2)Name or service not "
      "known: AH00898: DNS lookup failure for: backend");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.fields[5], "os_error=s:(EAI 2)Name or service not known");
}

TEST(ParseApacheErrorTest, PreforkPidWithoutTidAndEmptyModule) {
  const Parsed p = Apache(
      "[Mon Jan 05 10:00:00.000001 2026] [mpm_prefork:notice] [pid 1234] AH00163: Apache/2.4.57 "
      "(Debian) configured -- resuming normal operations");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-01-05T10:00:00.000001", "module=s:mpm_prefork",
                               "level=s:notice", "pid=i:1234", "code=s:AH00163",
                               "message=s:Apache/2.4.57 (Debian) configured -- resuming normal "
                               "operations"}));
  const Parsed q = Apache(
      "[Tue Mar 03 01:02:03.123456 2026] [:error] [pid 42] [client 10.0.0.1:5555] PHP Notice:  "
      "Undefined variable: x in /var/www/a.php on line 3");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields, (Strings{"time=s:2026-03-03T01:02:03.123456", "level=s:error", "pid=i:42",
                               "client=s:10.0.0.1:5555",
                               "message=s:PHP Notice:  Undefined variable: x in /var/www/a.php on "
                               "line 3"}));
}

TEST(ParseApacheErrorTest, DebugAndTraceCarryFileAndLine) {
  const Parsed p = Apache(
      "[Sat Feb 01 00:00:00.000000 2025] [proxy:debug] [pid 5:tid 6] proxy_util.c(2154): "
      "AH00942: HTTP: has acquired connection for (localhost)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2025-02-01T00:00:00.000000", "module=s:proxy", "level=s:debug",
                     "pid=i:5", "tid=i:6", "file=s:proxy_util.c", "line=i:2154", "code=s:AH00942",
                     "message=s:HTTP: has acquired connection for (localhost)"}));
  const Parsed q = Apache(
      "[Sat Feb 01 00:00:00.000000 2025] [rewrite:trace3] [pid 5:tid 6] mod_rewrite.c(477): "
      "[client 1.2.3.4:80] applying pattern '^/x' to uri '/x'");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields,
            (Strings{"time=s:2025-02-01T00:00:00.000000", "module=s:rewrite", "level=s:trace",
                     "pid=i:5", "tid=i:6", "file=s:mod_rewrite.c", "line=i:477",
                     "client=s:1.2.3.4:80", "message=s:applying pattern '^/x' to uri '/x'"}));
  // At error level "x.c(1): " is message text: httpd writes the file only at debug and trace.
  const Parsed r = Apache("[Sat Feb 01 00:00:00 2025] [error] x.c(1): y");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.fields.back(), "message=s:x.c(1): y");
}

TEST(ParseApacheErrorTest, OddCorners) {
  // Single-digit days, space-padded or not.
  Parsed p = Apache("[Sun Dec  4 04:47:44 2005] [notice] x");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2005-12-04T04:47:44");
  p = Apache("[Sun Dec 4 04:47:44 2005] [notice] x");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2005-12-04T04:47:44");
  // %{cu}t, the compact ISO time.
  p = Apache("[2026-12-05 21:27:01.123456] [core:info] [pid 1] x");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2026-12-05T21:27:01.123456");
  // Trailing spaces stay in the message; nothing after the last bracket is an empty message.
  p = Apache("[Sun Dec 04 04:47:44 2005] [notice] x  ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "message=s:x  ");
  p = Apache("[Sun Dec 04 04:47:44 2005] [notice] [pid 7] ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2005-12-04T04:47:44", "level=s:notice", "pid=i:7", "message=s:"}));
  p = Apache("[Sun Dec 04 04:47:44 2005] [warn]");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2005-12-04T04:47:44", "level=s:warn", "message=s:"}));
  // A tid beyond int64 stays text; "AH" without five digits and a colon stays in the message.
  p = Apache("[Sun Dec 04 04:47:44 2005] [core:crit] [pid 1:tid 99999999999999999999] AH123: x");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2005-12-04T04:47:44", "module=s:core", "level=s:critical",
                               "pid=i:1", "tid=s:99999999999999999999", "message=s:AH123: x"}));
  // The zone of zone-less times, when the run is given one.
  TimeContext zoned = FixedYear(2026);
  zoned.zone = -7 * 60;
  p = Apache("[Sun Dec 04 04:47:44 2005] [notice] x", zoned);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2005-12-04T04:47:44-07:00");
}

TEST(ParseApacheErrorTest, Errors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected '[' before the time"},
      {"[Mon Feb 30 10:00:00 2026] [error] x", "date or time is out of range"},
      {"[Mon Feb 29 10:00:00 2026] [error] x", "date or time is out of range"},
      {"[Mon Feb 02 25:00:00 2026] [error] x", "date or time is out of range"},
      {"[Mon Feb 02 10:60:00 2026] [error] x", "date or time is out of range"},
      {"[Xyz Feb 02 10:00:00 2026] [error] x", "time is not \"Www Mmm dd hh:mm:ss[.uuuuuu] yyyy\""},
      {"[Mon Fbr 02 10:00:00 2026] [error] x", "time is not \"Www Mmm dd hh:mm:ss[.uuuuuu] yyyy\""},
      {"[Wed Oct 11 14:32", "expected ']' after the time"},
      {"[Wed Oct 11 14:32:52 2000]", "expected \" [\" before the level"},
      {"[Wed Oct 11 14:32:52 2000] [err", "expected ']' after the level"},
      {"[Wed Oct 11 14:32:52 2000] [bogus] x", "level is not one of httpd's"},
      {"[Wed Oct 11 14:32:52 2000] [core:trace9] x", "level is not one of httpd's"},
      {"[Wed Oct 11 14:32:52 2000] [error]x", "expected a space after the level"},
      {"[Wed Oct 11 14:32:52 2000] [error] [pid x] y", "pid is not a number"},
      {"[Wed Oct 11 14:32:52 2000] [error] [pid 1:tid ] y", "tid is empty"},
      {"[Wed Oct 11 14:32:52 2000] [error] [pid 1", "expected ']' after the pid"},
      {"[Wed Oct 11 14:32:52 2000] [error] [client 1.2", "expected ']' after the client"},
  };
  for (const auto& [line, reason] : cases) {
    const Parsed p = Apache(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, reason) << line;
  }
  // Leap day in a leap year is fine.
  EXPECT_TRUE(Apache("[Thu Feb 29 10:00:00 2024] [error] x").ok);
}

// ---------------------------------------------------------------------------------------------
// nginx_error

TEST(ParseNginxErrorTest, RequestLineWithTrailingPairs) {
  const Parsed p = Nginx(
      "2026/12/05 21:27:01 [error] 1234#0: *5 open() \"/x\" failed (2: No such file or "
      "directory), client: 1.2.3.4, server: localhost, request: \"GET /x HTTP/1.1\", host: "
      "\"localhost\"");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(
      p.fields,
      (Strings{"time=s:2026-12-05T21:27:01", "level=s:error", "pid=i:1234", "tid=i:0", "cid=i:5",
               "message=s:open() \"/x\" failed (2: No such file or directory)", "client=s:1.2.3.4",
               "server=s:localhost", "request=s:GET /x HTTP/1.1", "host=s:localhost"}));
}

TEST(ParseNginxErrorTest, UpstreamAndReferrer) {
  const Parsed p = Nginx(
      "2019/02/04 10:02:29 [error] 8045#8045: *28 connect() failed (111: Connection refused) "
      "while connecting to upstream, client: 127.0.0.1, server: example.com, request: \"GET / "
      "HTTP/1.1\", upstream: \"http://127.0.0.1:8080/\", host: \"example.com\", referrer: "
      "\"http://example.com/\"");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2019-02-04T10:02:29", "level=s:error", "pid=i:8045", "tid=i:8045",
                     "cid=i:28",
                     "message=s:connect() failed (111: Connection refused) while connecting to "
                     "upstream",
                     "client=s:127.0.0.1", "server=s:example.com", "request=s:GET / HTTP/1.1",
                     "upstream=s:http://127.0.0.1:8080/", "host=s:example.com",
                     "referrer=s:http://example.com/"}));
}

TEST(ParseNginxErrorTest, LinesWithoutConnectionOrPairs) {
  Parsed p = Nginx("2026/12/05 21:27:01 [notice] 1#1: start worker processes");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-12-05T21:27:01", "level=s:notice", "pid=i:1", "tid=i:1",
                               "message=s:start worker processes"}));
  p = Nginx(
      "2026/12/05 21:27:01 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2026-12-05T21:27:01", "level=s:emergency", "pid=i:1", "tid=i:1",
                     "message=s:bind() to 0.0.0.0:80 failed (98: Address already in "
                     "use)"}));
  p = Nginx(
      "2026/12/05 21:27:01 [info] 7#7: *9 SSL_do_handshake() failed (SSL: error:0A00006C:SSL "
      "routines::bad key share) while SSL handshaking, client: 10.0.0.1, server: 0.0.0.0:443");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2026-12-05T21:27:01", "level=s:info", "pid=i:7", "tid=i:7", "cid=i:9",
                     "message=s:SSL_do_handshake() failed (SSL: error:0A00006C:SSL "
                     "routines::bad key share) while SSL handshaking",
                     "client=s:10.0.0.1", "server=s:0.0.0.0:443"}));
  // Nothing after "PID#TID:" at all.
  p = Nginx("2026/12/05 21:27:01 [warn] 1#1:");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "message=s:");
}

TEST(ParseNginxErrorTest, PairsThatDoNotReachTheEndStayInTheMessage) {
  // The stream module's "bytes from/to client:0/0" is no pair we know: all of it is message.
  const std::string tail =
      ", client: 1.2.3.4, server: 0.0.0.0:53, upstream: \"1.1.1.1:53\", bytes from/to "
      "client:0/0, bytes from/to upstream:0/0";
  Parsed p = Nginx("2026/12/05 21:27:01 [info] 3#3: *1 udp upstream disconnected" + tail);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "message=s:udp upstream disconnected" + tail);
  // ", client: " inside the message: the run starts at the one that parses to the end.
  p = Nginx(
      "2026/12/05 21:27:01 [error] 3#3: *1 upstream sent \"a, client: b\" while reading, "
      "client: 1.2.3.4, server: s, request: \"GET /a\"b HTTP/1.1\", host: \"h\"");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2026-12-05T21:27:01", "level=s:error", "pid=i:3", "tid=i:3", "cid=i:1",
                     "message=s:upstream sent \"a, client: b\" while reading", "client=s:1.2.3.4",
                     "server=s:s", "request=s:GET /a\"b HTTP/1.1", "host=s:h"}));
  // An unterminated quoted value: no pairs.
  p = Nginx("2026/12/05 21:27:01 [error] 3#3: x, client: 1.2.3.4, request: \"GET /");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "message=s:x, client: 1.2.3.4, request: \"GET /");
}

TEST(ParseNginxErrorTest, Errors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "time is not yyyy/mm/dd hh:mm:ss"},
      {"2026/12/05 21:27", "time is not yyyy/mm/dd hh:mm:ss"},
      {"2026-12-05 21:27:01 [error] 1#1: x", "time is not yyyy/mm/dd hh:mm:ss"},
      {"2026/02/30 21:27:01 [error] 1#1: x", "date or time is out of range"},
      {"2026/12/05 24:00:00 [error] 1#1: x", "date or time is out of range"},
      {"2026/13/05 21:27:01 [error] 1#1: x", "date or time is out of range"},
      {"2026/12/05 21:27:01", "expected \" [\" before the level"},
      {"2026/12/05 21:27:01 [error", "expected ']' after the level"},
      {"2026/12/05 21:27:01 [oops] 1#1: x", "level is not one of nginx's"},
      {"2026/12/05 21:27:01 [error] 1234", "expected '#' after the pid"},
      {"2026/12/05 21:27:01 [error] #1: x", "expected the pid"},
      {"2026/12/05 21:27:01 [error] 1#: x", "expected the tid after '#'"},
      {"2026/12/05 21:27:01 [error] 1#1 x", "expected ':' after the tid"},
      {"2026/12/05 21:27:01 [error] 1#1: *x y", "expected the connection number after '*'"},
  };
  for (const auto& [line, reason] : cases) {
    const Parsed p = Nginx(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, reason) << line;
  }
}

// ---------------------------------------------------------------------------------------------
// logcat

TEST(ParseLogcatTest, ThreadtimeAsLogcatWritesIt) {
  Parsed p = Logcat("03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2026-03-17T16:13:38.811", "pid=i:1702", "tid=i:2395", "level=s:debug",
                     "tag=s:WindowManager", "message=s:printFreezingDisplayLogs"}));
  // A tag shorter than 8 is padded before the colon; pids of 6 digits push the columns.
  p = Logcat(
      "03-17 16:13:38.811 123456   188 I chatty  : uid=1000(system) Binder:1702_4 identical");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2026-03-17T16:13:38.811", "pid=i:123456", "tid=i:188", "level=s:info",
                     "tag=s:chatty", "message=s:uid=1000(system) Binder:1702_4 identical"}));
  // Every priority letter logcat writes.
  const std::vector<std::pair<char, std::string>> letters = {
      {'V', "verbose"}, {'D', "debug"}, {'I', "info"},  {'W', "warn"},
      {'E', "error"},   {'F', "fatal"}, {'A', "assert"}};
  for (const auto& [letter, level] : letters) {
    p = Logcat(std::string("02-29 16:51:18.810   188   188 ") + letter + " test    : x",
               FixedYear(2024));
    ASSERT_TRUE(p.ok) << letter << ": " << p.error;
    EXPECT_EQ(p.fields[3], "level=s:" + level);
    EXPECT_EQ(p.fields[0], "time=s:2024-02-29T16:51:18.810");
  }
}

TEST(ParseLogcatTest, TimeFormat) {
  const Parsed p = Logcat("03-17 16:13:38.811 D/WindowManager( 1702): printFreezingDisplayLogs");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-03-17T16:13:38.811", "pid=i:1702", "level=s:debug",
                               "tag=s:WindowManager", "message=s:printFreezingDisplayLogs"}));
  const Parsed q = Logcat("03-17 16:13:38.811 I/chatty  (123456): (a) b");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields, (Strings{"time=s:2026-03-17T16:13:38.811", "pid=i:123456", "level=s:info",
                               "tag=s:chatty", "message=s:(a) b"}));
}

TEST(ParseLogcatTest, ModifiersYearUsecZone) {
  Parsed p = Logcat("2025-03-17 16:13:38.811123  1702  2395 W Tag: m");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2025-03-17T16:13:38.811123");
  p = Logcat("03-17 16:13:38.811 -0700  1702  2395 W Tag: m");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2026-03-17T16:13:38.811-07:00");
  TimeContext zoned = FixedYear(2026);
  zoned.zone = 60;
  p = Logcat("03-17 16:13:38.811  1702  2395 W Tag: m", zoned);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2026-03-17T16:13:38.811+01:00");
}

TEST(ParseLogcatTest, YearFromTheYearRule) {
  // Read on 2 January 2026: a 31 December line is from 2025, a 1 January one from 2026.
  TimeContext now;
  now.now_minutes = DaysFromCivil(2026, 1, 2) * 1440 + 10 * 60;
  Parsed p = Logcat("12-31 23:59:59.999  1  1 I t: m", now);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2025-12-31T23:59:59.999");
  p = Logcat("01-01 00:00:00.000  1  1 I t: m", now);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2026-01-01T00:00:00.000");
  // February 29 takes the last leap year.
  p = Logcat("02-29 00:00:00.000  1  1 I t: m", now);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2024-02-29T00:00:00.000");
}

TEST(ParseLogcatTest, OddCorners) {
  // Empty message, with and without the space after the colon; trailing spaces kept.
  Parsed p = Logcat("03-17 16:13:38.811  1702  2395 D Tag     : ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "message=s:");
  EXPECT_EQ(p.fields[4], "tag=s:Tag");
  p = Logcat("03-17 16:13:38.811  1702  2395 D Tag:");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "message=s:");
  p = Logcat("03-17 16:13:38.811  1702  2395 D Tag: m  ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "message=s:m  ");
  // A message with ": " in it: the tag ends at the first.
  p = Logcat("03-17 16:13:38.811  1702  2395 E AndroidRuntime: FATAL EXCEPTION: main");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[4], "tag=s:AndroidRuntime");
  EXPECT_EQ(p.fields[5], "message=s:FATAL EXCEPTION: main");
}

TEST(ParseLogcatTest, Errors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--------- beginning of main", "expected the time as MM-DD hh:mm:ss.mmm"},
      {"", "expected the time as MM-DD hh:mm:ss.mmm"},
      {"03-17 16:13:38", "expected the time as MM-DD hh:mm:ss.mmm"},
      {"03-17 16:13:38.", "expected the time as MM-DD hh:mm:ss.mmm"},
      {"02-30 16:13:38.811  1  1 I t: m", "date or time is out of range"},
      {"13-01 16:13:38.811  1  1 I t: m", "date or time is out of range"},
      {"03-17 25:13:38.811  1  1 I t: m", "date or time is out of range"},
      {"03-17 16:13:38.811", "expected a space after the time"},
      {"03-17 16:13:38.811  1702", "expected the pid"},
      {"03-17 16:13:38.811  1702  2395", "expected the tid"},
      {"03-17 16:13:38.811  1702  2395 D", "expected the level"},
      {"03-17 16:13:38.811  1702  2395 S t: m", "level is not one of V D I W E F A"},
      {"03-17 16:13:38.811  1702  2395 D WindowManager", "expected ':' after the tag"},
      {"03-17 16:13:38.811 D/WindowManager", "expected \"(PID): \" after the tag"},
      {"03-17 16:13:38.811 D/WindowManager(x): m", "expected \"(PID): \" after the tag"},
      {"03-17 16:13:38.811 X/WindowManager( 1): m", "level is not one of V D I W E F A"},
  };
  for (const auto& [line, reason] : cases) {
    const Parsed p = Logcat(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, reason) << line;
  }
  // 29 February with a fixed year that has none is an error, never 1 March.
  EXPECT_EQ(Logcat("02-29 00:00:00.000  1  1 I t: m", FixedYear(2025)).error,
            "date or time is out of range");
}

// ---------------------------------------------------------------------------------------------
// glog

TEST(ParseGlogTest, GlogAndKlogPrefixes) {
  Parsed p = Glog("I1205 21:27:01.123456    1234 file.go:42] msg");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-12-05T21:27:01.123456", "level=s:info", "thread=i:1234",
                               "file=s:file.go", "line=i:42", "message=s:msg"}));
  p = Glog("E0101 00:00:00.000001  4567 main.cc:10] Check failed: x == y (1 vs. 2) ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2026-01-01T00:00:00.000001", "level=s:error", "thread=i:4567",
                     "file=s:main.cc", "line=i:10", "message=s:Check failed: x == y (1 vs. 2) "}));
  // klog's structured messages stay as written.
  p = Glog(
      "W1205 21:27:01.123456       1 controller.go:123] \"Reconciling\" name=\"x\" "
      "namespace=\"default\"");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[1], "level=s:warn");
  EXPECT_EQ(p.fields[2], "thread=i:1");
  EXPECT_EQ(p.fields[5], "message=s:\"Reconciling\" name=\"x\" namespace=\"default\"");
  p = Glog("F1205 21:27:01.123456 7 logging.cc:1] ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[1], "level=s:fatal");
  EXPECT_EQ(p.fields[5], "message=s:");
  p = Glog("I1205 21:27:01.123456 7 x.cc:1]");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[5], "message=s:");
}

TEST(ParseGlogTest, YearInPrefixAndOtherThreadIds) {
  Parsed p = Glog("W20251205 21:27:01.123456 1234 server.cc:99] disk almost full");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2025-12-05T21:27:01.123456", "level=s:warn", "thread=i:1234",
                               "file=s:server.cc", "line=i:99", "message=s:disk almost full"}));
  p = Glog("I1205 21:27:01.123456 0x7000012a4000 a.cc:3] m");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[2], "thread=s:0x7000012a4000");
  // A path in the file name, and a ']' in the message.
  p = Glog("I1205 21:27:01.123456 12 src/a_b-c.cc:3] m [x] y");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[3], "file=s:src/a_b-c.cc");
  EXPECT_EQ(p.fields[5], "message=s:m [x] y");
  // The year rule: read early in January, a December line is last year's.
  TimeContext now;
  now.now_minutes = DaysFromCivil(2026, 1, 2) * 1440;
  p = Glog("I1231 23:00:00.000000 1 a.cc:1] m", now);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[0], "time=s:2025-12-31T23:00:00.000000");
}

TEST(ParseGlogTest, Errors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected the level letter I, W, E or F"},
      {"Log file created at: 2026/12/05 21:27:01", "expected the level letter I, W, E or F"},
      {"Running on machine: host", "expected the level letter I, W, E or F"},
      {"D1205 21:27:01.123456 1 a.cc:1] m", "expected the level letter I, W, E or F"},
      {"I1205 21:27", "expected the time as mmdd hh:mm:ss.uuuuuu"},
      {"I1205 21:27:01", "expected the time as mmdd hh:mm:ss.uuuuuu"},
      {"I1205 21:27:01.", "expected the time as mmdd hh:mm:ss.uuuuuu"},
      {"I0230 21:27:01.123456 1 a.cc:1] m", "date or time is out of range"},
      {"I1205 24:00:00.000000 1 a.cc:1] m", "date or time is out of range"},
      {"I1305 21:27:01.123456 1 a.cc:1] m", "date or time is out of range"},
      {"I1205 21:27:01.123456", "expected a space after the time"},
      {"I1205 21:27:01.123456 1234", "expected the thread id"},
      {"I1205 21:27:01.123456 1234 file.go:42", "expected ']' after file:line"},
      {"I1205 21:27:01.123456 1234 file.go] m", "expected file:line before ']'"},
      {"I1205 21:27:01.123456 1234 file.go:x] m", "expected file:line before ']'"},
      {"I1205 21:27:01.123456 1234 file.go:4]m", "expected a space after ']'"},
  };
  for (const auto& [line, reason] : cases) {
    const Parsed p = Glog(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, reason) << line;
  }
}

// ---------------------------------------------------------------------------------------------
// Each format's lines parse under its own parser and no other.

TEST(ParseServerLogsTest, EachFormatIsRecognisedByItsOwnParserOnly) {
  struct Sample {
    const char* format;  // "apache_error", "nginx_error", "logcat", "glog", or another format
    std::string line;
  };
  const std::vector<Sample> samples = {
      {"apache_error", "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/x"},
      {"apache_error", "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied"},
      {"apache_error",
       "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] "
       "[client 72.15.99.187:2345] AH00124: Request exceeded the limit"},
      {"nginx_error",
       "2026/12/05 21:27:01 [error] 1234#0: *5 open() \"/x\" failed (2: No such file or "
       "directory), client: 1.2.3.4, server: localhost, request: \"GET /x HTTP/1.1\""},
      {"nginx_error", "2026/12/05 21:27:01 [notice] 1#1: signal process started"},
      {"logcat", "03-17 16:13:38.811  1702  2395 D WindowManager: msg"},
      {"logcat", "03-17 16:13:38.811 D/WindowManager( 1702): msg"},
      {"glog", "I1205 21:27:01.123456    1234 file.go:42] msg"},
      {"glog", "E20261205 21:27:01.123456 1234 file.cc:42] msg"},
      // Lines of formats that none of these parsers own.
      {"syslog", "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"},
      {"syslog", "2026-12-05T21:27:01.123456+00:00 host tag[123]: msg"},
      {"syslog", "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - msg"},
      {"access",
       "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326"},
      {"applog",
       "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: "
       "Created MRAppMaster"},
      {"applog", "2026-12-05 21:27:01.123 ERROR [main] c.e.App: failed"},
      {"applog", "2009/11/10 23:00:00 Hello, playground"},
      {"cri", "2026-12-05T21:27:01.123456789Z stdout F msg"},
      {"json", "{\"level\":\"info\",\"msg\":\"x\"}"},
      {"raw", "Exception in thread \"main\" java.lang.NullPointerException"},
      {"raw", "\tat com.example.App.main(App.java:10)"},
  };
  const std::vector<std::pair<const char*, ParseFn>> parsers = {
      {"apache_error", ParseApacheErrorLine},
      {"nginx_error", ParseNginxErrorLine},
      {"logcat", ParseLogcatLine},
      {"glog", ParseGlogLine},
  };
  for (const Sample& s : samples) {
    for (const auto& [name, parse] : parsers) {
      const Parsed p = ParseWith(parse, s.line);
      EXPECT_EQ(p.ok, std::string_view(name) == s.format)
          << name << " on a " << s.format << " line: " << s.line << " (" << p.error << ")";
    }
  }
}

}  // namespace
}  // namespace ringflow::stages

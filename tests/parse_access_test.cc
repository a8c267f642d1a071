// Tests for the access-log parser: exact fields for typical and edge lines, errors that leave no
// fields, and agreement with an independent std::regex parser on generated lines.
#include "stages/parse_access.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
// gcc 12 with -fsanitize=address reports false -Wmaybe-uninitialized inside <regex>'s
// std::function members; the regexes here are the tests' independent oracles.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <string>
#include <vector>

#include "framework/flow/record.h"
#include "tests/testing/parse_test_util.h"
#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using testing::CorpusLines;
using testing::Fields;
using testing::Parsed;
using testing::Strings;

// Parses `line` and checks what every parser promises: raw is the line, ok() agrees.
Parsed Parse(std::string_view line) {
  flow::Record r;
  flow::Arena arena;
  const bool ok = ParseAccessLine(line, r, arena);
  EXPECT_EQ(r.raw.data(), line.data());
  EXPECT_EQ(r.raw.size(), line.size());
  EXPECT_EQ(ok, r.ok());
  if (!ok) {
    EXPECT_TRUE(r.fields.empty()) << "fields left on a failed record";
  }
  return {ok, Fields(r), std::string(r.error)};
}

bool InLine(std::string_view line, std::string_view v) {
  return v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size();
}

TEST(ParseAccessTest, CombinedLine) {
  const Parsed p = Parse(
      R"x(203.0.113.7 - frank [10/Oct/2026:13:55:36 -0700] "GET /apache_pb.gif?a=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)")x");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"remote_addr=s:203.0.113.7", "remote_user=s:frank",
                               "time=s:2026-10-10T13:55:36-07:00", "method=s:GET",
                               "path=s:/apache_pb.gif?a=1", "protocol=s:HTTP/1.0", "status=i:200",
                               "bytes=i:2326", "referer=s:http://www.example.com/start.html",
                               "user_agent=s:Mozilla/4.08 [en] (Win98; I ;Nav)"}));
}

TEST(ParseAccessTest, CommonLineHasNoRefererOrAgent) {
  const Parsed p =
      Parse(R"(127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "POST /api HTTP/1.1" 201 -)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"remote_addr=s:127.0.0.1", "remote_user=null",
                               "time=s:2026-01-01T00:00:00+00:00", "method=s:POST", "path=s:/api",
                               "protocol=s:HTTP/1.1", "status=i:201", "bytes=i:0"}));
}

TEST(ParseAccessTest, ATrailingRequestTime) {
  // nginx: log_format with $request_time after the user agent; Apache: %D after "%{User-agent}i".
  const Parsed nginx = Parse(
      R"(10.0.0.1 - - [05/Dec/2026:21:27:01 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.0" 0.5)");
  ASSERT_TRUE(nginx.ok) << nginx.error;
  EXPECT_EQ(nginx.fields.back(), "request_time=d:0.5");
  EXPECT_EQ(nginx.fields[nginx.fields.size() - 2], "user_agent=s:curl/8.0");
  const Parsed apache = Parse(
      R"(10.0.0.1 - - [05/Dec/2026:21:27:01 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.0" 1534)");
  ASSERT_TRUE(apache.ok) << apache.error;
  EXPECT_EQ(apache.fields.back(), "request_time=i:1534");
  // The common format and a request time.
  const Parsed common =
      Parse(R"(127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "POST /api HTTP/1.1" 201 - 0.125)");
  ASSERT_TRUE(common.ok) << common.error;
  EXPECT_EQ(common.fields,
            (Strings{"remote_addr=s:127.0.0.1", "remote_user=null",
                     "time=s:2026-01-01T00:00:00+00:00", "method=s:POST", "path=s:/api",
                     "protocol=s:HTTP/1.1", "status=i:201", "bytes=i:0", "request_time=d:0.125"}));
  // Anything but one number stays extra, or is an error where a referer is due.
  const Parsed other = Parse(
      R"(10.0.0.1 - - [05/Dec/2026:21:27:01 +0000] "GET / HTTP/1.1" 200 612 "-" "curl" 0.5 x)");
  ASSERT_TRUE(other.ok) << other.error;
  EXPECT_EQ(other.fields.back(), "extra=s:0.5 x");
  EXPECT_FALSE(Parse(R"(1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 .5)").ok);
  EXPECT_FALSE(Parse(R"(1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 5.)").ok);
  EXPECT_FALSE(Parse(R"(1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 -1)").ok);
}

TEST(ParseAccessTest, ZeroOffsetKeepsNumericForm) {
  const Parsed p = Parse(R"(::1 - - [29/Feb/2028:23:59:60 +0000] "GET / HTTP/2.0" 304 0 "-" "-")");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[2], "time=s:2028-02-29T23:59:60+00:00");
  const Parsed q = Parse(R"(::1 - - [05/Mar/1999:01:02:03 +0530] "GET / HTTP/2.0" 304 0)");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields[2], "time=s:1999-03-05T01:02:03+05:30");
}

TEST(ParseAccessTest, Ipv6AndDashValuesAreNull) {
  const Parsed p = Parse(
      R"(2001:db8:85a3::8a2e:370:7334 - - [10/Oct/2026:13:55:36 +0200] "GET /x HTTP/1.1" 404 153 "-" "-")");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"remote_addr=s:2001:db8:85a3::8a2e:370:7334", "remote_user=null",
                               "time=s:2026-10-10T13:55:36+02:00", "method=s:GET", "path=s:/x",
                               "protocol=s:HTTP/1.1", "status=i:404", "bytes=i:153", "referer=null",
                               "user_agent=null"}));
}

TEST(ParseAccessTest, EscapedQuotesAreUnescapedIntoTheArena) {
  const std::string line =
      R"(10.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "GET /q?\"x\" HTTP/1.1" 200 5 "-" "say \"hi\" \\ \x41")";
  flow::Record r;
  flow::Arena arena;
  ASSERT_TRUE(ParseAccessLine(line, r, arena)) << r.error;
  EXPECT_EQ(Fields(r), (Strings{"remote_addr=s:10.0.0.1", "remote_user=null",
                                "time=s:2026-10-10T13:55:36+00:00", "method=s:GET",
                                R"(path=s:/q?"x")", "protocol=s:HTTP/1.1", "status=i:200",
                                "bytes=i:5", "referer=null", R"(user_agent=s:say "hi" \ \x41)"}));
  EXPECT_FALSE(InLine(line, r.Find("path")->value.s));
  EXPECT_FALSE(InLine(line, r.Find("user_agent")->value.s));
  EXPECT_TRUE(InLine(line, r.Find("remote_addr")->value.s));
  EXPECT_FALSE(InLine(line, r.Find("method")->value.s));  // a part of the unescaped request
}

TEST(ParseAccessTest, UnescapedFieldsAreViewsIntoTheLine) {
  const std::string line =
      R"(10.0.0.1 - bob [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "http://r/" "curl/8")";
  flow::Record r;
  flow::Arena arena;
  ASSERT_TRUE(ParseAccessLine(line, r, arena)) << r.error;
  for (const flow::Field& f : r.fields) {
    if (f.value.type == flow::ValueType::kString && f.name != "time") {
      EXPECT_TRUE(InLine(line, f.value.s)) << f.name;
    }
  }
}

TEST(ParseAccessTest, RequestThatIsNotThreeWordsStaysWhole) {
  for (const std::string request : {"-", "\\x16\\x03\\x01\\x02", "GET /", "GET  / HTTP/1.1",
                                    "GET / HTTP/1.1 extra", "", " GET / HTTP/1.1"}) {
    const std::string line =
        "1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"" + request + "\" 400 0 \"-\" \"-\"";
    const Parsed p = Parse(line);
    ASSERT_TRUE(p.ok) << line << ": " << p.error;
    EXPECT_EQ(p.fields, (Strings{"remote_addr=s:1.2.3.4", "remote_user=null",
                                 "time=s:2026-10-10T13:55:36+00:00", "request=s:" + request,
                                 "status=i:400", "bytes=i:0", "referer=null", "user_agent=null"}))
        << line;
  }
}

TEST(ParseAccessTest, MissingUserAgent) {
  const Parsed p = Parse(R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-")");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "referer=null");
  EXPECT_EQ(p.fields.size(), 9u);
  const Parsed q =
      Parse(R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "")");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields.back(), "user_agent=s:");
}

TEST(ParseAccessTest, TrailingFieldsBecomeExtra) {
  const Parsed p = Parse(
      R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "curl"  "10.1.1.1, 10.2.2.2" 0.003)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), R"(extra=s:"10.1.1.1, 10.2.2.2" 0.003)");
  const Parsed q =
      Parse(R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "curl"  )");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields.back(), "user_agent=s:curl");
}

TEST(ParseAccessTest, HugeBytes) {
  const Parsed p =
      Parse(R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 9223372036854775807)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields.back(), "bytes=i:9223372036854775807");
  for (const char* bytes : {"9223372036854775808", "99999999999999999999999", "-1", "12a", "+3"}) {
    const Parsed q = Parse(std::string(R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET /" 200 )") +
                           bytes + R"( "-" "-")");
    EXPECT_FALSE(q.ok) << bytes;
    EXPECT_EQ(q.error, "bytes is not a number in range") << bytes;
    EXPECT_TRUE(q.fields.empty());
  }
}

TEST(ParseAccessTest, BadStatusIsAnError) {
  for (const char* status : {"-1", "-200", "2000", "99999999999999999999", "abc", "-", "+20", ""}) {
    const Parsed p = Parse(std::string(R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET /" )") +
                           status + R"( 5 "-" "-")");
    EXPECT_FALSE(p.ok) << status;
    EXPECT_EQ(p.error, "status is not a number of 1 to 3 digits") << status;
    EXPECT_TRUE(p.fields.empty());
  }
}

TEST(ParseAccessTest, MalformedLinesGiveReasonAndNoFields) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "expected the remote address"},
      {" 1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5", "expected the remote address"},
      {"1.2.3.4", "expected a space after the remote address"},
      {"1.2.3.4 - -", "expected the remote user"},
      {"1.2.3.4 - - 10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5", "expected '[' before the time"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000 \"GET /\" 200 5", "expected ']' after the time"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36] \"GET /\" 200 5",
       "time is not dd/Mmm/yyyy:hh:mm:ss +hhmm"},
      {"1.2.3.4 - - [10/Foo/2026:13:55:36 +0000] \"GET /\" 200 5",
       "time is not dd/Mmm/yyyy:hh:mm:ss +hhmm"},
      {"1.2.3.4 - - [29/Feb/2026:13:55:36 +0000] \"GET /\" 200 5",
       "time is not dd/Mmm/yyyy:hh:mm:ss +hhmm"},
      {"1.2.3.4 - - [10/Oct/2026:24:00:00 +0000] \"GET /\" 200 5",
       "time is not dd/Mmm/yyyy:hh:mm:ss +hhmm"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 0000] \"GET /\" 200 5",
       "time is not dd/Mmm/yyyy:hh:mm:ss +hhmm"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000]\"GET /\" 200 5",
       "expected a space after the time"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] GET / 200 5", "expected '\"' before the request"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET / 200 5", "unterminated request"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\\\" 200 5", "unterminated request"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\"", "expected a space after the request"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200",
       "expected a space after the status"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5 -",
       "expected '\"' before the referer"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5 \"-", "unterminated referer"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5 \"-\"x",
       "expected a space after the referer"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5 \"-\" x",
       "expected '\"' before the user agent"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5 \"-\" \"curl",
       "unterminated user agent"},
      {"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /\" 200 5 \"-\" \"curl\"x",
       "expected a space after the user agent"},
      {"just some text", "expected the remote user"},
  };
  flow::Record r;
  flow::Arena arena;
  const std::string good = R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1)";
  for (const auto& [line, reason] : cases) {
    // A reused record that held fields must come back with none.
    ASSERT_TRUE(ParseAccessLine(good, r, arena));
    EXPECT_FALSE(ParseAccessLine(line, r, arena)) << line;
    EXPECT_EQ(r.error, reason) << line;
    EXPECT_TRUE(r.fields.empty()) << line;
    EXPECT_EQ(r.raw, line);
  }
}

TEST(ParseAccessTest, ReusesFieldCapacityAndClearsError) {
  flow::Record r;
  flow::Arena arena;
  r.fields.reserve(16);
  const flow::Field* storage = r.fields.data();
  EXPECT_FALSE(ParseAccessLine("junk", r, arena));
  r.truncated = true;
  ASSERT_TRUE(ParseAccessLine(
      R"(1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-" x)", r, arena));
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.truncated);  // left to the framer
  EXPECT_EQ(r.fields.data(), storage);
}

// ---- Independent oracle: std::regex + sscanf, agreeing field by field. ----

std::string Unescape(const std::string& s) {
  static const std::regex kEscape(R"re(\\(["\\]))re");
  return std::regex_replace(s, kEscape, "$1");
}

Strings OracleParse(const std::string& line, bool& ok) {
  static const std::regex kLine(
      R"re(^([^ ]+) ([^ ]+) ([^ ]+) \[([^\]]*)\] "((?:[^"\\]|\\.)*)" ([0-9]{1,3}) (-|[0-9]+)(?: "((?:[^"\\]|\\.)*)"(?: "((?:[^"\\]|\\.)*)"(?: +(.*))?)?)?$)re");
  static const std::regex kRequest(R"re(^([^ ]+) ([^ ]+) ([^ ]+)$)re");
  std::smatch m;
  ok = std::regex_match(line, m, kLine);
  if (!ok) return {};
  Strings f;
  f.push_back("remote_addr=s:" + m[1].str());
  f.push_back(m[3] == "-" ? "remote_user=null" : "remote_user=s:" + m[3].str());
  int day, year, hh, mm, ss, oh, om;
  char mon[4], sign;
  if (std::sscanf(m[4].str().c_str(), "%2d/%3s/%4d:%2d:%2d:%2d %c%2d%2d", &day, mon, &year, &hh,
                  &mm, &ss, &sign, &oh, &om) != 9) {
    ok = false;
    return {};
  }
  mon[3] = 0;
  const std::string months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const int month = static_cast<int>(months.find(mon)) / 3 + 1;
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", year, month, day,
                hh, mm, ss, sign, oh, om);
  f.push_back(std::string("time=s:") + stamp);
  const std::string request = Unescape(m[5].str());
  std::smatch rm;
  if (std::regex_match(request, rm, kRequest)) {
    f.push_back("method=s:" + rm[1].str());
    f.push_back("path=s:" + rm[2].str());
    f.push_back("protocol=s:" + rm[3].str());
  } else {
    f.push_back("request=s:" + request);
  }
  f.push_back("status=i:" + std::to_string(std::atoi(m[6].str().c_str())));
  if (m[7] == "-") {
    f.push_back("bytes=i:0");
  } else {
    errno = 0;
    const long long bytes = std::strtoll(m[7].str().c_str(), nullptr, 10);
    if (errno == ERANGE) {
      ok = false;
      return {};
    }
    f.push_back("bytes=i:" + std::to_string(bytes));
  }
  auto dash_null = [](const std::string& name, const std::string& v) {
    return v == "-" ? name + "=null" : name + "=s:" + v;
  };
  if (m[8].matched) f.push_back(dash_null("referer", Unescape(m[8].str())));
  if (m[9].matched) f.push_back(dash_null("user_agent", Unescape(m[9].str())));
  if (m[10].matched && m[10].length() > 0) f.push_back("extra=s:" + m[10].str());
  return f;
}

std::string RandomAccessLine(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  auto num = [&](unsigned lo, unsigned hi) {
    return lo + static_cast<unsigned>(rng() % (hi - lo + 1));
  };
  std::string addr =
      rng() % 3 == 0 ? pick({"::1", "2001:db8::42", "fe80::1%eth0", "2001:db8:0:0:8:800:200c:417a"})
                     : std::to_string(num(1, 223)) + "." + std::to_string(num(0, 255)) + "." +
                           std::to_string(num(0, 255)) + "." + std::to_string(num(1, 254));
  const std::string user = rng() % 4 == 0 ? pick({"alice", "bob", "x@y.z"}) : "-";
  char stamp[64];
  std::snprintf(
      stamp, sizeof stamp, "%02u/%s/%04u:%02u:%02u:%02u %c%02u%02u", num(1, 28),
      pick({"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"})
          .c_str(),
      num(1970, 2099), num(0, 23), num(0, 59), num(0, 59), rng() % 2 ? '+' : '-', num(0, 14),
      rng() % 2 ? 0u : 30u);
  std::string request;
  switch (rng() % 8) {
    case 0:
      request = "-";
      break;
    case 1:
      request = "\\x16\\x03\\x01";
      break;
    case 2:
      request = "GET /a\\\"b\\\" HTTP/1.1";
      break;
    case 3:
      request = "GET /only-two";
      break;
    default:
      request = pick({"GET", "POST", "HEAD", "PUT"}) + " /" + pick({"", "api/v1", "a?b=c&d=e"}) +
                " " + pick({"HTTP/1.0", "HTTP/1.1", "HTTP/2.0"});
  }
  const std::string status = std::to_string(num(100, 599));
  const std::string bytes = rng() % 10 == 0   ? "-"
                            : rng() % 10 == 0 ? "9223372036854775807"
                                              : std::to_string(num(0, 1000000));
  std::string line =
      addr + " - " + user + " [" + stamp + "] \"" + request + "\" " + status + " " + bytes;
  const unsigned shape = num(0, 4);  // 0 common, 1 referer only, 2.. combined, 4 with extra
  if (shape >= 1)
    line += " \"" + pick({"-", "https://e.com/", "http://x/?q=\\\"quoted\\\""}) + "\"";
  if (shape >= 2) {
    line +=
        " \"" + pick({"-", "curl/8.4.0", "Mozilla/5.0 (X11; Linux x86_64)", "a \\\\ b", ""}) + "\"";
  }
  if (shape == 4) line += pick({" \"10.0.0.1\"", "  0.003 upstream", " "});
  return line;
}

void ExpectAgreement(const std::vector<std::string>& lines) {
  flow::Record r;
  flow::Arena arena;
  for (const std::string& line : lines) {
    bool oracle_ok = false;
    const Strings expected = OracleParse(line, oracle_ok);
    const bool ok = ParseAccessLine(line, r, arena);
    ASSERT_TRUE(oracle_ok) << line;
    ASSERT_TRUE(ok) << line << ": " << r.error;
    ASSERT_EQ(Fields(r), expected) << line;
  }
}

TEST(ParseAccessTest, AgreesWithRegexOracleOnGeneratedCorpus) {
  const std::vector<std::string> lines = CorpusLines("access", 12);
  ASSERT_GE(lines.size(), 300u);
  ExpectAgreement(lines);
}

TEST(ParseAccessTest, AgreesWithRegexOracleOnRandomEdgeLines) {
  std::mt19937 rng(42);
  std::vector<std::string> lines;
  for (int i = 0; i < 400; ++i) lines.push_back(RandomAccessLine(rng));
  ExpectAgreement(lines);
}

}  // namespace
}  // namespace ringflow::stages

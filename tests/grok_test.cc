// Tests for grok: every standard pattern compiles; the patterns match what their names promise;
// %{COMBINEDAPACHELOG} on the lines of Apache's and nginx's documentation, %{SYSLOGLINE} on
// rsyslog's files; :int and :float; field names, nesting and duplicates; the errors of
// ExpandGrok and Create; the piecewise match against one RE2 of the whole pattern.
// tests/testing/grok_oracle.py checks the same definitions against Python's re.
#include "stages/grok.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "framework/flow/record.h"
#include "tests/testing/parse_test_util.h"

namespace ringflow::stages {
namespace {

using testing::Fields;
using testing::Parsed;
using testing::Strings;
using Definitions = std::map<std::string, std::string>;

GrokParser Make(std::string_view expression, const Definitions& definitions = {}) {
  auto parser = GrokParser::Create(expression, definitions);
  EXPECT_TRUE(parser.ok()) << expression << ": " << parser.error().message();
  if (!parser.ok()) std::abort();
  return std::move(parser).value();
}

Parsed Parse(const GrokParser& parser, std::string_view line) {
  flow::Record r;
  flow::Arena arena;
  r.truncated = true;
  const bool ok = parser.Parse(line, r, arena);
  EXPECT_EQ(r.raw.data(), line.data());
  EXPECT_EQ(r.raw.size(), line.size());
  EXPECT_EQ(ok, r.ok());
  EXPECT_TRUE(r.truncated) << "truncated must be left alone";
  if (!ok) {
    EXPECT_TRUE(r.fields.empty()) << "fields left on a failed record";
  }
  return {ok, Fields(r), std::string(r.error)};
}

// Whether `line` is matched whole by %{NAME:x}, with x the whole line.
bool Matches(std::string_view name, std::string_view line) {
  const GrokParser parser = Make("%{" + std::string(name) + ":x}");
  const Parsed p = Parse(parser, line);
  if (p.ok) {
    EXPECT_EQ(p.fields, (Strings{"x=s:" + std::string(line)})) << name;
  }
  return p.ok;
}

// The error message of Create, or "<ok>".
std::string CreateError(std::string_view expression, const Definitions& definitions = {}) {
  auto parser = GrokParser::Create(expression, definitions);
  if (parser.ok()) return "<ok>";
  EXPECT_EQ(parser.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parser.error().message().find('\n'), std::string::npos) << "not one line";
  return parser.error().message();
}

TEST(GrokTest, EveryStandardPatternCompiles) {
  const auto& standard = StandardGrokPatterns();
  for (const auto& [name, definition] : standard) {
    auto parser = GrokParser::Create("%{" + name + ":x}", {});
    EXPECT_TRUE(parser.ok()) << name << ": " << parser.error().message();
  }
  // The names of Logstash's grok-patterns that the set promises.
  for (const char* name : {"USERNAME",
                           "USER",
                           "EMAILLOCALPART",
                           "EMAILADDRESS",
                           "INT",
                           "BASE10NUM",
                           "NUMBER",
                           "BASE16NUM",
                           "POSINT",
                           "NONNEGINT",
                           "WORD",
                           "NOTSPACE",
                           "SPACE",
                           "DATA",
                           "GREEDYDATA",
                           "QUOTEDSTRING",
                           "UUID",
                           "MAC",
                           "IPV6",
                           "IPV4",
                           "IP",
                           "HOSTNAME",
                           "IPORHOST",
                           "HOSTPORT",
                           "PATH",
                           "UNIXPATH",
                           "URIPROTO",
                           "URIHOST",
                           "URIPATH",
                           "URIPARAM",
                           "URIPATHPARAM",
                           "URI",
                           "MONTH",
                           "MONTHNUM",
                           "MONTHDAY",
                           "DAY",
                           "YEAR",
                           "HOUR",
                           "MINUTE",
                           "SECOND",
                           "TIME",
                           "DATE_US",
                           "DATE_EU",
                           "ISO8601_TIMEZONE",
                           "TIMESTAMP_ISO8601",
                           "DATE",
                           "DATESTAMP",
                           "TZ",
                           "HTTPDATE",
                           "SYSLOGTIMESTAMP",
                           "PROG",
                           "SYSLOGPROG",
                           "SYSLOGHOST",
                           "SYSLOGFACILITY",
                           "SYSLOGBASE",
                           "LOGLEVEL",
                           "HTTPD_COMMONLOG",
                           "HTTPD_COMBINEDLOG",
                           "COMMONAPACHELOG",
                           "COMBINEDAPACHELOG",
                           "SYSLOGLINE",
                           "QS",
                           "HTTPD_ERRORLOG",
                           "SYSLOG5424LINE"}) {
    EXPECT_TRUE(standard.contains(name)) << name;
  }
  EXPECT_GE(standard.size(), 80u);
}

TEST(GrokTest, PatternsMatchWhatTheirNamesSay) {
  EXPECT_TRUE(Matches("IPV4", "192.168.0.1"));
  EXPECT_TRUE(Matches("IPV4", "255.255.255.255"));
  EXPECT_FALSE(Matches("IPV4", "256.1.1.1"));
  EXPECT_FALSE(Matches("IPV4", "1.2.3"));
  for (const char* v6 :
       {"::", "::1", "2001:db8::1", "fe80::1%eth0", "1:2:3:4:5:6:7:8", "1::8",
        "1:2:3:4:5:6:7::", "::ffff:192.0.2.128", "2001:db8:0:0:1::1", "1:2:3:4:5:6:1.2.3.4"}) {
    EXPECT_TRUE(Matches("IPV6", v6)) << v6;
  }
  for (const char* bad : {"1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", ":1", "1:2"}) {
    EXPECT_FALSE(Matches("IPV6", bad)) << bad;
  }
  EXPECT_TRUE(Matches("IP", "10.0.0.1"));
  EXPECT_TRUE(Matches("HOSTNAME", "www.example.com"));
  EXPECT_TRUE(Matches("HOSTNAME", "LabSZ"));
  EXPECT_FALSE(Matches("HOSTNAME", "-bad.example"));
  EXPECT_TRUE(Matches("HOSTPORT", "example.com:8080"));
  EXPECT_TRUE(Matches("EMAILADDRESS", "first.last+tag@mail.example.org"));
  EXPECT_FALSE(Matches("EMAILADDRESS", "no-at-sign.example.org"));
  EXPECT_TRUE(Matches("UUID", "123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(Matches("MAC", "00:1A:2b:3c:4D:5e"));
  EXPECT_TRUE(Matches("MAC", "00-1a-2b-3c-4d-5e"));
  EXPECT_TRUE(Matches("MAC", "001a.2b3c.4d5e"));
  EXPECT_TRUE(Matches("INT", "-42"));
  EXPECT_TRUE(Matches("INT", "+42"));
  EXPECT_FALSE(Matches("INT", "4.2"));
  EXPECT_TRUE(Matches("NUMBER", "-3.25"));
  EXPECT_TRUE(Matches("NUMBER", ".5"));
  EXPECT_FALSE(Matches("NUMBER", "1e5"));
  EXPECT_TRUE(Matches("BASE16NUM", "0xDEADbeef"));
  EXPECT_TRUE(Matches("POSINT", "17"));
  EXPECT_FALSE(Matches("POSINT", "0"));
  EXPECT_TRUE(Matches("NONNEGINT", "0"));
  EXPECT_TRUE(Matches("WORD", "hello_world1"));
  EXPECT_FALSE(Matches("WORD", "hello world"));
  EXPECT_TRUE(Matches("NOTSPACE", "a\"b'c"));
  EXPECT_TRUE(Matches("SPACE", ""));
  EXPECT_TRUE(Matches("QUOTEDSTRING", R"("say \"hi\"")"));
  EXPECT_TRUE(Matches("QUOTEDSTRING", "'single'"));
  EXPECT_TRUE(Matches("QUOTEDSTRING", "`back`"));
  EXPECT_TRUE(Matches("QUOTEDSTRING", R"("")"));
  EXPECT_FALSE(Matches("QUOTEDSTRING", R"("open)"));
  EXPECT_TRUE(Matches("UNIXPATH", "/var/log/auth.log"));
  EXPECT_TRUE(Matches("PATH", R"(C:\Windows\System32)"));
  EXPECT_TRUE(Matches("URI", "https://user:pw@example.com:8443/a/b.html?q=1&r=%20#top"));
  EXPECT_TRUE(Matches("URI", "ftp://192.0.2.1/pub"));
  EXPECT_TRUE(Matches("URIPATHPARAM", "/search?q=grok&lang=en"));
  EXPECT_TRUE(Matches("URIPARAM", "?a=1"));
  for (const char* month : {"Jan", "January", "Sep", "Dec", "Dez", "M\xc3\xa4r", "Oct", "Okt"}) {
    EXPECT_TRUE(Matches("MONTH", month)) << month;
  }
  EXPECT_FALSE(Matches("MONTH", "Foo"));
  EXPECT_TRUE(Matches("MONTHNUM", "09"));
  EXPECT_FALSE(Matches("MONTHNUM", "13"));
  EXPECT_TRUE(Matches("MONTHDAY", "31"));
  EXPECT_FALSE(Matches("MONTHDAY", "32"));
  EXPECT_TRUE(Matches("DAY", "Wednesday"));
  EXPECT_TRUE(Matches("YEAR", "2026"));
  EXPECT_TRUE(Matches("TIME", "06:55:46"));
  EXPECT_TRUE(Matches("TIME", "23:59:60.123"));
  EXPECT_FALSE(Matches("TIME", "24:00:00"));
  EXPECT_TRUE(Matches("DATE_US", "12/31/2026"));
  EXPECT_TRUE(Matches("DATE_EU", "31.12.2026"));
  EXPECT_TRUE(Matches("DATESTAMP", "12/31/2026 23:59:59"));
  EXPECT_TRUE(Matches("TIMESTAMP_ISO8601", "2026-12-05T21:27:01.123456+00:00"));
  EXPECT_TRUE(Matches("TIMESTAMP_ISO8601", "2015-10-18 18:01:47,978"));
  EXPECT_TRUE(Matches("TIMESTAMP_ISO8601", "2026-12-05T21:27:01Z"));
  EXPECT_TRUE(Matches("ISO8601_TIMEZONE", "-0700"));
  EXPECT_TRUE(Matches("TZ", "PDT"));
  EXPECT_TRUE(Matches("HTTPDATE", "10/Oct/2000:13:55:36 -0700"));
  EXPECT_TRUE(Matches("SYSLOGTIMESTAMP", "Dec 10 06:55:46"));
  EXPECT_TRUE(Matches("SYSLOGTIMESTAMP", "Dec  1 06:55:46"));
  EXPECT_TRUE(Matches("PROG", "systemd-logind"));
  EXPECT_FALSE(Matches("PROG", "sshd[1]"));
  EXPECT_TRUE(Matches("SYSLOGFACILITY", "<4.6>"));
  for (const char* level : {"INFO", "info", "Warning", "WARN", "ERROR", "err", "crit", "DEBUG",
                            "TRACE", "FATAL", "notice", "emerg", "alert", "SEVERE"}) {
    EXPECT_TRUE(Matches("LOGLEVEL", level)) << level;
  }
  EXPECT_FALSE(Matches("LOGLEVEL", "LOUD"));
}

TEST(GrokTest, CombinedApacheLogOnApacheDocumentationLines) {
  const GrokParser parser = Make("%{COMBINEDAPACHELOG}");
  // The example of Apache httpd's log file documentation ("Combined Log Format").
  EXPECT_EQ(Parse(parser,
                  "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" "
                  "200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I "
                  ";Nav)\"")
                .fields,
            (Strings{"source.address=s:127.0.0.1", "user.name=s:frank",
                     "timestamp=s:10/Oct/2000:13:55:36 -0700", "http.request.method=s:GET",
                     "url.original=s:/apache_pb.gif", "http.version=s:1.0",
                     "http.response.status_code=i:200", "http.response.body.bytes=i:2326",
                     "http.request.referrer=s:http://www.example.com/start.html",
                     "user_agent.original=s:Mozilla/4.08 [en] (Win98; I ;Nav)"}));
  // The Common Log Format line of the same page under COMMONAPACHELOG, and not under combined.
  const std::string common =
      "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326";
  EXPECT_EQ(Parse(Make("%{COMMONAPACHELOG}"), common).fields,
            (Strings{"source.address=s:127.0.0.1", "user.name=s:frank",
                     "timestamp=s:10/Oct/2000:13:55:36 -0700", "http.request.method=s:GET",
                     "url.original=s:/apache_pb.gif", "http.version=s:1.0",
                     "http.response.status_code=i:200", "http.response.body.bytes=i:2326"}));
  EXPECT_EQ(Parse(parser, common).error, "grok: no match");
}

TEST(GrokTest, CombinedApacheLogOnNginxLines) {
  const GrokParser parser = Make("%{COMBINEDAPACHELOG}");
  // nginx's default "combined": $remote_addr - $remote_user [$time_local] "$request" $status
  // $body_bytes_sent "$http_referer" "$http_user_agent".
  EXPECT_EQ(Parse(parser,
                  "192.168.1.10 - - [05/Dec/2026:21:27:01 +0000] \"GET /index.html HTTP/1.1\" "
                  "200 612 \"-\" \"curl/8.5.0\"")
                .fields,
            (Strings{"source.address=s:192.168.1.10", "timestamp=s:05/Dec/2026:21:27:01 +0000",
                     "http.request.method=s:GET", "url.original=s:/index.html",
                     "http.version=s:1.1", "http.response.status_code=i:200",
                     "http.response.body.bytes=i:612", "user_agent.original=s:curl/8.5.0"}));
  // An IPv6 client, a user, no bytes ("-"), a query string.
  EXPECT_EQ(
      Parse(parser,
            "2001:db8::7 - alice [05/Dec/2026:21:27:01 +0100] \"POST /api/v1/items?id=3 "
            "HTTP/2.0\" 304 - \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"")
          .fields,
      (Strings{"source.address=s:2001:db8::7", "user.name=s:alice",
               "timestamp=s:05/Dec/2026:21:27:01 +0100", "http.request.method=s:POST",
               "url.original=s:/api/v1/items?id=3", "http.version=s:2.0",
               "http.response.status_code=i:304", "http.request.referrer=s:https://example.com/",
               "user_agent.original=s:Mozilla/5.0 (X11; Linux x86_64)"}));
  // What nginx writes for a request line that is not one ("400" on a TLS hello): no method.
  EXPECT_EQ(Parse(parser,
                  "203.0.113.9 - - [05/Dec/2026:21:27:01 +0000] \"\\x16\\x03\\x01\\x00\" 400 157 "
                  "\"-\" \"-\"")
                .fields,
            (Strings{"source.address=s:203.0.113.9", "timestamp=s:05/Dec/2026:21:27:01 +0000",
                     "http.response.status_code=i:400", "http.response.body.bytes=i:157"}));
  EXPECT_EQ(Parse(parser, "not an access line").error, "grok: no match");
}

TEST(GrokTest, SyslogLineOnRsyslogFiles) {
  const GrokParser parser = Make("%{SYSLOGLINE}");
  EXPECT_EQ(
      Parse(parser, "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186")
          .fields,
      (Strings{"timestamp=s:Dec 10 06:55:46", "host.hostname=s:LabSZ", "process.name=s:sshd",
               "process.pid=i:24200", "message=s:Invalid user webmaster from 173.234.31.186"}));
  EXPECT_EQ(
      Parse(parser, "Dec  1 07:01:02 web01 CRON[811]: (root) CMD (run-parts /etc/cron)").fields,
      (Strings{"timestamp=s:Dec  1 07:01:02", "host.hostname=s:web01", "process.name=s:CRON",
               "process.pid=i:811", "message=s:(root) CMD (run-parts /etc/cron)"}));
  EXPECT_EQ(Parse(parser, "Jun  3 12:00:00 host kernel: [   12.345678] usb 1-1: new device").fields,
            (Strings{"timestamp=s:Jun  3 12:00:00", "host.hostname=s:host", "process.name=s:kernel",
                     "message=s:[   12.345678] usb 1-1: new device"}));
  // Debian's default rsyslog format: the ISO timestamp fills the same field.
  EXPECT_EQ(Parse(parser,
                  "2026-12-05T21:27:01.123456+00:00 host systemd[1]: Started Session 4 of user "
                  "root.")
                .fields,
            (Strings{"timestamp=s:2026-12-05T21:27:01.123456+00:00", "host.hostname=s:host",
                     "process.name=s:systemd", "process.pid=i:1",
                     "message=s:Started Session 4 of user root."}));
}

TEST(GrokTest, IntAndFloatConversions) {
  const GrokParser parser = Make("%{INT:i:int} %{NUMBER:f:float} %{NUMBER:s}");
  EXPECT_EQ(Parse(parser, "42 1.5 2.5").fields, (Strings{"i=i:42", "f=d:1.5", "s=s:2.5"}));
  EXPECT_EQ(Parse(parser, "+7 -0.25 3").fields, (Strings{"i=i:7", "f=d:-0.25", "s=s:3"}));
  EXPECT_EQ(Parse(parser, "-9223372036854775808 .5 3").fields,
            (Strings{"i=i:-9223372036854775808", "f=d:0.5", "s=s:3"}));
  EXPECT_EQ(Parse(parser, "9223372036854775808 1 1").error, "grok: field \"i\" is not an integer");
  const GrokParser int_of_number = Make("%{NUMBER:n:int}");
  EXPECT_EQ(Parse(int_of_number, "12").fields, (Strings{"n=i:12"}));
  EXPECT_EQ(Parse(int_of_number, "1.5").error, "grok: field \"n\" is not an integer");
  const GrokParser float_of_word = Make("%{NOTSPACE:x:float}");
  EXPECT_EQ(Parse(float_of_word, "inf").error, "grok: field \"x\" is not a number");
  EXPECT_EQ(Parse(float_of_word, "+-1").error, "grok: field \"x\" is not a number");
  EXPECT_EQ(Parse(float_of_word, "1e3").fields, (Strings{"x=d:1000"}));
}

TEST(GrokTest, FieldNamesNestingAndDuplicates) {
  // [a][b] and a.b are one field; named groups in both spellings.
  EXPECT_EQ(Parse(Make("%{WORD:[a][b]} (?<c.d>\\d+) (?P<e>x)"), "w 12 x").fields,
            (Strings{"a.b=s:w", "c.d=s:12", "e=s:x"}));
  // Captures inside a named capture do not capture; unnamed groups neither.
  auto expansion = ExpandGrok("%{SYSLOGBASE:base} (a|b)(?<outer>x(?<inner>y)%{INT:n})", {});
  ASSERT_TRUE(expansion.ok()) << expansion.error().message();
  ASSERT_EQ(expansion.value().captures.size(), 2u);
  EXPECT_EQ(expansion.value().captures[0].field, "base");
  EXPECT_EQ(expansion.value().captures[1].field, "outer");
  EXPECT_EQ(Parse(Make("%{SYSLOGBASE:base} (a|b)(?<outer>x(?<inner>y)%{INT:n})"),
                  "Dec 10 06:55:46 LabSZ sshd[1]: bxy12")
                .fields,
            (Strings{"base=s:Dec 10 06:55:46 LabSZ sshd[1]:", "outer=s:xy12"}));
  // A field captured on both sides of a '|' with one type: whichever side matched.
  const GrokParser twice = Make("(?:%{INT:v:int}|%{WORD:w} %{INT:v:int})");
  EXPECT_EQ(Parse(twice, "5").fields, (Strings{"v=i:5"}));
  EXPECT_EQ(Parse(twice, "x 6").fields, (Strings{"v=i:6", "w=s:x"}));
  // Brackets, classes and escapes are not syntax.
  EXPECT_EQ(Parse(Make("[(%{]\\(%{WORD:w}\\)"), "%(ok)").fields, (Strings{"w=s:ok"}));
}

TEST(GrokTest, DocumentDefinitionsExtendAndOverrideTheStandardSet) {
  const Definitions definitions = {{"MYID", "[A-Z]{2}-%{POSINT}"}, {"WORD", "[a-z]+"}};
  const GrokParser parser = Make("%{MYID:id} %{WORD:w}", definitions);
  EXPECT_EQ(Parse(parser, "AB-12 abc").fields, (Strings{"id=s:AB-12", "w=s:abc"}));
  EXPECT_EQ(Parse(parser, "AB-12 ABC").error, "grok: no match");
}

TEST(GrokTest, Errors) {
  EXPECT_EQ(CreateError("%{NOPE:x}"), "grok: unknown pattern \"NOPE\" in the expression");
  EXPECT_EQ(CreateError("%{A:x}", {{"A", "%{B}"}, {"B", "x%{MISSING}"}}),
            "grok: unknown pattern \"MISSING\" in pattern \"B\"");
  EXPECT_EQ(CreateError("%{A:x}", {{"A", "a%{B}"}, {"B", "b%{A}"}}),
            "grok: recursion cycle in pattern \"A\": A -> B -> A");
  EXPECT_EQ(CreateError("%{S:x}", {{"S", "%{S}"}}),
            "grok: recursion cycle in pattern \"S\": S -> S");
  // RE2's reason, naming the definition; the expression's own faults name the expression.
  EXPECT_EQ(CreateError("%{BAD:x}", {{"BAD", "a(?=b)"}}).rfind("grok pattern \"BAD\": ", 0), 0u);
  EXPECT_EQ(CreateError("%{BAD:x}", {{"BAD", "[z-a]"}}).rfind("grok pattern \"BAD\": ", 0), 0u);
  EXPECT_EQ(CreateError("%{INT:x} (?>y)").rfind("grok expression: ", 0), 0u);
  // A document definition is checked even when unused.
  EXPECT_EQ(CreateError("%{INT:x}", {{"UNUSED", "(a"}}).rfind("grok pattern \"UNUSED\": ", 0), 0u);
  EXPECT_EQ(CreateError("%{INT:x:int} %{WORD:x}"),
            "grok: field \"x\" in the expression has two types, int and string");
  EXPECT_EQ(CreateError("%{INT:x:bool}"),
            "grok: %{INT:x:bool} in the expression: unknown type \"bool\" (int or float)");
  EXPECT_NE(CreateError("%{INT:a..b}").find("bad field name \"a..b\""), std::string::npos);
  EXPECT_NE(CreateError("%{INT:[a]b}").find("bad field name"), std::string::npos);
  EXPECT_NE(CreateError("%{IN-T:x}").find("a pattern name is letters"), std::string::npos);
  EXPECT_NE(CreateError("%{INT:x").find("unterminated %{"), std::string::npos);
  EXPECT_EQ(CreateError("%{INT} %{WORD}"),
            "grok expression has no field: name one with %{NAME:field} or (?<field>...)");
  EXPECT_NE(CreateError("caf\xc3\xa9 %{INT:x}").find("non-ASCII"), std::string::npos);
  EXPECT_NE(CreateError("%{INT:x}", {{"bad name", "x"}}).find("a pattern name is letters"),
            std::string::npos);
  // Exponential growth is cut off.
  Definitions doubling = {{"P0", "abcdefgh"}};
  for (int i = 1; i <= 20; ++i) {
    doubling["P" + std::to_string(i)] =
        "%{P" + std::to_string(i - 1) + "}%{P" + std::to_string(i - 1) + "}";
  }
  EXPECT_NE(CreateError("%{P20:x}", doubling).find("exceeds 1048576 bytes"), std::string::npos);
  // So is nesting past 100 levels.
  Definitions deep = {{"D0", "x"}};
  for (int i = 1; i <= 150; ++i) {
    deep["D" + std::to_string(i)] = "%{D" + std::to_string(i - 1) + "}";
  }
  EXPECT_NE(CreateError("%{D150:x}", deep).find("nested more than 100 deep"), std::string::npos);
}

// The fields of a line as one RE2 of the whole expanded pattern gives them (all groups at once,
// RE2's own submatch engines): the reference for the piecewise match. Typed fields are rendered as
// Show renders the converted value; "<no match>" when the line does not match.
class WholePattern {
 public:
  WholePattern(const GrokParser& parser, std::string_view expression,
               const Definitions& definitions)
      : re_(std::string(parser.pattern()), Latin1()) {
    auto expansion = ExpandGrok(expression, definitions);
    EXPECT_TRUE(expansion.ok());
    EXPECT_EQ(re_.pattern(), expansion.value().pattern);
    captures_ = expansion.value().captures;
  }

  Strings Fields(std::string_view line) const {
    std::vector<re2::StringPiece> groups(captures_.size() + 1);
    if (!re_.Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::ANCHOR_BOTH,
                   groups.data(), static_cast<int>(groups.size()))) {
      return {"<no match>"};
    }
    Strings out;
    std::vector<std::string> done;
    for (std::size_t i = 0; i < captures_.size(); ++i) {
      const std::string& field = captures_[i].field;
      if (std::find(done.begin(), done.end(), field) != done.end()) continue;
      done.push_back(field);
      for (std::size_t j = i; j < captures_.size(); ++j) {
        const re2::StringPiece& m = groups[j + 1];
        if (captures_[j].field != field || m.data() == nullptr) continue;
        const std::string text(m.data(), m.size());
        if (captures_[j].type == GrokType::kString) {
          out.push_back(field + "=s:" + text);
        } else if (captures_[j].type == GrokType::kInt) {
          out.push_back(field + "=i:" + std::to_string(std::stoll(text)));
        } else {
          char buf[64];
          std::snprintf(buf, sizeof buf, "d:%.17g", std::stod(text));
          out.push_back(field + "=" + buf);
        }
        break;
      }
    }
    return out;
  }

 private:
  static RE2::Options Latin1() {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingLatin1);
    return options;
  }

  const RE2 re_;
  std::vector<GrokCapture> captures_;
};

Strings PiecewiseFields(const GrokParser& parser, std::string_view line) {
  const Parsed p = Parse(parser, line);
  return p.ok ? p.fields : Strings{"<no match>"};
}

TEST(GrokTest, StandardCompositesAreMatchedInPieces) {
  // A piece per field, or per group of fields that share a '|' or a '?' (the request line's
  // method, URL and version; SYSLOGLINE's two timestamps).
  EXPECT_EQ(Make("%{COMBINEDAPACHELOG}").pieces(), 9u);
  EXPECT_EQ(Make("%{COMMONAPACHELOG}").pieces(), 7u);
  EXPECT_GE(Make("%{SYSLOGLINE}").pieces(), 4u);
  // A '|' at the top, or a single field: matched whole only.
  EXPECT_EQ(Make("%{HTTPD_ERRORLOG}").pieces(), 0u);
  EXPECT_EQ(Make("%{GREEDYDATA:message}").pieces(), 0u);
  EXPECT_EQ(Make("a (?i)%{WORD:w} %{INT:n}").pieces(), 0u);  // "(?i)" applies to the rest
}

TEST(GrokTest, PiecewiseMatchGivesTheWholePatternsFields) {
  const std::vector<std::pair<std::string, Definitions>> expressions = {
      {"%{COMBINEDAPACHELOG}", {}},
      {"%{COMMONAPACHELOG}", {}},
      {"%{SYSLOGLINE}", {}},
      {"%{SYSLOG5424LINE}", {}},
      {"%{HTTPD24_ERRORLOG}", {}},
      // Pieces whose leftmost-first matches stop short of the whole pattern's split: greedy INT
      // before INT, lazy DATA before DATA, optional groups, a field on both sides of a '|'.
      {"%{INT:a}%{INT:b}", {}},
      {"%{DATA:a} %{DATA:b}", {}},
      {"%{DATA:a}\"%{DATA:b}\"%{GREEDYDATA:c}", {}},
      {"(?:%{WORD:w} )?%{NUMBER:n:float}(?: %{NOTSPACE:t})?%{SPACE}", {}},
      {"\\[%{WORD:k}\\] (?:-|%{INT:v:int}) (?:%{INT:v:int}|x)%{GREEDYDATA:rest}", {}},
      {"%{IPORHOST:h}(?::%{POSINT:p:int})? %{MYKEY:k}=%{QS:q}", {{"MYKEY", "[a-z]+|[A-Z]+"}}},
      {"%{WORD:w}\\b%{NOTSPACE:x}", {}},
  };
  std::vector<std::string> lines = {
      "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326 "
      "\"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"",
      "2001:db8::7 - alice [05/Dec/2026:21:27:01 +0100] \"POST /a?id=3 HTTP/2.0\" 304 - \"-\" "
      "\"ua \\\"quoted\\\" \" \"x\"",
      "host.example.com - - [05/Dec/2026:21:27:01 +0000] \"\" 400 0 \"a\" \"b\" \"c\"",
      "1.2.3.4 a@b.c - [05/Dec/2026:21:27:01 +0000] \"GET  HTTP/1.1\" - - \"-\" \"-\"",
      "10.0.0.1 - b0b [05/Dec/2026:21:27:01 +0000] \"DELETE /x\" 201 -",
      "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
      "2026-12-05T21:27:01.123456+00:00 host systemd[1]: Started",
      "Dec  1 07:01:02 <3.4> web01 CRON: x",
      "<34>1 2026-12-05T21:27:01Z mymachine su - ID47 [a b=\"c\"] msg",
      "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client "
      "72.15.99.187:2345] File does not exist",
      "123",
      "12 34",
      "1",
      "a b c d",
      "a\"b\"c\"d\"e",
      "x 1.5 y  ",
      "1.5",
      "w 2",
      "[k] - 7rest",
      "[k] 5 xrest",
      "[k] 5 6",
      "example.com:80 abc='q'",
      "::1 ABC=\"x\\\"y\"",
      "word-x",
      "",
      " ",
      "\"",
      "- - -",
  };
  // Mutations of the lines above: bytes dropped, doubled, or replaced by ones the patterns care
  // about, so that chains stop short, fields go missing and lines stop matching.
  std::mt19937 random(16);
  const std::string special = " \"-[]:.0123456789aZ/\\\t";
  const std::size_t seeds = lines.size();
  for (int i = 0; i < 3000; ++i) {
    std::string line = lines[random() % seeds];
    for (int k = 0, n = 1 + static_cast<int>(random() % 3); k < n && !line.empty(); ++k) {
      const std::size_t at = random() % line.size();
      switch (random() % 3) {
        case 0:
          line.erase(at, 1);
          break;
        case 1:
          line.insert(at, 1, line[at]);
          break;
        default:
          line[at] = special[random() % special.size()];
      }
    }
    lines.push_back(line);
  }
  for (const auto& [expression, definitions] : expressions) {
    const GrokParser parser = Make(expression, definitions);
    const WholePattern whole(parser, expression, definitions);
    int matched = 0;
    for (const std::string& line : lines) {
      const Strings want = whole.Fields(line);
      // Typed fields that do not convert are the parser's error, not a difference.
      const Parsed p = Parse(parser, line);
      if (!p.ok && p.error != "grok: no match") continue;
      matched += p.ok ? 1 : 0;
      EXPECT_EQ(PiecewiseFields(parser, line), want) << expression << " on: " << line;
    }
    EXPECT_GT(matched, 0) << expression;
  }
}

TEST(GrokTest, ChainThatStopsShortFallsBackToTheWholePattern) {
  // INT's own match takes "123" whole and leaves the second INT nothing; the whole pattern gives
  // back a digit, as RE2 and Python's re do.
  const GrokParser ints = Make("%{INT:a}%{INT:b}");
  ASSERT_GT(ints.pieces(), 0u);
  EXPECT_EQ(Parse(ints, "123").fields, (Strings{"a=s:12", "b=s:3"}));
  // The referrer's lazy DATA stops at the first quote; the agent's quote-space-quote sends the
  // chain past the line's end, and the whole pattern decides.
  const GrokParser combined = Make("%{COMBINEDAPACHELOG}");
  EXPECT_EQ(Parse(combined,
                  "1.2.3.4 - - [05/Dec/2026:21:27:01 +0000] \"GET / HTTP/1.1\" 200 1 \"r\" \"a\" "
                  "\"b\"")
                .fields,
            (Strings{"source.address=s:1.2.3.4", "timestamp=s:05/Dec/2026:21:27:01 +0000",
                     "http.request.method=s:GET", "url.original=s:/", "http.version=s:1.1",
                     "http.response.status_code=i:200", "http.response.body.bytes=i:1",
                     "http.request.referrer=s:r", "user_agent.original=s:a\" \"b"}));
}

TEST(GrokTest, MovedFromParserFailsInBandAndCopiesShareNames) {
  flow::Record r;
  flow::Arena arena;
  GrokParser first = Make("%{WORD:a_rather_long_field_name_for_the_heap}");
  const GrokParser copy = first;
  { GrokParser gone = std::move(first); }
  ASSERT_TRUE(copy.Parse("word", r, arena));
  EXPECT_EQ(Fields(r), (Strings{"a_rather_long_field_name_for_the_heap=s:word"}));
  flow::Record moved;
  EXPECT_FALSE(first.Parse("word", moved, arena));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.error, "grok: no pattern");
}

TEST(GrokTest, ConcurrentParseGivesIdenticalResults) {
  // More than 16 groups: the thread-local submatch array.
  const GrokParser parser = Make(
      "%{COMBINEDAPACHELOG} %{INT:a} %{INT:b} %{INT:c} %{INT:d} "
      "%{INT:e} %{INT:f} %{INT:g}");
  const std::string line =
      "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /x HTTP/1.0\" 200 2326 \"-\" \"ua\" "
      "1 2 3 4 5 6 7";
  const Strings expected = Parse(parser, line).fields;
  ASSERT_EQ(expected.size(), 16u);
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      flow::Record r;
      flow::Arena arena;
      for (int i = 0; i < 2000; ++i) {
        if (!parser.Parse(line, r, arena) || Fields(r) != expected) ++bad[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace ringflow::stages

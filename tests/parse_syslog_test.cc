// Tests for the syslog parser: exact fields for RFC 5424, RFC 3164 (with and without <PRI>) and
// rsyslog's RFC 3339 file format, errors that leave no fields, and agreement with an independent
// std::regex parser on generated lines.
#include "stages/parse_syslog.h"

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

#include "framework/core/calendar.h"
#include "framework/flow/record.h"
#include "tests/testing/parse_test_util.h"
#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using testing::CorpusLines;
using testing::Fields;
using testing::Parsed;
using testing::Strings;

// A context whose year-less times take `year`.
TimeContext Year(int year) {
  TimeContext time;
  time.fixed_year = year;
  return time;
}

// Parses `line` and checks what every parser promises: raw is the line, ok() agrees.
Parsed Parse(std::string_view line, int year = 2026) {
  flow::Record r;
  flow::Arena arena;
  const bool ok = ParseSyslogLine(line, r, arena, Year(year));
  EXPECT_EQ(r.raw.data(), line.data());
  EXPECT_EQ(r.raw.size(), line.size());
  EXPECT_EQ(ok, r.ok());
  if (!ok) {
    EXPECT_TRUE(r.fields.empty()) << "fields left on a failed record";
  }
  return {ok, Fields(r), std::string(r.error)};
}

TEST(ParseSyslogTest, Rfc3164WithPri) {
  const Parsed p = Parse(
      "<86>Jun 30 00:13:15 db-replica systemd[2807081]: DHCPACK of 10.243.119.215 from 10.243.0.1");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"pri=i:86", "facility=i:10", "severity=i:6", "time=s:2026-06-30T00:13:15",
                     "host=s:db-replica", "app=s:systemd", "pid=i:2807081",
                     "message=s:DHCPACK of 10.243.119.215 from 10.243.0.1"}));
}

TEST(ParseSyslogTest, Rfc3164WithoutPriAndSpacePaddedDay) {
  const Parsed p = Parse("Nov  2 08:05:09 web-01 sshd[42]: session 0a1b2c opened", 2025);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2025-11-02T08:05:09", "host=s:web-01", "app=s:sshd",
                               "pid=i:42", "message=s:session 0a1b2c opened"}));
  // Unpadded single-digit day, as some writers do.
  const Parsed q = Parse("Nov 2 08:05:09 web-01 sshd[42]: x", 2025);
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields[0], "time=s:2025-11-02T08:05:09");
}

TEST(ParseSyslogTest, Rfc3164TagWithoutPidAndOddTags) {
  const Parsed p = Parse("<0>Jan 31 23:59:59 host kernel: EXT4-fs (vda): mounted");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"pri=i:0", "facility=i:0", "severity=i:0", "time=s:2026-01-31T23:59:59",
                     "host=s:host", "app=s:kernel", "message=s:EXT4-fs (vda): mounted"}));
  const Parsed q = Parse("<191>Feb  1 00:00:00 mx postfix/smtpd[worker-3]:no space");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields, (Strings{"pri=i:191", "facility=i:23", "severity=i:7",
                               "time=s:2026-02-01T00:00:00", "host=s:mx", "app=s:postfix/smtpd",
                               "procid=s:worker-3", "message=s:no space"}));
  const Parsed big = Parse("Feb  1 00:00:00 mx a[99999999999999999999]: m");
  ASSERT_TRUE(big.ok) << big.error;
  EXPECT_EQ(big.fields[3], "procid=s:99999999999999999999");
}

TEST(ParseSyslogTest, Rfc3164WithoutTagKeepsWholeMessage) {
  const Parsed p = Parse("Mar 10 01:02:03 gw -- MARK --");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-03-10T01:02:03", "host=s:gw", "app=null",
                               "message=s:-- MARK --"}));
  const Parsed q = Parse("Mar 10 01:02:03 gw app[12] no colon");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields.back(), "message=s:app[12] no colon");
  const Parsed r = Parse("Mar 10 01:02:03 gw");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.fields,
            (Strings{"time=s:2026-03-10T01:02:03", "host=s:gw", "app=null", "message=s:"}));
}

TEST(ParseSyslogTest, RsyslogFileFormatPassesTimestampThrough) {
  const Parsed p = Parse("2026-11-02T08:15:00.123456+01:00 web-02 CRON[7]: (root) CMD (run-parts)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-11-02T08:15:00.123456+01:00", "host=s:web-02",
                               "app=s:CRON", "pid=i:7", "message=s:(root) CMD (run-parts)"}));
}

TEST(ParseSyslogTest, Rfc5424Full) {
  const Parsed p = Parse(
      R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(
      p.fields,
      (Strings{
          "pri=i:165", "facility=i:20", "severity=i:5", "time=s:2003-10-11T22:14:15.003Z",
          "host=s:mymachine.example.com", "app=s:evntslog", "msgid=s:ID47",
          R"(structured_data=s:[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"])",
          "message=s:An application event log entry..."}));
}

TEST(ParseSyslogTest, Rfc5424NilValuesAndBom) {
  const Parsed p = Parse("<34>1 - - - - - - \xEF\xBB\xBF'su root' failed");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"pri=i:34", "facility=i:4", "severity=i:2", "time=null", "host=null",
                               "app=null", "msgid=null", "structured_data=null",
                               "message=s:'su root' failed"}));
  const Parsed q = Parse("<34>1 1985-04-12T19:20:50.52-04:00 h app 8710 - -");
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_EQ(q.fields, (Strings{"pri=i:34", "facility=i:4", "severity=i:2",
                               "time=s:1985-04-12T19:20:50.52-04:00", "host=s:h", "app=s:app",
                               "pid=i:8710", "msgid=null", "structured_data=null", "message=s:"}));
}

TEST(ParseSyslogTest, Rfc5424StructuredDataWithEscapes) {
  const Parsed p =
      Parse(R"(<13>1 2026-01-01T00:00:00Z h a worker-1 M [x@1 k="a \"]\" b" j="\\"] tail)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"pri=i:13", "facility=i:1", "severity=i:5", "time=s:2026-01-01T00:00:00Z",
                     "host=s:h", "app=s:a", "procid=s:worker-1", "msgid=s:M",
                     R"(structured_data=s:[x@1 k="a \"]\" b" j="\\"])", "message=s:tail"}));
}

TEST(ParseSyslogTest, MalformedLinesGiveReasonAndNoFields) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "expected a month name or a timestamp"},
      {"hello world", "expected a month name or a timestamp"},
      {"<>Jan  1 00:00:00 h a: m", "PRI is not <0..191>"},
      {"<1234>Jan  1 00:00:00 h a: m", "PRI is not <0..191>"},
      {"<12", "PRI is not <0..191>"},
      {"<192>Jan  1 00:00:00 h a: m", "PRI is out of range (0..191)"},
      {"<-1>Jan  1 00:00:00 h a: m", "PRI is not <0..191>"},
      {"Jan", "expected a space after the month"},
      {"Jan xx 00:00:00 h a: m", "expected the day of the month"},
      {"Jan  1 00:00 h a: m", "expected the time as hh:mm:ss"},
      {"Jan  1 0a:00:00 h a: m", "expected the time as hh:mm:ss"},
      {"Jan 32 00:00:00 h a: m", "date or time is out of range"},
      {"Feb 29 00:00:00 h a: m", "date or time is out of range"},  // 2026 is not a leap year
      {"Jan  1 24:00:00 h a: m", "date or time is out of range"},
      {"Jan  1 00:00:00", "expected a space after the time"},
      {"Jan  1 00:00:00x h", "expected a space after the time"},
      {"Jan  1 00:00:00  h a: m", "expected the hostname"},
      {"2026-13-01T00:00:00Z h a: m", "timestamp is not RFC 3339"},
      {"2026-01-01 00:00:00 h a: m", "timestamp is not RFC 3339"},
      {"<1>1 2026-01-01T00:00:00 h a p m - x", "timestamp is not RFC 3339"},
      {"<1>1 2026-01-01T00:00:00.1234567Z h a p m - x", "timestamp is not RFC 3339"},
      {"<1>1 - h a p m", "expected the structured data"},
      {"<1>1 - h a p m ", "structured data is neither '-' nor '['"},
      {"<1>1 - h a p", "expected the msgid"},
      {"<1>1 - h  a p m -", "expected the app name"},
      {"<1>1 ", "expected the timestamp"},
      {"<1>1 - h a p m x", "structured data is neither '-' nor '['"},
      {"<1>1 - h a p m [x@1 k=\"]", "unterminated structured data"},
      {"<1>1 - h a p m [x@1", "unterminated structured data"},
      {"<1>1 - h a p m [x@1]x", "expected a space after the structured data"},
      {"<1>1 - h a p m -x", "expected a space after the structured data"},
  };
  flow::Record r;
  flow::Arena arena;
  for (const auto& [line, reason] : cases) {
    ASSERT_TRUE(ParseSyslogLine("<1>Jan  1 00:00:00 h a[1]: m", r, arena, Year(2026)));
    EXPECT_FALSE(ParseSyslogLine(line, r, arena, Year(2026))) << line;
    EXPECT_EQ(r.error, reason) << line;
    EXPECT_TRUE(r.fields.empty()) << line;
    EXPECT_EQ(r.raw, line);
  }
  EXPECT_FALSE(ParseSyslogLine("Apr 31 00:00:00 h a: m", r, arena, TimeContext()));
  EXPECT_EQ(r.error, "date or time is out of range");
}

TEST(ParseSyslogTest, LeapDayDependsOnDefaultYear) {
  EXPECT_TRUE(Parse("Feb 29 12:00:00 h a: m", 2028).ok);
  EXPECT_FALSE(Parse("Feb 29 12:00:00 h a: m", 2027).ok);
}

// Lines as Debian's rsyslog writes /var/log/auth.log, syslog and kern.log (the traditional
// file format), and its default high-precision format.
TEST(ParseSyslogTest, RealWorldRsyslogFileLines) {
  const Parsed auth =
      Parse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", 2015);
  ASSERT_TRUE(auth.ok) << auth.error;
  EXPECT_EQ(auth.fields,
            (Strings{"time=s:2015-12-10T06:55:46", "host=s:LabSZ", "app=s:sshd", "pid=i:24200",
                     "message=s:Invalid user webmaster from 173.234.31.186"}));
  const Parsed kernel = Parse("Dec  5 21:27:01 host kernel: [   12.345678] usb 1-1: new device");
  ASSERT_TRUE(kernel.ok) << kernel.error;
  EXPECT_EQ(kernel.fields[2], "app=s:kernel");
  EXPECT_EQ(kernel.fields[3], "message=s:[   12.345678] usb 1-1: new device");
  const Parsed kernel0 = Parse("Dec  5 21:27:01 mac kernel[0]: Sandbox: deny");
  ASSERT_TRUE(kernel0.ok) << kernel0.error;
  EXPECT_EQ(kernel0.fields[3], "pid=i:0");
  for (const auto& [line, app] : std::vector<std::pair<std::string, std::string>>{
           {"Dec  5 21:27:01 h postfix/smtpd[1234]: connect from x", "postfix/smtpd"},
           {"Dec  5 21:27:01 h systemd-logind[521]: New session 3", "systemd-logind"},
           {"Dec  5 21:27:01 h (sd-pam)[998]: pam_unix(systemd-user:session): closed", "(sd-pam)"},
           {"Dec  5 21:27:01 h org.gnome.Shell.desktop[1501]: x", "org.gnome.Shell.desktop"},
           {"Dec  5 21:27:01 h CRON[12]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)",
            "CRON"}}) {
    const Parsed p = Parse(line);
    ASSERT_TRUE(p.ok) << line << ": " << p.error;
    EXPECT_EQ(p.fields[2], "app=s:" + app) << line;
  }
  const Parsed precise =
      Parse("2026-12-05T21:27:01.123456+00:00 web-01 sshd[24200]: Accepted publickey for root");
  ASSERT_TRUE(precise.ok) << precise.error;
  EXPECT_EQ(precise.fields,
            (Strings{"time=s:2026-12-05T21:27:01.123456+00:00", "host=s:web-01", "app=s:sshd",
                     "pid=i:24200", "message=s:Accepted publickey for root"}));
}

TEST(ParseSyslogTest, AYearLessTimeTakesTheYearThatIsNotInTheFuture) {
  TimeContext january;  // read on 2027-01-02 10:00 UTC
  january.now_minutes = DaysFromCivil(2027, 1, 2) * 1440 + 600;
  flow::Record r;
  flow::Arena arena;
  ASSERT_TRUE(ParseSyslogLine("Dec 31 23:59:59 h a: m", r, arena, january));
  EXPECT_EQ(r.fields[0].value.s, "2026-12-31T23:59:59");
  ASSERT_TRUE(ParseSyslogLine("Jan  2 09:00:00 h a: m", r, arena, january));
  EXPECT_EQ(r.fields[0].value.s, "2027-01-02T09:00:00");
  // Feb 29 goes to the last leap year before.
  ASSERT_TRUE(ParseSyslogLine("Feb 29 12:00:00 h a: m", r, arena, january));
  EXPECT_EQ(r.fields[0].value.s, "2024-02-29T12:00:00");
  // A zone for zone-less times; the high-precision format keeps its own.
  january.zone = -5 * 60;
  ASSERT_TRUE(ParseSyslogLine("Dec 31 23:59:59 h a: m", r, arena, january));
  EXPECT_EQ(r.fields[0].value.s, "2026-12-31T23:59:59-05:00");
  ASSERT_TRUE(ParseSyslogLine("2026-12-31T23:59:59Z h a: m", r, arena, january));
  EXPECT_EQ(r.fields[0].value.s, "2026-12-31T23:59:59Z");
}

TEST(ParseSyslogTest, ReusesFieldCapacity) {
  flow::Record r;
  flow::Arena arena;
  r.fields.reserve(16);
  const flow::Field* storage = r.fields.data();
  EXPECT_FALSE(ParseSyslogLine("junk", r, arena, Year(2026)));
  ASSERT_TRUE(ParseSyslogLine("<1>1 - - - - - - m", r, arena, Year(2026)));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.fields.data(), storage);
}

// ---- Independent oracle: std::regex, agreeing field by field. ----

Strings OracleParse(const std::string& line, int year, bool& ok) {
  static const std::regex k5424(
      R"re(^<([0-9]{1,3})>1 ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) (-|(?:\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])+)(?: (.*))?$)re");
  static const std::regex kBsd(
      R"re(^(?:<([0-9]{1,3})>)?(?:(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ( [0-9]|[0-9][0-9]?) ([0-9]{2}:[0-9]{2}:[0-9]{2})|([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2}))) ([^ ]+)(?: (?:([^ \[:]+)(?:\[([^\]]*)\])?: ?)?(.*))?$)re");
  static const std::regex kNumber("^[0-9]+$");
  Strings f;
  auto pri = [&](const std::ssub_match& m) {
    if (!m.matched) return;
    const int v = std::stoi(m.str());
    f.push_back("pri=i:" + std::to_string(v));
    f.push_back("facility=i:" + std::to_string(v / 8));
    f.push_back("severity=i:" + std::to_string(v % 8));
  };
  auto procid = [&](const std::string& id) {
    errno = 0;
    const long long v = std::strtoll(id.c_str(), nullptr, 10);
    if (std::regex_match(id, kNumber) && errno != ERANGE) {
      f.push_back("pid=i:" + std::to_string(v));
    } else {
      f.push_back("procid=s:" + id);
    }
  };
  auto nil = [](const char* name, const std::string& v) {
    return v == "-" ? std::string(name) + "=null" : std::string(name) + "=s:" + v;
  };
  std::smatch m;
  if (std::regex_match(line, m, k5424)) {
    ok = true;
    pri(m[1]);
    f.push_back(nil("time", m[2]));
    f.push_back(nil("host", m[3]));
    f.push_back(nil("app", m[4]));
    if (m[5] != "-") procid(m[5]);
    f.push_back(nil("msgid", m[6]));
    f.push_back(nil("structured_data", m[7]));
    std::string msg = m[8].str();
    if (msg.rfind("\xEF\xBB\xBF", 0) == 0) msg = msg.substr(3);
    f.push_back("message=s:" + msg);
    return f;
  }
  if (std::regex_match(line, m, kBsd)) {
    ok = true;
    pri(m[1]);
    if (m[2].matched) {
      const std::string months = "JanFebMarAprMayJunJulAugSepOctNovDec";
      char stamp[64];
      std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%s", year,
                    static_cast<int>(months.find(m[2].str())) / 3 + 1, std::stoi(m[3].str()),
                    m[4].str().c_str());
      f.push_back(std::string("time=s:") + stamp);
    } else {
      f.push_back("time=s:" + m[5].str());
    }
    f.push_back("host=s:" + m[6].str());
    f.push_back(m[7].matched ? "app=s:" + m[7].str() : "app=null");
    if (m[8].matched) procid(m[8]);
    f.push_back("message=s:" + m[9].str());
    return f;
  }
  ok = false;
  return f;
}

std::string RandomSyslogLine(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  auto num = [&](unsigned lo, unsigned hi) {
    return lo + static_cast<unsigned>(rng() % (hi - lo + 1));
  };
  const std::string host = pick({"web-01", "db-primary", "10.0.0.7", "mail.example.com"});
  const std::string msg =
      pick({"session 0a1b2c opened", "EXT4-fs (vda): mounted", "", "x",
            "Failed password for root from 198.51.100.9 port 22 ssh2", "a: b [c] \"d\" \\e"});
  char buf[128];
  if (num(0, 2) == 0) {  // RFC 5424
    std::snprintf(buf, sizeof buf, "<%u>1 ", num(0, 191));
    std::string line = buf;
    if (num(0, 4) == 0) {
      line += "-";
    } else {
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02u", num(1970, 2099), num(1, 12),
                    num(1, 28), num(0, 23), num(0, 59), num(0, 59));
      line += buf + pick({"", ".1", ".003", ".123456"}) + pick({"Z", "+01:00", "-07:30"});
    }
    line += " " + pick({"-", "h", "mymachine.example.com"}) + " " +
            pick({"-", "evntslog", "su", "app.v2"}) + " " +
            pick({"-", "1", "8710", "worker-3", "99999999999999999999"}) + " " +
            pick({"-", "ID47", "TCPIN"}) + " " +
            pick({"-", "[a@1]", "[x@1 k=\"v\"]", R"([x@1 k="a \"]\" b"][y@2 z="\\"])",
                  "[exampleSDID@32473 iut=\"3\" eventSource=\"App\"]"});
    switch (num(0, 3)) {
      case 0:
        break;  // no MSG
      case 1:
        line += " \xEF\xBB\xBF" + msg;
        break;
      default:
        line += " " + msg;
    }
    return line;
  }
  std::string line;
  if (num(0, 1) == 0) {
    std::snprintf(buf, sizeof buf, "<%u>", num(0, 191));
    line = buf;
  }
  if (num(0, 4) == 0) {
    std::snprintf(buf, sizeof buf, "2026-%02u-%02uT%02u:%02u:%02u", num(1, 12), num(1, 28),
                  num(0, 23), num(0, 59), num(0, 59));
    line += buf + pick({"", ".123456"}) + pick({"Z", "+01:00"});
  } else {
    const unsigned day = num(1, 31);
    const char* month = day > 28 ? "Jan" : (rng() % 2 ? "Nov" : "Feb");
    std::snprintf(buf, sizeof buf, "%s %2u %02u:%02u:%02u", month, day, num(0, 23), num(0, 59),
                  num(0, 59));
    line += buf;
  }
  line += " " + host + " ";
  switch (num(0, 5)) {
    case 0:
      line += pick({"kernel", "CRON"}) + ":" + pick({" ", ""});
      break;
    case 1:
      line += pick({"app[worker-3]: ", "app[]: ", "x[1 2]: "});
      break;
    case 2:
      line += pick({"-- MARK -- ", "nocolon[12] ", "[7]: "});
      break;
    default:
      line += pick({"sshd", "postfix/smtpd", "systemd"}) + "[" + std::to_string(num(1, 4194304)) +
              "]: ";
  }
  return line + msg;
}

void ExpectAgreement(const std::vector<std::string>& lines, int year) {
  flow::Record r;
  flow::Arena arena;
  for (const std::string& line : lines) {
    bool oracle_ok = false;
    const Strings expected = OracleParse(line, year, oracle_ok);
    const bool ok = ParseSyslogLine(line, r, arena, Year(year));
    ASSERT_TRUE(oracle_ok) << line;
    ASSERT_TRUE(ok) << line << ": " << r.error;
    ASSERT_EQ(Fields(r), expected) << line;
  }
}

TEST(ParseSyslogTest, AgreesWithRegexOracleOnGeneratedCorpus) {
  const std::vector<std::string> lines = CorpusLines("syslog", 12);
  ASSERT_GE(lines.size(), 300u);
  ExpectAgreement(lines, 2026);
}

TEST(ParseSyslogTest, AgreesWithRegexOracleOnRandomEdgeLines) {
  std::mt19937 rng(7);
  std::vector<std::string> lines;
  for (int i = 0; i < 600; ++i) lines.push_back(RandomSyslogLine(rng));
  ExpectAgreement(lines, 2024);
}

// Lines as syslog daemons write them to files: no <PRI>, space-padded day.
TEST(ParseSyslogTest, AgreesWithRegexOracleOnPrilessLines) {
  std::mt19937 rng(3);
  const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::vector<std::string> lines;
  for (unsigned t = 0; t < 300; ++t) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s %2u %02u:%02u:%02u web-0%u cron[%u]: session %06x closed",
                  kMonths[t % 12], t % 28 + 1, t % 24, t % 60, (t * 7) % 60, t % 3 + 1,
                  static_cast<unsigned>(rng() % 65535 + 1),
                  static_cast<unsigned>(rng() % (1u << 24)));
    lines.push_back(buf);
  }
  ExpectAgreement(lines, 2026);
}

}  // namespace
}  // namespace ringflow::stages

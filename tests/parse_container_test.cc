// Tests for the container-log parsers: Kubernetes CRI lines (full and partial, times as
// time.RFC3339Nano writes them) and Docker's json-file lines (the fast scanner for Docker's own
// member order against the general JSON path for any other order), with impossible times,
// truncated lines and lines of other formats as errors.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "framework/flow/record.h"
#include "stages/parse_cri.h"
#include "stages/parse_docker.h"
#include "tests/testing/parse_test_util.h"

namespace ringflow::stages {
namespace {

using testing::Fields;
using testing::Parsed;
using testing::Strings;

using LineParser = bool (*)(std::string_view, flow::Record&, flow::Arena&, const TimeContext&);

// Parses `line` and checks what every parser promises: raw is the line, ok() agrees, a failed
// record has no fields.
Parsed ParseWith(LineParser parse, std::string_view line) {
  flow::Record r;
  flow::Arena arena;
  const bool ok = parse(line, r, arena, TimeContext());
  EXPECT_EQ(r.raw.data(), line.data());
  EXPECT_EQ(r.raw.size(), line.size());
  EXPECT_EQ(ok, r.ok());
  if (!ok) {
    EXPECT_TRUE(r.fields.empty()) << "fields left on a failed record";
  }
  return {ok, Fields(r), std::string(r.error)};
}

Parsed Cri(std::string_view line) { return ParseWith(ParseCriLine, line); }
Parsed Docker(std::string_view line) { return ParseWith(ParseDockerLine, line); }

TEST(ParseCriTest, FullAndPartialLines) {
  Parsed p = Cri("2026-12-05T21:27:01.123456789Z stdout F GET /healthz 200");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-12-05T21:27:01.123456789Z", "stream=s:stdout",
                               "partial=false", "message=s:GET /healthz 200"}));
  p = Cri("2016-10-06T00:17:10.113242941Z stderr P partial part  with  blanks ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2016-10-06T00:17:10.113242941Z", "stream=s:stderr",
                               "partial=true", "message=s:partial part  with  blanks "}));
}

TEST(ParseCriTest, TimesAsRfc3339NanoWritesThem) {
  // Trailing zeros of the fraction are dropped by Go, so any 0..9 digits; local offsets.
  for (const char* time :
       {"2026-12-05T21:27:01Z", "2026-12-05T21:27:01.1Z", "2026-12-05T21:27:01.12345+01:00",
        "2026-12-05T21:27:01.5-09:30", "2024-02-29T23:59:60.999999999Z"}) {
    const std::string line = std::string(time) + " stdout F x";
    const Parsed p = Cri(line);
    ASSERT_TRUE(p.ok) << line << ": " << p.error;
    EXPECT_EQ(p.fields[0], "time=s:" + std::string(time));
  }
}

TEST(ParseCriTest, EmptyMessages) {
  EXPECT_EQ(
      Cri("2026-12-05T21:27:01Z stdout F ").fields,
      (Strings{"time=s:2026-12-05T21:27:01Z", "stream=s:stdout", "partial=false", "message=s:"}));
  // A line cut right after the tag (an editor strips the trailing blank) has no message either.
  EXPECT_EQ(
      Cri("2026-12-05T21:27:01Z stderr P").fields,
      (Strings{"time=s:2026-12-05T21:27:01Z", "stream=s:stderr", "partial=true", "message=s:"}));
}

TEST(ParseCriTest, ImpossibleTimesAreErrors) {
  for (const char* time : {"2026-02-30T21:27:01Z", "2026-12-05T24:00:00Z", "2026-12-05T21:60:01Z",
                           "2026-12-05T21:27:61Z", "2026-13-05T21:27:01Z", "0000-12-05T21:27:01Z",
                           "2026-12-05T21:27:01+24:00", "2026-12-05T21:27:01+01:60"}) {
    const Parsed p = Cri(std::string(time) + " stdout F x");
    EXPECT_FALSE(p.ok) << time;
    EXPECT_EQ(p.error, "date or time is out of range") << time;
  }
}

TEST(ParseCriTest, MalformedAndOtherFormatsFail) {
  for (const char* line : {
           "",
           "2026-12-05T21:27:01Z",
           "2026-12-05T21:27:01Z ",
           "2026-12-05T21:27:01Z stdout",
           "2026-12-05T21:27:01Z stdout ",
           "2026-12-05T21:27:01Z stdin F x",
           "2026-12-05T21:27:01Z stdout X x",
           "2026-12-05T21:27:01Z stdout FP x",
           "2026-12-05T21:27:01Z stdout  F x",
           "2026-12-05T21:27:01 stdout F x",  // no zone
           "2026-12-05 21:27:01Z stdout F x",
           "2026-12-05T21:27:01.Z stdout F x",
           "2026-12-05T21:27:01.1234567890Z stdout F x",
           "2026-12-05T21:27:01+0100 stdout F x",
           "2026-12-05T21:27:01.123456+00:00 host sshd[42]: msg",
           "2026-12-05T21:27:01.123Z INFO [main] a.B: c",
           "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-05T21:27:01Z\"}",
           "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster",
       }) {
    const Parsed p = Cri(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_FALSE(p.error.empty()) << line;
  }
}

TEST(ParseDockerTest, DockersOwnLayout) {
  Parsed p = Docker(
      R"({"log":"Listening on port 8080\n","stream":"stdout","time":"2026-12-05T21:27:01.123456789Z"})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-12-05T21:27:01.123456789Z", "stream=s:stdout",
                               "message=s:Listening on port 8080"}));
  // Escapes, as Docker writes them (<, > and & as \u00XX), and a part without its newline.
  p = Docker(
      R"({"log":"\u003chtml\u003e \"q\" \\ tab\there caf\u00e9 \ud83d\ude00","stream":"stderr","time":"2026-12-05T21:27:01Z"})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"time=s:2026-12-05T21:27:01Z", "stream=s:stderr",
                     "message=s:<html> \"q\" \\ tab\there caf\xC3\xA9 \xF0\x9F\x98\x80"}));
  // Only one final newline goes; a "\r" before it stays (tty output).
  p = Docker(R"({"log":"a\r\n\n","stream":"stdout","time":"2026-12-05T21:27:01Z"})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[2], "message=s:a\r\n");
  p = Docker(R"({"log":"\n","stream":"stdout","time":"2026-12-05T21:27:01Z"})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[2], "message=s:");
  // An escaped backslash before a final 'n' is not a newline.
  p = Docker(R"({"log":"C:\\n","stream":"stdout","time":"2026-12-05T21:27:01Z"})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields[2], "message=s:C:\\n");
  // Trailing JSON whitespace (a CRLF file).
  EXPECT_TRUE(
      Docker("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-05T21:27:01Z\"} \r").ok);
}

TEST(ParseDockerTest, TheCommonLineIsNotCopied) {
  // Docker's layout with no escape but the final "\n": the message is a view into the line.
  const std::string line =
      R"({"log":"plain text\n","stream":"stdout","time":"2026-12-05T21:27:01Z"})";
  flow::Record r;
  flow::Arena arena;
  ASSERT_TRUE(ParseDockerLine(line, r, arena, TimeContext()));
  const flow::Field* message = r.Find("message");
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->value.s, "plain text");
  EXPECT_EQ(message->value.s.data(), line.data() + 8);
  EXPECT_EQ(arena.bytes_reserved(), 0u);
}

TEST(ParseDockerTest, AttrsAndOtherOrders) {
  Parsed p = Docker(
      R"({"log":"hi\n","stream":"stdout","attrs":{"tag":"web","env":"prod"},"time":"2026-12-05T21:27:01.5+01:00"})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-12-05T21:27:01.5+01:00", "stream=s:stdout",
                               "message=s:hi", R"(attrs=j:{"tag":"web","env":"prod"})"}));
  p = Docker(R"( { "time" : "2026-12-05T21:27:01Z" , "log" : "x\n" } )");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-12-05T21:27:01Z", "message=s:x"}));
  // "log" is omitted when empty, "stream" when unknown.
  p = Docker(R"({"time":"2026-12-05T21:27:01Z"})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"time=s:2026-12-05T21:27:01Z", "message=s:"}));
}

TEST(ParseDockerTest, ErrorsAndOtherFormats) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"log":"x\n","stream":"stdout","time":"2026-02-30T21:27:01Z"})",
       "date or time is out of range"},
      {R"({"log":"x\n","stream":"stdout","time":"2026-12-05 21:27:01"})",
       "time is not RFC 3339 (yyyy-mm-ddThh:mm:ss...)"},
      {R"({"log":"x\n","stream":"stdout"})", "no \"time\" member"},
      {R"({"log":"x\n","stream":"stdout","time":"2026-12-05T21:27:01Z","level":"info"})",
       "a member other than log, stream, time and attrs"},
      {R"({"log":"x","log":"y","time":"2026-12-05T21:27:01Z"})", "a member appears twice"},
      {R"({"log":1,"time":"2026-12-05T21:27:01Z"})", "\"log\" is not a string"},
      {R"({"stream":null,"time":"2026-12-05T21:27:01Z"})", "\"stream\" is not a string"},
      {R"({"time":20261205})", "\"time\" is not a string"},
      {R"({"attrs":[1],"time":"2026-12-05T21:27:01Z"})", "\"attrs\" is not an object"},
  };
  for (const auto& [line, reason] : cases) {
    const Parsed p = Docker(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, reason) << line;
  }
  for (const char* line : {
           // Truncated lines, bad escapes, raw control bytes, invalid UTF-8.
           R"({"log":"x\n","stream":"stdout","time":"2026-12-05T21:27:01Z")",
           R"({"log":"x\n","stream":"stdout","time":"2026-12-05T21:2)",
           R"({"log":"x\q","stream":"stdout","time":"2026-12-05T21:27:01Z"})",
           R"({"log":"\ude00","stream":"stdout","time":"2026-12-05T21:27:01Z"})",
           "{\"log\":\"a\tb\",\"stream\":\"stdout\",\"time\":\"2026-12-05T21:27:01Z\"}",
           "{\"log\":\"\xff\",\"stream\":\"stdout\",\"time\":\"2026-12-05T21:27:01Z\"}",
           R"({"log":"x\n","stream":"stdout","time":"2026-12-05T21:27:01Z"} x)",
           // Other formats.
           "2026-12-05T21:27:01.123456789Z stdout F msg",
           "2026-12-05 21:27:01,123 INFO [main] a.B: c",
           R"({"time":"2026-12-05T21:27:01Z","level":"info","msg":"x"})",
           R"(["log","x"])",
       }) {
    const Parsed p = Docker(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_FALSE(p.error.empty()) << line;
  }
}

// Every prefix of a valid line, and each with one byte changed, either parses or fails cleanly
// (ParseWith checks that a failure leaves no fields); under the sanitizers this also checks that
// neither parser reads past the line.
TEST(ParseContainerTest, PrefixesAndMutationsFailCleanly) {
  const std::pair<LineParser, const char*> cases[] = {
      {ParseCriLine, "2026-12-05T21:27:01.123456789+01:00 stdout P partial message"},
      {ParseDockerLine,
       R"({"log":"a\"b\u00e9\ud83d\ude00\n","stream":"stdout","time":"2026-12-05T21:27:01Z"})"},
      {ParseDockerLine,
       R"({"log":"x\n","stream":"stderr","attrs":{"a":"b"},"time":"2026-12-05T21:27:01Z"})"},
  };
  const std::string mutations = " \"\\{}:,nuTZ0+";
  for (const auto& [parse, full_text] : cases) {
    const std::string_view full = full_text;
    EXPECT_TRUE(ParseWith(parse, full).ok) << full;
    for (std::size_t n = 0; n < full.size(); ++n) {
      const std::string prefix(full.substr(0, n));
      ParseWith(parse, prefix);
      for (const char c : mutations) {
        std::string changed(full);
        changed[n] = c;
        ParseWith(parse, changed);
      }
    }
  }
}

// The fast scanner (Docker's order) and the general JSON path (the same members reordered) give
// the same record on messages full of escapes.
TEST(ParseDockerTest, FastScannerAgreesWithTheJsonParser) {
  std::mt19937 rng(16);
  const std::vector<std::string> pieces = {"a",
                                           " ",
                                           "GET /x",
                                           "\\n",
                                           "\\r",
                                           "\\t",
                                           "\\\"",
                                           "\\\\",
                                           "\\/",
                                           "\\b",
                                           "\\f",
                                           "\\u0000",
                                           "\\u00e9",
                                           "\\u20ac",
                                           "\\ud83d\\ude00",
                                           "\xC3\xA9",
                                           "\xE2\x82\xAC",
                                           "n",
                                           "\\u003c"};
  for (int i = 0; i < 2000; ++i) {
    std::string log;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) log += pieces[rng() % pieces.size()];
    if (rng() % 2 == 0) log += "\\n";
    const std::string time = "2026-12-05T21:27:01.123456789Z";
    const std::string fast =
        "{\"log\":\"" + log + "\",\"stream\":\"stdout\",\"time\":\"" + time + "\"}";
    const std::string general =
        "{\"time\":\"" + time + "\",\"stream\":\"stdout\",\"log\":\"" + log + "\"}";
    const Parsed a = Docker(fast);
    const Parsed b = Docker(general);
    ASSERT_TRUE(a.ok) << fast << ": " << a.error;
    ASSERT_TRUE(b.ok) << general << ": " << b.error;
    EXPECT_EQ(a.fields, b.fields) << fast;
  }
}

}  // namespace
}  // namespace ringflow::stages

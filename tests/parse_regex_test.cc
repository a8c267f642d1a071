// Tests for the regex parser: named groups in order, optional and empty groups, typed values and
// their failures, whole-line matching, pattern and types errors, bytes that are not UTF-8, the
// parse stage with format regex, concurrent use, and agreement with the access parser on
// generated combined-format lines.
#include "stages/parse_regex.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "framework/flow/record.h"
#include "framework/flow/stage.h"
#include "stages/parse_access.h"
#include "stages/parse_stage.h"
#include "tests/testing/parse_test_util.h"

namespace ringflow::stages {
namespace {

using testing::Fields;
using testing::Parsed;
using testing::Strings;

RegexParser Make(std::string_view pattern, const std::vector<std::string>& types = {}) {
  auto parser = RegexParser::Create(pattern, types);
  EXPECT_TRUE(parser.ok()) << pattern << ": " << parser.error().message();
  if (!parser.ok()) std::abort();
  return std::move(parser).value();
}

// Parses `line` and checks what every parser promises: raw is the line, ok() agrees, no fields
// on failure.
Parsed Parse(const RegexParser& parser, std::string_view line) {
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

// The error message of Create, or "<ok>".
std::string CreateError(std::string_view pattern, const std::vector<std::string>& types = {}) {
  auto parser = RegexParser::Create(pattern, types);
  if (parser.ok()) return "<ok>";
  EXPECT_EQ(parser.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parser.error().message().find('\n'), std::string::npos) << "not one line";
  return parser.error().message();
}

bool InLine(std::string_view v, std::string_view line) {
  return v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size();
}

TEST(ParseRegexTest, NamedGroupsBecomeFieldsInGroupOrder) {
  // The unnamed group is matched but not reported; the field order is the group order, not
  // the order of the types list.
  const RegexParser parser =
      Make(R"re((?P<level>[A-Z]+) (\d+) (?P<ts>\S+) (?P<msg>.*))re", {"ts=string"});
  EXPECT_EQ(parser.pattern(), R"re((?P<level>[A-Z]+) (\d+) (?P<ts>\S+) (?P<msg>.*))re");
  const std::string line = "INFO 42 2026-01-01T00:00:00Z hello world";
  flow::Record r;
  flow::Arena arena;
  ASSERT_TRUE(parser.Parse(line, r, arena)) << r.error;
  EXPECT_EQ(Fields(r), (Strings{"level=s:INFO", "ts=s:2026-01-01T00:00:00Z", "msg=s:hello world"}));
  for (const flow::Field& f : r.fields) {
    EXPECT_TRUE(InLine(f.value.s, line)) << "values are views into the line";
    EXPECT_FALSE(InLine(f.name, line)) << "names belong to the parser";
  }
  EXPECT_EQ(arena.bytes_reserved(), 0u) << "nothing is copied";
}

TEST(ParseRegexTest, FieldNamesOutliveTheOriginalWhileACopyLives) {
  flow::Record r;
  flow::Arena arena;
  {
    RegexParser first = Make("(?P<a_rather_long_field_name_for_the_heap>x)(?P<s>y)");
    const RegexParser copy = first;
    { RegexParser gone = std::move(first); }
    ASSERT_TRUE(copy.Parse("xy", r, arena));
    EXPECT_EQ(Fields(r), (Strings{"a_rather_long_field_name_for_the_heap=s:x", "s=s:y"}));
    // A moved-from parser fails in-band instead of crashing.
    flow::Record moved;
    EXPECT_FALSE(first.Parse("xy", moved, arena));  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(moved.error, "regex: no pattern");
    EXPECT_EQ(moved.raw, "xy");
  }
}

TEST(ParseRegexTest, OptionalGroupsAreOmittedEmptyOnesKept) {
  const RegexParser parser = Make(R"re((?P<a>\w*)(?: (?P<b>\w+))?(?:-(?P<c>\w*))?)re");
  EXPECT_EQ(Parse(parser, "x y-z").fields, (Strings{"a=s:x", "b=s:y", "c=s:z"}));
  EXPECT_EQ(Parse(parser, "x").fields, (Strings{"a=s:x"}));
  EXPECT_EQ(Parse(parser, "x-").fields, (Strings{"a=s:x", "c=s:"}));
  EXPECT_EQ(Parse(parser, "").fields, (Strings{"a=s:"}));
  EXPECT_EQ(Parse(parser, std::string_view()).fields, (Strings{"a=s:"}));  // null data
  EXPECT_EQ(Parse(parser, " y").fields, (Strings{"a=s:", "b=s:y"}));
}

TEST(ParseRegexTest, OnlyTheTakenSideOfAnAlternationIsReported) {
  const RegexParser parser =
      Make(R"re((?:GET (?P<path>\S+)|PING(?P<ping> ok)?) (?P<ms>\d+)ms)re", {"ms=int"});
  EXPECT_EQ(Parse(parser, "GET /a 12ms").fields, (Strings{"path=s:/a", "ms=i:12"}));
  EXPECT_EQ(Parse(parser, "PING 3ms").fields, (Strings{"ms=i:3"}));
  EXPECT_EQ(Parse(parser, "PING ok 3ms").fields, (Strings{"ping=s: ok", "ms=i:3"}));
}

TEST(ParseRegexTest, TypedGroups) {
  const RegexParser parser = Make(R"re((?P<i>\S*) (?P<d>\S*) (?P<b>\S*) (?P<s>\S*))re",
                                  {"i=int", "d=double", "b=bool", "s=string"});
  EXPECT_EQ(Parse(parser, "42 1.5 true 42").fields,
            (Strings{"i=i:42", "d=d:1.5", "b=true", "s=s:42"}));
  EXPECT_EQ(Parse(parser, "-7 -2e3 false x").fields,
            (Strings{"i=i:-7", "d=d:-2000", "b=false", "s=s:x"}));
  EXPECT_EQ(Parse(parser, "007 .5 true ").fields, (Strings{"i=i:7", "d=d:0.5", "b=true", "s=s:"}));
  EXPECT_EQ(Parse(parser, "9223372036854775807 1e308 true x").fields,
            (Strings{"i=i:9223372036854775807", "d=d:1e+308", "b=true", "s=s:x"}));
  EXPECT_EQ(Parse(parser, "-9223372036854775808 0 false x").fields,
            (Strings{"i=i:-9223372036854775808", "d=d:0", "b=false", "s=s:x"}));
}

TEST(ParseRegexTest, TypedGroupThatDoesNotConvertFailsTheLine) {
  const RegexParser parser =
      Make(R"re((?P<status>\S*) (?P<d>\S*) (?P<b>\S*))re", {"status=int", "d=double", "b=bool"});
  const std::string not_int = "regex: field \"status\" is not an integer";
  const std::string not_num = "regex: field \"d\" is not a number";
  const std::string not_bool = "regex: field \"b\" is not true or false";
  const std::pair<std::string, std::string> cases[] = {
      {"abc 1 true", not_int},   {" 1 true", not_int},  // empty
      {"+5 1 true", not_int},    {"1.0 1 true", not_int},
      {"0x10 1 true", not_int},  {"9223372036854775808 1 true", not_int},
      {"12a 1 true", not_int},   {"1 x true", not_num},
      {"1  true", not_num},      {"1 inf true", not_num},
      {"1 nan true", not_num},   {"1 1e999 true", not_num},
      {"1 0x1p3 true", not_num}, {"1 1.5.2 true", not_num},
      {"1 1 True", not_bool},    {"1 1 1", not_bool},
      {"1 1 ", not_bool},        {"x y z", not_int},  // the first group in order reports
  };
  for (const auto& [line, reason] : cases) {
    const Parsed p = Parse(parser, line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, reason) << line;
  }
  // A failed typed group that did not take part is no failure.
  const RegexParser optional = Make(R"re((?P<n>\d+)?x)re", {"n=int"});
  EXPECT_EQ(Parse(optional, "x").fields, Strings{});
  EXPECT_TRUE(Parse(optional, "x").ok);
  EXPECT_EQ(Parse(optional, "12x").fields, (Strings{"n=i:12"}));
}

TEST(ParseRegexTest, PatternMustMatchTheWholeLine) {
  const RegexParser parser = Make(R"re((?P<n>\d+))re");
  EXPECT_EQ(Parse(parser, "123").fields, (Strings{"n=s:123"}));
  for (const char* line : {"a123", "123a", "12 3", " 123", "123 ", "", "abc"}) {
    const Parsed p = Parse(parser, line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, "regex: no match") << line;
  }
  // Explicit anchors change nothing; an explicit .* lets the line go on.
  EXPECT_EQ(Parse(Make(R"re(^(?P<n>\d+)$)re"), "123").fields, (Strings{"n=s:123"}));
  EXPECT_FALSE(Parse(Make(R"re(^(?P<n>\d+)$)re"), "123 x").ok);
  EXPECT_EQ(Parse(Make(R"re((?P<n>\d+).*)re"), "123 x").fields, (Strings{"n=s:123"}));
}

TEST(ParseRegexTest, FailureClearsTheFieldsOfAReusedRecord) {
  const RegexParser parser = Make(R"re((?P<a>\w+)=(?P<n>\w+))re", {"n=int"});
  flow::Record r;
  flow::Arena arena;
  r.fields.reserve(8);
  const flow::Field* storage = r.fields.data();
  ASSERT_TRUE(parser.Parse("k=1", r, arena));
  EXPECT_FALSE(parser.Parse("k=x", r, arena));
  EXPECT_TRUE(r.fields.empty());
  EXPECT_FALSE(parser.Parse("nothing", r, arena));
  EXPECT_EQ(r.error, "regex: no match");
  ASSERT_TRUE(parser.Parse("k=2", r, arena));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(Fields(r), (Strings{"a=s:k", "n=i:2"}));
  EXPECT_EQ(r.fields.data(), storage) << "capacity reused";
}

TEST(ParseRegexTest, BadPatternsAreInvalidArgumentsWithTheReason) {
  EXPECT_EQ(CreateError("(?P<x>a"), "regex pattern: missing ): (?P<x>a");
  EXPECT_EQ(CreateError("(?P<x>a\nb"), "regex pattern: missing ): (?P<x>a\\x0ab");
  EXPECT_EQ(CreateError("(?P<x>a{1001})"), "regex pattern: invalid repetition size: {1001}");
  EXPECT_EQ(CreateError("(?<x>a)").rfind("regex pattern: invalid", 0), 0u);
  EXPECT_EQ(CreateError("(?P<x>*)").rfind("regex pattern: ", 0), 0u);
  EXPECT_EQ(CreateError("(?P<x>a)(?P<x>b)").rfind("regex pattern: ", 0), 0u);
  EXPECT_NE(CreateError("(?P<x>a)(?P<x>b)").find("duplicate"), std::string::npos);
  EXPECT_EQ(CreateError("(?P<x>Zo\xc3\xab)"),
            "regex pattern: non-ASCII byte at offset 8 (matching is byte by byte: write bytes "
            "as \\xHH)");
  EXPECT_EQ(CreateError("(?P<x>Zo\\xc3\\xab)"), "<ok>");
}

TEST(ParseRegexTest, PatternsWithoutNamedGroupsAreRejected) {
  const std::string want = "regex pattern has no named group: name each field with (?P<name>...)";
  EXPECT_EQ(CreateError("abc"), want);
  EXPECT_EQ(CreateError("(a)(b+)"), want);
  EXPECT_EQ(CreateError(""), want);
  EXPECT_EQ(CreateError("(a)(?P<b>c)"), "<ok>");
}

TEST(ParseRegexTest, BadTypesItemsAreNamed) {
  const char* pattern = R"re((?P<status>\d+) (?P<bytes>\d+))re";
  EXPECT_EQ(CreateError(pattern, {"status=int", "size=int"}),
            "regex types: \"size=int\": the pattern has no group \"size\"; groups: status, "
            "bytes");
  EXPECT_EQ(CreateError(pattern, {"status=integer"}),
            "regex types: \"status=integer\": unknown type \"integer\"; known: int, double, "
            "bool, string");
  EXPECT_NE(CreateError(pattern, {"status=Int"}).find(": unknown type \"Int\"; known"),
            std::string::npos);
  EXPECT_NE(CreateError(pattern, {"status="}).find(": unknown type \"\"; known"),
            std::string::npos);
  EXPECT_EQ(CreateError(pattern, {"status"}),
            "regex types: \"status\": expected group=type (int, double, bool or string)");
  EXPECT_EQ(CreateError(pattern, {"=int"}),
            "regex types: \"=int\": expected group=type (int, double, bool or string)");
  EXPECT_EQ(CreateError(pattern, {"status=int", "status=string"}),
            "regex types: \"status=string\": group \"status\" typed twice");
  EXPECT_NE(CreateError(pattern, {"status =int"}).find(": the pattern has no group \"status \""),
            std::string::npos);
  EXPECT_EQ(CreateError(pattern, {"status=int", "bytes=double"}), "<ok>");
}

TEST(ParseRegexTest, NulBytesAndInvalidUtf8MatchByteByByte) {
  const RegexParser parser = Make(R"re((?P<user>[^ ]+) "(?P<ua>[^"]*)" (?P<rest>.*))re");
  static constexpr char kLine[] = "bob\xff\xfe \"Zo\xc3\xab \x00\xc3(\" t\x00il\x80";
  const std::string line(kLine, sizeof kLine - 1);  // NULs included
  flow::Record r;
  flow::Arena arena;
  ASSERT_TRUE(parser.Parse(line, r, arena)) << r.error;
  ASSERT_EQ(r.fields.size(), 3u);
  EXPECT_EQ(r.fields[0].value.s, std::string_view("bob\xff\xfe"));
  EXPECT_EQ(r.fields[1].value.s, std::string_view("Zo\xc3\xab \x00\xc3(", 8));
  EXPECT_EQ(r.fields[2].value.s, std::string_view("t\x00il\x80", 5));
  EXPECT_EQ(r.fields[2].value.s.data() + r.fields[2].value.s.size(), line.data() + line.size());
  // `.` and `\C` match single bytes; a NUL ends nothing.
  EXPECT_EQ(Parse(Make(R"re((?P<a>.)(?P<b>.)\C)re"), std::string("\xc3\xab\x00", 3)).fields,
            (Strings{"a=s:\xc3", "b=s:\xab"}));
  EXPECT_EQ(Parse(Make(R"re((?P<a>\xff+)\x00(?P<b>\d))re"), std::string("\xff\xff\x00"
                                                                        "7",
                                                                        4))
                .fields,
            (Strings{"a=s:\xff\xff", "b=s:7"}));
  // A NUL where the pattern wants something else is simply no match.
  EXPECT_EQ(Parse(Make(R"re((?P<n>\d+))re"), std::string("12\x00", 3)).error, "regex: no match");
}

TEST(ParseRegexTest, ManyGroupsUseTheLargeSubmatchArray) {
  std::string pattern;
  std::string line;
  Strings want;
  for (int i = 0; i < 40; ++i) {
    if (i > 0) {
      pattern += ",";
      line += ",";
    }
    pattern += i % 3 == 1 ? "(\\d+)" : "(?P<g" + std::to_string(i) + ">\\d+)";
    line += std::to_string(i * 7);
    if (i % 3 != 1) want.push_back("g" + std::to_string(i) + "=s:" + std::to_string(i * 7));
  }
  const RegexParser parser = Make(pattern);
  EXPECT_EQ(Parse(parser, line).fields, want);
  EXPECT_EQ(Parse(parser, line + ",").error, "regex: no match");
  EXPECT_EQ(Parse(Make("(?P<a>x)"), "x").fields, (Strings{"a=s:x"}));  // small again, same thread
}

// ---- ParseStage with format regex ----

flow::RecordBatch Batch(const Strings& lines) {
  flow::RecordBatch batch;
  for (const std::string& line : lines) batch.records.emplace_back().raw = line;
  return batch;
}

TEST(ParseRegexStageTest, FormatNameAndKnownList) {
  auto format = ParseLogFormat("regex");
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(*format, LogFormat::kRegex);
  EXPECT_EQ(LogFormatName(LogFormat::kRegex), "regex");
  auto bad = ParseLogFormat("re2");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "unknown format \"re2\"; known: auto, access, apache_error, nginx_error, syslog, "
            "applog, logcat, glog, cri, "
            "docker, json, logfmt, grok, regex, raw");
}

TEST(ParseRegexStageTest, ParsesABatch) {
  ParseOptions options;
  options.format = LogFormat::kRegex;
  options.pattern = R"re((?P<level>[a-z]+) (?P<ms>\d+)ms(?: (?P<msg>.+))?)re";
  options.types = {"ms=int"};
  auto stage = ParseStage::Create(options);
  ASSERT_TRUE(stage.ok()) << stage.error().message();
  EXPECT_EQ((*stage)->format(), LogFormat::kRegex);
  const Strings lines = {
      "info 12ms started",        "warn 7ms",    "garbage", "error 99999999999999999999ms",
      "debug 1ms already failed", "info 3ms cut"};
  flow::RecordBatch batch = Batch(lines);
  batch.records[4].error = "an earlier stage";
  batch.records[5].truncated = true;
  (*stage)->Process(batch);
  const auto& rs = batch.records;
  EXPECT_EQ(Fields(rs[0]), (Strings{"level=s:info", "ms=i:12", "msg=s:started"}));
  EXPECT_EQ(Fields(rs[1]), (Strings{"level=s:warn", "ms=i:7"}));
  EXPECT_EQ(rs[2].error, "regex: no match");
  EXPECT_EQ(rs[2].raw, "garbage");
  EXPECT_TRUE(rs[2].fields.empty());
  EXPECT_EQ(rs[3].error, "regex: field \"ms\" is not an integer");
  EXPECT_EQ(rs[4].error, "an earlier stage");
  EXPECT_TRUE(rs[4].fields.empty());
  EXPECT_TRUE(rs[5].ok());
  EXPECT_TRUE(rs[5].truncated);
  EXPECT_EQ(Fields(rs[5]), (Strings{"level=s:info", "ms=i:3", "msg=s:cut"}));
  for (std::size_t i = 0; i < rs.size(); ++i) EXPECT_EQ(rs[i].raw, lines[i]);
}

TEST(ParseRegexStageTest, ConstructorWithAParser) {
  const ParseStage stage(Make(R"re((?P<w>\w+))re"));
  EXPECT_EQ(stage.format(), LogFormat::kRegex);
  const Strings lines = {"word", "two words"};
  flow::RecordBatch batch = Batch(lines);
  stage.Process(batch);
  EXPECT_EQ(Fields(batch.records[0]), (Strings{"w=s:word"}));
  EXPECT_EQ(batch.records[1].error, "regex: no match");
}

TEST(ParseRegexStageTest, RegexWithoutAPatternFailsEveryLineInBand) {
  const ParseStage stage(LogFormat::kRegex, 2026);
  const Strings lines = {"a", ""};
  flow::RecordBatch batch = Batch(lines);
  batch.records[0].fields.push_back({"stale", flow::Value::Int(1)});
  batch.records[1].truncated = true;
  stage.Process(batch);
  for (const flow::Record& r : batch.records) {
    EXPECT_EQ(r.error, "regex: no pattern");
    EXPECT_TRUE(r.fields.empty());
  }
  EXPECT_TRUE(batch.records[1].truncated);
}

TEST(ParseRegexStageTest, CreateChecksItsOptions) {
  const auto error = [](const ParseOptions& o) {
    auto stage = ParseStage::Create(o);
    if (stage.ok()) return std::string("<ok>");
    EXPECT_EQ(stage.error().code(), ErrorCode::kInvalidArgument);
    return stage.error().message();
  };
  ParseOptions o;
  o.format = LogFormat::kRegex;
  EXPECT_EQ(error(o), "format regex needs a pattern");
  o.types = {"a=int"};
  EXPECT_EQ(error(o), "format regex needs a pattern");
  o.pattern = "(?P<a>\\d+)";
  EXPECT_EQ(error(o), "<ok>");
  o.types = {"b=int"};
  EXPECT_EQ(error(o), "regex types: \"b=int\": the pattern has no group \"b\"; groups: a");
  o.pattern = "(a)";
  o.types = {};
  EXPECT_EQ(error(o), "regex pattern has no named group: name each field with (?P<name>...)");
  o.format = LogFormat::kJson;
  EXPECT_EQ(error(o), "pattern and types are only for format regex, not json");
  o.pattern.clear();
  o.types = {"a=int"};
  EXPECT_EQ(error(o), "pattern and types are only for format regex, not json");
  o.types.clear();
  EXPECT_EQ(error(o), "<ok>");
  o.format = LogFormat::kSyslog;
  o.time.fixed_year = 10000;
  EXPECT_EQ(error(o), "year 10000 is not in 1..9999");
  o.time.fixed_year = 0;  // the year rule
  EXPECT_EQ(error(o), "<ok>");
  for (LogFormat f : {LogFormat::kAccess, LogFormat::kLogfmt, LogFormat::kRaw}) {
    o.format = f;
    auto stage = ParseStage::Create(o);
    ASSERT_TRUE(stage.ok());
    EXPECT_EQ((*stage)->format(), f);
  }
}

// ---- Concurrency ----

std::vector<Parsed> ParseAllLines(const RegexParser& parser, const Strings& lines) {
  std::vector<Parsed> out;
  flow::Record r;
  flow::Arena arena;
  for (const std::string& line : lines) {
    const bool ok = parser.Parse(line, r, arena);
    out.push_back({ok, Fields(r), std::string(r.error)});
  }
  return out;
}

TEST(ParseRegexTest, ConcurrentParseGivesIdenticalResults) {
  const RegexParser parser =
      Make(R"re((?P<k>[a-z]+)=(?P<v>-?\d+)(?: (?P<f>\S+))?)re", {"v=int", "f=double"});
  Strings lines;
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string line = std::string(1 + rng() % 5, static_cast<char>('a' + rng() % 26)) + "=" +
                       std::to_string(static_cast<int>(rng() % 2001) - 1000);
    if (rng() % 3 == 0) line += " " + std::to_string(rng() % 1000) + ".25";
    if (rng() % 7 == 0) line += " not-a-number";
    if (rng() % 11 == 0) line = "?" + line;
    lines.push_back(line);
  }
  const std::vector<Parsed> expected = ParseAllLines(parser, lines);
  std::vector<Parsed> a, b;
  std::thread t1([&] { a = ParseAllLines(parser, lines); });
  std::thread t2([&] { b = ParseAllLines(parser, lines); });
  t1.join();
  t2.join();
  ASSERT_EQ(a.size(), expected.size());
  ASSERT_EQ(b.size(), expected.size());
  int ok = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(a[i].ok, expected[i].ok) << lines[i];
    EXPECT_EQ(a[i].fields, expected[i].fields) << lines[i];
    EXPECT_EQ(a[i].error, expected[i].error) << lines[i];
    EXPECT_EQ(b[i].fields, expected[i].fields) << lines[i];
    EXPECT_EQ(b[i].error, expected[i].error) << lines[i];
    ok += expected[i].ok ? 1 : 0;
  }
  EXPECT_GT(ok, 1000);
  EXPECT_LT(ok, 2000);
}

// ---- Oracle: the access parser on generated combined / common lines ----

// The combined format (common when the quoted pair is missing, nginx "main" when text follows).
constexpr char kCombined[] =
    R"re((?P<remote_addr>[^ ]+) [^ ]+ (?P<remote_user>[^ ]+) \[(?P<time>[^\]]*)\] )re"
    R"re("(?P<request>(?:[^"\\]|\\.)*)" (?P<status>[0-9]{1,3}) (?:(?P<bytes>[0-9]+)|-))re"
    R"re((?: "(?P<referer>(?:[^"\\]|\\.)*)")re"
    R"re((?: "(?P<user_agent>(?:[^"\\]|\\.)*)"(?: +(?P<extra>.*))?)?)?)re";

std::string RandomAccessLine(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  std::string line;
  if (rng() % 4 == 0) {
    line = pick({"2001:db8::1", "::1", "fe80::a:b"});
  } else {
    line = std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." +
           std::to_string(rng() % 256) + "." + std::to_string(rng() % 256);
  }
  line += " - " + pick({"-", "alice", "bob"}) + " [";
  char time[32];
  const auto r = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  std::snprintf(time, sizeof time, "%02u/%s/20%02u:%02u:%02u:%02u %c%02u00", 1 + r(28),
                pick({"Jan", "Feb", "Jun", "Oct", "Dec"}).c_str(), r(40), r(24), r(60), r(60),
                r(2) ? '+' : '-', r(13));
  line += time;
  line += "] \"" +
          pick({"GET / HTTP/1.1", "POST /api/v2/items?id=7 HTTP/2.0", "-", "GET /say \\\"hi\\\" x",
                "HEAD /a\\\\ HTTP/1.0", "\\x16\\x03\\x01"}) +
          "\" ";
  switch (rng() % 12) {
    case 0:
      line += pick({"20x", "1000", "-1", ""});  // not 1 to 3 digits: both fail
      break;
    default:
      line += std::to_string(rng() % 2 ? 100 + rng() % 500 : rng() % 1000);
  }
  line += " ";
  switch (rng() % 10) {
    case 0:
      line += "-";
      break;
    case 1:
      line += pick({"12a", "99999999999999999999", "+5"});  // both fail
      break;
    case 2:
      line += "9223372036854775807";
      break;
    default:
      line += std::to_string(rng() % 100000);
  }
  switch (rng() % 4) {
    case 0:
      break;  // common format
    case 1:
      line += " \"" + pick({"-", "https://example.com/"}) + "\" \"" +
              pick({"curl/8.0", "Mozilla/5.0 (X11; Linux x86_64)", "-", "q\\\"uote"}) + "\" \"" +
              pick({"10.0.0.1", "-"}) + "\"";
      break;
    default:
      line += " \"" + pick({"-", "https://example.com/", "http://x/?a=\\\"b\\\""}) + "\" \"" +
              pick({"curl/8.0", "Mozilla/5.0 (X11; Linux x86_64)", "-", "back\\\\slash"}) + "\"";
  }
  return line;
}

TEST(ParseRegexTest, AgreesWithTheAccessParserOnGeneratedLines) {
  const RegexParser parser = Make(kCombined, {"status=int", "bytes=int"});
  std::mt19937 rng(17);
  flow::Record want, got;
  flow::Arena arena;
  int ok = 0, failed = 0;
  for (int i = 0; i < 500; ++i) {
    const std::string line = RandomAccessLine(rng);
    const bool access_ok = ParseAccessLine(line, want, arena);
    const bool regex_ok = parser.Parse(line, got, arena);
    ASSERT_EQ(regex_ok, access_ok)
        << line << "\naccess: " << want.error << "\nregex: " << got.error;
    if (!access_ok) {
      ++failed;
      continue;
    }
    ++ok;
    const flow::Field* addr = got.Find("remote_addr");
    ASSERT_NE(addr, nullptr) << line;
    EXPECT_EQ(addr->value.type, flow::ValueType::kString);
    EXPECT_EQ(addr->value.s, want.Find("remote_addr")->value.s) << line;
    const flow::Field* status = got.Find("status");
    ASSERT_NE(status, nullptr) << line;
    EXPECT_EQ(status->value.type, flow::ValueType::kInt);
    EXPECT_EQ(status->value.i, want.Find("status")->value.i) << line;
    // The access parser reads "-" as 0 bytes; the pattern leaves the group out.
    const flow::Field* bytes = got.Find("bytes");
    const int64_t bytes_value = bytes == nullptr ? 0 : bytes->value.i;
    if (bytes != nullptr) {
      EXPECT_EQ(bytes->value.type, flow::ValueType::kInt);
    }
    EXPECT_EQ(bytes_value, want.Find("bytes")->value.i) << line;
    EXPECT_EQ(got.Find("referer") != nullptr, want.Find("referer") != nullptr) << line;
    EXPECT_EQ(got.Find("user_agent") != nullptr, want.Find("user_agent") != nullptr) << line;
  }
  EXPECT_GT(ok, 300);
  EXPECT_GT(failed, 20);
}

}  // namespace
}  // namespace ringflow::stages

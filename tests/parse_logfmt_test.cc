// Tests for the logfmt and raw parsers: exact typed values, quoting and duplicates, errors that
// leave no fields, and agreement with an independent std::regex + strtoll/strtod parser.
#include "stages/parse_logfmt.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
#include "stages/parse_raw.h"
#include "tests/testing/parse_test_util.h"

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
  const bool ok = ParseLogfmtLine(line, r, arena);
  EXPECT_EQ(r.raw.data(), line.data());
  EXPECT_EQ(r.raw.size(), line.size());
  EXPECT_EQ(ok, r.ok());
  if (!ok) {
    EXPECT_TRUE(r.fields.empty()) << "fields left on a failed record";
  }
  return {ok, Fields(r), std::string(r.error)};
}

TEST(ParseLogfmtTest, TypedValues) {
  const Parsed p = Parse(
      "level=info n=42 neg=-7 zero=0 f=1.5 e=2.5E-3 big=1e10 ok=true no=false s=hello "
      "max=9223372036854775807 min=-9223372036854775808");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"level=s:info", "n=i:42", "neg=i:-7", "zero=i:0", "f=d:1.5",
                     "e=d:0.0025000000000000001", "big=d:10000000000", "ok=true", "no=false",
                     "s=s:hello", "max=i:9223372036854775807", "min=i:-9223372036854775808"}));
}

TEST(ParseLogfmtTest, LookalikesStayStrings) {
  const Parsed p =
      Parse("a=007 b=+5 c=1. d=.5 e=1e f=9223372036854775808 g=1e999 h=True i=0x10 j=1.2.3 k=-");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields,
            (Strings{"a=s:007", "b=s:+5", "c=s:1.", "d=s:.5", "e=s:1e", "f=s:9223372036854775808",
                     "g=s:1e999", "h=s:True", "i=s:0x10", "j=s:1.2.3", "k=s:-"}));
}

TEST(ParseLogfmtTest, QuotedValuesBareKeysAndEmptyValues) {
  const std::string line =
      "msg=\"quoted \\\"value\\\"\" flag path=\"/a b\" empty= q=\"\" n=\"12\" "
      "esc=\"a\\nb\\tc\\\\d\\x\"";
  flow::Record r;
  flow::Arena arena;
  ASSERT_TRUE(ParseLogfmtLine(line, r, arena)) << r.error;
  EXPECT_EQ(Fields(r), (Strings{"msg=s:quoted \"value\"", "flag=true", "path=s:/a b",
                                "empty=s:", "q=s:", "n=s:12", "esc=s:a\nb\tc\\d\\x"}));
  // Without escapes the value is a view into the line; with them, it lives in the arena.
  const auto in_line = [&](std::string_view v) {
    return v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size();
  };
  EXPECT_FALSE(in_line(r.Find("msg")->value.s));
  EXPECT_TRUE(in_line(r.Find("path")->value.s));
  EXPECT_TRUE(in_line(r.Find("flag")->name));
}

TEST(ParseLogfmtTest, DuplicateKeysAreAllKeptInOrder) {
  const Parsed p = Parse("  tag=a\ttag=b  x tag=3 x  ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"tag=s:a", "tag=s:b", "x=true", "tag=i:3", "x=true"}));
}

TEST(ParseLogfmtTest, ValuesMayHoldEqualsAndQuotesWhenUnquoted) {
  const Parsed p = Parse("url=http://x/?a=b&c=d k=a\"b");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.fields, (Strings{"url=s:http://x/?a=b&c=d", "k=s:a\"b"}));
}

TEST(ParseLogfmtTest, MalformedLinesGiveReasonAndNoFields) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "no key=value pairs"},
      {" \t ", "no key=value pairs"},
      {"=v", "empty key before '='"},
      {"a=1 =v", "empty key before '='"},
      {"a=1 \"k\"=v", "a key cannot start with '\"'"},
      {"a=1 k\"x=v", "'\"' inside a key"},
      {"a=\"open", "unterminated quoted value"},
      {"a=\"open\\\"", "unterminated quoted value"},
      {"a=\"x\"y b=1", "expected a blank after a quoted value"},
  };
  flow::Record r;
  flow::Arena arena;
  for (const auto& [line, reason] : cases) {
    ASSERT_TRUE(ParseLogfmtLine("a=1 b=2", r, arena));
    EXPECT_FALSE(ParseLogfmtLine(line, r, arena)) << line;
    EXPECT_EQ(r.error, reason) << line;
    EXPECT_TRUE(r.fields.empty()) << line;
    EXPECT_EQ(r.raw, line);
  }
}

TEST(ParseLogfmtTest, ReusesFieldCapacity) {
  flow::Record r;
  flow::Arena arena;
  r.fields.reserve(16);
  const flow::Field* storage = r.fields.data();
  EXPECT_FALSE(ParseLogfmtLine("=", r, arena));
  ASSERT_TRUE(ParseLogfmtLine("a=1 b c=\"d\"", r, arena));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.fields.data(), storage);
}

TEST(ParseRawTest, WholeLineIsTheMessage) {
  flow::Record r;
  flow::Arena arena;
  r.error = "stale";
  r.fields.push_back({"old", flow::Value::Int(1)});
  static constexpr char kLine[] = "anything \"at all\" \xff\x00 here";
  const std::string line(kLine, sizeof kLine - 1);  // with the NUL
  ASSERT_TRUE(ParseRawLine(line, r, arena));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.raw.data(), line.data());
  ASSERT_EQ(r.fields.size(), 1u);
  EXPECT_EQ(r.fields[0].name, "message");
  EXPECT_EQ(r.fields[0].value.type, flow::ValueType::kString);
  EXPECT_EQ(r.fields[0].value.s.data(), line.data());
  EXPECT_EQ(r.fields[0].value.s.size(), line.size());
  ASSERT_TRUE(ParseRawLine("", r, arena));
  EXPECT_EQ(Fields(r), (Strings{"message=s:"}));
}

// ---- Independent oracle: std::regex tokens, strtoll / strtod typing. ----

Strings OracleParse(const std::string& line, bool& ok) {
  static const std::regex kPair(R"re(([^ \t="]+)(?:=("(?:[^"\\]|\\.)*"|[^ \t]*))?)re");
  static const std::regex kInt(R"re(^-?(0|[1-9][0-9]*)$)re");
  static const std::regex kDouble(R"re(^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$)re");
  Strings f;
  std::size_t pos = 0;
  for (std::sregex_iterator it(line.begin(), line.end(), kPair), end; it != end; ++it) {
    const std::smatch& m = *it;
    const std::size_t at = static_cast<std::size_t>(m.position(0));
    if (line.find_first_not_of(" \t", pos) < at) {  // junk between pairs
      ok = false;
      return {};
    }
    pos = at + static_cast<std::size_t>(m.length(0));
    const std::string key = m[1].str();
    if (!m[2].matched) {
      f.push_back(key + "=true");
      continue;
    }
    const std::string v = m[2].str();
    if (!v.empty() && v[0] == '"') {
      std::string s;
      for (std::size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\') {
          const char c = v[i + 1];
          const char* mapped = c == 'n'    ? "\n"
                               : c == 't'  ? "\t"
                               : c == 'r'  ? "\r"
                               : c == '"'  ? "\""
                               : c == '\\' ? "\\"
                                           : nullptr;
          if (mapped != nullptr) {
            s += mapped;
            ++i;
            continue;
          }
        }
        s += v[i];
      }
      f.push_back(key + "=s:" + s);
    } else if (v == "true" || v == "false") {
      f.push_back(key + "=" + v);
    } else if (std::regex_match(v, kInt)) {
      errno = 0;
      const long long n = std::strtoll(v.c_str(), nullptr, 10);
      f.push_back(errno == ERANGE ? key + "=s:" + v : key + "=i:" + std::to_string(n));
    } else if (std::regex_match(v, kDouble)) {
      errno = 0;
      const double d = std::strtod(v.c_str(), nullptr);
      char buf[64];
      std::snprintf(buf, sizeof buf, "d:%.17g", d);
      f.push_back(errno == ERANGE || !std::isfinite(d) ? key + "=s:" + v : key + "=" + buf);
    } else {
      f.push_back(key + "=s:" + v);
    }
  }
  ok = !f.empty() && line.find_first_not_of(" \t", pos) == std::string::npos;
  return f;
}

std::string RandomLogfmtLine(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  std::string line = pick({"", " ", "\t"});
  const std::size_t pairs = 1 + rng() % 10;
  for (std::size_t i = 0; i < pairs; ++i) {
    if (i > 0) line += pick({" ", "  ", "\t"});
    line += pick({"level", "msg", "ts", "dur", "status", "user.id", "flag", "tag", "a-b", "k"});
    switch (rng() % 7) {
      case 0:
        break;  // bare key
      case 1:
        line += "=\"" +
                pick({"", "hello world", "say \\\"hi\\\"", "tab\\there", "back\\\\slash",
                      "odd \\q escape", "12", "true", "a=b c"}) +
                "\"";
        break;
      case 2:
        line += "=" + std::to_string(static_cast<long long>(rng()) - (1ll << 31));
        break;
      case 3:
        line += "=" + pick({"1.5", "-0.25", "1e10", "2.5E-3", "0.000001", "3.14159265358979",
                            "6.02e+23", "-0", "0", "-9223372036854775808", "9223372036854775807"});
        break;
      case 4:
        line += "=" + pick({"true", "false", "True", "007", "+5", "1.", ".5", "1e", "0x1f",
                            "18446744073709551616", "1e400", "-"});
        break;
      default:
        line += "=" + pick({"", "info", "GET", "/api/v2/items?x=1", "2026-01-01T00:00:00Z", "a\"b",
                            "Zoë", "東京"});
    }
  }
  return line + pick({"", " ", "\t"});
}

TEST(ParseLogfmtTest, AgreesWithRegexOracleOnRandomLines) {
  std::mt19937 rng(5);
  flow::Record r;
  flow::Arena arena;
  for (int i = 0; i < 600; ++i) {
    const std::string line = RandomLogfmtLine(rng);
    bool oracle_ok = false;
    const Strings expected = OracleParse(line, oracle_ok);
    const bool ok = ParseLogfmtLine(line, r, arena);
    ASSERT_TRUE(oracle_ok) << line;
    ASSERT_TRUE(ok) << line << ": " << r.error;
    ASSERT_EQ(Fields(r), expected) << line;
  }
}

}  // namespace
}  // namespace ringflow::stages

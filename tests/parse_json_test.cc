#include "stages/parse_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stages/json_writer.h"
#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using flow::ValueType;
using namespace std::string_literals;

bool HavePython() { return std::system("python3 -c pass >/dev/null 2>&1") == 0; }

// gen_corpus.py beside this file (or where RINGFLOW_GEN_CORPUS says).
std::string GenCorpusPath() {
  if (const char* env = std::getenv("RINGFLOW_GEN_CORPUS")) return env;
  return (std::filesystem::path(__FILE__).parent_path() / "testing" / "gen_corpus.py").string();
}

bool Within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

class ParseJsonTest : public ::testing::Test {
 protected:
  // Parses `line` (kept alive in lines_ so that views stay valid) into record_.
  bool Parse(std::string line) {
    lines_.push_back(std::make_unique<std::string>(std::move(line)));
    return ParseJsonLine(*lines_.back(), record_, arena_);
  }
  const flow::Value& Get(std::string_view name) {
    const flow::Field* f = record_.Find(name);
    EXPECT_NE(f, nullptr) << name;
    static const flow::Value kMissing = flow::Value::String("<missing>");
    return f != nullptr ? f->value : kMissing;
  }
  void ExpectError(std::string line, std::string_view reason = {}) {
    // Start from a filled record: a failure must leave no field behind.
    ASSERT_TRUE(Parse(R"({"x":1,"y":"z"})"));
    ASSERT_EQ(record_.fields.size(), 2u);
    const std::string copy = line;
    EXPECT_FALSE(Parse(std::move(line))) << copy;
    EXPECT_TRUE(record_.fields.empty()) << copy;
    EXPECT_FALSE(record_.ok()) << copy;
    EXPECT_EQ(record_.raw, copy);
    if (!reason.empty()) {
      EXPECT_EQ(record_.error, reason) << copy;
    }
  }

  std::vector<std::unique_ptr<std::string>> lines_;
  flow::Arena arena_;
  flow::Record record_;
};

TEST_F(ParseJsonTest, ParsesGeneratedLine) {
  const std::string line =
      R"({"ts":"2026-03-07T03:21:33.509Z","level":"debug","service":"gateway",)"
      R"("trace":"fb2fbdcd1dcc769d","user":{"name":"東京太郎","id":1088882},"status":404,)"
      R"("dur_ms":40.501,"msg":"config reloaded","tags":["falcon","kepler"]})";
  ASSERT_TRUE(Parse(line)) << record_.error;
  EXPECT_TRUE(record_.ok());
  EXPECT_EQ(record_.raw, line);
  std::vector<std::string_view> names;
  for (const flow::Field& f : record_.fields) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"ts", "level", "service", "trace", "user",
                                                  "status", "dur_ms", "msg", "tags"}));
  EXPECT_EQ(Get("ts").type, ValueType::kString);
  EXPECT_EQ(Get("ts").s, "2026-03-07T03:21:33.509Z");
  EXPECT_EQ(Get("user").type, ValueType::kRawJson);
  EXPECT_EQ(Get("user").s, R"({"name":"東京太郎","id":1088882})");
  EXPECT_EQ(Get("status").type, ValueType::kInt);
  EXPECT_EQ(Get("status").i, 404);
  EXPECT_EQ(Get("dur_ms").type, ValueType::kDouble);
  EXPECT_EQ(Get("dur_ms").d, 40.501);
  EXPECT_EQ(Get("tags").type, ValueType::kRawJson);
  EXPECT_EQ(Get("tags").s, R"(["falcon","kepler"])");
  // Nothing had an escape: every name and value is a view into the line.
  for (const flow::Field& f : record_.fields) {
    EXPECT_TRUE(Within(f.name, record_.raw)) << f.name;
    if (f.value.type == ValueType::kString || f.value.type == ValueType::kRawJson) {
      EXPECT_TRUE(Within(f.value.s, record_.raw)) << f.name;
    }
  }
}

TEST_F(ParseJsonTest, EveryValueType) {
  ASSERT_TRUE(
      Parse(R"({"n":null,"t":true,"f":false,"i":-42,"d":2.5,"e":1e2,"s":"x","o":{},"a":[]})"))
      << record_.error;
  ASSERT_EQ(record_.fields.size(), 9u);
  EXPECT_EQ(Get("n").type, ValueType::kNull);
  EXPECT_EQ(Get("t").type, ValueType::kBool);
  EXPECT_TRUE(Get("t").b);
  EXPECT_EQ(Get("f").type, ValueType::kBool);
  EXPECT_FALSE(Get("f").b);
  EXPECT_EQ(Get("i").type, ValueType::kInt);
  EXPECT_EQ(Get("i").i, -42);
  EXPECT_EQ(Get("d").type, ValueType::kDouble);
  EXPECT_EQ(Get("d").d, 2.5);
  EXPECT_EQ(Get("e").type, ValueType::kDouble);
  EXPECT_EQ(Get("e").d, 100.0);
  EXPECT_EQ(Get("s").type, ValueType::kString);
  EXPECT_EQ(Get("s").s, "x");
  EXPECT_EQ(Get("o").type, ValueType::kRawJson);
  EXPECT_EQ(Get("o").s, "{}");
  EXPECT_EQ(Get("a").type, ValueType::kRawJson);
  EXPECT_EQ(Get("a").s, "[]");
}

TEST_F(ParseJsonTest, EmptyObjectAndWhitespace) {
  ASSERT_TRUE(Parse("{}"));
  EXPECT_TRUE(record_.fields.empty());
  EXPECT_TRUE(record_.ok());
  ASSERT_TRUE(Parse(" \t{ \"a\" : 1 ,\r\n\"b\":[ 1 , {\"c\" : 2} ] } \t\r"));
  ASSERT_EQ(record_.fields.size(), 2u);
  EXPECT_EQ(Get("a").i, 1);
  EXPECT_EQ(Get("b").s, R"([ 1 , {"c" : 2} ])");
}

TEST_F(ParseJsonTest, NestedValuesAreTheirExactText) {
  const std::string nested = R"({"a":{"b":{"c":[1,{"d":"}]\"{["}]}},"e":"\u00e9"})";
  ASSERT_TRUE(Parse(R"({"x":)" + nested + R"(,"y":[[],[{}]],"z":0})")) << record_.error;
  ASSERT_EQ(record_.fields.size(), 3u);
  EXPECT_EQ(Get("x").type, ValueType::kRawJson);
  EXPECT_EQ(Get("x").s, nested);
  EXPECT_TRUE(Within(Get("x").s, record_.raw));
  EXPECT_EQ(Get("y").s, "[[],[{}]]");
  EXPECT_EQ(Get("z").i, 0);
}

TEST_F(ParseJsonTest, Escapes) {
  ASSERT_TRUE(Parse(R"({"nl":"a\nb","e":"caf\u00e9","emoji":"\ud83d\ude00!","k\u00e9y":1,)"
                    R"("all":"\"\\\/\b\f\n\r\t","nul":"a\u0000b","plain":"é😀"})"))
      << record_.error;
  EXPECT_EQ(Get("nl").s, "a\nb");
  EXPECT_EQ(Get("e").s, "café");
  EXPECT_EQ(Get("emoji").s, "\xf0\x9f\x98\x80!");
  EXPECT_EQ(Get("kéy").i, 1);
  EXPECT_EQ(Get("all").s, "\"\\/\b\f\n\r\t");
  EXPECT_EQ(Get("nul").s, "a\0b"s);
  EXPECT_EQ(Get("plain").s, "é😀");
  // Unescaped text lives in the arena, plain text in the line.
  EXPECT_FALSE(Within(Get("nl").s, record_.raw));
  EXPECT_FALSE(Within(record_.fields[3].name, record_.raw));
  EXPECT_TRUE(Within(Get("plain").s, record_.raw));
  EXPECT_TRUE(Within(record_.fields[0].name, record_.raw));
}

TEST_F(ParseJsonTest, EscapedTextThatLooksPlainIsStillCorrect) {
  // Unescaped lengths that line up with earlier quotes must not fool the view-or-copy choice.
  ASSERT_TRUE(Parse(R"({"a":"\"\"xyz","b":"\u0041","c":"\\"})")) << record_.error;
  EXPECT_EQ(Get("a").s, "\"\"xyz");
  EXPECT_EQ(Get("b").s, "A");
  EXPECT_EQ(Get("c").s, "\\");
}

TEST_F(ParseJsonTest, Integers) {
  ASSERT_TRUE(Parse(R"({"max":9223372036854775807,"min":-9223372036854775808,)"
                    R"("u":9223372036854775808,"u64":18446744073709551615,)"
                    R"("big":18446744073709551616,"huge":123456789012345678901234567890,)"
                    R"("neg":-9223372036854775809,"zero":-0,"small":4294967296})"))
      << record_.error;
  EXPECT_EQ(Get("max").type, ValueType::kInt);
  EXPECT_EQ(Get("max").i, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Get("min").type, ValueType::kInt);
  EXPECT_EQ(Get("min").i, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Get("u").type, ValueType::kDouble);
  EXPECT_EQ(Get("u").d, 9223372036854775808.0);
  EXPECT_EQ(Get("u64").type, ValueType::kDouble);
  EXPECT_EQ(Get("u64").d, 18446744073709551616.0);
  EXPECT_EQ(Get("big").type, ValueType::kDouble);
  EXPECT_EQ(Get("big").d, 18446744073709551616.0);
  EXPECT_EQ(Get("huge").type, ValueType::kDouble);
  EXPECT_EQ(Get("huge").d, 1.2345678901234568e29);
  EXPECT_EQ(Get("neg").type, ValueType::kDouble);
  EXPECT_EQ(Get("neg").d, -9223372036854775808.0);
  EXPECT_EQ(Get("zero").type, ValueType::kDouble);  // as strtod reads it: the sign is kept
  EXPECT_EQ(Get("zero").d, 0.0);
  EXPECT_TRUE(std::signbit(Get("zero").d));
  EXPECT_EQ(Get("small").i, 4294967296);
}

TEST_F(ParseJsonTest, DoublesAreCorrectlyRounded) {
  ASSERT_TRUE(Parse(R"({"a":0.1,"b":-0.0,"c":1E-2,"d":2.2250738585072014e-308,"e":5e-324,)"
                    R"("f":1.7976931348623157e308,"g":0.30000000000000004,"h":1300.456})"))
      << record_.error;
  EXPECT_EQ(Get("a").d, 0.1);
  EXPECT_EQ(Get("b").d, 0.0);
  EXPECT_TRUE(std::signbit(Get("b").d));
  EXPECT_EQ(Get("c").d, 0.01);
  EXPECT_EQ(Get("d").d, 2.2250738585072014e-308);
  EXPECT_EQ(Get("e").d, 5e-324);
  EXPECT_EQ(Get("f").d, 1.7976931348623157e308);
  EXPECT_EQ(Get("g").d, 0.30000000000000004);
  EXPECT_EQ(Get("h").d, 1300.456);
}

TEST_F(ParseJsonTest, DuplicateNamesAreKeptInOrder) {
  ASSERT_TRUE(Parse(R"({"a":1,"a":2})"));
  ASSERT_EQ(record_.fields.size(), 2u);
  EXPECT_EQ(record_.fields[0].value.i, 1);
  EXPECT_EQ(record_.fields[1].value.i, 2);
}

TEST_F(ParseJsonTest, LeavesTruncatedFlagAlone) {
  record_.truncated = true;
  EXPECT_FALSE(Parse(R"({"a":"cut off)"));
  EXPECT_TRUE(record_.truncated);
}

TEST_F(ParseJsonTest, NotAnObject) {
  for (const char* line : {"[1,2]", "[]", "1", "\"s\"", "null", "true", "-3.5", "[{\"a\":1}]"}) {
    ExpectError(line, "not a JSON object");
  }
}

TEST_F(ParseJsonTest, InvalidJson) {
  ExpectError("", "empty line");
  ExpectError("   ", "empty line");
  for (const char* line :
       {"{", "}", "{\"a\":1", "{\"a\":1,}", "{a:1}", "{\"a\":'x'}", "{\"a\" 1}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":.5}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":tru}",
        "{\"a\":[1,]}", "{\"a\":\"\\x\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",

        "{\"a\":{\"b\":1}", "{\"a\":\"unterminated}"}) {
    ExpectError(line, "not valid JSON");
  }
}

TEST_F(ParseJsonTest, TrailingGarbage) {
  ExpectError(R"({"a":1} x)", "characters after the JSON object");
  ExpectError(R"({"a":1}{"b":2})", "characters after the JSON object");
  ExpectError(R"({"a":1},)", "characters after the JSON object");
  ExpectError(R"({"a":1}})", "characters after the JSON object");
  ExpectError("{\"a\":1}\0"s, "characters after the JSON object");
  ExpectError("{\"a\":1} \0junk"s, "characters after the JSON object");
  ExpectError("\xef\xbb\xbf{\"a\":1}");  // a UTF-8 BOM is not JSON whitespace
}

TEST_F(ParseJsonTest, NulBytes) {
  ExpectError("{\"a\":\"x\0y\"}"s);
  ExpectError("{\"a\0\":1}"s);
  ExpectError("{\"a\":\0}"s);
  ExpectError("\0{\"a\":1}"s);
}

TEST_F(ParseJsonTest, InvalidUtf8) {
  for (const std::string& bad : {"\xff"s, "\x80"s, "\xc3"s, "\xe2\x82"s, "\xf0\x9f\x98"s,
                                 "\xc0\x80"s, "\xc1\xbf"s, "\xe0\x80\xaf"s, "\xf0\x80\x80\xaf"s,
                                 "\xed\xa0\x80"s, "\xed\xbf\xbf"s, "\xf4\x90\x80\x80"s, "\xf8"s}) {
    ExpectError("{\"a\":\"x" + bad + "y\"}", "invalid UTF-8");
    ExpectError("{\"k" + bad + "\":1}", "invalid UTF-8");
    ExpectError("{\"a\":[\"" + bad + "\"]}", "invalid UTF-8");
  }
  // Valid edges of the ranges pass.
  ASSERT_TRUE(Parse("{\"a\":\"\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\"}"))
      << record_.error;
  EXPECT_EQ(Get("a").s, "\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
}

TEST_F(ParseJsonTest, BadUnicodeEscapes) {
  ExpectError(R"({"a":"\ud800"})", "invalid \\u escape");
  ExpectError(R"({"a":"\ud800\u0041"})", "invalid \\u escape");
  ExpectError(R"({"a":"\ud83dx"})", "invalid \\u escape");
  ExpectError(R"({"a":"\u12g4"})", "invalid \\u escape");
  ExpectError(R"({"a":"\udc00"})", "invalid \\u escape (lone surrogate)");
  ExpectError(R"({"\ude00":1})", "invalid \\u escape (lone surrogate)");
  ExpectError(R"({"a":{"b":"x\udfff"}})", "invalid \\u escape (lone surrogate)");
  // Hangul (ED 80..9F ..) is fine, raw or escaped.
  ASSERT_TRUE(Parse(R"({"a":"한\ud55c"})")) << record_.error;
  EXPECT_EQ(Get("a").s, "한한");
}

TEST_F(ParseJsonTest, NumberOutOfRange) {
  ExpectError(R"({"a":1e400})", "number out of range");
  ExpectError(R"({"a":-1e400})", "number out of range");
}

TEST_F(ParseJsonTest, DepthLimit) {
  auto nest = [](int levels) {  // the top-level object plus `levels` - 1 arrays
    return "{\"a\":" + std::string(static_cast<std::size_t>(levels - 1), '[') +
           std::string(static_cast<std::size_t>(levels - 1), ']') + "}";
  };
  ASSERT_TRUE(Parse(nest(kMaxJsonDepth))) << record_.error;
  EXPECT_EQ(Get("a").s.size(), 2u * (kMaxJsonDepth - 1));
  ExpectError(nest(kMaxJsonDepth + 1), "JSON nested too deeply");
  // Far deeper than any C stack would survive with a recursive parser.
  ExpectError("{\"a\":" + std::string(1 << 20, '['), "JSON nested too deeply");
}

TEST_F(ParseJsonTest, LongStrings) {
  const std::string big(3 << 20, 'x');  // over the reader's kept-scratch limit
  ASSERT_TRUE(Parse("{\"a\":\"" + big + "\",\"b\":\"\\n" + big + "\"}"));
  EXPECT_EQ(Get("a").s, big);
  EXPECT_EQ(Get("b").s, "\n" + big);
  ASSERT_TRUE(Parse(R"({"after":"ok"})"));  // the reader works after dropping its stack
  EXPECT_EQ(Get("after").s, "ok");
}

// A random JSON-ish line: mostly valid objects of every kind of value (nested ones, numbers of
// every shape, strings with control characters and non-ASCII bytes, odd whitespace), some cut or
// with a byte changed.
std::string RandomJsonLine(std::mt19937_64& rng) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  static const char* const kWs[] = {"", "", "", " ", "\t", " \r\n "};
  static const char* const kNumbers[] = {"0",
                                         "-0",
                                         "7",
                                         "-42",
                                         "123456789012345678",
                                         "-999999999999999999",
                                         "1234567890123456789",
                                         "9223372036854775807",
                                         "-9223372036854775808",
                                         "18446744073709551616",
                                         "0.1",
                                         "-0.0",
                                         "1e2",
                                         "1E-2",
                                         "2.5e+3",
                                         "5e-324",
                                         "1e-400",
                                         "1e400",
                                         "-1.5E+300",
                                         "1.7976931348623157e308",
                                         "01",
                                         "1.",
                                         ".5",
                                         "-",
                                         "1e",
                                         "+1",
                                         "0x10",
                                         "1.0e",
                                         "00",
                                         "123.456e-7"};
  static const char* const kStrings[] = {
      "a", "", "Zo\xc3\xab", "\xe6\x9d\xb1\xe4\xba\xac", "with space", "tab\there", "nul\x00in"};
  std::string out;
  std::function<void(int)> value = [&](int depth) {
    switch (pick(depth > 40 ? 5 : 7)) {
      case 0:
        out += kNumbers[pick(std::size(kNumbers))];
        break;
      case 1: {
        const char* text = kStrings[pick(std::size(kStrings))];
        out += '"';
        out.append(text, text == kStrings[6] ? 7 : std::strlen(text));
        out += '"';
        break;
      }
      case 2:
        out += std::array<const char*, 3>{"true", "false", "null"}[pick(3)];
        break;
      case 3:
        out += std::to_string(static_cast<int64_t>(rng()) >> pick(64));
        break;
      case 4: {
        char buf[64];
        const double d =
            std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(pick(200)) - 100);
        const int n = std::snprintf(buf, sizeof buf, pick(2) ? "%.17g" : "%.6g", pick(2) ? d : -d);
        out.append(buf, static_cast<std::size_t>(n));
        break;
      }
      default: {
        const bool object = pick(2) == 0;
        out += object ? '{' : '[';
        const std::size_t n = pick(4);
        for (std::size_t i = 0; i < n; ++i) {
          if (i > 0) out += ',';
          out += kWs[pick(std::size(kWs))];
          if (object) out += "\"k" + std::to_string(i) + "\"" + kWs[pick(std::size(kWs))] + ":";
          out += kWs[pick(std::size(kWs))];
          value(depth + 1);
        }
        out += object ? '}' : ']';
      }
    }
  };
  out += kWs[pick(std::size(kWs))];
  out += '{';
  const std::size_t n = pick(6);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    out += kWs[pick(std::size(kWs))];
    out += "\"" + std::string(kStrings[pick(6)]) + std::to_string(pick(3)) + "\":";
    out += kWs[pick(std::size(kWs))];
    value(2);
  }
  out += '}';
  out += kWs[pick(std::size(kWs))];
  if (pick(8) == 0 && !out.empty()) out.resize(pick(out.size()));                    // cut
  if (pick(8) == 0 && !out.empty()) out[pick(out.size())] = "x,:}]\"\x01"[pick(7)];  // changed
  return out;
}

std::string Describe(const flow::Record& r) {
  std::string d = r.ok() ? "ok" : "error: " + std::string(r.error);
  for (const flow::Field& f : r.fields) {
    d += "\n  " + std::string(f.name) + " type " + std::to_string(static_cast<int>(f.value.type));
    switch (f.value.type) {
      case ValueType::kBool:
        d += f.value.b ? " true" : " false";
        break;
      case ValueType::kInt:
        d += " " + std::to_string(f.value.i);
        break;
      case ValueType::kDouble: {
        uint64_t bits;
        std::memcpy(&bits, &f.value.d, 8);
        d += " bits " + std::to_string(bits);
        break;
      }
      case ValueType::kString:
      case ValueType::kRawJson:
        d += " [" + std::string(f.value.s) + "]";
        break;
      case ValueType::kNull:
        break;
    }
  }
  return d;
}

// The fast path (lines without a backslash) must give exactly what RapidJSON gives, or decline.
TEST_F(ParseJsonTest, FastPathAgreesWithRapidJson) {
  std::mt19937_64 rng(20261123);
  flow::Record fast, full;
  std::size_t ok = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string line = RandomJsonLine(rng);
    const bool a = ParseJsonLine(line, fast, arena_);
    const bool b = internal::ParseJsonLineWithRapidJson(line, full, arena_);
    ASSERT_EQ(a, b) << line;
    ASSERT_EQ(Describe(fast), Describe(full)) << line;
    if (a) {
      ++ok;
      for (const flow::Field& f : fast.fields) {
        EXPECT_TRUE(Within(f.name, line)) << line;  // no escapes: views into the line
      }
    }
  }
  // Both kinds in good number: the generator is not all errors or all successes.
  EXPECT_GT(ok, 10000u);
  EXPECT_LT(ok, 28000u);
}

// Number texts at the extremes: fractions with 0..420 (and up to 100,000) leading zeros, through
// the subnormals into underflow; the exact decimal of the midpoint between two adjacent doubles
// (a tie, up to ~770 digits) and texts just above and below it; subnormals; exponents far out of
// range either way, with leading zeros; integers of 19 to 40 and of ~309 digits; -0 in every form.
std::vector<std::string> ExtremeNumbers() {
  std::vector<std::string> out = {"0",
                                  "-0",
                                  "-0.0",
                                  "-0e5",
                                  "0e400",
                                  "0.0e99999",
                                  "-0.000e-99999",
                                  "0E+308",
                                  "0e308",
                                  "9223372036854775807",
                                  "9223372036854775808",
                                  "-9223372036854775808",
                                  "-9223372036854775809",
                                  "18446744073709551615",
                                  "18446744073709551616",
                                  "123456789012345678901234567890",
                                  "-123456789012345678901234567890",
                                  "1.7976931348623157e308",
                                  "1.7976931348623158e308",
                                  "1.7976931348623159e308",
                                  "-1.7976931348623159e308",
                                  "1e308",
                                  "1e309",
                                  "0.1e309",
                                  "0.01e310",
                                  "1E+308",
                                  "1e-307",
                                  "2.2250738585072011e-308",
                                  "2.2250738585072014e-308",
                                  "4.9406564584124654e-324",
                                  "5e-324",
                                  "-5e-324",
                                  "2.4703282292062328e-324",
                                  "2.4703282292062327e-324",
                                  "3e-324",
                                  "1e-324",
                                  "1e-400",
                                  "-1e-400",
                                  "123e-330",
                                  "1e99999999999999999999",
                                  "1e-99999999999999999999",
                                  "-1e-99999999999999999999",
                                  "1e0000000000000000000000308",
                                  "1e0000000000000000000000309",
                                  "1e-0000000000000000000000400",
                                  "1" + std::string(308, '0'),
                                  "2" + std::string(308, '0'),
                                  "1" + std::string(400, '0'),
                                  "1" + std::string(308, '0') + ".5",
                                  "0." + std::string(400, '0') + "1e400",
                                  "0." + std::string(400, '0') + "1e-400",
                                  "1" + std::string(100000, '0') + "e-100000",
                                  "1." + std::string(100000, '1'),
                                  "0." + std::string(100000, '0') + "1",
                                  "-0." + std::string(100000, '0') + "1e99999"};
  for (std::size_t zeros = 0; zeros <= 420; ++zeros) {
    out.push_back("0." + std::string(zeros, '0') + "1");
    out.push_back("-0." + std::string(zeros, '0') + "24703282292062328");
    out.push_back("0." + std::string(zeros, '0') + "999999999999999999999999");
  }
  for (std::size_t zeros : {1000u, 5000u}) out.push_back("0." + std::string(zeros, '0') + "1");

  std::mt19937_64 rng(20261205);
  for (int digits = 19; digits <= 40; ++digits) {
    for (int k = 0; k < 4; ++k) {
      std::string n(1, static_cast<char>('1' + rng() % 9));
      while (n.size() < static_cast<std::size_t>(digits)) n += static_cast<char>('0' + rng() % 10);
      out.push_back(k % 2 ? "-" + n : n);
    }
  }
  for (int shift = 0; shift < 64; ++shift) {
    out.push_back(std::to_string(static_cast<int64_t>(rng()) >> shift));  // every int64 length
  }
  char buf[1400];
  for (int i = 0; i < 3000; ++i) {
    // Random bits: every magnitude, a third of them subnormal.
    uint64_t bits = rng();
    if (i % 3 == 0) bits &= 0x800fffffffffffffu;
    double d;
    std::memcpy(&d, &bits, 8);
    if (!std::isfinite(d)) continue;
    for (const char* format : {"%.17g", "%.16g", "%.15g", "%.6g", "%.3f", "%.25e"}) {
      std::snprintf(buf, sizeof buf, format, d);
      out.emplace_back(buf);
    }
    // Long double holds the midpoint of two adjacent doubles exactly (x86's 64-bit mantissa) and
    // glibc prints it exactly: a tie, which rounds to even, and the texts just above and below.
    if constexpr (std::numeric_limits<long double>::digits >= 64) {
      const double next = std::nextafter(d, std::numeric_limits<double>::infinity());
      if (!std::isfinite(next)) continue;
      std::snprintf(buf, sizeof buf, "%.1100Le",
                    (static_cast<long double>(d) + static_cast<long double>(next)) / 2);
      std::string tie = buf;
      const std::size_t e = tie.find('e');
      std::string mantissa = tie.substr(0, e);
      const std::string exponent = tie.substr(e);
      mantissa.erase(mantissa.find_last_not_of('0') + 1);
      if (mantissa.back() == '.') mantissa.pop_back();
      out.push_back(mantissa + exponent);
      const std::string dotted =
          mantissa.find('.') == std::string::npos ? mantissa + "." : mantissa;
      out.push_back(dotted + "0000000001" + exponent);  // above the tie
      std::string below = mantissa;
      if (below.back() != '.' && below.back() != '0' && below.back() != '-' &&
          below.find('.') != std::string::npos) {
        --below.back();
        out.push_back(below + std::string(30, '9') + exponent);  // below the tie
      }
    }
  }
  return out;
}

// Whether a text a parser may refuse although strtod gives a finite value: RapidJSON's grammar
// refuses an exponent above 308 plus the fraction digits (a zero's too) and an integer part of
// 309 digits near the largest double (parse_json.cc, kOutOfRange). Judged generously here: an
// exponent above 308 with a zero value, or an integer part of 309 digits or more.
bool RapidJsonMayRefuse(const std::string& text, double value) {
  const std::size_t sign = text[0] == '-' ? 1 : 0;
  const std::size_t int_digits = std::min(text.find_first_of(".eE"), text.size()) - sign;
  if (int_digits >= 309) return true;
  const std::size_t e = text.find_first_of("eE");
  if (e == std::string::npos || value != 0 || text[e + 1] == '-') return false;
  const std::string exponent = text.substr(e + 1 + (text[e + 1] == '+' ? 1 : 0));
  const std::size_t first = exponent.find_first_not_of('0');
  return first != std::string::npos &&
         (exponent.size() - first > 3 || std::stoi(exponent.substr(first)) > 308);
}

// Every number is the double strtod gives, bit for bit (or, as an integer that fits int64, what
// strtoll gives), or an error "number out of range" when strtod overflows (and at RapidJSON's
// edge); never another number, never a crash. The same in the fast path (no backslash in the
// line), in RapidJSON's (a backslash elsewhere in the line), and through RapidJSON alone; nested
// in an array, the number is kept as its exact text when it is in range.
TEST_F(ParseJsonTest, NumbersMatchStrtod) {
  const std::vector<std::string> numbers = ExtremeNumbers();
  ASSERT_GT(numbers.size(), 10000u);
  flow::Record fast, escaped, rapid, nested;
  std::size_t checked = 0, subnormal = 0, underflow = 0, integers = 0, refused = 0;
  for (const std::string& text : numbers) {
    SCOPED_TRACE(text.substr(0, 200));
    errno = 0;
    char* end = nullptr;
    const double expected = std::strtod(text.c_str(), &end);
    ASSERT_EQ(end, text.c_str() + text.size());  // a number strtod reads whole
    const bool overflow = std::isinf(expected);
    errno = 0;
    const long long as_integer = std::strtoll(text.c_str(), &end, 10);
    const bool is_int64 = end == text.c_str() + text.size() && errno == 0 &&
                          !(as_integer == 0 && text[0] == '-');  // "-0" reads as -0.0

    const std::string line = "{\"n\":" + text + "}";
    const std::string line_escaped = "{\"e\":\"\\n\",\"n\":" + text + "}";
    const std::string line_nested = "{\"n\":[" + text + "]}";
    const bool ok_fast = ParseJsonLine(line, fast, arena_);
    const bool ok_escaped = ParseJsonLine(line_escaped, escaped, arena_);
    const bool ok_rapid = internal::ParseJsonLineWithRapidJson(line, rapid, arena_);
    const bool ok_nested = ParseJsonLine(line_nested, nested, arena_);
    ASSERT_EQ(ok_fast, ok_rapid);
    ASSERT_EQ(Describe(fast), Describe(rapid));
    ASSERT_EQ(ok_fast, ok_escaped);
    ASSERT_EQ(ok_fast, ok_nested);
    if (!ok_fast) {
      EXPECT_EQ(fast.error, "number out of range");
      EXPECT_EQ(escaped.error, "number out of range");
      EXPECT_EQ(nested.error, "number out of range");
      EXPECT_TRUE(overflow || RapidJsonMayRefuse(text, expected)) << "strtod: " << expected;
      ++refused;
      continue;
    }
    ASSERT_FALSE(overflow) << "strtod overflows, yet the line parsed";
    ASSERT_EQ(fast.fields.size(), 1u);
    ASSERT_EQ(escaped.fields.size(), 2u);
    const flow::Value& value = fast.fields[0].value;
    const flow::Value& value_escaped = escaped.fields[1].value;
    ASSERT_EQ(value.type, value_escaped.type);
    if (is_int64) {
      ASSERT_EQ(value.type, ValueType::kInt);
      EXPECT_EQ(value.i, as_integer);
      EXPECT_EQ(value_escaped.i, as_integer);
      ++integers;
    } else {
      ASSERT_EQ(value.type, ValueType::kDouble);
      uint64_t want, got, got_escaped;
      std::memcpy(&want, &expected, 8);
      std::memcpy(&got, &value.d, 8);
      std::memcpy(&got_escaped, &value_escaped.d, 8);
      EXPECT_EQ(got, want) << "got " << value.d << ", strtod " << expected;
      EXPECT_EQ(got_escaped, want) << "got " << value_escaped.d << ", strtod " << expected;
      if (expected != 0 && std::fpclassify(expected) == FP_SUBNORMAL) ++subnormal;
      if (expected == 0 && text.find_first_of("123456789") < text.find_first_of("eE")) {
        ++underflow;
      }
    }
    ASSERT_EQ(nested.fields.size(), 1u);
    EXPECT_EQ(nested.fields[0].value.type, ValueType::kRawJson);
    EXPECT_EQ(nested.fields[0].value.s, "[" + text + "]");
    ++checked;
  }
  // The generated set reaches every region.
  EXPECT_GT(subnormal, 1000u);
  EXPECT_GT(underflow, 300u);
  EXPECT_GT(integers, 60u);
  EXPECT_GE(refused, 10u);
  EXPECT_GT(checked, 10000u);
}

// Long zero fractions: 348+ zeros are past RapidJSON's full-precision path, 323 to 347 zeros at
// the edge of its exact range; each must be the double strtod gives.
TEST_F(ParseJsonTest, LongZeroFractionsAreStrtodValues) {
  for (const int zeros : {300, 322, 323, 330, 347, 348, 400, 10000}) {
    const std::string text = "0." + std::string(static_cast<std::size_t>(zeros), '0') + "1";
    const double expected = std::strtod(text.c_str(), nullptr);
    for (const std::string& line :
         {"{\"n\":" + text + "}", "{\"s\":\"\\t\",\"n\":-" + text + "}"}) {
      ASSERT_TRUE(Parse(line)) << zeros << ": " << record_.error;
      const flow::Value& n = Get("n");
      ASSERT_EQ(n.type, ValueType::kDouble) << zeros;
      EXPECT_EQ(std::fabs(n.d), expected) << zeros;
      EXPECT_EQ(std::signbit(n.d), line.find('-') != std::string::npos) << zeros;
    }
  }
}

// Lines of the generated corpus and hand-written ones go through ParseJsonLine and
// AppendRecordJson; Python's json module checks that each output line is the same object.
TEST_F(ParseJsonTest, RoundTripThroughPython) {
  if (!HavePython()) GTEST_SKIP() << "python3 not found";
  testing::TempDir dir;
  std::vector<std::string> inputs = {
      R"({"ts":"2026-03-07T03:21:33.509Z","user":{"name":"Zoë","id":1},"tags":["a","b"]})",
      R"({"n":null,"t":true,"f":false,"i":-42,"d":2.5,"e":1e2,"s":"x","o":{},"a":[]})",
      R"({"nl":"a\nb","e":"caf\u00e9","emoji":"\ud83d\ude00","k\u00e9y":1,"nul":"\u0000\u001f\u007f"})",
      R"({"all":"\"\\\/\b\f\n\r\t","x":{ "deep" : [ 1, 2.5e-3, {"y":"\ud83d\ude00"} ] }})",
      R"({"max":9223372036854775807,"min":-9223372036854775808,"big":18446744073709551616})",
      R"({"d":[0.1,-0.0,1E-2,5e-324,1.7976931348623157e308,0.30000000000000004,1300.456]})",
      R"({"a":0.1,"b":-0.0,"c":1e21,"d":123456.0,"e":1e-7,"f":-1.5E+300})",
      "{\"raw\":\"\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\x7f\"}",
      "{}",
  };
  const std::string corpus = dir.Join("corpus");
  const std::string gen = "python3 '" + GenCorpusPath() + "' '" + corpus +
                          "' --small 30 --formats json --seed 3 >/dev/null";
  ASSERT_EQ(std::system(gen.c_str()), 0) << gen;
  std::size_t corpus_lines = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(corpus)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".log") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      inputs.push_back(line);
      ++corpus_lines;
    }
  }
  ASSERT_GT(corpus_lines, 100u);

  std::string in_text, out_text;
  for (const std::string& line : inputs) {
    ASSERT_TRUE(Parse(line)) << record_.error << ": " << line;
    in_text += line + "\n";
    AppendRecordJson(out_text, record_);
  }
  const std::string in_path = dir.Join("in.ndjson");
  const std::string out_path = dir.Join("out.ndjson");
  const std::string script_path = dir.Join("check.py");
  testing::WriteFile(in_path, in_text);
  testing::WriteFile(out_path, out_text);
  // Same object, same types, except that an integer beyond int64 may come back as a float of the
  // same value.
  testing::WriteFile(script_path, R"PY(
import json, sys
def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and abs(a) > 2**63 - 1 and isinstance(b, float):
        return float(a) == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return a == b and str(a) == str(b)  # -0.0 stays -0.0
    return a == b
ins = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
outs = open(sys.argv[2], 'rb').read().split(b'\n')[:-1]
assert len(ins) == len(outs), (len(ins), len(outs))
for i, (a, b) in enumerate(zip(ins, outs)):
    x, y = json.loads(a), json.loads(b)
    if not same(x, y):
        sys.exit('line %d differs:\n  %r\n  %r' % (i, a, b))
)PY");
  const std::string check = "python3 '" + script_path + "' '" + in_path + "' '" + out_path + "'";
  EXPECT_EQ(std::system(check.c_str()), 0) << check;
}

}  // namespace
}  // namespace ringflow::stages

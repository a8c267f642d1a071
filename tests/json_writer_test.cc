#include "stages/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using flow::Field;
using flow::Value;
using namespace std::string_literals;

bool HavePython() { return std::system("python3 -c pass >/dev/null 2>&1") == 0; }

std::string Str(std::string_view bytes) {
  std::string out;
  AppendJsonString(out, bytes);
  return out;
}

std::string Line(const flow::Record& record) {
  std::string out;
  AppendRecordJson(out, record);
  return out;
}

std::string One(Value value) {
  flow::Record record;
  record.fields.push_back({"v", value});
  return Line(record);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  }
  return out;
}

TEST(JsonWriterTest, StringEscapes) {
  EXPECT_EQ(Str(""), R"("")");
  EXPECT_EQ(Str("plain text"), R"("plain text")");
  EXPECT_EQ(Str("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(Str("\n\r\t"), R"("\n\r\t")");
  EXPECT_EQ(Str("\0\x01\x08\x0c\x1f\x7f"s), R"("\u0000\u0001\u0008\u000c\u001f\u007f")");
  EXPECT_EQ(Str(" ~"), R"(" ~")");
}

TEST(JsonWriterTest, ValidUtf8IsCopied) {
  const std::string text = "é€😀 東京 \xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf";
  EXPECT_EQ(Str(text), "\"" + text + "\"");
}

TEST(JsonWriterTest, InvalidUtf8IsLatin1Escaped) {
  EXPECT_EQ(Str("\xff"), R"("\u00ff")");
  EXPECT_EQ(Str("a\x80z"), R"("a\u0080z")");
  EXPECT_EQ(Str("\xe2\x82"), R"("\u00e2\u0082")");                       // truncated €
  EXPECT_EQ(Str("\xe2\x82z"), R"("\u00e2\u0082z")");                     // cut by ASCII
  EXPECT_EQ(Str("\xf0\x9f\x98\xc3\xa9"), "\"\\u00f0\\u009f\\u0098é\"");  // cut by a valid é
  EXPECT_EQ(Str("\xc0\x80"), R"("\u00c0\u0080")");                       // overlong NUL
  EXPECT_EQ(Str("\xe0\x80\xaf"), R"("\u00e0\u0080\u00af")");             // overlong '/'
  EXPECT_EQ(Str("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");             // UTF-8-encoded surrogate
  EXPECT_EQ(Str("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");   // above U+10FFFF
  EXPECT_EQ(Str("\xf8\x88\x80\x80\x80"), R"("\u00f8\u0088\u0080\u0080\u0080")");
}

TEST(JsonWriterTest, EscapesAtEveryOffsetOfTheFastPath) {
  // The scanner looks at 16 bytes at a time and at the rest in one or two overlapping words of 4
  // or 8 bytes: put each special byte at each offset of strings of every length up to 40.
  const std::pair<std::string, std::string> kCases[] = {
      {"\"", "\\\""},      {"\\", "\\\\"},           {"\n", "\\n"},
      {"\x01", "\\u0001"}, {"\x1f", "\\u001f"},      {"\x7f", "\\u007f"},
      {"\0"s, "\\u0000"},  {"\x80", "\\u0080"},      {"\xff", "\\u00ff"},
      {"\xc3", "\\u00c3"}, {"\xc3\xa9", "\xc3\xa9"}, {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
  };
  for (const auto& [special, escaped] : kCases) {
    for (std::size_t size = 1; size <= 40; ++size) {
      EXPECT_EQ(Str(std::string(size, 'x')), "\"" + std::string(size, 'x') + "\"") << size;
      for (std::size_t at = 0; at < size; ++at) {
        std::string text(size, 'x');
        text.replace(at, 1, special);
        const std::string expected =
            "\"" + std::string(at, 'x') + escaped + std::string(size - 1 - at, 'x') + "\"";
        EXPECT_EQ(Str(text), expected) << Hex(special) << " at " << at << " of " << size;
      }
    }
  }
}

TEST(JsonWriterTest, Scalars) {
  EXPECT_EQ(One(Value::Null()), "{\"v\":null}\n");
  EXPECT_EQ(One(Value::Bool(true)), "{\"v\":true}\n");
  EXPECT_EQ(One(Value::Bool(false)), "{\"v\":false}\n");
  EXPECT_EQ(One(Value::Int(0)), "{\"v\":0}\n");
  EXPECT_EQ(One(Value::Int(-42)), "{\"v\":-42}\n");
  EXPECT_EQ(One(Value::Int(std::numeric_limits<int64_t>::min())), "{\"v\":-9223372036854775808}\n");
  EXPECT_EQ(One(Value::Int(std::numeric_limits<int64_t>::max())), "{\"v\":9223372036854775807}\n");
  EXPECT_EQ(One(Value::String("x\ty")), "{\"v\":\"x\\ty\"}\n");
  EXPECT_EQ(One(Value::RawJson(R"({"a": [1, 2]})")), "{\"v\":{\"a\": [1, 2]}}\n");
  EXPECT_EQ(One(Value::RawJson("")), "{\"v\":null}\n");
}

TEST(JsonWriterTest, DoublesAreShortestAndStayFloats) {
  EXPECT_EQ(One(Value::Double(0.1)), "{\"v\":0.1}\n");
  EXPECT_EQ(One(Value::Double(40.501)), "{\"v\":40.501}\n");
  EXPECT_EQ(One(Value::Double(0.30000000000000004)), "{\"v\":0.30000000000000004}\n");
  EXPECT_EQ(One(Value::Double(100.0)), "{\"v\":100.0}\n");
  EXPECT_EQ(One(Value::Double(0.0)), "{\"v\":0.0}\n");
  EXPECT_EQ(One(Value::Double(-0.0)), "{\"v\":-0.0}\n");
  EXPECT_EQ(One(Value::Double(1e300)), "{\"v\":1e+300}\n");
  EXPECT_EQ(One(Value::Double(5e-324)), "{\"v\":5e-324}\n");
  EXPECT_EQ(One(Value::Double(18446744073709551616.0)), "{\"v\":18446744073709551616.0}\n");
  EXPECT_EQ(One(Value::Double(std::numeric_limits<double>::quiet_NaN())), "{\"v\":null}\n");
  EXPECT_EQ(One(Value::Double(std::numeric_limits<double>::infinity())), "{\"v\":null}\n");
  EXPECT_EQ(One(Value::Double(-std::numeric_limits<double>::infinity())), "{\"v\":null}\n");
}

TEST(JsonWriterTest, RecordShapes) {
  flow::Record record;
  EXPECT_EQ(Line(record), "{}\n");
  record.truncated = true;
  EXPECT_EQ(Line(record), "{\"_truncated\":true}\n");
  record.fields = {{"a", Value::Int(1)}, {"b\"", Value::String("é")}, {"a", Value::Null()}};
  EXPECT_EQ(Line(record), "{\"a\":1,\"b\\\"\":\"é\",\"a\":null,\"_truncated\":true}\n");
  record.truncated = false;
  EXPECT_EQ(Line(record), "{\"a\":1,\"b\\\"\":\"é\",\"a\":null}\n");
}

TEST(JsonWriterTest, ErrorRecords) {
  flow::Record record;
  const std::string raw = "{\"a\":\"x\xff\0\n"s;
  record.raw = raw;
  record.error = "not valid JSON";
  record.fields = {{"ignored", Value::Int(1)}};  // an error record writes no field
  EXPECT_EQ(Line(record),
            "{\"_error\":\"not valid JSON\",\"_raw\":\"{\\\"a\\\":\\\"x\\u00ff\\u0000\\n\"}\n");
  record.truncated = true;
  EXPECT_EQ(Line(record),
            "{\"_error\":\"not valid JSON\",\"_raw\":\"{\\\"a\\\":\\\"x\\u00ff\\u0000\\n\","
            "\"_truncated\":true}\n");
}

TEST(JsonWriterTest, AppendsWithoutTouchingWhatIsThere) {
  std::string out = "prefix";
  AppendJsonString(out, "a");
  flow::Record record;
  AppendRecordJson(out, record);
  EXPECT_EQ(out, "prefix\"a\"{}\n");
}

// Strings of arbitrary bytes, as field values, names, error raws: Python's json.loads must
// accept every line, and each string must decode to the bytes read as UTF-8 where valid and as
// Latin-1 (one code point per byte) where not, which is what Python's decoder with a
// byte-to-U+00XX error handler computes independently.
TEST(JsonWriterTest, ArbitraryBytesDecodeInPython) {
  if (!HavePython()) GTEST_SKIP() << "python3 not found";
  std::vector<std::string> cases = {
      ""s,
      "\0"s,
      "\0\x01\x02\x1f\x7f\x20"s,
      "\xff"s,
      "\xfe\xff"s,
      "\x80\xbf"s,
      "\xc3"s,
      "\xc3\xa9"s,
      "\xe2\x82"s,
      "\xe2\x82\xac"s,
      "\xf0\x9f\x98"s,
      "\xf0\x9f\x98\x80"s,
      "\xc0\x80"s,
      "\xc1\xbf"s,
      "\xe0\x80\xaf"s,
      "\xe0\x9f\xbf"s,
      "\xf0\x80\x80\xaf"s,
      "\xf0\x8f\xbf\xbf"s,
      "\xed\xa0\x80"s,
      "\xed\xbf\xbf"s,
      "\xed\xa0\xbd\xed\xb8\x80"s,  // CESU-8 😀
      "\xf4\x90\x80\x80"s,
      "\xf5\x80\x80\x80"s,
      "\xf8\x88\x80\x80\x80"s,
      "tab\there \"quoted\" back\\slash\r\n"s,
  };
  // Deterministic pseudo-random bytes, biased to UTF-8-ish bytes so that valid and broken
  // sequences both show up.
  uint64_t x = 0x9e3779b97f4a7c15u;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  static constexpr unsigned char kPicks[] = {0x00, 0x0a, 0x1f, 0x22, 0x5c, 0x41, 0x7f, 0x80,
                                             0xbf, 0xc2, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff};
  for (int n = 0; n < 2000; ++n) {
    std::string s(next() % 40, '\0');
    for (char& c : s) {
      const uint64_t r = next();
      c = static_cast<char>(r % 3 == 0 ? kPicks[(r >> 8) % 16] : (r >> 8) & 0xff);
    }
    cases.push_back(std::move(s));
  }

  std::string hex, json;
  for (const std::string& bytes : cases) {
    flow::Record ok;
    ok.fields = {{bytes, Value::String(bytes)}};
    AppendRecordJson(json, ok);
    flow::Record failed;
    failed.raw = bytes;
    failed.error = "not valid JSON";
    failed.truncated = true;
    AppendRecordJson(json, failed);
    hex += Hex(bytes) + "\n";
  }
  testing::TempDir dir;
  const std::string hex_path = dir.Join("bytes.hex");
  const std::string json_path = dir.Join("out.ndjson");
  const std::string script_path = dir.Join("check.py");
  testing::WriteFile(hex_path, hex);
  testing::WriteFile(json_path, json);
  testing::WriteFile(script_path, R"PY(
import codecs, json, sys
codecs.register_error('latin1', lambda e: (''.join(chr(b) for b in e.object[e.start:e.end]), e.end))
inputs = [bytes.fromhex(h) for h in open(sys.argv[1]).read().split('\n')[:-1]]
data = open(sys.argv[2], 'rb').read()
lines = data.decode('utf-8').split('\n')  # strict: the output is valid UTF-8
assert lines[-1] == ''
lines = lines[:-1]
assert len(lines) == 2 * len(inputs), (len(lines), len(inputs))
for i, b in enumerate(inputs):
    want = b.decode('utf-8', 'latin1')
    ok = json.loads(lines[2 * i])
    failed = json.loads(lines[2 * i + 1])
    if ok != {want: want}:
        sys.exit('case %d (%s): %r != %r' % (i, b.hex(), ok, {want: want}))
    if failed != {'_error': 'not valid JSON', '_raw': want, '_truncated': True}:
        sys.exit('case %d (%s): %r' % (i, b.hex(), failed))
)PY");
  const std::string check = "python3 '" + script_path + "' '" + hex_path + "' '" + json_path + "'";
  EXPECT_EQ(std::system(check.c_str()), 0) << check;
}

}  // namespace
}  // namespace ringflow::stages

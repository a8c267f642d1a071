#include "framework/core/json_escape.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "framework/core/utf8.h"

namespace ringflow {
namespace {

using namespace std::string_literals;

// The code point of the UTF-8 sequence of `len` bytes at the start of `s` when it is the one
// shortest encoding of a scalar value, else nullopt: decoded, then encoded again and compared,
// a different method from the library's table of first-byte ranges.
std::optional<uint32_t> DecodeStrict(std::string_view s, std::size_t len) {
  if (len > s.size()) return std::nullopt;
  const auto b = [&](std::size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(s[i]));
  };
  uint32_t cp = len == 1 ? b(0) : len == 2 ? b(0) & 0x1f : len == 3 ? b(0) & 0x0f : b(0) & 0x07;
  for (std::size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  std::string again;
  if (cp < 0x80) {
    again += static_cast<char>(cp);
  } else if (cp < 0x800) {
    again += static_cast<char>(0xc0 | (cp >> 6));
    again += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    again += static_cast<char>(0xe0 | (cp >> 12));
    again += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    again += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    again += static_cast<char>(0xf0 | (cp >> 18));
    again += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    again += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    again += static_cast<char>(0x80 | (cp & 0x3f));
  }
  if (again != s.substr(0, len)) return std::nullopt;
  return cp;
}

// Length of the valid sequence at the start of `s` by DecodeStrict, 0 if none.
std::size_t ReferenceLength(std::string_view s) {
  for (std::size_t len = 1; len <= 4; ++len) {
    if (DecodeStrict(s, len)) return len;
  }
  return 0;
}

// Whether all of `s` is valid by ReferenceLength.
bool ReferenceValid(std::string_view s) {
  while (!s.empty()) {
    const std::size_t len = ReferenceLength(s);
    if (len == 0) return false;
    s.remove_prefix(len);
  }
  return true;
}

// The escaping rules written out plainly, one byte or sequence at a time.
std::string ReferenceEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c >= 0x80 ? ReferenceLength(s.substr(i)) : 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
    } else if (c < 0x20 || c == 0x7f || len == 0) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    ++i;
  }
  return out + "\"";
}

std::string Escaped(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonEscapeTest, ShortEscapes) {
  EXPECT_EQ(JsonShortEscape('"'), '"');
  EXPECT_EQ(JsonShortEscape('\\'), '\\');
  EXPECT_EQ(JsonShortEscape('\n'), 'n');
  EXPECT_EQ(JsonShortEscape('\r'), 'r');
  EXPECT_EQ(JsonShortEscape('\t'), 't');
  EXPECT_EQ(JsonShortEscape('\b'), 0);
  EXPECT_EQ(JsonShortEscape('a'), 0);
  EXPECT_EQ(JsonShortEscape('/'), 0);
}

TEST(JsonEscapeTest, KnownStrings) {
  EXPECT_EQ(Escaped(""), R"("")");
  EXPECT_EQ(Escaped("plain text"), R"("plain text")");
  EXPECT_EQ(Escaped("a\"b\\c\nd\re\tf"), R"("a\"b\\c\nd\re\tf")");
  EXPECT_EQ(Escaped("\0\x01\x08\x0c\x1f\x7f"s), R"("\u0000\u0001\u0008\u000c\u001f\u007f")");
  EXPECT_EQ(Escaped("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Escaped("\xff"), R"("\u00ff")");
  EXPECT_EQ(Escaped("\xe2\x82z"), R"("\u00e2\u0082z")");                    // truncated sequence
  EXPECT_EQ(Escaped("\xc0\x80"), R"("\u00c0\u0080")");                      // overlong NUL
  EXPECT_EQ(Escaped("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");            // encoded surrogate
  EXPECT_EQ(Escaped("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");  // > U+10FFFF
}

TEST(JsonEscapeTest, AppendsAfterWhatIsThere) {
  std::string out = "x=";
  AppendJsonString(out, "a\n");
  AppendJsonString(out, "");
  EXPECT_EQ(out, R"(x="a\n""")");
}

// Random strings of every length up to 70 (the 16-byte, 8-byte, 4-byte and byte paths, each
// special byte at every offset), from an alphabet heavy in specials and UTF-8 fragments.
TEST(JsonEscapeTest, MatchesTheReferenceOnRandomBytes) {
  const std::string pieces[] = {"a",
                                "Z",
                                " ",
                                "\"",
                                "\\",
                                "\n",
                                "\t",
                                "\x01",
                                "\x7f",
                                "\x80",
                                "\xc3\xa9",
                                "\xc3",
                                "\xe2\x82\xac",
                                "\xed\xa0\x80",
                                "\xf0\x9f\x98\x80",
                                "\xf4\x90\x80\x80",
                                "\xff",
                                "\0"s};
  std::mt19937 rng(15);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
  std::uniform_int_distribution<int> plain_run(0, 40);
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const std::size_t target = static_cast<std::size_t>(round % 71);
    while (s.size() < target) {
      if (rng() % 3 == 0) {
        s.append(static_cast<std::size_t>(plain_run(rng)), 'p');
      } else {
        s += pieces[pick(rng)];
      }
    }
    ASSERT_EQ(Escaped(s), ReferenceEscape(s)) << "round " << round;
  }
}

TEST(JsonEscapeTest, PutStaysWithinTheBound) {
  // Every byte escaped to six: the worst case, just within JsonStringBound.
  const std::string s(100, '\x01');
  std::string buffer(JsonStringBound(s.size()), '#');
  char* const end = PutJsonString(buffer.data(), s);
  EXPECT_EQ(static_cast<std::size_t>(end - buffer.data()), 6 * s.size() + 2);
  EXPECT_LE(static_cast<std::size_t>(end - buffer.data()), buffer.size());
}

// IsValidUtf8 and Utf8SequenceLength against the decode-and-encode-again reference: every
// sequence of one, two and three bytes, and random four-byte ones.
TEST(Utf8Test, AgreesWithTheReferenceOnShortSequences) {
  std::string s;
  for (uint32_t v = 0; v < (1u << 24); ++v) {
    const std::size_t n = v < 0x100 ? 1 : v < 0x10000 ? 2 : 3;
    s.clear();
    for (std::size_t k = n; k-- > 0;) s += static_cast<char>((v >> (8 * k)) & 0xff);
    ASSERT_EQ(IsValidUtf8(s), ReferenceValid(s)) << std::hex << v;
    ASSERT_EQ(Utf8SequenceLength(s), ReferenceLength(s)) << std::hex << v;
  }
  std::mt19937 rng(8);
  for (int i = 0; i < 2000000; ++i) {
    const uint32_t v = static_cast<uint32_t>(rng()) | 0xf0000000u;  // a four-byte lead
    s.clear();
    for (int k = 3; k >= 0; --k) s += static_cast<char>((v >> (8 * k)) & 0xff);
    ASSERT_EQ(IsValidUtf8(s), ReferenceValid(s)) << std::hex << v;
    ASSERT_EQ(Utf8SequenceLength(s), ReferenceLength(s)) << std::hex << v;
  }
}

TEST(Utf8Test, IsValidUtf8OnLongerText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ASCII text, longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("mixed caf\xc3\xa9 and \xf0\x9f\x98\x80 after sixteen bytes"));
  EXPECT_FALSE(IsValidUtf8("sixteen bytes of ASCII, then \xff"));
  EXPECT_FALSE(IsValidUtf8("cut at the end \xe2\x82"));
  EXPECT_TRUE(IsValidUtf8("\0 NUL is valid"s));
}

}  // namespace
}  // namespace ringflow

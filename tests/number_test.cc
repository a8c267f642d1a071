#include "framework/core/number.h"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace ringflow {
namespace {

TEST(NumberTest, ParseInt64ReadsWholeDecimals) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("-42"), -42);
  EXPECT_EQ(ParseInt64("007"), 7);
  EXPECT_EQ(ParseInt64("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseInt64("-9223372036854775808"), std::numeric_limits<int64_t>::min());
}

TEST(NumberTest, ParseInt64RefusesAnythingElse) {
  for (const char* text : {"", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "12a", "--1",
                           "9223372036854775808", "-9223372036854775809"}) {
    EXPECT_FALSE(ParseInt64(text).has_value()) << '"' << text << '"';
  }
}

TEST(NumberTest, ParseUint64TakesNoSign) {
  EXPECT_EQ(ParseUint64("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(ParseUint64("18446744073709551616").has_value());
  EXPECT_FALSE(ParseUint64("-1").has_value());
  EXPECT_FALSE(ParseUint64("-0").has_value());
  EXPECT_EQ(ParseInteger<uint8_t>("255"), 255);
  EXPECT_FALSE(ParseInteger<uint8_t>("256").has_value());
}

TEST(NumberTest, ParseDoubleReadsFiniteNumbers) {
  EXPECT_EQ(ParseDouble("1"), 1.0);
  EXPECT_EQ(ParseDouble("-2.5"), -2.5);
  EXPECT_EQ(ParseDouble("1e-3"), 1e-3);
  EXPECT_EQ(ParseDouble("1E3"), 1000.0);
  EXPECT_EQ(ParseDouble(".5"), 0.5);
  EXPECT_EQ(ParseDouble("5."), 5.0);
  EXPECT_EQ(ParseDouble("1.7976931348623157e308"), std::numeric_limits<double>::max());
  EXPECT_EQ(ParseDouble("4.9e-324"), std::numeric_limits<double>::denorm_min());
  const auto minus_zero = ParseDouble("-0");
  ASSERT_TRUE(minus_zero.has_value());
  EXPECT_TRUE(std::signbit(*minus_zero));
}

TEST(NumberTest, ParseDoubleRefusesNonFiniteOutOfRangeAndJunk) {
  for (const char* text :
       {"",    "-",     ".",     "e3",     "1e",     "1e+", "inf", "-inf", "Infinity", "nan",
        "NaN", "0x1p3", "1e400", "-1e400", "1e-400", " 1",  "1 ",  "+1",   "1,5",      "1.2.3"}) {
    EXPECT_FALSE(ParseDouble(text).has_value()) << '"' << text << '"';
  }
}

// Correct rounding, bit for bit as strtod in the C locale, on digits that need more than a
// double's precision.
TEST(NumberTest, ParseDoubleRoundsAsStrtod) {
  for (const char* text :
       {"0.1", "2.2250738585072011e-308", "9007199254740993", "1.00000000000000011102230246251565",
        "123456789012345678901234567890e-20", "3.141592653589793238462643383279"}) {
    const auto parsed = ParseDouble(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(*parsed, std::strtod(text, nullptr)) << text;
  }
}

// A locale whose decimal separator is a comma does not change what is read.
TEST(NumberTest, IgnoresTheLocale) {
  const char* const set = std::setlocale(LC_NUMERIC, "de_DE.UTF-8");
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_FALSE(ParseDouble("1,5").has_value());
  std::setlocale(LC_NUMERIC, "C");
  if (set == nullptr) GTEST_SKIP() << "no de_DE.UTF-8 locale; checked in the C locale only";
}

}  // namespace
}  // namespace ringflow

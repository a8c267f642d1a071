#include "framework/core/calendar.h"

#include <gtest/gtest.h>

#include <ctime>

namespace ringflow {
namespace {

TEST(CalendarTest, LeapYears) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_TRUE(IsLeapYear(0));
}

TEST(CalendarTest, DaysInMonth) {
  const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int month = 1; month <= 12; ++month) {
    EXPECT_EQ(DaysInMonth(2023, month), kDays[month - 1]) << month;
  }
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
}

TEST(CalendarTest, ValidDates) {
  EXPECT_TRUE(IsValidDate(2024, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 2, 29));
  EXPECT_TRUE(IsValidDate(2023, 12, 31));
  EXPECT_FALSE(IsValidDate(2023, 4, 31));
  EXPECT_FALSE(IsValidDate(2023, 0, 1));
  EXPECT_FALSE(IsValidDate(2023, 13, 1));
  EXPECT_FALSE(IsValidDate(2023, 1, 0));
  EXPECT_FALSE(IsValidDate(2023, 1, 32));
  // Beyond std::chrono::year's range: refused, not wrapped into it.
  EXPECT_FALSE(IsValidDate(65536 + 2024, 1, 1));
  EXPECT_FALSE(IsValidDate(-40000, 1, 1));
}

// Every day of 1600..2500 against timegm(3), an independent implementation.
TEST(CalendarTest, DaysFromCivilAgreesWithTimegm) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  int mismatches = 0;
  for (int year = 1600; year <= 2500; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= DaysInMonth(year, month); ++day) {
        std::tm tm{};
        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
        const int64_t expected = static_cast<int64_t>(::timegm(&tm)) / 86400;
        if (DaysFromCivil(year, month, day) != expected && ++mismatches <= 5) {
          ADD_FAILURE() << year << "-" << month << "-" << day << ": "
                        << DaysFromCivil(year, month, day) << " != " << expected;
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(CalendarTest, MonthNames) {
  const char* const kNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int month = 1; month <= 12; ++month) EXPECT_EQ(MonthFromName(kNames[month - 1]), month);
  for (const char* bad : {"", "jan", "JAN", "January", "Ja", "Jan ", "Foo"}) {
    EXPECT_EQ(MonthFromName(bad), 0) << bad;
  }
}

static_assert(DaysFromCivil(2024, 2, 29) == 19782, "constexpr, for checks at compile time");

}  // namespace
}  // namespace ringflow

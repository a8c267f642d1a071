#include "stages/log_time.h"

#include <gtest/gtest.h>

#include <string>

#include "framework/core/calendar.h"
#include "stages/internal/log_level.h"

namespace ringflow::stages {
namespace {

// Minutes since 1970 of a UTC date and time, as TimeContext::now_minutes holds it.
int64_t At(int year, int month, int day, int hour = 0, int minute = 0) {
  return DaysFromCivil(year, month, day) * 1440 + hour * 60 + minute;
}

LogTime Civil(int year, int month, int day, int hour, int minute, int second) {
  LogTime t;
  t.year = year;
  t.month = month;
  t.day = day;
  t.hour = hour;
  t.minute = minute;
  t.second = second;
  return t;
}

TimeContext NowAt(int64_t minutes) {
  TimeContext context;
  context.now_minutes = minutes;
  return context;
}

std::string Format(const LogTime& t, std::optional<int> zone = std::nullopt) {
  flow::Arena arena;
  return std::string(FormatLogTime(t, zone, arena));
}

TEST(LogTimeTest, FormatsWithTheSourcesPrecisionAndOffset) {
  LogTime t = Civil(2026, 12, 5, 21, 27, 1);
  EXPECT_EQ(Format(t), "2026-12-05T21:27:01");
  t.fraction = "123456";
  EXPECT_EQ(Format(t), "2026-12-05T21:27:01.123456");
  t.offset = -7 * 60;
  EXPECT_EQ(Format(t), "2026-12-05T21:27:01.123456-07:00");
  t.offset = 0;
  EXPECT_EQ(Format(t), "2026-12-05T21:27:01.123456+00:00");
  t.offset = 5 * 60 + 30;
  t.fraction = "123456789";
  EXPECT_EQ(Format(t), "2026-12-05T21:27:01.123456789+05:30");
  t.offset.reset();
  t.zulu = true;
  t.fraction = "5";
  EXPECT_EQ(Format(t, 60), "2026-12-05T21:27:01.5Z");  // the line's own zone wins
}

TEST(LogTimeTest, AZoneLessTimeTakesTheConfiguredZone) {
  const LogTime t = Civil(1, 1, 1, 0, 0, 60);
  EXPECT_EQ(Format(t), "0001-01-01T00:00:60");
  EXPECT_EQ(Format(t, 0), "0001-01-01T00:00:60+00:00");
  EXPECT_EQ(Format(t, -(9 * 60 + 30)), "0001-01-01T00:00:60-09:30");
  LogTime own = t;
  own.offset = 120;
  EXPECT_EQ(Format(own, -60), "0001-01-01T00:00:60+02:00");
}

TEST(LogTimeTest, ImpossibleTimesAreInvalid) {
  const LogTime good = Civil(2024, 2, 29, 23, 59, 60);
  EXPECT_TRUE(IsValidLogTime(good));
  LogTime t = good;
  t.year = 2026;  // no February 29
  EXPECT_FALSE(IsValidLogTime(t));
  t = good;
  t.day = 30;
  EXPECT_FALSE(IsValidLogTime(t));
  t = good;
  t.month = 13;
  EXPECT_FALSE(IsValidLogTime(t));
  t = good;
  t.hour = 24;
  EXPECT_FALSE(IsValidLogTime(t));
  t = good;
  t.minute = 60;
  EXPECT_FALSE(IsValidLogTime(t));
  t = good;
  t.second = 61;
  EXPECT_FALSE(IsValidLogTime(t));
  t = good;
  t.fraction = "12a";
  EXPECT_FALSE(IsValidLogTime(t));
  t.fraction = "1234567890";  // ten digits
  EXPECT_FALSE(IsValidLogTime(t));
  t = good;
  t.offset = 24 * 60;
  EXPECT_FALSE(IsValidLogTime(t));
  t.offset = -(23 * 60 + 59);
  EXPECT_TRUE(IsValidLogTime(t));
}

TEST(LogTimeTest, AYearLessTimeIsNeverInTheFuture) {
  // Read on 2027-01-02 at 10:00: December's lines are last year's, January's this year's.
  const TimeContext january = NowAt(At(2027, 1, 2, 10, 0));
  EXPECT_EQ(InferYear(january, 12, 31, 23, 59), 2026);
  EXPECT_EQ(InferYear(january, 12, 10, 6, 55), 2026);
  EXPECT_EQ(InferYear(january, 1, 1, 0, 0), 2027);
  EXPECT_EQ(InferYear(january, 1, 2, 9, 0), 2027);
  // Up to a day ahead is clock skew, not last year.
  EXPECT_EQ(InferYear(january, 1, 3, 9, 0), 2027);
  EXPECT_EQ(InferYear(january, 1, 3, 10, 1), 2026);
  // Read on New Year's Eve: nothing is moved into last year that is not in the future.
  const TimeContext eve = NowAt(At(2026, 12, 31, 23, 0));
  EXPECT_EQ(InferYear(eve, 12, 31, 22, 59), 2026);
  EXPECT_EQ(InferYear(eve, 1, 1, 0, 0), 2026);
  EXPECT_EQ(InferYear(eve, 6, 15, 12, 0), 2026);
  // February 29 goes back to the last leap year that is not in the future.
  EXPECT_EQ(InferYear(eve, 2, 29, 12, 0), 2024);
  EXPECT_EQ(InferYear(NowAt(At(2028, 3, 1)), 2, 29, 12, 0), 2028);
  EXPECT_EQ(InferYear(NowAt(At(2028, 2, 1)), 2, 29, 12, 0), 2024);
  // A fixed year wins over the rule.
  TimeContext fixed = january;
  fixed.fixed_year = 2015;
  EXPECT_EQ(InferYear(fixed, 12, 31, 23, 59), 2015);
}

TEST(LogTimeTest, NowIsTodayInUtc) {
  const TimeContext now = TimeContext::Now();
  EXPECT_GT(now.now_minutes, At(2020, 1, 1));
  EXPECT_EQ(now.fixed_year, 0);
  EXPECT_FALSE(now.zone.has_value());
}

TEST(LogTimeTest, ZoneOffsets) {
  EXPECT_EQ(ParseZoneOffset("Z").value(), 0);
  EXPECT_EQ(ParseZoneOffset("UTC").value(), 0);
  EXPECT_EQ(ParseZoneOffset("+00:00").value(), 0);
  EXPECT_EQ(ParseZoneOffset("+05:30").value(), 330);
  EXPECT_EQ(ParseZoneOffset("-09:00").value(), -540);
  for (const char* bad : {"", "Europe/Paris", "+5:30", "+0530", "+24:00", "-01:60", "utc", "z"}) {
    const auto result = ParseZoneOffset(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(result.error().message().find("is not \"+hh:mm\""), std::string::npos);
  }
}

TEST(LogLevelTest, OneLowerCaseSpellingPerLevel) {
  using internal::LevelName;
  EXPECT_EQ(LevelName("INFO"), "info");
  EXPECT_EQ(LevelName("Info"), "info");
  EXPECT_EQ(LevelName("WARNING"), "warn");
  EXPECT_EQ(LevelName("warning"), "warn");
  EXPECT_EQ(LevelName("WARN"), "warn");
  EXPECT_EQ(LevelName("ERR"), "error");
  EXPECT_EQ(LevelName("Error"), "error");
  EXPECT_EQ(LevelName("CRIT"), "critical");
  EXPECT_EQ(LevelName("emerg"), "emergency");
  EXPECT_EQ(LevelName("SEVERE"), "severe");
  EXPECT_EQ(LevelName("DPANIC"), "dpanic");
  EXPECT_EQ(LevelName("FINEST"), "finest");
  for (const char* other : {"", "INF", "INFOS", "main", "EMERGENCYX", "WARNINGS", "I"}) {
    EXPECT_EQ(LevelName(other), "") << other;
  }
  EXPECT_EQ(internal::LevelFromLetter('W'), "warn");
  EXPECT_EQ(internal::LevelFromLetter('A'), "assert");
  EXPECT_EQ(internal::LevelFromLetter('V'), "verbose");
  EXPECT_EQ(internal::LevelFromLetter('x'), "");
}

}  // namespace
}  // namespace ringflow::stages

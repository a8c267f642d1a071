// Proleptic Gregorian calendar arithmetic on C++20 <chrono>: no timegm, no TZ, no locale. For
// the parsers' timestamps and pacing. Header-only and constexpr (the parsers check every date
// they read). Thread-safe (no state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ringflow {

// Whether `year` has a February 29.
constexpr bool IsLeapYear(int year) { return std::chrono::year(year).is_leap(); }

// 28..31. REQUIRES: 1 <= month <= 12.
constexpr int DaysInMonth(int year, int month) {
  const std::chrono::year_month_day_last last(
      std::chrono::year(year),
      std::chrono::month_day_last(std::chrono::month(static_cast<unsigned>(month))));
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

// Whether year-month-day is a date: 1 <= month <= 12, 1 <= day <= DaysInMonth, and `year`
// within std::chrono::year's range (-32767..32767).
constexpr bool IsValidDate(int year, int month, int day) {
  // std::chrono::year keeps a short: a year outside its range would wrap, not fail ok().
  if (year < -32767 || year > 32767 || month < 1 || month > 12 || day < 1 || day > 31) {
    return false;
  }
  return std::chrono::year_month_day(std::chrono::year(year),
                                     std::chrono::month(static_cast<unsigned>(month)),
                                     std::chrono::day(static_cast<unsigned>(day)))
      .ok();
}

// Days from 1970-01-01 to year-month-day (negative before it). REQUIRES: IsValidDate.
constexpr int64_t DaysFromCivil(int year, int month, int day) {
  const std::chrono::sys_days days = std::chrono::year_month_day(
      std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
      std::chrono::day(static_cast<unsigned>(day)));
  return days.time_since_epoch().count();
}

// "Jan" -> 1 ... "Dec" -> 12, as syslog and the common log format write them (exactly: three
// letters, the first capital); 0 for anything else.
constexpr int MonthFromName(std::string_view name) {
  constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i + 1;
  }
  return 0;
}

}  // namespace ringflow

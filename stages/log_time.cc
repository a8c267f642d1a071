#include "stages/log_time.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "framework/core/calendar.h"
#include "stages/internal/parse_util.h"

namespace ringflow::stages {
namespace {

using internal::Digits;
using internal::IsDigit;
using internal::Put;

constexpr int64_t kMinutesPerDay = 24 * 60;

int64_t MinutesOf(int year, int month, int day, int hour, int minute) {
  return DaysFromCivil(year, month, day) * kMinutesPerDay + hour * 60 + minute;
}

// Writes "+hh:mm" / "-hh:mm" at p (6 bytes).
void PutOffset(char* p, int offset) {
  p[0] = offset < 0 ? '-' : '+';
  const int magnitude = offset < 0 ? -offset : offset;
  Put(p + 1, magnitude / 60, 2);
  p[3] = ':';
  Put(p + 4, magnitude % 60, 2);
}

}  // namespace

TimeContext TimeContext::Now() {
  const auto now = std::chrono::system_clock::now();
  TimeContext context;
  context.now_minutes =
      std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count();
  return context;
}

Result<int> ParseZoneOffset(std::string_view text) {
  if (text == "Z" || text == "UTC") return 0;
  int hours = 0;
  int minutes = 0;
  if (text.size() == 6 && (text[0] == '+' || text[0] == '-') && text[3] == ':' &&
      Digits(text, 1, 2, hours) && Digits(text, 4, 2, minutes) && hours <= 23 && minutes <= 59) {
    const int offset = hours * 60 + minutes;
    return text[0] == '-' ? -offset : offset;
  }
  return Error(ErrorCode::kInvalidArgument,
               "timezone \"" + std::string(text.substr(0, 64)) +
                   "\" is not \"+hh:mm\", \"-hh:mm\", \"Z\" or \"UTC\"");
}

int InferYear(const TimeContext& context, int month, int day, int hour, int minute) {
  if (context.fixed_year != 0) return context.fixed_year;
  // The year of "now", kept per thread: a run asks with the same moment line after line.
  thread_local int64_t cached_now = INT64_MIN;
  thread_local int this_year = 0;
  if (cached_now != context.now_minutes) {
    const int64_t now_days = context.now_minutes >= 0
                                 ? context.now_minutes / kMinutesPerDay
                                 : (context.now_minutes - kMinutesPerDay + 1) / kMinutesPerDay;
    const std::chrono::year_month_day today{std::chrono::sys_days(std::chrono::days(now_days))};
    this_year = static_cast<int>(today.year());
    cached_now = context.now_minutes;
  }
  const int64_t latest = context.now_minutes + kMinutesPerDay;
  // February 29 exists one year in four: look back far enough to find one.
  for (int year = this_year; year > this_year - 8; --year) {
    if (IsValidDate(year, month, day) && MinutesOf(year, month, day, hour, minute) <= latest) {
      return year;
    }
  }
  return this_year;
}

bool IsValidLogTime(const LogTime& t) {
  if (!IsValidDate(t.year, t.month, t.day) || t.hour < 0 || t.hour > 23 || t.minute < 0 ||
      t.minute > 59 || t.second < 0 || t.second > 60 || t.fraction.size() > 9) {
    return false;
  }
  for (const char c : t.fraction) {
    if (!IsDigit(c)) return false;
  }
  return !t.offset || (*t.offset > -24 * 60 && *t.offset < 24 * 60);
}

std::string_view CheckRfc3339(std::string_view s) {
  LogTime t;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      !Digits(s, 0, 4, t.year) || !Digits(s, 5, 2, t.month) || !Digits(s, 8, 2, t.day) ||
      !Digits(s, 11, 2, t.hour) || !Digits(s, 14, 2, t.minute) || !Digits(s, 17, 2, t.second)) {
    return "time is not RFC 3339 (yyyy-mm-ddThh:mm:ss...)";
  }
  std::size_t pos = 19;
  if (s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start || pos - start > 9) return "time's fraction is not 1 to 9 digits";
    t.fraction = s.substr(start, pos - start);
  }
  int hours = 0;
  int minutes = 0;
  if (pos + 1 == s.size() && s[pos] == 'Z') {
    t.zulu = true;
    t.offset = 0;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':' &&
             Digits(s, pos + 1, 2, hours) && Digits(s, pos + 4, 2, minutes)) {
    if (minutes > 59) return "date or time is out of range";
    t.offset = (s[pos] == '-' ? -1 : 1) * (hours * 60 + minutes);
  } else {
    return "time does not end in Z or +hh:mm";
  }
  if (!IsValidLogTime(t)) return "date or time is out of range";
  return {};
}

std::string_view FormatLogTime(const LogTime& t, std::optional<int> zone, flow::Arena& arena) {
  // The offset written, if any, as a plain flag and value (gcc 12 at -O2 with TSan takes a
  // copied std::optional<int> for maybe-uninitialized).
  const bool has_offset = !t.zulu && (t.offset.has_value() || zone.has_value());
  const int offset = t.offset.has_value() ? *t.offset : zone.value_or(0);
  const std::size_t size = 19 + (t.fraction.empty() ? 0 : 1 + t.fraction.size()) +
                           (t.zulu       ? 1
                            : has_offset ? 6
                                         : 0);
  char* p = arena.Allocate(size);
  Put(p, t.year, 4);
  p[4] = '-';
  Put(p + 5, t.month, 2);
  p[7] = '-';
  Put(p + 8, t.day, 2);
  p[10] = 'T';
  Put(p + 11, t.hour, 2);
  p[13] = ':';
  Put(p + 14, t.minute, 2);
  p[16] = ':';
  Put(p + 17, t.second, 2);
  std::size_t at = 19;
  if (!t.fraction.empty()) {
    p[at++] = '.';
    std::memcpy(p + at, t.fraction.data(), t.fraction.size());
    at += t.fraction.size();
  }
  if (t.zulu) {
    p[at] = 'Z';
  } else if (has_offset) {
    PutOffset(p + at, offset);
  }
  return {p, size};
}

}  // namespace ringflow::stages

// Timestamps as the line parsers write them: RFC 3339 with the source's own precision, its offset
// when the line states one, and the rules for what a line leaves out (the year, the zone).
// Thread-safe: TimeContext is a value; the functions have no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "framework/core/result.h"
#include "framework/flow/record.h"

namespace ringflow::stages {

// A civil date and time as a line writes it, before it becomes text.
struct LogTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..DaysInMonth
  int hour = 0;   // 0..23
  int minute = 0;
  int second = 0;             // 0..60 (a leap second is written as it was)
  std::string_view fraction;  // the digits after the point, as written (0 to 9 of them)
  std::optional<int> offset;  // minutes east of UTC, when the line states its zone
  bool zulu = false;          // the line wrote "Z" (offset is then 0)
};

// What a parser needs for the parts of a time that its line leaves out. Made once per stage
// (so a run gives every line of the same kind the same answer) and passed by reference.
struct TimeContext {
  // A year-less time (BSD syslog, logcat, glog) takes this moment's year, or the year before
  // when this year would put it more than one day after this moment: December lines read in
  // January belong to last year, and a day of grace absorbs clocks that run a little ahead.
  // (February 29 goes back to the last leap year that fits.) Minutes since 1970-01-01 00:00 in
  // the zone of the logs (UTC when unknown).
  int64_t now_minutes = 0;
  // A fixed year for year-less times instead of the rule (0: the rule).
  int fixed_year = 0;
  // The offset written after zone-less times, minutes east of UTC; none: they are written
  // without one (the line does not say its zone, and "Z" would be wrong for most hosts).
  std::optional<int> zone;

  // A context whose "now" is the current time in UTC, with neither a fixed year nor a zone.
  static TimeContext Now();
};

// "+hh:mm", "-hh:mm", "Z" or "UTC" (0) -> minutes east of UTC; kInvalidArgument otherwise
// (`timezone "x" is not "+hh:mm", "-hh:mm", "Z" or "UTC"`). Named zones need a time zone
// database, which the run does not read.
Result<int> ParseZoneOffset(std::string_view text);

// The year `context` gives a time that states month, day and time of day but no year.
int InferYear(const TimeContext& context, int month, int day, int hour, int minute);

// Whether `t` is a real moment: the date exists (no February 30), hour 0..23, minute 0..59,
// second 0..60, the fraction all digits (at most 9), an offset within +-23:59.
bool IsValidLogTime(const LogTime& t);

// Why `text` is not an RFC 3339 time with a zone, yyyy-mm-ddThh:mm:ss[.f{1,9}](Z|+hh:mm|-hh:mm)
// with a real date and time (IsValidLogTime), or empty when it is. The reason is a static
// string.
std::string_view CheckRfc3339(std::string_view text);

// `t` as RFC 3339 in `arena`: "yyyy-mm-ddThh:mm:ss", then ".fraction" when it has one, then
// "Z" (zulu), "+hh:mm"/"-hh:mm" (offset; 0 is "+00:00"), or `zone` for a time without its own
// zone when given. REQUIRES: IsValidLogTime(t), 1 <= t.year <= 9999.
std::string_view FormatLogTime(const LogTime& t, std::optional<int> zone, flow::Arena& arena);

}  // namespace ringflow::stages

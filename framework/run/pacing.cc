#include "framework/run/pacing.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "framework/core/calendar.h"
#include "framework/core/error.h"
#include "framework/core/number.h"

namespace ringflow::run {
namespace {

constexpr double kMicrosPerSecond = 1e6;

// User input quoted for a message, on one line (the text comes from the command line).
std::string Quote(std::string_view text) { return "\"" + EscapeControl(text) + "\""; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

// The unsigned decimal number ("50", "1.5", ".5") at the front of `text`, and what follows it.
// No sign, exponent, "inf" or "nan": the caller's error message covers all of those. Parsed with
// ParseDouble, so the result does not depend on the locale.
struct Number {
  double value = 0;
  std::string_view rest;
};
std::optional<Number> LeadingNumber(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && ((text[n] >= '0' && text[n] <= '9') || text[n] == '.')) ++n;
  if (n == 0) return std::nullopt;
  const std::optional<double> value = ParseDouble(text.substr(0, n));
  if (!value) return std::nullopt;
  return Number{*value, text.substr(n)};
}

// Reads exactly `width` digits at `pos` into `out`; advances `pos`.
bool Digits(std::string_view text, std::size_t& pos, std::size_t width, int& out) {
  if (text.size() - pos < width) return false;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  out = value;
  return true;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Seconds since the epoch as microseconds, or nullopt when they do not fit an int64_t.
std::optional<int64_t> SecondsToMicros(double seconds) {
  const double micros = std::round(seconds * kMicrosPerSecond);
  // 2^63 is exact as a double; anything at or beyond it (or NaN) does not fit.
  constexpr double kLimit = 9223372036854775808.0;
  if (!(micros > -kLimit && micros < kLimit)) return std::nullopt;
  return static_cast<int64_t>(micros);
}

// `start + seconds`, saturating at the clock's end (a huge rate or an hours-long gap at a tiny
// speed must not wrap around into the past).
Pacer::Clock::time_point After(Pacer::Clock::time_point start, double seconds) {
  using Clock = Pacer::Clock;
  if (!(seconds > 0)) return start;
  const Clock::rep room = (Clock::time_point::max() - start).count();
  // Rounded, not truncated: 0.3 s must not come out one tick early as 299999999 ns.
  const double ticks = std::round(seconds * static_cast<double>(Clock::period::den) /
                                  static_cast<double>(Clock::period::num));
  // A double strictly below double(room) is at most room, so the cast below cannot overflow.
  if (!(ticks < static_cast<double>(room))) return Clock::time_point::max();
  return start + Clock::duration(static_cast<Clock::rep>(ticks));
}

bool RateOn(const PacingOptions& o) {
  return o.rate.has_value() && o.rate->per_second > 0 && std::isfinite(o.rate->per_second);
}
bool SpeedOn(const PacingOptions& o) { return o.speed > 0; }

}  // namespace

Result<Rate> ParseRate(std::string_view text) {
  auto bad = [&](std::string_view why = {}) {
    return Error(ErrorCode::kInvalidArgument, "not a rate: " + Quote(text) + std::string(why) +
                                                  "; use e.g. 50MB/s, 800KiB/s or 20000lines/s");
  };
  const std::optional<Number> number = LeadingNumber(text);
  if (!number) return bad();
  const std::string unit = ToLower(number->rest);
  if (unit.size() < 2 || unit.compare(unit.size() - 2, 2, "/s") != 0) return bad();
  const std::string_view name = std::string_view(unit).substr(0, unit.size() - 2);

  struct UnitSpec {
    std::string_view name;
    Rate::Unit unit;
    double factor;
  };
  static constexpr std::array<UnitSpec, 11> kUnits = {{
      {"b", Rate::Unit::kBytes, 1},
      {"kb", Rate::Unit::kBytes, 1e3},
      {"mb", Rate::Unit::kBytes, 1e6},
      {"gb", Rate::Unit::kBytes, 1e9},
      {"kib", Rate::Unit::kBytes, 1024.0},
      {"mib", Rate::Unit::kBytes, 1024.0 * 1024},
      {"gib", Rate::Unit::kBytes, 1024.0 * 1024 * 1024},
      {"lines", Rate::Unit::kLines, 1},
      {"klines", Rate::Unit::kLines, 1e3},
      {"mlines", Rate::Unit::kLines, 1e6},
      {"glines", Rate::Unit::kLines, 1e9},
  }};
  const auto spec =
      std::find_if(kUnits.begin(), kUnits.end(), [&](const UnitSpec& s) { return s.name == name; });
  if (spec == kUnits.end()) return bad();
  Rate rate;
  rate.unit = spec->unit;
  rate.per_second = number->value * spec->factor;
  if (rate.per_second == 0) return bad(" (it must be above zero)");
  if (!std::isfinite(rate.per_second)) return bad();
  return rate;
}

Result<std::chrono::microseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorCode::kInvalidArgument,
                 "not a duration: " + Quote(text) + "; use e.g. 30s, 5m, 1h or 250ms");
  };
  const std::optional<Number> number = LeadingNumber(text);
  if (!number) return bad();
  double seconds_per_unit = 0;
  if (number->rest.empty() || number->rest == "s") {
    seconds_per_unit = 1;
  } else if (number->rest == "ms") {
    seconds_per_unit = 1e-3;
  } else if (number->rest == "m") {
    seconds_per_unit = 60;
  } else if (number->rest == "h") {
    seconds_per_unit = 3600;
  } else {
    return bad();
  }
  const std::optional<int64_t> micros = SecondsToMicros(number->value * seconds_per_unit);
  if (!micros) return bad();
  return std::chrono::microseconds(*micros);
}

std::optional<int64_t> ParseTimestampMicros(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, pos, 4, year) || !Expect(text, pos, '-') || !Digits(text, pos, 2, month) ||
      !Expect(text, pos, '-') || !Digits(text, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return std::nullopt;
  }
  ++pos;
  if (!Digits(text, pos, 2, hour) || !Expect(text, pos, ':') || !Digits(text, pos, 2, minute) ||
      !Expect(text, pos, ':') || !Digits(text, pos, 2, second)) {
    return std::nullopt;
  }
  if (!IsValidDate(year, month, day) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  // A leap second has no place on the epoch scale; :60 is read as :59 so the time stays in its
  // minute and the order of records is kept.
  second = std::min(second, 59);

  // Fraction: any number of digits; those beyond microseconds are dropped (truncated, so that a
  // time never moves into the next second). ISO 8601 also allows a comma.
  int64_t fraction_micros = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::size_t digits = 0;
    int64_t scale = 100000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction_micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
  }

  // Offset. Without one the time is taken as UTC: ISO 8601 local times are common in logs, and
  // pacing only uses the differences between times.
  int offset_seconds = 0;
  if (pos < text.size()) {
    const char sign = text[pos];
    if (sign == 'Z' || sign == 'z') {
      ++pos;
    } else if (sign == '+' || sign == '-') {
      ++pos;
      int offset_hours = 0, offset_minutes = 0;
      if (!Digits(text, pos, 2, offset_hours)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!Digits(text, pos, 2, offset_minutes)) return std::nullopt;
      if (offset_hours > 23 || offset_minutes > 59) return std::nullopt;
      offset_seconds = (offset_hours * 60 + offset_minutes) * 60;
      if (sign == '-') offset_seconds = -offset_seconds;
    } else {
      return std::nullopt;
    }
  }
  if (pos != text.size()) return std::nullopt;

  // Years 0000-9999: at most ~3.2e17 microseconds, far from int64_t's limits.
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * 1000000 + fraction_micros;
}

std::optional<int64_t> RecordTimeMicros(const flow::Record& record) {
  static constexpr std::array<std::string_view, 5> kNames = {"time", "timestamp", "@timestamp",
                                                             "ts", "datetime"};
  for (const std::string_view name : kNames) {
    for (const flow::Field& field : record.fields) {
      if (field.name != name) continue;
      std::optional<int64_t> micros;
      switch (field.value.type) {
        case flow::ValueType::kString:
          micros = ParseTimestampMicros(field.value.s);
          break;
        case flow::ValueType::kInt:
          micros = SecondsToMicros(static_cast<double>(field.value.i));
          break;
        case flow::ValueType::kDouble:
          micros = SecondsToMicros(field.value.d);
          break;
        case flow::ValueType::kNull:
        case flow::ValueType::kBool:
        case flow::ValueType::kRawJson:
          break;
      }
      if (micros) return micros;
    }
  }
  return std::nullopt;
}

Pacer::Pacer(const PacingOptions& options) : options_(options) {}

bool Pacer::enabled() const { return RateOn(options_) || SpeedOn(options_); }

Pacer::Clock::time_point Pacer::Due(uint64_t bytes, std::optional<int64_t> event_micros,
                                    Clock::time_point now) {
  if (!enabled()) return now;
  if (!started_) {
    started_ = true;
    start_ = now;
    last_due_ = now;
  }
  Clock::time_point due = last_due_;

  if (RateOn(options_)) {
    // The units before this record set its time; this record's own units delay the next one.
    due = std::max(due, After(start_, units_ / options_.rate->per_second));
    units_ += options_.rate->unit == Rate::Unit::kBytes ? static_cast<double>(bytes) : 1.0;
  }

  if (SpeedOn(options_)) {
    if (event_micros) {
      if (last_ts_) {
        // In double: two timestamps far apart (garbage in a log) must not overflow int64_t.
        const double gap = static_cast<double>(*event_micros) - static_cast<double>(*last_ts_);
        const double max_gap = static_cast<double>(std::max<int64_t>(options_.max_gap.count(), 0));
        log_elapsed_us_ += std::clamp(gap, 0.0, max_gap);
      }
      last_ts_ = event_micros;
    }
    // Without a timestamp log_elapsed_us_ is unchanged: due with the record before.
    due = std::max(due, After(start_, log_elapsed_us_ / kMicrosPerSecond / options_.speed));
  }

  last_due_ = due;
  return due;
}

Result<PacingOptions> MakePacingOptions(const PacingSettings& settings) {
  auto bad = [](const char* option, const std::string& message) {
    return Error(ErrorCode::kInvalidArgument, std::string(option) + ": " + message);
  };
  PacingOptions options;
  if (!settings.rate.empty()) {
    Result<Rate> rate = ParseRate(settings.rate);
    if (!rate.ok()) return bad("--rate", rate.error().message());
    options.rate = *rate;
  }
  if (settings.speed) {
    if (!(*settings.speed > 0) || *settings.speed > 1e9) {
      return bad("--speed", "must be a number above 0");
    }
    options.speed = *settings.speed;
  }
  Result<std::chrono::microseconds> max_gap = ParseDuration(settings.max_gap);
  if (!max_gap.ok()) return bad("--max-gap", max_gap.error().message());
  options.max_gap = *max_gap;
  return options;
}

}  // namespace ringflow::run

// Pacing for `ringflow replay`: --rate (bytes or lines per second) and --speed (N x the pace the
// log's own timestamps give). A Pacer only computes when each record is due; the caller sleeps.
// Pacing delays records and never drops one. Thread-compatible: one Pacer per sink, called in
// record order by the sink's serial node.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "framework/core/result.h"
#include "framework/flow/record.h"

namespace ringflow::run {

struct Rate {
  enum class Unit { kBytes, kLines };
  Unit unit = Unit::kBytes;
  double per_second = 0;  // > 0
};

// "50MB/s", "1.5GB/s", "800KiB/s", "4096B/s", "20000lines/s", "20klines/s", "1.5Mlines/s".
// Decimal prefixes k/K, M, G are powers of 1000, binary ones KiB, MiB, GiB powers of 1024;
// case-insensitive units; no spaces. kInvalidArgument naming the text and the accepted forms
// otherwise (zero, negative, missing "/s", unknown unit).
Result<Rate> ParseRate(std::string_view text);

// "30s", "5m", "1h", "250ms", "0" (no unit: seconds; fractions allowed: "1.5s").
// kInvalidArgument for anything else or a negative duration.
Result<std::chrono::microseconds> ParseDuration(std::string_view text);

// An RFC 3339 / ISO 8601 timestamp as microseconds since the Unix epoch:
// "2024-03-05T07:08:09Z", "...09.123456Z", "...09+01:00", "...09-0530", a space instead of
// 'T', lower-case 't'/'z'. Nullopt for anything else (dates are range-checked, leap seconds
// clamp to :59).
std::optional<int64_t> ParseTimestampMicros(std::string_view text);

// The record's event time: the first field called "time", "timestamp", "@timestamp", "ts" or
// "datetime" (in that order of preference) whose value is an RFC 3339 string, or a number
// (seconds since the epoch, fractions allowed). Nullopt when there is none.
std::optional<int64_t> RecordTimeMicros(const flow::Record& record);

struct PacingOptions {
  std::optional<Rate> rate;  // --rate
  double speed = 0;          // --speed: 0 off; else > 0 (10: ten times faster than the log)
  // --max-gap: a gap between consecutive timestamps larger than this is cut to it (in log time,
  // before dividing by speed). Negative gaps (timestamps that go back) count as 0.
  std::chrono::microseconds max_gap = std::chrono::seconds(60);
};

// Pacing as a user gives it: a rate ("" none), a speed (unset: none) and a longest gap.
struct PacingSettings {
  std::string rate;
  std::optional<double> speed;
  std::string max_gap = "60s";
};

// Checks `settings` (ParseRate, ParseDuration, a speed above 0 and at most 1e9). Errors:
// kInvalidArgument naming the option as "--rate: ...", "--speed: ...", "--max-gap: ...".
Result<PacingOptions> MakePacingOptions(const PacingSettings& settings);

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Pacer(const PacingOptions& options);

  // True when --rate or --speed is set (otherwise Due always returns `now`).
  bool enabled() const;

  // Accounts for one record of `bytes` raw bytes with event time `event_micros` (nullopt: none)
  // and returns the earliest time it may be written; the caller sleeps until then. The first
  // call anchors the schedule at `now`. With --rate, a record is due when the units before it
  // fit the rate (the first record is due at once): start + units_before / rate. With --speed,
  // the first timestamped record is due at once and each later one `min(gap, max_gap) / speed`
  // after the one before; a record without a timestamp is due with the record before it. With
  // both, the later of the two. Never earlier than the previous record's due time.
  Clock::time_point Due(uint64_t bytes, std::optional<int64_t> event_micros, Clock::time_point now);

 private:
  PacingOptions options_;
  bool started_ = false;
  Clock::time_point start_{};
  double units_ = 0;                // --rate: units (bytes or lines) accounted so far
  std::optional<int64_t> last_ts_;  // --speed: the last timestamp seen
  double log_elapsed_us_ = 0;       // --speed: log time since the first timestamp, gaps cut
  Clock::time_point last_due_{};
};

}  // namespace ringflow::run

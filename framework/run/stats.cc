#include "framework/run/stats.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

#include "framework/core/json_escape.h"

namespace ringflow::run {
namespace {

void AppendJsonKey(std::string& out, std::string_view key) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, key);
  out += ':';
}

}  // namespace

// `value` with `precision` decimals, never in exponent form. std::to_chars rather than printf:
// JSON needs a '.' whatever the locale says. Non-finite values (which callers avoid) become 0 so
// that neither the text nor the JSON ever says "inf" or "nan".
std::string FixedDecimal(double value, int precision) {
  if (!std::isfinite(value)) value = 0;
  char buf[400];  // DBL_MAX in fixed form is 309 digits, plus sign, point and decimals
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, precision);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

// `count` per second, 0 when there is no elapsed time yet (or a nonsensical one).
double PerSecond(uint64_t count, double elapsed_seconds) {
  if (!(elapsed_seconds > 0) || !std::isfinite(elapsed_seconds)) return 0;
  const double rate = static_cast<double>(count) / elapsed_seconds;
  return std::isfinite(rate) ? rate : 0;
}

uint64_t SkippedTotal(const RunSummary& summary) {
  uint64_t total = 0;
  for (const auto& [reason, count] : summary.skipped) total += count;
  return total;
}

std::string SummaryJson(const RunSummary& summary) {
  const auto number = [](uint64_t n) { return std::to_string(n); };
  const double elapsed = std::isfinite(summary.elapsed_seconds) && summary.elapsed_seconds > 0
                             ? summary.elapsed_seconds
                             : 0;

  std::string out = "{";
  AppendJsonKey(out, "files_total");
  out += number(summary.files_total);
  AppendJsonKey(out, "files_read");
  out += number(summary.files_read);
  AppendJsonKey(out, "files_skipped");
  out += number(SkippedTotal(summary));
  AppendJsonKey(out, "skipped");
  out += '{';
  for (const auto& [reason, count] : summary.skipped) {
    AppendJsonKey(out, reason);
    out += number(count);
  }
  out += '}';
  AppendJsonKey(out, "bytes");
  out += number(summary.bytes);
  AppendJsonKey(out, "lines");
  out += number(summary.lines);
  AppendJsonKey(out, "records");
  out += number(summary.records);
  AppendJsonKey(out, "parse_errors");
  out += number(summary.parse_errors);
  AppendJsonKey(out, "formats");
  out += '{';
  for (const auto& [format, files] : summary.formats) {
    AppendJsonKey(out, format);
    out += number(files);
  }
  out += '}';
  AppendJsonKey(out, "elapsed_seconds");
  out += FixedDecimal(elapsed, 3);
  AppendJsonKey(out, "bytes_per_second");
  out += FixedDecimal(PerSecond(summary.bytes, elapsed), 1);
  AppendJsonKey(out, "lines_per_second");
  out += FixedDecimal(PerSecond(summary.lines, elapsed), 1);
  AppendJsonKey(out, "interrupted");
  out += summary.interrupted ? "true" : "false";
  AppendJsonKey(out, "signal");
  if (summary.interrupted && !summary.signal.empty()) {
    AppendJsonString(out, summary.signal);
  } else {
    out += "null";
  }
  out += '}';
  return out;
}

}  // namespace ringflow::run

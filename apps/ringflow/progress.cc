#include "apps/ringflow/progress.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

#include "framework/core/error.h"

namespace ringflow::app {
namespace {

using run::FixedDecimal;
using run::PerSecond;
using run::SkippedTotal;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

// One rule for every size we show: below 1 GiB in MiB with one decimal ("812.3 MiB", and a few
// KiB read "0.0 MiB", which is fine for a progress line), from 1 GiB on in GiB with two ("1.95
// GiB"). Binary units, as `ls -lh` and `du -h` use for sizes.
std::string FormatSize(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b < kGiB) return FixedDecimal(b / kMiB, 1) + " MiB";
  return FixedDecimal(b / kGiB, 2) + " GiB";
}

// Throughputs in decimal units, as network and disk speeds are quoted: MB/s is 10^6 bytes per
// second, "M lines/s" 10^6 lines per second.
std::string FormatRates(uint64_t bytes, uint64_t lines, double elapsed_seconds) {
  return FixedDecimal(PerSecond(bytes, elapsed_seconds) / 1e6, 1) + " MB/s, " +
         FixedDecimal(PerSecond(lines, elapsed_seconds) / 1e6, 2) + " M lines/s";
}

// "1 file" / "2 files".
std::string Count(uint64_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

// "ETA M:SS", "ETA H:MM:SS" from one hour, "ETA ?" when it cannot be known.
std::string FormatEta(double seconds) {
  // Past ~30 years the estimate means nothing (and the conversion below must stay in range).
  if (!std::isfinite(seconds) || seconds < 0 || seconds >= 1e9) return "ETA ?";
  // Nearest, not up: a remaining time of exactly 3 s computed as 3.0000001 still reads 0:03.
  const auto total = static_cast<uint64_t>(seconds + 0.5);
  const auto two = [](uint64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  const uint64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  return "ETA " + (h > 0 ? std::to_string(h) + ":" + two(m) : std::to_string(m)) + ":" + two(s);
}

// Remaining work over the rate so far; "?" before there is a rate.
std::string Eta(uint64_t done, uint64_t total, double elapsed_seconds) {
  const double rate = PerSecond(done, elapsed_seconds);
  if (!(rate > 0)) return "ETA ?";
  // More done than expected (a file grew while we read it): nothing is left.
  const uint64_t remaining = total > done ? total - done : 0;
  return FormatEta(static_cast<double>(remaining) / rate);
}

}  // namespace

std::string FormatSummary(const RunSummary& summary) {
  std::string out;
  if (summary.interrupted) {
    out += "ringflow: interrupted";
    if (!summary.signal.empty()) out += " by " + EscapeControl(summary.signal);
    out += '\n';
  }

  out += "ringflow: " + Count(summary.files_read, "file", "files") + " read, " +
         std::to_string(SkippedTotal(summary)) + " skipped";
  if (!summary.skipped.empty()) {
    // std::map: already sorted by reason. EscapeControl keeps every line a "ringflow: " line
    // even when a reason quotes a path with a newline in it.
    out += " (";
    bool first = true;
    for (const auto& [reason, count] : summary.skipped) {
      if (!first) out += ", ";
      first = false;
      out += std::to_string(count) + " " + EscapeControl(reason);
    }
    out += ')';
  }
  out += '\n';

  if (!summary.formats.empty()) {
    // "300 access, 2 raw": files per format, in name order.
    out += "ringflow: formats:";
    const char* separator = " ";
    for (const auto& [format, files] : summary.formats) {
      out += separator + std::to_string(files) + " " + EscapeControl(format);
      separator = ", ";
    }
    out += '\n';
  }

  out += "ringflow: " + FormatSize(summary.bytes) + ", " + Count(summary.lines, "line", "lines") +
         ", " + Count(summary.records, "record", "records") + ", " +
         Count(summary.parse_errors, "parse error", "parse errors") + '\n';

  const double elapsed = std::isfinite(summary.elapsed_seconds) && summary.elapsed_seconds > 0
                             ? summary.elapsed_seconds
                             : 0;
  out += "ringflow: " + FixedDecimal(elapsed, 2) + " s, " +
         FormatRates(summary.bytes, summary.lines, elapsed) + '\n';
  return out;
}

std::string FormatSummary(const run::RunStats& stats) {
  std::string text = FormatSummary(stats.summary);
  for (const std::string& note : stats.own_files) text += "ringflow: note: " + note + "\n";
  for (const run::SinkStats& s : stats.sinks) {
    text += "ringflow: sink " + s.name + ": ";
    if (s.lists_files) {
      text += std::to_string(s.files) + " files\n";
    } else {
      text += Count(s.records, "record", "records") + ", " +
              Count(s.parse_errors, "parse error", "parse errors") + ", " +
              Count(s.truncated, "line", "lines") + " cut\n";
    }
  }
  return text;
}

ProgressLine::ProgressLine(std::FILE* out, bool enabled, const RunCounters* counters,
                           uint64_t files_total, std::optional<uint64_t> bytes_total,
                           std::chrono::milliseconds interval)
    : out_(out),
      enabled_(enabled),
      counters_(counters),
      files_total_(files_total),
      bytes_total_(bytes_total),
      interval_(interval) {}

ProgressLine::~ProgressLine() { Stop(); }

void ProgressLine::Start() {
  if (!enabled_) return;
  // thread_ is only ever touched under mu_, so that Note (any thread) may ask whether it runs.
  // The new thread blocks on mu_ until we return: harmless.
  std::lock_guard lock(mu_);
  if (stopping_ || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void ProgressLine::Note(const std::string& message) {
  std::lock_guard lock(mu_);
  EraseLocked();
  std::fwrite(message.data(), 1, message.size(), out_);
  std::fputc('\n', out_);
  // Redraw only while the thread runs: never before Start, never after Stop erased the line.
  if (enabled_ && !stopping_ && thread_.joinable()) DrawLocked();
  std::fflush(out_);
}

void ProgressLine::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  // Joined before the erase below, so that no redraw can come after it.
  if (thread.joinable()) thread.join();
  std::lock_guard lock(mu_);
  EraseLocked();
  if (enabled_) std::fflush(out_);
}

std::string ProgressLine::Render(uint64_t files_done, uint64_t files_total, uint64_t bytes,
                                 std::optional<uint64_t> bytes_total, uint64_t lines,
                                 double elapsed_seconds) {
  // Bytes give the better estimate (files differ in size), once there are some to go by.
  const std::string eta = bytes_total.has_value() && bytes > 0
                              ? Eta(bytes, *bytes_total, elapsed_seconds)
                              : Eta(files_done, files_total, elapsed_seconds);
  return "ringflow: " + std::to_string(files_done) + "/" + std::to_string(files_total) +
         " files, " + FormatSize(bytes) + ", " + FormatRates(bytes, lines, elapsed_seconds) + ", " +
         eta;
}

void ProgressLine::Loop() {
  std::unique_lock lock(mu_);
  // The first draw waits one interval: a run that ends sooner leaves no trace on the terminal.
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) DrawLocked();
}

void ProgressLine::DrawLocked() {
  const auto load = [](const std::atomic<uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const std::string text =
      counters_ == nullptr
          ? Render(0, files_total_, 0, bytes_total_, 0, elapsed)
          : Render(load(counters_->files_done), files_total_, load(counters_->bytes), bytes_total_,
                   load(counters_->lines), elapsed);
  std::fputc('\r', out_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fputs("\x1b[K", out_);
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::EraseLocked() {
  if (!drawn_) return;
  std::fputs("\r\x1b[K", out_);
  drawn_ = false;
}

}  // namespace ringflow::app

// Progress and summary for `ringflow replay`: counters the pipeline's sinks update, a live
// progress line on stderr (a terminal), and the end-of-run summary as text and as JSON. Also how
// `checksum` and `count` write file names in their output lines.
// RunCounters is thread-safe (relaxed atomics: totals for people, not for synchronisation).
// ProgressLine is thread-safe: Note may be called from any thread while it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace ringflow::app {

struct RunCounters {
  std::atomic<uint64_t> files_done{0};    // files whose end passed the first sink (read or not)
  std::atomic<uint64_t> files_failed{0};  // of those, files that could not be read whole
  std::atomic<uint64_t> bytes{0};         // bytes read
  std::atomic<uint64_t> lines{0};         // lines framed (a final line without newline counts)
  std::atomic<uint64_t> records{0};       // records written by the first record sink
  std::atomic<uint64_t> parse_errors{0};  // of those, records that did not parse
};

// Plain values for the summary (a snapshot of RunCounters plus what discovery knew).
struct RunSummary {
  uint64_t files_total = 0;  // files discovered (read or skipped)
  uint64_t files_read = 0;   // read whole
  // Files skipped or not read whole, by reason ("not a regular file (fifo)", "hidden file",
  // "Permission denied (EACCES)", "interrupted" ...): reason -> count.
  std::map<std::string, uint64_t> skipped;
  uint64_t bytes = 0, lines = 0, records = 0, parse_errors = 0;
  double elapsed_seconds = 0;
  bool interrupted = false;  // stopped by a signal
  std::string signal;        // "SIGINT" / "SIGTERM" when interrupted
};

// Human-readable summary, several lines, each starting with "ringflow: ", e.g.
//   ringflow: 20000 files read, 3 skipped (2 hidden file, 1 not a regular file (fifo))
//   ringflow: 1.95 GiB, 8388608 lines, 8388608 records, 12 parse errors
//   ringflow: 3.41 s, 586.3 MB/s, 2.46 M lines/s
// plus "ringflow: interrupted by SIGINT" first when interrupted. Rates are 0 when elapsed is 0.
std::string FormatSummary(const RunSummary& summary);

// The same as one JSON object (one line, no trailing newline), keys: files_total, files_read,
// files_skipped (number), skipped ({reason: count}), bytes, lines, records, parse_errors,
// elapsed_seconds, bytes_per_second, lines_per_second, interrupted (bool), signal (string or
// null). Strings escaped for any bytes (control characters as \u00XX, invalid UTF-8 as \u00XX
// per byte).
std::string SummaryJson(const RunSummary& summary);

// File names in output lines, as sha256sum and xxhsum (0.8.2 and later) write them: a name with
// a newline or a carriage return cannot stand on its line as it is, so such a line starts with a
// backslash and its name is written with "\n", "\r" and "\\" for newline, carriage return and
// backslash (`xxhsum -c` and `sha256sum -c` undo it). Every other name is written as it is, a
// backslash included, so that xxhsum 0.8.1 (which unescapes nothing) still checks it.
// True when `path` needs that escaping.
bool SumNameNeedsEscape(std::string_view path);
// Appends `path`, escaped as above when `escape` (= SumNameNeedsEscape(path)).
void AppendSumName(std::string& out, std::string_view path, bool escape);

// One progress line, redrawn in place ("\r" + text + erase to end of line) every `interval`:
//   "ringflow: 1234/20000 files, 812.3 MiB, 402.1 MB/s, 1.21 M lines/s, ETA 0:03"
// ETA from bytes when bytes_total is known, else from files; "ETA ?" before there is a rate.
// Never writes to stdout; Note() clears the line, prints a message and redraws, so that error
// messages and the line never mix. When disabled (not a terminal, --quiet), Note() just prints
// the message and nothing else is ever written.
class ProgressLine {
 public:
  // `out`: where to write (stderr). `bytes_total`: nullopt when unknown.
  ProgressLine(std::FILE* out, bool enabled, const RunCounters* counters, uint64_t files_total,
               std::optional<uint64_t> bytes_total,
               std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  // Stops (see Stop).
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Starts the redraw thread (when enabled). Call once.
  void Start();
  // Prints `message` + "\n" on its own line (the progress line is erased first, redrawn after).
  void Note(const std::string& message);
  // Stops the thread and erases the line. Idempotent.
  void Stop();

  // The text of the line for the given state (no "\r", no escape codes): for tests.
  static std::string Render(uint64_t files_done, uint64_t files_total, uint64_t bytes,
                            std::optional<uint64_t> bytes_total, uint64_t lines,
                            double elapsed_seconds);

 private:
  void Loop();
  void DrawLocked();   // REQUIRES: mu_ held
  void EraseLocked();  // REQUIRES: mu_ held

  std::FILE* const out_;
  const bool enabled_;
  const RunCounters* const counters_;
  const uint64_t files_total_;
  const std::optional<uint64_t> bytes_total_;
  const std::chrono::milliseconds interval_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool drawn_ = false;     // guarded by mu_: a line is on the screen
  std::thread thread_;
};

}  // namespace ringflow::app

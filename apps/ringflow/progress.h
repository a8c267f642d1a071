// The terminal side of a run: a live progress line on stderr (from the run's counters), and the
// end-of-run summary as text. ProgressLine is thread-safe: Note may be called from any thread while
// it runs.
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

#include "framework/run/stats.h"

namespace ringflow::app {

using run::RunCounters;
using run::RunSummary;
using run::SummaryJson;

// Human-readable summary, several lines, each starting with "ringflow: ", e.g.
//   ringflow: 20000 files read, 3 skipped (2 hidden file, 1 not a regular file (fifo))
//   ringflow: formats: 19990 access, 10 raw          (only when a parse stage named formats)
//   ringflow: 1.95 GiB, 8388608 lines, 8388608 records, 12 parse errors
//   ringflow: 3.41 s, 586.3 MB/s, 2.46 M lines/s
// plus "ringflow: interrupted by SIGINT" first when interrupted. Rates are 0 when elapsed is 0.
std::string FormatSummary(const RunSummary& summary);
// A run's whole summary: the above, then one note per file left out as the run's own and one
// line per sink ("ringflow: sink out: 12 records, 0 parse errors, 0 lines cut", "ringflow: sink
// manifest: 3 files").
std::string FormatSummary(const run::RunStats& stats);

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

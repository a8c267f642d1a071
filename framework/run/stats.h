// What a run counts while it goes (RunCounters: live, for a progress line) and what it reports
// when it ends (RunStats: plain values for a summary).
// RunCounters is thread-safe (relaxed atomics: totals for people, not for synchronisation).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ringflow::run {

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
  // Files by the format a parse stage read them in ("access" -> 12), as the first sink saw it.
  std::map<std::string, uint64_t> formats;
  double elapsed_seconds = 0;
  bool interrupted = false;  // stopped (RunOptions::stop)
  std::string signal;        // what stopped it, when the caller knows ("SIGINT"); set by the caller
};

// One sink's account.
struct SinkStats {
  std::string name;
  bool lists_files = false;  // a manifest: `files` counts its entries; the rest is zero
  uint64_t files = 0;
  uint64_t records = 0, parse_errors = 0, truncated = 0;  // records written, lines cut
};

struct RunStats {
  RunSummary summary;
  std::vector<SinkStats> sinks;  // in the document's order
  // Notes for the summary, one per file left out as the run's own ("left out ringflow's own
  // output X").
  std::vector<std::string> own_files;
  // Files that could not be read (a skip that is not a note), files of the checkpoint gone since,
  // and files done before a resume that could not be read: a command exits 1 when above zero.
  uint64_t problems = 0;
  // Stopped with --checkpoint: the partial outputs stay, and the checkpoint says how far they go.
  bool kept_for_resume = false;
  // The checkpoint said the run had finished (it was killed while renaming its outputs): this
  // run only put the outputs in place; nothing was read, and the summary is empty.
  bool finished_before = false;
};

// The summary as one JSON object (one line, no trailing newline), keys: files_total, files_read,
// files_skipped (number), skipped ({reason: count}), bytes, lines, records, parse_errors,
// formats ({format: files}), elapsed_seconds, bytes_per_second, lines_per_second, interrupted
// (bool), signal (string or null). Strings escaped for any bytes (AppendJsonString).
std::string SummaryJson(const RunSummary& summary);

// What the summary's text and JSON share: files skipped in all; `count` per second, 0 when there
// is no elapsed time yet (or a nonsensical one); `value` with `precision` decimals, never in
// exponent form, whatever the locale (non-finite values become 0: neither text nor JSON ever
// says "inf" or "nan").
uint64_t SkippedTotal(const RunSummary& summary);
double PerSecond(uint64_t count, double elapsed_seconds);
std::string FixedDecimal(double value, int precision);

}  // namespace ringflow::run

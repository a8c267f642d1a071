// Signals for a program that runs pipelines: SIGINT and SIGTERM stop a run cleanly (through
// RunOptions::stop), a second signal or a stuck drain end the process at once, removing the
// run's temporary files. Process-wide: install one StopSignals per process, before any output
// file is created, and give its token() to the run.
#pragma once

#include <signal.h>

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

namespace ringflow::run {

// How long the first SIGINT/SIGTERM lets a run drain before the process quits regardless.
inline constexpr unsigned kStopDeadlineSeconds = 2;

// SIGINT and SIGTERM for the life of a command (install it first, before any output file is
// created): the first signal sets token() (a run given it as RunOptions::stop reads no more
// files, ends the open ones as "interrupted" and finishes its outputs);
// a second one exits at once with 128 + the first's number, removing the temporary files
// registered with RemoveOnQuit. So does the first signal itself, through SIGALRM, when the
// process has not ended kStopDeadlineSeconds after it (a write blocked on a pipe nobody reads
// never returns), after one line on stderr saying so ("PROGRAM: interrupted by SIGTERM, and the
// run did not end within 2 s ..."), when stderr can take it: the deadline stays armed after
// destruction. One at a time
// per process; restores the previous SIGINT and SIGTERM handlers when destroyed.
class StopSignals {
 public:
  // `program` starts the deadline's line.
  explicit StopSignals(std::string_view program);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The stop request the signals set.
  static const std::atomic<bool>* token();
  // The first signal caught (0: none).
  static int caught();
  // Temporary files to remove when the process quits at once (at most 8; a run's
  // TemporaryFiles()). Not with --checkpoint: a checkpoint's partial outputs must survive.
  void RemoveOnQuit(const std::vector<std::string>& temps);

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace ringflow::run

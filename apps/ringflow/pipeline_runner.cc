#include "apps/ringflow/pipeline_runner.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "apps/ringflow/options.h"
#include "apps/ringflow/progress.h"
#include "framework/core/error.h"
#include "stages/json_sink.h"

namespace ringflow::app {
namespace {

// Everything a run reports goes to stderr as "ringflow: LINE", through the progress line while
// it is drawn (which erases and redraws itself around the line).
class TerminalObserver final : public run::RunObserver {
 public:
  explicit TerminalObserver(bool progress) : progress_enabled_(progress) {}
  void Started(const run::RunCounters& counters, uint64_t files_total,
               std::optional<uint64_t> bytes_total) override {
    progress_.emplace(stderr, progress_enabled_, &counters, files_total, bytes_total);
    progress_->Start();
  }
  void Report(std::string_view line) override {
    const std::string text = "ringflow: " + std::string(line);
    if (progress_) {
      progress_->Note(text);
    } else {
      std::fprintf(stderr, "%s\n", text.c_str());
    }
  }
  void Finished() override {
    if (progress_) progress_->Stop();
  }

 private:
  const bool progress_enabled_;
  std::optional<ProgressLine> progress_;
};

// Writes `text` to `path` through a temporary file renamed into place.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  RINGFLOW_ASSIGN_OR_RETURN(auto sink, stages::JsonSink::Open(path));
  const flow::RecordBatch none(64);
  RINGFLOW_RETURN_IF_ERROR(sink->WriteFormatted(0, none, text));
  return sink->Close();
}

const char* SignalName(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "a signal";
}

// "sinks[0]: why" or "stages[1].format: why" -> "why": a place in the document, for a document
// the command made itself.
std::string_view WithoutJsonPath(std::string_view message) {
  for (const std::string_view list : {"sinks[", "stages["}) {
    if (!message.starts_with(list)) continue;
    std::size_t i = list.size();
    const std::size_t digits = i;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9') ++i;
    if (i == digits || i >= message.size() || message[i] != ']') return message;
    const std::size_t colon = message.find(": ", i);
    if (colon == std::string_view::npos ||
        message.substr(i, colon - i).find(' ') != std::string_view::npos) {
      return message;
    }
    return message.substr(colon + 2);
  }
  return message;
}

}  // namespace

int ExecuteRun(run::Run& run, const FrontEndOptions& front) {
  TerminalObserver observer(front.progress);
  Result<run::RunStats> stats = run.Execute(&observer);
  const int signal = run::StopSignals::caught();
  auto resume_note = [&](const char* what) {
    std::fprintf(stderr,
                 "ringflow: %s; the output so far stays: continue with --resume (checkpoint %s)\n",
                 what, EscapeControl(run.options().checkpoint).c_str());
  };
  if (!stats.ok()) {
    PrintError(stats.error().message());
    if (run.outputs_kept()) {
      resume_note("the run failed");
      return 1;
    }
    if (stats.error().code() == ErrorCode::kFailedPrecondition) return 2;
    return signal != 0 ? 128 + signal : 1;
  }
  if (stats->finished_before) return 0;
  if (signal != 0) stats->summary.signal = SignalName(signal);
  std::fputs(FormatSummary(*stats).c_str(), stderr);
  int exit_code = stats->problems > 0 ? 1 : 0;
  if (!front.stats_json.empty()) {
    const Status written =
        WriteFileAtomically(front.stats_json, SummaryJson(stats->summary) + "\n");
    if (!written.ok()) {
      PrintError(front.command + ": --stats-json: " + written.error().UserMessage());
      exit_code = 1;
    } else if (!stats->kept_for_resume) {
      run::MarkOwnOutputs({{front.stats_json, "--stats-json"}}, {false});
    }
  }
  if (stats->kept_for_resume) resume_note("interrupted");
  return signal != 0 ? 128 + signal : exit_code;
}

int OpenAndExecute(config::PipelineConfig pipeline, run::RunOptions options,
                   run::StopSignals& signals, const FrontEndOptions& front, bool own_document) {
  auto opened = run::Run::Open(std::move(pipeline), std::move(options));
  if (!opened.ok()) {
    std::string_view message = opened.error().message();
    if (own_document) message = WithoutJsonPath(message);
    PrintError(std::string(message));
    return 1;
  }
  run::Run& r = **opened;
  if (r.options().checkpoint.empty()) signals.RemoveOnQuit(r.TemporaryFiles());
  return ExecuteRun(r, front);
}

}  // namespace ringflow::app

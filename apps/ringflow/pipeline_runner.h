// What `ringflow run` and `ringflow replay` share around a run::Run: the progress line and
// every report on stderr, the summary (and --stats-json), and the exit status.
#pragma once

#include <signal.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "framework/run/run.h"
#include "framework/run/signals.h"

namespace ringflow::app {

struct FrontEndOptions {
  std::string command;  // "run" or "replay", for messages
  bool progress = false;
  std::string stats_json;  // write the summary as JSON here ("" none, "-" stdout)
};

// Executes `run` and prints what it reports, the summary and --stats-json. Returns the exit
// status: 0 every file read, 1 a file was skipped for a problem (notes do not count) or the run
// failed, 2 the run was refused (an output is an input; the checkpoint is someone else's file),
// 128 + N when signal N (SIGINT, SIGTERM) stopped it (with a StopSignals alive and its token
// given to the run). A failed run with --checkpoint keeps its partial outputs for --resume.
int ExecuteRun(run::Run& run, const FrontEndOptions& front);

// Run::Open, then ExecuteRun. A run without a checkpoint has `signals` remove its temporary files
// when a second signal ends the process at once. Returns 1 (the reason printed) when Open fails;
// for a document the command made itself (`own_document`: no options.document_name), the reason
// without the JSON path of the sink or stage, which the user never wrote (e.g. "nats://h:4222:
// connection refused", "create out/x.ndjson: No such file or directory (ENOENT)").
int OpenAndExecute(config::PipelineConfig pipeline, run::RunOptions options,
                   run::StopSignals& signals, const FrontEndOptions& front,
                   bool own_document = false);

}  // namespace ringflow::app

// A run as a library: a pipeline document loaded (LoadDocument), its stages built (Run::Open),
// then its files discovered and run on the flow graph to the end (Run::Execute), with what a run
// needs around the graph: pacing, checkpoints and --resume, the run's own files never read, one
// report per file that could not be read, counters for a progress line and the statistics for a
// summary. Everything for a person goes to a RunObserver; nothing is printed here.
//
//   run::StageRegistry registry;
//   stages::RegisterBuiltins(registry);
//   run::DocumentSource document;
//   document.file = "configs/access_to_json.json";
//   auto pipeline = run::LoadDocument(registry, document);  // check every Result
//   run::RunOptions options;
//   options.registry = &registry;
//   auto r = run::Run::Open(std::move(*pipeline), std::move(options));
//   Result<run::RunStats> stats = (*r)->Execute(&observer);
// (apps/etl_example/main.cc is the whole program.)
//
// Thread-safety: one thread drives a Run; the observer's Report may be called from the graph's
// threads (one at a time).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/flow/file_source.h"
#include "framework/run/discovery.h"
#include "framework/run/pacing.h"
#include "framework/run/registry.h"
#include "framework/run/stats.h"

namespace ringflow::run {

// A pipeline document: a file, or (when `file` is empty) the text itself; with overrides
// ("sinks[0].path=out.ndjson") applied before validation.
struct DocumentSource {
  std::string file;
  std::string text;
  std::vector<std::string> overrides;
};

// Reads and parses `document` once (config::PipelineDocument), loads the plugins it lists into
// `registry` (relative paths are relative to the document's directory), then validates it
// against the registry's types.
// The error's message is the whole line for the user: every problem, each with its JSON path.
Result<config::PipelineConfig> LoadDocument(StageRegistry& registry,
                                            const DocumentSource& document);

// Receives what a run has to say while it goes. Every method has a default that ignores it.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // The files are known and reading starts: `counters` move until Execute returns (a progress
  // line polls them); `bytes_total` is known with RunOptions::stat_sizes (up to
  // kStatSizesMaxFiles files).
  virtual void Started(const RunCounters& counters, uint64_t files_total,
                       std::optional<uint64_t> bytes_total) {
    static_cast<void>(counters);
    static_cast<void>(files_total);
    static_cast<void>(bytes_total);
  }
  // One line for the user, without a prefix or a newline: a file that could not be read
  // ("PATH: reason"), a note ("note: PATH: shrank while being read ..."), what a resume found.
  // Called from the graph's threads while the run goes, one call at a time.
  virtual void Report(std::string_view line) { static_cast<void>(line); }
  // Reading has ended (before the outputs are finished): a progress line stops here.
  virtual void Finished() {}
};

struct RunOptions {
  // The stage types (with the document's plugins loaded: LoadDocument). Not owned; required.
  const StageRegistry* registry = nullptr;
  // The caller's name for the run, first in its error messages ("replay: ...").
  std::string label = "run";
  // Names the document in messages about building it (its file name); empty for a document the
  // caller made itself, whose messages then start with what went wrong.
  std::string document_name;
  // Discovery beyond the document's source: hidden entries and archives a run does not decode
  // (.zip .7z .rar; gzip, zstd, bzip2, xz and lz4 are read in place) are left out with a note;
  // stat_sizes stats up to kStatSizesMaxFiles files for the total of bytes.
  bool skip_hidden = false;
  bool skip_compressed = false;
  bool stat_sizes = false;
  // How messages name sink k's "path" (e.g. "--out"); default "sinks[k].path".
  std::vector<std::string> output_labels;
  // Files the caller writes besides the sinks (e.g. a statistics file): never read as inputs,
  // and refused when they are one. (RunOutput::option names them in messages.)
  std::vector<RunOutput> extra_outputs;
  PacingOptions pacing;
  // Checkpoints (see checkpoint.h): "" none. With resume, continues the run the file describes.
  std::string checkpoint;
  bool resume = false;
  uint64_t checkpoint_bytes = uint64_t{64} << 20;       // a cut every this many input bytes
  std::chrono::milliseconds checkpoint_interval{1000};  // or this often
  // A stop request: once set (from any thread, or a signal handler), the run reads no more
  // files, ends the open ones as "interrupted" and finishes its outputs. Not owned.
  const std::atomic<bool>* stop = nullptr;
};

// A checkpoint as a user gives it: the file ("" none), whether to resume, a size and a duration.
struct CheckpointSettings {
  std::string file;
  bool resume = false;
  std::string every = "64MiB";
  std::string interval = "1s";
};

// Checks `settings` and sets options.checkpoint, resume, checkpoint_bytes and
// checkpoint_interval. Errors: kInvalidArgument, the message naming the option as the command
// line spells it ("--resume needs --checkpoint FILE", "--checkpoint-every: ...").
Status ApplyCheckpointSettings(const CheckpointSettings& settings, RunOptions& options);

// The source settings a document's engine section maps to: the one place where a document's
// "source.engine" becomes SourceOptions.
flow::SourceOptions MakeSourceOptions(const config::PipelineConfig& pipeline);

class Run {
 public:
  // Builds the document's stages (the sinks open their outputs under temporary names). Errors: the
  // registry's (a factory's, with its JSON path), the message a whole line for the user, after
  // options.document_name when there is one.
  static Result<std::unique_ptr<Run>> Open(config::PipelineConfig pipeline, RunOptions options);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  const config::PipelineConfig& pipeline() const { return pipeline_; }
  const RunOptions& options() const { return options_; }
  // The temporary files of the sinks (renamed into place when the run succeeds): a process that
  // must quit at once removes them.
  std::vector<std::string> TemporaryFiles() const;

  // Discovers the files (the walk of the document's source.paths) and runs the pipeline over
  // them. Once only. Returns the statistics of a run
  // that completed or was stopped (RunOptions::stop); an error when it failed: then the outputs
  // are removed, unless a checkpoint vouches for them (outputs_kept()). Every error's message is
  // a whole line for the user (mostly after options.label). Errors:
  //  - kFailedPrecondition: refused before anything was read or written: an output is one of
  //    the inputs, or the checkpoint file is not a checkpoint (it is never touched);
  //  - the checkpoint's problems (it cannot be locked or read, it belongs to another pipeline,
  //    a sink does not support checkpoints, the pipeline is not ordered);
  //  - the graph's first error (a sink's write, the engine).
  // Files that cannot be read are no error: each is reported once and counted (RunStats).
  Result<RunStats> Execute(RunObserver* observer);

  // After an Execute that failed: the partial outputs stay, and the checkpoint says how far they
  // go (continue with resume).
  bool outputs_kept() const { return outputs_kept_; }

 private:
  Run(config::PipelineConfig pipeline, RunOptions options, BuiltPipeline built);

  config::PipelineConfig pipeline_;
  RunOptions options_;
  BuiltPipeline built_;
  std::vector<RunOutput> outputs_;  // the sinks' paths and options.extra_outputs
  Discovered discovered_;
  bool executed_ = false;
  bool outputs_kept_ = false;
};

}  // namespace ringflow::run

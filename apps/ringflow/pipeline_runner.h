// The front end `ringflow run` and `ringflow replay` share: discovery (walk, include/exclude
// globs, hidden and compressed files left out with a note) and the run of a built pipeline on
// the flow graph with what a person at a terminal expects around it: SIGINT/SIGTERM stop
// reading and finish cleanly, a live progress line, pacing, one line per unreadable file, a
// summary (and --stats-json). Everything discovered, skipped files included, travels through the
// graph in discovery order, so the manifest lists every file in its place.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/run/pacing.h"
#include "framework/run/registry.h"
#include "framework/uring/file_reader.h"

namespace ringflow::app {

// How long the first SIGINT/SIGTERM lets a run drain before the process quits regardless.
inline constexpr unsigned kStopDeadlineSeconds = 2;

// SIGINT and SIGTERM for the life of a command (install it first, before any output file is
// created): the first signal stops the run cleanly (the reader takes no more files and ends the
// open ones as "interrupted", the sinks are closed, ExecutePipeline returns 128 + N); a second
// one exits at once with 128 + the first's number, removing the temporary files registered with
// RemoveOnQuit. So does the first signal itself, through SIGALRM, when the process has not ended
// kStopDeadlineSeconds after it (a write blocked on a pipe nobody reads never returns), after one
// line on stderr saying so ("ringflow: interrupted by SIGTERM, and the run did not end within
// 2 s ..."): the deadline stays armed after destruction. One at a time per process; restores the
// previous SIGINT and SIGTERM handlers when destroyed.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The temporary files of `built`'s JSON and manifest sinks (at most 8). Not with
  // --checkpoint: a checkpoint's partial outputs must survive.
  void RemoveOnQuit(const run::BuiltPipeline& built);

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// The pipeline document `config` (a file; or, when `config` is empty, the document `text`) with
// `overrides` applied: plugins it lists are loaded into `registry` (which must already hold the
// built-ins) first, then it is validated against the registry's types. Prints every problem
// ("ringflow: ...") and returns nullopt when there is one.
std::optional<config::PipelineConfig> LoadDocument(run::StageRegistry& registry,
                                                   const std::string& config, std::string_view text,
                                                   const std::vector<std::string>& overrides);
// registry.Build(pipeline), the problem printed (naming `what`) and nullopt on failure.
std::optional<run::BuiltPipeline> BuildDocument(const run::StageRegistry& registry,
                                                const config::PipelineConfig& pipeline,
                                                const std::string& what);

// True when `path` matches one of `globs` (fnmatch without FNM_PATHNAME: '*' also matches '/',
// so "*.log" matches at any depth; a leading "**/" also matches no directory at all).
bool GlobMatches(const std::vector<std::string>& globs, const std::string& path);

inline constexpr std::size_t kStatSizesMaxFiles = 1000;

// A file the run itself writes: a sink's output, --stats-json, the checkpoint.
struct RunOutput {
  std::string path;    // "-": stdout
  std::string option;  // how the user named it, for messages: "--out", "sinks[1].path", ...
  bool checkpoint = false;
};

struct DiscoveryOptions {
  std::vector<std::string> paths;
  bool recursive = true;
  std::vector<std::string> include;  // empty: every file
  std::vector<std::string> exclude;
  bool skip_hidden = false;      // entries named ".*" below a root: left out with a note
  bool skip_compressed = false;  // .gz .zst .bz2 .xz .lz4 .zip: left out with a note
  // Stat every file for the total (the progress line's ETA); only up to kStatSizesMaxFiles files.
  bool stat_sizes = false;
  // What the run writes (RunOutputs). A run never reads its own files: its outputs from before
  // (files that carry ringflow's mark, see MarkOwnOutputs), its temporary files (".NAME.tmp-*"
  // beside an output; "NAME.tmp-*" and "NAME.lock" beside the checkpoint), the checkpoint, and
  // stdout when it is an empty regular file, are left out, each with a note. Any other input that
  // is one of these files (the same device and inode, so also through symlinks and hard links) is
  // an input the run would overwrite: Discovered::refused says so.
  std::vector<RunOutput> outputs;
};

struct Discovered {
  // In walk order. Files that cannot or should not be read carry ReadJob::skip.
  std::vector<uring::ReadJob> jobs;
  std::vector<bool> note;  // by job id: the skip is a note (hidden, compressed), not a problem
  std::optional<uint64_t> bytes_total;  // with stat_sizes
  // Notes for the summary, one per file left out as the run's own ("ringflow's own output X").
  std::vector<std::string> own_files;
  // Set: an output is one of the inputs; the run must not start (ExecutePipeline exits 2).
  std::optional<std::string> refused;
};

// Walks options.paths. Never fails: every problem becomes a job with a skip reason.
Discovered Discover(const DiscoveryOptions& options);

struct FrontEndOptions {
  std::string command;  // "run" or "replay", for messages
  bool progress = false;
  run::PacingOptions pacing;
  std::string stats_json;  // write the summary as JSON here ("" none, "-" stdout)
  // --checkpoint FILE (see checkpoint.h): "" none. --resume continues from it.
  std::string checkpoint;
  bool resume = false;
  uint64_t checkpoint_bytes = uint64_t{64} << 20;       // a cut every this many input bytes
  std::chrono::milliseconds checkpoint_interval{1000};  // or this often
};

// The files `pipeline` and `front` write: each sink's "path" (`labels[k]`, when given, names
// sink k's option in messages; otherwise "sinks[k].path"), --stats-json and --checkpoint.
std::vector<RunOutput> RunOutputs(const config::PipelineConfig& pipeline,
                                  const FrontEndOptions& front,
                                  const std::vector<std::string>& labels = {});

struct CheckpointArgs;
// Copies --checkpoint and friends into `front`; the message for the user when one is bad.
std::optional<std::string> ApplyCheckpointArgs(const CheckpointArgs& args, FrontEndOptions& front);

// Runs `built` (the pipeline document `pipeline` built) over what discovery found and prints the
// summary. Returns the exit status: 0 every file read, 1 a file was skipped for a problem (notes
// do not count) or the run failed, 128 + N when signal N (SIGINT, SIGTERM) stopped it (with a
// StopSignals alive). With options.checkpoint: checkpoints during the run (ordered pipelines
// only, every sink must support them); with options.resume, continues the run the checkpoint
// describes; a run that fails or is stopped keeps its partial outputs for --resume, one that
// succeeds removes the checkpoint.
int ExecutePipeline(const config::PipelineConfig& pipeline, run::BuiltPipeline& built,
                    Discovered discovered, const FrontEndOptions& options);

}  // namespace ringflow::app

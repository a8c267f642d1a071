// Discovery: which files a run reads, in which order. Walks the paths (the walk of find -L),
// applies include/exclude globs, leaves out hidden and compressed files with a note when asked,
// and never reads the run's own files: its outputs (and their temporary files, and the
// checkpoint) are left out with a note, or refuse the run when they are real inputs.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/run/rotation.h"
#include "framework/uring/file_reader.h"

namespace ringflow::run {

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
  // Set: the walk stops collecting (a stop request while it runs).
  const std::atomic<bool>* stop = nullptr;
  bool recursive = true;
  // kRotation and kPath: the walk's order within each directory (WalkOptions::order). kMtime:
  // every job (also those with a skip) is stat'ed after the walk and the jobs are sorted by
  // modification time, oldest first, ties in bytewise order of the path; jobs that cannot be
  // stat'ed (a missing root, an unreadable directory) come first, in walk order.
  FileOrder order = FileOrder::kRotation;
  std::vector<std::string> include;  // empty: every file
  std::vector<std::string> exclude;
  bool skip_hidden = false;  // entries named ".*" below a root: left out with a note
  // Archives a run does not decode (.zip .7z .rar): left out with a note. (gzip, zstd, bzip2,
  // xz and lz4 are read in place.)
  bool skip_compressed = false;
  // Stat every file for the total (the progress line's ETA); only up to kStatSizesMaxFiles files.
  bool stat_sizes = false;
  // Enabled: only the files of this shard (shard.h: InShard over `paths`) become jobs, after the
  // order is applied; every other job (skips and notes too) is left to the other shards.
  config::ShardSpec shard;
  // What the run writes (RunOutputs). A run never reads its own files: its outputs from before
  // (files that carry ringflow's mark, see MarkOwnOutputs), its temporary files (".NAME.tmp-*"
  // beside an output; "NAME.tmp-*" and "NAME.lock" beside the checkpoint), the checkpoint, and
  // stdout when it is an empty regular file, are left out, each with a note. Any other input that
  // is one of these files (the same device and inode, so also through symlinks and hard links) is
  // an input the run would overwrite: Discovered::refused says so.
  std::vector<RunOutput> outputs;
};

struct Discovered {
  // In the order of options.order, job ids 0, 1, ... in that order. Files that cannot or should
  // not be read carry ReadJob::skip.
  std::vector<uring::ReadJob> jobs;
  std::vector<bool> note;  // by job id: the skip is a note (hidden, compressed), not a problem
  std::optional<uint64_t> bytes_total;  // with stat_sizes
  // Jobs before sharding (all shards'); equal to jobs.size() without a shard.
  uint64_t jobs_all_shards = 0;
  // Notes for the summary, one per file left out as the run's own ("ringflow's own output X").
  std::vector<std::string> own_files;
  // Set: an output is one of the inputs; the run must not start (Run::Execute refuses it).
  std::optional<std::string> refused;
};

// Walks options.paths. Never fails: every problem becomes a job with a skip reason.
Discovered Discover(const DiscoveryOptions& options);

// Marks the run's finished output files (not stdout, not the checkpoint, not files appended to:
// appended[i] for outputs[i]) as ringflow's, so that a later run leaves them out of its inputs.
// File systems without extended attributes keep no mark: a later run then refuses the output
// as an input, which loses nothing.
void MarkOwnOutputs(const std::vector<RunOutput>& outputs, const std::vector<bool>& appended);

}  // namespace ringflow::run

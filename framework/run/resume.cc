#include "framework/run/internal/resume.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "framework/core/error.h"

namespace ringflow::run::internal {
namespace {

// An error as one line for the user, after the run's label.
Error Line(const RunOptions& options, const Error& e) {
  return Error(e.code(), options.label + ": " + e.UserMessage(), e.sys_errno());
}

// Puts a finished run's outputs in place: the run had written its final checkpoint
// ("complete") but was killed before (or while) renaming them.
Status FinishCompleteRun(const CheckpointState& state, BuiltPipeline& built,
                         const RunOptions& options, RunObserver& observer) {
  for (auto& sink : built.sinks) sink->Abort();  // this run's empty temporary files
  // The outputs written under a temporary name (not appended to), for MarkOwnOutputs.
  std::vector<RunOutput> outputs;
  for (const CheckpointSink& s : state.sinks) {
    if (s.at.file.empty() || s.at.file == s.output) continue;
    outputs.push_back({s.output, s.name});
    struct stat st;
    if (::stat(s.at.file.c_str(), &st) != 0) continue;  // renamed already
    if (::rename(s.at.file.c_str(), s.output.c_str()) != 0) {
      return Line(options, Error::FromErrno(errno, "rename " + s.at.file + " to " + s.output));
    }
  }
  MarkOwnOutputs(outputs, std::vector<bool>(outputs.size(), false));
  if (::unlink(options.checkpoint.c_str()) != 0) {
    return Line(options, Error::FromErrno(errno, "remove " + options.checkpoint));
  }
  observer.Report(EscapeControl(options.checkpoint) +
                  ": the run had finished; its outputs are now in place");
  return OkStatus();
}

}  // namespace

// Prepares --checkpoint: checks that the run can be checkpointed, and with --resume reads the
// checkpoint, leaves out of `discovered` the files finished before (unchanged), and tells every
// sink where to continue. Returns the checkpointer, or the exit status.
Result<Resumption> SetUpCheckpoint(const config::PipelineConfig& pipeline, BuiltPipeline& built,
                                   Discovered& discovered, const RunOptions& options,
                                   RunObserver& observer) {
  Resumption r;
  auto refuse = [&](const std::string& why) {
    for (auto& sink : built.sinks) sink->Abort();
    return Error(ErrorCode::kInvalidArgument, options.label + ": --checkpoint: " + why);
  };
  if (!pipeline.ordered) return refuse("needs ordered output (\"ordered\": false, --unordered)");
  for (std::size_t k = 0; k < built.sinks.size(); ++k) {
    if (!built.sinks[k]->checkpoints()) {
      return refuse("sink \"" + pipeline.sinks[k].name + "\" (" + pipeline.sinks[k].type +
                    ") does not support checkpoints");
    }
  }
  const std::string digest = PipelineDigest(pipeline);
  // One run at a time per checkpoint (held until the checkpointer goes).
  Result<CheckpointLock> lock = CheckpointLock::Acquire(options.checkpoint);
  if (!lock.ok()) return refuse(lock.error().UserMessage());
  Result<std::optional<CheckpointState>> loaded = LoadCheckpoint(options.checkpoint);
  if (!loaded.ok() && loaded.error().code() == ErrorCode::kUnsupported) {
    // Someone else's file (no header, no checksum line): never read as a damaged checkpoint,
    // overwritten or removed.
    for (auto& sink : built.sinks) sink->Abort();
    return Error(ErrorCode::kFailedPrecondition, loaded.error().UserMessage());
  }
  if (!loaded.ok()) {
    if (options.resume || loaded.error().code() != ErrorCode::kInvalidArgument) {
      return refuse(loaded.error().UserMessage());
    }
    // Starting over anyway (the old partial outputs stay: a damaged file's names are not
    // trusted for removing anything).
    observer.Report("note: " + EscapeControl(options.checkpoint) + ": damaged; starting over");
    loaded = std::optional<CheckpointState>();
  }
  std::optional<CheckpointState> previous = std::move(loaded).value();
  if (previous && !options.resume) {
    // Starting over: the old run's partial outputs go (not this run's own, should the old run
    // have had this process id).
    const std::vector<std::string> mine = TemporaryFilesOf(built);
    for (const CheckpointSink& s : previous->sinks) {
      // Only what looks like a temporary file of ours (".NAME.tmp-..."), whatever the file says.
      const std::size_t slash = s.at.file.rfind('/');
      const std::string base = slash == std::string::npos ? s.at.file : s.at.file.substr(slash + 1);
      if (s.at.file == s.output || base.size() < 2 || base[0] != '.' ||
          base.find(".tmp-") == std::string::npos) {
        continue;
      }
      if (std::find(mine.begin(), mine.end(), s.at.file) == mine.end()) {
        ::unlink(s.at.file.c_str());
      }
    }
    observer.Report("note: " + EscapeControl(options.checkpoint) +
                    ": starting over (--resume continues from it)");
    previous.reset();
  }
  if (options.resume && !previous) {
    observer.Report("note: " + EscapeControl(options.checkpoint) +
                    ": no checkpoint yet: starting from the beginning");
  }
  if (previous && previous->pipeline != digest) {
    return refuse(
        options.checkpoint +
        " was written by another pipeline (its stages, sinks, inputs or shard differ); run "
        "without --resume to start over");
  }
  if (previous && previous->complete) {
    RINGFLOW_RETURN_IF_ERROR(FinishCompleteRun(*previous, built, options, observer));
    r.finished_before = true;
    return r;
  }

  std::vector<CheckpointSink> sinks;
  for (const config::StageConfig& s : pipeline.sinks) {
    const std::string* path = s.GetString("path");
    sinks.push_back({s.name, path != nullptr && *path != "-" ? *path : "", {}});
  }
  // (Keys: the paths in `previous`, which outlives the map.)
  std::unordered_map<std::string_view, const CheckpointEntry*> before;
  if (previous) {
    before.reserve(previous->files.size());
    for (const CheckpointEntry& e : previous->files) before.emplace(e.path, &e);
  }
  // The order of this run: the files done before (not read), then the partial file (its output
  // continues where the checkpoint's ends), then the others in discovery order (files that
  // changed since they were finished included). The jobs are reordered in place and the
  // checkpointer keeps a compact table: no copy of the file list (100,000 files: megabytes).
  std::vector<const CheckpointEntry*> done;  // the files done before, in discovery order
  std::optional<uint64_t> resumed;           // the job of the partial file, continued where it was
  std::size_t resumed_at = 0;                // its index among the jobs kept
  std::size_t kept = 0;
  for (std::size_t i = 0; i < discovered.jobs.size(); ++i) {
    uring::ReadJob& job = discovered.jobs[i];
    if (auto it = before.find(job.path); it != before.end()) {
      const CheckpointEntry& then = *it->second;
      before.erase(it);
      std::string change;
      if (job.skip) {
        // Skipped without being opened (a FIFO, a hidden file, ...): its one line is out.
        if (!then.done) change = "unreadable";
      } else {
        // A file the run never read (it could not: its failure is out) has no head.
        Result<FileIdentity> now = then.identity.has_head
                                       ? IdentifyFile(job.path, then.identity.head_bytes)
                                       : StatFile(job.path);
        change = !now.ok()
                     ? std::string("unreadable")
                     : FileChange(then.identity, *now, then.done ? 0 : then.offset, then.done);
      }
      if (change.empty() && then.done) {
        done.push_back(&then);  // finished before: not read again
        // (A note, e.g. a hidden file, is no problem; discovery says so again.)
        const bool note = job.id < discovered.note.size() && discovered.note[job.id];
        if (then.problem && !note) ++r.problems_before;
        continue;
      }
      if (change.empty()) {
        resumed = job.id;
        resumed_at = kept;
      } else if (!job.skip) {
        observer.Report(EscapeControl(job.path) + ": " + change +
                        " since the checkpoint: replayed from the start");
      }
    }
    if (kept != i) discovered.jobs[kept] = std::move(job);
    ++kept;
  }
  discovered.jobs.erase(discovered.jobs.begin() + static_cast<std::ptrdiff_t>(kept),
                        discovered.jobs.end());
  if (resumed) {
    const auto first = discovered.jobs.begin();
    std::rotate(first, first + static_cast<std::ptrdiff_t>(resumed_at),
                first + static_cast<std::ptrdiff_t>(resumed_at) + 1);
  }
  const uint64_t done_before = done.size();
  for (const auto& [path, entry] : before) {
    observer.Report(EscapeControl(std::string(path)) + ": gone since the checkpoint" +
                    (entry->done ? " (its records are in the output)" : ""));
    ++r.gone;
  }
  r.adopted = previous.has_value();
  if (previous) {
    for (std::size_t k = 0; k < pipeline.sinks.size(); ++k) {
      auto it =
          std::find_if(previous->sinks.begin(), previous->sinks.end(),
                       [&](const CheckpointSink& s) { return s.name == pipeline.sinks[k].name; });
      if (it == previous->sinks.end()) {
        return refuse(options.checkpoint + " has no sink \"" + pipeline.sinks[k].name + "\"");
      }
      flow::SinkPosition at = it->at;
      // Records of the partial file already out are left out when it is read again; a file
      // read from the start (changed) or a cut at a file's end leaves nothing out.
      at.file_id = resumed.value_or(UINT64_MAX);
      if (!resumed) at.file_records = 0;
      if (Status s = built.sinks[k]->Resume(at); !s.ok()) {
        return refuse("sink \"" + pipeline.sinks[k].name + "\": " + s.error().UserMessage());
      }
    }
    observer.Report("resuming from " + EscapeControl(options.checkpoint) + ": " +
                    std::to_string(done_before) + " files done before, " +
                    std::to_string(discovered.jobs.size()) + " to go");
    if (r.problems_before > 0) {
      observer.Report(std::to_string(r.problems_before) +
                      " of the files done before could not be read (or not whole); the run "
                      "before the resume reported them, the outputs say why");
    }
  }
  auto checkpointer =
      std::make_unique<Checkpointer>(options.checkpoint, digest, std::move(sinks), options.stop);
  std::size_t path_bytes = 0;
  for (const CheckpointEntry* e : done) path_bytes += e->path.size();
  for (const uring::ReadJob& job : discovered.jobs) path_bytes += job.path.size();
  checkpointer->Reserve(done.size() + discovered.jobs.size(), path_bytes);
  for (const CheckpointEntry* e : done) checkpointer->AddDone(*e);
  for (const uring::ReadJob& job : discovered.jobs) checkpointer->AddJob(job.path, job.id);
  checkpointer->Start();
  checkpointer->Hold(std::move(*lock));
  r.checkpointer = std::move(checkpointer);
  return r;
}

}  // namespace ringflow::run::internal

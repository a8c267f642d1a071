// Crash-safe checkpoints for `ringflow replay` and `ringflow run` (--checkpoint FILE, --resume).
//
// A checkpoint file says how far a run got, in a form a resumed run can trust:
//  - per input file that is finished, and for the one file the run was in the middle of: its path,
//    its identity (device, inode, size and mtime at discovery, XXH3-64 of its first 1 KiB — the
//    whole file when smaller) and, for the partial file, the offset the pipeline had read to;
//  - per sink: the file that holds its output so far (the temporary file) and how many bytes of
//    it are durable, plus how many records of the partial file those bytes hold.
// It is written after the sinks have fsynced what it vouches for, never before: to a temporary
// file beside it (FILE.tmp-PID-16HEX: unique per run and write), fsynced, renamed over the old one,
// and the directory fsynced. Its first line is the header "ringflow-checkpoint 2"; its last line is
// "xxh3 <16 hex digits>" over everything before it: a damaged or cut file is refused, never taken
// for a fresh start, and a file with neither (a log, a JSON document, ...) is no checkpoint of
// ours: refused, never overwritten or removed.
// The text is compact (one short line per finished file, each path stored as what it does not
// share with the path before it), and a run encodes each finished file once: a cut writes the
// lines kept from earlier cuts as they are, so it costs a write of O(files) bytes but no
// re-encoding, and the run keeps about 100 bytes per input file.
// One run at a time per FILE: CheckpointLock holds an flock on FILE.lock for the whole run.
//
// Resuming needs ordered mode (files one after another, in discovery order): at a cut, every file
// before the cut's is finished and none after it has begun. A resumed run discovers the files
// again, leaves out those finished and unchanged, reads the partial file from its start while each
// sink leaves out the records it already holds (so format detection, digests and counts come out
// as in one run), cuts each file sink back to its durable length and writes on. The output then
// equals an uninterrupted run's byte for byte. Stdout cannot be cut back: at least once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/uring/file_reader.h"

namespace ringflow::run {

// What identifies an input file across a crash.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t head = 0;        // XXH3-64 of the first head_bytes bytes
  uint32_t head_bytes = 0;  // min(kHeadBytes, the file's size when read)
  bool has_head = false;    // head taken (the run read the file's first bytes)
};
inline constexpr uint32_t kHeadBytes = 1024;

struct CheckpointEntry {
  std::string path;
  FileIdentity identity;
  bool done = false;    // finished; else the partial file
  uint64_t offset = 0;  // partial: bytes of it the pipeline had read at the cut (as stored)
  // The run could not read it, or not whole (its reason is in the outputs, e.g. the manifest's
  // status): a resumed run that leaves it out still ends with exit status 1.
  bool problem = false;
};

struct CheckpointSink {
  std::string name;    // the sink's name in the pipeline
  std::string output;  // its final path ("" for stdout)
  flow::SinkPosition at;
};

struct CheckpointState {
  std::string pipeline;  // PipelineDigest of the run's pipeline
  // Every file done, the sinks prepared; the outputs may not be in place yet. (No file list:
  // a resumed run only renames the outputs.)
  bool complete = false;
  std::vector<CheckpointEntry> files;  // finished files in order, then at most one partial
  std::vector<CheckpointSink> sinks;
};

// The file's text (format 2):
//   ringflow-checkpoint 2
//   pipeline <16 hex>
//   complete <0|1>
//   sink <name> <output> <file> <length> <records>        one per sink, in the pipeline's order
//   <d|D|p|P> <shared> <suffix> <dev> <ino> <size> <mtime_ns> <head> <offset>   one per file
//   xxh3 <16 hex>
// Strings are <byte count>:<bytes> (any bytes, newlines included). A file line's letter is done
// (d) or partial (p), upper case when it is a problem; its path is the first <shared> bytes of the
// path on the line before it, then <suffix>; <head> is "-" or <16 hex>/<head_bytes>.
std::string SerializeCheckpoint(const CheckpointState& state);
// kInvalidArgument naming `name` when the text is damaged (checksum), cut short or not a
// checkpoint of this version; kUnsupported when it is not a ringflow checkpoint at all (see
// LooksLikeCheckpoint).
Result<CheckpointState> ParseCheckpoint(std::string_view text, const std::string& name);
// Whether a file that begins with `head` and ends with `tail` (its last bytes; either may be the
// whole file) can be a ringflow checkpoint, however damaged: it begins with the header (or, when
// shorter than the header, is the header's beginning: a cut one, the empty file included), or
// with the JSON header of format 1, or its last line is a checksum line ("xxh3 " and 16 hex
// digits). Anything else is someone else's file.
bool LooksLikeCheckpoint(std::string_view head, std::string_view tail);
// nullopt when `path` does not exist; errno errors for reading it; ParseCheckpoint's.
// kUnsupported ("PATH: not a ringflow checkpoint (...)") when `path` is not a regular file or
// not a ringflow checkpoint: such a file is never to be overwritten or removed. (A FIFO is not
// opened for reading: nothing blocks.) An empty file is a checkpoint cut short (damaged).
Result<std::optional<CheckpointState>> LoadCheckpoint(const std::string& path);
// Atomically replaces `path` (a temporary file PATH.tmp-PID-16HEX, fsync, rename, fsync of the
// directory). Two writers of one path never share a temporary file.
Status WriteCheckpoint(const std::string& path, const CheckpointState& state);

// One run at a time per checkpoint: an exclusive flock on PATH.lock (beside the checkpoint,
// which itself is replaced at every cut and so cannot carry the lock). The kernel releases it
// when the process ends, kill -9 included. Move-only.
class CheckpointLock {
 public:
  // Takes the lock without waiting; kUnavailable ("PATH: in use by another ringflow run ...")
  // when another process holds it. Once held, removes the temporary files PATH.tmp-PID-16HEX
  // that runs killed before their rename left behind (no live run can own them now).
  static Result<CheckpointLock> Acquire(const std::string& path);
  CheckpointLock(CheckpointLock&& other) noexcept;
  CheckpointLock& operator=(CheckpointLock&& other) noexcept;
  CheckpointLock(const CheckpointLock&) = delete;
  CheckpointLock& operator=(const CheckpointLock&) = delete;
  // Releases the lock. Removes PATH.lock (still holding it, so that no one takes a lock on a
  // name about to go) when this run created it, or when the checkpoint is gone (the run is over)
  // and PATH.lock is empty, as ours are: a user's non-empty file of that name stays.
  ~CheckpointLock();

 private:
  CheckpointLock(std::string checkpoint, int fd, bool created)
      : checkpoint_(std::move(checkpoint)), fd_(fd), created_(created) {}
  std::string checkpoint_;
  int fd_ = -1;
  bool created_ = false;
};

// 16 hex digits identifying what a pipeline writes: its stages, sinks (paths included), plugins
// and source (paths, recursion, globs), not engine settings.
std::string PipelineDigest(const config::PipelineConfig& pipeline);

// `path`'s device, inode, size and mtime (stat: through symlinks, as the reader opens), no head.
Result<FileIdentity> StatFile(const std::string& path);
// StatFile relative to the file's directory, kept open while consecutive paths share it (files
// come in walk order): half the cost of a path lookup from the top. Not thread-safe.
class DirectoryStat {
 public:
  DirectoryStat() = default;
  ~DirectoryStat();
  DirectoryStat(const DirectoryStat&) = delete;
  DirectoryStat& operator=(const DirectoryStat&) = delete;
  Result<FileIdentity> Stat(const std::string& path);

 private:
  std::string dir_;
  int fd_ = -1;
};
// StatFile plus the hash of its first `head_bytes` bytes (at most kHeadBytes; fewer when it is
// shorter; none for a file that is not regular), or the errno error.
Result<FileIdentity> IdentifyFile(const std::string& path, uint32_t head_bytes = kHeadBytes);
// Why `now` is not the file `then` describes ("" when it is): another file (device or inode
// differ, or the first then.head_bytes bytes: take `now` with IdentifyFile(path,
// then.head_bytes)), or shorter than `min_size`; with `exact`, any change of size or mtime.
std::string FileChange(const FileIdentity& then, const FileIdentity& now, uint64_t min_size,
                       bool exact);

// Test seam for the crash tests: with RINGFLOW_CRASH_AT=NAME:N in the environment, the N-th time
// the point NAME is reached the process kills itself with SIGKILL; with NAME@N, the first time it
// is reached with `vouched` (the input files the checkpoint in place vouches for) at least N.
// Points: "cut-synced" (the sinks fsynced a cut, its checkpoint not written; the only one that
// passes `vouched`), "checkpoint-half" (half of the checkpoint's temporary file written),
// "checkpoint-written" (temporary file fsynced, not renamed), "complete" (the final checkpoint
// in place, the outputs not renamed), "renamed" (the outputs in place, the checkpoint not
// removed); the nats sink's "nats-published" (a message handed to the client, its
// acknowledgement not yet come) and "nats-acked" (an acknowledgement taken, before any
// checkpoint).
void CrashPoint(const char* name, std::size_t vouched = 0);

// The checkpoint side of one run (flow::CheckpointObserver). `files` are the run's input files
// in the order it reads them, those already done first (a resumed run's, not read again: no
// job). At a cut, the files before the cut's are finished.
// The work of a cut (fsync of the sinks' files, stat of the files finished since the last cut,
// writing the checkpoint) runs on a thread of its own, so the sinks go on writing meanwhile (an
// fsync covers every byte written before it, so what the cut vouches for is durable once it
// returns). A cut still waiting when the next comes is replaced by it. Complete waits for the
// thread and writes the last checkpoint (complete, without a file list) itself.
class Checkpointer final : public flow::CheckpointObserver {
 public:
  struct File {
    CheckpointEntry entry;        // identity: a done-before file's; else stat'ed when finished
    std::optional<uint64_t> job;  // this run's ReadJob id; none: done before
  };
  // `sinks`: name and final path per sink, in the pipeline's order. `stop`: once set, no more
  // cuts are recorded (files cut short by the stop are not finished) and Complete refuses.
  // The files come with AddDone and AddJob, then Start.
  Checkpointer(std::string path, std::string pipeline_digest, std::vector<CheckpointSink> sinks,
               const std::atomic<bool>* stop);
  // The same with `files` (AddDone or AddJob each), started.
  Checkpointer(std::string path, std::string pipeline_digest, std::vector<File> files,
               std::vector<CheckpointSink> sinks, const std::atomic<bool>* stop);
  // The run's files in the order it reads them (REQUIRES: before Start). A file done before
  // (not read again) is kept as one encoded line only; a file this run reads (its ReadJob id
  // `job`) takes its path and identity (stat'ed when it is finished; head from Observe) in a
  // compact table: about 100 bytes a file, no string per file.
  void AddDone(const CheckpointEntry& entry);
  void AddJob(std::string_view path, uint64_t job, const FileIdentity& identity = {});
  // Room for `files` more files of `path_bytes` bytes of paths in all (optional: saves the
  // copies of growing the table, and the finished files' lines get room that is touched only as
  // they come).
  void Reserve(std::size_t files, std::size_t path_bytes);
  // Starts the thread that writes the cuts. REQUIRES: once, before the first Cut or Complete.
  void Start();
  // Waits for the cut being written (if any); drops one still waiting. Then releases the lock
  // given to Hold, if any.
  ~Checkpointer() override;
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Keeps `lock` (the run's hold on the checkpoint) until this checkpointer goes.
  void Hold(CheckpointLock lock) { lock_.emplace(std::move(lock)); }

  void Observe(const flow::Chunk& message) override;
  // Hands the cut to the thread; returns the error of an earlier cut, if one failed.
  Status Cut(const flow::Chunk& cut, const std::vector<flow::SinkPosition>& sinks) override;
  Status Complete(const std::vector<flow::SinkPosition>& sinks) override;

  // Waits until every cut handed over so far is written (or dropped for a later one); the
  // first error of a cut, if any.
  Status Drain();

  uint64_t cuts_written() const { return cuts_.load(); }

 private:
  struct Pending {
    uint64_t job = 0;  // the cut's file; files below it are finished
    bool end = false;  // the cut is that file's end
    uint64_t offset = 0;
    bool complete = false;
    std::vector<flow::SinkPosition> sinks;
  };
  enum : uint8_t { kHasJob = 1, kProblem = 2 };
  void Loop();
  // fsyncs, stats and writes the checkpoint for `cut`.
  Status Write(const Pending& cut);
  std::string_view PathOf(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : path_end_[i - 1];
    return std::string_view(paths_).substr(begin, path_end_[i] - begin);
  }

  // Declared first, so that it goes last: the lock outlives the thread's last write.
  std::optional<CheckpointLock> lock_;
  const std::string path_;
  const std::string pipeline_;
  const std::atomic<bool>* stop_;
  std::vector<CheckpointSink> sinks_;
  std::vector<std::size_t> by_job_;  // job id -> index of the file
  std::atomic<uint64_t> cuts_{0};
  // The files after those encoded by AddDone, in the order the run reads them, as a compact
  // table (row i: path, identity, flags): every path back to back in paths_ (row i's ends at
  // path_end_[i]); both are set up before Start.
  std::string paths_;
  std::vector<std::size_t> path_end_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FileIdentity> ids_;   // guarded by mu_ (heads: Observe; the rest: the thread)
  std::vector<uint8_t> flags_;      // guarded by mu_ (kProblem: Observe)
  std::optional<Pending> pending_;  // guarded by mu_
  bool busy_ = false;               // guarded by mu_: the thread is writing a cut
  bool quit_ = false;               // guarded by mu_
  Status error_;                    // guarded by mu_: the first failed cut
  // The writer's own (the thread's, or Complete's while busy_ keeps the thread off; before
  // Start, AddDone's): the lines of the finished files [0, encoded_), each encoded once when its
  // file is finished (and stat'ed), and the path of the last of them (the next line's prefix is
  // shared with it). The files done before that come first (as they do) take no row in the
  // table: they are encoded at once.
  std::string done_lines_;
  std::size_t encoded_ = 0;
  std::string last_path_;
  std::vector<std::string> synced_dirs_;
  DirectoryStat stat_at_;
  std::thread thread_;  // last: started (Start) when everything else is ready
};

}  // namespace ringflow::run

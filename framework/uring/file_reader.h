// FileReader: reads whole files end to end through an Engine, many files at once. Each file is
// opened into a slot of the engine's table (a direct descriptor: no process descriptor, no system
// call of its own), read with READ_FIXED into pool buffers and closed in the ring, as an unlinked
// state machine (open CQE -> reads -> close), which ran faster than a linked chain on a cold cache
// (bench/NOTES.md). Each open is O_NONBLOCK and linked to a statx of the same
// path: what is not a regular file by then (a FIFO or device swapped in after discovery) is closed
// unread, and the size at open bounds the reads (see OnRead). A path of PATH_MAX bytes or more is
// opened relative to its parent directory, reached in pieces. A file's first read takes one of the
// pool's slices when it has them (BufferPool::TryAcquireSlice), so that small files do not take a
// buffer each; files larger than that keep several whole-buffer reads in flight at increasing
// offsets; chunks reach the handler in file order. A short read is not an error: the reader reads
// on until a read returns 0, so a file that grows is read with what it gains, and a file that
// shrinks is read as it is (FileEnd::shrank tells).
// Thread-safety: a FileReader runs on its engine's owner thread; the handler is called on it.
// Several readers (one per thread, each with its own engine and pool) may share one FileSource.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/result.h"
#include "framework/uring/buffer_pool.h"
#include "framework/uring/engine.h"

namespace ringflow::uring {

struct ReadJob {
  ReadJob() = default;
  ReadJob(uint64_t id_in, std::string path_in, std::optional<Error> skip_in = std::nullopt)
      : id(id_in), path(std::move(path_in)), skip(std::move(skip_in)) {}

  uint64_t id = 0;   // the caller's; comes back in chunks and in OnFileDone
  std::string path;  // opened relative to the working directory
  // Set: the file is not opened; OnFileDone reports this error for it, in its place in the
  // order (a file the caller already knows it must skip, e.g. a FIFO found by discovery).
  std::optional<Error> skip;
};

// Where a reader takes its files from. Next must be thread-safe when readers share a source.
class FileSource {
 public:
  enum class Pull { kJob, kLater, kDone };
  virtual ~FileSource() = default;
  // kJob: `job` is the next file. kDone: there are no more. kLater: none for this reader now,
  // ask again later (only while the reader is busy: `idle` is true when it has no file open,
  // and an idle reader must get kJob or kDone, so that a run always ends).
  virtual Pull Next(ReadJob* job, bool idle) = 0;
};

// A source over a fixed list; thread-safe.
class VectorSource final : public FileSource {
 public:
  explicit VectorSource(std::vector<ReadJob> jobs) : jobs_(std::move(jobs)) {}
  Pull Next(ReadJob* job, bool idle) override;

 private:
  std::vector<ReadJob> jobs_;
  std::atomic<std::size_t> next_{0};
};

// Bytes [offset, offset + length) of a file, in a leased pool buffer.
struct FileChunk {
  uint64_t file_id = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  Lease lease;  // owns the buffer; move it out to keep the bytes beyond OnChunk
  // The reader saw the file's end right after these bytes: no read (and no buffer) is needed
  // before the file's OnFileDone. False does not mean more data follows (the end may be found
  // by a later read that returns nothing).
  bool last = false;
  std::span<const std::byte> data() const { return {lease.data(), length}; }
};

// How one file ended, for ReadHandler::OnFileEnd.
struct FileEnd {
  static constexpr uint64_t kUnknownSize = UINT64_MAX;
  uint64_t file_id = 0;
  Status status;
  uint64_t bytes = 0;                    // delivered
  uint64_t size_at_open = kUnknownSize;  // st_size right after the open (unknown if never opened)
  // Read to its end, but shorter than it was at open: it was truncated while being read.
  bool shrank() const {
    return status.ok() && size_at_open != kUnknownSize && bytes < size_at_open;
  }
};

class ReadHandler {
 public:
  virtual ~ReadHandler() = default;
  // Chunks of one file arrive in offset order, without gaps, never empty. The handler may keep
  // the lease (the buffer is then unavailable to the reader until it lets go).
  virtual void OnChunk(FileChunk&& chunk) = 0;
  // Once per job, after its last chunk. `status` is OK, or the first error: its errno, the
  // operation in its message ("open", "read at offset N", "close") and the job's path in
  // error().path(). `bytes` counts the bytes delivered.
  virtual void OnFileDone(uint64_t file_id, const Status& status, uint64_t bytes) = 0;
  // What the reader calls, in OnFileDone's place: the default passes on to OnFileDone. Override
  // it to learn the size at open too (a file that shrank while being read).
  virtual void OnFileEnd(const FileEnd& end) { OnFileDone(end.file_id, end.status, end.bytes); }
  // The reader is about to wait: for completions, or for a buffer to come back. A handler that
  // holds chunks back (to pass several on at once) hands them on now: a held lease may be the
  // buffer the reader waits for. The default holds nothing.
  virtual void Idle() {}
};

struct ReaderOptions {
  // Files open at once (table slots used: [0, max_open_files)). At most the engine's slots.
  uint32_t max_open_files = 64;
  // Reads in flight for one file once it is known to be larger than a buffer.
  uint32_t reads_per_file = 4;
  // Files larger than one buffer read at once by this reader (the rest wait): keeps several
  // readers sharing a source balanced when a few large files make up the input.
  uint32_t max_large_files = 2;
  // Requests in flight at most (keep <= 2 x the engine's queue depth, the CQ size).
  uint32_t max_in_flight = 256;
  // O_DIRECT: bypass the page cache. Buffers and offsets are aligned to 4096; the unaligned tail
  // of a file comes back as a short read. A file system that refuses O_DIRECT (tmpfs) gets a
  // buffered open instead, counted in Stats::direct_refused.
  bool direct = false;
  // Deliver files whole and in the order they were taken from the source (each file's chunks,
  // then its OnFileDone, then the next file's), however their reads complete. Chunks of later
  // files wait in the reader; so that they can never starve the earliest file, they may hold at
  // most count - reads_per_file buffers, and at most 4 x max_open_files files may wait.
  bool ordered = false;
  // Set to true (from any thread, e.g. a signal handler's flag): the reader takes no more files
  // from its source, issues no more reads, and ends every file it has open with kCancelled
  // "interrupted" once its reads in flight are back; chunks read before are delivered.
  const std::atomic<bool>* stop = nullptr;
};

struct ReaderStats {
  uint64_t files_ok = 0;
  uint64_t files_failed = 0;
  uint64_t bytes = 0;
  uint64_t reads = 0;         // read requests issued (follow-ups of short reads included)
  uint64_t submits = 0;       // Submit calls (system calls, under the io_uring backend)
  uint64_t buffer_waits = 0;  // times the reader stalled because every buffer was leased
  uint64_t direct_refused = 0;
  uint64_t descriptor_waits = 0;  // opens put off because the process ran out of descriptors
};

class FileReader {
 public:
  // REQUIRES: engine and pool outlive the reader; pool buffers are a multiple of 4096 bytes.
  FileReader(Engine* engine, BufferPool* pool, const ReaderOptions& options);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Reads every job `source` gives until it has no more and every file is done. Per-file
  // problems go to handler.OnFileDone and the run goes on; an error return means the engine
  // itself failed (the run stopped; files not yet done are reported with that error).
  Status Run(FileSource& source, ReadHandler& handler);

  const ReaderStats& stats() const { return stats_; }

 private:
  struct ReadOp;
  struct FileState;
  // Ordered mode: one file's delivered-but-not-yet-handed-on results.
  struct PendingFile {
    uint64_t id = 0;
    std::vector<FileChunk> chunks;
    bool done = false;
    Status status;
    uint64_t bytes = 0;
    uint64_t size_at_open = FileEnd::kUnknownSize;
  };

  bool stopped() const { return options_.stop != nullptr && options_.stop->load(); }
  bool Admit(FileSource& source);
  Status IssueReads();
  Status IssueRead(uint32_t slot, uint32_t op_index, uint64_t file_offset, uint32_t buf_pos);
  void OnCompletion(uint64_t user_data, int32_t res);
  bool PrepOpenAndStat(uint32_t slot);
  void OnOpenDone(uint32_t slot);
  void OnStat(uint32_t slot, int32_t res);
  // Reads brought bytes past the size the last stat saw: queues a stat of the file before it is
  // read on (OnStat). False if it cannot be queued.
  bool Recheck(uint32_t slot);
  void OnRead(uint32_t slot, uint32_t op_index, int32_t res);
  void OnClose(uint32_t slot, int32_t res);
  void Deliver(FileState& file);
  void Finish(FileState& file);
  void MaybeClose(uint32_t slot);
  void FreeSlot(uint32_t slot, const Status& status);
  void HandOn(FileState& f, FileChunk&& chunk);
  // Ordered mode: hands on everything the earliest files have ready.
  void Flush();
  // Ordered mode: buffers held by files other than the earliest one.
  uint32_t BuffersHeldBehindHead() const;
  Status EnsureSqSpace(uint32_t entries = 1);

  Engine* const engine_;
  BufferPool* const pool_;
  const ReaderOptions options_;
  const uint32_t align_;
  ReadHandler* handler_ = nullptr;
  std::vector<FileState> files_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> to_close_;
  uint32_t open_files_ = 0;
  uint32_t large_files_ = 0;
  uint32_t in_flight_ = 0;
  uint32_t admit_ramp_ = 1;
  bool last_was_large_ = false;     // the last file classified was larger than one buffer
  uint32_t open_cap_ = UINT32_MAX;  // lowered when opens run out of process descriptors
  struct Deferred {
    ReadJob job;
    PendingFile* pending;  // ordered mode: its place in the order
  };
  std::vector<Deferred> deferred_;                    // files to open again after EMFILE
  std::deque<std::unique_ptr<PendingFile>> pending_;  // ordered mode, in admission order
  bool wait_for_slice_ = false;  // IssueReads stopped at a first read: a slice will do too
  ReaderStats stats_;
};

}  // namespace ringflow::uring

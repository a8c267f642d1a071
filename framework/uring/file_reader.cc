#include "framework/uring/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <climits>

#include "framework/core/path.h"

namespace ringflow::uring {

FileSource::Pull VectorSource::Next(ReadJob* job, bool /*idle*/) {
  const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
  if (i >= jobs_.size()) return Pull::kDone;
  *job = std::move(jobs_[i]);
  return Pull::kJob;
}

namespace {

// user_data: bits 0-7 the request kind, 8-15 the read op's index in its file, 16-47 the slot.
enum Kind : uint64_t { kOpen = 1, kRead = 2, kClose = 3, kStat = 4 };
constexpr uint64_t Encode(Kind kind, uint32_t slot, uint32_t op = 0) {
  return kind | (static_cast<uint64_t>(op) << 8) | (static_cast<uint64_t>(slot) << 16);
}
constexpr uint32_t kDirectAlign = 4096;

}  // namespace

struct FileReader::ReadOp {
  Lease lease;
  uint64_t offset = 0;  // file offset of the chunk's first byte
  uint32_t filled = 0;  // bytes of the chunk read so far
  uint32_t pos = 0;     // where the request in flight writes, relative to the chunk
  bool in_flight = false;
  bool complete = false;  // full, or ended by end of file
  bool eof = false;
  bool parked = false;  // a short read's follow-up, waiting for a stat (FileState::statting)
};

struct FileReader::FileState {
  enum class Phase : uint8_t { kFree, kOpening, kReading, kClosing };
  Phase phase = Phase::kFree;
  uint64_t id = 0;
  std::string path;
  FileRef ref;
  bool direct = false;
  bool large = false;        // a read came back full: read ahead
  bool finished = false;     // end of file delivered, or failed: no more reads
  uint64_t next_offset = 0;  // offset of the next chunk to start
  uint64_t delivered = 0;
  uint32_t head = 0;  // ops form a ring of reads_per_file entries, oldest at head
  uint32_t count = 0;
  uint32_t in_flight = 0;
  std::optional<Error> error;
  std::vector<ReadOp> ops;
  PendingFile* pending = nullptr;  // ordered mode
  // Opening: the open and its linked statx both complete before the file is read.
  int dir_fd = -1;       // a long path's parent directory (OpenParentDirectory), while open
  uint32_t name_at = 0;  // where the name given to the kernel starts in `path`
  int32_t open_res = 0;
  int32_t stat_res = 0;
  // Filled by the kernel (or the pread backend) while a statx is in flight; FileState objects
  // never move (files_ is sized once), so the address stays valid until the completion.
  struct statx stx {};
  uint64_t size_at_open = FileEnd::kUnknownSize;
  // The size the last stat saw. A read that brings bytes past it makes the reader stat again
  // before it reads on: a regular file has grown, and anything else (a device swapped in between
  // the open and its stat) is never read without bound.
  uint64_t checked_size = 0;
  uint64_t read_end = 0;  // end of the furthest bytes read
  bool statting = false;  // a re-check is in flight: no new reads
};

FileReader::FileReader(Engine* engine, BufferPool* pool, const ReaderOptions& options)
    : engine_(engine),
      pool_(pool),
      options_([&] {
        ReaderOptions o = options;
        o.max_open_files = std::clamp<uint32_t>(o.max_open_files, 1, engine->file_slots());
        o.reads_per_file = std::clamp<uint32_t>(o.reads_per_file, 1, 255);
        o.max_large_files = std::max<uint32_t>(o.max_large_files, 1);
        o.max_in_flight = std::max<uint32_t>(o.max_in_flight, 2);
        return o;
      }()),
      align_(options.direct ? kDirectAlign : 1),
      files_(options_.max_open_files) {
  for (FileState& f : files_) f.ops.resize(options_.reads_per_file);
  free_slots_.reserve(options_.max_open_files);
  for (uint32_t i = options_.max_open_files; i > 0; --i) free_slots_.push_back(i - 1);
}

FileReader::~FileReader() = default;

Status FileReader::EnsureSqSpace(uint32_t entries) {
  if (engine_->sq_space() >= entries) return OkStatus();
  auto submitted = engine_->Submit(0);
  if (!submitted.ok()) return std::move(submitted).error();
  ++stats_.submits;
  return OkStatus();
}

Status FileReader::Run(FileSource& source, ReadHandler& handler) {
  handler_ = &handler;
  bool source_done = false;
  std::array<Completion, 256> cqes;
  Status status;
  while (status.ok()) {
    if (!source_done || !deferred_.empty()) source_done = !Admit(source) || source_done;
    status = IssueReads();
    if (!status.ok()) break;
    if (source_done && open_files_ == 0 && deferred_.empty()) break;
    handler.Idle();  // the reader waits next, one way or the other
    if (in_flight_ == 0) {
      // Nothing in the ring and nothing to issue: every buffer is held by consumers. Wait for one
      // to come back (backpressure) rather than allocate.
      ++stats_.buffer_waits;
      pool_->WaitAvailable(std::chrono::milliseconds(100), std::exchange(wait_for_slice_, false));
      continue;
    }
    auto submitted = engine_->Submit(1);
    ++stats_.submits;
    if (!submitted.ok()) {
      status = std::move(submitted).error();
      break;
    }
    for (;;) {
      const std::size_t n = engine_->Reap(cqes);
      for (std::size_t i = 0; i < n; ++i) OnCompletion(cqes[i].user_data, cqes[i].res);
      if (n < cqes.size()) break;
    }
  }
  if (!status.ok()) {
    // The ring failed: requests in flight may never complete, so their buffers cannot be given
    // back safely until the engine is destroyed. Report every open file and stop.
    for (FileState& f : files_) {
      if (f.phase == FileState::Phase::kFree) continue;
      handler.OnFileEnd(
          {f.id, Error(status.error()).WithPath(f.path), f.delivered, FileEnd::kUnknownSize});
      if (f.dir_fd >= 0) ::close(std::exchange(f.dir_fd, -1));
      ++stats_.files_failed;
    }
  }
  handler_ = nullptr;
  return status;
}

bool FileReader::Admit(FileSource& source) {
  uint32_t admitted = 0;
  while (!free_slots_.empty() && admitted < admit_ramp_ && open_files_ < open_cap_ &&
         large_files_ < options_.max_large_files && in_flight_ + 1 < options_.max_in_flight &&
         pool_->slice_available()) {
    ReadJob job;
    PendingFile* pending = nullptr;
    if (!deferred_.empty()) {
      job = std::move(deferred_.back().job);
      pending = deferred_.back().pending;
      deferred_.pop_back();
    } else {
      // Ordered mode: files finished behind a slow earlier one wait here; do not run away.
      if (options_.ordered && pending_.size() >= 4 * options_.max_open_files) return true;
      if (stopped()) return false;
      const FileSource::Pull pull = source.Next(&job, open_files_ == 0);
      if (pull == FileSource::Pull::kDone) return false;
      if (pull == FileSource::Pull::kLater) return true;
      if (options_.ordered) {
        pending_.push_back(std::make_unique<PendingFile>());
        pending = pending_.back().get();
        pending->id = job.id;
      }
    }
    if (stopped() && !job.skip) {
      job.skip = Error(ErrorCode::kCancelled, "interrupted");
    }
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    FileState& f = files_[slot];
    f.phase = FileState::Phase::kOpening;
    f.id = job.id;
    f.path = std::move(job.path);
    f.direct = options_.direct;
    f.finished = false;
    // Files in one tree tend to be alike: after a large file, read the next one ahead at once
    // instead of waiting for its first read (reads past a small file's end just return 0).
    f.large = last_was_large_;
    if (f.large) ++large_files_;
    f.next_offset = f.delivered = 0;
    f.head = f.count = f.in_flight = 0;
    f.error.reset();
    f.pending = pending;
    f.size_at_open = FileEnd::kUnknownSize;
    f.checked_size = f.read_end = 0;
    f.statting = false;
    f.name_at = 0;
    ++open_files_;
    ++admitted;
    if (job.skip) {
      FreeSlot(slot, Error(std::move(*job.skip)).WithPath(f.path));
      continue;
    }
    if (f.path.size() >= PATH_MAX) {
      // The kernel refuses the whole path (ENAMETOOLONG): reach its directory in pieces here
      // (system calls on this thread, for such paths only) and open the last name from there.
      auto parent = OpenParentDirectory(AT_FDCWD, f.path);
      if (!parent.ok()) {
        FreeSlot(slot, Error(parent.error()).WithPath(f.path));
        continue;
      }
      f.dir_fd = parent->fd;
      f.name_at = static_cast<uint32_t>(parent->leaf_offset);
    }
    if (!PrepOpenAndStat(slot)) {
      FreeSlot(slot,
               Error(ErrorCode::kInternal, "open: submission queue unavailable").WithPath(f.path));
      continue;
    }
  }
  return true;
}

bool FileReader::PrepOpenAndStat(uint32_t slot) {
  FileState& f = files_[slot];
  const int dir_fd = f.dir_fd >= 0 ? f.dir_fd : AT_FDCWD;
  const char* name = f.path.c_str() + f.name_at;
  // O_NONBLOCK: opening a FIFO (swapped in after discovery) must not wait for a writer, nor a
  // device for its carrier. Regular files ignore it for read(2); io_uring still retries their
  // reads in its workers when the file system supports non-blocking reads (ext4, xfs, btrfs,
  // tmpfs: measured on 6.18 with a cold cache, buffered and O_DIRECT). The statx runs after the
  // open (linked) and tells what was opened: FileRef::Slot cannot be fstat'ed, so it stats the
  // path (the pread backend fstat's the descriptor).
  const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | (f.direct ? O_DIRECT : 0);
  f.open_res = f.stat_res = 0;
  if (!EnsureSqSpace(2).ok()) return false;
  const bool link = engine_->sq_space() >= 2;  // a queue of one entry cannot hold the pair
  if (!engine_->PrepOpenAt(slot, dir_fd, name, flags, Encode(kOpen, slot), link)) return false;
  ++f.in_flight;
  ++in_flight_;
  if (!EnsureSqSpace().ok() ||
      !engine_->PrepStatx(FileRef::Slot(slot), dir_fd, name, &f.stx, Encode(kStat, slot))) {
    f.stat_res = -EAGAIN;  // the file is closed unread (OnOpenDone)
    return true;
  }
  ++f.in_flight;
  ++in_flight_;
  return true;
}

Status FileReader::IssueReads() {
  if (stopped()) {
    // Interrupted: each open file hands on the reads completed in order and ends; reads still
    // in flight are dropped when they come back.
    for (uint32_t slot = 0; slot < files_.size(); ++slot) {
      FileState& f = files_[slot];
      if (f.phase != FileState::Phase::kReading || f.finished) continue;
      Deliver(f);
      if (!f.finished) {
        f.error = Error(ErrorCode::kCancelled, "interrupted").WithPath(f.path);
        Finish(f);
      }
      MaybeClose(slot);
    }
  }
  // Closes first: they free slots for the next admissions.
  for (uint32_t slot : to_close_) {
    FileState& f = files_[slot];
    RINGFLOW_RETURN_IF_ERROR(EnsureSqSpace());
    if (!engine_->PrepClose(f.ref, Encode(kClose, slot))) {
      return Error(ErrorCode::kInternal, "close: submission queue unavailable");
    }
    f.phase = FileState::Phase::kClosing;
    ++f.in_flight;
    ++in_flight_;
  }
  to_close_.clear();
  // Ordered mode: later files may hold only so many buffers, so that the earliest file (whose
  // chunks are the only ones that can leave the reader) always finds some.
  const uint32_t reserve = std::max(1u, std::min(options_.reads_per_file, pool_->count() - 1));
  const uint32_t budget = pool_->count() - reserve;
  // Counted when a file behind the head first wants a buffer (counting walks every file).
  std::optional<uint32_t> behind_head;
  for (uint32_t slot = 0; slot < files_.size(); ++slot) {
    FileState& f = files_[slot];
    if (f.phase != FileState::Phase::kReading || f.finished || f.statting) continue;
    const bool is_head = !options_.ordered || f.pending == pending_.front().get();
    // A file reads one chunk at a time until a read comes back full; then it reads ahead.
    const uint32_t depth = f.large ? options_.reads_per_file : 1;
    while (f.count < depth && in_flight_ < options_.max_in_flight) {
      if (!is_head) {
        if (!behind_head) behind_head = BuffersHeldBehindHead();
        if (*behind_head >= budget) break;
      }
      // The first read of a file not known to be large takes a slice (when the pool has them, and
      // else a buffer): most files of a tree of small files fit in one.
      std::optional<Lease> lease =
          f.next_offset == 0 && !f.large ? pool_->TryAcquireSlice() : pool_->TryAcquire();
      if (!lease) {
        // Backpressure: wait for buffers (or slices, for a first read) to come back.
        wait_for_slice_ = f.next_offset == 0 && !f.large;
        return OkStatus();
      }
      const uint32_t index = (f.head + f.count) % options_.reads_per_file;
      ReadOp& op = f.ops[index];
      op = ReadOp{};
      op.lease = std::move(*lease);
      op.offset = f.next_offset;
      f.next_offset += op.lease.capacity();
      ++f.count;
      // (Slices do not count: the head never needs one, a buffer does as well.)
      if (!is_head && !op.lease.slice()) ++*behind_head;
      RINGFLOW_RETURN_IF_ERROR(IssueRead(slot, index, op.offset, 0));
    }
  }
  return OkStatus();
}

Status FileReader::IssueRead(uint32_t slot, uint32_t op_index, uint64_t file_offset,
                             uint32_t buf_pos) {
  FileState& f = files_[slot];
  ReadOp& op = f.ops[op_index];
  RINGFLOW_RETURN_IF_ERROR(EnsureSqSpace());
  const auto len = static_cast<uint32_t>(op.lease.capacity() - buf_pos);
  if (!engine_->PrepRead(f.ref, op.lease.data() + buf_pos, len, file_offset + buf_pos,
                         Encode(kRead, slot, op_index))) {
    return Error(ErrorCode::kInternal, "read: submission queue unavailable");
  }
  op.pos = buf_pos;
  op.in_flight = true;
  ++f.in_flight;
  ++in_flight_;
  ++stats_.reads;
  return OkStatus();
}

void FileReader::OnCompletion(uint64_t user_data, int32_t res) {
  const auto slot = static_cast<uint32_t>(user_data >> 16);
  const auto op = static_cast<uint32_t>((user_data >> 8) & 0xff);
  assert(slot < files_.size());
  FileState& f = files_[slot];
  --f.in_flight;
  --in_flight_;
  switch (user_data & 0xff) {
    case kOpen:
      f.open_res = res;
      if (f.in_flight == 0) OnOpenDone(slot);
      return;
    case kStat:
      return OnStat(slot, res);
    case kRead:
      return OnRead(slot, op, res);
    case kClose:
      return OnClose(slot, res);
    default:
      assert(false);
  }
}

void FileReader::OnOpenDone(uint32_t slot) {
  FileState& f = files_[slot];
  const int32_t res = f.open_res;
  if (res == -EINVAL && f.direct) {
    // This file system refuses O_DIRECT (tmpfs, some FUSE): read it through the page cache.
    ++stats_.direct_refused;
    f.direct = false;
    if (PrepOpenAndStat(slot)) return;
  }
  if ((res == -EMFILE || res == -ENFILE) && open_files_ > 1) {
    // Out of process descriptors (plain-descriptor mode, or the pread backend) while this reader
    // holds others: not this file's fault. Open fewer files at once from now on and try it again
    // when one closes. With no other file open the error is real and reported.
    open_cap_ = std::max<uint32_t>(1, open_files_ - 1);
    ++stats_.descriptor_waits;
    if (f.dir_fd >= 0) ::close(std::exchange(f.dir_fd, -1));
    deferred_.push_back({ReadJob{f.id, std::move(f.path)}, f.pending});
    f.phase = FileState::Phase::kFree;
    --open_files_;
    free_slots_.push_back(slot);
    return;
  }
  if (res < 0) return FreeSlot(slot, Error::FromErrno(-res, "open").WithPath(f.path));
  f.ref = engine_->direct_descriptors() ? FileRef::Slot(slot) : FileRef::Fd(res);
  f.phase = FileState::Phase::kReading;
  if (f.stat_res < 0) {
    // Opened, but the path named nothing by the time of the stat (renamed or removed in between):
    // what was opened is unknown, so it is not read.
    f.error = Error::FromErrno(-f.stat_res, "stat after open").WithPath(f.path);
  } else if (S_ISDIR(f.stx.stx_mode)) {
    f.error = Error::FromErrno(EISDIR, "open").WithPath(f.path);  // as a read would say
  } else if (!S_ISREG(f.stx.stx_mode)) {
    f.error = NotRegularFileError(f.stx.stx_mode).WithPath(f.path);
  }
  if (f.error) {
    f.finished = true;
    if (f.large) {
      --large_files_;
      f.large = false;
    }
    MaybeClose(slot);
    return;
  }
  f.size_at_open = f.checked_size = f.stx.stx_size;
}

void FileReader::OnStat(uint32_t slot, int32_t res) {
  FileState& f = files_[slot];
  if (f.phase == FileState::Phase::kOpening) {
    f.stat_res = res;
    if (f.in_flight == 0) OnOpenDone(slot);
    return;
  }
  // A re-check (Recheck).
  f.statting = false;
  if (f.finished) return MaybeClose(slot);
  if (res == 0 && !S_ISREG(f.stx.stx_mode)) {
    f.error = NotRegularFileError(f.stx.stx_mode).WithPath(f.path);
  } else if (res == 0 && f.stx.stx_size >= f.read_end) {
    f.checked_size = f.stx.stx_size;  // grown: read on
    for (uint32_t i = 0; i < f.count; ++i) {
      const uint32_t index = (f.head + i) % options_.reads_per_file;
      ReadOp& op = f.ops[index];
      if (!op.parked) continue;
      op.parked = false;
      if (!IssueRead(slot, index, op.offset, op.filled / align_ * align_).ok()) {
        f.error =
            Error(ErrorCode::kInternal, "read: submission queue unavailable").WithPath(f.path);
        break;
      }
    }
    if (!f.error) return;
  }
  // Otherwise the path no longer names a file as long as what was read (renamed, truncated, or
  // not what was opened): the file ends with the reads complete in order, and nothing more.
  if (!f.error) Deliver(f);
  if (!f.finished) Finish(f);
  MaybeClose(slot);
}

bool FileReader::Recheck(uint32_t slot) {
  FileState& f = files_[slot];
  if (f.statting) return true;
  const int dir_fd = f.dir_fd >= 0 ? f.dir_fd : AT_FDCWD;
  if (!EnsureSqSpace().ok() ||
      !engine_->PrepStatx(f.ref, dir_fd, f.path.c_str() + f.name_at, &f.stx, Encode(kStat, slot))) {
    return false;
  }
  f.statting = true;
  ++f.in_flight;
  ++in_flight_;
  return true;
}

void FileReader::OnRead(uint32_t slot, uint32_t op_index, int32_t res) {
  FileState& f = files_[slot];
  ReadOp& op = f.ops[op_index];
  op.in_flight = false;
  if (f.finished) {
    // End of file or an error came first: this read's bytes lie beyond what the file had.
    op.lease.Reset();
    MaybeClose(slot);
    return;
  }
  if (res < 0) {
    f.error = Error::FromErrno(-res, "read at offset " + std::to_string(op.offset + op.pos))
                  .WithPath(f.path);
    Finish(f);
    MaybeClose(slot);
    return;
  }
  const auto size = static_cast<uint32_t>(op.lease.capacity());
  const uint32_t end = op.pos + static_cast<uint32_t>(res);
  if (res == 0 || end <= op.filled) {
    op.eof = true;  // nothing new: end of file (O_DIRECT re-reads the partial block it had)
  } else {
    op.filled = end;
  }
  if (op.filled > 0) f.read_end = std::max(f.read_end, op.offset + op.filled);
  // More than the last stat saw: stat again before any further read of this file (the reads
  // in flight are all that can come before: a bound even for a device). A stat that cannot be
  // queued ends the file after these bytes.
  if (f.read_end > f.checked_size && !Recheck(slot)) op.eof = true;
  if (op.filled == size) {
    // The file's first whole buffer came back full (after a first slice, or without one): a
    // large file. A full slice alone says only that the file is larger than a slice.
    const bool first_buffer = !op.lease.slice() && op.offset < pool_->buffer_size();
    if (first_buffer) last_was_large_ = true;
    if (!f.large && first_buffer) {
      f.large = true;
      ++large_files_;
      admit_ramp_ = 1;
    }
  } else if (!op.eof) {
    // A short read: read on from where it stopped, into the rest of the same buffer, until a
    // read returns 0. O_DIRECT needs an aligned offset, so it re-reads the partial block.
    if (f.statting) {
      op.parked = true;  // OnStat reads on, or ends the file
      return;
    }
    const uint32_t pos = op.filled / align_ * align_;
    if (!IssueRead(slot, op_index, op.offset, pos).ok()) {
      f.error = Error(ErrorCode::kInternal, "read: submission queue unavailable").WithPath(f.path);
      Finish(f);
      MaybeClose(slot);
    }
    return;
  }
  if (op.offset == 0 && op.eof) {
    last_was_large_ = false;
    if (!f.large) admit_ramp_ = std::min(admit_ramp_ * 2, 64u);
  }
  op.complete = true;
  Deliver(f);
  MaybeClose(slot);
}

void FileReader::Deliver(FileState& f) {
  while (f.count > 0) {
    ReadOp& op = f.ops[f.head];
    if (!op.complete) break;
    const bool eof = op.eof;
    if (op.filled > 0) {
      f.delivered += op.filled;
      stats_.bytes += op.filled;
      HandOn(f, FileChunk{f.id, op.offset, op.filled, std::move(op.lease), eof});
    }
    op.lease.Reset();
    op.complete = false;
    f.head = (f.head + 1) % options_.reads_per_file;
    --f.count;
    if (eof) {
      Finish(f);
      break;
    }
  }
}

void FileReader::Finish(FileState& f) {
  f.finished = true;
  // Completed reads beyond the end (or after an error) are dropped; reads in flight are dropped
  // when their completions arrive.
  for (uint32_t i = 0; i < f.count; ++i) {
    ReadOp& op = f.ops[(f.head + i) % options_.reads_per_file];
    if (!op.in_flight) op.lease.Reset();
  }
}

void FileReader::MaybeClose(uint32_t slot) {
  FileState& f = files_[slot];
  if (!f.finished || f.in_flight > 0 || f.phase != FileState::Phase::kReading) return;
  for (uint32_t i = 0; i < f.count; ++i)
    f.ops[(f.head + i) % options_.reads_per_file].lease.Reset();
  f.count = 0;
  f.phase = FileState::Phase::kClosing;  // queued; IssueReads submits it
  to_close_.push_back(slot);
}

void FileReader::OnClose(uint32_t slot, int32_t res) {
  FileState& f = files_[slot];
  if (res < 0 && !f.error) f.error = Error::FromErrno(-res, "close").WithPath(f.path);
  FreeSlot(slot, f.error ? Status(*f.error) : OkStatus());
}

void FileReader::FreeSlot(uint32_t slot, const Status& status) {
  FileState& f = files_[slot];
  if (f.dir_fd >= 0) ::close(std::exchange(f.dir_fd, -1));
  if (f.large) --large_files_;
  f.large = false;
  f.phase = FileState::Phase::kFree;
  --open_files_;
  free_slots_.push_back(slot);
  if (status.ok()) {
    ++stats_.files_ok;
  } else {
    ++stats_.files_failed;
  }
  if (!options_.ordered) {
    handler_->OnFileEnd({f.id, status, f.delivered, f.size_at_open});
    return;
  }
  f.pending->done = true;
  f.pending->status = status;
  f.pending->bytes = f.delivered;
  f.pending->size_at_open = f.size_at_open;
  f.pending = nullptr;
  Flush();
}

void FileReader::HandOn(FileState& f, FileChunk&& chunk) {
  if (!options_.ordered) {
    handler_->OnChunk(std::move(chunk));
    return;
  }
  f.pending->chunks.push_back(std::move(chunk));
  if (f.pending == pending_.front().get()) Flush();
}

void FileReader::Flush() {
  while (!pending_.empty()) {
    PendingFile& head = *pending_.front();
    for (FileChunk& chunk : head.chunks) handler_->OnChunk(std::move(chunk));
    head.chunks.clear();
    if (!head.done) return;
    const std::unique_ptr<PendingFile> done = std::move(pending_.front());
    pending_.pop_front();
    handler_->OnFileEnd({done->id, done->status, done->bytes, done->size_at_open});
  }
}

uint32_t FileReader::BuffersHeldBehindHead() const {
  if (pending_.empty()) return 0;
  const PendingFile* head = pending_.front().get();
  uint32_t held = 0;  // whole buffers: slices come from a store of their own
  auto count = [&](const Lease& lease) { held += lease.valid() && !lease.slice() ? 1u : 0u; };
  for (std::size_t i = 1; i < pending_.size(); ++i) {
    for (const FileChunk& chunk : pending_[i]->chunks) count(chunk.lease);
  }
  for (const FileState& f : files_) {
    if (f.phase == FileState::Phase::kFree || f.pending == head) continue;
    for (const ReadOp& op : f.ops) count(op.lease);
  }
  return held;
}

}  // namespace ringflow::uring

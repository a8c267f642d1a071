// Engine: one io_uring (or, where io_uring is refused, a plain pread backend behind the same
// interface), created once, with a sparse registered file table and the buffer pool registered as
// fixed buffers. The submission side queues requests (Prep*) and submits them in one batch
// (Submit = io_uring_submit_and_wait); the completion side reaps completions in batches (Reap).
// `user_data` is the caller's: it comes back unchanged in the request's Completion.
// Thread-safety: none. The thread that calls Create owns the engine (the ring is created with
// IORING_SETUP_SINGLE_ISSUER and a registered ring fd, both tied to that thread); every call must
// come from it. Other threads talk to the owner through their own bounded queues.
// No hidden threads and no retries: every negative result reaches the caller in its Completion.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "framework/core/result.h"
#include "framework/uring/buffer_pool.h"

namespace ringflow::uring {

enum class BackendKind { kAuto, kUring, kPread };
const char* BackendName(BackendKind kind);
// "auto", "uring", "pread"; kInvalidArgument otherwise.
Result<BackendKind> ParseBackend(std::string_view name);

struct EngineOptions {
  BackendKind backend = BackendKind::kAuto;
  // Submission queue entries; the completion queue gets twice as many.
  uint32_t queue_depth = 256;
  // Slots in the registered file table (files open at once, direct descriptors).
  uint32_t file_slots = 128;
  // A kernel thread polls the submission queue. Off by default: on 2 cores the polling thread
  // takes a core the parsers need (bench/NOTES.md).
  bool sqpoll = false;
  // Try IORING_SETUP_DEFER_TASKRUN (completions run only when the owner waits).
  bool defer_taskrun = false;
  bool register_buffers = true;
  // Open files straight into table slots (direct descriptors, 5.15+). Off, or where the kernel
  // lacks them, opens return plain descriptors (still opened and closed in the ring).
  bool direct_descriptors = true;
  bool register_ring_fd = true;
  // Cap on the kernel's bounded io-wq workers (cold opens that miss the dentry cache run there);
  // 0 keeps the kernel's default (min(SQ entries, 4 x CPUs)).
  uint32_t iowq_bounded_workers = 32;
  // When the backend is kAuto and io_uring is refused, say so once on stderr.
  bool announce_fallback = true;
};

// What the engine uses and why not, for `ringflow doctor` and tests.
struct Feature {
  std::string name;
  bool used = false;
  std::string note;  // why not, or a detail
};

struct Completion {
  uint64_t user_data;
  int32_t res;  // >= 0: result; < 0: -errno
};

// A file the engine can read: a slot of the registered table, or a plain descriptor.
struct FileRef {
  int32_t value = -1;
  bool fixed = false;
  static FileRef Slot(uint32_t slot) { return {static_cast<int32_t>(slot), true}; }
  static FileRef Fd(int fd) { return {fd, false}; }
};

class Engine;

// A descriptor the caller opened itself, registered into a slot of the engine's file table.
// Move-only; unregisters the slot when destroyed. The caller still owns (and closes) the fd.
// REQUIRES: the engine outlives the handle; used on the engine's owner thread.
class FileHandle {
 public:
  FileHandle() = default;
  FileHandle(FileHandle&& other) noexcept;
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle();

  FileRef ref() const { return ref_; }
  bool valid() const { return engine_ != nullptr; }

 private:
  friend class Engine;
  FileHandle(Engine* engine, FileRef ref) : engine_(engine), ref_(ref) {}
  Engine* engine_ = nullptr;
  FileRef ref_;
};

class Engine {
 public:
  // Creates the ring (or the pread backend), probes the kernel's features and registers `pool`'s
  // region as fixed buffers when it can. `pool` may be null (then reads use plain buffers) and
  // must outlive the engine. Errors: kUnsupported/kPermissionDenied when io_uring was asked for
  // explicitly and is refused; kResourceExhausted when the ring cannot be sized.
  // A refused buffer registration (RLIMIT_MEMLOCK for non-root users) is not an error: the engine
  // falls back to unregistered buffers and says why in features().
  static Result<std::unique_ptr<Engine>> Create(const EngineOptions& options, BufferPool* pool);
  virtual ~Engine() = default;

  virtual BackendKind kind() const = 0;
  const std::vector<Feature>& features() const { return features_; }
  // True if PrepOpen places the file in the given table slot (direct descriptor); false if the
  // open's completion returns a plain descriptor instead (old kernels).
  bool direct_descriptors() const { return direct_descriptors_; }
  uint32_t file_slots() const { return file_slots_; }

  // ---- Submission side. Each Prep* queues one request and returns false if the submission
  // queue is full (call Submit, then try again). Nothing reaches the kernel before Submit.
  // Opens `path` (relative to the working directory) into table slot `slot`; the completion's
  // res is 0 (direct) or the new descriptor (see direct_descriptors()). `path` must stay valid
  // until Submit returns.
  bool PrepOpen(uint32_t slot, const char* path, int open_flags, uint64_t user_data) {
    return PrepOpenAt(slot, AT_FDCWD, path, open_flags, user_data, false);
  }
  // The same relative to the directory descriptor `dir_fd` (which must stay open until the
  // completion is reaped). link_next: the next request queued runs only after this one, and
  // completes with -ECANCELED if this one fails (IOSQE_IO_LINK); queue it before Submit.
  virtual bool PrepOpenAt(uint32_t slot, int dir_fd, const char* path, int open_flags,
                          uint64_t user_data, bool link_next) = 0;
  // statx(2) of what `file` reads where the backend can (the pread backend, plain descriptors),
  // else of `path` relative to `dir_fd`, following symlinks: STATX_TYPE and STATX_SIZE into
  // *out, which must stay valid until the completion is reaped (res 0 or -errno). io_uring
  // cannot stat a direct descriptor: callers that must know what they opened stat its path,
  // linked right after the open.
  virtual bool PrepStatx(FileRef file, int dir_fd, const char* path, struct statx* out,
                         uint64_t user_data) = 0;
  // Reads up to `len` bytes at `offset` into `buf`; READ_FIXED when `buf` lies in the registered
  // pool. The buffer must stay valid until the completion is reaped.
  virtual bool PrepRead(FileRef file, void* buf, uint32_t len, uint64_t offset,
                        uint64_t user_data) = 0;
  // Closes a slot (direct) or a descriptor.
  virtual bool PrepClose(FileRef file, uint64_t user_data) = 0;
  // Requests queued and not yet submitted, and free submission queue entries.
  virtual uint32_t pending() const = 0;
  virtual uint32_t sq_space() const = 0;
  // Submits everything queued in one system call and waits until at least `wait_nr`
  // completions are ready. Returns the number submitted.
  virtual Result<uint32_t> Submit(uint32_t wait_nr) = 0;

  // ---- Completion side. Copies up to out.size() ready completions and consumes them.
  virtual std::size_t Reap(std::span<Completion> out) = 0;

  // Registers a descriptor the caller opened into a free slot (taken from the top of the table:
  // callers that manage slots themselves use [0, file_slots() - registered)).
  Result<FileHandle> RegisterFile(int fd);

 protected:
  Engine() = default;
  virtual Status UpdateSlot(uint32_t slot, int fd) = 0;

  std::vector<Feature> features_;
  bool direct_descriptors_ = false;
  uint32_t file_slots_ = 0;

 private:
  friend class FileHandle;
  void ReleaseHandle(FileRef ref) noexcept;
  std::vector<uint32_t> handle_slots_;  // slots lent to FileHandles, counted from the top
};

// Probes what io_uring offers on this kernel without keeping a ring: for `ringflow doctor`.
struct ProbeReport {
  bool uring_available = false;
  std::string uring_error;  // why not, when unavailable
  std::vector<Feature> features;
};
ProbeReport ProbeKernel(const EngineOptions& options);

// "2.3": the liburing this was built against.
std::string LiburingVersion();

}  // namespace ringflow::uring

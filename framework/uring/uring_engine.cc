// The io_uring backend. Set-up probes the kernel and falls back feature by feature; what is in
// use (and why something is not) is recorded in features() for `ringflow doctor`.
#include <fcntl.h>
#include <liburing.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "framework/uring/internal/backends.h"

#ifndef RINGFLOW_LIBURING_VERSION
#define RINGFLOW_LIBURING_VERSION "unknown"
#endif

namespace ringflow::uring {

std::string LiburingVersion() { return RINGFLOW_LIBURING_VERSION; }

namespace internal {
namespace {

struct SetupChoice {
  unsigned flags;
  const char* name;
};

std::string MiB(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string MemlockLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return "unknown";
  if (rl.rlim_cur == RLIM_INFINITY) return "unlimited";
  return MiB(rl.rlim_cur);
}

// Set-up flag combinations, best first. SUBMIT_ALL keeps one bad request from stalling the rest
// of a batch; SINGLE_ISSUER lets the kernel skip locking; DEFER_TASKRUN runs completions only
// when we wait; COOP_TASKRUN avoids interrupting the owner with IPIs.
std::vector<SetupChoice> SetupChoices(const EngineOptions& options) {
  std::vector<SetupChoice> choices;
  const unsigned base = IORING_SETUP_SUBMIT_ALL;
  if (options.sqpoll) {
    // DEFER_TASKRUN is refused together with SQPOLL.
    choices.push_back({base | IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER,
                       "SQPOLL|SINGLE_ISSUER|SUBMIT_ALL"});
    choices.push_back({base | IORING_SETUP_SQPOLL, "SQPOLL|SUBMIT_ALL"});
    choices.push_back({IORING_SETUP_SQPOLL, "SQPOLL"});
  }
  if (options.defer_taskrun) {
    choices.push_back({base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                       "SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL"});
  }
  choices.push_back(
      {base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
       "SINGLE_ISSUER|COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL"});
  choices.push_back({base | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
                     "COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL"});
  choices.push_back({base, "SUBMIT_ALL"});
  choices.push_back({0, "(none)"});
  return choices;
}

class UringEngine final : public Engine {
 public:
  UringEngine() = default;
  ~UringEngine() override {
    if (initialised_) io_uring_queue_exit(&ring_);
  }

  Status Init(const EngineOptions& options, BufferPool* pool) {
    pool_ = pool;
    RINGFLOW_RETURN_IF_ERROR(SetUpRing(options));
    RINGFLOW_RETURN_IF_ERROR(ProbeOpcodes());
    SetUpFileTable(options.file_slots);
    if (options.direct_descriptors) {
      ProbeDirectOpen();
    } else {
      features_.push_back(
          {"direct descriptors (open/close in the ring)", false, "disabled by option"});
    }
    SetUpBuffers(options);
    if (options.register_ring_fd) {
      const int ret = io_uring_register_ring_fd(&ring_);
      features_.push_back(
          {"registered ring fd", ret == 1, ret == 1 ? "" : "refused: " + DescribeErrno(-ret)});
    } else {
      features_.push_back({"registered ring fd", false, "disabled by option"});
    }
    if (options.iowq_bounded_workers > 0) {
      unsigned values[2] = {options.iowq_bounded_workers, 0};
      const int ret = io_uring_register_iowq_max_workers(&ring_, values);
      features_.push_back({"io-wq bounded workers cap", ret == 0,
                           ret == 0 ? std::to_string(options.iowq_bounded_workers)
                                    : "refused: " + DescribeErrno(-ret)});
    }
    return OkStatus();
  }

  BackendKind kind() const override { return BackendKind::kUring; }

  bool PrepOpenAt(uint32_t slot, int dir_fd, const char* path, int open_flags, uint64_t user_data,
                  bool link_next) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return false;
    if (direct_descriptors_) {
      // An explicit slot, never IORING_FILE_INDEX_ALLOC: liburing 2.3's helper turns that into
      // a plain open (it adds 1 and wraps to 0). The caller owns the slot until its close CQE.
      // No O_CLOEXEC: a direct descriptor is not in the fd table and the kernel refuses the flag.
      io_uring_prep_openat_direct(sqe, dir_fd, path, open_flags & ~O_CLOEXEC, 0, slot);
    } else {
      io_uring_prep_openat(sqe, dir_fd, path, open_flags | O_CLOEXEC, 0);
    }
    if (link_next) sqe->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
  }

  bool PrepStatx(FileRef file, int dir_fd, const char* path, struct statx* out,
                 uint64_t user_data) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return false;
    constexpr unsigned kMask = STATX_TYPE | STATX_SIZE;
    // Safe: the caller keeps *out alive until the CQE; the kernel copies `path` at submission.
    if (!file.fixed && file.value >= 0) {
      io_uring_prep_statx(sqe, file.value, "", AT_EMPTY_PATH, kMask, out);
    } else {
      io_uring_prep_statx(sqe, dir_fd, path, 0, kMask, out);
    }
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
  }

  bool PrepRead(FileRef file, void* buf, uint32_t len, uint64_t offset,
                uint64_t user_data) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return false;
    // Safe: the caller keeps `buf` (a pool lease) alive until this request's CQE is reaped, and a
    // fixed read's address lies inside the one registered iovec (checked by Contains).
    if (fixed_buffers_ && pool_->Contains(buf)) {
      io_uring_prep_read_fixed(sqe, file.value, buf, len, offset, 0);
    } else {
      io_uring_prep_read(sqe, file.value, buf, len, offset);
    }
    if (file.fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
  }

  bool PrepClose(FileRef file, uint64_t user_data) override {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return false;
    if (file.fixed) {
      io_uring_prep_close_direct(sqe, static_cast<unsigned>(file.value));
    } else {
      io_uring_prep_close(sqe, file.value);
    }
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
  }

  uint32_t pending() const override { return io_uring_sq_ready(&ring_); }
  uint32_t sq_space() const override { return io_uring_sq_space_left(&ring_); }

  Result<uint32_t> Submit(uint32_t wait_nr) override {
    if (sqpoll_ && wait_nr == 0 && io_uring_sq_space_left(&ring_) == 0) {
      // Under SQPOLL a full SQ is a normal state: wait for the kernel thread to take entries.
      io_uring_sqring_wait(&ring_);
    }
    for (;;) {
      const int ret = io_uring_submit_and_wait(&ring_, wait_nr);
      if (ret >= 0) return static_cast<uint32_t>(ret);
      // EINTR interrupts the wait, not the submission; waiting again repeats no I/O.
      if (ret == -EINTR) continue;
      return Error::FromErrno(-ret, "io_uring_submit_and_wait");
    }
  }

  std::size_t Reap(std::span<Completion> out) override {
    io_uring_cqe* cqes[64];
    std::size_t total = 0;
    while (total < out.size()) {
      const unsigned want = static_cast<unsigned>(std::min<std::size_t>(64, out.size() - total));
      const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, want);
      if (n == 0) break;
      for (unsigned i = 0; i < n; ++i) {
        out[total++] = {io_uring_cqe_get_data64(cqes[i]), cqes[i]->res};
      }
      io_uring_cq_advance(&ring_, n);
    }
    return total;
  }

 protected:
  Status UpdateSlot(uint32_t slot, int fd) override {
    if (!fixed_files_) {
      return Error(ErrorCode::kUnsupported, "register file: no registered file table");
    }
    int fds[1] = {fd};
    const int ret = io_uring_register_files_update(&ring_, slot, fds, 1);
    if (ret < 0) return Error::FromErrno(-ret, "io_uring_register_files_update");
    return OkStatus();
  }

 private:
  Status SetUpRing(const EngineOptions& options) {
    int last = 0;
    for (const SetupChoice& choice : SetupChoices(options)) {
      io_uring_params params{};
      params.flags = choice.flags | IORING_SETUP_CQSIZE;
      params.cq_entries = 2 * options.queue_depth;
      if (choice.flags & IORING_SETUP_SQPOLL) params.sq_thread_idle = 50;  // ms
      const int ret = io_uring_queue_init_params(options.queue_depth, &ring_, &params);
      if (ret == 0) {
        initialised_ = true;
        sqpoll_ = (choice.flags & IORING_SETUP_SQPOLL) != 0;
        features_.push_back({"backend", true, "io_uring"});
        features_.push_back({"setup flags", true, choice.name});
        features_.push_back({"SQPOLL", sqpoll_,
                             options.sqpoll ? (sqpoll_ ? "" : "refused by the kernel")
                                            : "off by default: costs a core on 2 vCPUs"});
        features_.push_back(
            {"DEFER_TASKRUN", (choice.flags & IORING_SETUP_DEFER_TASKRUN) != 0,
             options.defer_taskrun ? "" : "off by default: no gain for unlinked requests"});
        return OkStatus();
      }
      last = -ret;
      // EINVAL: this kernel does not know a flag; try the next combination. A refusal of the
      // whole facility (seccomp, io_uring_disabled) fails every combination alike.
      if (last == EPERM || last == ENOSYS || last == EACCES) break;
      if (last != EINVAL) break;
    }
    Error error = Error::FromErrno(last, "io_uring_setup");
    if (last == ENOSYS || last == EINVAL) {
      return Error(ErrorCode::kUnsupported, error.message(), last);
    }
    if (last == EPERM || last == EACCES) {
      return Error(ErrorCode::kPermissionDenied, error.message(), last);
    }
    return error;
  }

  Status ProbeOpcodes() {
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    if (probe == nullptr) {
      return Error(ErrorCode::kUnsupported, "io_uring: the kernel cannot list its opcodes");
    }
    struct Needed {
      int op;
      const char* name;
    };
    const Needed needed[] = {{IORING_OP_OPENAT, "OPENAT"},
                             {IORING_OP_READ, "READ"},
                             {IORING_OP_READ_FIXED, "READ_FIXED"},
                             {IORING_OP_CLOSE, "CLOSE"},
                             {IORING_OP_STATX, "STATX"}};
    std::string missing;
    for (const Needed& n : needed) {
      if (!io_uring_opcode_supported(probe, n.op)) missing += std::string(" ") + n.name;
    }
    io_uring_free_probe(probe);
    if (!missing.empty()) {
      return Error(ErrorCode::kUnsupported, "io_uring: opcodes missing:" + missing);
    }
    features_.push_back({"opcodes OPENAT READ READ_FIXED CLOSE STATX", true, ""});
    return OkStatus();
  }

  void SetUpFileTable(uint32_t slots) {
    file_slots_ = slots;
    int ret = io_uring_register_files_sparse(&ring_, slots);
    if (ret == 0) {
      fixed_files_ = true;
      features_.push_back({"sparse registered file table", true, std::to_string(slots) + " slots"});
      return;
    }
    // Before 5.19 a table of -1 entries does the same.
    std::vector<int> empty(slots, -1);
    ret = io_uring_register_files(&ring_, empty.data(), slots);
    fixed_files_ = ret == 0;
    features_.push_back({"sparse registered file table", fixed_files_,
                         fixed_files_ ? "registered as -1 entries (pre-5.19 kernel)"
                                      : "refused: " + DescribeErrno(-ret)});
  }

  // Opens "/" into slot 0 and closes it again: the only sure test that this kernel honours the
  // file_index field (before 5.15 it is ignored and the open returns a plain descriptor).
  void ProbeDirectOpen() {
    if (!fixed_files_) {
      features_.push_back(
          {"direct descriptors (open/close in the ring)", false, "needs a registered file table"});
      return;
    }
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_openat_direct(sqe, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0, 0);
    io_uring_cqe* cqe = nullptr;
    int ret = io_uring_submit_and_wait(&ring_, 1);
    int res = -EIO;
    if (ret >= 0 && io_uring_peek_cqe(&ring_, &cqe) == 0) {
      res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
    }
    if (res == 0) {
      sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_close_direct(sqe, 0);
      ret = io_uring_submit_and_wait(&ring_, 1);
      if (ret >= 0 && io_uring_peek_cqe(&ring_, &cqe) == 0) {
        res = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
      }
    } else if (res > 0) {
      ::close(res);  // The kernel ignored file_index and opened a plain descriptor.
      res = -EOPNOTSUPP;
    }
    direct_descriptors_ = res == 0;
    features_.push_back({"direct descriptors (open/close in the ring)", direct_descriptors_,
                         direct_descriptors_ ? "" : "refused: " + DescribeErrno(-res)});
  }

  void SetUpBuffers(const EngineOptions& options) {
    const std::string name = "registered buffers (READ_FIXED)";
    if (pool_ == nullptr) {
      features_.push_back({name, false, "no buffer pool"});
      return;
    }
    if (!options.register_buffers) {
      features_.push_back({name, false, "disabled by option"});
      return;
    }
    iovec iov{pool_->region(), pool_->region_size()};
    const int ret = io_uring_register_buffers(&ring_, &iov, 1);
    fixed_buffers_ = ret == 0;
    if (fixed_buffers_) {
      features_.push_back({name, true, MiB(pool_->region_size())});
    } else {
      // Pinned memory counts against RLIMIT_MEMLOCK for users without CAP_IPC_LOCK.
      features_.push_back({name, false,
                           "refused: " + DescribeErrno(-ret) + "; pool " +
                               MiB(pool_->region_size()) + ", RLIMIT_MEMLOCK " + MemlockLimit() +
                               " (raise it with `ulimit -l` or use fewer/smaller buffers); "
                               "reading into unregistered buffers"});
    }
  }

  io_uring ring_{};
  bool initialised_ = false;
  bool sqpoll_ = false;
  bool fixed_files_ = false;
  bool fixed_buffers_ = false;
  BufferPool* pool_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Engine>> CreateUringEngine(const EngineOptions& options, BufferPool* pool) {
  auto engine = std::make_unique<UringEngine>();
  RINGFLOW_RETURN_IF_ERROR(engine->Init(options, pool));
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace internal

ProbeReport ProbeKernel(const EngineOptions& options) {
  ProbeReport report;
  auto engine = internal::CreateUringEngine(options, nullptr);
  if (!engine.ok()) {
    report.uring_error = engine.error().message();
    return report;
  }
  report.uring_available = true;
  report.features = (*engine)->features();
  return report;
}

}  // namespace ringflow::uring

// The fallback backend: the same requests, executed synchronously with openat/fstat/pread/close
// when Submit is called, in the order they were queued. Slots map to plain descriptors.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <string>
#include <vector>

#include "framework/uring/internal/backends.h"

namespace ringflow::uring::internal {
namespace {

class PreadEngine final : public Engine {
 public:
  PreadEngine(const EngineOptions& options)
      : queue_depth_(options.queue_depth), fds_(options.file_slots, -1) {
    file_slots_ = options.file_slots;
    direct_descriptors_ = true;  // slots are emulated: the open lands in the slot's table entry
    features_.push_back({"backend", true, "pread (synchronous openat/pread/close)"});
  }
  ~PreadEngine() override {
    for (int fd : fds_) {
      if (fd >= 0 && !borrowed(fd)) ::close(fd);
    }
  }

  BackendKind kind() const override { return BackendKind::kPread; }

  bool PrepOpenAt(uint32_t slot, int dir_fd, const char* path, int open_flags, uint64_t user_data,
                  bool link_next) override {
    if (queued_.size() >= queue_depth_) return false;
    queued_.push_back({Op::kOpen, user_data, FileRef::Slot(slot), path, open_flags, nullptr, 0, 0,
                       dir_fd, link_next, nullptr});
    return true;
  }
  bool PrepStatx(FileRef file, int dir_fd, const char* path, struct statx* out,
                 uint64_t user_data) override {
    if (queued_.size() >= queue_depth_) return false;
    queued_.push_back({Op::kStatx, user_data, file, path, 0, nullptr, 0, 0, dir_fd, false, out});
    return true;
  }
  bool PrepRead(FileRef file, void* buf, uint32_t len, uint64_t offset,
                uint64_t user_data) override {
    if (queued_.size() >= queue_depth_) return false;
    queued_.push_back(
        {Op::kRead, user_data, file, nullptr, 0, buf, len, offset, AT_FDCWD, false, nullptr});
    return true;
  }
  bool PrepClose(FileRef file, uint64_t user_data) override {
    if (queued_.size() >= queue_depth_) return false;
    queued_.push_back(
        {Op::kClose, user_data, file, nullptr, 0, nullptr, 0, 0, AT_FDCWD, false, nullptr});
    return true;
  }
  uint32_t pending() const override { return static_cast<uint32_t>(queued_.size()); }
  uint32_t sq_space() const override {
    return queue_depth_ - static_cast<uint32_t>(queued_.size());
  }

  Result<uint32_t> Submit(uint32_t /*wait_nr*/) override {
    const auto n = static_cast<uint32_t>(queued_.size());
    // As IOSQE_IO_LINK: a request linked to one that failed is not run (-ECANCELED).
    bool cancel = false;
    for (const Request& r : queued_) {
      const int32_t res = cancel ? -ECANCELED : Execute(r);
      done_.push_back({r.user_data, res});
      cancel = r.link_next && (cancel || res < 0);
    }
    queued_.clear();
    return n;
  }

  std::size_t Reap(std::span<Completion> out) override {
    std::size_t n = 0;
    while (n < out.size() && !done_.empty()) {
      out[n++] = done_.front();
      done_.pop_front();
    }
    return n;
  }

 protected:
  Status UpdateSlot(uint32_t slot, int fd) override {
    if (slot >= fds_.size()) return Error(ErrorCode::kInvalidArgument, "slot out of range");
    if (fds_[slot] >= 0) std::erase(borrowed_, fds_[slot]);
    fds_[slot] = fd;
    if (fd >= 0) borrowed_.push_back(fd);
    return OkStatus();
  }

 private:
  enum class Op { kOpen, kRead, kClose, kStatx };
  struct Request {
    Op op;
    uint64_t user_data;
    FileRef file;
    const char* path;
    int flags;
    void* buf;
    uint32_t len;
    uint64_t offset;
    int dir_fd;
    bool link_next;
    struct statx* statx;
  };

  bool borrowed(int fd) const {
    for (int b : borrowed_) {
      if (b == fd) return true;
    }
    return false;
  }

  int Resolve(FileRef file) const {
    if (!file.fixed) return file.value;
    const auto slot = static_cast<std::size_t>(file.value);
    return slot < fds_.size() ? fds_[slot] : -1;
  }

  int32_t Execute(const Request& r) {
    switch (r.op) {
      case Op::kOpen: {
        const auto slot = static_cast<std::size_t>(r.file.value);
        if (slot >= fds_.size()) return -EINVAL;
        const int fd = ::openat(r.dir_fd, r.path, r.flags | O_CLOEXEC);
        if (fd < 0) return -errno;
        fds_[slot] = fd;
        return 0;
      }
      case Op::kRead: {
        const int fd = Resolve(r.file);
        if (fd < 0) return -EBADF;
        const ssize_t n = ::pread(fd, r.buf, r.len, static_cast<off_t>(r.offset));
        return n < 0 ? -errno : static_cast<int32_t>(n);
      }
      case Op::kStatx: {
        // The descriptor itself when there is one (what was opened, not what the path names now).
        const int fd = r.file.value >= 0 ? Resolve(r.file) : -1;
        struct stat st;
        if ((fd >= 0 ? ::fstat(fd, &st) : ::fstatat(r.dir_fd, r.path, &st, 0)) != 0) return -errno;
        *r.statx = {};
        r.statx->stx_mask = STATX_TYPE | STATX_SIZE;
        r.statx->stx_mode = static_cast<uint16_t>(st.st_mode);
        r.statx->stx_size = static_cast<uint64_t>(st.st_size);
        return 0;
      }
      case Op::kClose: {
        const int fd = Resolve(r.file);
        if (fd < 0) return -EBADF;
        if (r.file.fixed) fds_[static_cast<std::size_t>(r.file.value)] = -1;
        return ::close(fd) < 0 ? -errno : 0;
      }
    }
    return -EINVAL;
  }

  const uint32_t queue_depth_;
  std::vector<int> fds_;
  std::vector<int> borrowed_;  // descriptors registered by callers: never closed by us
  std::vector<Request> queued_;
  std::deque<Completion> done_;
};

}  // namespace

Result<std::unique_ptr<Engine>> CreatePreadEngine(const EngineOptions& options,
                                                  BufferPool* /*pool*/) {
  return std::unique_ptr<Engine>(new PreadEngine(options));
}

}  // namespace ringflow::uring::internal

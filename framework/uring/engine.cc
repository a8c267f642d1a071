#include "framework/uring/engine.h"

#include <algorithm>
#include <cstdio>

#include "framework/uring/internal/backends.h"

namespace ringflow::uring {

const char* BackendName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kAuto:
      return "auto";
    case BackendKind::kUring:
      return "uring";
    case BackendKind::kPread:
      return "pread";
  }
  return "?";
}

Result<BackendKind> ParseBackend(std::string_view name) {
  if (name == "auto") return BackendKind::kAuto;
  if (name == "uring" || name == "io_uring") return BackendKind::kUring;
  if (name == "pread") return BackendKind::kPread;
  return Error(ErrorCode::kInvalidArgument,
               "unknown backend \"" + std::string(name) + "\"; known: auto, uring, pread");
}

Result<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options, BufferPool* pool) {
  if (options.queue_depth == 0 || options.file_slots == 0) {
    return Error(ErrorCode::kInvalidArgument, "engine: queue depth and file slots must be > 0");
  }
  if (options.backend == BackendKind::kPread) return internal::CreatePreadEngine(options, pool);
  auto uring = internal::CreateUringEngine(options, pool);
  if (uring.ok() || options.backend == BackendKind::kUring) return uring;
  // Only a refusal (seccomp, sysctl io_uring_disabled, an old kernel) falls back; anything else
  // is a real problem the caller must see.
  const ErrorCode code = uring.error().code();
  if (code != ErrorCode::kPermissionDenied && code != ErrorCode::kUnsupported) return uring;
  if (options.announce_fallback) {
    static std::once_flag once;
    std::call_once(once, [&] {
      std::fprintf(stderr, "ringflow: io_uring unavailable (%s); using the pread backend\n",
                   uring.error().message().c_str());
    });
  }
  return internal::CreatePreadEngine(options, pool);
}

Result<FileHandle> Engine::RegisterFile(int fd) {
  if (fd < 0) return Error(ErrorCode::kInvalidArgument, "register file: negative descriptor");
  // Lend the highest free slot, so that callers managing [0, n) themselves are not disturbed.
  uint32_t slot = file_slots_;
  for (uint32_t s = file_slots_; s > 0; --s) {
    if (std::find(handle_slots_.begin(), handle_slots_.end(), s - 1) == handle_slots_.end()) {
      slot = s - 1;
      break;
    }
  }
  if (slot == file_slots_) {
    return Error(ErrorCode::kResourceExhausted, "register file: every table slot is taken");
  }
  RINGFLOW_RETURN_IF_ERROR(UpdateSlot(slot, fd));
  handle_slots_.push_back(slot);
  return FileHandle(this, FileRef::Slot(slot));
}

void Engine::ReleaseHandle(FileRef ref) noexcept {
  const auto slot = static_cast<uint32_t>(ref.value);
  (void)UpdateSlot(slot, -1);  // A failed unregister leaves a stale slot; nothing to report to.
  handle_slots_.erase(std::remove(handle_slots_.begin(), handle_slots_.end(), slot),
                      handle_slots_.end());
}

FileHandle::FileHandle(FileHandle&& other) noexcept
    : engine_(std::exchange(other.engine_, nullptr)), ref_(other.ref_) {}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    if (engine_ != nullptr) engine_->ReleaseHandle(ref_);
    engine_ = std::exchange(other.engine_, nullptr);
    ref_ = other.ref_;
  }
  return *this;
}

FileHandle::~FileHandle() {
  if (engine_ != nullptr) engine_->ReleaseHandle(ref_);
}

}  // namespace ringflow::uring

// Internal to framework/uring: the two Engine implementations.
#pragma once

#include <memory>

#include "framework/uring/engine.h"

namespace ringflow::uring::internal {

// io_uring. Errors with kPermissionDenied/kUnsupported mean "io_uring refused here".
Result<std::unique_ptr<Engine>> CreateUringEngine(const EngineOptions& options, BufferPool* pool);
// Plain openat/pread/close, executed in order when Submit is called.
Result<std::unique_ptr<Engine>> CreatePreadEngine(const EngineOptions& options, BufferPool* pool);

}  // namespace ringflow::uring::internal

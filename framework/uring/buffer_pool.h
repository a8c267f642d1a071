// BufferPool: one aligned region split into equal buffers, allocated once and (optionally)
// registered with a ring by the Engine. A Lease is the exclusive, move-only right to one buffer;
// it gives the buffer back when destroyed. A SharedLease (shared_ptr) lets several consumers hold
// one buffer; the buffer returns when the last of them lets go.
// Thread-safety: Acquire/TryAcquire/Release may be called from any thread. The pool must outlive
// every lease (the destructor asserts that all came back).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "framework/core/result.h"

namespace ringflow::uring {

class BufferPool;

class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept
      : pool_(std::exchange(other.pool_, nullptr)), index_(other.index_), data_(other.data_) {}
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { Reset(); }

  // False for a default-constructed or moved-from lease.
  bool valid() const { return pool_ != nullptr; }
  std::byte* data() const { return data_; }
  // The buffer's capacity (the pool's buffer size).
  std::size_t capacity() const;
  std::span<std::byte> span() const { return {data_, capacity()}; }
  uint32_t index() const { return index_; }

  // Gives the buffer back now; the lease becomes invalid.
  void Reset() noexcept;

 private:
  friend class BufferPool;
  Lease(BufferPool* pool, uint32_t index, std::byte* data)
      : pool_(pool), index_(index), data_(data) {}

  BufferPool* pool_ = nullptr;
  uint32_t index_ = 0;
  std::byte* data_ = nullptr;
};

// The refcounted form that flows through graphs: copyable; the buffer returns with the last copy.
using SharedLease = std::shared_ptr<const Lease>;
inline SharedLease Share(Lease&& lease) { return std::make_shared<const Lease>(std::move(lease)); }

class BufferPool {
 public:
  // `count` buffers of `buffer_size` bytes each, every one aligned to `alignment` (a power of two,
  // at least 4096 so that O_DIRECT works). The region is pre-faulted, so neither the kernel nor
  // the first reader pays page faults later. Errors: kInvalidArgument for a zero or misaligned
  // size, kResourceExhausted when the memory cannot be mapped.
  static Result<std::unique_ptr<BufferPool>> Create(std::size_t buffer_size, uint32_t count,
                                                    std::size_t alignment = 4096);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A free buffer, or nullopt when all are leased: the caller applies backpressure, the pool
  // never allocates more.
  std::optional<Lease> TryAcquire();
  // Waits up to `timeout` for a free buffer.
  std::optional<Lease> Acquire(std::chrono::milliseconds timeout);

  // Waits until at least one buffer is free or `timeout` passed; true if one is free.
  bool WaitAvailable(std::chrono::milliseconds timeout);

  std::size_t buffer_size() const { return buffer_size_; }
  uint32_t count() const { return count_; }
  uint32_t available() const;
  // Leases handed out since creation (each counted once).
  uint64_t total_acquired() const;
  // The whole region, for registration with a ring.
  std::byte* region() const { return region_; }
  std::size_t region_size() const { return region_size_; }
  // True if `p` points into the region.
  bool Contains(const void* p) const {
    auto* b = static_cast<const std::byte*>(p);
    return b >= region_ && b < region_ + region_size_;
  }

 private:
  friend class Lease;
  BufferPool(std::byte* region, std::size_t region_size, std::size_t buffer_size, uint32_t count);
  void Release(uint32_t index) noexcept;

  std::byte* const region_;
  const std::size_t region_size_;
  const std::size_t buffer_size_;
  const uint32_t count_;

  mutable std::mutex mu_;
  std::condition_variable available_cv_;
  std::vector<uint32_t> free_;   // guarded by mu_; a stack: the most recently used is warm
  std::vector<bool> leased_;     // guarded by mu_; catches a double release
  uint64_t total_acquired_ = 0;  // guarded by mu_
};

inline std::size_t Lease::capacity() const { return pool_ ? pool_->buffer_size() : 0; }

}  // namespace ringflow::uring

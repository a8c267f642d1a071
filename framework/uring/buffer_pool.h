// BufferPool: one aligned region split into equal buffers, allocated once and (optionally)
// registered with a ring by the Engine. A Lease is the exclusive, move-only right to one buffer
// (or to one slice, see TryAcquireSlice); it gives it back when destroyed. A
// SharedLease (shared_ptr) lets several consumers hold one lease; it returns when the last of
// them lets go.
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
      : pool_(std::exchange(other.pool_, nullptr)),
        index_(other.index_),
        capacity_(other.capacity_),
        slice_(other.slice_),
        data_(other.data_) {}
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { Reset(); }

  // False for a default-constructed or moved-from lease.
  bool valid() const { return pool_ != nullptr; }
  std::byte* data() const { return data_; }
  // Bytes at data(): the pool's buffer size, or its slice size for a slice.
  std::size_t capacity() const { return pool_ != nullptr ? capacity_ : 0; }
  std::span<std::byte> span() const { return {data_, capacity()}; }
  // The buffer's number (a slice: the slice's number; slices are numbered apart).
  uint32_t index() const { return index_; }
  bool slice() const { return slice_; }

  // Gives the buffer back now; the lease becomes invalid.
  void Reset() noexcept;

 private:
  friend class BufferPool;
  Lease(BufferPool* pool, uint32_t index, uint32_t capacity, bool slice, std::byte* data)
      : pool_(pool), index_(index), capacity_(capacity), slice_(slice), data_(data) {}

  BufferPool* pool_ = nullptr;
  uint32_t index_ = 0;
  uint32_t capacity_ = 0;
  bool slice_ = false;
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
  // size, kResourceExhausted when the memory cannot be mapped. Besides the buffers, `slices`
  // smaller buffers of `slice_size` bytes each (a multiple of the alignment, smaller than a
  // buffer) for TryAcquireSlice, in the same region.
  static Result<std::unique_ptr<BufferPool>> Create(std::size_t buffer_size, uint32_t count,
                                                    std::size_t alignment = 4096,
                                                    std::size_t slice_size = 0,
                                                    uint32_t slices = 0);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A free buffer, or nullopt when all are leased: the caller applies backpressure, the pool
  // never allocates more.
  std::optional<Lease> TryAcquire();
  // A free slice, else a free buffer (TryAcquire): for reads that are probably small (a file's
  // first), so that a tree of small files does not take a whole buffer per file.
  std::optional<Lease> TryAcquireSlice();
  // Waits up to `timeout` for a free buffer.
  std::optional<Lease> Acquire(std::chrono::milliseconds timeout);

  // Waits until at least one buffer (or, with `or_slice`, a buffer or a slice) is free or
  // `timeout` passed; true if one is free.
  bool WaitAvailable(std::chrono::milliseconds timeout, bool or_slice = false);

  std::size_t buffer_size() const { return buffer_size_; }
  uint32_t count() const { return count_; }
  std::size_t slice_size() const { return slice_size_; }
  uint32_t slice_count() const { return slice_count_; }
  // Buffers free (slices not counted).
  uint32_t available() const;
  // TryAcquireSlice would succeed: a slice or a buffer is free.
  bool slice_available() const;
  // Leases (whole buffers and slices) handed out since creation (each counted once).
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
  BufferPool(std::byte* region, std::size_t region_size, std::size_t buffer_size, uint32_t count,
             std::size_t slice_size, uint32_t slices);
  void Release(uint32_t index, bool slice) noexcept;
  // A free buffer (or slice), or nullopt. REQUIRES: mu_ held.
  std::optional<Lease> TakeLocked(bool slice);

  std::byte* const region_;
  const std::size_t region_size_;
  const std::size_t buffer_size_;
  const uint32_t count_;
  const std::size_t slice_size_;
  const uint32_t slice_count_;
  std::byte* const slices_;  // the slices' part of the region, after the buffers

  mutable std::mutex mu_;
  std::condition_variable available_cv_;
  std::vector<uint32_t> free_;         // guarded by mu_; a stack: the most recently used is warm
  std::vector<bool> leased_;           // guarded by mu_; catches a double release
  uint64_t total_acquired_ = 0;        // guarded by mu_
  std::vector<uint32_t> free_slices_;  // guarded by mu_; a stack, as free_
  std::vector<bool> slice_leased_;     // guarded by mu_
};

}  // namespace ringflow::uring

#include "framework/uring/buffer_pool.h"

#include <sys/mman.h>

#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace ringflow::uring {

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Reset();
    pool_ = std::exchange(other.pool_, nullptr);
    index_ = other.index_;
    capacity_ = other.capacity_;
    slice_ = other.slice_;
    data_ = other.data_;
  }
  return *this;
}

void Lease::Reset() noexcept {
  if (pool_ != nullptr) std::exchange(pool_, nullptr)->Release(index_, slice_);
}

Result<std::unique_ptr<BufferPool>> BufferPool::Create(std::size_t buffer_size, uint32_t count,
                                                       std::size_t alignment,
                                                       std::size_t slice_size, uint32_t slices) {
  if (count == 0 || buffer_size == 0) {
    return Error(ErrorCode::kInvalidArgument, "buffer pool: need at least one non-empty buffer");
  }
  if (alignment < 4096 || (alignment & (alignment - 1)) != 0 || buffer_size % alignment != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "buffer pool: buffer size " + std::to_string(buffer_size) +
                     " must be a multiple of the alignment " + std::to_string(alignment) +
                     " (at least 4096, a power of two)");
  }
  if (buffer_size > UINT32_MAX) {
    return Error(ErrorCode::kInvalidArgument,
                 "buffer pool: buffer size " + std::to_string(buffer_size) + " exceeds 4 GiB");
  }
  if (slices == 0) slice_size = 0;
  if (slices > 0 && (slice_size == 0 || slice_size % alignment != 0 || slice_size >= buffer_size)) {
    return Error(ErrorCode::kInvalidArgument,
                 "buffer pool: slice size " + std::to_string(slice_size) +
                     " must be a multiple of the alignment " + std::to_string(alignment) +
                     " and smaller than a buffer (" + std::to_string(buffer_size) + ")");
  }
  const std::size_t size = buffer_size * count + slice_size * slices;
  // Over-allocate so the region can start on a 2 MiB boundary, ask for huge pages *before*
  // touching it, then fault it in. Huge pages matter beyond TLB misses: an O_DIRECT request is
  // split by the device's segment limit (254 on virtio here), and physically contiguous 2 MiB
  // pages let a 4 MiB read go out as one request instead of four or more.
  constexpr std::size_t kHuge = 2u << 20;
  const std::size_t mapped = size + kHuge;
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return Error::FromErrno(errno, "buffer pool: mmap of " + std::to_string(size) + " bytes");
  }
  auto* base = static_cast<std::byte*>(p);
  const std::size_t lead =
      (kHuge - reinterpret_cast<std::uintptr_t>(base) % kHuge) % kHuge;  // page-aligned already
  if (lead > 0) ::munmap(base, lead);
  if (mapped - lead > size) ::munmap(base + lead + size, mapped - lead - size);
  base += lead;
  (void)::madvise(base, size, MADV_HUGEPAGE);  // best effort: THP may be off
  // Pre-fault now, so neither the kernel nor the first reader pays page faults later.
  for (std::size_t off = 0; off < size; off += 4096) base[off] = std::byte{0};
  return std::unique_ptr<BufferPool>(
      new BufferPool(base, size, buffer_size, count, slice_size, slices));
}

BufferPool::BufferPool(std::byte* region, std::size_t region_size, std::size_t buffer_size,
                       uint32_t count, std::size_t slice_size, uint32_t slices)
    : region_(region),
      region_size_(region_size),
      buffer_size_(buffer_size),
      count_(count),
      slice_size_(slice_size),
      slice_count_(slices),
      slices_(region + buffer_size * count),
      leased_(count, false),
      slice_leased_(slices, false) {
  free_.reserve(count);
  for (uint32_t i = count; i > 0; --i) free_.push_back(i - 1);
  free_slices_.reserve(slices);
  for (uint32_t i = slices; i > 0; --i) free_slices_.push_back(i - 1);
}

BufferPool::~BufferPool() {
  {
    std::lock_guard lock(mu_);
    if (free_.size() != count_ || free_slices_.size() != slice_count_) {
      // A lease outlived its pool: its holder would write into unmapped memory.
      std::fprintf(stderr,
                   "ringflow: internal error: buffer pool destroyed with %zu of %u buffers and "
                   "%zu of %u slices leased\n",
                   count_ - free_.size(), count_, slice_count_ - free_slices_.size(), slice_count_);
      std::abort();
    }
  }
  ::munmap(region_, region_size_);
}

std::optional<Lease> BufferPool::TakeLocked(bool slice) {
  std::vector<uint32_t>& free = slice ? free_slices_ : free_;
  if (free.empty()) return std::nullopt;
  const uint32_t index = free.back();
  free.pop_back();
  (slice ? slice_leased_ : leased_)[index] = true;
  ++total_acquired_;
  const std::size_t size = slice ? slice_size_ : buffer_size_;
  return Lease(this, index, static_cast<uint32_t>(size), slice,
               (slice ? slices_ : region_) + static_cast<std::size_t>(index) * size);
}

std::optional<Lease> BufferPool::TryAcquire() {
  std::lock_guard lock(mu_);
  return TakeLocked(false);
}

std::optional<Lease> BufferPool::TryAcquireSlice() {
  std::lock_guard lock(mu_);
  return free_slices_.empty() ? TakeLocked(false) : TakeLocked(true);
}

std::optional<Lease> BufferPool::Acquire(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!available_cv_.wait_for(lock, timeout, [&] { return !free_.empty(); })) return std::nullopt;
  return TakeLocked(false);
}

bool BufferPool::WaitAvailable(std::chrono::milliseconds timeout, bool or_slice) {
  std::unique_lock lock(mu_);
  return available_cv_.wait_for(
      lock, timeout, [&] { return !free_.empty() || (or_slice && !free_slices_.empty()); });
}

uint32_t BufferPool::available() const {
  std::lock_guard lock(mu_);
  return static_cast<uint32_t>(free_.size());
}

bool BufferPool::slice_available() const {
  std::lock_guard lock(mu_);
  return !free_.empty() || !free_slices_.empty();
}

uint64_t BufferPool::total_acquired() const {
  std::lock_guard lock(mu_);
  return total_acquired_;
}

void BufferPool::Release(uint32_t index, bool slice) noexcept {
  {
    std::lock_guard lock(mu_);
    std::vector<bool>& leased = slice ? slice_leased_ : leased_;
    assert(index < leased.size() && leased[index]);
    if (!leased[index]) {
      std::fprintf(stderr, "ringflow: internal error: %s %u released twice\n",
                   slice ? "slice" : "buffer", index);
      std::abort();
    }
    leased[index] = false;
    (slice ? free_slices_ : free_).push_back(index);
  }
  available_cv_.notify_one();
}

}  // namespace ringflow::uring

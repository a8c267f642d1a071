#include "framework/flow/record.h"

#include <bit>
#include <mutex>
#include <new>
#include <vector>

namespace ringflow::flow {
namespace {

// Keeps every block it ever handed out, by power-of-two size class, and hands the most recently
// returned (warm) one out first. Per class it holds what was in use at once at that class's
// peak, which the source's message bound limits, so it needs no cap.
// (std::pmr::synchronized_pool_resource gave blocks above its largest pool back to malloc on
// every batch: the per-thread malloc arenas then kept them, and peak RSS grew with the length
// of the run.)
class RecyclingBlocks final : public std::pmr::memory_resource {
 public:
  // Largest recycled class; larger blocks (a batch that holds one huge line) go to the heap.
  static constexpr unsigned kMinShift = 12, kMaxShift = 26;  // 4 KiB .. 64 MiB

 private:
  static unsigned ClassOf(std::size_t bytes) {
    return bytes <= (std::size_t{1} << kMinShift)
               ? kMinShift
               : static_cast<unsigned>(std::bit_width(bytes - 1));
  }
  // Recycled blocks are aligned for anything up to a cache line; a stricter request (or a
  // larger block) is served and returned one by one.
  static constexpr std::size_t kAlign = 64;
  static bool Recycled(unsigned c, std::size_t alignment) {
    return c <= kMaxShift && alignment <= kAlign;
  }

  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    const unsigned c = ClassOf(bytes);
    if (!Recycled(c, alignment)) return ::operator new (bytes, std::align_val_t{alignment});
    {
      std::lock_guard lock(mu_);
      std::vector<void*>& free = free_[c - kMinShift];
      if (!free.empty()) {
        void* p = free.back();
        free.pop_back();
        return p;
      }
    }
    return ::operator new (std::size_t{1} << c, std::align_val_t{kAlign});
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    const unsigned c = ClassOf(bytes);
    if (!Recycled(c, alignment)) {
      return ::operator delete (p, bytes, std::align_val_t{alignment});
    }
    std::lock_guard lock(mu_);
    free_[c - kMinShift].push_back(p);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::mutex mu_;
  std::vector<void*> free_[kMaxShift - kMinShift + 1];  // guarded by mu_
};

}  // namespace

std::pmr::memory_resource* BatchMemoryPool() {
  // Never destroyed: batches may outlive static destruction order.
  static auto* const pool = new RecyclingBlocks();
  return pool;
}

}  // namespace ringflow::flow

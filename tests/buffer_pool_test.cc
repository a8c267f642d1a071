#include "framework/uring/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::uring {
namespace {

TEST(BufferPoolTest, BuffersAreAlignedAndDistinct) {
  ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(8192, 4));
  std::vector<Lease> leases;
  std::set<std::byte*> seen;
  for (int i = 0; i < 4; ++i) {
    auto lease = pool->TryAcquire();
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(lease->data()) % 4096, 0u);
    EXPECT_EQ(lease->capacity(), 8192u);
    EXPECT_TRUE(pool->Contains(lease->data()));
    seen.insert(lease->data());
    leases.push_back(std::move(*lease));
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(pool->available(), 0u);
}

TEST(BufferPoolTest, LeaseReturnsSlotOnDestruction) {
  ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(4096, 2));
  {
    auto lease = pool->TryAcquire();
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(pool->available(), 1u);
    Lease moved = std::move(*lease);
    EXPECT_FALSE(lease->valid());
    EXPECT_TRUE(moved.valid());
    EXPECT_EQ(pool->available(), 1u);
  }
  EXPECT_EQ(pool->available(), 2u);
  auto lease = pool->TryAcquire();
  lease->Reset();
  EXPECT_FALSE(lease->valid());
  EXPECT_EQ(pool->available(), 2u);
  lease->Reset();  // a second Reset is a no-op, not a second release
  EXPECT_EQ(pool->available(), 2u);
}

TEST(BufferPoolTest, ExhaustionAppliesBackpressureInsteadOfAllocating) {
  ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(4096, 2));
  auto a = pool->TryAcquire();
  auto b = pool->TryAcquire();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(pool->TryAcquire().has_value());
  EXPECT_FALSE(pool->Acquire(std::chrono::milliseconds(20)).has_value());
  EXPECT_FALSE(pool->WaitAvailable(std::chrono::milliseconds(1)));
  EXPECT_EQ(pool->total_acquired(), 2u);
  // A release on another thread wakes a blocked Acquire.
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    a->Reset();
  });
  auto c = pool->Acquire(std::chrono::seconds(10));
  releaser.join();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(pool->total_acquired(), 3u);
}

TEST(BufferPoolTest, SharedLeaseReturnsAfterLastHolder) {
  ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(4096, 1));
  SharedLease first = Share(std::move(*pool->TryAcquire()));
  SharedLease second = first;  // fan-out: two consumers
  SharedLease third = second;
  first.reset();
  second.reset();
  EXPECT_EQ(pool->available(), 0u);
  third.reset();
  EXPECT_EQ(pool->available(), 1u);
}

TEST(BufferPoolTest, EveryBufferComesBackExactlyOnceUnderConcurrentFanOut) {
  constexpr uint32_t kBuffers = 8;
  ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(4096, kBuffers));
  constexpr int kRounds = 2000;
  std::vector<std::thread> consumers;
  std::mutex mu;
  std::vector<SharedLease> inbox_a, inbox_b;
  std::atomic<bool> done{false};
  auto consume = [&](std::vector<SharedLease>& inbox) {
    while (!done.load() || [&] {
      std::lock_guard l(mu);
      return !inbox.empty();
    }()) {
      std::vector<SharedLease> mine;
      {
        std::lock_guard lock(mu);
        mine.swap(inbox);
      }
      mine.clear();  // drop our shares
      std::this_thread::yield();
    }
  };
  consumers.emplace_back(consume, std::ref(inbox_a));
  consumers.emplace_back(consume, std::ref(inbox_b));
  for (int i = 0; i < kRounds; ++i) {
    auto lease = pool->Acquire(std::chrono::seconds(10));
    ASSERT_TRUE(lease.has_value());
    SharedLease shared = Share(std::move(*lease));
    std::lock_guard lock(mu);
    inbox_a.push_back(shared);
    inbox_b.push_back(shared);
  }
  done = true;
  for (auto& t : consumers) t.join();
  EXPECT_EQ(pool->available(), kBuffers);
  EXPECT_EQ(pool->total_acquired(), static_cast<uint64_t>(kRounds));
}

TEST(BufferPoolTest, RejectsBadSizes) {
  EXPECT_FALSE(BufferPool::Create(0, 4).ok());
  EXPECT_FALSE(BufferPool::Create(4096, 0).ok());
  EXPECT_FALSE(BufferPool::Create(5000, 4).ok());
  EXPECT_EQ(BufferPool::Create(5000, 4).error().code(), ErrorCode::kInvalidArgument);
}

TEST(BufferPoolTest, SlicesComeFromTheirOwnStoreThenFromBuffers) {
  ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(16384, 2, 4096, 4096, 3));
  EXPECT_EQ(pool->slice_size(), 4096u);
  EXPECT_EQ(pool->slice_count(), 3u);
  EXPECT_EQ(pool->region_size(), 2u * 16384 + 3u * 4096);
  std::vector<Lease> slices;
  std::set<std::byte*> seen;
  for (int i = 0; i < 3; ++i) {
    auto slice = pool->TryAcquireSlice();
    ASSERT_TRUE(slice.has_value());
    EXPECT_TRUE(slice->slice());
    EXPECT_EQ(slice->capacity(), 4096u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(slice->data()) % 4096, 0u);
    EXPECT_TRUE(pool->Contains(slice->data()));
    EXPECT_TRUE(pool->Contains(slice->data() + 4095));
    seen.insert(slice->data());
    slices.push_back(std::move(*slice));
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(pool->available(), 2u) << "slices took no buffer";
  // No slice left: a whole buffer instead, until none is left either.
  auto whole = pool->TryAcquireSlice();
  ASSERT_TRUE(whole.has_value());
  EXPECT_FALSE(whole->slice());
  EXPECT_EQ(whole->capacity(), 16384u);
  EXPECT_FALSE(seen.count(whole->data()));
  auto last = pool->TryAcquire();
  ASSERT_TRUE(last.has_value());
  EXPECT_FALSE(pool->slice_available());
  EXPECT_FALSE(pool->TryAcquireSlice().has_value());
  EXPECT_FALSE(pool->WaitAvailable(std::chrono::milliseconds(1), /*or_slice=*/true));
  // A slice back: it serves slices (and wakes a waiter that takes one), never a whole lease.
  slices.pop_back();
  EXPECT_TRUE(pool->slice_available());
  EXPECT_TRUE(pool->WaitAvailable(std::chrono::milliseconds(1), /*or_slice=*/true));
  EXPECT_FALSE(pool->WaitAvailable(std::chrono::milliseconds(1)));
  EXPECT_FALSE(pool->TryAcquire().has_value());
  auto again = pool->TryAcquireSlice();
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->slice());
  EXPECT_EQ(pool->total_acquired(), 6u);
}

TEST(BufferPoolTest, RejectsSlicesThatAreNotSmallerAlignedParts) {
  EXPECT_EQ(BufferPool::Create(8192, 2, 4096, 8192, 4).error().code(),
            ErrorCode::kInvalidArgument);  // not smaller than a buffer
  EXPECT_EQ(BufferPool::Create(8192, 2, 4096, 1000, 4).error().code(),
            ErrorCode::kInvalidArgument);  // not aligned
  EXPECT_EQ(BufferPool::Create(8192, 2, 4096, 0, 4).error().code(), ErrorCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto none, BufferPool::Create(8192, 2, 4096, 4096, 0));
  auto lease = none->TryAcquireSlice();  // no slices: a buffer
  ASSERT_TRUE(lease.has_value());
  EXPECT_FALSE(lease->slice());
}

TEST(BufferPoolDeathTest, PoolDestroyedWithSliceOutstandingAborts) {
  EXPECT_DEATH(
      {
        auto pool = BufferPool::Create(8192, 1, 4096, 4096, 2);
        auto lease = (*pool)->TryAcquireSlice();
        Lease* leaked = new Lease(std::move(*lease));
        (void)leaked;
        pool->reset();
      },
      "0 of 1 buffers and 1 of 2 slices leased");
}

TEST(BufferPoolDeathTest, PoolDestroyedWithLeaseOutstandingAborts) {
  EXPECT_DEATH(
      {
        auto pool = BufferPool::Create(4096, 1);
        auto lease = (*pool)->TryAcquire();
        Lease* leaked = new Lease(std::move(*lease));
        (void)leaked;
        pool->reset();
      },
      "destroyed with 1 of 1 buffers and 0 of 0 slices leased");
}

}  // namespace
}  // namespace ringflow::uring

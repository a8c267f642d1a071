// Record memory: the batch memory pool (recycles blocks by size class, aligned, thread-safe),
// the Arena, and Value's factories.
#include "framework/flow/record.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "framework/flow/stage.h"

namespace ringflow::flow {
namespace {

bool AlignedTo(const void* p, std::size_t alignment) {
  return reinterpret_cast<std::uintptr_t>(p) % alignment == 0;
}

TEST(BatchMemoryPoolTest, AReturnedBlockIsHandedOutAgainForAnySizeOfItsClass) {
  std::pmr::memory_resource* pool = BatchMemoryPool();
  // 3 MiB and 3.5 MiB are both in the 4 MiB class; the most recently returned block comes first.
  void* a = pool->allocate(3 << 20, alignof(std::max_align_t));
  std::memset(a, 0xab, 3 << 20);  // the whole requested size is writable
  pool->deallocate(a, 3 << 20, alignof(std::max_align_t));
  void* b = pool->allocate((7 << 20) / 2, alignof(std::max_align_t));
  EXPECT_EQ(b, a);
  std::memset(b, 0xcd, (7 << 20) / 2);
  // Another class gets another block, while `b` is out.
  void* c = pool->allocate(96 * 1024, alignof(std::max_align_t));
  EXPECT_NE(c, b);
  pool->deallocate(c, 96 * 1024, alignof(std::max_align_t));
  pool->deallocate(b, (7 << 20) / 2, alignof(std::max_align_t));
}

TEST(BatchMemoryPoolTest, BlocksAreAlignedAsAskedAndOddSizesWork) {
  std::pmr::memory_resource* pool = BatchMemoryPool();
  for (std::size_t alignment :
       {std::size_t{1}, std::size_t{16}, std::size_t{64}, std::size_t{256}, std::size_t{4096}}) {
    for (std::size_t size :
         {std::size_t{1}, std::size_t{4097}, std::size_t{100000}, (std::size_t{64} << 20) + 1}) {
      void* p = pool->allocate(size, alignment);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(AlignedTo(p, alignment)) << "size " << size << ", alignment " << alignment;
      static_cast<char*>(p)[0] = 1;
      static_cast<char*>(p)[size - 1] = 2;
      pool->deallocate(p, size, alignment);
    }
  }
}

TEST(BatchMemoryPoolTest, BlocksInUseAtOnceAreDistinctAcrossThreads) {
  // Four threads take and return blocks of a few classes; a block is never held twice at once
  // (each writes its own pattern and checks it before giving the block back).
  std::pmr::memory_resource* pool = BatchMemoryPool();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2000; ++round) {
        const std::size_t size = std::size_t{4096} << (round % 5);
        auto* p = static_cast<unsigned char*>(pool->allocate(size, 16));
        std::memset(p, t + 1, size);
        std::this_thread::yield();
        for (std::size_t i = 0; i < size; i += 512) {
          if (p[i] != t + 1) bad.fetch_add(1);
        }
        pool->deallocate(p, size, 16);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(BatchMemoryPoolTest, BatchesOfTheSameSizeReuseTheirMemory) {
  // A steady stream of batches: the second batch's first block is the first batch's.
  const void* first = nullptr;
  {
    RecordBatch batch(3 << 20);
    batch.records.emplace_back();
    first = batch.records.data();
  }
  RecordBatch again(3 << 20);
  again.records.emplace_back();
  EXPECT_EQ(again.records.data(), first);
}

TEST(ArenaTest, CopiesLiveUntilResetAndLargeCopiesGetABlockOfTheirOwn) {
  Arena arena(64, BatchMemoryPool());
  const std::string_view a = arena.Copy("hello");
  const std::string big(1000, 'x');
  const std::string_view b = arena.Copy(big);
  EXPECT_EQ(a, "hello");
  EXPECT_EQ(b, big);
  EXPECT_GE(arena.bytes_reserved(), 64u + 1000u);
  arena.Reset();
  EXPECT_EQ(arena.bytes_reserved(), 64u);  // the first block is kept
  EXPECT_EQ(arena.Copy("again"), "again");
}

TEST(ValueTest, FactoriesSetTheTypeAndTheMemberItNames) {
  EXPECT_EQ(Value::Null().type, ValueType::kNull);
  const Value t = Value::Bool(true);
  EXPECT_EQ(t.type, ValueType::kBool);
  EXPECT_TRUE(t.b);
  EXPECT_FALSE(Value::Bool(false).b);
  const Value i = Value::Int(-9223372036854775807 - 1);
  EXPECT_EQ(i.type, ValueType::kInt);
  EXPECT_EQ(i.i, INT64_MIN);
  const Value d = Value::Double(2.5);
  EXPECT_EQ(d.type, ValueType::kDouble);
  EXPECT_EQ(d.d, 2.5);
  const Value s = Value::String("text");
  EXPECT_EQ(s.type, ValueType::kString);
  EXPECT_EQ(s.s, "text");
  const Value r = Value::RawJson("[1]");
  EXPECT_EQ(r.type, ValueType::kRawJson);
  EXPECT_EQ(r.s, "[1]");
  // b, i and d share their bytes: a field is a name and 32 bytes of value.
  EXPECT_LE(sizeof(Value), 32u);
  EXPECT_LE(sizeof(Field), 48u);
}

}  // namespace
}  // namespace ringflow::flow

namespace ringflow::flow {
namespace {

TEST(FileHeadTest, RemembersOneMemoPerStageAcrossThreads) {
  FileHead head;
  int stage_a = 0, stage_b = 0;
  FileHead::Memo memo{};
  EXPECT_FALSE(head.Recall(&stage_a, memo));
  head.Remember(&stage_a, {1, 2, 3, 4});
  head.Remember(&stage_a, {9, 9, 9, 9});  // the first conclusion stays
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&head, &stage_b, t] { head.Remember(&stage_b, {t, t, t, t}); });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(head.Recall(&stage_a, memo));
  EXPECT_EQ(memo, (FileHead::Memo{1, 2, 3, 4}));
  ASSERT_TRUE(head.Recall(&stage_b, memo));
  EXPECT_EQ(memo[0], memo[3]);  // one thread's memo, whole
  EXPECT_LT(memo[0], 4u);
}

}  // namespace
}  // namespace ringflow::flow

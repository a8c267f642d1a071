// Test helpers for chunk stages: chunks built the way the io_uring source builds them (bytes in
// a leased pool buffer, sequence numbers, per-file offsets, an end message per file), and Frame,
// which runs a chunk stage on one chunk as the pipeline does.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "framework/core/error.h"
#include "framework/flow/chunk.h"
#include "framework/flow/stage.h"
#include "framework/uring/buffer_pool.h"

namespace ringflow::testing {

// Builds chunks the way the source does: bytes in a leased pool buffer, shared by the message.
class ChunkMaker {
 public:
  ChunkMaker() {
    auto pool = uring::BufferPool::Create(4096, 16);
    EXPECT_TRUE(pool.ok());
    if (pool.ok()) pool_ = std::move(pool).value();
  }
  flow::ChunkPtr Data(uint64_t file_id, std::string_view bytes) { return MakeData(file_id, bytes); }
  flow::ChunkPtr End(uint64_t file_id, std::string path = "",
                     std::optional<Error> error = std::nullopt) {
    auto chunk = std::make_shared<flow::Chunk>();
    chunk->seq = seq_++;
    chunk->file_id = file_id;
    chunk->end = true;
    chunk->file_bytes = offsets_[file_id];
    chunk->path = std::move(path);
    chunk->error = std::move(error);
    return chunk;
  }
  // A file's end message that carries its last bytes, as FileSourceNode emits it.
  flow::ChunkPtr Last(uint64_t file_id, std::string_view bytes, std::string path = "",
                      std::optional<Error> error = std::nullopt) {
    std::shared_ptr<flow::Chunk> chunk = MakeData(file_id, bytes);
    chunk->end = true;
    chunk->file_bytes = offsets_[file_id];
    chunk->path = std::move(path);
    chunk->error = std::move(error);
    return chunk;
  }
  const uring::BufferPool& pool() const { return *pool_; }

 private:
  std::shared_ptr<flow::Chunk> MakeData(uint64_t file_id, std::string_view bytes) {
    auto chunk = std::make_shared<flow::Chunk>();
    chunk->seq = seq_++;
    chunk->file_id = file_id;
    chunk->offset = offsets_[file_id];
    std::optional<uring::Lease> lease = pool_->TryAcquire();
    EXPECT_TRUE(lease.has_value());
    EXPECT_LE(bytes.size(), lease->capacity());
    if (!bytes.empty()) std::memcpy(lease->data(), bytes.data(), bytes.size());
    chunk->lease = uring::Share(std::move(*lease));
    chunk->length = static_cast<uint32_t>(bytes.size());
    offsets_[file_id] += bytes.size();
    return chunk;
  }

  // Declared first, destroyed last: the chunks' leases must come back before the pool goes.
  std::unique_ptr<uring::BufferPool> pool_;
  std::map<uint64_t, uint64_t> offsets_;
  uint64_t seq_ = 0;
};

// Runs `stage` on `chunk` with a batch made as the pipeline makes it.
inline std::shared_ptr<flow::RecordBatch> Frame(flow::FramingStage& stage,
                                                const flow::ChunkPtr& chunk) {
  auto batch = flow::RecordBatch::ForChunk(chunk);
  stage.Frame(*chunk, *batch);
  return batch;
}

}  // namespace ringflow::testing

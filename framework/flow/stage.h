// The stage interface of ringflow's flow graph and the message that travels between stages.
// A pipeline is: io_uring source -> framing stage (serial, chunks in file order, per-file state:
// turns chunks into line records) -> transform stages (called concurrently on different batches:
// parse, filter, select) -> sink (serial, batches in source order). RecordBatch is the message;
// it keeps the chunk (and so the pool buffer) alive for as long as its records view it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "framework/core/result.h"
#include "framework/flow/chunk.h"
#include "framework/flow/record.h"

namespace ringflow::flow {

struct RecordBatch {
  uint64_t seq = 0;  // the chunk's global sequence number: batches are dense, in source order
  uint64_t file_id = 0;
  ChunkPtr chunk;     // the bytes the records' views point into (with the arena below)
  Arena arena{4096};  // bytes records refer to that are not in the chunk (stitched lines, ...)
  std::vector<Record> records;
  // The file's last batch: end is set, and error tells whether the file was read whole.
  bool end = false;
  uint64_t file_bytes = 0;
  std::optional<Error> error;
};

using RecordBatchPtr = std::shared_ptr<RecordBatch>;

// Turns chunks into line records. Called by one thread at a time, with every message of every
// file in source order (a file's chunks in file order; files interleaved). Keeps per-file state
// (a line that crosses chunks) and drops it at the file's end message.
class FramingStage {
 public:
  virtual ~FramingStage() = default;
  // Fills `out.records` with the lines that end in `chunk` (out.seq, file_id, chunk, end and
  // error are already set). Views may point into chunk->data() or into out.arena.
  virtual void Frame(const Chunk& chunk, RecordBatch& out) = 0;
};

// Works on one batch; called concurrently on different batches, so it keeps no mutable state.
// Problems with single records travel in-band (Record::error); nothing is dropped silently.
class TransformStage {
 public:
  virtual ~TransformStage() = default;
  virtual void Process(RecordBatch& batch) const = 0;
};

// Receives batches one at a time, in source order.
class SinkStage {
 public:
  virtual ~SinkStage() = default;
  // An error stops the run: later batches are not written, the pipeline returns it.
  virtual Status Write(const RecordBatch& batch) = 0;
  // After the last batch of a run that succeeded: make the output final.
  virtual Status Close() = 0;
  // Instead of Close when the run failed (a sink or engine error, a stage that threw): discard
  // what was written, so that no partial output appears under the final name.
  virtual void Abort() {}
};

}  // namespace ringflow::flow

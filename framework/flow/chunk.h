// Chunk: the message the io_uring source puts into the flow graph. It is a view into one leased
// pool buffer plus the file it came from; each file's last message has `end` set and carries the
// file's outcome in-band (so counts and ordering never have gaps). That message may also carry
// the file's last bytes (a small file is one message) or none (an empty or unreadable file, or
// when the last chunk went on before the end was known): consumers take the data, then the end.
// Chunks travel as ChunkPtr (shared_ptr<const Chunk>): flow-graph messages must be copyable, and
// the buffer goes back to the pool when the last node holding the chunk lets go (fan-out included).
// The source groups consecutive chunks into a Packet, the graph's message: a tree of small files
// then costs one graph message (a few tasks) per handful of files, not per file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/uring/buffer_pool.h"

namespace ringflow::flow {

struct Chunk {
  uint64_t seq = 0;      // global emission order, 0, 1, 2, ... (for sequencer_node)
  uint64_t file_id = 0;  // the ReadJob's id
  uint64_t offset = 0;   // file offset of data()[0]
  uint32_t length = 0;
  bool end = false;            // the file's last message (with or without data)
  uint64_t file_bytes = 0;     // with end: bytes delivered for the file
  std::optional<Error> error;  // with end: why the file failed (path in error->path())
  std::string path;            // with end: the file's path, as the source named it
  // With end, no error: the file was read to its end but is shorter than it was at open
  // (truncated while being read); size_at_open says how long it was.
  bool shrank = false;
  uint64_t size_at_open = 0;
  uring::SharedLease lease;  // null for messages without data
  // A checkpoint cut follows this message (SourceOptions::checkpoint_bytes): once every sink has
  // written it, the sinks make their output durable and the pipeline reports the cut.
  bool checkpoint = false;

  std::span<const std::byte> data() const {
    return lease ? std::span<const std::byte>(lease->data(), length) : std::span<const std::byte>();
  }
};

using ChunkPtr = std::shared_ptr<const Chunk>;

// Consecutive chunks that travel through the graph as one message: the chunks' seqs follow each
// other without a gap, and packets follow each other in seq order. A chunk marked `checkpoint` is
// always a packet's last.
struct Packet {
  uint64_t seq = 0;  // the packets' own emission order, 0, 1, 2, ... (for sequencer_node)
  std::vector<ChunkPtr> chunks;  // never empty
};

using PacketPtr = std::shared_ptr<const Packet>;

}  // namespace ringflow::flow

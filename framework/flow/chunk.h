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

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"
#include "framework/uring/buffer_pool.h"

namespace ringflow::flow {

// The stored bytes a compressed file's first message carries (Chunk::stored_head).
inline constexpr std::size_t kStoredHeadBytes = 4096;

struct Chunk {
  uint64_t seq = 0;      // global emission order, 0, 1, 2, ... (for sequencer_node)
  uint64_t file_id = 0;  // the ReadJob's id
  uint64_t offset = 0;   // file offset of data()[0]
  uint32_t length = 0;
  bool end = false;            // the file's last message (with or without data)
  uint64_t file_bytes = 0;     // with end: bytes delivered for the file
  std::optional<Error> error;  // with end: why the file failed (path in error->path())
  // The file's path, as the source named it: on its first message (the one at offset 0, or the
  // first content message of a compressed file) and on its end message; empty on the others.
  // (A file that is one message has it there.) So a set path does not mean the end: see `end`.
  std::string path;
  // With end, no error: the file was read to its end but is shorter than it was at open
  // (truncated while being read); size_at_open says how long it was.
  bool shrank = false;
  uint64_t size_at_open = 0;
  uring::SharedLease lease;  // null for messages without data
  // A file the source decoded (SourceOptions::decompress): its messages carry the content, and
  // offset and length count content bytes. `compression` names the codec ("gzip", "zstd", ...)
  // on every message of such a file; empty for a file passed on as stored.
  std::string_view compression;
  // Compressed: the stored bytes the source had read through this message (a position in the
  // stored file, for checkpoints).
  uint64_t stored_end = 0;
  // With end, compressed: the content's size (file_bytes stays the stored size), and when the
  // file was read whole, the XXH3-64 of its stored bytes (what `xxhsum -H3` prints for it).
  uint64_t content_bytes = 0;
  std::optional<uint64_t> stored_xxh3;
  // Compressed, on the file's first message: its first stored bytes (up to kStoredHeadBytes),
  // which identify the file as stored (data() holds content).
  std::shared_ptr<const std::string> stored_head;
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

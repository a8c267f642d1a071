// ChecksumStage: a chunk stage that digests every file's raw bytes as they stream past — the same
// leased buffers the line framer reads, no copy — and emits one record per file at its end:
//   path (string), bytes (int), lines (int: '\n' count, plus one for a final line without
//   newline in a file read whole, as the framer counts), xxh3 (XXH3-64 as 16 lowercase hex digits,
//   equal to `xxhsum -H3`; null when the file could not be read whole), status ("ok" or the reason
//   the file failed).
// Thread-compatible: Frame is called by one thread at a time (the pipeline's serial node for this
// stage, which runs beside the framer's).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "framework/core/result.h"
#include "framework/core/xxh3.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"

namespace ringflow::stages {

// What the "checksum" type provides (config::TypeSpec::provides): one record per file with its
// path, bytes, lines, xxh3 and status, in the file's end batch. A manifest sink reads it.
inline constexpr char kProvidesFileDigest[] = "file_digest";

class ChecksumStage final : public flow::FramingStage {
 public:
  // REQUIRES: each file's messages in file order (the pipeline guarantees it).
  void Frame(const flow::Chunk& chunk, flow::RecordBatch& out) override;

  // What Frame's record says, without the record (for a caller that writes it its own way).
  struct FileDigest {
    uint64_t bytes = 0;
    uint64_t lines = 0;
    std::optional<uint64_t> xxh3;  // null when the file was not read whole (chunk.error)
    // A compressed file (Chunk::compression): bytes and xxh3 are the stored file's, lines count
    // the content, content_bytes is its size.
    std::string_view compression;
    uint64_t content_bytes = 0;
  };
  // Adds `chunk` to its file; at the file's end message, the file's digest (and the file is
  // forgotten). A file that comes in one message costs no per-file state: one-shot hash.
  std::optional<FileDigest> Add(const flow::Chunk& chunk);

  // Files whose end message has not arrived yet.
  std::size_t open_files() const { return files_.size(); }

 private:
  struct FileState {
    Xxh3 hash;
    uint64_t bytes = 0;
    uint64_t newlines = 0;
    bool ends_with_newline = true;  // no bytes yet counts as "nothing unterminated"
  };
  std::unordered_map<uint64_t, FileState> files_;  // by Chunk::file_id
};

// Registers the "checksum" chunk stage, which provides kProvidesFileDigest. Errors as
// run::StageRegistry::RegisterChunkStage.
Status RegisterChecksum(run::StageRegistry& registry);

}  // namespace ringflow::stages

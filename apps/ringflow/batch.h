// The batch reader shared by `checksum` and `count`: walks the paths, then reads every file with
// one FileReader per thread (each with its own engine and buffer pool: a ring has one owner
// thread, and cached reads are memory copies done by the submitting thread, so two rings use both
// cores). Per-file work runs inline in the reader's thread through a FileConsumer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "framework/core/result.h"
#include "framework/core/walk.h"
#include "framework/uring/engine.h"
#include "framework/uring/file_reader.h"

namespace ringflow::app {

struct BatchOptions {
  std::vector<std::string> paths;
  WalkOptions walk;
  uring::EngineOptions engine;
  uring::ReaderOptions reader;
  uint32_t threads = 0;         // 0: one per CPU
  std::size_t buffer_size = 0;  // 0: 128 KiB, or 4 MiB with O_DIRECT
  uint32_t buffers = 0;         // 0: enough for the files and reads in flight
  bool progress = false;        // a live line on stderr (only when stderr is a terminal)
  bool stats = false;           // per-thread reader statistics on stderr at the end
};

// Per-thread consumer of file contents. Begin/Chunk/End for one file run on one thread, in
// order; different files may be in progress at once (interleaved calls).
class FileConsumer {
 public:
  virtual ~FileConsumer() = default;
  virtual void Begin(uint64_t file_id) = 0;
  virtual void Chunk(uint64_t file_id, std::span<const std::byte> data) = 0;
  // The file is complete (status OK) or failed; bytes = bytes delivered.
  virtual void End(uint64_t file_id, const Status& status, uint64_t bytes) = 0;
};

struct BatchFile {
  std::string path;
  std::optional<Error> error;  // set when the file could not be read
  uint64_t bytes = 0;
  bool done = false;  // the reader finished with it (successfully or not)
};

struct BatchResult {
  std::vector<BatchFile> files;  // in discovery order; index = file id
  uint64_t skipped = 0;          // walk problems plus failed files
  uint64_t bytes = 0;
};

// Walks and reads. Every problem is printed once on stderr as "ringflow: PATH: reason" as it
// happens. `make_consumer` is called once per reader thread. Returns an error only when no
// engine could be set up at all.
Result<BatchResult> RunBatch(const BatchOptions& options,
                             const std::function<std::unique_ptr<FileConsumer>()>& make_consumer);

// "128KiB", "4M", "1048576" -> bytes; kInvalidArgument otherwise.
Result<std::size_t> ParseSize(const std::string& text);

// Appends `bytes` as a JSON string (quotes included). Control characters are escaped; bytes that
// are not valid UTF-8 are written as \u00XX (their Latin-1 reading), so any path round-trips
// through a strict JSON parser.
void AppendJsonString(std::string& out, std::string_view bytes);

}  // namespace ringflow::app

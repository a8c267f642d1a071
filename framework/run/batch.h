// The batch reader shared by `checksum` and `count`: walks the paths on the calling thread while
// one FileReader per thread reads the files already found (each reader with its own engine and
// buffer pool: a ring has one owner thread, and cached reads are memory copies done by the
// submitting thread, so two rings use both cores). Per-file work runs inline in the reader's
// thread through that thread's FileConsumer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/result.h"
#include "framework/run/walk.h"
#include "framework/uring/engine.h"
#include "framework/uring/file_reader.h"

namespace ringflow::run {

struct BatchOptions {
  std::vector<std::string> paths;
  WalkOptions walk;
  uring::EngineOptions engine;
  uring::ReaderOptions reader;
  uint32_t threads = 0;         // 0: one per CPU (see ResolveThreads)
  std::size_t buffer_size = 0;  // 0: DefaultBufferSize(reader.direct)
  uint32_t buffers = 0;         // 0: enough for the files and reads in flight
  // Consumers get a gzip, zstd, bzip2, xz or lz4 file's content (found by its bytes, decoded on the
  // reader's thread); false: every file as stored.
  bool decompress = false;
  // Set: only the files (and walk problems) whose path it accepts are read (reported); the
  // others are left out without a word (another shard's: shard.h). Called on the walking thread.
  std::function<bool(const std::string& path)> keep;
  bool progress = false;  // a live line on stderr (only when stderr is a terminal)
  bool stats = false;     // per-thread reader statistics on stderr at the end
};

// Per-thread consumer of file contents. Begin/Chunk/End for one file run on one thread, in
// order; different files may be in progress at once (interleaved calls). A consumer is used by
// one reader thread only, so it needs no locking.
class FileConsumer {
 public:
  virtual ~FileConsumer() = default;
  virtual void Begin(uint64_t file_id) = 0;
  virtual void Chunk(uint64_t file_id, std::span<const std::byte> data) = 0;
  // The file is complete (status OK) or failed; bytes = bytes delivered.
  virtual void End(uint64_t file_id, const Status& status, uint64_t bytes) = 0;
};

// One file of a batch. Compact on purpose: a tree of 20,000 files should not cost thousands of
// first-touch page faults (each costs microseconds on a VM) before the first byte is read.
struct BatchFile {
  uint64_t path_offset = 0;  // into BatchResult::paths
  uint32_t path_length = 0;
  bool done = false;    // the reader finished with it (successfully or not)
  bool failed = false;  // its error is in BatchResult::errors
  uint64_t bytes = 0;
};

struct BatchResult {
  std::string paths;                               // every path, back to back
  std::vector<BatchFile> files;                    // in discovery order; index = file id
  std::vector<std::pair<uint64_t, Error>> errors;  // (file id, why), in no particular order
  uint64_t skipped = 0;                            // walk problems plus failed files
  uint64_t bytes = 0;

  std::string_view path(std::size_t id) const {
    return std::string_view(paths).substr(files[id].path_offset, files[id].path_length);
  }
  // Ids of the files read successfully, sorted by path (bytewise).
  std::vector<uint32_t> OkFilesByPath() const;
};

// The read settings as a user gives them (a command line, a form), unchecked: MakeBatchOptions
// checks their ranges and maps them onto BatchOptions. Signed, so that -1 is refused rather than
// wrapped; unset optionals take BatchOptions' defaults.
struct ReadSettings {
  std::string backend = "auto";    // auto, uring or pread
  std::string buffer_size;         // a size ("64K", "4M"); "": the default
  std::optional<int64_t> threads;  // 1..256
  std::optional<int64_t> buffers;  // 2..65536 per thread
  int64_t open_files = 48;         // 1..65536
  int64_t reads_per_file = 4;      // 1..64
  int64_t queue_depth = 256;       // 1..4096
  bool direct = false;
  bool sqpoll = false;
  bool recursive = true;
  bool skip_hidden = false;
  bool progress = false;
  bool stats = false;
};

// Checks `settings` and maps them onto BatchOptions for `paths`. Errors: kInvalidArgument with a
// message for the user that names the option as "--NAME" (e.g. "--threads must be between 1 and
// 256, not 0").
Result<BatchOptions> MakeBatchOptions(const ReadSettings& settings, std::vector<std::string> paths);

// 64 KiB for buffered reads: large enough that a large file costs few requests, small enough
// that the pool (two threads) stays in the 8 MiB a non-root user may register. 4 MiB for O_DIRECT,
// where a request is a trip to the device (one request per 4 MiB is what the disk merges anyway).
inline std::size_t DefaultBufferSize(bool direct) { return direct ? 4u << 20 : 64u << 10; }

// The number of reader threads RunBatch uses for `options`.
uint32_t ResolveThreads(const BatchOptions& options);

// Walks and reads. Every problem is printed once on stderr as "ringflow: PATH: reason" as it
// happens, control bytes in it escaped (EscapeControl). `consumers` holds one consumer per reader
// thread (ResolveThreads(options) of them), owned by the caller. Returns an error only when no
// engine could be set up at all.
Result<BatchResult> RunBatch(const BatchOptions& options,
                             const std::vector<FileConsumer*>& consumers);

// A consumer that keeps one value per file it finished successfully (a digest, a count).
template <typename T>
class CollectingConsumer : public FileConsumer {
 public:
  std::vector<std::pair<uint64_t, T>>& collected() { return collected_; }

 protected:
  void Collect(uint64_t file_id, T value) { collected_.emplace_back(file_id, std::move(value)); }

 private:
  std::vector<std::pair<uint64_t, T>> collected_;
};

// Runs a batch with one `Consumer` per reader thread (made by `make()`), then gathers their
// values into one vector indexed by file id (default T for files that failed).
template <typename T, typename Consumer, typename Make>
Result<std::pair<BatchResult, std::vector<T>>> RunCollecting(const BatchOptions& options,
                                                             Make make) {
  std::vector<std::unique_ptr<Consumer>> consumers;
  std::vector<FileConsumer*> views;
  for (uint32_t t = 0; t < ResolveThreads(options); ++t) {
    consumers.push_back(make());
    views.push_back(consumers.back().get());
  }
  RINGFLOW_ASSIGN_OR_RETURN(BatchResult result, RunBatch(options, views));
  std::vector<T> values(result.files.size());
  for (auto& consumer : consumers) {
    for (auto& [id, value] : consumer->collected()) values[id] = std::move(value);
  }
  return std::make_pair(std::move(result), std::move(values));
}

}  // namespace ringflow::run

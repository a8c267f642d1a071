// LinesStage: the framing stage that turns each file's chunks into one record per line, with a
// LineFramer per file (created at the file's first message, dropped at its end message). Line
// text is a view into the chunk, or (for a line that crossed a chunk boundary) a copy in the
// batch's arena, so every record is valid as long as its batch. A UTF-8 BOM at the very start of
// a file is not part of its first line. A file's batches after the first one with lines carry
// its head (RecordBatch::head: those first lines), so later stages decide per file.
// Thread-compatible: Frame is called by one thread at a time (the pipeline's serial framing node);
// the counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string_view>

#include "framework/core/result.h"
#include "framework/flow/chunk.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"
#include "stages/line_framer.h"

namespace ringflow::stages {

class LinesStage final : public flow::FramingStage {
 public:
  explicit LinesStage(FramerOptions options = {});

  // Appends a record (raw = the line without its ending, truncated as the framer says) for every
  // line that ends in `chunk`; at the file's end message, the final line without a '\n' (if
  // any; not when the file ended in an error: that line may be cut), after which the file's
  // state is gone. REQUIRES: each file's messages in file order.
  void Frame(const flow::Chunk& chunk, flow::RecordBatch& out) override;
  // Its records are the files' lines.
  bool frames_lines() const override { return true; }

  // Lines framed so far, over all files, and how many of them were cut at max_line_bytes.
  uint64_t lines() const { return lines_.load(std::memory_order_relaxed); }
  uint64_t truncated_lines() const { return truncated_lines_.load(std::memory_order_relaxed); }
  // Files whose end message has not arrived yet (their framers are alive).
  std::size_t open_files() const { return files_.size(); }

 private:
  struct FileState {
    explicit FileState(const FramerOptions& options) : framer(options) {}
    LineFramer framer;
    bool first_line = true;  // the next line starts at offset 0: strip a BOM from it
    bool head_seen = false;  // a batch of this file has had lines
    std::shared_ptr<const flow::FileHead> head;  // for the batches after that one
  };

  FramerOptions options_;
  std::map<uint64_t, FileState> files_;  // by Chunk::file_id
  // Written by the framing thread only; atomic so that progress can be read during a run.
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> truncated_lines_{0};
};

// Registers the "lines" chunk stage (max_line_bytes: FramerOptions::max_line_bytes). Errors as
// run::StageRegistry::RegisterChunkStage.
Status RegisterLines(run::StageRegistry& registry);

}  // namespace ringflow::stages

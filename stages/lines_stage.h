// LinesStage: the framing stage that turns each file's chunks into one record per line, with a
// LineFramer per file (created at the file's first message, dropped at its end message). Line
// text is a view into the chunk, or (for a line that crossed a chunk boundary) a copy in the
// batch's arena, so every record is valid as long as its batch. A UTF-8 BOM at the very start of
// a file is not part of its first line. A file's batches after the first one with lines carry
// its head (RecordBatch::head: those first lines), so later stages decide per file.
// With a multiline rule (stages/multiline.h), a record is a line joined with the lines that
// continue it ('\n' between them); the record that is still open when a chunk's lines run out is
// copied out of the chunk and carried in the file's state, and a file's last record is emitted
// at its end message. lines() still counts input lines.
// Thread-compatible: Frame is called by one thread at a time (the pipeline's serial framing node);
// the counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "framework/core/result.h"
#include "framework/flow/chunk.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"
#include "stages/line_framer.h"
#include "stages/multiline.h"

namespace ringflow::stages {

class LinesStage final : public flow::FramingStage {
 public:
  explicit LinesStage(FramerOptions options = {});
  // Joins continuation lines into records as `multiline` says (null: one record per line).
  LinesStage(FramerOptions options, std::shared_ptr<const MultilineRule> multiline);

  // Appends a record (raw = the line without its ending, truncated as the framer says) for every
  // line that ends in `chunk`; at the file's end message, the final line without a '\n' (if
  // any; not when the file ended in an error: that line may be cut), after which the file's
  // state is gone. REQUIRES: each file's messages in file order.
  void Frame(const flow::Chunk& chunk, flow::RecordBatch& out) override;
  // Its records are the files' lines (joined ones, with a multiline rule).
  bool frames_lines() const override { return true; }
  uint64_t lines_framed() const override { return lines(); }

  // Input lines framed so far, over all files (with a multiline rule: every line of every
  // record, also those dropped beyond its limits), and how many were cut at max_line_bytes.
  uint64_t lines() const { return lines_.load(std::memory_order_relaxed); }
  uint64_t truncated_lines() const { return truncated_lines_.load(std::memory_order_relaxed); }
  // Files whose end message has not arrived yet (their framers are alive).
  std::size_t open_files() const { return files_.size(); }

 private:
  struct FileState {
    FileState(const FramerOptions& options, const MultilineRule* multiline) : framer(options) {
      if (multiline != nullptr) joiner.emplace(multiline);
    }
    LineFramer framer;
    std::optional<MultilineJoiner> joiner;  // with a multiline rule
    bool first_line = true;                 // the next line starts at offset 0: strip a BOM from it
    bool head_seen = false;                 // a batch of this file has had lines
    std::shared_ptr<const flow::FileHead> head;  // for the batches after that one
  };

  // Frame's work for a stage with a multiline rule; returns the input lines and those cut.
  void FrameJoined(const flow::Chunk& chunk, FileState& file, flow::RecordBatch& out,
                   uint64_t& lines, uint64_t& truncated);

  FramerOptions options_;
  std::shared_ptr<const MultilineRule> multiline_;  // null: one record per line
  std::map<uint64_t, FileState> files_;             // by Chunk::file_id
  // Written by the framing thread only; atomic so that progress can be read during a run.
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> truncated_lines_{0};
};

// Registers the "lines" chunk stage (max_line_bytes: FramerOptions::max_line_bytes; multiline,
// multiline_start, multiline_continue, multiline_negate, multiline_max_lines and
// multiline_max_bytes: MultilineOptions). Errors as run::StageRegistry::RegisterChunkStage.
Status RegisterLines(run::StageRegistry& registry);

}  // namespace ringflow::stages

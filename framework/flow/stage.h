// The stage interface of ringflow's flow graph and the message that travels between stages.
// A pipeline is a graph: the io_uring source's chunks go to every chunk stage (serial, chunks in
// file order, per-file state: the line framer turns chunks into line records, the checksum stage
// digests them); record stages (called concurrently on different batches: parse, filter,
// select) each read one stage's batches; sinks (serial, batches in source order) read one or
// more stages. RecordBatch is the message; it keeps the chunk (and so the pool buffer) alive for
// as long as its records view it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/result.h"
#include "framework/flow/chunk.h"
#include "framework/flow/record.h"

namespace ringflow::flow {

// The first lines of a file, as a parse stage detecting formats samples them: among the records
// of the file's first batch that has any, the first kLines that are read without error and not
// blank (only spaces, tabs and '\r'), as long as they stay within kMaxBytes together (a line
// that would pass it ends the head). Its lines are immutable once made; shared by the file's
// later batches.
struct FileHead {
  static constexpr std::size_t kLines = 64;
  static constexpr std::size_t kMaxBytes = 256 * 1024;

  // Calls visit(i) for the index of each head line among `records`, in order.
  template <typename Visit>
  static void ForEach(std::span<const Record> records, Visit visit) {
    std::size_t lines = 0;
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < records.size() && lines < kLines; ++i) {
      const Record& r = records[i];
      if (!r.ok() || IsBlank(r.raw)) continue;
      bytes += r.raw.size();
      if (bytes > kMaxBytes) return;
      ++lines;
      visit(i);
    }
  }

  // Whether `line` holds only blanks (spaces, tabs, carriage returns), or nothing. (A loop, not
  // find_first_not_of, which calls memchr once per character it looks at.)
  static bool IsBlank(std::string_view line) {
    for (const char c : line) {
      if (c != ' ' && c != '\t' && c != '\r') return false;
    }
    return true;
  }

  std::string text;                     // the lines, back to back
  std::vector<std::string_view> lines;  // views into text

  // What a stage concluded from the head (e.g. the format it detected), kept for the file's
  // later batches so that it is worked out once per file: Remember stores a few words under the
  // stage's address, Recall finds them. Thread-safe (a file's batches may run at once).
  using Memo = std::array<uint64_t, 4>;
  bool Recall(const void* stage, Memo& memo) const {
    std::lock_guard lock(memo_mu_);
    for (const auto& [owner, value] : memos_) {
      if (owner == stage) {
        memo = value;
        return true;
      }
    }
    return false;
  }
  void Remember(const void* stage, const Memo& memo) const {
    std::lock_guard lock(memo_mu_);
    for (const auto& entry : memos_) {
      if (entry.first == stage) return;
    }
    memos_.emplace_back(stage, memo);
  }

 private:
  mutable std::mutex memo_mu_;
  mutable std::vector<std::pair<const void*, Memo>> memos_;
};

struct RecordBatch {
  // `first_block`: the bytes the batch's memory takes at its first allocation (it grows by
  // doubling after that): about what its records will need, so that one block holds them.
  explicit RecordBatch(std::size_t first_block = kFirstBlock)
      : memory(
            std::make_unique<std::pmr::monotonic_buffer_resource>(first_block, BatchMemoryPool())),
        arena(4096, memory.get()),
        records(memory.get()) {}
  RecordBatch(RecordBatch&&) = default;
  RecordBatch& operator=(RecordBatch&&) = delete;

  // The batch's memory: records, their fields and the arena's blocks, released all at once with
  // the batch (a per-record allocation would cost more than parsing the record). Declared first:
  // it outlives the members that allocate from it.
  static constexpr std::size_t kFirstBlock = 64 * 1024;
  std::unique_ptr<std::pmr::monotonic_buffer_resource> memory;
  Arena arena;  // bytes records refer to that are not in the chunk (stitched lines, ...)
  std::pmr::vector<Record> records;

  uint64_t seq = 0;  // the chunk's global sequence number: batches are dense, in source order
  uint64_t file_id = 0;
  ChunkPtr chunk;  // the bytes the records' views point into (with the arena)
  // The file's last batch: end is set, and error tells whether the file was read whole.
  bool end = false;
  uint64_t file_bytes = 0;
  std::optional<Error> error;
  // Set by the pipeline: the index of the stage that produced this batch.
  uint32_t stream = 0;
  // The format the batch's records were parsed in, set by a parse stage: the name its "format"
  // takes (e.g. "json"), in static storage; empty: not parsed (yet). A parse stage that
  // detects formats decides from the file's head, so every batch of a file says the same.
  std::string_view format_hint;
  // Why a parse stage that detects formats chose none for a file that some format came close
  // to (it is then read as "raw"), for the run to report once per file; a view into `arena`,
  // empty otherwise.
  std::string_view format_note;
  // The file's first lines, for stages that decide something per file from them (a parse stage
  // detecting the format): set by the line framer on the file's batches after the first one
  // that has lines, so that every batch decides on the same lines. A batch without it has
  // those lines at the start of its own records (see FileHead::Counts).
  std::shared_ptr<const FileHead> head;
  // A batch copied for one branch of a fan-out keeps the original alive: its records may view
  // the original's arena.
  std::shared_ptr<const RecordBatch> parent;

  // The batch a chunk stage fills for `chunk`: seq, file_id, end, file_bytes, error and the chunk
  // itself set, no records yet.
  static std::shared_ptr<RecordBatch> ForChunk(const ChunkPtr& chunk,
                                               std::size_t first_block = kFirstBlock);
  // A copy for a stage that changes records while other consumers read the original.
  static std::shared_ptr<RecordBatch> CopyOf(const std::shared_ptr<const RecordBatch>& original);
};

using RecordBatchPtr = std::shared_ptr<RecordBatch>;

// Reads the source's chunks: the line framer (chunks -> line records), the checksum stage (chunks
// -> one record per file). Called by one thread at a time, with every message of every file in
// source order (a file's chunks in file order; files interleaved). Keeps per-file state (a line
// that crosses chunks, a running digest) and drops it at the file's end message.
class FramingStage {
 public:
  virtual ~FramingStage() = default;
  // Fills `out.records` with the records `chunk` completes, e.g. the lines that end in it (out.seq,
  // file_id, chunk, end and error are already set). Views may point into chunk->data() or into
  // out.arena.
  virtual void Frame(const Chunk& chunk, RecordBatch& out) = 0;
  // True when its records are made of the file's lines (the line framer): a run counts the
  // lines it read with lines_framed.
  virtual bool frames_lines() const { return false; }
  // For a stage whose frames_lines() is true (which must override it): the input lines its
  // Frame calls have framed so far, over all files. Not its records: a record may join several
  // lines (multiline).
  virtual uint64_t lines_framed() const { return 0; }
};

// Works on one batch; called concurrently on different batches, so it keeps no mutable state.
// Problems with single records travel in-band (Record::error); nothing is dropped silently.
class TransformStage {
 public:
  virtual ~TransformStage() = default;
  virtual void Process(RecordBatch& batch) const = 0;
};

// Receives batches one at a time, in source order. A sink that reads several stages gets, for
// each source message, one batch from each input in the order the inputs are listed.
// Where a sink's output stands at a checkpoint (SinkStage::Checkpoint), and where a resumed run
// takes it up again (SinkStage::Resume).
struct SinkPosition {
  // The file that holds the output so far: a temporary file until the run succeeds, the output
  // itself when written in place (--append); "" when the output cannot be cut back (stdout, a
  // pipe, a device): a resumed run then writes after what is there (at least once).
  std::string file;
  uint64_t length = 0;        // bytes of `file` that are durable (fsynced)
  uint64_t file_id = 0;       // the input file of the last batch written (its id)
  uint64_t file_records = 0;  // records of that file in those bytes
};

class SinkStage {
 public:
  virtual ~SinkStage() = default;
  // An error stops the run: later batches are not written, the pipeline returns it.
  virtual Status Write(const RecordBatch& batch) = 0;
  // A batch from the sink's input number `input` (0 for a sink with one input). Sinks that
  // treat their inputs differently override this; the default writes every input alike.
  virtual Status WriteFrom(std::size_t input, const RecordBatch& batch) {
    static_cast<void>(input);
    return Write(batch);
  }
  // Optional parallel half of writing. A sink whose formats() is true has Format called on every
  // batch first — concurrently, on different batches, in no particular order, so it must not
  // touch mutable state — and then WriteFormatted, in order, with the bytes Format produced
  // (instead of WriteFrom). The JSON sink formats records there, so the serial part is a copy.
  virtual bool formats() const { return false; }
  virtual void Format(std::size_t input, const RecordBatch& batch, std::string& out) const {
    static_cast<void>(input);
    static_cast<void>(batch);
    static_cast<void>(out);
  }
  virtual Status WriteFormatted(std::size_t input, const RecordBatch& batch,
                                std::string_view bytes) {
    static_cast<void>(bytes);
    return WriteFrom(input, batch);
  }
  // Writes what the sink buffers through to its output now (no fsync): for output that someone
  // watches while it is written (paced replay). Errors as for Write. The default has nothing
  // buffered.
  virtual Status Flush() { return OkStatus(); }
  // After the last batch of a run that succeeded, on every sink before any Close: do what can
  // still fail (write what is buffered, fsync), so that Close only has to make the output final
  // (a rename). When one sink's Prepare fails, every sink is aborted: several outputs of one run
  // appear together or not at all (short of a failing rename). The default has nothing to do.
  virtual Status Prepare() { return OkStatus(); }
  // After the last batch of a run that succeeded (and Prepare): make the output final.
  virtual Status Close() = 0;
  // Instead of Close when the run failed (a sink or engine error, a stage that threw): discard
  // what was written, so that no partial output appears under the final name. After a
  // Checkpoint, the partial output stays where the position says (a resumed run needs it).
  virtual void Abort() {}

  // Checkpoints. A sink that supports them returns true from checkpoints() and implements both:
  //  Checkpoint: every batch written so far goes through to the output (written, not yet
  //    fsynced); returns where the output stands. Called between batches, on the sink's thread.
  //    The observer makes it durable (fsync of at.file, off the sink's thread) before it records
  //    the cut: fsync covers every byte written before it, whatever the sink wrote since.
  //  Resume: before the first batch of a resumed run: the output continues at `at` (cut back to
  //    at.length where it can be), and the first at.file_records records of input file
  //    at.file_id are not written again (the run reads that file from its start).
  virtual bool checkpoints() const { return false; }
  virtual Result<SinkPosition> Checkpoint() {
    return Error(ErrorCode::kUnsupported, "this sink does not support checkpoints");
  }
  virtual Status Resume(const SinkPosition& at) {
    static_cast<void>(at);
    return Error(ErrorCode::kUnsupported, "this sink does not support checkpoints");
  }

  // What a run needs to know about a sink:
  //  lists_files: its output has one entry per input file (a manifest), not records: a run
  //    does not pace it, and counts it in files.
  //  temporary_file: the file it writes until Close renames it into place ("" for none): a
  //    process that must quit at once removes it.
  virtual bool lists_files() const { return false; }
  virtual std::string temporary_file() const { return {}; }
};

// Receives a run's checkpoint cuts (PipelineGraph::checkpoints). Observe and Cut may run
// concurrently with each other (not with themselves): an implementation locks what they share.
class CheckpointObserver {
 public:
  virtual ~CheckpointObserver() = default;
  // Every message, in source order, before any sink writes its batches (a first chunk carries
  // the file's first bytes: its fingerprint).
  virtual void Observe(const Chunk& message) = 0;
  // Every sink has written the batches of every message up to and including `cut` (a message
  // marked Chunk::checkpoint); sinks[k] is sink k's position (not yet durable: the observer
  // fsyncs before recording it). Cuts come in source order. An error fails the run.
  virtual Status Cut(const Chunk& cut, const std::vector<SinkPosition>& sinks) = 0;
  // After the last message, every sink prepared (SinkStage::Prepare), before any is closed.
  // An error fails the run (the sinks are aborted).
  virtual Status Complete(const std::vector<SinkPosition>& sinks) = 0;
};

}  // namespace ringflow::flow

// ManifestSink: one JSON object per input file, in the order the files finish (discovery order
// in an ordered run):
//   {"path":..,"bytes":..,"lines":..,"records":..,"parse_errors":..,"format":..,"xxh3":..,
//    "status":..}
// Input 0 is a checksum stage (path, bytes, lines, xxh3 and status come from its per-file
// record). An optional input 1 is a record stage whose records are counted per file: records
// (all of them) and parse_errors (those that carry an error), and format (the name a parse stage
// gave the file's batches: RecordBatch::format_hint); without it all three are null, and format
// is null for a file whose records no parse stage saw (or that had no lines).
// The output goes through a JsonSink: a file appears under its final name only when the run
// succeeds. Thread-compatible (the pipeline calls it from one thread at a time).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"
#include "stages/checksum_stage.h"
#include "stages/json_sink.h"

namespace ringflow::stages {

class ManifestSink final : public flow::SinkStage {
 public:
  // `path` as for JsonSink::Open ("-": stdout). `count_records`: whether the sink has input 1.
  // `digest`: the sink has one input, a record stage (not a checksum stage), and does the
  // checksum stage's work itself on the chunks that input's batches hold (in order: a sink sees
  // batches in source order) while it counts their records. The same lines as with
  // [checksum, stage], without a second chunk stage and a second input: cheaper per message.
  static Result<std::unique_ptr<ManifestSink>> Open(const std::string& path, bool count_records,
                                                    bool fsync = true, bool digest = false);
  // What Open would refuse, found without creating or opening anything (see JsonSink::Check).
  static Status Check(const std::string& path) { return JsonSink::Check(path); }
  // Writes to a caller-owned descriptor (see JsonSink::OpenFd).
  static Result<std::unique_ptr<ManifestSink>> OpenFd(int fd, std::string name, bool count_records);

  Status Write(const flow::RecordBatch& batch) override { return WriteFrom(0, batch); }
  // Input 0: the checksum records (one per file, in its end batch). Input 1: records to count.
  // kInternal if input 1's end of a file arrives before input 0's (the pipeline orders them).
  Status WriteFrom(std::size_t input, const flow::RecordBatch& batch) override;
  Status Flush() override { return out_->Flush(); }
  Status Prepare() override { return out_->Prepare(); }
  Status Close() override { return out_->Close(); }
  void Abort() override { out_->Abort(); }
  // Checkpoints: those of the JsonSink underneath. Its lines are per file and a resumed run
  // reads the cut's file from its start (recomputing its digest and counts), so nothing is
  // left out on Resume. (A cut falls between messages: no checksum record is pending then.)
  bool checkpoints() const override { return true; }
  Result<flow::SinkPosition> Checkpoint() override { return out_->Checkpoint(); }
  Status Resume(const flow::SinkPosition& at) override {
    flow::SinkPosition lines = at;
    lines.file_records = 0;
    return out_->Resume(lines);
  }

  // One line per input file.
  bool lists_files() const override { return true; }
  std::string temporary_file() const override { return out_->temp_path(); }

  uint64_t files_written() const { return files_; }
  // See JsonSink::temp_path.
  const std::string& temp_path() const { return out_->temp_path(); }

 private:
  ManifestSink(std::unique_ptr<JsonSink> out, bool count_records, bool digest = false)
      : out_(std::move(out)), count_records_(count_records || digest), digest_(digest) {}

  // Digest mode: one batch of the counted stage.
  Status Digest(const flow::RecordBatch& batch);

  struct Counts {
    uint64_t records = 0;
    uint64_t parse_errors = 0;
    std::string_view format;  // the format the file's records were parsed in (static storage)
  };
  // Adds a batch's records (and those that carry an error) to `counts`.
  static void Count(const flow::RecordBatch& batch, Counts& counts);
  // Writes one manifest line: the checksum record with the counts (null when not counted).
  Status WriteLine(const flow::Record& sums, const Counts* counts);
  // The same from the values (the one place that lists the keys, in their order).
  // A compressed file's line also says its `compression` and `content_bytes` (after "bytes").
  Status WriteLine(const flow::Value& path, const flow::Value& bytes, const flow::Value& lines,
                   const flow::Value& xxh3, const flow::Value& status, const Counts* counts,
                   const flow::Value& compression, const flow::Value& content_bytes);

  std::unique_ptr<JsonSink> out_;
  const bool count_records_;
  const bool digest_;
  ChecksumStage checksum_;  // digest mode: the checksum stage's work, on the sink's thread
  std::unordered_map<uint64_t, Counts> counts_;  // files whose records are being counted
  // The checksum record of the file whose counts are not complete yet (its end batch on input 1
  // comes right after the one on input 0): a copy, as the batch it came in is gone by then.
  std::optional<uint64_t> pending_file_;
  std::vector<flow::Record> pending_;     // its fields' strings live in pending_text_
  std::deque<std::string> pending_text_;  // (a deque: its strings never move)
  flow::Record line_;                     // WriteLine's record, reused (no allocation per file)
  uint64_t files_ = 0;
};

// Registers the "manifest" sink (path, fsync, digest: ManifestSink::Open's; checked by
// ManifestSink::Check). Its inputs are checked by their types' provides: input 0 provides
// kProvidesFileDigest and an optional input 1 does not; with "digest": true, one input that does
// not. Errors as run::StageRegistry::RegisterSink.
Status RegisterManifestSink(run::StageRegistry& registry);

}  // namespace ringflow::stages

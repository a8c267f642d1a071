#include "stages/manifest_sink.h"

#include <algorithm>
#include <span>
#include <utility>

#include "stages/internal/fsync_param.h"

namespace ringflow::stages {
namespace {

bool ProvidesFileDigest(const config::TypeSpec* type) {
  return std::ranges::find(type->provides, kProvidesFileDigest) != type->provides.end();
}

// What a manifest reads (see RegisterManifestSink).
Status CheckManifestInputs(const config::StageConfig& sink,
                           std::span<const config::TypeSpec* const> inputs) {
  if (sink.GetBool("digest").value_or(false)) {
    if (inputs.size() != 1 || ProvidesFileDigest(inputs[0])) {
      return Error(ErrorCode::kUnsupported,
                   "a manifest with \"digest\": true reads one stage that is not a "
                   "\"checksum\" stage: it digests that stage's chunks and counts its records");
    }
  } else if (inputs.empty() || !ProvidesFileDigest(inputs[0]) || inputs.size() > 2 ||
             (inputs.size() == 2 && ProvidesFileDigest(inputs[1]))) {
    return Error(ErrorCode::kUnsupported,
                 "a manifest reads a \"checksum\" stage, optionally followed by the stage whose "
                 "records it counts: [\"<checksum>\", \"<stage>\"]");
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<ManifestSink>> ManifestSink::Open(const std::string& path,
                                                         bool count_records, bool fsync,
                                                         bool digest) {
  RINGFLOW_ASSIGN_OR_RETURN(auto out, JsonSink::Open(path, fsync));
  return std::unique_ptr<ManifestSink>(new ManifestSink(std::move(out), count_records, digest));
}

Result<std::unique_ptr<ManifestSink>> ManifestSink::OpenFd(int fd, std::string name,
                                                           bool count_records) {
  RINGFLOW_ASSIGN_OR_RETURN(auto out, JsonSink::OpenFd(fd, std::move(name)));
  return std::unique_ptr<ManifestSink>(new ManifestSink(std::move(out), count_records));
}

Status ManifestSink::Digest(const flow::RecordBatch& batch) {
  if (batch.chunk == nullptr)
    return Error(ErrorCode::kInternal, "manifest: a batch without its chunk");
  const std::optional<ChecksumStage::FileDigest> d = checksum_.Add(*batch.chunk);
  if (!batch.end) {
    Count(batch, counts_[batch.file_id]);
    return OkStatus();
  }
  Counts done;
  if (auto it = counts_.find(batch.file_id); it != counts_.end()) {
    done = it->second;
    counts_.erase(it);
  }
  Count(batch, done);
  if (!d) return Error(ErrorCode::kInternal, "manifest: a file's end without its digest");
  char hex[16];
  if (d->xxh3) HexDigest(*d->xxh3, hex);
  const flow::Chunk& chunk = *batch.chunk;
  return WriteLine(
      flow::Value::String(chunk.path), flow::Value::Int(static_cast<int64_t>(d->bytes)),
      flow::Value::Int(static_cast<int64_t>(d->lines)),
      d->xxh3 ? flow::Value::String({hex, sizeof hex}) : flow::Value::Null(),
      // "truncated": read to its end, but shorter than it was at open.
      flow::Value::String(chunk.error    ? std::string_view(chunk.error->message())
                          : chunk.shrank ? std::string_view("truncated")
                                         : std::string_view("ok")),
      &done, d->compression.empty() ? flow::Value::Null() : flow::Value::String(d->compression),
      flow::Value::Int(static_cast<int64_t>(d->content_bytes)));
}

void ManifestSink::Count(const flow::RecordBatch& batch, Counts& counts) {
  counts.records += batch.records.size();
  for (const flow::Record& r : batch.records) counts.parse_errors += r.ok() ? 0u : 1u;
  if (!batch.format_hint.empty()) counts.format = batch.format_hint;
}

Status ManifestSink::WriteFrom(std::size_t input, const flow::RecordBatch& batch) {
  if (digest_) return Digest(batch);
  if (input == 0) {
    if (batch.records.empty()) return OkStatus();
    if (!count_records_) {
      for (const flow::Record& r : batch.records) RINGFLOW_RETURN_IF_ERROR(WriteLine(r, nullptr));
      return OkStatus();
    }
    // Hold the file's checksum record until input 1 has delivered the same file's end. (Plain
    // members reused file after file: a file costs no batch of its own here.)
    pending_.clear();
    pending_text_.clear();
    for (const flow::Record& r : batch.records) {
      flow::Record& copy = pending_.emplace_back();
      for (const flow::Field& f : r.fields) {
        flow::Value v = f.value;
        if (v.type == flow::ValueType::kString) v.s = pending_text_.emplace_back(v.s);
        copy.fields.push_back({f.name, v});  // names are static strings of the checksum stage
      }
    }
    pending_file_ = batch.file_id;
    return OkStatus();
  }
  Counts& counts = counts_[batch.file_id];
  Count(batch, counts);
  if (!batch.end) return OkStatus();
  const Counts done = counts;
  counts_.erase(batch.file_id);
  if (pending_file_ != batch.file_id) {
    return Error(ErrorCode::kInternal, "manifest: the records of a file ended before its checksum");
  }
  pending_file_.reset();
  for (const flow::Record& r : pending_) RINGFLOW_RETURN_IF_ERROR(WriteLine(r, &done));
  return OkStatus();
}

Status ManifestSink::WriteLine(const flow::Record& sums, const Counts* counts) {
  static const flow::Value kNull = flow::Value::Null();
  auto get = [&](std::string_view name) -> const flow::Value& {
    const flow::Field* f = sums.Find(name);
    return f != nullptr ? f->value : kNull;
  };
  return WriteLine(get("path"), get("bytes"), get("lines"), get("xxh3"), get("status"), counts,
                   get("compression"), get("content_bytes"));
}

Status ManifestSink::WriteLine(const flow::Value& path, const flow::Value& bytes,
                               const flow::Value& lines, const flow::Value& xxh3,
                               const flow::Value& status, const Counts* counts,
                               const flow::Value& compression, const flow::Value& content_bytes) {
  line_.fields = {{"path", path}, {"bytes", bytes}};
  if (compression.type != flow::ValueType::kNull) {
    line_.fields.push_back({"compression", compression});
    line_.fields.push_back({"content_bytes", content_bytes});
  }
  line_.fields.insert(
      line_.fields.end(),
      {
          {"lines", lines},
          {"records",
           counts ? flow::Value::Int(static_cast<int64_t>(counts->records)) : flow::Value::Null()},
          {"parse_errors", counts ? flow::Value::Int(static_cast<int64_t>(counts->parse_errors))
                                  : flow::Value::Null()},
          {"format", counts && !counts->format.empty() ? flow::Value::String(counts->format)
                                                       : flow::Value::Null()},
          {"xxh3", xxh3},
          {"status", status},
      });
  ++files_;
  return out_->WriteRecord(line_);
}

Status RegisterManifestSink(run::StageRegistry& registry) {
  return registry.RegisterSink(
      {"manifest",
       "one JSON object per input file: path, bytes, lines, records, parse_errors, format (what "
       "the counted records were parsed as), xxh3, status; for a compressed file, after bytes "
       "(and xxh3, as stored): compression and content_bytes. "
       "\"input\": a checksum stage, or [checksum stage, stage whose records are counted per "
       "file] (without the second, records and parse_errors are null); with \"digest\": true, "
       "the one stage whose records are counted (the sink digests its chunks itself)",
       {{"path",
         config::ParamType::kString,
         false,
         {},
         "the output file (temporary name, renamed into place on success); \"-\": stdout",
         "-",
         INT64_MIN,
         INT64_MAX},
        internal::FsyncParam(),
        {"digest",
         config::ParamType::kBool,
         false,
         {},
         "digest the chunks of the one input stage in the sink (no checksum stage, one input: "
         "the cheapest manifest); false: input is [checksum stage, counted stage]",
         "false",
         INT64_MIN,
         INT64_MAX}},
       /*takes_input=*/true,
       /*multiple_inputs=*/true},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::SinkStage>> {
        RINGFLOW_ASSIGN_OR_RETURN(auto sink,
                                  ManifestSink::Open(*c.GetString("path"), c.inputs.size() > 1,
                                                     *c.GetBool("fsync"), *c.GetBool("digest")));
        return std::unique_ptr<flow::SinkStage>(std::move(sink));
      },
      [](const config::StageConfig& c) { return ManifestSink::Check(*c.GetString("path")); },
      CheckManifestInputs);
}

}  // namespace ringflow::stages

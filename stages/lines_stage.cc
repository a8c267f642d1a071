#include "stages/lines_stage.h"

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringflow::stages {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::shared_ptr<const flow::FileHead> MakeHead(std::span<const flow::Record> records) {
  auto head = std::make_shared<flow::FileHead>();
  std::vector<std::size_t> ends;
  flow::FileHead::ForEach(records, [&](std::size_t i) {
    head->text += records[i].raw;
    ends.push_back(head->text.size());
  });
  std::size_t start = 0;
  for (const std::size_t end : ends) {
    head->lines.emplace_back(head->text.data() + start, end - start);
    start = end;
  }
  return head;
}

}  // namespace

LinesStage::LinesStage(FramerOptions options) : options_(options) {}

LinesStage::LinesStage(FramerOptions options, std::shared_ptr<const MultilineRule> multiline)
    : options_(options), multiline_(std::move(multiline)) {}

void LinesStage::Frame(const flow::Chunk& chunk, flow::RecordBatch& out) {
  auto it = files_.find(chunk.file_id);
  if (it == files_.end()) {
    // A file that ends without data (empty, or failed to open) needs no framer at all.
    if (chunk.end && chunk.length == 0) return;
    it = files_.try_emplace(chunk.file_id, options_, multiline_.get()).first;
  }
  FileState& file = it->second;
  // Room for the lines of a typical log chunk (~100 bytes a line) in one allocation.
  out.records.reserve(out.records.size() + chunk.length / 96 + 4);
  uint64_t lines = 0;
  uint64_t truncated = 0;
  const std::size_t first = out.records.size();
  const bool end = chunk.end;
  if (file.joiner) {
    FrameJoined(chunk, file, out, lines, truncated);
  } else {
    auto add = [&](const Line& line) {
      std::string_view text = line.text;
      // The BOM is stripped from the first line rather than from the first chunk, so a BOM split
      // across chunks (tiny buffers) is handled the same way: the framer stitched it whole.
      if (file.first_line) {
        file.first_line = false;
        if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
      }
      flow::Record& r = out.records.emplace_back();
      // A stitched line lives in the framer's side buffer only until its next call: copy it into
      // the batch, which keeps it as long as the record.
      r.raw = line.stitched ? out.arena.Copy(text) : text;
      r.truncated = line.truncated;
      ++lines;
      if (line.truncated) ++truncated;
    };
    file.framer.Feed(chunk.data(), add);  // an end message may carry the file's last bytes
    // A file that ended in an error (a failed read, an interrupted run) was not read whole: its
    // last partial line is dropped rather than passed on as if it were the whole line.
    if (end && !chunk.error) file.framer.Finish(add);
  }
  if (file.head) {
    out.head = file.head;
  } else if (!file.head_seen && out.records.size() > first) {
    // This batch's own records start with the head; the file's later batches get a copy.
    file.head_seen = true;
    if (!end) file.head = MakeHead(std::span(out.records).subspan(first));
  }
  if (end) files_.erase(it);
  lines_.fetch_add(lines, std::memory_order_relaxed);
  truncated_lines_.fetch_add(truncated, std::memory_order_relaxed);
}

void LinesStage::FrameJoined(const flow::Chunk& chunk, FileState& file, flow::RecordBatch& out,
                             uint64_t& lines, uint64_t& truncated) {
  auto emit = [&out](const JoinedRecord& joined) {
    flow::Record& r = out.records.emplace_back();
    // A record whose lines lay back to back in this chunk stays a view into it (the batch holds
    // the chunk); any other lives in the joiner only until its next call.
    r.raw = joined.in_chunk ? joined.text : out.arena.Copy(joined.text);
    r.truncated = joined.truncated;
  };
  auto add = [&](const Line& line) {
    Line l = line;
    if (file.first_line) {
      file.first_line = false;
      if (l.text.starts_with(kUtf8Bom)) l.text.remove_prefix(kUtf8Bom.size());
    }
    ++lines;
    if (line.truncated) ++truncated;
    file.joiner->Add(l, emit);
  };
  file.framer.Feed(chunk.data(), add);
  if (!chunk.end) {
    // The chunk's buffer goes back to the pool when its batch is done: the open record, still
    // waiting for its continuation lines, must not view it.
    file.joiner->Detach();
    return;
  }
  // As without a rule, the cut last line of a file that ended in an error is dropped; the
  // record before it is complete and goes out.
  if (!chunk.error) file.framer.Finish(add);
  file.joiner->Finish(emit);
}

Status RegisterLines(run::StageRegistry& registry) {
  using config::ParamType;
  return registry.RegisterChunkStage(
      {"lines",
       "splits the files into lines (records); lines across read boundaries are stitched, CRLF "
       "and a final line without newline handled, a UTF-8 BOM dropped; with \"multiline\", a "
       "record is a line and the lines that continue it, joined with \"\\n\"",
       {{"max_line_bytes",
         ParamType::kSize,
         false,
         {},
         "longer lines are cut to this and flagged \"_truncated\", never dropped",
         "1MiB",
         1,
         int64_t{1} << 30},
        {"multiline",
         ParamType::kEnum,
         false,
         {"none", "java", "python", "go", "indented", "custom", "cri"},
         "joins continuation lines into the record before them: java (indented lines such as "
         "\"\\tat ...\", \"Caused by: ...\", \"... 12 more\", an exception's first line), python "
         "(tracebacks, chained ones included), go (panics and goroutine dumps), indented (lines "
         "that start with a space or tab), custom (multiline_start or multiline_continue), cri "
         "(Kubernetes container logs: a stream's partial P lines up to its F line become one CRI "
         "line, the messages concatenated; the limits bound the message); a file's last record "
         "is emitted at its end",
         "none"},
        {"multiline_start",
         ParamType::kString,
         false,
         {},
         "custom: an RE2 pattern (unanchored: use ^); a line that matches begins a record, any "
         "other continues the record before it",
         ""},
        {"multiline_continue",
         ParamType::kString,
         false,
         {},
         "custom: an RE2 pattern (unanchored: use ^); a line that matches continues the record "
         "before it, any other begins one",
         ""},
        {"multiline_negate",
         ParamType::kBool,
         false,
         {},
         "custom: a line matches when it does not match the pattern",
         "false"},
        {"multiline_max_lines",
         ParamType::kInt,
         false,
         {},
         "lines kept in a record; later lines of the record are dropped from it (still counted "
         "as lines read) and it is flagged \"_truncated\"",
         "500",
         1,
         int64_t{1} << 24},
        {"multiline_max_bytes",
         ParamType::kSize,
         false,
         {},
         "bytes kept of a record's joined text (its first bytes); the rest is dropped and it is "
         "flagged \"_truncated\"",
         "1MiB",
         1,
         int64_t{1} << 30}},
       /*takes_input=*/false},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::FramingStage>> {
        FramerOptions framer;
        if (auto max = c.GetInt("max_line_bytes")) {
          framer.max_line_bytes = static_cast<std::size_t>(*max);
        }
        const std::string* preset = c.GetString("multiline");
        if (preset == nullptr || *preset == "none") {
          return std::unique_ptr<flow::FramingStage>(new LinesStage(framer));
        }
        MultilineOptions options;
        static constexpr std::pair<std::string_view, MultilinePreset> kPresets[] = {
            {"java", MultilinePreset::kJava},     {"python", MultilinePreset::kPython},
            {"go", MultilinePreset::kGo},         {"indented", MultilinePreset::kIndented},
            {"custom", MultilinePreset::kCustom}, {"cri", MultilinePreset::kCri}};
        for (const auto& [name, value] : kPresets) {
          if (*preset == name) options.preset = value;
        }
        if (const std::string* start = c.GetString("multiline_start")) options.start = *start;
        if (const std::string* cont = c.GetString("multiline_continue")) {
          options.continue_pattern = *cont;
        }
        options.negate = c.GetBool("multiline_negate").value_or(false);
        if (auto max = c.GetInt("multiline_max_lines")) {
          options.max_lines = static_cast<std::size_t>(*max);
        }
        if (auto max = c.GetInt("multiline_max_bytes")) {
          options.max_bytes = static_cast<std::size_t>(*max);
        }
        RINGFLOW_ASSIGN_OR_RETURN(std::shared_ptr<const MultilineRule> rule,
                                  MultilineRule::Create(options));
        return std::unique_ptr<flow::FramingStage>(new LinesStage(framer, std::move(rule)));
      });
}

}  // namespace ringflow::stages

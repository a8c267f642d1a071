#include "stages/lines_stage.h"

#include <memory>
#include <span>
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

void LinesStage::Frame(const flow::Chunk& chunk, flow::RecordBatch& out) {
  auto it = files_.find(chunk.file_id);
  if (it == files_.end()) {
    // A file that ends without data (empty, or failed to open) needs no framer at all.
    if (chunk.end && chunk.length == 0) return;
    it = files_.try_emplace(chunk.file_id, options_).first;
  }
  FileState& file = it->second;
  // Room for the lines of a typical log chunk (~100 bytes a line) in one allocation.
  out.records.reserve(out.records.size() + chunk.length / 96 + 4);
  uint64_t lines = 0;
  uint64_t truncated = 0;
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
  const std::size_t first = out.records.size();
  const bool end = chunk.end;
  file.framer.Feed(chunk.data(), add);  // an end message may carry the file's last bytes
  // A file that ended in an error (a failed read, an interrupted run) was not read whole: its
  // last partial line is dropped rather than passed on as if it were the whole line.
  if (end && !chunk.error) file.framer.Finish(add);
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

Status RegisterLines(run::StageRegistry& registry) {
  return registry.RegisterChunkStage(
      {"lines",
       "splits the files into lines (records); lines across read boundaries are stitched, CRLF "
       "and a final line without newline handled, a UTF-8 BOM dropped",
       {{"max_line_bytes",
         config::ParamType::kSize,
         false,
         {},
         "longer lines are cut to this and flagged \"_truncated\", never dropped",
         "1MiB",
         1,
         int64_t{1} << 30}},
       /*takes_input=*/false},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::FramingStage>> {
        FramerOptions framer;
        if (auto max = c.GetInt("max_line_bytes")) {
          framer.max_line_bytes = static_cast<std::size_t>(*max);
        }
        return std::unique_ptr<flow::FramingStage>(new LinesStage(framer));
      });
}

}  // namespace ringflow::stages

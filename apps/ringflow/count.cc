// `ringflow count --pattern STR`: occurrences of a byte string per file and in total.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <unordered_map>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "apps/ringflow/progress.h"
#include "framework/run/batch.h"

namespace ringflow::app {
namespace {

// Counts leftmost, non-overlapping occurrences of a pattern in a stream of chunks, including those
// that straddle chunk boundaries: `carry` keeps the bytes after the last match that could still
// begin one (at most pattern length - 1 of them).
class StreamCounter {
 public:
  explicit StreamCounter(const std::string* pattern) : pattern_(pattern) {}

  void Feed(const char* data, std::size_t n) {
    const std::size_t m = pattern_->size();
    std::size_t start = 0;  // where the search of this chunk begins
    if (!carry_.empty()) {
      // The boundary window: the carried bytes plus up to m - 1 bytes of this chunk. Only matches
      // that begin in the carried bytes are counted here.
      const std::size_t take = std::min(n, m - 1);
      window_.assign(carry_);
      window_.append(data, take);
      std::size_t i = 0;
      while (i < carry_.size()) {
        const char* hit = Find(window_.data() + i, window_.size() - i);
        if (hit == nullptr) break;
        const auto at = static_cast<std::size_t>(hit - window_.data());
        if (at >= carry_.size()) break;  // begins in this chunk: found again below
        ++count_;
        i = at + m;
      }
      if (take < m - 1) {
        // The chunk was too short to settle the carried bytes: carry the window on.
        const std::size_t keep_from =
            std::max(i, window_.size() > m - 1 ? window_.size() - (m - 1) : 0);
        carry_.assign(window_, std::min(keep_from, window_.size()));
        return;
      }
      start = i > carry_.size() ? i - carry_.size() : 0;
    }
    std::size_t p = start;
    while (p + m <= n) {
      const char* hit = Find(data + p, n - p);
      if (hit == nullptr) break;
      ++count_;
      p = static_cast<std::size_t>(hit - data) + m;
    }
    const std::size_t tail = n >= m - 1 ? n - (m - 1) : 0;
    const std::size_t from = std::max(p, tail);
    carry_.assign(data + std::min(from, n), n - std::min(from, n));
  }

  uint64_t count() const { return count_; }

 private:
  const char* Find(const char* hay, std::size_t len) const {
    return static_cast<const char*>(::memmem(hay, len, pattern_->data(), pattern_->size()));
  }

  const std::string* pattern_;
  std::string carry_;
  std::string window_;
  uint64_t count_ = 0;
};

class CountConsumer final : public run::CollectingConsumer<uint64_t> {
 public:
  explicit CountConsumer(const std::string* pattern) : pattern_(pattern) {}

  void Begin(uint64_t file_id) override { states_.try_emplace(file_id, pattern_); }
  void Chunk(uint64_t file_id, std::span<const std::byte> data) override {
    states_.at(file_id).Feed(reinterpret_cast<const char*>(data.data()), data.size());
  }
  void End(uint64_t file_id, const Status& status, uint64_t) override {
    auto it = states_.find(file_id);
    if (it == states_.end()) return;
    if (status.ok()) Collect(file_id, it->second.count());
    states_.erase(it);
  }

 private:
  const std::string* pattern_;
  std::unordered_map<uint64_t, StreamCounter> states_;
};

constexpr char kUsage[] =
    "Usage: ringflow count --pattern STR [options] PATH...\n"
    "\n"
    "Counts the occurrences of the byte string STR in every regular file under each PATH\n"
    "(leftmost, non-overlapping, like `grep -o STR | wc -l` for a STR without newline; matches\n"
    "that cross read boundaries are counted). Prints `COUNT PATH` per file, sorted by path, and\n"
    "`COUNT total` at the end. A name with a newline or a carriage return is written as\n"
    "sha256sum writes it: the line starts with a backslash, and \\n, \\r, \\\\ stand for\n"
    "newline, carriage return, backslash.\n"
    "\n"
    "Exit status: 0 all files read, 1 some file was skipped or failed, 2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  ringflow count --pattern ' 500 ' /var/log/nginx\n"
    "  ringflow count --pattern ERROR --threads 1 app.log\n";

}  // namespace

int CountCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  ReadOptionsRaw raw;
  std::string pattern;
  desc.add_options()("help,h", "show this help")(
      "pattern,p", po::value(&pattern)->value_name("STR"),
      "the byte string to count (required, not empty; taken literally)");
  AddReadOptions(desc, raw);
  auto parsed = ParseReadCommand("count", kUsage, args, desc, raw);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  if (pattern.empty()) {
    PrintError("count: --pattern STR is required and must not be empty (see --help)");
    return 2;
  }

  auto read = run::RunCollecting<uint64_t, CountConsumer>(std::get<run::BatchOptions>(parsed), [&] {
    return std::make_unique<CountConsumer>(&pattern);
  });
  if (!read.ok()) {
    PrintError(read.error().message());
    return 1;
  }
  const auto& [result, counts] = *read;
  uint64_t total = 0;
  std::string out;
  for (uint32_t i : result.OkFilesByPath()) {
    total += counts[i];
    const std::string_view path = result.path(i);
    const bool escape = SumNameNeedsEscape(path);
    if (escape) out += '\\';
    out += std::to_string(counts[i]);
    out += ' ';
    AppendSumName(out, path, escape);
    out += '\n';
  }
  out += std::to_string(total) + " total\n";
  if (!WriteStdout(out)) return 1;
  return result.skipped > 0 ? 1 : 0;
}

}  // namespace ringflow::app

// Consumers for the parallel batch reader (batch.h): XXH3-64 per file (`ringflow checksum`) and
// occurrences of a byte string per file (`ringflow count`). Each consumer belongs to one reader
// thread (batch.h); the results meet in RunCollecting's table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "framework/core/result.h"
#include "framework/core/xxh3.h"
#include "framework/run/batch.h"

namespace ringflow::run {

// A file's XXH3-64 and, when counted, its lines (a last line without a newline counts).
struct Digest {
  uint64_t xxh3 = 0;
  uint64_t lines = 0;
};

// Hashes each file as its chunks arrive; the digests of all threads meet in one table.
class DigestConsumer final : public CollectingConsumer<Digest> {
 public:
  explicit DigestConsumer(bool count_lines) : count_lines_(count_lines) {}

  void Begin(uint64_t file_id) override {
    State& s = states_[file_id];
    if (!s.hash) {
      if (spare_.empty()) {
        s.hash = std::make_unique<Xxh3>();
      } else {
        s.hash = std::move(spare_.back());
        spare_.pop_back();
        s.hash->Reset();
      }
    }
  }

  void Chunk(uint64_t file_id, std::span<const std::byte> data) override {
    State& s = states_[file_id];
    s.hash->Update(data.data(), data.size());
    if (count_lines_) {
      const auto* p = reinterpret_cast<const char*>(data.data());
      s.lines += static_cast<uint64_t>(std::count(p, p + data.size(), '\n'));
      s.last = p[data.size() - 1];
    }
  }

  void End(uint64_t file_id, const Status& status, uint64_t bytes) override {
    auto it = states_.find(file_id);
    if (it == states_.end()) return;
    State& s = it->second;
    if (status.ok()) {
      Collect(file_id, {s.hash->Digest(), s.lines + (bytes > 0 && s.last != '\n' ? 1 : 0)});
    }
    spare_.push_back(std::move(s.hash));
    states_.erase(it);
  }

 private:
  struct State {
    std::unique_ptr<Xxh3> hash;
    uint64_t lines = 0;
    char last = '\n';
  };
  const bool count_lines_;
  std::unordered_map<uint64_t, State> states_;
  std::vector<std::unique_ptr<Xxh3>> spare_;
};

// Counts leftmost, non-overlapping occurrences of a pattern in a stream of chunks, including those
// that straddle chunk boundaries: `carry` keeps the bytes after the last match that could still
// begin one (at most pattern length - 1 of them).
class StreamCounter {
 public:
  explicit StreamCounter(const std::string* pattern) : pattern_(pattern) {}

  // Counts the matches `data` completes.
  void Feed(const char* data, std::size_t n);

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

// Occurrences of a byte string per file (StreamCounter).
class PatternCountConsumer final : public CollectingConsumer<uint64_t> {
 public:
  explicit PatternCountConsumer(const std::string* pattern) : pattern_(pattern) {}

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

// File names in output lines, as sha256sum and xxhsum (0.8.2 and later) write them: a name with
// a newline or a carriage return cannot stand on its line as it is, so such a line starts with a
// backslash and its name is written with "\n", "\r" and "\\" for newline, carriage return and
// backslash (`xxhsum -c` and `sha256sum -c` undo it). Every other name is written as it is, a
// backslash included, so that xxhsum 0.8.1 (which unescapes nothing) still checks it.
// True when `path` needs that escaping.
bool SumNameNeedsEscape(std::string_view path);
// Appends `path`, escaped as above when `escape` (= SumNameNeedsEscape(path)).
void AppendSumName(std::string& out, std::string_view path, bool escape);

}  // namespace ringflow::run

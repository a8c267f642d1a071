#include "framework/run/file_consumers.h"

#include <algorithm>
#include <cstring>

namespace ringflow::run {

void StreamCounter::Feed(const char* data, std::size_t n) {
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

bool SumNameNeedsEscape(std::string_view path) {
  return path.find_first_of("\n\r") != std::string_view::npos;
}

void AppendSumName(std::string& out, std::string_view path, bool escape) {
  if (!escape) {
    out += path;
    return;
  }
  for (const char c : path) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace ringflow::run

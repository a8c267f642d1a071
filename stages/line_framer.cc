#include "stages/line_framer.h"

#include <algorithm>
#include <cstring>

namespace ringflow::stages {
namespace {

// Small first allocation: most lines that cross a boundary are short log lines.
constexpr std::size_t kMinSideBuffer = 512;

}  // namespace

LineFramer::LineFramer(const FramerOptions& options) : max_line_bytes_(options.max_line_bytes) {}

void LineFramer::Reset() {
  stored_ = 0;
  carry_bytes_ = 0;
  carrying_ = false;
  carry_ends_cr_ = false;
  lines_ = 0;
  truncated_lines_ = 0;
}

void LineFramer::Carry(const char* p, std::size_t n) {
  if (n == 0) return;  // e.g. "...\r" | "\n...": the '\r' seen before still counts
  carry_bytes_ += n;
  carry_ends_cr_ = p[n - 1] == '\r';
  // Past max_line_bytes only the length is tracked, so a 1 GiB line costs max_line_bytes.
  const std::size_t take = std::min(n, max_line_bytes_ - stored_);
  if (take == 0) return;
  Buffer& buffer = side_[current_];
  if (stored_ + take > buffer.capacity) Grow(buffer, stored_ + take);
  // The chunk may be released after Feed returns, so the tail is copied, never referenced.
  std::memcpy(buffer.data.get() + stored_, p, take);
  stored_ += take;
}

Line LineFramer::EndCarry(bool at_eof) {
  // A trailing '\r' is part of the line ending only when a '\n' follows it (not at EOF).
  const uint64_t text_bytes = carry_bytes_ - ((!at_eof && carry_ends_cr_) ? 1 : 0);
  Line line;
  line.truncated = text_bytes > max_line_bytes_;
  // stored_ == min(carry_bytes_, max), so the text (possibly minus the '\r') is all stored.
  line.text =
      std::string_view(side_[current_].data.get(),
                       line.truncated ? max_line_bytes_ : static_cast<std::size_t>(text_bytes));
  line.stitched = true;
  ++lines_;
  if (line.truncated) ++truncated_lines_;
  // The returned view must stay valid until the next call, but this same Feed may start a new
  // partial line at the chunk's end: that one goes to the other buffer.
  current_ ^= 1;
  stored_ = 0;
  carry_bytes_ = 0;
  carrying_ = false;
  carry_ends_cr_ = false;
  return line;
}

void LineFramer::Grow(Buffer& buffer, std::size_t needed) {
  // Doubling keeps stitching amortised O(1) per byte; the cap keeps memory bounded by options.
  std::size_t capacity = std::max({needed, buffer.capacity * 2, kMinSideBuffer});
  capacity = std::min(capacity, max_line_bytes_);
  auto data = std::make_unique_for_overwrite<char[]>(capacity);
  if (stored_ != 0) std::memcpy(data.get(), buffer.data.get(), stored_);
  buffer.data = std::move(data);
  buffer.capacity = capacity;
}

}  // namespace ringflow::stages

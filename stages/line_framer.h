// LineFramer: turns one file's chunks, fed in file order, into lines. A line that lies inside one
// chunk is handed out as a view into that chunk (no copy); only a line that crosses a chunk
// boundary is stitched into a side buffer the framer owns (two of them, each capped at
// max_line_bytes, so memory is bounded whatever the input). The caller owns the chunks.
// Thread-compatible: one framer per file stream, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

namespace ringflow::stages {

struct FramerOptions {
  // Longest line text kept. A longer line is emitted once, cut to this many bytes, and marked
  // truncated; the rest of it (up to its newline) is skipped.
  std::size_t max_line_bytes = std::size_t{1} << 20;
};

struct Line {
  // The line without its "\n" or "\r\n". Either a view into the chunk passed to Feed (valid as
  // long as the chunk's bytes are) or, when `stitched`, into the framer's side buffer (valid
  // until the next call of Feed, Finish or Reset on this framer).
  std::string_view text;
  bool truncated = false;  // the line was longer than max_line_bytes: text holds its first bytes
  bool stitched = false;   // the line crossed a chunk boundary: text lives in the side buffer
};

class LineFramer {
 public:
  explicit LineFramer(const FramerOptions& options = {});
  LineFramer(LineFramer&&) noexcept = default;
  LineFramer& operator=(LineFramer&&) noexcept = default;

  // Calls on_line(const Line&) for every line that ends in `chunk`, in order: first the line
  // that began in earlier chunks (stitched), then the lines inside the chunk (views into it).
  // Bytes after the chunk's last '\n' are copied (at most max_line_bytes of them) and carried to
  // the next call, so the chunk may be released as soon as the views into it are no longer
  // needed. An empty chunk is allowed and does nothing. REQUIRES: chunks of one file, in order.
  template <typename F>
  void Feed(std::string_view chunk, F&& on_line);
  template <typename F>
  void Feed(std::span<const std::byte> chunk, F&& on_line) {
    // char may alias any object's bytes, so viewing the std::byte storage as chars is defined.
    Feed(std::string_view(reinterpret_cast<const char*>(chunk.data()), chunk.size()),
         std::forward<F>(on_line));
  }

  // End of file: calls on_line once for the final line if the file does not end with '\n' (a
  // '\r' at the very end stays in its text), otherwise not at all. The framer is then ready for
  // the next file; the counters keep running until Reset.
  template <typename F>
  void Finish(F&& on_line) {
    if (carrying_) on_line(EndCarry(/*at_eof=*/true));
  }

  // Drops any partial line and zeroes the counters (for the next file). Side buffers are kept.
  void Reset();

  uint64_t lines() const { return lines_; }                      // lines emitted since Reset
  uint64_t truncated_lines() const { return truncated_lines_; }  // of which were cut
  std::size_t max_line_bytes() const { return max_line_bytes_; }
  // Bytes allocated for the two side buffers together. Each is at most max_line_bytes; the
  // second exists only so a stitched line stays valid while the same Feed carries a new tail.
  std::size_t side_buffer_capacity() const { return side_[0].capacity + side_[1].capacity; }

 private:
  struct Buffer {
    std::unique_ptr<char[]> data;
    std::size_t capacity = 0;
  };

  // Adds n bytes to the partial line (only its first max_line_bytes are stored).
  void Carry(const char* p, std::size_t n);
  // Completes the partial line, updates the counters, and switches side buffers so the returned
  // view survives a new carry in the same Feed.
  Line EndCarry(bool at_eof);
  void Grow(Buffer& buffer, std::size_t needed);

  std::size_t max_line_bytes_;
  Buffer side_[2];
  int current_ = 0;             // side_[current_] holds the partial line
  std::size_t stored_ = 0;      // bytes of the partial line in side_[current_] (<= max)
  uint64_t carry_bytes_ = 0;    // bytes of the partial line seen so far (may exceed max)
  bool carrying_ = false;       // a line began in an earlier chunk and has not ended yet
  bool carry_ends_cr_ = false;  // the last byte seen of the partial line is '\r'
  uint64_t lines_ = 0;
  uint64_t truncated_lines_ = 0;
};

template <typename F>
void LineFramer::Feed(std::string_view chunk, F&& on_line) {
  if (chunk.empty()) return;
  const char* p = chunk.data();
  const char* const end = p + chunk.size();
  if (carrying_) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', chunk.size()));
    if (nl == nullptr) {
      Carry(p, chunk.size());
      return;
    }
    Carry(p, static_cast<std::size_t>(nl - p));
    on_line(EndCarry(/*at_eof=*/false));
    p = nl + 1;
  }
  // Hot path: one memchr per line; lines are views into the chunk, nothing is copied.
  while (p != end) {
    const auto* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (nl == nullptr) {
      carrying_ = true;
      Carry(p, static_cast<std::size_t>(end - p));
      return;
    }
    std::size_t len = static_cast<std::size_t>(nl - p);
    if (len != 0 && nl[-1] == '\r') --len;
    Line line{std::string_view(p, len), false, false};
    if (len > max_line_bytes_) {
      line.text = std::string_view(p, max_line_bytes_);
      line.truncated = true;
      ++truncated_lines_;
    }
    ++lines_;
    on_line(std::as_const(line));
    p = nl + 1;
  }
}

}  // namespace ringflow::stages

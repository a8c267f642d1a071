// Record: one input line and the typed fields a parser found in it. Values are views: into the
// line itself (which lives in a leased pool buffer or a framer's side buffer) or into an Arena
// that the record batch owns (unescaped strings, formatted timestamps). Neither is copied per
// record. A line that fails to parse keeps its raw text and carries the reason (never dropped).
// Thread-compatible: a record is built and read by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace ringflow::flow {

// Bump allocator for bytes that records refer to. Memory is released all at once (Reset or
// destruction); views into it stay valid until then. Not thread-safe.
class Arena {
 public:
  explicit Arena(std::size_t block_size = 64 * 1024) : block_size_(block_size) {}
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  // `n` writable bytes, valid until Reset.
  char* Allocate(std::size_t n) {
    if (n > left_) NewBlock(n);
    char* p = next_;
    next_ += n;
    left_ -= n;
    return p;
  }
  // A copy of `s` that lives as long as the arena.
  std::string_view Copy(std::string_view s) {
    char* p = Allocate(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Forgets everything; keeps the first block for reuse.
  void Reset() {
    if (blocks_.size() > 1) blocks_.resize(1);
    if (!blocks_.empty()) {
      next_ = blocks_[0].get();
      left_ = first_size_;
    }
  }
  std::size_t bytes_reserved() const { return reserved_; }

 private:
  void NewBlock(std::size_t at_least) {
    const std::size_t size = at_least > block_size_ ? at_least : block_size_;
    blocks_.push_back(std::make_unique<char[]>(size));
    if (blocks_.size() == 1) first_size_ = size;
    reserved_ += size;
    next_ = blocks_.back().get();
    left_ = size;
  }

  std::size_t block_size_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t first_size_ = 0;
  std::size_t reserved_ = 0;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

enum class ValueType : uint8_t {
  kNull,
  kBool,
  kInt,
  kDouble,
  kString,   // text: written as a JSON string (escaped)
  kRawJson,  // already valid JSON text (a nested object or array): written as it is
};

struct Value {
  ValueType type = ValueType::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;  // kString, kRawJson

  static Value Null() { return {}; }
  static Value Bool(bool v) { return {ValueType::kBool, v, 0, 0, {}}; }
  static Value Int(int64_t v) { return {ValueType::kInt, false, v, 0, {}}; }
  static Value Double(double v) { return {ValueType::kDouble, false, 0, v, {}}; }
  static Value String(std::string_view v) { return {ValueType::kString, false, 0, 0, v}; }
  static Value RawJson(std::string_view v) { return {ValueType::kRawJson, false, 0, 0, v}; }
};

struct Field {
  std::string_view name;  // a static string, a view into the line, or into the arena
  Value value;
};

struct Record {
  std::string_view raw;  // the line without its line ending ("\n" or "\r\n")
  std::vector<Field> fields;
  std::string_view error;  // non-empty: the line did not parse; why (a static string)
  bool truncated = false;  // the line was longer than max_line_bytes and was cut

  bool ok() const { return error.empty(); }
  // The first field called `name`, or null.
  const Field* Find(std::string_view name) const {
    for (const Field& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  void Clear() {
    raw = {};
    fields.clear();
    error = {};
    truncated = false;
  }
};

}  // namespace ringflow::flow

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
#include <memory_resource>
#include <string_view>
#include <utility>
#include <vector>

namespace ringflow::flow {

// Where record batches take their memory (records, fields, arena blocks) from: a process-wide
// pool that keeps freed blocks for reuse, so that a steady stream of batches costs no calls to
// malloc per record and no page faults. Thread-safe.
std::pmr::memory_resource* BatchMemoryPool();

// Bump allocator for bytes that records refer to. Memory is released all at once (Reset or
// destruction); views into it stay valid until then. Blocks come from `upstream` (which must
// outlive the arena). Not thread-safe.
class Arena {
 public:
  explicit Arena(std::size_t block_size = 64 * 1024,
                 std::pmr::memory_resource* upstream = std::pmr::new_delete_resource())
      : block_size_(block_size), upstream_(upstream) {}
  Arena(Arena&& other) noexcept
      : block_size_(other.block_size_),
        upstream_(other.upstream_),
        blocks_(std::move(other.blocks_)),
        reserved_(std::exchange(other.reserved_, 0)),
        next_(std::exchange(other.next_, nullptr)),
        left_(std::exchange(other.left_, 0)) {
    other.blocks_.clear();
  }
  Arena& operator=(Arena&&) = delete;
  ~Arena() { Release(0); }

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
    Release(1);
    if (!blocks_.empty()) {
      next_ = blocks_[0].data;
      left_ = blocks_[0].size;
    }
  }
  std::size_t bytes_reserved() const { return reserved_; }

 private:
  struct Block {
    char* data;
    std::size_t size;
  };
  void NewBlock(std::size_t at_least) {
    const std::size_t size = at_least > block_size_ ? at_least : block_size_;
    char* data = static_cast<char*>(upstream_->allocate(size, alignof(std::max_align_t)));
    blocks_.push_back({data, size});
    reserved_ += size;
    next_ = data;
    left_ = size;
  }
  // Returns every block after the first `keep`.
  void Release(std::size_t keep) {
    while (blocks_.size() > keep) {
      upstream_->deallocate(blocks_.back().data, blocks_.back().size, alignof(std::max_align_t));
      reserved_ -= blocks_.back().size;
      blocks_.pop_back();
    }
    if (blocks_.empty()) {
      next_ = nullptr;
      left_ = 0;
    }
  }

  std::size_t block_size_;
  std::pmr::memory_resource* upstream_;
  std::vector<Block> blocks_;
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

// Read the member that `type` names: b, i and d share their bytes (a record holds a few fields
// per line, so a field's size is a good part of a batch's memory).
struct Value {
  ValueType type = ValueType::kNull;
  union {
    bool b;
    int64_t i = 0;
    double d;
  };
  std::string_view s;  // kString, kRawJson

  static Value Null() { return {}; }
  static Value Bool(bool v) {
    Value x;
    x.type = ValueType::kBool;
    x.b = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.type = ValueType::kInt;
    x.i = v;
    return x;
  }
  static Value Double(double v) {
    Value x;
    x.type = ValueType::kDouble;
    x.d = v;
    return x;
  }
  static Value String(std::string_view v) {
    Value x;
    x.type = ValueType::kString;
    x.s = v;
    return x;
  }
  static Value RawJson(std::string_view v) {
    Value x;
    x.type = ValueType::kRawJson;
    x.s = v;
    return x;
  }
};

struct Field {
  std::string_view name;  // a static string, a view into the line, or into the arena
  Value value;
};

// A record's fields. Inside a RecordBatch they live in the batch's memory (see RecordBatch).
using FieldList = std::pmr::vector<Field>;

// Allocator-aware (uses-allocator construction): a record that goes into a batch's record list
// takes its fields from the batch's memory.
struct Record {
  using allocator_type = std::pmr::polymorphic_allocator<Field>;

  Record() = default;
  explicit Record(const allocator_type& alloc) : fields(alloc) {}
  Record(const Record&) = default;
  Record(Record&&) noexcept = default;
  Record& operator=(const Record&) = default;
  Record& operator=(Record&&) = default;
  Record(const Record& other, const allocator_type& alloc)
      : raw(other.raw),
        fields(other.fields, alloc),
        error(other.error),
        truncated(other.truncated) {}
  Record(Record&& other, const allocator_type& alloc)
      : raw(other.raw),
        fields(std::move(other.fields), alloc),
        error(other.error),
        truncated(other.truncated) {}

  std::string_view raw;  // the line without its line ending ("\n" or "\r\n")
  FieldList fields;
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

#include "stages/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "framework/core/json_escape.h"

namespace ringflow::stages {
namespace {

// The writers below put bytes through a raw pointer into a buffer the caller sized with the
// matching *Bound function; a record is written into a per-thread scratch buffer and appended to
// the output in one piece (std::string has no C++20 way to grow without zero-filling).

char* PutLiteral(char* d, std::string_view text) {
  std::memcpy(d, text.data(), text.size());
  return d + text.size();
}

// Room for a value: the longest int64 is 20 characters, the longest shortest double 24 (+ ".0").
std::size_t ValueBound(const flow::Value& value) {
  switch (value.type) {
    case flow::ValueType::kString:
      return JsonStringBound(value.s.size());
    case flow::ValueType::kRawJson:
      return value.s.size() + 4;
    default:
      return 32;
  }
}

char* PutDouble(char* d, double v) {
  if (!std::isfinite(v)) return PutLiteral(d, "null");
  const std::to_chars_result r = std::to_chars(d, d + 32, v);
  const std::string_view text(d, static_cast<std::size_t>(r.ptr - d));
  d = r.ptr;
  if (text.find_first_of(".e") == std::string_view::npos) d = PutLiteral(d, ".0");
  return d;
}

char* PutValue(char* d, const flow::Value& value) {
  switch (value.type) {
    case flow::ValueType::kNull:
      return PutLiteral(d, "null");
    case flow::ValueType::kBool:
      return PutLiteral(d, value.b ? "true" : "false");
    case flow::ValueType::kInt:
      return std::to_chars(d, d + 24, value.i).ptr;
    case flow::ValueType::kDouble:
      return PutDouble(d, value.d);
    case flow::ValueType::kString:
      return PutJsonString(d, value.s);
    case flow::ValueType::kRawJson:
      return value.s.empty() ? PutLiteral(d, "null") : PutLiteral(d, value.s);
  }
  return PutLiteral(d, "null");  // not a ValueType: keep the line valid
}

constexpr std::string_view kTruncated = ",\"_truncated\":true";

std::size_t RecordBound(const flow::Record& record) {
  std::size_t bound = 2 + 1 + kTruncated.size();  // braces, newline, the truncation flag
  if (record.ok()) {
    for (const flow::Field& field : record.fields) {
      bound += 2 + JsonStringBound(field.name.size()) + ValueBound(field.value);
    }
  } else {
    bound += 20 + JsonStringBound(record.error.size()) + JsonStringBound(record.raw.size());
  }
  return bound;
}

char* PutRecord(char* d, const flow::Record& record) {
  *d++ = '{';
  if (record.ok()) {
    bool first = true;
    for (const flow::Field& field : record.fields) {
      if (!first) *d++ = ',';
      first = false;
      d = PutJsonString(d, field.name);
      *d++ = ':';
      d = PutValue(d, field.value);
    }
    if (record.truncated) d = PutLiteral(d, first ? kTruncated.substr(1) : kTruncated);
  } else {
    d = PutLiteral(d, "\"_error\":");
    d = PutJsonString(d, record.error);
    d = PutLiteral(d, ",\"_raw\":");
    d = PutJsonString(d, record.raw);
    if (record.truncated) d = PutLiteral(d, kTruncated);
  }
  *d++ = '}';
  *d++ = '\n';
  return d;
}

// A per-thread buffer of at least `n` bytes. Grows as needed; a buffer grown past 4 MiB (for a
// huge line) is given back after use by ReleaseScratch.
class Scratch {
 public:
  char* Get(std::size_t n) {
    if (n > size_) {
      size_ = std::max(n, std::size_t{64} << 10);
      data_ = std::make_unique<char[]>(size_);
    }
    return data_.get();
  }
  void ReleaseIfHuge() {
    if (size_ > (std::size_t{4} << 20)) {
      data_.reset();
      size_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
};

thread_local Scratch scratch;

}  // namespace

void AppendRecordJson(std::string& out, const flow::Record& record) {
  char* begin = scratch.Get(RecordBound(record));
  char* end = PutRecord(begin, record);
  out.append(begin, static_cast<std::size_t>(end - begin));
  scratch.ReleaseIfHuge();
}

}  // namespace ringflow::stages

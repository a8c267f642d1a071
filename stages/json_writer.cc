#include "stages/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "framework/core/utf8.h"

namespace ringflow::stages {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes written as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

// Whether any of the 8 bytes in `w` is not plain: < 0x20, '"', '\\', or >= 0x7f. May answer
// true for a plain word (the caller then goes byte by byte), never false for a word that isn't.
inline bool AnyNotPlain(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101u;
  constexpr uint64_t kHigh = 0x8080808080808080u;
  const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;  // exact for thresholds <= 0x80
  const uint64_t high_or_del = (w | (w + kOnes)) & kHigh;  // >= 0x80, or 0x7f (+1 sets its bit)
  return (below_space | high_or_del | has_zero(w ^ ('"' * kOnes)) | has_zero(w ^ ('\\' * kOnes))) !=
         0;
}

// The writers below put bytes through a raw pointer into a buffer the caller sized with the
// matching *Bound function; a record is written into a per-thread scratch buffer and appended to
// the output in one piece (std::string has no C++20 way to grow without zero-filling).

// Room for `n` bytes as a JSON string: every byte may become \u00XX, plus quotes, plus 16 bytes
// of slack for the 16-byte stores of the fast path.
constexpr std::size_t StringBound(std::size_t n) { return 6 * n + 2 + 16; }

char* PutEscaped(char* d, unsigned char c) {
  switch (c) {
    case '"':
      *d++ = '\\';
      *d++ = '"';
      return d;
    case '\\':
      *d++ = '\\';
      *d++ = '\\';
      return d;
    case '\n':
      *d++ = '\\';
      *d++ = 'n';
      return d;
    case '\r':
      *d++ = '\\';
      *d++ = 'r';
      return d;
    case '\t':
      *d++ = '\\';
      *d++ = 't';
      return d;
    default:
      d[0] = '\\';
      d[1] = 'u';
      d[2] = '0';
      d[3] = '0';
      d[4] = kHex[c >> 4];
      d[5] = kHex[c & 0xf];
      return d + 6;
  }
}

// Copies p[0..n) (1 <= n <= 16) to d and returns true when every byte is plain; returns false
// and writes nothing visible otherwise. Two overlapping words check and copy any length in one go
// (fixed-size copies, no call to memcpy).
inline bool PutShortPlain(char*& d, const unsigned char* p, std::size_t n) {
  if (n >= 8) {
    uint64_t lo, hi;
    std::memcpy(&lo, p, 8);
    std::memcpy(&hi, p + n - 8, 8);
    if (AnyNotPlain(lo) || AnyNotPlain(hi)) return false;
    std::memcpy(d, &lo, 8);
    std::memcpy(d + n - 8, &hi, 8);
  } else if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    if (AnyNotPlain(lo | (uint64_t{hi} << 32))) return false;
    std::memcpy(d, &lo, 4);
    std::memcpy(d + n - 4, &hi, 4);
  } else {
    for (std::size_t k = 0; k < n; ++k) {
      if (!kPlain[p[k]]) return false;
    }
    for (std::size_t k = 0; k < n; ++k) d[k] = static_cast<char>(p[k]);
  }
  d += n;
  return true;
}

// Writes `bytes` as a JSON string (see AppendJsonString). REQUIRES: StringBound(size) bytes at d.
// Inlined into the record writer: most strings are short and plain, and there the call itself
// cost as much as the work.
[[gnu::always_inline]] inline char* PutString(char* d, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  *d++ = '"';
  std::size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    if (n - i >= 16) {
      // Plain bytes are copied 16 at a time: store all 16, then keep the ones before the first
      // byte that needs a look (< 0x20 or >= 0x80 — negative as signed —, '"', '\\', DEL).
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d), v);
      const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                                        _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
                                           _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                                                        _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask == 0) {
        i += 16;
        d += 16;
        continue;
      }
      const auto plain = static_cast<std::size_t>(__builtin_ctz(mask));
      i += plain;
      d += plain;
    } else if (PutShortPlain(d, p + i, n - i)) {
      break;  // the rest (fewer than 16 bytes) was plain
    }
#else
    if (PutShortPlain(d, p + i, std::min<std::size_t>(n - i, 16))) {
      i += std::min<std::size_t>(n - i, 16);
      continue;
    }
#endif
    // Byte by byte up to and including the first byte that is not plain.
    while (i < n) {
      const unsigned char c = p[i];
      if (kPlain[c]) {
        *d++ = static_cast<char>(c);
        ++i;
        continue;
      }
      std::size_t len = 0;
      if (c >= 0x80 && (len = Utf8SequenceLength(p + i, n - i)) != 0) {
        std::memcpy(d, p + i, len);
        d += len;
        i += len;
      } else {
        d = PutEscaped(d, c);
        ++i;
      }
      break;
    }
  }
  *d++ = '"';
  return d;
}

char* PutLiteral(char* d, std::string_view text) {
  std::memcpy(d, text.data(), text.size());
  return d + text.size();
}

// Room for a value: the longest int64 is 20 characters, the longest shortest double 24 (+ ".0").
std::size_t ValueBound(const flow::Value& value) {
  switch (value.type) {
    case flow::ValueType::kString:
      return StringBound(value.s.size());
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
      return PutString(d, value.s);
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
      bound += 2 + StringBound(field.name.size()) + ValueBound(field.value);
    }
  } else {
    bound += 20 + StringBound(record.error.size()) + StringBound(record.raw.size());
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
      d = PutString(d, field.name);
      *d++ = ':';
      d = PutValue(d, field.value);
    }
    if (record.truncated) d = PutLiteral(d, first ? kTruncated.substr(1) : kTruncated);
  } else {
    d = PutLiteral(d, "\"_error\":");
    d = PutString(d, record.error);
    d = PutLiteral(d, ",\"_raw\":");
    d = PutString(d, record.raw);
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

void AppendJsonString(std::string& out, std::string_view bytes) {
  char* begin = scratch.Get(StringBound(bytes.size()));
  char* end = PutString(begin, bytes);
  out.append(begin, static_cast<std::size_t>(end - begin));
  scratch.ReleaseIfHuge();
}

void AppendRecordJson(std::string& out, const flow::Record& record) {
  char* begin = scratch.Get(RecordBound(record));
  char* end = PutRecord(begin, record);
  out.append(begin, static_cast<std::size_t>(end - begin));
  scratch.ReleaseIfHuge();
}

}  // namespace ringflow::stages

// JSON strings (RFC 8259) from any bytes, the one escaper of the project: the JSON sink's
// records, `ringflow checksum --json`, the run summary. Valid UTF-8 is copied as it is; bytes
// that are not valid UTF-8 are written as \u00XX, their Latin-1 reading, so the output is always
// valid JSON. PutJsonString is defined here, inline, for the record writer's loop (most strings
// are short and plain, and there a call cost as much as the work). Thread-safe (no state).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "framework/core/utf8.h"

namespace ringflow {

// The short escape letter of `c` in a JSON string ('"' -> '"', '\\' -> '\\', '\n' -> 'n',
// '\r' -> 'r', '\t' -> 't'), or 0 when `c` has none that this project writes (\b and \f are
// written as \u0008 and \u000c).
constexpr char JsonShortEscape(unsigned char c) {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    default:
      return 0;
  }
}

// The most bytes PutJsonString writes for `n` bytes of input: every byte may become \u00XX,
// plus the quotes, plus 16 bytes of slack for the 16-byte stores of the fast path.
constexpr std::size_t JsonStringBound(std::size_t n) { return 6 * n + 2 + 16; }

// Writes `bytes` as a JSON string, quotes included, at `d` and returns the end. '"' and '\\' are
// escaped; \n, \r, \t get their short escapes; every other control character (0x00-0x1f) and DEL
// (0x7f, legal raw in JSON but invisible on a terminal) is written as \u00XX. Valid UTF-8
// sequences (Utf8SequenceLength) are copied as they are. Any other byte (a stray continuation
// byte, a truncated sequence, an overlong form, a UTF-8-encoded surrogate, a code point above
// U+10FFFF, 0xf8-0xff) is written as \u00XX, so it decodes to U+00XX.
// REQUIRES: JsonStringBound(bytes.size()) writable bytes at `d` (the bytes past the returned end
// may be overwritten too).
[[gnu::always_inline]] inline char* PutJsonString(char* d, std::string_view bytes);

// Appends `bytes` as a JSON string (PutJsonString) to `out`.
void AppendJsonString(std::string& out, std::string_view bytes);

// ---- Implementation details of PutJsonString.
namespace json_escape_internal {

inline constexpr char kHex[] = "0123456789abcdef";

// Bytes written as they are: printable ASCII but '"' and '\\'.
inline constexpr std::array<bool, 256> kPlain = [] {
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

// Writes the escape of a byte that is not plain and not part of valid UTF-8.
inline char* PutEscaped(char* d, unsigned char c) {
  if (const char letter = JsonShortEscape(c); letter != 0) {
    d[0] = '\\';
    d[1] = letter;
    return d + 2;
  }
  d[0] = '\\';
  d[1] = 'u';
  d[2] = '0';
  d[3] = '0';
  d[4] = kHex[c >> 4];
  d[5] = kHex[c & 0xf];
  return d + 6;
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

// Byte by byte from p[i] up to and including the first byte that is not plain (with the rest
// of its UTF-8 sequence, if it starts a valid one); returns the new i.
[[gnu::always_inline]] inline std::size_t PutUpToSpecial(char*& d, const unsigned char* p,
                                                         std::size_t i, std::size_t n) {
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
      return i + len;
    }
    d = PutEscaped(d, c);
    return i + 1;
  }
  return i;
}

}  // namespace json_escape_internal

[[gnu::always_inline]] inline char* PutJsonString(char* d, std::string_view bytes) {
  using namespace json_escape_internal;
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
    i = PutUpToSpecial(d, p, i, n);
  }
  *d++ = '"';
  return d;
}

}  // namespace ringflow

// UTF-8 well-formedness, one definition for every place that escapes or checks text (the JSON
// escaper, messages, the JSON parser). Header-only so that the JSON writer's loop inlines it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ringflow {

// The length (1..4) of the well-formed UTF-8 sequence at the start of [p, p + left), or 0 when
// it is not one (Unicode Table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF; a
// continuation byte on its own, C0, C1 and F5..FF never start one). An ASCII byte is 1.
// REQUIRES: left > 0.
inline std::size_t Utf8SequenceLength(const unsigned char* p, std::size_t left) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  std::size_t len = 0;
  uint32_t cp = 0;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1fu;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0fu;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (len > left) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[k] & 0x3fu);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// The same for the start of `s`. REQUIRES: !s.empty().
inline std::size_t Utf8SequenceLength(std::string_view s) {
  return Utf8SequenceLength(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

// Whether all of `s` is well-formed UTF-8, by the same rules as Utf8SequenceLength: shortest
// forms only, no surrogates (ED A0..BF), at most U+10FFFF. Ranges by the first byte, with an
// 8-bytes-at-a-time ASCII path: the JSON parser checks every line with it.
inline bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const end = p + s.size();
  while (p != end) {
    if (end - p >= 8) {  // ASCII fast path, 8 bytes at a time
      uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080u) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::ptrdiff_t len = 0;
    unsigned lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return false;  // continuation byte, C0/C1 (overlong), F5..FF
    }
    if (end - p < len || p[1] < lo || p[1] > hi) return false;
    for (std::ptrdiff_t k = 2; k < len; ++k) {
      if ((p[k] & 0xc0) != 0x80) return false;
    }
    p += len;
  }
  return true;
}

}  // namespace ringflow

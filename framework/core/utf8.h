// UTF-8 well-formedness, one definition for every place that escapes or checks text (the JSON
// writer, messages, the summary's JSON). Header-only so that the JSON writer's loop inlines it.
#pragma once

#include <cstddef>
#include <cstdint>
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

}  // namespace ringflow

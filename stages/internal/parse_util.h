// Small helpers shared by the line parsers (internal to stages/): digits, month names, tokens,
// and the failure path that leaves a record with a reason and no half-filled fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "framework/core/calendar.h"
#include "framework/flow/record.h"

namespace ringflow::stages::internal {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A decimal of 1 or more digits, no sign, at most `max`.
inline bool ParseUnsigned(std::string_view s, int64_t max, int64_t& out) {
  if (s.empty()) return false;
  int64_t v = 0;
  for (const char c : s) {
    if (!IsDigit(c)) return false;
    const int d = c - '0';
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// Digits at s[at, at+n), all present and numeric.
inline bool Digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Month names and days per month: the one calendar of the project.
using ringflow::DaysInMonth;
using ringflow::MonthFromName;

// Writes v as `width` decimal digits, zero-padded.
inline void Put(char* p, int v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// The token at pos up to the next space (or the end); moves pos to that space.
inline std::string_view Token(std::string_view line, std::size_t& pos) {
  const std::size_t start = pos;
  const std::size_t sp = line.find(' ', pos);
  pos = sp == std::string_view::npos ? line.size() : sp;
  return line.substr(start, pos - start);
}

inline flow::Value DashIsNull(std::string_view s) {
  return s == "-" ? flow::Value::Null() : flow::Value::String(s);
}

// Marks the record failed with `reason` (a static string) and no fields; returns false.
inline bool Fail(flow::Record& out, std::string_view reason) {
  out.fields.clear();
  out.error = reason;
  return false;
}

}  // namespace ringflow::stages::internal

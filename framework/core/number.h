// Numbers read from text with std::from_chars: the C locale whatever the process's locale, no
// allocation, no errno. Each function reads a whole string: no leading or trailing space, no
// '+', nothing after the number. Header-only, as the line parsers call these once per field.
// Thread-safe (no state).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace ringflow {

// The integer written in `text` in decimal: digits, and a leading '-' for a signed type. nullopt
// when `text` is empty, holds anything else (a '+', a space, a '.', a trailing byte) or the
// value does not fit `Int`.
template <typename Int>
inline std::optional<Int> ParseInteger(std::string_view text) {
  static_assert(std::is_integral_v<Int> && !std::is_same_v<Int, bool>);
  const char* const first = text.data();
  const char* const last = first + text.size();
  Int value = 0;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last) return std::nullopt;
  return value;
}

// ParseInteger for int64_t ("-42") and uint64_t ("42", no sign at all).
inline std::optional<int64_t> ParseInt64(std::string_view text) {
  return ParseInteger<int64_t>(text);
}
inline std::optional<uint64_t> ParseUint64(std::string_view text) {
  return ParseInteger<uint64_t>(text);
}

// The finite double written in `text` ("1", "-2.5", "1e-3", "5.", ".5"), correctly rounded (as
// strtod in the C locale). nullopt when `text` is empty, holds anything else, is "inf",
// "infinity" or "nan" (in any case; JSON cannot carry them), is hexadecimal, or lies beyond
// double range either way (from_chars reports an overflow and an underflow to zero as
// out of range).
inline std::optional<double> ParseDouble(std::string_view text) {
  const char* const first = text.data();
  const char* const last = first + text.size();
  double value = 0;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace ringflow

// Log levels as the parsers write them: one lower-case spelling per level, whatever case or
// abbreviation the line used. Internal to stages/. Thread-safe (static data only).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace ringflow::stages::internal {

// The level a word names, in static storage: "INFO", "Info" and "info" -> "info"; "WARNING",
// "warning", "WARN" -> "warn"; "ERR", "ERROR" -> "error"; "CRIT", "CRITICAL" -> "critical";
// "EMERG", "EMERGENCY" -> "emergency"; also "trace", "debug", "notice", "fatal", "alert",
// "panic", "dpanic" (zap), "verbose", and java.util.logging's "severe", "config", "fine",
// "finer", "finest". Empty for any other word (including the empty one).
inline std::string_view LevelName(std::string_view word) {
  struct Spelling {
    std::string_view word;  // upper case
    std::string_view level;
  };
  static constexpr std::array<Spelling, 22> kSpellings{{
      {"TRACE", "trace"},         {"DEBUG", "debug"},     {"INFO", "info"},
      {"NOTICE", "notice"},       {"WARN", "warn"},       {"WARNING", "warn"},
      {"ERR", "error"},           {"ERROR", "error"},     {"CRIT", "critical"},
      {"CRITICAL", "critical"},   {"ALERT", "alert"},     {"EMERG", "emergency"},
      {"EMERGENCY", "emergency"}, {"FATAL", "fatal"},     {"PANIC", "panic"},
      {"DPANIC", "dpanic"},       {"VERBOSE", "verbose"}, {"SEVERE", "severe"},
      {"CONFIG", "config"},       {"FINE", "fine"},       {"FINER", "finer"},
      {"FINEST", "finest"},
  }};
  if (word.empty() || word.size() > 9) return {};
  std::array<char, 9> upper{};
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    upper[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  }
  const std::string_view key(upper.data(), word.size());
  for (const Spelling& s : kSpellings) {
    if (s.word == key) return s.level;
  }
  return {};
}

// The level of a one-letter severity as Android's logcat (V D I W E F A) and glog/klog
// (I W E F) write it: "verbose", "debug", "info", "warn", "error", "fatal", "assert"; empty
// for any other character.
inline std::string_view LevelFromLetter(char letter) {
  switch (letter) {
    case 'V':
      return "verbose";
    case 'D':
      return "debug";
    case 'I':
      return "info";
    case 'W':
      return "warn";
    case 'E':
      return "error";
    case 'F':
      return "fatal";
    case 'A':
      return "assert";
    default:
      return {};
  }
}

}  // namespace ringflow::stages::internal

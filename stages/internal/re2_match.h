// Matching a whole line against an RE2 with its groups, as the regex and grok parsers do.
// Internal to stages/. Thread-safe: the groups land in a per-thread array.
#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringflow::stages::internal {

// Matches all of `line` against `re` (anchored at both ends) and returns its first `groups`
// submatches (index 0 the whole match), or nullptr when it does not match. The array belongs to
// the calling thread and holds them until its next call. A group that did not take part has a
// null data pointer, which is why an empty `line` without one is matched as "".
inline const re2::StringPiece* MatchWhole(const RE2& re, std::string_view line, int groups) {
  // Grows once per thread to the most groups it was asked for; Match overwrites every entry.
  thread_local std::vector<re2::StringPiece> submatches;
  const auto n = static_cast<std::size_t>(groups);
  if (submatches.size() < n) submatches.resize(n);
  const re2::StringPiece text =
      line.data() != nullptr ? re2::StringPiece(line.data(), line.size()) : re2::StringPiece("");
  if (!re.Match(text, 0, text.size(), RE2::ANCHOR_BOTH, submatches.data(), groups)) return nullptr;
  return submatches.data();
}

}  // namespace ringflow::stages::internal

// The words of validation messages, internal to framework/config: the list of problems a load
// collects, JSON paths ("source.engine.buffers", "stages[2].format", `stages[0]["odd key"]`),
// quoted user strings and bounded lists of names. Plain functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"

namespace ringflow::config::internal {

// A problem line is cut to this many bytes (before the newline). Quoted values are already
// short (QuoteForMessage); this holds whatever else a line is made of to LoadPipeline's promise.
inline constexpr std::size_t kMaxLineBytes = 996;
// A list of names in a message ("known: a, b, ...") stops after this many bytes.
inline constexpr std::size_t kMaxListBytes = 300;

// Every problem found, in the order found; one line each, "<json path>: <problem>".
class Problems {
 public:
  // `where` empty: the document's root, shown as "(root)".
  void Add(std::string_view where, std::string_view problem);
  bool empty() const { return lines_.empty(); }
  // kInvalidArgument with the lines joined by '\n'.
  Error ToError() const;

 private:
  std::vector<std::string> lines_;
};

// "a, b, c", as given.
std::string Join(const std::vector<std::string>& items);
// Names (stage names, types) for "known: ..." in a message: each quoted when it is not a plain
// key, the list stopped after kMaxListBytes with how many were left out, as a pipeline may
// define thousands of stages with long names.
std::string JoinBounded(const std::vector<std::string>& items);
// JoinBounded of `items` sorted.
std::string JoinSorted(std::vector<std::string> items);

// `s` quoted for a message, escaped and cut (QuoteForMessage).
inline std::string Quote(std::string_view s) { return QuoteForMessage(s); }

// Whether `key` may stand bare in a JSON path: letters, digits, '_' and '-'.
bool IsPlainKey(std::string_view key);
// The path of member `key` of the object at `parent`: "parent.key", or parent["key"] (quoted
// and cut) for a key that is not plain or longer than 64 bytes.
std::string Child(std::string_view parent, std::string_view key);
// The path of element `index` of the array at `parent`: "parent[index]".
std::string Index(std::string_view parent, std::size_t index);

// 1048576 -> "1MiB"; sizes that are not whole units stay plain numbers (bytes).
std::string FormatSize(int64_t bytes);

}  // namespace ringflow::config::internal

// RapidJSON documents as framework/config reads them, internal to it: the parse flags, a
// value's text and description for messages, and the nesting check that runs before anything
// recursive touches a document. Plain functions; thread-safe.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ringflow::config::internal {

using rapidjson::Document;
using rapidjson::Value;

// Iterative: a hostile document nested a million deep must not overflow the stack.
inline constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// The text of a string value. REQUIRES: v.IsString().
inline std::string_view StringOf(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// What a value is, for "expected X, got <this>": scalars as JSON (strings quoted and cut),
// containers by kind ("an object", "an array").
std::string Describe(const Value& v);

// The JSON path of the first array or object in `root` (at `root_path`, `root_depth` levels
// deep itself) that lies deeper than kMaxNestingDepth levels, or nullopt. Iterative, with a
// stack that stops at the limit: it runs on documents that nothing recursive may touch yet.
std::optional<std::string> FindTooDeep(const Value& root, const std::string& root_path,
                                       std::size_t root_depth);

// "nested deeper than 64 levels (the limit of a pipeline document)".
std::string TooDeepProblem();

}  // namespace ringflow::config::internal

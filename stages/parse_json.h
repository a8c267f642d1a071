// NDJSON line parser: turns one line holding one JSON object into a flow::Record's typed fields.
// Field names and values are views into the line or into the caller's Arena (only strings that
// held escapes are copied there); the record must not outlive either. Reentrant and thread-safe:
// concurrent calls need distinct records and arenas (each thread reuses its own RapidJSON reader).
#pragma once

#include <string_view>

#include "framework/flow/record.h"

namespace ringflow::stages {

// Nested objects and arrays deeper than this (counting the top-level object as 1) make the line
// an error: no log line needs it, and a strict consumer of our output (Python's json) has a
// recursion limit of its own.
inline constexpr int kMaxJsonDepth = 512;

// Parses `line` (without its line ending), which must be exactly one JSON object: leading and
// trailing JSON whitespace (space, tab, CR, LF) is allowed, anything else before or after it is
// not. Always sets out.raw = line and replaces out.fields and out.error; leaves out.truncated.
//
// Returns true and fills out.fields with the object's top-level members in order (duplicate
// names are kept, in order):
//   string       -> kString, unescaped; a view into the line when it held no escape, else a copy
//                   in `arena`. Always valid UTF-8 (may contain NUL from "\u0000").
//   integer      -> kInt when it fits int64, else kDouble (nearest double, never wrapped);
//                   "-0" is the double -0.0, so the sign survives.
//   fraction/exp -> kDouble, correctly rounded: bit for bit what strtod gives in the C locale,
//                   however many digits, subnormals and underflows (0, -0.0) included.
//   true/false   -> kBool;  null -> kNull.
//   object/array -> kRawJson: a view of its exact text in the line (inner whitespace and
//                   escapes kept as written), itself valid JSON.
// Member names are unescaped the same way as strings.
//
// Returns false, with out.fields empty and out.error a static reason, when the line is not valid
// JSON (RFC 8259), is not valid UTF-8 (overlongs and UTF-8-encoded surrogates included), holds a
// lone "\uDC00"-style low surrogate escape, a number anywhere in the line that is beyond double
// range ("1e400", "1.8e308": strtod would give infinity; RapidJSON's grammar also refuses a few
// at the edge that are not, such as "0e400"), nesting deeper than kMaxJsonDepth, a top-level
// value that is not an object, or anything but whitespace after the object (a NUL byte
// included).
// REQUIRES: line.size() < 4 GiB (longer lines are rejected).
bool ParseJsonLine(std::string_view line, flow::Record& out, flow::Arena& arena);

namespace internal {
// ParseJsonLine through RapidJSON alone, without the fast path for lines without escapes (the
// same contract): tests compare the two.
bool ParseJsonLineWithRapidJson(std::string_view line, flow::Record& out, flow::Arena& arena);
}  // namespace internal

}  // namespace ringflow::stages

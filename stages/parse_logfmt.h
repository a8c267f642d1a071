// Parser for logfmt lines: `key=value key2="quoted \"value\"" flag`.
// A pure function: no state, so it may run concurrently on different records and arenas.
// Names and values are views into the line, or into the caller's arena (quoted values that held
// escapes); the line and the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"

namespace ringflow::stages {

// Pairs are separated by blanks (spaces or tabs). A key is one or more bytes other than blanks,
// '=' and '"'. Its value:
//   `key`          (no '=')  -> Bool true
//   `key=`                   -> String ""
//   `key="..."`              -> String, always (no typing); `\"` `\\` `\n` `\r` `\t` are
//                               unescaped, any other backslash is kept as it is
//   `key=text`  (to the next blank), typed by its look:
//       true / false                                   -> Bool
//       -?(0|[1-9][0-9]*)          and fits in int64    -> Int
//       the same with .digits and/or e[+-]digits, finite -> Double
//       anything else (007, +5, 1e999, 2^64, ...)      -> String, exactly as written
// Duplicate keys are all kept, in line order.
//
// On failure (no pair at all, a key starting with '=' or '"', a '"' inside a key, an unterminated
// quote, a quoted value not followed by a blank) returns false, leaves out.fields empty and
// points out.error at a static reason. Always sets out.raw = line; leaves out.truncated alone.
bool ParseLogfmtLine(std::string_view line, flow::Record& out, flow::Arena& arena);

}  // namespace ringflow::stages

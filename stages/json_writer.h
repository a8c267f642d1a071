// Writing records as JSON lines (the JSON sink's formatter). Output is valid JSON (RFC 8259,
// UTF-8) whatever bytes the record holds: strings are escaped by framework/core/json_escape.h,
// which writes bytes that are not valid UTF-8 as \u00XX, their Latin-1 reading. Stateless;
// appends to a caller-owned string; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "framework/core/json_escape.h"
#include "framework/flow/record.h"

namespace ringflow::stages {

// Appends one JSON object and a '\n'.
// A parsed record (record.ok()): {"name":value,...} with its fields in order (duplicate names
// are written twice): kNull -> null, kBool -> true/false, kInt -> integer, kDouble -> the
// shortest text that reads back as the same double, with ".0" added when that text would look
// like an integer (so 100.0 stays a float); NaN and infinities -> null; kString ->
// AppendJsonString; kRawJson -> its text verbatim (REQUIRES: valid JSON; empty -> null).
// A failed record: {"_error":"<reason>","_raw":"<the line>"}.
// Either way "_truncated":true is added last when record.truncated.
void AppendRecordJson(std::string& out, const flow::Record& record);

}  // namespace ringflow::stages

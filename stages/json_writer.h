// Writing records as JSON lines (the JSON sink's formatter). Output is valid JSON (RFC 8259,
// UTF-8) whatever bytes the record holds: bytes that are not valid UTF-8 are written as \u00XX,
// their Latin-1 reading. Stateless; appends to a caller-owned string; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "framework/flow/record.h"

namespace ringflow::stages {

// Appends `bytes` as a JSON string, quotes included. '"' and '\\' are escaped; \n, \r, \t get
// their short escapes; every other control character (0x00-0x1f) and DEL (0x7f, legal raw in
// JSON but invisible on a terminal) is written as \u00XX. Valid UTF-8 sequences are copied as
// they are. Any other byte (a stray continuation byte, a truncated sequence, an overlong form, a
// UTF-8-encoded surrogate, a code point above U+10FFFF, 0xf8-0xff) is written as \u00XX, so it
// decodes to U+00XX. `ringflow checksum --json` uses it for paths too.
void AppendJsonString(std::string& out, std::string_view bytes);

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

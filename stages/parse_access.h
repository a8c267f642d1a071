// Parser for web-server access-log lines: nginx/Apache "combined" and "common" formats.
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line, or into the caller's arena (the time, unescaped quoted
// fields); the line and the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"

namespace ringflow::stages {

// Parses `$remote_addr $ident $remote_user [$time_local] "$request" $status $body_bytes_sent
// "$http_referer" "$http_user_agent"` (the last two optional: "common" format ends at the bytes).
//
// On success returns true and fills out.fields, in this order:
//   remote_addr   string
//   remote_user   string; null for "-"          ($ident is checked to be a token and dropped)
//   time          string, RFC 3339 with the offset kept numeric:
//                 "10/Oct/2026:13:55:36 -0700" -> "2026-10-10T13:55:36-07:00",
//                 "+0000" -> "+00:00" (never "Z", so every time has the same shape)
//   method, path, protocol   strings, when the request is three non-empty words separated by
//                 single spaces; otherwise (e.g. "-" or junk) one field:
//   request       string, the whole request
//   status        int, 1 to 3 digits (a sign or more digits is an error)
//   bytes         int, 0 to 2^63-1; "-" -> 0
//   referer       string; null for "-"          (only when present)
//   user_agent    string; null for "-"          (only when present)
//   request_time  int or double: a number alone after the user agent, or after the bytes of a
//                 "common" line ("0.005": nginx's $request_time, seconds; "1534": Apache's %D,
//                 microseconds), as written (only when present)
//   extra         string: anything else that follows the user agent after blanks, e.g. nginx
//                 "main"'s "$http_x_forwarded_for" (only when present and non-empty)
// Quoted fields end at the first unescaped '"'; inside them `\"` -> `"` and `\\` -> `\`, any
// other backslash is kept as it is (nginx writes `\x22`, which stays literal).
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason.
// Always sets out.raw = line and leaves out.truncated alone. Reuses out.fields' capacity.
bool ParseAccessLine(std::string_view line, flow::Record& out, flow::Arena& arena);

}  // namespace ringflow::stages

// Parser for Docker's json-file log driver lines (/var/lib/docker/containers/ID/ID-json.log):
// one JSON object per line with the container's output line in "log".
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line, or into the caller's arena (an unescaped "log"); the line and
// the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses `{"log":"msg\n","stream":"stdout","time":"2026-12-05T21:27:01.123456789Z"}`, the
// members in any order (a fast scanner takes the order Docker writes; any other line goes
// through ParseJsonLine, so both give the same record). The object may hold only the members
// "log" (string, may be absent), "stream" (string, may be absent), "time" (string, required,
// RFC 3339 as Go's time.RFC3339Nano writes it) and "attrs" (an object: the --log-opt labels
// and env the driver adds); any other member, a duplicate or a wrong type fails the line.
//
// On success returns true and fills out.fields, in this order:
//   time      string, the time as written, validated (a real date and time, with its zone)
//   stream    string, "stdout" or "stderr" as written (only when present)
//   message   string, "log" unescaped, without its final "\n" when it has one (Docker splits
//             lines longer than 16 KiB; only the last part ends in "\n"); "" when absent
//   attrs     raw JSON, the object as written (only when present)
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason:
// ParseJsonLine's for a line that is not JSON, else one of this parser's. Always sets
// out.raw = line and leaves out.truncated alone. Reuses out.fields' capacity. `time` is not
// used (Docker's times state their zone); it keeps the signature of the other line parsers.
bool ParseDockerLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& time);

}  // namespace ringflow::stages

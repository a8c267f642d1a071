// Parser for Apache httpd error-log lines: the 2.4 default ErrorLogFormat and the 2.2 layout.
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line, or into the caller's arena (the formatted time); the line and
// the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses what httpd writes when no ErrorLogFormat is set:
//   2.4:  [Www Mmm dd hh:mm:ss.uuuuuu yyyy] [MODULE:LEVEL] [pid P(:tid T)] (FILE(LINE): )
//         ((STATUS)TEXT: )([client|remote ADDR] )(AHnnnnn: )MSG(, referer: REF)
//   2.2:  [Www Mmm dd hh:mm:ss yyyy] [LEVEL] ([client ADDR] )((STATUS)TEXT: )MSG
// The time may also be the compact "yyyy-mm-dd hh:mm:ss[.uuuuuu]" of %{cu}t, and the day of the
// month " d" or "d" as well as "dd". MODULE may be empty ("[:error]", as mod_php logs).
//
// On success returns true and fills out.fields, in this order:
//   time      string, "yyyy-mm-ddThh:mm:ss[.uuuuuu]" (the microseconds when the line has them),
//             then `time.zone` when given (the line does not say its zone)
//   module    string, when the bracket names one ("core" of "[core:error]")
//   level     string, as LevelName spells it ("warn", "crit", ...; trace1..trace8 -> "trace")
//   pid       int, when "[pid P]" is present
//   tid       int, when ":tid T" is present (a decimal beyond int64 stays a string)
//   file, line   string and int, from "mod_x.c(123): ", which httpd writes at debug and trace
//   os_error  string, the APR/OS status as written: "(13)Permission denied", "(EAI 2)..."
//   client    string, the address of "[client ADDR]" ("1.2.3.4:5678" in 2.4, "1.2.3.4" in 2.2)
//   remote    string, the address of "[remote ADDR]" (a backend, not a client)
//   code      string, the message's "AHnnnnn" identifier, taken off the front of the message
//   message   string, the rest ("" when nothing is left)
//   referer   string, from the ", referer: REF" httpd appends, taken off the end of the message
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason;
// an impossible date or time is "date or time is out of range". Always sets out.raw = line and
// leaves out.truncated alone. Reuses out.fields' capacity.
bool ParseApacheErrorLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                          const TimeContext& time);

// Whether `line` may be an Apache error log line, told from its first byte: the time's '['.
// ParseApacheErrorLine fails on every line for which this is false (format detection passes
// over such lines without parsing them).
inline bool ApacheErrorLineMayStart(std::string_view line) {
  return !line.empty() && line[0] == '[';
}

}  // namespace ringflow::stages

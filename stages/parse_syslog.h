// Parser for syslog lines: RFC 5424, RFC 3164 (BSD) as rsyslog writes files (the <PRI> optional),
// and rsyslog's high-precision file format (RFC 3339 stamp in place of the BSD one).
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line, or into the caller's arena (the formatted BSD time); the line
// and the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses one of
//   RFC 5424:  <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]
//   RFC 3164:  [<PRI>]Mmm dd hh:mm:ss HOST [TAG[\[PID\]]: ]MSG     (day "dd", " d" or "d")
//   rsyslog:   [<PRI>]YYYY-MM-DDThh:mm:ss[.ffffff](Z|+hh:mm) HOST [TAG[\[PID\]]: ]MSG
//
// On success returns true and fills out.fields, in this order:
//   pri, facility, severity   ints (pri / 8, pri % 8), only when <PRI> is present (0..191)
//   time        string. 5424/rsyslog: the timestamp as written, if valid RFC 3339 (5424 "-" ->
//               null). 3164: "yyyy-mm-ddThh:mm:ss", the year from InferYear(time, ...) (the
//               year that does not put it in the future, or time.fixed_year), followed by
//               time.zone's offset when set and by nothing otherwise: the line does not say
//               its zone, and claiming "Z" would be wrong for most hosts.
//   host        string; null for 5424 "-"
//   app         string: the 5424 APP-NAME ("-" -> null) or the 3164 TAG; null when a 3164
//               line has no "TAG:" or "TAG[PID]:" after the host (then MSG starts right there)
//   pid         int, when PROCID / PID is a decimal that fits in int64, else
//   procid      string (e.g. "worker-3", or ""); neither for 5424 "-" or a TAG without [PID]
//   msgid       string, 5424 only; null for "-"
//   structured_data   string, 5424 only: the SD elements as written; null for "-"
//   message     string: the rest of the line ("" when absent), without a leading UTF-8 BOM
//               (5424) and without the one space after "TAG:" (3164)
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason.
// Always sets out.raw = line and leaves out.truncated alone. Reuses out.fields' capacity.
// A BSD date that does not exist in its year (Feb 29 of a fixed year that is not a leap year)
// fails with "date or time is out of range".
bool ParseSyslogLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& time);

}  // namespace ringflow::stages

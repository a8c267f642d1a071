// Parser for nginx error-log lines (error_log), as ngx_log_error writes them.
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line, or into the caller's arena (the formatted time); the line and
// the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses `yyyy/mm/dd hh:mm:ss [LEVEL] PID#TID: [*CID ]MSG[, key: value]...`, where the trailing
// pairs are the ones nginx's http, mail and stream modules append: `client: ADDR`,
// `server: NAME`, and the quoted `request`, `subrequest`, `upstream`, `host`, `referrer` and
// `login` ("...", quotes dropped). They are recognised only as a run that starts at
// ", client: " and reaches the end of the line with these keys alone; otherwise they stay in
// the message.
//
// On success returns true and fills out.fields, in this order:
//   time      string, "yyyy-mm-ddThh:mm:ss", then `time.zone` when given (the line has no zone)
//   level     string, as LevelName spells it ("error", "warn", "critical", "emergency", ...)
//   pid, tid  ints
//   cid       int, the connection number of "*CID", when present
//   message   string, up to the trailing pairs (with nginx's " (errno: text)" kept in it)
//   client, server, request, subrequest, upstream, host, referrer, login
//             strings, those present, in the order the line has them
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason;
// an impossible date or time is "date or time is out of range". Always sets out.raw = line and
// leaves out.truncated alone. Reuses out.fields' capacity.
bool ParseNginxErrorLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                         const TimeContext& time);

// Whether `line` may be an nginx error log line, told from its first bytes: "yyyy/".
// ParseNginxErrorLine fails on every line for which this is false (format detection passes over
// such lines without parsing them).
inline bool NginxErrorLineMayStart(std::string_view line) {
  return line.size() > 4 && line[0] >= '0' && line[0] <= '9' && line[4] == '/';
}

}  // namespace ringflow::stages

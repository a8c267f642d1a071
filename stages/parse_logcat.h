// Parser for Android logcat lines in the "threadtime" layout (logcat's default) and the older
// "time" layout. A pure function: no state, so it may run concurrently on different records and
// arenas. Values are views into the line, or into the caller's arena (the formatted time); the
// line and the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses one of
//   threadtime:  MM-DD hh:mm:ss.mmm[ ±hhmm]  PID  TID L TAG     : MSG
//   time:        MM-DD hh:mm:ss.mmm[ ±hhmm] L/TAG     ( PID): MSG
// where the date may carry its year ("yyyy-MM-DD", logcat -v year), the fraction may have 3, 6
// or 9 digits (-v usec, -v nsec), the zone is there with -v zone, PID and TID are padded with
// spaces, and TAG is padded to 8 with spaces (dropped). L is one of V D I W E F A.
//
// On success returns true and fills out.fields, in this order:
//   time      string, "yyyy-mm-ddThh:mm:ss.fff": the year from the line, else InferYear(time);
//             then the line's offset, or `time.zone` when it has none
//   pid       int
//   tid       int (threadtime only)
//   level     string, LevelFromLetter: "verbose", "debug", "info", "warn", "error", "fatal",
//             "assert"
//   tag       string, without its padding (may be empty)
//   message   string, after the ": " ("" when absent)
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason (the
// "--------- beginning of main" lines fail, as they are not records); an impossible date or time
// is "date or time is out of range". Always sets out.raw = line and leaves out.truncated alone.
// Reuses out.fields' capacity.
bool ParseLogcatLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& time);

}  // namespace ringflow::stages

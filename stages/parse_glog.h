// Parser for glog and klog lines (Google's C++ logging library, Kubernetes' Go one).
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line, or into the caller's arena (the formatted time); the line and
// the arena must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses `Lmmdd hh:mm:ss.uuuuuu THREADID FILE:LINE] MSG`, as glog documents its prefix, also with
// the year (`Lyyyymmdd ...`, glog's log_year_in_prefix). L is one of I W E F; THREADID is padded
// with spaces (klog writes the pid there).
//
// On success returns true and fills out.fields, in this order:
//   time      string, "yyyy-mm-ddThh:mm:ss.uuuuuu": the year from the line, else InferYear(time);
//             then `time.zone` when given (the line has no zone)
//   level     string, LevelFromLetter: "info", "warn", "error", "fatal"
//   thread    int; a thread id that is not a decimal within int64 (e.g. "0x7f...") is a string
//   file      string, the source file's name as written
//   line      int
//   message   string, after "] " ("" when absent)
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason (the
// header lines glog writes at the top of each file fail); an impossible date or time is "date or
// time is out of range". Always sets out.raw = line and leaves out.truncated alone. Reuses
// out.fields' capacity.
bool ParseGlogLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                   const TimeContext& time);

}  // namespace ringflow::stages

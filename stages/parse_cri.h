// Parser for Kubernetes CRI container-log lines, as the kubelet's runtimes (containerd, CRI-O)
// write them under /var/log/pods: "TIME STREAM TAG MESSAGE".
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line; the line must outlive every use of the record's fields.
#pragma once

#include <cstddef>
#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses `TIME STREAM TAG MESSAGE`:
//   TIME      RFC 3339 as Go's time.RFC3339Nano writes it: yyyy-mm-ddThh:mm:ss[.f{1,9}] then
//             Z or +hh:mm / -hh:mm
//   STREAM    "stdout" or "stderr"
//   TAG       "F" (a full line) or "P" (a part of a line the runtime split; the parts are joined
//             by the lines stage's "cri" multiline rule (stages/multiline.h), not here: a joined
//             record reaches this parser as one line, the first part's time and stream, tag F, and
//             the parts' messages one after the other)
//   MESSAGE   the rest of the line after one blank, as written (may be empty; a line that ends
//             right after the tag has an empty message)
//
// On success returns true and fills out.fields, in this order:
//   time      string, the time as written (it states its zone, so it is RFC 3339 already)
//   stream    string, "stdout" or "stderr"
//   partial   bool, true for "P"
//   message   string
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason: an
// impossible date or time is an error. Always sets out.raw = line and leaves out.truncated
// alone. Reuses out.fields' capacity. `time` is not used (every CRI time states its zone); the
// parameter keeps the signature of the other line parsers.
bool ParseCriLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                  const TimeContext& time);

// Whether `line` may be a CRI line, told from its first byte: its time's year is a digit.
// ParseCriLine fails on every line for which this is false (format detection passes over such
// lines without parsing them).
inline bool CriLineMayStart(std::string_view line) {
  return !line.empty() && line[0] >= '0' && line[0] <= '9';
}

namespace internal {
// The parts of a CRI line, as ParseCriLine reads them; `error` is empty when the line is one,
// else a static reason (and the rest is unspecified). Views into the line.
struct CriLine {
  std::string_view time;
  std::string_view stream;   // "stdout" or "stderr"
  bool partial = false;      // tag "P"
  std::size_t tag = 0;       // offset of the tag in the line
  std::string_view message;  // the rest after the tag and one blank
  std::string_view error;
};
CriLine SplitCriLine(std::string_view line);

// Why `text` is not an RFC 3339 time with a zone as Go's time.RFC3339Nano writes it
// (yyyy-mm-ddThh:mm:ss[.f{1,9}](Z|+hh:mm|-hh:mm), a real date and time), or empty when it is.
// The reason is a static string. Shared with the docker parser, whose "time" is the same.
std::string_view CheckRfc3339NanoTime(std::string_view text);
}  // namespace internal

}  // namespace ringflow::stages

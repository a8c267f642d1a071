// Parser for application-log lines: the layouts that log4j/logback, Spring Boot, Python's logging,
// Go's log (and slog's default handler), zap's console encoder, Ruby/Rails' Logger, Hadoop/Spark
// and ZooKeeper write by default or in their commonly documented patterns.
// A pure function: no state, so it may run concurrently on different records and arenas.
// Values are views into the line, or into the caller's arena (the time); the line and the arena
// must outlive every use of the record's fields.
#pragma once

#include <string_view>

#include "framework/flow/record.h"
#include "stages/log_time.h"

namespace ringflow::stages {

// Parses one line of an application log. Every accepted line starts with a full timestamp
// (date and time of day) and, except Go's log, has a level word that LevelName knows, right
// after the time or after a bracket or "- " that follows it: a line with anything else there
// (a host name, a tag) fails, so that syslog lines are never taken for application logs.
// The layouts, TIME being yyyy-mm-dd(T| )hh:mm:ss[(.|,)f...][Z|+hh:mm|+hhmm] unless noted:
//   log4j / logback / Hadoop:  TIME LEVEL [thread] logger: msg   (thread, logger optional;
//                              "logger - msg", Spring's padded "logger   : msg" also)
//                              TIME [thread] LEVEL logger - msg  (thread before the level)
//                              TIME [LEVEL] logger: msg          (a bracketed level)
//   Spring Boot 1-3:           TIME  LEVEL pid --- [app] [thread] [correlation] logger : msg
//                              (pid, app and correlation optional; padding trimmed)
//   ZooKeeper:                 TIME [myid:1] - LEVEL [thread:logger@line] - msg
//   Python logging:            TIME - name - LEVEL - msg,  TIME - LEVEL - msg
//   zap console encoder:       TIME\tLEVEL\t[logger\t][caller\t]msg   (tab-separated)
//   Ruby Logger (Rails):       L, [yyyy-mm-ddThh:mm:ss.ffffff #pid]  LEVEL -- progname: msg
//   Hadoop / Spark:            yy/MM/dd HH:mm:ss LEVEL logger: msg
//   HDFS:                      yyMMdd HHmmss [pid] LEVEL logger: msg
//   Go log (and slog):         yyyy/mm/dd hh:mm:ss[.ffffff] [file.go:N: ][LEVEL ]msg
// Two-digit years (yy) are 2000-2068 for 00-68 and 1969-1999 for 69-99, as POSIX strptime's %y.
// Go's log has no level: a first word that is an upper-case level ("INFO", as slog writes
// through log) becomes the level, and a first word in brackets that names a level
// ("[error]") fails the line: that is nginx's error log, which shares Go's date.
// A logger is recognised only as a word ending in ':', or followed by " - " or by blanks and
// " : "; otherwise the whole rest is the message. Layouts without a date (log4j's and logback's
// "%d{HH:mm:ss.SSS}" defaults), without a time (Python's basicConfig "LEVEL:name:msg") or with
// an epoch number (zap's production encoder) are not accepted: they leave detection guessing.
//
// On success returns true and fills out.fields, in this order, each only where the line has it:
//   time        string, RFC 3339 with the line's precision and its offset ("+0100" written as
//               "+01:00", "Z" kept), else time.zone when set, else no offset
//   level       string, from LevelName (lower case, "warning" -> "warn")
//   pid         int (Spring Boot, Ruby, HDFS)
//   app         string (Spring Boot 3's application name)
//   thread      string, without the padding inside its brackets
//   correlation string (Spring Boot 3's trace/span bracket, when not blank)
//   context     string (a bracket before "- LEVEL", e.g. ZooKeeper's "myid:1")
//   logger      string (Python's name, Ruby's progname when not empty, zap's logger name)
//   line        int (ZooKeeper's @line)
//   caller      string (zap's and Go's "file.go:42")
//   message     string: the rest of the line ("" when absent)
//
// On failure returns false, leaves out.fields empty and points out.error at a static reason: an
// impossible date or time ("2026-02-30", hour 25) is an error, never a wrong date.
// Always sets out.raw = line and leaves out.truncated alone. Reuses out.fields' capacity.
bool ParseApplogLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& time);

// Whether `line` opens as one of the layouts above, told from its first bytes: Rails' "L, [",
// or a digit with the separator of a layout's date where that layout has it ("yyyy-", "yyyy/",
// "yy/", "yyMMdd "). ParseApplogLine reads a line only as the layout these bytes choose, and
// fails on every line for which this is false (format detection passes over such lines without
// parsing them).
inline bool ApplogLineMayStart(std::string_view s) {
  if (s.size() <= 4) return false;
  if (s[0] >= 'A' && s[0] <= 'Z') return s[1] == ',' && s[2] == ' ' && s[3] == '[';
  if (s[0] < '0' || s[0] > '9') return false;
  return s[4] == '-' || s[4] == '/' || s[2] == '/' || (s.size() > 6 && s[6] == ' ');
}

}  // namespace ringflow::stages

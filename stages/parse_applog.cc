#include "stages/parse_applog.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stages/internal/log_level.h"
#include "stages/internal/parse_util.h"

namespace ringflow::stages {
namespace {

using internal::Digits;
using internal::Fail;
using internal::IsDigit;
using internal::LevelName;
using internal::ParseUnsigned;

using flow::Value;

constexpr std::size_t npos = std::string_view::npos;

// What a line gave, gathered before it goes into out.fields in the documented order (the layouts
// find the parts in different orders). An empty view or a negative number: not in the line.
struct Parts {
  std::string_view level, app, thread, correlation, context, logger, caller, message;
  int64_t pid = -1;
  int64_t line = -1;
};

// Each step returns an empty reason on success, else a static reason for out.error.
using Reason = std::string_view;

std::size_t SkipSpaces(std::string_view s, std::size_t pos) {
  while (pos < s.size() && s[pos] == ' ') ++pos;
  return pos;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::size_t pos, std::string_view prefix) {
  return s.substr(pos, prefix.size()) == prefix;
}

// The word at pos up to a blank, a tab or the end; moves pos past it.
std::string_view Word(std::string_view s, std::size_t& pos) {
  const std::size_t start = pos;
  while (pos < s.size() && s[pos] != ' ' && s[pos] != '\t') ++pos;
  return s.substr(start, pos - start);
}

// The text inside the bracket that opens at s[pos] (nested brackets allowed: thread names such as
// "Thread[main,5,main]"); moves pos past the closing ']'. False when it never closes.
bool ReadBracket(std::string_view s, std::size_t& pos, std::string_view& inside) {
  int depth = 0;
  for (std::size_t i = pos; i < s.size(); ++i) {
    if (s[i] == '[') {
      ++depth;
    } else if (s[i] == ']' && --depth == 0) {
      inside = s.substr(pos + 1, i - pos - 1);
      pos = i + 1;
      return true;
    }
  }
  return false;
}

// "file.go:42", "zap/logger.go:123": a source location as zap and Go's log write it.
bool IsCaller(std::string_view s) {
  const std::size_t colon = s.rfind(':');
  if (colon == npos || colon == 0 || colon + 1 == s.size()) return false;
  for (std::size_t i = colon + 1; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
  }
  const std::string_view file = s.substr(0, colon);
  return file.find(' ') == npos && file.find('.') != npos;
}

// Spring Boot's correlation bracket: blank (its padding when there is no trace) or trace and span
// ids, hex digits and '-'.
bool IsCorrelation(std::string_view inside) {
  const std::string_view t = Trim(inside);
  if (t.empty()) return true;
  if (t.size() < 16) return false;
  for (const char c : t) {
    if (!IsDigit(c) && c != '-' && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) {
      return false;
    }
  }
  return true;
}

// [(.|,)f{1,9}][Z|(+|-)hh[:]mm] at pos.
Reason ScanFractionAndZone(std::string_view s, std::size_t& pos, LogTime& t) {
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    const std::size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return "expected digits after the seconds' decimal point";
    if (pos - start > 9) return "more than 9 digits of a second";
    t.fraction = s.substr(start, pos - start);
  }
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
    t.zulu = true;
    t.offset = 0;
  } else if (pos + 1 < s.size() && (s[pos] == '+' || s[pos] == '-') && IsDigit(s[pos + 1])) {
    int hours = 0;
    int minutes = 0;
    const std::size_t m = pos + 3 < s.size() && s[pos + 3] == ':' ? pos + 4 : pos + 3;
    if (!Digits(s, pos + 1, 2, hours) || !Digits(s, m, 2, minutes)) {
      return "UTC offset is not +hh:mm or +hhmm";
    }
    if (hours > 23 || minutes > 59) return "UTC offset is out of range";
    t.offset = (s[pos] == '-' ? -1 : 1) * (hours * 60 + minutes);
    pos = m + 2;
  }
  return {};
}

// yyyy-mm-dd(T| )hh:mm:ss then the fraction and zone, from pos.
Reason ScanIsoTime(std::string_view s, std::size_t& pos, LogTime& t) {
  const std::size_t p = pos;
  if (p + 19 > s.size() || s[p + 4] != '-' || s[p + 7] != '-' ||
      (s[p + 10] != ' ' && s[p + 10] != 'T') || s[p + 13] != ':' || s[p + 16] != ':' ||
      !Digits(s, p, 4, t.year) || !Digits(s, p + 5, 2, t.month) || !Digits(s, p + 8, 2, t.day) ||
      !Digits(s, p + 11, 2, t.hour) || !Digits(s, p + 14, 2, t.minute) ||
      !Digits(s, p + 17, 2, t.second)) {
    return "time is not yyyy-mm-dd hh:mm:ss";
  }
  pos = p + 19;
  return ScanFractionAndZone(s, pos, t);
}

// Whatever follows the level (and any thread): "logger: msg", "logger - msg",
// "logger    : msg" (Spring pads the logger), or just the message.
void ReadLoggerAndMessage(std::string_view s, std::size_t pos, Parts& parts) {
  if (pos >= s.size()) return;
  std::size_t end = s.find(' ', pos);
  if (end == npos) end = s.size();
  const std::string_view word = s.substr(pos, end - pos);
  if (word.size() >= 2 && word.back() == ':') {
    parts.logger = word.substr(0, word.size() - 1);
    parts.message = end < s.size() ? s.substr(end + 1) : std::string_view();
    return;
  }
  if (end < s.size() && !word.empty()) {
    const std::size_t q = SkipSpaces(s, end);
    const bool sep_ends = q + 1 >= s.size() || s[q + 1] == ' ';
    if (q < s.size() && sep_ends && (s[q] == ':' || (s[q] == '-' && q == end + 1))) {
      parts.logger = word;
      parts.message = q + 2 <= s.size() ? s.substr(q + 2) : std::string_view();
      return;
    }
  }
  parts.message = s.substr(pos);
}

// Spring Boot after "---": [app] [thread] [correlation] logger : msg.
Reason ReadSpringRest(std::string_view s, std::size_t pos, Parts& parts) {
  std::string_view brackets[4];
  std::size_t n = 0;
  pos = SkipSpaces(s, pos);
  while (pos < s.size() && s[pos] == '[' && n < 4) {
    if (!ReadBracket(s, pos, brackets[n++])) return "unterminated '[' after '---'";
    pos = SkipSpaces(s, pos);
  }
  if (n >= 2 && IsCorrelation(brackets[n - 1])) parts.correlation = Trim(brackets[--n]);
  if (n == 0) return "expected '[thread]' after '---'";
  if (n > 2) return "too many brackets after '---'";
  if (n == 2) parts.app = Trim(brackets[0]);
  parts.thread = Trim(brackets[n - 1]);
  ReadLoggerAndMessage(s, pos, parts);
  return {};
}

// After the level word: Spring's "pid ---", a thread (ZooKeeper's "[thread:logger@line]"),
// then " - msg" or the logger and message.
Reason ReadAfterLevel(std::string_view s, std::size_t pos, Parts& parts) {
  if (pos >= s.size()) return {};
  if (s[pos] != ' ') return "expected a blank after the level";
  pos = SkipSpaces(s, pos);
  {
    std::size_t p = pos;
    while (p < s.size() && IsDigit(s[p])) ++p;
    const std::size_t dashes = p > pos ? SkipSpaces(s, p) : pos;
    if ((p == pos || dashes > p) && StartsWith(s, dashes, "---") &&
        (dashes + 3 == s.size() || s[dashes + 3] == ' ')) {
      if (p > pos && !ParseUnsigned(s.substr(pos, p - pos), INT64_MAX, parts.pid)) {
        return "pid is out of range";
      }
      return ReadSpringRest(s, dashes + 3, parts);
    }
  }
  if (pos < s.size() && s[pos] == '[' && parts.thread.empty()) {
    std::string_view inside;
    if (!ReadBracket(s, pos, inside)) return "unterminated '[' after the level";
    parts.thread = Trim(inside);
    // ZooKeeper: thread:logger@line (the thread itself may hold ':').
    const std::size_t at = inside.rfind('@');
    int64_t line_no = 0;
    if (at != npos && ParseUnsigned(inside.substr(at + 1), INT64_MAX, line_no)) {
      const std::size_t colon = inside.rfind(':', at);
      if (colon != npos && colon > 0 && colon + 1 < at) {
        parts.thread = Trim(inside.substr(0, colon));
        parts.logger = inside.substr(colon + 1, at - colon - 1);
        parts.line = line_no;
      }
    }
    pos = SkipSpaces(s, pos);
  }
  if (StartsWith(s, pos, "- ") || (pos + 1 == s.size() && s[pos] == '-')) {
    parts.message = s.substr(pos + 1 < s.size() ? pos + 2 : s.size());
    return {};
  }
  if (!parts.logger.empty()) {
    parts.message = s.substr(pos);
    return {};
  }
  ReadLoggerAndMessage(s, pos, parts);
  return {};
}

// After "TIME - ": "LEVEL ..." (ZooKeeper, Python without a name) or Python's
// "name - LEVEL - msg".
Reason ReadDashForm(std::string_view s, std::size_t pos, Parts& parts) {
  std::size_t p = pos;
  parts.level = LevelName(Word(s, p));
  if (!parts.level.empty()) return ReadAfterLevel(s, p, parts);
  const std::size_t sep = s.find(" - ", pos);
  if (sep == npos || sep == pos) return "expected a level or 'name - LEVEL' after '- '";
  parts.logger = s.substr(pos, sep - pos);
  p = sep + 3;
  parts.level = LevelName(Word(s, p));
  if (parts.level.empty()) return "expected a level after 'name - '";
  if (p == s.size() || (p + 2 == s.size() && s[p] == ' ' && s[p + 1] == '-')) return {};
  if (!StartsWith(s, p, " - ")) return "expected ' - ' after the level";
  parts.message = s.substr(p + 3);
  return {};
}

// After a time and its blanks: the level, maybe bracketed, maybe after a thread or "- ".
Reason ReadAfterTime(std::string_view s, std::size_t pos, Parts& parts) {
  if (pos < s.size() && s[pos] == '[') {
    std::string_view inside;
    if (!ReadBracket(s, pos, inside)) return "unterminated '[' after the time";
    parts.level = LevelName(Trim(inside));
    if (!parts.level.empty()) return ReadAfterLevel(s, pos, parts);
    pos = SkipSpaces(s, pos);
    if (StartsWith(s, pos, "- ")) {
      parts.context = Trim(inside);
      return ReadDashForm(s, SkipSpaces(s, pos + 2), parts);
    }
    parts.thread = Trim(inside);
    parts.level = LevelName(Word(s, pos));
    if (parts.level.empty()) return "expected a level after the thread";
    return ReadAfterLevel(s, pos, parts);
  }
  if (StartsWith(s, pos, "- ")) return ReadDashForm(s, SkipSpaces(s, pos + 2), parts);
  parts.level = LevelName(Word(s, pos));
  if (parts.level.empty()) return "expected a level after the time";
  return ReadAfterLevel(s, pos, parts);
}

// zap's console encoder after "TIME\t": LEVEL\t[logger\t][caller\t]msg.
Reason ReadZapRest(std::string_view s, std::size_t pos, Parts& parts) {
  std::size_t end = s.find('\t', pos);
  if (end == npos) end = s.size();
  parts.level = LevelName(s.substr(pos, end - pos));
  if (parts.level.empty()) return "expected a level after the time";
  if (end == s.size()) return {};
  pos = end + 1;
  const std::size_t e0 = s.find('\t', pos);
  if (e0 == npos) {
    parts.message = s.substr(pos);
    return {};
  }
  const std::string_view first = s.substr(pos, e0 - pos);
  if (IsCaller(first)) {
    parts.caller = first;
    parts.message = s.substr(e0 + 1);
    return {};
  }
  const std::size_t e1 = s.find('\t', e0 + 1);
  const std::string_view second = s.substr(e0 + 1, (e1 == npos ? s.size() : e1) - e0 - 1);
  if (first.empty() || first.find(' ') != npos || (!second.empty() && second[0] == '{')) {
    parts.message = s.substr(pos);
    return {};
  }
  parts.logger = first;
  if (e1 != npos && IsCaller(second)) {
    parts.caller = second;
    parts.message = s.substr(e1 + 1);
  } else {
    parts.message = s.substr(e0 + 1);
  }
  return {};
}

// TIME then a tab (zap) or blanks and the rest.
Reason ParseIso(std::string_view s, LogTime& t, Parts& parts) {
  std::size_t pos = 0;
  if (Reason r = ScanIsoTime(s, pos, t); !r.empty()) return r;
  if (pos < s.size() && s[pos] == '\t') return ReadZapRest(s, pos + 1, parts);
  if (pos >= s.size()) return "expected a level after the time";
  if (s[pos] != ' ') return "expected a blank after the time";
  return ReadAfterTime(s, SkipSpaces(s, pos), parts);
}

// L, [yyyy-mm-ddThh:mm:ss.ffffff #pid]  LEVEL -- progname: msg
Reason ParseRuby(std::string_view s, LogTime& t, Parts& parts) {
  std::size_t pos = 4;
  if (Reason r = ScanIsoTime(s, pos, t); !r.empty()) return r;
  if (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos >= s.size() || s[pos] != '#') return "expected '#pid' after the time";
  const std::size_t close = s.find(']', pos);
  if (close == npos) return "expected ']' after the pid";
  if (!ParseUnsigned(s.substr(pos + 1, close - pos - 1), INT64_MAX, parts.pid)) {
    return "pid is not a number";
  }
  pos = SkipSpaces(s, close + 1);
  const std::string_view word = Word(s, pos);
  parts.level = LevelName(word);
  if (parts.level.empty()) return "expected a level after the pid";
  if (word[0] != s[0]) return "the level's letter does not match the level";
  if (!StartsWith(s, pos, " -- ")) return "expected ' -- ' after the level";
  pos += 4;
  const std::size_t colon = s.find(": ", pos);
  if (colon != npos) {
    parts.logger = s.substr(pos, colon - pos);
    parts.message = s.substr(colon + 2);
  } else if (!s.empty() && s.back() == ':') {
    parts.logger = s.substr(pos, s.size() - 1 - pos);
  } else {
    return "expected ': ' after the progname";
  }
  return {};
}

// yyyy/mm/dd hh:mm:ss[.ffffff] [file.go:N: ][LEVEL ]msg
Reason ParseGo(std::string_view s, LogTime& t, Parts& parts) {
  if (s.size() < 19 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
      !Digits(s, 0, 4, t.year) || !Digits(s, 5, 2, t.month) || !Digits(s, 8, 2, t.day) ||
      !Digits(s, 11, 2, t.hour) || !Digits(s, 14, 2, t.minute) || !Digits(s, 17, 2, t.second)) {
    return "time is not yyyy/mm/dd hh:mm:ss";
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start || pos - start > 9) return "expected 1 to 9 digits after the seconds";
    t.fraction = s.substr(start, pos - start);
  }
  if (pos == s.size()) return {};
  if (s[pos] != ' ') return "expected a blank after the time";
  ++pos;
  if (pos < s.size() && s[pos] == '[') {
    const std::size_t close = s.find(']', pos);
    if (close != npos && !LevelName(s.substr(pos + 1, close - pos - 1)).empty()) {
      return "a bracketed level after a yyyy/mm/dd time (nginx's error log, not Go's log)";
    }
  }
  std::size_t p = pos;
  const std::string_view first = Word(s, p);
  if (first.size() >= 2 && first.back() == ':' && IsCaller(first.substr(0, first.size() - 1))) {
    parts.caller = first.substr(0, first.size() - 1);
    pos = p < s.size() ? p + 1 : p;
  }
  p = pos;
  const std::string_view word = Word(s, p);
  bool upper = !word.empty();
  for (const char c : word) upper = upper && c >= 'A' && c <= 'Z';
  if (upper && (p == s.size() || s[p] == ' ')) {
    parts.level = LevelName(word);
    if (!parts.level.empty()) pos = p < s.size() ? p + 1 : p;
  }
  parts.message = s.substr(pos);
  return {};
}

int TwoDigitYear(int yy) { return yy <= 68 ? 2000 + yy : 1900 + yy; }

// yy/MM/dd HH:mm:ss LEVEL ...
Reason ParseHadoop(std::string_view s, LogTime& t, Parts& parts) {
  int yy = 0;
  if (s.size() < 17 || s[2] != '/' || s[5] != '/' || s[8] != ' ' || s[11] != ':' || s[14] != ':' ||
      !Digits(s, 0, 2, yy) || !Digits(s, 3, 2, t.month) || !Digits(s, 6, 2, t.day) ||
      !Digits(s, 9, 2, t.hour) || !Digits(s, 12, 2, t.minute) || !Digits(s, 15, 2, t.second)) {
    return "time is not yy/MM/dd HH:mm:ss";
  }
  t.year = TwoDigitYear(yy);
  std::size_t pos = 17;
  if (Reason r = ScanFractionAndZone(s, pos, t); !r.empty()) return r;
  if (pos >= s.size() || s[pos] != ' ') return "expected a blank and a level after the time";
  return ReadAfterTime(s, SkipSpaces(s, pos), parts);
}

// yyMMdd HHmmss [pid] LEVEL ...
Reason ParseHdfs(std::string_view s, LogTime& t, Parts& parts) {
  int yy = 0;
  if (s.size() < 13 || s[6] != ' ' || !Digits(s, 0, 2, yy) || !Digits(s, 2, 2, t.month) ||
      !Digits(s, 4, 2, t.day) || !Digits(s, 7, 2, t.hour) || !Digits(s, 9, 2, t.minute) ||
      !Digits(s, 11, 2, t.second)) {
    return "time is not yyMMdd HHmmss";
  }
  t.year = TwoDigitYear(yy);
  if (s.size() == 13 || s[13] != ' ') return "expected a blank and a level after the time";
  std::size_t pos = SkipSpaces(s, 13);
  std::size_t p = pos;
  while (p < s.size() && IsDigit(s[p])) ++p;
  if (p > pos && p < s.size() && s[p] == ' ') {
    if (!ParseUnsigned(s.substr(pos, p - pos), INT64_MAX, parts.pid)) return "pid is out of range";
    pos = SkipSpaces(s, p);
  }
  parts.level = LevelName(Word(s, pos));
  if (parts.level.empty()) return "expected a level after the time";
  return ReadAfterLevel(s, pos, parts);
}

Reason ParseAny(std::string_view s, LogTime& t, Parts& parts) {
  if (!ApplogLineMayStart(s)) return "expected a timestamp at the start of the line";
  if (!IsDigit(s[0])) return ParseRuby(s, t, parts);
  if (s[4] == '-') return ParseIso(s, t, parts);
  if (s[4] == '/') return ParseGo(s, t, parts);
  if (s[2] == '/') return ParseHadoop(s, t, parts);
  return ParseHdfs(s, t, parts);
}

}  // namespace

bool ParseApplogLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& time) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  LogTime t;
  Parts parts;
  if (Reason r = ParseAny(line, t, parts); !r.empty()) return Fail(out, r);
  if (t.year < 1 || !IsValidLogTime(t)) return Fail(out, "date or time is out of range");
  out.fields.push_back({"time", Value::String(FormatLogTime(t, time.zone, arena))});
  if (!parts.level.empty()) out.fields.push_back({"level", Value::String(parts.level)});
  if (parts.pid >= 0) out.fields.push_back({"pid", Value::Int(parts.pid)});
  if (!parts.app.empty()) out.fields.push_back({"app", Value::String(parts.app)});
  if (!parts.thread.empty()) out.fields.push_back({"thread", Value::String(parts.thread)});
  if (!parts.correlation.empty()) {
    out.fields.push_back({"correlation", Value::String(parts.correlation)});
  }
  if (!parts.context.empty()) out.fields.push_back({"context", Value::String(parts.context)});
  if (!parts.logger.empty()) out.fields.push_back({"logger", Value::String(parts.logger)});
  if (parts.line >= 0) out.fields.push_back({"line", Value::Int(parts.line)});
  if (!parts.caller.empty()) out.fields.push_back({"caller", Value::String(parts.caller)});
  out.fields.push_back({"message", Value::String(parts.message)});
  return true;
}

}  // namespace ringflow::stages

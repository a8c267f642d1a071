#include "stages/parse_logcat.h"

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
using internal::LevelFromLetter;
using internal::ParseUnsigned;

using flow::Value;

void SkipSpaces(std::string_view line, std::size_t& pos) {
  while (pos < line.size() && line[pos] == ' ') ++pos;
}

// Digits at line[pos] up to a byte that is not one; moves pos past them.
bool ReadNumber(std::string_view line, std::size_t& pos, int64_t& value) {
  const std::size_t start = pos;
  while (pos < line.size() && IsDigit(line[pos])) ++pos;
  return ParseUnsigned(line.substr(start, pos - start), INT64_MAX, value);
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The message after a tag whose ':' is at line[colon]: from after ": ", or "" at the end.
std::string_view MessageAfter(std::string_view line, std::size_t colon) {
  return colon + 2 <= line.size() ? line.substr(colon + 2) : std::string_view();
}

}  // namespace

bool ParseLogcatLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& time) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  LogTime t;
  std::size_t pos = 0;
  bool has_year = false;
  if (line.size() > 4 && line[4] == '-') {
    if (!Digits(line, 0, 4, t.year)) return Fail(out, "expected the time as MM-DD hh:mm:ss.mmm");
    has_year = true;
    pos = 5;
  }
  // MM-DD hh:mm:ss.f
  if (pos + 16 > line.size() || line[pos + 2] != '-' || line[pos + 5] != ' ' ||
      line[pos + 8] != ':' || line[pos + 11] != ':' || line[pos + 14] != '.' ||
      !Digits(line, pos, 2, t.month) || !Digits(line, pos + 3, 2, t.day) ||
      !Digits(line, pos + 6, 2, t.hour) || !Digits(line, pos + 9, 2, t.minute) ||
      !Digits(line, pos + 12, 2, t.second)) {
    return Fail(out, "expected the time as MM-DD hh:mm:ss.mmm");
  }
  pos += 15;
  const std::size_t fraction_at = pos;
  while (pos < line.size() && IsDigit(line[pos])) ++pos;
  if (pos == fraction_at || pos - fraction_at > 9) {
    return Fail(out, "expected the time as MM-DD hh:mm:ss.mmm");
  }
  t.fraction = line.substr(fraction_at, pos - fraction_at);
  int off_h = 0, off_m = 0;
  if (pos + 6 <= line.size() && line[pos] == ' ' &&
      (line[pos + 1] == '+' || line[pos + 1] == '-') && Digits(line, pos + 2, 2, off_h) &&
      Digits(line, pos + 4, 2, off_m)) {
    if (off_h > 23 || off_m > 59) return Fail(out, "date or time is out of range");
    t.offset = (line[pos + 1] == '-' ? -1 : 1) * (off_h * 60 + off_m);
    pos += 6;
  }
  if (!has_year) t.year = InferYear(time, t.month, t.day, t.hour, t.minute);
  if (!IsValidLogTime(t) || t.year < 1) return Fail(out, "date or time is out of range");
  if (pos >= line.size() || line[pos] != ' ') return Fail(out, "expected a space after the time");
  SkipSpaces(line, pos);
  if (pos >= line.size()) return Fail(out, "expected the pid or the level");

  int64_t pid = 0, tid = -1;
  std::string_view level, tag, message;
  if (IsDigit(line[pos])) {
    // threadtime: PID TID L TAG: MSG
    if (!ReadNumber(line, pos, pid) || pos >= line.size() || line[pos] != ' ') {
      return Fail(out, "expected the pid");
    }
    SkipSpaces(line, pos);
    if (!ReadNumber(line, pos, tid) || pos >= line.size() || line[pos] != ' ') {
      return Fail(out, "expected the tid");
    }
    ++pos;
    if (pos + 2 > line.size() || line[pos + 1] != ' ') return Fail(out, "expected the level");
    level = LevelFromLetter(line[pos]);
    if (level.empty()) return Fail(out, "level is not one of V D I W E F A");
    pos += 2;
    std::size_t colon = line.find(": ", pos);
    if (colon == std::string_view::npos) {
      if (line.empty() || line.back() != ':') return Fail(out, "expected ':' after the tag");
      colon = line.size() - 1;
    }
    tag = TrimRight(line.substr(pos, colon - pos));
    message = MessageAfter(line, colon);
  } else {
    // time: L/TAG( PID): MSG
    if (pos + 2 > line.size() || line[pos + 1] != '/')
      return Fail(out, "expected the pid or L/TAG");
    level = LevelFromLetter(line[pos]);
    if (level.empty()) return Fail(out, "level is not one of V D I W E F A");
    pos += 2;
    std::size_t close = line.find("): ", pos);
    if (close == std::string_view::npos) {
      if (line.size() < 2 || line.substr(line.size() - 2) != "):") {
        return Fail(out, "expected \"(PID): \" after the tag");
      }
      close = line.size() - 2;
    }
    std::size_t open = close;
    while (open > pos && (IsDigit(line[open - 1]) || line[open - 1] == ' ')) --open;
    if (open == pos || line[open - 1] != '(')
      return Fail(out, "expected \"(PID): \" after the tag");
    std::size_t digits = open;
    SkipSpaces(line, digits);
    if (!ParseUnsigned(line.substr(digits, close - digits), INT64_MAX, pid)) {
      return Fail(out, "expected the pid");
    }
    tag = TrimRight(line.substr(pos, open - 1 - pos));
    message = MessageAfter(line, close + 1);
  }

  out.fields.push_back({"time", Value::String(FormatLogTime(t, time.zone, arena))});
  out.fields.push_back({"pid", Value::Int(pid)});
  if (tid >= 0) out.fields.push_back({"tid", Value::Int(tid)});
  out.fields.push_back({"level", Value::String(level)});
  out.fields.push_back({"tag", Value::String(tag)});
  out.fields.push_back({"message", Value::String(message)});
  return true;
}

}  // namespace ringflow::stages

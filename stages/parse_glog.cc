#include "stages/parse_glog.h"

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

}  // namespace

bool ParseGlogLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                   const TimeContext& time) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  if (line.empty() || (line[0] != 'I' && line[0] != 'W' && line[0] != 'E' && line[0] != 'F')) {
    return Fail(out, "expected the level letter I, W, E or F");
  }
  const std::string_view level = LevelFromLetter(line[0]);
  LogTime t;
  std::size_t pos = 1;
  bool has_year = false;
  if (line.size() > 9 && line[9] == ' ') {
    if (!Digits(line, 1, 4, t.year)) return Fail(out, "expected the date as mmdd or yyyymmdd");
    has_year = true;
    pos = 5;
  }
  // mmdd hh:mm:ss.f
  if (pos + 15 > line.size() || line[pos + 4] != ' ' || line[pos + 7] != ':' ||
      line[pos + 10] != ':' || line[pos + 13] != '.' || !Digits(line, pos, 2, t.month) ||
      !Digits(line, pos + 2, 2, t.day) || !Digits(line, pos + 5, 2, t.hour) ||
      !Digits(line, pos + 8, 2, t.minute) || !Digits(line, pos + 11, 2, t.second)) {
    return Fail(out, "expected the time as mmdd hh:mm:ss.uuuuuu");
  }
  pos += 14;
  const std::size_t fraction_at = pos;
  while (pos < line.size() && IsDigit(line[pos])) ++pos;
  if (pos == fraction_at || pos - fraction_at > 9) {
    return Fail(out, "expected the time as mmdd hh:mm:ss.uuuuuu");
  }
  t.fraction = line.substr(fraction_at, pos - fraction_at);
  if (!has_year) t.year = InferYear(time, t.month, t.day, t.hour, t.minute);
  if (!IsValidLogTime(t) || t.year < 1) return Fail(out, "date or time is out of range");
  if (pos >= line.size() || line[pos] != ' ') return Fail(out, "expected a space after the time");
  while (pos < line.size() && line[pos] == ' ') ++pos;
  const std::size_t thread_at = pos;
  while (pos < line.size() && line[pos] != ' ') ++pos;
  const std::string_view thread = line.substr(thread_at, pos - thread_at);
  if (thread.empty() || pos >= line.size()) return Fail(out, "expected the thread id");
  ++pos;
  // FILE:LINE] -- the file ends at the last ':' before the ']'.
  const std::size_t close = line.find(']', pos);
  if (close == std::string_view::npos) return Fail(out, "expected ']' after file:line");
  const std::string_view where = line.substr(pos, close - pos);
  const std::size_t colon = where.rfind(':');
  int64_t file_line = 0;
  if (colon == std::string_view::npos || colon == 0 || where.find(' ') != std::string_view::npos ||
      !ParseUnsigned(where.substr(colon + 1), INT64_MAX, file_line)) {
    return Fail(out, "expected file:line before ']'");
  }
  pos = close + 1;
  std::string_view message;
  if (pos < line.size()) {
    if (line[pos] != ' ') return Fail(out, "expected a space after ']'");
    message = line.substr(pos + 1);
  }

  int64_t thread_id = 0;
  out.fields.push_back({"time", Value::String(FormatLogTime(t, time.zone, arena))});
  out.fields.push_back({"level", Value::String(level)});
  out.fields.push_back({"thread", ParseUnsigned(thread, INT64_MAX, thread_id)
                                      ? Value::Int(thread_id)
                                      : Value::String(thread)});
  out.fields.push_back({"file", Value::String(where.substr(0, colon))});
  out.fields.push_back({"line", Value::Int(file_line)});
  out.fields.push_back({"message", Value::String(message)});
  return true;
}

}  // namespace ringflow::stages

#include "stages/parse_syslog.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "stages/internal/parse_util.h"

namespace ringflow::stages {
namespace {

using internal::DashIsNull;
using internal::DaysInMonth;
using internal::Digits;
using internal::Fail;
using internal::IsDigit;
using internal::MonthFromName;
using internal::ParseUnsigned;
using internal::Token;

using flow::Value;

// RFC 3339 as RFC 5424 allows it: yyyy-mm-ddThh:mm:ss[.1-6 digits](Z|+hh:mm|-hh:mm).
bool IsRfc3339(std::string_view t) {
  if (!CheckRfc3339(t).empty()) return false;
  // RFC 5424's TIME-SECFRAC: at most 6 digits.
  std::size_t digits = 0;
  if (t[19] == '.') {
    while (20 + digits < t.size() && IsDigit(t[20 + digits])) ++digits;
  }
  return digits <= 6;
}

void AddProcId(std::string_view id, flow::Record& out) {
  int64_t pid = 0;
  if (ParseUnsigned(id, INT64_MAX, pid)) {
    out.fields.push_back({"pid", Value::Int(pid)});
  } else {
    out.fields.push_back({"procid", Value::String(id)});
  }
}

// SD-ELEMENTs: one or more "[...]" in a row; inside, quoted PARAM-VALUEs may hold ']' and
// backslash escapes. Returns the index just past the last ']', or 0 if malformed.
std::size_t ScanStructuredData(std::string_view line, std::size_t pos) {
  while (pos < line.size() && line[pos] == '[') {
    ++pos;
    bool quoted = false;
    for (;; ++pos) {
      if (pos >= line.size()) return 0;
      const char c = line[pos];
      if (quoted) {
        if (c == '\\') {
          ++pos;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ']') {
        break;
      }
    }
    ++pos;
  }
  return pos;
}

bool Parse5424(std::string_view line, std::size_t pos, flow::Record& out) {
  // pos is past "1 ". The six header tokens are single-space separated and never empty.
  std::string_view tok[5];
  static constexpr std::string_view kMissing[] = {
      "expected the timestamp", "expected the hostname", "expected the app name",
      "expected the procid",    "expected the msgid",    "expected the structured data"};
  for (int i = 0; i < 5; ++i) {
    tok[i] = Token(line, pos);
    if (tok[i].empty()) return Fail(out, kMissing[i]);
    if (pos >= line.size()) return Fail(out, kMissing[i + 1]);
    ++pos;
  }
  if (tok[0] != "-" && !IsRfc3339(tok[0])) return Fail(out, "timestamp is not RFC 3339");
  std::string_view sd;
  if (pos < line.size() && line[pos] == '-') {
    sd = line.substr(pos++, 1);
  } else if (pos < line.size() && line[pos] == '[') {
    const std::size_t end = ScanStructuredData(line, pos);
    if (end == 0) return Fail(out, "unterminated structured data");
    sd = line.substr(pos, end - pos);
    pos = end;
  } else {
    return Fail(out, "structured data is neither '-' nor '['");
  }
  std::string_view message;
  if (pos < line.size()) {
    if (line[pos] != ' ') return Fail(out, "expected a space after the structured data");
    message = line.substr(pos + 1);
    if (message.substr(0, 3) == "\xEF\xBB\xBF") message.remove_prefix(3);
  }
  out.fields.push_back({"time", DashIsNull(tok[0])});
  out.fields.push_back({"host", DashIsNull(tok[1])});
  out.fields.push_back({"app", DashIsNull(tok[2])});
  if (tok[3] != "-") AddProcId(tok[3], out);
  out.fields.push_back({"msgid", DashIsNull(tok[4])});
  out.fields.push_back({"structured_data", DashIsNull(sd)});
  out.fields.push_back({"message", Value::String(message)});
  return true;
}

// After the time: " HOST [TAG[\[PID\]]: ]MSG". `time` is already checked.
bool ParseBsdRest(std::string_view line, std::size_t pos, Value time, flow::Record& out) {
  if (pos >= line.size() || line[pos] != ' ') return Fail(out, "expected a space after the time");
  ++pos;
  const std::string_view host = Token(line, pos);
  if (host.empty()) return Fail(out, "expected the hostname");
  if (pos < line.size()) ++pos;  // the space after the host
  // TAG: bytes up to ' ', '[' or ':'; it counts only when followed by ':' or "[PID]:".
  Value app = Value::Null();
  std::string_view pid;
  bool has_pid = false;
  std::size_t msg = pos;
  std::size_t i = pos;
  while (i < line.size() && line[i] != ' ' && line[i] != '[' && line[i] != ':') ++i;
  if (i > pos && i < line.size()) {
    if (line[i] == ':') {
      app = Value::String(line.substr(pos, i - pos));
      msg = i + 1;
    } else if (line[i] == '[') {
      const std::size_t close = line.find(']', i + 1);
      if (close != std::string_view::npos && close + 1 < line.size() && line[close + 1] == ':') {
        app = Value::String(line.substr(pos, i - pos));
        pid = line.substr(i + 1, close - i - 1);
        has_pid = true;
        msg = close + 2;
      }
    }
    if (msg != pos && msg < line.size() && line[msg] == ' ') ++msg;
  }
  out.fields.push_back({"time", time});
  out.fields.push_back({"host", Value::String(host)});
  out.fields.push_back({"app", app});
  if (has_pid) AddProcId(pid, out);
  out.fields.push_back({"message", Value::String(line.substr(msg))});
  return true;
}

}  // namespace

bool ParseSyslogLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& time) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  std::size_t pos = 0;
  if (!line.empty() && line[0] == '<') {
    int pri = 0;
    std::size_t i = 1;
    while (i < line.size() && i <= 3 && IsDigit(line[i])) pri = pri * 10 + (line[i++] - '0');
    if (i == 1 || i >= line.size() || line[i] != '>') return Fail(out, "PRI is not <0..191>");
    if (pri > 191) return Fail(out, "PRI is out of range (0..191)");
    pos = i + 1;
    out.fields.push_back({"pri", Value::Int(pri)});
    out.fields.push_back({"facility", Value::Int(pri >> 3)});
    out.fields.push_back({"severity", Value::Int(pri & 7)});
    if (line.substr(pos, 2) == "1 ") return Parse5424(line, pos + 2, out);
  }
  if (pos < line.size() && IsDigit(line[pos])) {
    // rsyslog's RSYSLOG_FileFormat: an RFC 3339 stamp in the BSD layout.
    const std::string_view stamp = Token(line, pos);
    if (!IsRfc3339(stamp)) return Fail(out, "timestamp is not RFC 3339");
    return ParseBsdRest(line, pos, Value::String(stamp), out);
  }
  // Mmm dd hh:mm:ss, the day as "dd", " d" or "d".
  const int month = MonthFromName(line.substr(pos, 3));
  if (month == 0) return Fail(out, "expected a month name or a timestamp");
  pos += 3;
  if (pos >= line.size() || line[pos] != ' ') return Fail(out, "expected a space after the month");
  ++pos;
  int day = 0;
  if (Digits(line, pos, 2, day)) {
    pos += 2;
  } else if (pos + 1 < line.size() && line[pos] == ' ' && Digits(line, pos + 1, 1, day)) {
    pos += 2;
  } else if (Digits(line, pos, 1, day)) {
    pos += 1;
  } else {
    return Fail(out, "expected the day of the month");
  }
  int hour, minute, second;
  if (pos + 9 > line.size() || line[pos] != ' ' || line[pos + 3] != ':' || line[pos + 6] != ':' ||
      !Digits(line, pos + 1, 2, hour) || !Digits(line, pos + 4, 2, minute) ||
      !Digits(line, pos + 7, 2, second)) {
    return Fail(out, "expected the time as hh:mm:ss");
  }
  LogTime t;
  t.month = month;
  t.day = day;
  t.hour = hour;
  t.minute = minute;
  t.second = second;
  // A day that exists in no year (Apr 31) fails here; Feb 29 takes a leap year.
  if (day < 1 || day > DaysInMonth(2024, month) || hour > 23 || minute > 59 || second > 60) {
    return Fail(out, "date or time is out of range");
  }
  t.year = InferYear(time, month, day, hour, minute);
  if (t.year < 1 || t.year > 9999) return Fail(out, "the year is not 1..9999");
  if (!IsValidLogTime(t)) return Fail(out, "date or time is out of range");
  return ParseBsdRest(line, pos + 9, Value::String(FormatLogTime(t, time.zone, arena)), out);
}

}  // namespace ringflow::stages

#include "stages/parse_cri.h"

#include <cstddef>
#include <string_view>

#include "stages/internal/parse_util.h"

namespace ringflow::stages {

namespace internal {

std::string_view CheckRfc3339NanoTime(std::string_view s) {
  LogTime t;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      !Digits(s, 0, 4, t.year) || !Digits(s, 5, 2, t.month) || !Digits(s, 8, 2, t.day) ||
      !Digits(s, 11, 2, t.hour) || !Digits(s, 14, 2, t.minute) || !Digits(s, 17, 2, t.second)) {
    return "time is not RFC 3339 (yyyy-mm-ddThh:mm:ss...)";
  }
  std::size_t pos = 19;
  if (s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start || pos - start > 9) return "time's fraction is not 1 to 9 digits";
    t.fraction = s.substr(start, pos - start);
  }
  int hours = 0;
  int minutes = 0;
  if (pos + 1 == s.size() && s[pos] == 'Z') {
    t.zulu = true;
    t.offset = 0;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':' &&
             Digits(s, pos + 1, 2, hours) && Digits(s, pos + 4, 2, minutes)) {
    if (minutes > 59) return "date or time is out of range";
    t.offset = (s[pos] == '-' ? -1 : 1) * (hours * 60 + minutes);
  } else {
    return "time does not end in Z or +hh:mm";
  }
  if (t.year < 1 || !IsValidLogTime(t)) return "date or time is out of range";
  return {};
}

}  // namespace internal

bool ParseCriLine(std::string_view line, flow::Record& out, flow::Arena& /*arena*/,
                  const TimeContext& /*time*/) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return internal::Fail(out, "expected a blank after the time");
  const std::string_view time = line.substr(0, sp);
  if (const std::string_view reason = internal::CheckRfc3339NanoTime(time); !reason.empty()) {
    return internal::Fail(out, reason);
  }
  const std::string_view stream = line.substr(sp + 1, 6);
  if ((stream != "stdout" && stream != "stderr") || sp + 7 >= line.size() || line[sp + 7] != ' ') {
    return internal::Fail(out, "stream is not stdout or stderr");
  }
  const std::size_t tag = sp + 8;
  if (tag >= line.size() || (line[tag] != 'F' && line[tag] != 'P') ||
      (tag + 1 < line.size() && line[tag + 1] != ' ')) {
    return internal::Fail(out, "tag is not F or P");
  }
  out.fields.push_back({"time", flow::Value::String(time)});
  out.fields.push_back({"stream", flow::Value::String(stream)});
  out.fields.push_back({"partial", flow::Value::Bool(line[tag] == 'P')});
  out.fields.push_back(
      {"message", flow::Value::String(line.substr(tag + 1 < line.size() ? tag + 2 : line.size()))});
  return true;
}

}  // namespace ringflow::stages

#include "stages/parse_cri.h"

#include <cstddef>
#include <string_view>

#include "stages/internal/parse_util.h"

namespace ringflow::stages {

namespace internal {

std::string_view CheckRfc3339NanoTime(std::string_view s) {
  const std::string_view reason = CheckRfc3339(s);
  // RFC 3339 allows the year 0000; Go's times, which these are, start at year 1.
  if (reason.empty() && s.substr(0, 4) == "0000") return "date or time is out of range";
  return reason;
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

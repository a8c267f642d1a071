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

namespace {

// SplitCriLine, inlined into ParseCriLine, whose speed it sets.
[[gnu::always_inline]] inline CriLine Split(std::string_view line) {
  CriLine out;
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) {
    out.error = "expected a blank after the time";
    return out;
  }
  out.time = line.substr(0, sp);
  if (const std::string_view reason = CheckRfc3339NanoTime(out.time); !reason.empty()) {
    out.error = reason;
    return out;
  }
  out.stream = line.substr(sp + 1, 6);
  if ((out.stream != "stdout" && out.stream != "stderr") || sp + 7 >= line.size() ||
      line[sp + 7] != ' ') {
    out.error = "stream is not stdout or stderr";
    return out;
  }
  out.tag = sp + 8;
  if (out.tag >= line.size() || (line[out.tag] != 'F' && line[out.tag] != 'P') ||
      (out.tag + 1 < line.size() && line[out.tag + 1] != ' ')) {
    out.error = "tag is not F or P";
    return out;
  }
  out.partial = line[out.tag] == 'P';
  out.message = line.substr(out.tag + 1 < line.size() ? out.tag + 2 : line.size());
  return out;
}

}  // namespace

CriLine SplitCriLine(std::string_view line) { return Split(line); }

}  // namespace internal

bool ParseCriLine(std::string_view line, flow::Record& out, flow::Arena& /*arena*/,
                  const TimeContext& /*time*/) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  const internal::CriLine cri = internal::Split(line);
  if (!cri.error.empty()) return internal::Fail(out, cri.error);
  out.fields.push_back({"time", flow::Value::String(cri.time)});
  out.fields.push_back({"stream", flow::Value::String(cri.stream)});
  out.fields.push_back({"partial", flow::Value::Bool(cri.partial)});
  out.fields.push_back({"message", flow::Value::String(cri.message)});
  return true;
}

}  // namespace ringflow::stages

#include "stages/parse_apache_error.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "stages/internal/log_level.h"
#include "stages/internal/parse_util.h"

namespace ringflow::stages {
namespace {

using internal::Digits;
using internal::Fail;
using internal::IsDigit;
using internal::LevelName;
using internal::MonthFromName;
using internal::ParseUnsigned;

using flow::Value;

bool IsWeekday(std::string_view s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  for (const std::string_view d : kDays) {
    if (s == d) return true;
  }
  return false;
}

// "hh:mm:ss[.f]" at t[at..]; f is 1 to 9 digits. Moves `at` past it.
bool ReadClock(std::string_view t, std::size_t& at, LogTime& out) {
  if (at + 8 > t.size() || t[at + 2] != ':' || t[at + 5] != ':' || !Digits(t, at, 2, out.hour) ||
      !Digits(t, at + 3, 2, out.minute) || !Digits(t, at + 6, 2, out.second)) {
    return false;
  }
  at += 8;
  if (at < t.size() && t[at] == '.') {
    const std::size_t start = ++at;
    while (at < t.size() && IsDigit(t[at])) ++at;
    if (at == start || at - start > 9) return false;
    out.fraction = t.substr(start, at - start);
  }
  return true;
}

// The inside of the time bracket: "Www Mmm dd hh:mm:ss[.uuuuuu] yyyy" (the day also " d" or "d")
// or "yyyy-mm-dd hh:mm:ss[.uuuuuu]". Checks the layout only; the caller checks the values.
bool ReadBracketTime(std::string_view t, LogTime& out) {
  std::size_t at = 0;
  if (t.size() >= 19 && t[4] == '-') {
    if (t[7] != '-' || t[10] != ' ' || !Digits(t, 0, 4, out.year) || !Digits(t, 5, 2, out.month) ||
        !Digits(t, 8, 2, out.day)) {
      return false;
    }
    at = 11;
    return ReadClock(t, at, out) && at == t.size();
  }
  if (t.size() < 20 || t[3] != ' ' || t[7] != ' ' || !IsWeekday(t.substr(0, 3))) return false;
  out.month = MonthFromName(t.substr(4, 3));
  if (out.month == 0) return false;
  at = 8;
  if (Digits(t, at, 2, out.day)) {
    at += 2;
  } else if (t[at] == ' ' && Digits(t, at + 1, 1, out.day)) {
    at += 2;
  } else if (Digits(t, at, 1, out.day)) {
    at += 1;
  } else {
    return false;
  }
  if (at >= t.size() || t[at] != ' ') return false;
  ++at;
  if (!ReadClock(t, at, out)) return false;
  return at + 5 == t.size() && t[at] == ' ' && Digits(t, at + 1, 4, out.year);
}

// httpd's levels: LevelName's words, and trace1..trace8 (all "trace").
std::string_view ApacheLevel(std::string_view word) {
  if (word.size() == 6 && word.substr(0, 5) == "trace" && word[5] >= '1' && word[5] <= '8') {
    return "trace";
  }
  return LevelName(word);
}

// The bracket whose '[' is at line[pos]: sets its inside and moves pos past the ']'. False (pos
// unchanged) when the line has no ']' after pos.
bool ReadBracket(std::string_view line, std::size_t& pos, std::string_view& inside) {
  const std::size_t close = line.find(']', pos + 1);
  if (close == std::string_view::npos) return false;
  inside = line.substr(pos + 1, close - pos - 1);
  pos = close + 1;
  return true;
}

// After a bracket: one space before what follows, or the end of the line.
bool SkipSpaceOrEnd(std::string_view line, std::size_t& pos) {
  if (pos == line.size()) return true;
  if (line[pos] != ' ') return false;
  ++pos;
  return true;
}

// "(13)", "(EAI 2)", "(OS 5)", "(os 0x0000abcd)" at line[pos], then the status text up to ": ".
// Returns the status and text, and moves pos past ": "; empty (pos unchanged) otherwise.
std::string_view ReadOsError(std::string_view line, std::size_t& pos) {
  if (pos >= line.size() || line[pos] != '(') return {};
  std::size_t i = pos + 1;
  const std::string_view rest = line.substr(i);
  bool hex = false;
  if (rest.substr(0, 4) == "EAI ") {
    i += 4;
  } else if (rest.substr(0, 3) == "OS ") {
    i += 3;
  } else if (rest.substr(0, 5) == "os 0x") {
    i += 5;
    hex = true;
  } else if (!rest.empty() && rest[0] == '-') {
    ++i;  // a negative status, which some modules pass
  }
  const std::size_t digits = i;
  while (i < line.size() && (IsDigit(line[i]) || (hex && line[i] >= 'a' && line[i] <= 'f'))) ++i;
  if (i == digits || i >= line.size() || line[i] != ')') return {};
  const std::size_t colon = line.find(": ", i + 1);
  if (colon == std::string_view::npos || colon == i + 1) return {};
  const std::string_view status = line.substr(pos, colon - pos);
  pos = colon + 2;
  return status;
}

constexpr std::string_view kReferer = ", referer: ";

// The last ", referer: " in `message`, or npos. Walks back from comma to comma with memrchr:
// string_view::rfind compares at every byte, which costs more than the rest of the line.
std::size_t FindReferer(std::string_view message) {
  std::size_t end = message.size();
  while (end > 0) {
    const void* comma = memrchr(message.data(), ',', end);
    if (comma == nullptr) break;
    const auto at = static_cast<std::size_t>(static_cast<const char*>(comma) - message.data());
    if (message.substr(at, kReferer.size()) == kReferer) return at;
    end = at;
  }
  return std::string_view::npos;
}

}  // namespace

bool ParseApacheErrorLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                          const TimeContext& time) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  if (line.empty() || line[0] != '[') return Fail(out, "expected '[' before the time");
  // The time bracket is at most "[Www Mmm dd hh:mm:ss.fffffffff yyyy]": look for ']' only there.
  const std::size_t close = line.substr(0, 40).find(']');
  if (close == std::string_view::npos) return Fail(out, "expected ']' after the time");
  LogTime t;
  if (!ReadBracketTime(line.substr(1, close - 1), t)) {
    return Fail(out, "time is not \"Www Mmm dd hh:mm:ss[.uuuuuu] yyyy\"");
  }
  if (!IsValidLogTime(t) || t.year < 1) return Fail(out, "date or time is out of range");
  std::size_t pos = close + 1;
  if (pos + 1 >= line.size() || line[pos] != ' ' || line[pos + 1] != '[') {
    return Fail(out, "expected \" [\" before the level");
  }
  ++pos;
  std::string_view inside;
  if (!ReadBracket(line, pos, inside)) return Fail(out, "expected ']' after the level");
  std::string_view module;
  const std::size_t colon = inside.find(':');
  if (colon != std::string_view::npos) {
    module = inside.substr(0, colon);
    if (module == "-") module = {};
    inside.remove_prefix(colon + 1);
  }
  const std::string_view level = ApacheLevel(inside);
  if (level.empty()) return Fail(out, "level is not one of httpd's");
  if (!SkipSpaceOrEnd(line, pos)) return Fail(out, "expected a space after the level");

  // [pid P:tid T] (2.4)
  std::string_view pid_text, tid_text;
  if (line.substr(pos, 5) == "[pid ") {
    if (!ReadBracket(line, pos, inside)) return Fail(out, "expected ']' after the pid");
    inside.remove_prefix(4);  // "pid "
    const std::size_t tid_at = inside.find(":tid ");
    pid_text = inside.substr(0, tid_at);
    if (tid_at != std::string_view::npos) {
      tid_text = inside.substr(tid_at + 5);
      if (tid_text.empty()) return Fail(out, "tid is empty");
    }
    int64_t ignored = 0;
    if (!ParseUnsigned(pid_text, INT64_MAX, ignored)) return Fail(out, "pid is not a number");
    if (!SkipSpaceOrEnd(line, pos)) return Fail(out, "expected a space after the pid");
  }

  // file(line): at debug and trace, which are the only levels httpd writes it at.
  std::string_view file;
  int64_t file_line = 0;
  if (level == "debug" || level == "trace") {
    std::size_t i = pos;
    while (i < line.size() && line[i] != '(' && line[i] != ' ') ++i;
    const std::size_t open = i;
    if (i > pos && i < line.size() && line[i] == '(') {
      ++i;
      while (i < line.size() && IsDigit(line[i])) ++i;
      if (i + 2 <= line.size() && line[i] == ')' && line[i + 1] == ':' &&
          (i + 2 == line.size() || line[i + 2] == ' ') &&
          ParseUnsigned(line.substr(open + 1, i - open - 1), INT64_MAX, file_line)) {
        file = line.substr(pos, open - pos);
        pos = i + 2 < line.size() ? i + 3 : i + 2;
      }
    }
  }

  // (STATUS)TEXT: comes before the client in 2.4 and after it in 2.2.
  std::string_view os_error = ReadOsError(line, pos);
  std::string_view client, remote;
  const std::string_view who = line.substr(pos, 8);
  if (who == "[client " || who == "[remote ") {
    if (!ReadBracket(line, pos, inside)) return Fail(out, "expected ']' after the client");
    (who[1] == 'c' ? client : remote) = inside.substr(7);  // after "client " or "remote "
    if (!SkipSpaceOrEnd(line, pos)) return Fail(out, "expected a space after the client");
    if (os_error.empty()) os_error = ReadOsError(line, pos);
  }

  std::string_view code;
  int ignored_digits = 0;
  if (line.size() >= pos + 8 && line[pos] == 'A' && line[pos + 1] == 'H' &&
      Digits(line, pos + 2, 5, ignored_digits) && line[pos + 7] == ':' &&
      (pos + 8 == line.size() || line[pos + 8] == ' ')) {
    code = line.substr(pos, 7);
    pos = pos + 8 < line.size() ? pos + 9 : pos + 8;
  }

  std::string_view message = line.substr(pos);
  const std::size_t ref_at = FindReferer(message);
  std::string_view referer;
  if (ref_at != std::string_view::npos) {
    referer = message.substr(ref_at + kReferer.size());
    message = message.substr(0, ref_at);
  }

  out.fields.push_back({"time", Value::String(FormatLogTime(t, time.zone, arena))});
  if (!module.empty()) out.fields.push_back({"module", Value::String(module)});
  out.fields.push_back({"level", Value::String(level)});
  if (!pid_text.empty()) {
    int64_t pid = 0;
    ParseUnsigned(pid_text, INT64_MAX, pid);  // checked above
    out.fields.push_back({"pid", Value::Int(pid)});
  }
  if (!tid_text.empty()) {
    int64_t tid = 0;
    out.fields.push_back({"tid", ParseUnsigned(tid_text, INT64_MAX, tid)
                                     ? Value::Int(tid)
                                     : Value::String(tid_text)});
  }
  if (!file.empty()) {
    out.fields.push_back({"file", Value::String(file)});
    out.fields.push_back({"line", Value::Int(file_line)});
  }
  if (!os_error.empty()) out.fields.push_back({"os_error", Value::String(os_error)});
  if (!client.empty()) out.fields.push_back({"client", Value::String(client)});
  if (!remote.empty()) out.fields.push_back({"remote", Value::String(remote)});
  if (!code.empty()) out.fields.push_back({"code", Value::String(code)});
  out.fields.push_back({"message", Value::String(message)});
  if (ref_at != std::string_view::npos) out.fields.push_back({"referer", Value::String(referer)});
  return true;
}

}  // namespace ringflow::stages

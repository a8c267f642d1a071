#include "stages/parse_access.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "framework/core/number.h"
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
using internal::Put;
using internal::Token;

using flow::Value;

// A request time as servers append it: digits, with a fraction or not ("0.005", nginx's
// $request_time; "1534", Apache's %D), as a Double or an Int; nothing for anything else.
std::optional<Value> RequestTime(std::string_view text) {
  // Most lines go on with a quoted referer: no scan of the rest for them.
  if (text.empty() || !IsDigit(text[0])) return std::nullopt;
  const std::size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  int64_t n = 0;
  if (!ParseUnsigned(whole, INT64_MAX, n)) return std::nullopt;
  if (point == std::string_view::npos) return Value::Int(n);
  const std::string_view fraction = text.substr(point + 1);
  if (fraction.empty() || fraction.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<double> value = ParseDouble(text);
  if (!value) return std::nullopt;
  return Value::Double(*value);
}

// "10/Oct/2026:13:55:36 -0700" -> "2026-10-10T13:55:36-07:00" in the arena; empty on error.
std::string_view FormatAccessTime(std::string_view t, flow::Arena& arena) {
  // dd/Mmm/yyyy:hh:mm:ss +hhmm
  // 0123456789012345678901234
  if (t.size() != 26 || t[2] != '/' || t[6] != '/' || t[11] != ':' || t[14] != ':' ||
      t[17] != ':' || t[20] != ' ' || (t[21] != '+' && t[21] != '-')) {
    return {};
  }
  int day, year, hour, minute, second, off_h, off_m;
  if (!Digits(t, 0, 2, day) || !Digits(t, 7, 4, year) || !Digits(t, 12, 2, hour) ||
      !Digits(t, 15, 2, minute) || !Digits(t, 18, 2, second) || !Digits(t, 22, 2, off_h) ||
      !Digits(t, 24, 2, off_m)) {
    return {};
  }
  const int month = MonthFromName(t.substr(3, 3));
  if (month == 0 || day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 ||
      second > 60 || off_h > 23 || off_m > 59) {
    return {};
  }
  char* p = arena.Allocate(25);
  Put(p, year, 4);
  p[4] = '-';
  Put(p + 5, month, 2);
  p[7] = '-';
  Put(p + 8, day, 2);
  p[10] = 'T';
  std::memcpy(p + 11, t.data() + 12, 8);  // hh:mm:ss, digits already checked
  p[19] = t[21];
  std::memcpy(p + 20, t.data() + 22, 2);
  p[22] = ':';
  std::memcpy(p + 23, t.data() + 24, 2);
  return {p, 25};
}

// Reads a quoted field whose opening '"' is at line[pos]. On success sets `value` (a view into
// the line, or into the arena when it held escapes), moves pos past the closing quote.
bool ReadQuoted(std::string_view line, std::size_t& pos, flow::Arena& arena,
                std::string_view& value) {
  const char* begin = line.data() + pos + 1;
  const char* end = line.data() + line.size();
  // Fast path: memchr to the first quote; a field without a backslash before it is done.
  const char* q =
      static_cast<const char*>(std::memchr(begin, '"', static_cast<std::size_t>(end - begin)));
  if (q == nullptr) return false;
  if (std::memchr(begin, '\\', static_cast<std::size_t>(q - begin)) == nullptr) {
    value = {begin, static_cast<std::size_t>(q - begin)};
    pos = static_cast<std::size_t>(q - line.data()) + 1;
    return true;
  }
  // Slow path: find the unescaped closing quote, then unescape into the arena.
  const char* p = begin;
  while (p < end && *p != '"') p += (*p == '\\' && p + 1 < end) ? 2 : 1;
  if (p >= end) return false;
  char* dst = arena.Allocate(static_cast<std::size_t>(p - begin));
  std::size_t n = 0;
  for (const char* s = begin; s < p; ++s) {
    if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) ++s;
    dst[n++] = *s;
  }
  value = {dst, n};
  pos = static_cast<std::size_t>(p - line.data()) + 1;
  return true;
}

}  // namespace

bool ParseAccessLine(std::string_view line, flow::Record& out, flow::Arena& arena) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  std::size_t pos = 0;
  auto at = [&](char c) { return pos < line.size() && line[pos] == c; };

  const std::string_view addr = Token(line, pos);
  if (addr.empty()) return Fail(out, "expected the remote address");
  if (!at(' ')) return Fail(out, "expected a space after the remote address");
  ++pos;
  if (Token(line, pos).empty() || !at(' ')) return Fail(out, "expected the ident field ('-')");
  ++pos;
  const std::string_view user = Token(line, pos);
  if (user.empty() || !at(' ')) return Fail(out, "expected the remote user");
  ++pos;
  if (!at('[')) return Fail(out, "expected '[' before the time");
  const std::size_t close = line.find(']', pos);
  if (close == std::string_view::npos) return Fail(out, "expected ']' after the time");
  const std::string_view time = FormatAccessTime(line.substr(pos + 1, close - pos - 1), arena);
  if (time.empty()) return Fail(out, "time is not dd/Mmm/yyyy:hh:mm:ss +hhmm");
  pos = close + 1;
  if (!at(' ')) return Fail(out, "expected a space after the time");
  ++pos;
  if (!at('"')) return Fail(out, "expected '\"' before the request");
  std::string_view request;
  if (!ReadQuoted(line, pos, arena, request)) return Fail(out, "unterminated request");
  if (!at(' ')) return Fail(out, "expected a space after the request");
  ++pos;
  int64_t status = 0;
  const std::string_view status_text = Token(line, pos);
  if (status_text.empty() || status_text.size() > 3 || !ParseUnsigned(status_text, 999, status)) {
    return Fail(out, "status is not a number of 1 to 3 digits");
  }
  if (!at(' ')) return Fail(out, "expected a space after the status");
  ++pos;
  int64_t bytes = 0;
  const std::string_view bytes_text = Token(line, pos);
  if (bytes_text != "-" && !ParseUnsigned(bytes_text, INT64_MAX, bytes)) {
    return Fail(out, "bytes is not a number in range");
  }
  std::string_view referer, agent, extra;
  bool has_referer = false, has_agent = false;
  std::optional<Value> request_time;
  if (pos < line.size() && (request_time = RequestTime(line.substr(pos + 1)))) {
    pos = line.size();  // the common format and a request time
  } else if (pos < line.size()) {
    ++pos;  // Token stopped at a space.
    if (!at('"')) return Fail(out, "expected '\"' before the referer");
    if (!ReadQuoted(line, pos, arena, referer)) return Fail(out, "unterminated referer");
    has_referer = true;
    if (pos < line.size()) {
      if (!at(' ')) return Fail(out, "expected a space after the referer");
      ++pos;
      if (!at('"')) return Fail(out, "expected '\"' before the user agent");
      if (!ReadQuoted(line, pos, arena, agent)) return Fail(out, "unterminated user agent");
      has_agent = true;
      if (pos < line.size()) {
        if (!at(' ')) return Fail(out, "expected a space after the user agent");
        while (at(' ')) ++pos;
        extra = line.substr(pos);
        request_time = RequestTime(extra);
        if (request_time) extra = {};
      }
    }
  }

  out.fields.push_back({"remote_addr", Value::String(addr)});
  out.fields.push_back({"remote_user", DashIsNull(user)});
  out.fields.push_back({"time", Value::String(time)});
  // Three words separated by single spaces: method, path, protocol.
  const std::size_t sp1 = request.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : request.find(' ', sp1 + 1);
  if (sp1 != std::string_view::npos && sp2 != std::string_view::npos && sp1 > 0 && sp2 > sp1 + 1 &&
      sp2 + 1 < request.size() && request.find(' ', sp2 + 1) == std::string_view::npos) {
    out.fields.push_back({"method", Value::String(request.substr(0, sp1))});
    out.fields.push_back({"path", Value::String(request.substr(sp1 + 1, sp2 - sp1 - 1))});
    out.fields.push_back({"protocol", Value::String(request.substr(sp2 + 1))});
  } else {
    out.fields.push_back({"request", Value::String(request)});
  }
  out.fields.push_back({"status", Value::Int(status)});
  out.fields.push_back({"bytes", Value::Int(bytes)});
  if (has_referer) out.fields.push_back({"referer", DashIsNull(referer)});
  if (has_agent) out.fields.push_back({"user_agent", DashIsNull(agent)});
  if (request_time) out.fields.push_back({"request_time", *request_time});
  if (!extra.empty()) out.fields.push_back({"extra", Value::String(extra)});
  return true;
}

}  // namespace ringflow::stages

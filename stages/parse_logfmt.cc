#include "stages/parse_logfmt.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "framework/core/number.h"
#include "stages/internal/parse_util.h"

namespace ringflow::stages {
namespace {

using internal::Fail;

using flow::Value;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The value of an unquoted `key=text`, typed by how the text looks (see the header).
Value TypedValue(std::string_view s) {
  if (s == "true") return Value::Bool(true);
  if (s == "false") return Value::Bool(false);
  // JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  std::size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) ++i;
  if (i >= s.size() || !IsDigit(s[i])) return Value::String(s);
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  const std::size_t int_end = i;
  if (i < s.size() && s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return Value::String(s);
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return Value::String(s);
  }
  if (i != s.size()) return Value::String(s);
  if (int_end == s.size()) {
    const std::optional<int64_t> v = ParseInt64(s);
    return v ? Value::Int(*v) : Value::String(s);  // a string when out of int64 range
  }
  const std::optional<double> d = ParseDouble(s);
  return d ? Value::Double(*d) : Value::String(s);
}

// The closing quote of a quoted value whose text starts at `begin`, stepping over backslash
// pairs; null when there is none before `end`.
const char* FindClosingQuote(const char* begin, const char* end) {
  const char* q = begin;
  while (q < end && *q != '"') q += (*q == '\\' && q + 1 < end) ? 2 : 1;
  return q < end ? q : nullptr;
}

// The quoted text [begin, close) with its escapes replaced, written into `arena`.
// REQUIRES: close is FindClosingQuote(begin, ...), so every backslash before it has a pair.
std::string_view Unescape(const char* begin, const char* close, flow::Arena& arena) {
  char* dst = arena.Allocate(static_cast<std::size_t>(close - begin));
  std::size_t len = 0;
  for (const char* s = begin; s < close; ++s) {
    // s + 1 < close here whenever *s is a backslash: FindClosingQuote stepped over its pair.
    if (*s == '\\') {
      switch (s[1]) {
        case '"':
        case '\\':
          dst[len++] = *++s;
          continue;
        case 'n':
          dst[len++] = '\n';
          ++s;
          continue;
        case 'r':
          dst[len++] = '\r';
          ++s;
          continue;
        case 't':
          dst[len++] = '\t';
          ++s;
          continue;
        default:
          break;
      }
    }
    dst[len++] = *s;
  }
  return {dst, len};
}

// Appends `key` with the quoted value whose opening quote is at line[pos], and moves `pos` past
// the closing quote. Returns the reason the value is malformed, or empty.
std::string_view AppendQuotedValue(std::string_view line, std::size_t& pos, std::string_view key,
                                   flow::Record& out, flow::Arena& arena) {
  const char* begin = line.data() + pos + 1;
  const char* end = line.data() + line.size();
  // Fast path: memchr to the first quote; with no backslash before it the value is a view.
  const char* close =
      static_cast<const char*>(std::memchr(begin, '"', static_cast<std::size_t>(end - begin)));
  if (close == nullptr) return "unterminated quoted value";
  std::string_view value;
  if (std::memchr(begin, '\\', static_cast<std::size_t>(close - begin)) == nullptr) {
    value = {begin, static_cast<std::size_t>(close - begin)};
  } else {
    close = FindClosingQuote(begin, end);
    if (close == nullptr) return "unterminated quoted value";
    value = Unescape(begin, close, arena);
  }
  pos = static_cast<std::size_t>(close - line.data()) + 1;
  if (pos < line.size() && !IsBlank(line[pos])) return "expected a blank after a quoted value";
  out.fields.push_back({key, Value::String(value)});
  return {};
}

}  // namespace

bool ParseLogfmtLine(std::string_view line, flow::Record& out, flow::Arena& arena) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  const std::size_t n = line.size();
  std::size_t pos = 0;
  for (;;) {
    while (pos < n && IsBlank(line[pos])) ++pos;
    if (pos >= n) break;
    const std::size_t key_start = pos;
    while (pos < n && !IsBlank(line[pos]) && line[pos] != '=' && line[pos] != '"') ++pos;
    if (pos == key_start) {
      return Fail(out, line[pos] == '=' ? "empty key before '='" : "a key cannot start with '\"'");
    }
    const std::string_view key = line.substr(key_start, pos - key_start);
    if (pos >= n || IsBlank(line[pos])) {
      out.fields.push_back({key, Value::Bool(true)});
      continue;
    }
    if (line[pos] == '"') return Fail(out, "'\"' inside a key");
    ++pos;  // '='
    if (pos < n && line[pos] == '"') {
      const std::string_view problem = AppendQuotedValue(line, pos, key, out, arena);
      if (!problem.empty()) return Fail(out, problem);
      continue;
    }
    const std::size_t value_start = pos;
    while (pos < n && !IsBlank(line[pos])) ++pos;
    out.fields.push_back({key, TypedValue(line.substr(value_start, pos - value_start))});
  }
  if (out.fields.empty()) return Fail(out, "no key=value pairs");
  return true;
}

}  // namespace ringflow::stages

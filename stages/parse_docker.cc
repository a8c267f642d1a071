#include "stages/parse_docker.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "framework/core/utf8.h"
#include "stages/internal/parse_util.h"
#include "stages/parse_cri.h"
#include "stages/parse_json.h"

namespace ringflow::stages {
namespace {

using internal::Fail;

using flow::Value;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p (p + 4 <= end checked by the caller); -1 when not hex.
int32_t Hex4(const char* p) {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = HexDigit(p[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

char* PutUtf8(char* dst, uint32_t cp) {
  if (cp < 0x80) {
    *dst++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *dst++ = static_cast<char>(0xC0 | (cp >> 6));
    *dst++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *dst++ = static_cast<char>(0xE0 | (cp >> 12));
    *dst++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *dst++ = static_cast<char>(0xF0 | (cp >> 18));
    *dst++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *dst++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return dst;
}

// Unescapes the JSON string body [begin, end) (its escapes already known to be paired with
// their characters) into the arena. False on anything the fast path leaves to the JSON parser:
// an unknown escape, a lone surrogate. Never longer than the escaped text: an escape of n bytes
// gives at most n bytes of UTF-8 (\uXXXX: 6 -> 3; a pair: 12 -> 4).
bool Unescape(const char* begin, const char* end, flow::Arena& arena, std::string_view& out) {
  char* const start = arena.Allocate(static_cast<std::size_t>(end - begin));
  char* dst = start;
  for (const char* p = begin; p < end; ++p) {
    if (*p != '\\') {
      *dst++ = *p;
      continue;
    }
    ++p;
    switch (*p) {
      case '"':
      case '\\':
      case '/':
        *dst++ = *p;
        break;
      case 'b':
        *dst++ = '\b';
        break;
      case 'f':
        *dst++ = '\f';
        break;
      case 'n':
        *dst++ = '\n';
        break;
      case 'r':
        *dst++ = '\r';
        break;
      case 't':
        *dst++ = '\t';
        break;
      case 'u': {
        if (end - p < 5) return false;
        int32_t cp = Hex4(p + 1);
        if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end - p < 7 || p[1] != '\\' || p[2] != 'u') return false;
          const int32_t low = Hex4(p + 3);
          if (low < 0xDC00 || low > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          p += 6;
        }
        dst = PutUtf8(dst, static_cast<uint32_t>(cp));
        break;
      }
      default:
        return false;
    }
  }
  out = {start, static_cast<std::size_t>(dst - start)};
  return true;
}

// The JSON string whose body starts at line[pos] (just past its opening quote): sets `value`
// (a view into the line, or the arena when it held escapes other than a final "\n", which is
// dropped when `drop_newline`), moves pos past the closing quote. False when the fast path
// should leave the line to the JSON parser.
bool ReadString(std::string_view line, std::size_t& pos, flow::Arena& arena, bool drop_newline,
                std::string_view& value) {
  const char* begin = line.data() + pos;
  const char* end = line.data() + line.size();
  const auto left = static_cast<std::size_t>(end - begin);
  const char* q = static_cast<const char*>(std::memchr(begin, '"', left));
  if (q == nullptr) return false;
  const char* bs =
      static_cast<const char*>(std::memchr(begin, '\\', static_cast<std::size_t>(q - begin)));
  if (bs == nullptr || (drop_newline && bs == q - 2 && bs[1] == 'n')) {
    // No escape, or only the final "\n" (then q is a real closing quote: 'n' precedes it).
    const char* body_end = bs == nullptr ? q : bs;
    for (const char* p = begin; p < body_end; ++p) {
      if (static_cast<unsigned char>(*p) < 0x20) return false;  // JSON forbids raw controls
    }
    value = {begin, static_cast<std::size_t>(body_end - begin)};
    pos = static_cast<std::size_t>(q - line.data()) + 1;
    return true;
  }
  const char* p = begin;
  while (p < end && *p != '"') {
    if (static_cast<unsigned char>(*p) < 0x20) return false;
    p += *p == '\\' && p + 1 < end ? 2 : 1;
  }
  if (p >= end) return false;
  if (!Unescape(begin, p, arena, value)) return false;
  if (drop_newline && !value.empty() && value.back() == '\n') value.remove_suffix(1);
  pos = static_cast<std::size_t>(p - line.data()) + 1;
  return true;
}

bool Expect(std::string_view line, std::size_t& pos, std::string_view text) {
  if (line.substr(pos, text.size()) != text) return false;
  pos += text.size();
  return true;
}

enum class Fast { kOk, kFailed, kGeneral };

// Docker's own layout: {"log":"...","stream":"...","time":"..."} and nothing else.
Fast ParseFast(std::string_view line, flow::Record& out, flow::Arena& arena) {
  std::size_t pos = 0;
  std::string_view message, stream, time;
  if (!Expect(line, pos, "{\"log\":\"") || !ReadString(line, pos, arena, true, message) ||
      !Expect(line, pos, ",\"stream\":\"") || !ReadString(line, pos, arena, false, stream) ||
      !Expect(line, pos, ",\"time\":\"")) {
    return Fast::kGeneral;
  }
  const std::size_t time_start = pos;
  const std::size_t time_end = line.find('"', pos);
  if (time_end == std::string_view::npos) return Fast::kGeneral;
  time = line.substr(time_start, time_end - time_start);
  pos = time_end + 1;
  if (!Expect(line, pos, "}")) return Fast::kGeneral;
  while (pos < line.size() &&
         (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r' || line[pos] == '\n')) {
    ++pos;
  }
  if (pos != line.size() || !IsValidUtf8(line)) return Fast::kGeneral;
  if (time.find('\\') != std::string_view::npos) return Fast::kGeneral;
  if (const std::string_view reason = internal::CheckRfc3339NanoTime(time); !reason.empty()) {
    Fail(out, reason);
    return Fast::kFailed;
  }
  out.fields.push_back({"time", Value::String(time)});
  out.fields.push_back({"stream", Value::String(stream)});
  out.fields.push_back({"message", Value::String(message)});
  return Fast::kOk;
}

// Whether the object's first member is one Docker writes: other JSON lines fail here, at once,
// rather than after a whole parse (format detection tries docker on every JSON file's head). A
// key written with escapes is not Docker's either.
bool FirstKeyIsDockers(std::string_view line) {
  std::size_t pos = 0;
  const auto blanks = [&] {
    while (pos < line.size() &&
           (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r' || line[pos] == '\n')) {
      ++pos;
    }
  };
  blanks();
  if (pos >= line.size() || line[pos] != '{') return false;
  ++pos;
  blanks();
  if (pos >= line.size() || line[pos] != '"') return false;
  const std::size_t end = line.find('"', pos + 1);
  if (end == std::string_view::npos) return false;
  const std::string_view key = line.substr(pos + 1, end - pos - 1);
  return key == "log" || key == "stream" || key == "time" || key == "attrs";
}

// Any other order or set of members, through the general JSON parser.
bool ParseGeneral(std::string_view line, flow::Record& out, flow::Arena& arena) {
  if (!FirstKeyIsDockers(line)) {
    out.raw = line;
    return Fail(out,
                "not Docker's json-file layout: a member other than log, stream, time and attrs");
  }
  if (!ParseJsonLine(line, out, arena)) return false;
  const flow::Field* log = nullptr;
  const flow::Field* stream = nullptr;
  const flow::Field* time = nullptr;
  const flow::Field* attrs = nullptr;
  for (const flow::Field& f : out.fields) {
    const flow::Field** slot = f.name == "log"      ? &log
                               : f.name == "stream" ? &stream
                               : f.name == "time"   ? &time
                               : f.name == "attrs"  ? &attrs
                                                    : nullptr;
    if (slot == nullptr) return Fail(out, "a member other than log, stream, time and attrs");
    if (*slot != nullptr) return Fail(out, "a member appears twice");
    *slot = &f;
  }
  if (time == nullptr) return Fail(out, "no \"time\" member");
  if (time->value.type != flow::ValueType::kString) return Fail(out, "\"time\" is not a string");
  if (log != nullptr && log->value.type != flow::ValueType::kString) {
    return Fail(out, "\"log\" is not a string");
  }
  if (stream != nullptr && stream->value.type != flow::ValueType::kString) {
    return Fail(out, "\"stream\" is not a string");
  }
  if (attrs != nullptr && (attrs->value.type != flow::ValueType::kRawJson ||
                           attrs->value.s.empty() || attrs->value.s[0] != '{')) {
    return Fail(out, "\"attrs\" is not an object");
  }
  if (const std::string_view reason = internal::CheckRfc3339NanoTime(time->value.s);
      !reason.empty()) {
    return Fail(out, reason);
  }
  // The views stay valid (they point into the line or the arena): copy them out before the
  // field list is rebuilt in the documented order.
  const Value time_value = time->value;
  const bool has_stream = stream != nullptr;
  const Value stream_value = has_stream ? stream->value : Value::Null();
  std::string_view message = log != nullptr ? log->value.s : std::string_view();
  if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  const bool has_attrs = attrs != nullptr;
  const Value attrs_value = has_attrs ? attrs->value : Value::Null();
  out.fields.clear();
  out.fields.push_back({"time", time_value});
  if (has_stream) out.fields.push_back({"stream", stream_value});
  out.fields.push_back({"message", Value::String(message)});
  if (has_attrs) out.fields.push_back({"attrs", attrs_value});
  return true;
}

}  // namespace

bool ParseDockerLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                     const TimeContext& /*time*/) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  switch (ParseFast(line, out, arena)) {
    case Fast::kOk:
      return true;
    case Fast::kFailed:
      return false;
    case Fast::kGeneral:
      break;
  }
  return ParseGeneral(line, out, arena);
}

}  // namespace ringflow::stages

#include "stages/json_writer.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace ringflow::stages {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes written as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

// Whether any of the 8 bytes in `w` is not plain: < 0x20, '"', '\\', or >= 0x7f. May answer
// true for a plain word (the caller then goes byte by byte), never false for a word that isn't.
inline bool AnyNotPlain(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101u;
  constexpr uint64_t kHigh = 0x8080808080808080u;
  const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;  // exact for thresholds <= 0x80
  const uint64_t high_or_del = (w | (w + kOnes)) & kHigh;  // >= 0x80, or 0x7f (+1 sets its bit)
  return (below_space | high_or_del | has_zero(w ^ ('"' * kOnes)) | has_zero(w ^ ('\\' * kOnes))) !=
         0;
}

// Length of the valid UTF-8 sequence starting at p[0] (>= 0x80), or 0. Same rules as
// app::AppendJsonString: shortest form only, no surrogates, at most U+10FFFF.
inline std::size_t Utf8Length(const unsigned char* p, std::size_t left) {
  const unsigned char c = p[0];
  std::size_t len = 0;
  uint32_t cp = 0;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1fu;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0fu;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (len > left) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[k] & 0x3fu);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void AppendEscaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(esc, sizeof esc);
    }
  }
}

void AppendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];  // the longest shortest form is 24 characters ("-2.2250738585072014e-308")
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void AppendValue(std::string& out, const flow::Value& value) {
  switch (value.type) {
    case flow::ValueType::kNull:
      out += "null";
      return;
    case flow::ValueType::kBool:
      out += value.b ? "true" : "false";
      return;
    case flow::ValueType::kInt: {
      char buf[24];
      const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, value.i);
      out.append(buf, static_cast<std::size_t>(r.ptr - buf));
      return;
    }
    case flow::ValueType::kDouble:
      AppendDouble(out, value.d);
      return;
    case flow::ValueType::kString:
      AppendJsonString(out, value.s);
      return;
    case flow::ValueType::kRawJson:
      if (value.s.empty()) {
        out += "null";
      } else {
        out += value.s;
      }
      return;
  }
  out += "null";  // not a ValueType: keep the line valid
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  out.reserve(out.size() + n + 2);
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet appended, all to be copied as they are
  std::size_t i = 0;
  while (i < n) {
    if (n - i >= 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (!AnyNotPlain(w)) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (kPlain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t len = Utf8Length(p + i, n - i);
      if (len != 0) {
        i += len;
        continue;
      }
    }
    out.append(bytes.data() + run, i - run);
    AppendEscaped(out, c);
    run = ++i;
  }
  out.append(bytes.data() + run, n - run);
  out.push_back('"');
}

void AppendRecordJson(std::string& out, const flow::Record& record) {
  out.push_back('{');
  if (record.ok()) {
    bool first = true;
    for (const flow::Field& field : record.fields) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(out, field.name);
      out.push_back(':');
      AppendValue(out, field.value);
    }
    if (record.truncated) out += first ? "\"_truncated\":true" : ",\"_truncated\":true";
  } else {
    out += "\"_error\":";
    AppendJsonString(out, record.error);
    out += ",\"_raw\":";
    AppendJsonString(out, record.raw);
    if (record.truncated) out += ",\"_truncated\":true";
  }
  out += "}\n";
}

}  // namespace ringflow::stages

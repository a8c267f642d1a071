#include "stages/parse_nginx_error.h"

#include <array>
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
using internal::LevelName;
using internal::ParseUnsigned;

using flow::Value;

struct Key {
  std::string_view name;
  bool quoted;
};

// The keys nginx appends after the message (ngx_http_log_error and its mail and stream kin).
constexpr std::array<Key, 8> kKeys{{{"client", false},
                                    {"server", false},
                                    {"request", true},
                                    {"subrequest", true},
                                    {"upstream", true},
                                    {"host", true},
                                    {"referrer", true},
                                    {"login", true}}};

// The known key whose "key: " starts at line[at], or null.
const Key* KeyAt(std::string_view line, std::size_t at) {
  std::size_t i = at;
  while (i < line.size() && line[i] >= 'a' && line[i] <= 'z') ++i;
  if (i == at || i + 1 >= line.size() || line[i] != ':' || line[i + 1] != ' ') return nullptr;
  const std::string_view word = line.substr(at, i - at);
  for (const Key& k : kKeys) {
    if (k.name == word) return &k;
  }
  return nullptr;
}

struct Pair {
  std::string_view name;
  std::string_view value;
};

// The pairs from line[at] (", client: ...") to the end of the line; false if anything in that
// stretch is not a known pair. A value ends where ", " and a known key follow (after the closing
// quote for a quoted one), or at the end of the line.
bool ReadPairs(std::string_view line, std::size_t at, std::array<Pair, kKeys.size()>& pairs,
               std::size_t& count) {
  count = 0;
  while (at < line.size()) {
    if (count == pairs.size() || line[at] != ',' || at + 1 >= line.size() || line[at + 1] != ' ') {
      return false;
    }
    const Key* key = KeyAt(line, at + 2);
    if (key == nullptr) return false;
    // nginx writes each key once: a second one means the run began inside the message.
    for (std::size_t i = 0; i < count; ++i) {
      if (pairs[i].name == key->name) return false;
    }
    std::size_t from = at + 2 + key->name.size() + 2;
    std::size_t end = line.size();
    std::size_t value_at = from;
    if (key->quoted) {
      if (from >= line.size() || line[from] != '"') return false;
      value_at = ++from;
      for (;;) {
        const std::size_t q = line.find('"', from);
        if (q == std::string_view::npos) return false;
        if (q + 1 == line.size() ||
            (line.substr(q + 1, 2) == ", " && KeyAt(line, q + 3) != nullptr)) {
          pairs[count++] = {key->name, line.substr(value_at, q - value_at)};
          end = q + 1;
          break;
        }
        from = q + 1;
      }
    } else {
      for (;;) {
        const std::size_t sep = line.find(", ", from);
        if (sep == std::string_view::npos) break;
        if (KeyAt(line, sep + 2) != nullptr) {
          end = sep;
          break;
        }
        from = sep + 1;
      }
      pairs[count++] = {key->name, line.substr(value_at, end - value_at)};
    }
    at = end;
  }
  return true;
}

// A decimal of 1 or more digits at line[pos], up to a byte that is not one; moves pos past it.
bool ReadNumber(std::string_view line, std::size_t& pos, int64_t& value) {
  const std::size_t start = pos;
  while (pos < line.size() && IsDigit(line[pos])) ++pos;
  return ParseUnsigned(line.substr(start, pos - start), INT64_MAX, value);
}

}  // namespace

bool ParseNginxErrorLine(std::string_view line, flow::Record& out, flow::Arena& arena,
                         const TimeContext& time) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  // yyyy/mm/dd hh:mm:ss
  // 0123456789012345678
  LogTime t;
  if (line.size() < 19 || line[4] != '/' || line[7] != '/' || line[10] != ' ' || line[13] != ':' ||
      line[16] != ':' || !Digits(line, 0, 4, t.year) || !Digits(line, 5, 2, t.month) ||
      !Digits(line, 8, 2, t.day) || !Digits(line, 11, 2, t.hour) ||
      !Digits(line, 14, 2, t.minute) || !Digits(line, 17, 2, t.second)) {
    return Fail(out, "time is not yyyy/mm/dd hh:mm:ss");
  }
  if (!IsValidLogTime(t) || t.year < 1) return Fail(out, "date or time is out of range");
  std::size_t pos = 19;
  if (line.substr(pos, 2) != " [") return Fail(out, "expected \" [\" before the level");
  pos += 2;
  const std::size_t close = line.find(']', pos);
  if (close == std::string_view::npos) return Fail(out, "expected ']' after the level");
  const std::string_view level = LevelName(line.substr(pos, close - pos));
  if (level.empty()) return Fail(out, "level is not one of nginx's");
  pos = close + 1;
  if (pos >= line.size() || line[pos] != ' ') return Fail(out, "expected a space after the level");
  ++pos;
  int64_t pid = 0, tid = 0;
  if (!ReadNumber(line, pos, pid)) return Fail(out, "expected the pid");
  if (pos >= line.size() || line[pos] != '#') return Fail(out, "expected '#' after the pid");
  ++pos;
  if (!ReadNumber(line, pos, tid)) return Fail(out, "expected the tid after '#'");
  if (pos >= line.size() || line[pos] != ':') return Fail(out, "expected ':' after the tid");
  ++pos;
  if (pos < line.size()) {
    if (line[pos] != ' ') return Fail(out, "expected a space after \"PID#TID:\"");
    ++pos;
  }
  int64_t cid = -1;
  if (pos < line.size() && line[pos] == '*') {
    ++pos;
    if (!ReadNumber(line, pos, cid)) return Fail(out, "expected the connection number after '*'");
    if (pos < line.size()) {
      if (line[pos] != ' ') return Fail(out, "expected a space after the connection number");
      ++pos;
    }
  }

  std::array<Pair, kKeys.size()> pairs;
  std::size_t count = 0;
  std::size_t message_end = line.size();
  static constexpr std::string_view kClient = ", client: ";
  for (std::size_t at = line.find(kClient, pos); at != std::string_view::npos;
       at = line.find(kClient, at + 1)) {
    if (ReadPairs(line, at, pairs, count)) {
      message_end = at;
      break;
    }
    count = 0;
  }

  out.fields.push_back({"time", Value::String(FormatLogTime(t, time.zone, arena))});
  out.fields.push_back({"level", Value::String(level)});
  out.fields.push_back({"pid", Value::Int(pid)});
  out.fields.push_back({"tid", Value::Int(tid)});
  if (cid >= 0) out.fields.push_back({"cid", Value::Int(cid)});
  out.fields.push_back({"message", Value::String(line.substr(pos, message_end - pos))});
  for (std::size_t i = 0; i < count; ++i) {
    out.fields.push_back({pairs[i].name, Value::String(pairs[i].value)});
  }
  return true;
}

}  // namespace ringflow::stages

#include "framework/config/internal/messages.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace ringflow::config::internal {

void Problems::Add(std::string_view where, std::string_view problem) {
  std::string line(where.empty() ? std::string_view("(root)") : where);
  line += ": ";
  line += problem;
  if (line.size() > kMaxLineBytes) line = ShortenForMessage(line, kMaxLineBytes);
  lines_.push_back(std::move(line));
}

Error Problems::ToError() const {
  std::string message;
  for (const std::string& line : lines_) {
    if (!message.empty()) message += '\n';
    message += line;
  }
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string JoinBounded(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string item =
        IsPlainKey(items[i]) && items[i].size() <= 60 ? items[i] : QuoteForMessage(items[i], 60);
    if (!out.empty() && out.size() + item.size() + 2 > kMaxListBytes) {
      out += ", \xE2\x80\xA6 (" + std::to_string(items.size() - i) + " more)";
      break;
    }
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string JoinSorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return JoinBounded(items);
}

bool IsPlainKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

std::string Child(std::string_view parent, std::string_view key) {
  std::string out(parent);
  // A long key is quoted, so that it is cut like any other user string.
  if (IsPlainKey(key) && key.size() <= 64) {
    if (!out.empty()) out += '.';
    out += key;
  } else {
    out += '[';
    out += Quote(key);
    out += ']';
  }
  return out;
}

std::string Index(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string FormatSize(int64_t bytes) {
  static constexpr struct {
    int shift;
    const char* unit;
  } kUnits[] = {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (const auto& u : kUnits) {
    const int64_t unit = int64_t{1} << u.shift;
    if (bytes > 0 && bytes % unit == 0) return std::to_string(bytes / unit) + u.unit;
  }
  return std::to_string(bytes);
}

}  // namespace ringflow::config::internal

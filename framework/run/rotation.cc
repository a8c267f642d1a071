#include "framework/run/rotation.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace ringflow::run {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The characters a STAMP may hold after its date: what logrotate's dateformat specifiers and
// the usual separators between them produce.
bool IsStampTail(char c) { return IsDigit(c) || c == '-' || c == '_' || c == ':'; }

// The value of `count` digits at s[pos], or -1 when one of them is not a digit.
int DigitsAt(std::string_view s, std::size_t pos, std::size_t count) {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(s[i])) return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// Whether `s` is a whole STAMP (see the rule in rotation.h).
bool IsStamp(std::string_view s) {
  if (s.size() < 8) return false;
  const int year = DigitsAt(s, 0, 4);
  if (year < 1900 || year > 2099) return false;
  std::size_t month_at = 4;
  std::size_t day_at = 6;
  std::size_t end = 8;
  if (s[4] == '-') {  // YYYY-MM-DD
    if (s.size() < 10 || s[7] != '-') return false;
    month_at = 5;
    day_at = 8;
    end = 10;
  }
  const int month = DigitsAt(s, month_at, 2);
  const int day = DigitsAt(s, day_at, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(end), s.end(), IsStampTail);
}

std::string_view CompressionSuffix(std::string_view name) {
  static constexpr std::string_view kSuffixes[] = {"gz", "zst", "bz2", "xz", "lz4", "Z"};
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  const std::string_view suffix = name.substr(dot + 1);
  for (std::string_view s : kSuffixes) {
    if (suffix == s) return suffix;
  }
  return {};
}

// Whether the name ends in a digit once its compression suffix is off, as every numbered and
// dated member does: rules out most names (x.log) at once.
bool MayBeRotated(std::string_view name) {
  const std::string_view ext = CompressionSuffix(name);
  if (!ext.empty()) name.remove_suffix(ext.size() + 1);
  return !name.empty() && IsDigit(name.back());
}

// The place of a name in its directory under the rotation order: names sort by `anchor`
// (their own name, or their family's NAME), then `rank`, then within a rank by `number`
// (larger first) or `stamp`, then by `name`.
struct Key {
  std::string_view anchor;
  int rank = 0;  // 0: numbered member, 1: dated member, 2: the live file or no family at all
  uint32_t number = 0;
  std::string_view stamp;
  std::string_view name;
};

bool KeyLess(const Key& a, const Key& b) {
  if (const int c = a.anchor.compare(b.anchor); c != 0) return c < 0;
  if (a.rank != b.rank) return a.rank < b.rank;
  if (a.number != b.number) return a.number > b.number;
  if (const int c = a.stamp.compare(b.stamp); c != 0) return c < 0;
  return a.name < b.name;
}

}  // namespace

std::string_view FileOrderName(FileOrder order) {
  switch (order) {
    case FileOrder::kRotation:
      return "rotation";
    case FileOrder::kPath:
      return "path";
    case FileOrder::kMtime:
      return "mtime";
  }
  return "rotation";
}

std::optional<FileOrder> ParseFileOrder(std::string_view name) {
  for (FileOrder order : {FileOrder::kRotation, FileOrder::kPath, FileOrder::kMtime}) {
    if (name == FileOrderName(order)) return order;
  }
  return std::nullopt;
}

std::optional<RotatedName> ParseRotatedName(std::string_view name) {
  if (!MayBeRotated(name)) return std::nullopt;
  RotatedName rotated;
  std::string_view stem = name;
  rotated.ext = CompressionSuffix(name);
  if (!rotated.ext.empty()) stem.remove_suffix(rotated.ext.size() + 1);

  // Dated: the last separator whose remainder is a STAMP. A STAMP holds only digits and "-_:",
  // so the search stops at the first other character from the right.
  for (std::size_t p = stem.size() - 1; p > 0; --p) {
    const char c = stem[p];
    if ((c == '-' || c == '_' || c == '.') && IsStamp(stem.substr(p + 1))) {
      rotated.kind = RotatedName::Kind::kDated;
      rotated.base = stem.substr(0, p);
      for (char d : stem.substr(p + 1)) {
        if (IsDigit(d)) rotated.stamp.push_back(d);
      }
      return rotated;
    }
    if (!IsStampTail(c)) break;
  }

  // Numbered: ".N" at the end, N without leading zeros and at most 9 digits.
  const std::size_t dot = stem.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const std::string_view digits = stem.substr(dot + 1);
  if (digits.empty() || digits.size() > 9 || (digits[0] == '0' && digits.size() > 1) ||
      !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return std::nullopt;
  }
  uint32_t number = 0;
  for (char d : digits) number = number * 10 + static_cast<uint32_t>(d - '0');
  rotated.kind = RotatedName::Kind::kNumbered;
  rotated.base = stem.substr(0, dot);
  rotated.number = number;
  return rotated;
}

std::vector<std::size_t> RotationOrder(const std::vector<std::string_view>& names) {
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // The common directory (no name looks rotated) costs what a bytewise sort costs.
  if (std::none_of(names.begin(), names.end(), MayBeRotated)) {
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
    return order;
  }
  std::vector<std::optional<RotatedName>> parsed(names.size());
  std::unordered_map<std::string_view, std::size_t> members;  // by NAME
  for (std::size_t i = 0; i < names.size(); ++i) {
    parsed[i] = ParseRotatedName(names[i]);
    if (parsed[i]) ++members[parsed[i]->base];
  }
  if (members.empty()) {
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
    return order;
  }
  const std::unordered_set<std::string_view> present(names.begin(), names.end());
  std::vector<Key> keys(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    Key& key = keys[i];
    key.anchor = names[i];
    key.rank = 2;
    key.name = names[i];
    const std::optional<RotatedName>& r = parsed[i];
    if (!r) continue;
    const std::size_t family = members[r->base] + (present.count(r->base) != 0 ? 1 : 0);
    if (family < 2) continue;
    key.anchor = r->base;
    if (r->kind == RotatedName::Kind::kNumbered) {
      key.rank = 0;
      key.number = r->number;
    } else {
      key.rank = 1;
      key.stamp = r->stamp;
    }
  }
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return KeyLess(keys[a], keys[b]); });
  return order;
}

}  // namespace ringflow::run

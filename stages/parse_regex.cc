#include "stages/parse_regex.h"

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/number.h"
#include "stages/internal/parse_util.h"
#include "stages/internal/re2_match.h"

namespace ringflow::stages {
namespace {

using flow::Value;
using internal::Fail;

enum class GroupType : uint8_t { kString, kInt, kDouble, kBool };

struct TypeName {
  GroupType type;
  std::string_view name;
};

constexpr TypeName kTypes[] = {
    {GroupType::kInt, "int"},
    {GroupType::kDouble, "double"},
    {GroupType::kBool, "bool"},
    {GroupType::kString, "string"},
};

// The value of a typed group's text; false when it does not convert.
bool Convert(GroupType type, std::string_view s, Value& out) {
  switch (type) {
    case GroupType::kString:
      out = Value::String(s);
      return true;
    case GroupType::kInt: {
      const std::optional<int64_t> v = ParseInt64(s);
      if (!v) return false;
      out = Value::Int(*v);
      return true;
    }
    case GroupType::kDouble: {
      const std::optional<double> d = ParseDouble(s);  // refuses "inf" and "nan" too
      if (!d) return false;
      out = Value::Double(*d);
      return true;
    }
    case GroupType::kBool:
      if (s == "true" || s == "false") {
        out = Value::Bool(s == "true");
        return true;
      }
      return false;
  }
  return false;
}

Error InvalidTypesItem(const std::string& item, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument,
               "regex types: \"" + ShortenForMessage(item) + "\": " + ShortenForMessage(why, 500));
}

// Matching is byte by byte (Latin-1, PatternOptions): a UTF-8 character in a pattern would be
// several characters to RE2 (`é+` would repeat its last byte only), so a pattern is ASCII and
// other bytes are written as \xHH.
Status CheckAsciiPattern(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (static_cast<unsigned char>(pattern[i]) >= 0x80) {
      return Error(ErrorCode::kInvalidArgument,
                   "regex pattern: non-ASCII byte at offset " + std::to_string(i) +
                       " (matching is byte by byte: write bytes as \\xHH)");
    }
  }
  return OkStatus();
}

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_log_errors(false);  // the error comes back in the Result, not on stderr
  // Latin-1 makes every byte one character: lines with invalid UTF-8 still match, and group
  // boundaries are byte offsets. For an ASCII pattern nothing else changes.
  options.set_encoding(RE2::Options::EncodingLatin1);
  return options;
}

// The type named `name` in a types item; null when unknown.
const TypeName* FindType(std::string_view name) {
  for (const TypeName& t : kTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// Record::error's end for a typed group whose text does not convert.
const char* NotConvertedReason(GroupType type) {
  return type == GroupType::kInt      ? "is not an integer"
         : type == GroupType::kDouble ? "is not a number"
                                      : "is not true or false";
}

}  // namespace

struct RegexParser::Impl {
  struct Group {
    int index;         // the RE2 capturing group number (1-based)
    std::string name;  // field names are views into this
    GroupType type;
    std::string bad_reason;  // Record::error when a typed group does not convert
  };

  Impl(std::string_view p, const RE2::Options& options) : pattern(p), re(pattern, options) {}

  // pattern before re: re is compiled from it.
  const std::string pattern;
  const RE2 re;
  // Named groups in group order. Filled by Create, never changed after: views into the strings
  // stay valid for the Impl's life.
  std::vector<Group> groups;
  int submatches = 0;  // 1 + the highest named group's index: the groups Match must report

  // Fills `groups` from the compiled pattern. REQUIRES: re.ok().
  Status CollectGroups();
  // Applies one `types` item; `typed` marks the groups already typed.
  Status ApplyType(const std::string& item, std::vector<bool>& typed);
  // "a, b, c": the group names, in group order.
  std::string GroupNames() const;
};

Status RegexParser::Impl::CollectGroups() {
  // std::map: ordered by group number, which is the field order.
  for (const auto& [index, name] : re.CapturingGroupNames()) {
    for (const Group& g : groups) {
      // Newer RE2 versions reject this themselves; older ones accept it.
      if (g.name == name) {
        return Error(ErrorCode::kInvalidArgument,
                     "regex pattern: duplicate group name \"" + ShortenForMessage(name) + "\"");
      }
    }
    groups.push_back({index, name, GroupType::kString, {}});
    submatches = index + 1;
  }
  if (groups.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "regex pattern has no named group: name each field with (?P<name>...)");
  }
  return OkStatus();
}

std::string RegexParser::Impl::GroupNames() const {
  std::string names;
  for (const Group& group : groups) {
    if (!names.empty()) names += ", ";
    names += group.name;
  }
  return names;
}

Status RegexParser::Impl::ApplyType(const std::string& item, std::vector<bool>& typed) {
  const std::size_t eq = item.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidTypesItem(item, "expected group=type (int, double, bool or string)");
  }
  const std::string_view group_name = std::string_view(item).substr(0, eq);
  const std::string_view type_name = std::string_view(item).substr(eq + 1);
  std::size_t g = 0;
  while (g < groups.size() && groups[g].name != group_name) ++g;
  if (g == groups.size()) {
    return InvalidTypesItem(item, "the pattern has no group \"" + std::string(group_name) +
                                      "\"; groups: " + GroupNames());
  }
  const TypeName* type = FindType(type_name);
  if (type == nullptr) {
    return InvalidTypesItem(
        item, "unknown type \"" + std::string(type_name) + "\"; known: int, double, bool, string");
  }
  if (typed[g]) return InvalidTypesItem(item, "group \"" + groups[g].name + "\" typed twice");
  typed[g] = true;
  Group& group = groups[g];
  group.type = type->type;
  group.bad_reason = "regex: field \"" + group.name + "\" " + NotConvertedReason(group.type);
  return OkStatus();
}

Result<RegexParser> RegexParser::Create(std::string_view pattern,
                                        const std::vector<std::string>& types) {
  RINGFLOW_RETURN_IF_ERROR(CheckAsciiPattern(pattern));
  auto impl = std::make_shared<Impl>(pattern, PatternOptions());
  if (!impl->re.ok()) {
    // RE2's message quotes the pattern from the error on, however long it is.
    return Error(ErrorCode::kInvalidArgument,
                 "regex pattern: " + ShortenForMessage(impl->re.error(), 500));
  }
  RINGFLOW_RETURN_IF_ERROR(impl->CollectGroups());
  std::vector<bool> typed(impl->groups.size(), false);
  for (const std::string& item : types) RINGFLOW_RETURN_IF_ERROR(impl->ApplyType(item, typed));
  return RegexParser(std::move(impl));
}

std::string_view RegexParser::pattern() const {
  return impl_ == nullptr ? std::string_view() : std::string_view(impl_->pattern);
}

bool RegexParser::Parse(std::string_view line, flow::Record& out, flow::Arena& /*arena*/) const {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  if (impl_ == nullptr) return Fail(out, "regex: no pattern");
  const Impl& impl = *impl_;

  const re2::StringPiece* submatches = internal::MatchWhole(impl.re, line, impl.submatches);
  if (submatches == nullptr) return Fail(out, "regex: no match");
  for (const Impl::Group& group : impl.groups) {
    const re2::StringPiece& m = submatches[group.index];
    if (m.data() == nullptr) continue;
    Value value;
    if (!Convert(group.type, std::string_view(m.data(), m.size()), value)) {
      return Fail(out, group.bad_reason);
    }
    out.fields.push_back({group.name, value});
  }
  return true;
}

}  // namespace ringflow::stages

// The parameter schema: ParamType names, sizes, defaults and ranges, the TypeCatalog and the
// typed access to a StageConfig's parameters.
#include "framework/config/internal/schema.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "framework/config/internal/messages.h"
#include "framework/config/pipeline_config.h"
#include "framework/core/number.h"

namespace ringflow::config {
namespace internal {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

Error Invalid(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

// kInt and kSize defaults: a number (a size may have a unit) within the spec's range.
Result<ParamValue> ParseNumberDefault(const ParamSpec& spec) {
  const std::string& text = spec.default_text;
  int64_t value = 0;
  if (spec.type == ParamType::kSize) {
    RINGFLOW_ASSIGN_OR_RETURN(value, ParseSize(text));
  } else if (const std::optional<int64_t> parsed = ParseInt64(text)) {
    value = *parsed;
  } else {
    return Invalid("not an integer: " + Quote(text));
  }
  if (std::string problem = RangeProblem(spec, value); !problem.empty()) return Invalid(problem);
  return ParamValue(value);
}

// A kStringList default: comma-separated, each item trimmed, empty items dropped.
std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return items;
}

}  // namespace

Result<ParamValue> ParseDefault(const ParamSpec& spec) {
  const std::string& text = spec.default_text;
  switch (spec.type) {
    case ParamType::kString:
      return ParamValue(text);
    case ParamType::kEnum:
      if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        return Invalid(Quote(text) + " is not one of " + Join(spec.choices));
      }
      return ParamValue(text);
    case ParamType::kBool:
      if (text == "true") return ParamValue(true);
      if (text == "false") return ParamValue(false);
      return Invalid("not true or false: " + Quote(text));
    case ParamType::kInt:
    case ParamType::kSize:
      return ParseNumberDefault(spec);
    case ParamType::kStringList:
      return ParamValue(SplitList(text));
  }
  return Invalid("unknown parameter type");
}

std::string FormatNumber(const ParamSpec& spec, int64_t value) {
  return spec.type == ParamType::kSize ? FormatSize(value) : std::to_string(value);
}

std::string RangeProblem(const ParamSpec& spec, int64_t value) {
  if (value >= spec.min && value <= spec.max) return {};
  std::string out = FormatNumber(spec, value) + " is out of range; must be ";
  if (spec.min != INT64_MIN && spec.max != INT64_MAX) {
    out += "between " + FormatNumber(spec, spec.min) + " and " + FormatNumber(spec, spec.max);
  } else if (spec.min != INT64_MIN) {
    out += "at least " + FormatNumber(spec, spec.min);
  } else {
    out += "at most " + FormatNumber(spec, spec.max);
  }
  return out;
}

}  // namespace internal

using internal::Quote;

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "string";
    case ParamType::kInt:
      return "integer";
    case ParamType::kBool:
      return "bool";
    case ParamType::kSize:
      return "size";
    case ParamType::kStringList:
      return "list of strings";
    case ParamType::kEnum:
      return "enum";
  }
  return "?";
}

Result<ShardSpec> ParseShard(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "not a shard: " + Quote(text) + ": " + why);
  };
  const std::size_t slash = text.find('/');
  const std::optional<uint64_t> k =
      slash == std::string_view::npos ? std::nullopt : ParseUint64(text.substr(0, slash));
  const std::optional<uint64_t> n =
      slash == std::string_view::npos ? std::nullopt : ParseUint64(text.substr(slash + 1));
  if (!k || !n) return bad("expected K/N, e.g. 2/3 (the second of three shares)");
  if (*n < 1 || *n > kMaxShards) {
    return bad("N must be between 1 and " + std::to_string(kMaxShards));
  }
  if (*k < 1 || *k > *n) {
    return bad("K must be between 1 and N (1/" + std::to_string(*n) + " ... " + std::to_string(*n) +
               "/" + std::to_string(*n) + ")");
  }
  return ShardSpec{static_cast<uint32_t>(*k), static_cast<uint32_t>(*n)};
}

std::string FormatShard(const ShardSpec& shard) {
  if (!shard.enabled()) return "";
  return std::to_string(shard.index) + "/" + std::to_string(shard.count);
}

Result<int64_t> ParseSize(std::string_view text) {
  auto bad = [&] { return Error(ErrorCode::kInvalidArgument, "not a size: " + Quote(text)); };
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::optional<uint64_t> value = ParseUint64(text.substr(0, digits));
  if (!value) return bad();  // no digits, or more than 64 bits of them
  std::string unit(text.substr(digits));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    shift = 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    shift = 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    shift = 30;
  } else if (unit == "t" || unit == "tb" || unit == "tib") {
    shift = 40;
  } else {
    return bad();
  }
  if (*value > (static_cast<uint64_t>(INT64_MAX) >> shift)) return bad();
  return static_cast<int64_t>(*value << shift);
}

namespace {

// Empty when `param` may stand in a catalog, else the problem.
std::string ParamSpecProblem(const ParamSpec& param, std::set<std::string_view>& names) {
  const std::string p = "parameter " + Quote(param.name);
  if (param.name.empty()) return "a parameter without a name";
  if (param.name == "name" || param.name == "type" || param.name == "input") {
    return p + " is reserved";
  }
  if (!names.insert(param.name).second) return "duplicate " + p;
  if (param.type == ParamType::kEnum && param.choices.empty()) {
    return p + " is an enum without choices";
  }
  if (param.min > param.max) return p + " has min > max";
  if (!param.default_text.empty()) {
    if (auto value = internal::ParseDefault(param); !value.ok()) {
      return p + " has a bad default: " + value.error().message();
    }
  }
  return {};
}

}  // namespace

Status TypeCatalog::Add(TypeSpec spec) {
  if (spec.type.empty()) return Error(ErrorCode::kInvalidArgument, "a type needs a name");
  const std::string what = "type " + Quote(spec.type);
  auto invalid = [&](std::string problem) {
    return Error(ErrorCode::kInvalidArgument, what + ": " + problem);
  };
  if (types_.count(spec.type) != 0) return invalid("already in the catalog");
  std::set<std::string_view> names;
  for (const ParamSpec& param : spec.params) {
    if (std::string problem = ParamSpecProblem(param, names); !problem.empty()) {
      return invalid(std::move(problem));
    }
  }
  std::string key = spec.type;
  types_.emplace(std::move(key), std::move(spec));
  return OkStatus();
}

const TypeSpec* TypeCatalog::Find(std::string_view type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> TypeCatalog::Names() const {
  std::vector<std::string> names;
  names.reserve(types_.size());
  for (const auto& [name, spec] : types_) names.push_back(name);
  return names;  // std::map keeps them sorted
}

const std::string* StageConfig::GetString(std::string_view key) const {
  auto it = params.find(key);
  return it == params.end() ? nullptr : std::get_if<std::string>(&it->second);
}

std::optional<int64_t> StageConfig::GetInt(std::string_view key) const {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  const int64_t* v = std::get_if<int64_t>(&it->second);
  return v != nullptr ? std::optional<int64_t>(*v) : std::nullopt;
}

std::optional<bool> StageConfig::GetBool(std::string_view key) const {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  const bool* v = std::get_if<bool>(&it->second);
  return v != nullptr ? std::optional<bool>(*v) : std::nullopt;
}

const std::vector<std::string>* StageConfig::GetStringList(std::string_view key) const {
  auto it = params.find(key);
  return it == params.end() ? nullptr : std::get_if<std::vector<std::string>>(&it->second);
}

}  // namespace ringflow::config

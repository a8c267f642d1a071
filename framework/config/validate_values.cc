// Parameter values against their ParamSpec: the validation every object of a pipeline document
// shares (the top level, "source", "source.engine", each stage and sink).
#include <algorithm>
#include <optional>
#include <utility>

#include "framework/config/internal/schema.h"
#include "framework/config/internal/validate.h"

namespace ringflow::config::internal {
namespace {

// Values are built in place (std::in_place): gcc 12 warns falsely (maybe-uninitialized) about
// moving a temporary variant into the optional.
using Checked = std::optional<ParamValue>;

// kEnum: a string from spec.choices.
Checked CheckEnum(const ParamSpec& spec, const Value& v, const std::string& path,
                  Problems& problems) {
  const std::string_view s = StringOf(v);
  if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
    problems.Add(path,
                 "unknown " + spec.name + " " + Quote(s) + "; known: " + JoinBounded(spec.choices));
    return std::nullopt;
  }
  return Checked(std::in_place, std::string(s));
}

// kInt: a JSON integer within int64 and the spec's range.
Checked CheckInt(const ParamSpec& spec, const Value& v, const std::string& path,
                 Problems& problems) {
  if (!v.IsInt64()) {
    // A whole number beyond int64 is out of range; anything else is not an integer.
    if (v.IsUint64()) {
      problems.Add(path, Describe(v) + " is out of range");
    } else {
      problems.Add(path, "expected an integer, got " + Describe(v));
    }
    return std::nullopt;
  }
  if (std::string problem = RangeProblem(spec, v.GetInt64()); !problem.empty()) {
    problems.Add(path, problem);
    return std::nullopt;
  }
  return Checked(std::in_place, v.GetInt64());
}

// kSize: a non-negative JSON integer or a string ParseSize reads, within the spec's range.
Checked CheckSize(const ParamSpec& spec, const Value& v, const std::string& path,
                  Problems& problems) {
  int64_t bytes = 0;
  if (v.IsString()) {
    auto parsed = ParseSize(StringOf(v));
    if (!parsed.ok()) {
      problems.Add(path, parsed.error().message());
      return std::nullopt;
    }
    bytes = *parsed;
  } else if (v.IsInt64() && v.GetInt64() >= 0) {
    bytes = v.GetInt64();
  } else if (v.IsNumber()) {
    problems.Add(path, "not a size: " + Describe(v));
    return std::nullopt;
  } else {
    problems.Add(path, "expected a size (bytes, or a string like \"64K\"), got " + Describe(v));
    return std::nullopt;
  }
  if (std::string problem = RangeProblem(spec, bytes); !problem.empty()) {
    problems.Add(path, problem);
    return std::nullopt;
  }
  return Checked(std::in_place, bytes);
}

// kStringList: an array of strings; each item that is not one is reported.
Checked CheckStringList(const Value& v, const std::string& path, Problems& problems) {
  if (!v.IsArray()) {
    problems.Add(path, "expected an array of strings, got " + Describe(v));
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString()) {
      problems.Add(Index(path, i), "expected a string, got " + Describe(v[i]));
      ok = false;
    } else {
      items.emplace_back(StringOf(v[i]));
    }
  }
  if (!ok) return std::nullopt;
  return Checked(std::in_place, std::move(items));
}

// Checks one value against its spec; on a problem reports it at `path` and returns nullopt.
Checked CheckValue(const ParamSpec& spec, const Value& v, const std::string& path,
                   Problems& problems) {
  switch (spec.type) {
    case ParamType::kString:
      if (!v.IsString()) break;
      return Checked(std::in_place, std::string(StringOf(v)));
    case ParamType::kEnum:
      if (!v.IsString()) break;
      return CheckEnum(spec, v, path, problems);
    case ParamType::kBool:
      if (!v.IsBool()) break;
      return Checked(std::in_place, v.GetBool());
    case ParamType::kInt:
      if (!v.IsNumber()) break;
      return CheckInt(spec, v, path, problems);
    case ParamType::kSize:
      return CheckSize(spec, v, path, problems);
    case ParamType::kStringList:
      return CheckStringList(v, path, problems);
  }
  // Only kString, kEnum, kBool and kInt get here (a value of the wrong JSON type).
  const char* expected = spec.type == ParamType::kInt    ? "an integer"
                         : spec.type == ParamType::kBool ? "true or false"
                                                         : "a string";
  problems.Add(path, std::string("expected ") + expected + ", got " + Describe(v));
  return std::nullopt;
}

const ParamSpec* FindSpec(const std::vector<ParamSpec>& specs, std::string_view key) {
  const ParamSpec* spec = nullptr;
  for (const ParamSpec& s : specs) {
    if (s.name == key) spec = &s;
  }
  return spec;
}

}  // namespace

KeySet CheckMembers(const Value& obj, const std::string& path, const std::vector<ParamSpec>* specs,
                    const std::vector<std::string>& own, const std::vector<std::string>& known,
                    const OwnKeyHandler& on_own, ParamMap& out, Problems& problems) {
  KeySet seen;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    const std::string_view key = StringOf(m->name);
    const std::string key_path = Child(path, key);
    if (!seen.emplace(key).second) {
      problems.Add(key_path, "duplicate key");
      continue;
    }
    if (std::find(own.begin(), own.end(), key) != own.end()) {
      on_own(key, m->value, key_path);
      continue;
    }
    if (specs == nullptr) continue;  // an unknown type: its keys cannot be judged
    if (const ParamSpec* spec = FindSpec(*specs, key); spec != nullptr) {
      if (auto value = CheckValue(*spec, m->value, key_path, problems)) {
        out.emplace(std::string(key), std::move(*value));
      }
    } else {
      problems.Add(key_path, "unknown key; known: " + JoinSorted(known));
    }
  }
  return seen;
}

void FillDefaults(const std::vector<ParamSpec>& specs, const KeySet& seen, const std::string& path,
                  ParamMap& out, Problems& problems) {
  for (const ParamSpec& spec : specs) {
    if (seen.count(spec.name) != 0) continue;
    if (spec.required) {
      problems.Add(path, "missing " + Quote(spec.name));
    } else if (!spec.default_text.empty()) {
      if (auto value = ParseDefault(spec); value.ok()) out.emplace(spec.name, std::move(*value));
    }
  }
}

std::vector<std::string> KnownKeys(const std::vector<ParamSpec>& specs,
                                   std::vector<std::string> own) {
  for (const ParamSpec& spec : specs) own.push_back(spec.name);
  return own;
}

bool IsObjectOrReport(const Value& v, const std::string& path, Problems& problems) {
  if (v.IsObject()) return true;
  problems.Add(path, "expected an object, got " + Describe(v));
  return false;
}

}  // namespace ringflow::config::internal

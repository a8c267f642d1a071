#include "framework/config/internal/overrides.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/number.h"

namespace ringflow::config::internal {
namespace {

struct PathStep {
  std::string key;  // empty for an index step
  std::size_t index = 0;
};

// "a.b[2].c" -> steps; nullopt when malformed. Every path starts with a key.
std::optional<std::vector<PathStep>> ParsePath(std::string_view path) {
  std::vector<PathStep> steps;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    while (i < path.size() && path[i] != '.' && path[i] != '[' && path[i] != ']') ++i;
    if (i == start) return std::nullopt;
    steps.push_back({std::string(path.substr(start, i - start)), 0});
    while (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) return std::nullopt;
      const auto index = ParseInteger<std::size_t>(path.substr(i + 1, close - i - 1));
      if (!index) return std::nullopt;
      steps.push_back({std::string(), *index});
      i = close + 1;
    }
    if (i == path.size()) return steps;
    if (path[i] != '.') return std::nullopt;
    ++i;
  }
}

// Where SetAtPath stands: the value reached and its JSON path.
struct Cursor {
  Value* current;
  std::string at;
};

// An index step from `cursor`: moves it to the element, or sets the element to `value` when
// `last`. Returns the problem, or empty.
std::string StepIntoArray(Cursor& cursor, const PathStep& step, bool last, Value& value) {
  Value* current = cursor.current;
  const std::string& at = cursor.at;
  if (!current->IsArray()) return at + " is " + Describe(*current) + ", not an array";
  std::string next = Index(at, step.index);
  if (step.index >= current->Size()) {
    return next + " does not exist (" + at + " has " + std::to_string(current->Size()) +
           (current->Size() == 1 ? " entry)" : " entries)");
  }
  Value& element = (*current)[static_cast<rapidjson::SizeType>(step.index)];
  if (last) {
    element = value;
  } else {
    cursor = {&element, std::move(next)};
  }
  return {};
}

// A key step from `cursor`: moves it to the member (created as an object when missing and more
// key steps follow), or sets the member to `value` (added when missing) when `next_step` is
// null. Returns the problem, or empty.
std::string StepIntoObject(Cursor& cursor, const PathStep& step, const PathStep* next_step,
                           Value& value, Document::AllocatorType& alloc) {
  Value* current = cursor.current;
  if (!current->IsObject()) {
    return (cursor.at.empty() ? "(root)" : cursor.at) + " is " + Describe(*current) +
           ", not an object";
  }
  std::string next = Child(cursor.at, step.key);
  const auto key_size = static_cast<rapidjson::SizeType>(step.key.size());
  auto member = current->FindMember(Value(rapidjson::StringRef(step.key.data(), key_size)));
  if (member == current->MemberEnd()) {
    if (next_step == nullptr) {
      current->AddMember(Value(step.key.data(), key_size, alloc), value, alloc);
      return {};
    }
    // A missing object on the way is created ("source.engine.threads=2" in a document without
    // "engine"); validation then judges its keys like any others.
    if (next_step->key.empty()) return next + " does not exist";
    current->AddMember(Value(step.key.data(), key_size, alloc), Value(rapidjson::kObjectType),
                       alloc);
    cursor = {&(current->MemberEnd() - 1)->value, std::move(next)};
    return {};
  }
  if (next_step == nullptr) {
    member->value = value;
  } else {
    cursor = {&member->value, std::move(next)};
  }
  return {};
}

// Sets the value at `steps` to `value`; returns the problem, or empty.
std::string SetAtPath(Document& doc, const std::vector<PathStep>& steps, Value& value) {
  Cursor cursor{&doc, std::string()};
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const bool last = k + 1 == steps.size();
    std::string problem = steps[k].key.empty()
                              ? StepIntoArray(cursor, steps[k], last, value)
                              : StepIntoObject(cursor, steps[k], last ? nullptr : &steps[k + 1],
                                               value, doc.GetAllocator());
    if (!problem.empty() || last) return problem;
  }
  return {};
}

// The override's value: JSON when `raw` parses as JSON, else the string `raw`. Nullopt, with the
// problem reported, when the JSON nests too deep for a path of `depth` steps.
std::optional<Value> OverrideValue(Document& doc, std::string_view path, std::string_view raw,
                                   std::size_t depth, const std::string& where,
                                   Problems& problems) {
  Document parsed;
  parsed.Parse<kParseFlags>(raw.data(), raw.size());
  Value value;
  if (parsed.HasParseError()) {
    value.SetString(raw.data(), static_cast<rapidjson::SizeType>(raw.size()), doc.GetAllocator());
    return value;
  }
  // CopyFrom recurses: a value nested 20,000 deep would overflow a 1 MiB stack.
  if (auto deep = FindTooDeep(parsed, std::string(path), depth + 1)) {
    problems.Add(where, "the value at " + *deep + " is " + TooDeepProblem());
    return std::nullopt;
  }
  value.CopyFrom(parsed, doc.GetAllocator());
  return value;
}

}  // namespace

void ApplyOverride(Document& doc, std::string_view text, Problems& problems) {
  const std::string where = "override " + Quote(text);
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    problems.Add(where, "expected <path>=<value>");
    return;
  }
  const std::string_view path = text.substr(0, eq);
  const auto steps = ParsePath(path);
  if (!steps) {
    problems.Add(where, "bad path " + Quote(path) +
                            R"( (expected keys and [indexes], e.g. "stages[1].format"))");
    return;
  }
  // The document's root is level 1 and each step one deeper: missing keys on the path are
  // created, so a long path alone could nest the document beyond the limit.
  if (steps->size() >= kMaxNestingDepth) {
    problems.Add(where, "the path is " + std::to_string(steps->size()) + " levels deep; " +
                            TooDeepProblem());
    return;
  }
  std::optional<Value> value =
      OverrideValue(doc, path, text.substr(eq + 1), steps->size(), where, problems);
  if (!value) return;
  if (std::string problem = SetAtPath(doc, *steps, *value); !problem.empty()) {
    problems.Add(where, problem);
  }
}

}  // namespace ringflow::config::internal

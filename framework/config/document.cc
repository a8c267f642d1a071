#include "framework/config/internal/document.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <vector>

#include "framework/config/internal/messages.h"
#include "framework/config/pipeline_config.h"

namespace ringflow::config::internal {

std::string Describe(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
      return "false";
    case rapidjson::kTrueType:
      return "true";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return Quote(StringOf(v));
    case rapidjson::kNumberType:
      break;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::optional<std::string> FindTooDeep(const Value& root, const std::string& root_path,
                                       std::size_t root_depth) {
  if (!root.IsObject() && !root.IsArray()) return std::nullopt;
  if (root_depth > kMaxNestingDepth) return root_path;
  struct Frame {
    const Value* value;
    rapidjson::SizeType next;  // the child to visit next
  };
  std::vector<Frame> stack = {{&root, 0}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    const Value* child = nullptr;
    if (top.value->IsArray()) {
      if (top.next < top.value->Size()) child = &(*top.value)[top.next];
    } else if (top.next < top.value->MemberCount()) {
      child = &(top.value->MemberBegin() + top.next)->value;
    }
    if (child == nullptr) {
      stack.pop_back();
      continue;
    }
    ++top.next;
    if (!child->IsObject() && !child->IsArray()) continue;
    if (root_depth + stack.size() > kMaxNestingDepth) {
      std::string path = root_path;
      for (const Frame& f : stack) {
        const rapidjson::SizeType at = f.next - 1;
        path = f.value->IsArray() ? Index(path, at)
                                  : Child(path, StringOf((f.value->MemberBegin() + at)->name));
      }
      return path;
    }
    stack.push_back({child, 0});
  }
  return std::nullopt;
}

std::string TooDeepProblem() {
  return "nested deeper than " + std::to_string(kMaxNestingDepth) +
         " levels (the limit of a pipeline document)";
}

}  // namespace ringflow::config::internal

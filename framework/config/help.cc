// The help text of a TypeCatalog (`ringflow stages`).
#include <string>

#include "framework/config/internal/messages.h"
#include "framework/config/internal/schema.h"
#include "framework/config/pipeline_config.h"

namespace ringflow::config {
namespace {

// "  name (type[: choices]; required|default D|optional[; range])[: help]\n".
std::string DescribeParam(const ParamSpec& param) {
  using internal::FormatNumber;
  std::string out = "  " + param.name + " (" + std::string(ParamTypeName(param.type));
  if (param.type == ParamType::kEnum) out += ": " + internal::Join(param.choices);
  if (param.required) {
    out += "; required";
  } else if (!param.default_text.empty()) {
    out += "; default " + param.default_text;
  } else {
    out += "; optional";
  }
  if (param.min != INT64_MIN && param.max != INT64_MAX) {
    out += "; " + FormatNumber(param, param.min) + ".." + FormatNumber(param, param.max);
  } else if (param.min != INT64_MIN) {
    out += "; at least " + FormatNumber(param, param.min);
  } else if (param.max != INT64_MAX) {
    out += "; at most " + FormatNumber(param, param.max);
  }
  out += ")";
  if (!param.help.empty()) out += ": " + param.help;
  out += '\n';
  return out;
}

}  // namespace

std::string DescribeCatalog(const TypeCatalog& catalog) {
  std::string out;
  for (const std::string& name : catalog.Names()) {
    const TypeSpec& type = *catalog.Find(name);
    if (!out.empty()) out += '\n';
    out += name;
    if (!type.help.empty()) out += ": " + type.help;
    out += "\n  input: ";
    out += !type.takes_input      ? "none (reads the source)"
           : type.multiple_inputs ? "one or more stages"
                                  : "one stage";
    out += '\n';
    for (const ParamSpec& param : type.params) out += DescribeParam(param);
  }
  return out;
}

}  // namespace ringflow::config

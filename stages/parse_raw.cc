#include "stages/parse_raw.h"

namespace ringflow::stages {

bool ParseRawLine(std::string_view line, flow::Record& out, flow::Arena& /*arena*/) {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  out.fields.push_back({"message", flow::Value::String(line)});
  return true;
}

}  // namespace ringflow::stages

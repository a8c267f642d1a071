// upper_case: a worked example of a custom stage, built out of tree as a plugin (see
// CMakeLists.txt and upper_case.json here). For every record it upper-cases the ASCII letters of
// the string fields its "fields" parameter names; other bytes (UTF-8) and fields of other types
// stay as they are, and records that failed to parse pass through untouched. The new values are
// written into the batch's arena, so they live exactly as long as the batch and its records.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/run/plugin.h"

namespace upper_case_example {
namespace {

using ringflow::Error;
using ringflow::ErrorCode;
using ringflow::Result;
using ringflow::Status;
namespace config = ringflow::config;
namespace flow = ringflow::flow;

class UpperCaseStage final : public flow::TransformStage {
 public:
  explicit UpperCaseStage(std::vector<std::string> fields) : fields_(std::move(fields)) {}

  // Called concurrently on different batches: it only reads its field list, and writes to the
  // batch it was handed (records and arena).
  void Process(flow::RecordBatch& batch) const override {
    for (flow::Record& record : batch.records) {
      for (flow::Field& field : record.fields) {
        if (field.value.type != flow::ValueType::kString || !Wanted(field.name)) continue;
        // The old value may view the chunk (read-only) or the arena: write a new one.
        const std::string_view in = field.value.s;
        char* out = batch.arena.Allocate(in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
          out[i] = (in[i] >= 'a' && in[i] <= 'z') ? static_cast<char>(in[i] - 'a' + 'A') : in[i];
        }
        field.value.s = std::string_view(out, in.size());
      }
    }
  }

 private:
  bool Wanted(std::string_view name) const {
    for (const std::string& f : fields_) {
      if (f == name) return true;
    }
    return false;
  }

  const std::vector<std::string> fields_;
};

Status RegisterUpperCaseStage(ringflow::run::StageRegistry& registry) {
  config::TypeSpec spec;
  spec.type = "upper_case";
  spec.help = "upper-cases (ASCII letters) the named string fields of every record";
  config::ParamSpec fields;
  fields.name = "fields";
  fields.type = config::ParamType::kStringList;
  fields.required = true;
  fields.help = "the fields to upper-case; other fields and non-string values are kept";
  spec.params.push_back(std::move(fields));
  // The document is validated against the spec before the factory runs; the factory checks
  // what the schema cannot say (the error comes back with the stage's JSON path).
  return registry.RegisterTransform(
      std::move(spec),
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::TransformStage>> {
        const std::vector<std::string>& names = *c.GetStringList("fields");
        if (names.empty()) {
          return Error(ErrorCode::kInvalidArgument, "fields: name at least one field");
        }
        return std::unique_ptr<flow::TransformStage>(new UpperCaseStage(names));
      });
}

}  // namespace
}  // namespace upper_case_example

RINGFLOW_PLUGIN(upper_case_example::RegisterUpperCaseStage);

#include "stages/filter_stage.h"

#include <utility>
#include <vector>

#include "stages/internal/filter_expr.h"

namespace ringflow::stages {

Result<std::unique_ptr<FilterStage>> FilterStage::Create(std::string_view where) {
  auto expr = internal::FilterExpr::Parse(where);
  if (!expr.ok()) return std::move(expr).error().WithContext("where");
  return std::unique_ptr<FilterStage>(new FilterStage(std::string(where), std::move(expr).value()));
}

FilterStage::FilterStage(std::string where, internal::FilterExpr expr)
    : where_(std::move(where)),
      expr_(std::make_unique<const internal::FilterExpr>(std::move(expr))) {}

FilterStage::~FilterStage() = default;

bool FilterStage::Matches(const flow::Record& record) const { return expr_->Eval(record); }

void FilterStage::Process(flow::RecordBatch& batch) const {
  // remove_if moves the kept records forward in place: no allocation, order kept.
  std::erase_if(batch.records, [this](const flow::Record& record) { return !expr_->Eval(record); });
}

config::TypeSpec FilterSpec() {
  config::TypeSpec spec;
  spec.type = "filter";
  spec.help =
      "keeps the records for which a condition is true and drops the others (order kept); "
      "a line that failed to parse has only _raw and _error, e.g. "
      "(status >= 500 or level == \"error\") and not path startswith \"/health\"";
  config::ParamSpec where;
  where.name = "where";
  where.type = config::ParamType::kString;
  where.required = true;
  where.help =
      "the condition: FIELD OP VALUE with OP one of == != < <= > >= contains startswith endswith "
      "matches (RE2, unanchored); a bare FIELD (present and not null/false/0/\"\"); and/&&, or/||, "
      "not/!, ( ). VALUE: a number, \"text\" or 'text', true, false, null. Numbers compare as "
      "numbers (also text fields like \"500\"), anything else as text; a missing field makes "
      "the condition false. FIELD: a name or \"any name\"; _raw is the line, _error the parse "
      "error. Example: status >= 500 and not _raw matches \"(?i)health\"";
  spec.params.push_back(std::move(where));
  return spec;
}

Result<std::unique_ptr<flow::TransformStage>> MakeFilterStage(const config::StageConfig& config) {
  const std::string* where = config.GetString("where");
  if (where == nullptr) return Error(ErrorCode::kInvalidArgument, "where: required");
  RINGFLOW_ASSIGN_OR_RETURN(std::unique_ptr<FilterStage> stage, FilterStage::Create(*where));
  return std::unique_ptr<flow::TransformStage>(std::move(stage));
}

Status RegisterFilter(run::StageRegistry& registry) {
  return registry.RegisterTransform(FilterSpec(), MakeFilterStage);
}

}  // namespace ringflow::stages

// FilterStage: the `filter` transform. Keeps the records for which a condition (param "where")
// is true and removes the others from the batch, keeping the order of those it keeps. The
// condition is parsed once (regular expressions compiled once) and evaluated without allocating.
// Immutable after construction: Process may run concurrently on different batches.
//
// Grammar (keywords case-insensitive; blanks between tokens are free):
//   expr       := and_expr (("or" | "||") and_expr)*
//   and_expr   := unary (("and" | "&&") unary)*            -- "and" binds tighter than "or"
//   unary      := ("not" | "!") unary | "(" expr ")" | condition
//   condition  := FIELD | FIELD OP LITERAL
//   OP         := == != < <= > >= contains startswith endswith matches
//   FIELD      := [A-Za-z_.@-][A-Za-z0-9_.@-]* (bytes >= 0x80 count as letters) | "quoted name"
//                 _raw is the line; _error the parse error ("" when the line parsed)
//   LITERAL    := -?digits(.digits)?([eE][+-]?digits)? | "string" | 'string' | true | false | null
//                 strings unescape \" \' \\; any other backslash is kept (so "\d+" is \d+)
// Semantics:
//   - A condition on a field the record does not have is false, whatever the operator (so
//     `not status == 200` is true for a record without status). A bare FIELD is true when the
//     field is present and not null, false, 0 or "".
//   - Both sides numeric (kInt, kDouble, or a kString that reads wholly as a number, like
//     logfmt's status="500"; a numeric literal) and OP one of the six orderings: compared as
//     numbers. Otherwise compared as text, bytewise: numbers read as their decimal text (2.0 as
//     "2.0", as the JSON sink writes it), booleans as "true"/"false", a numeric literal as
//     written. `matches` is an RE2 partial match (use ^...$ to anchor, (?i) to ignore case).
//   - null and true/false go with == and != only. `x == null`: x is present and null; a null
//     field equals null only, and is != every other literal.
//   - A record that failed to parse (Record::error non-empty) has only _raw and _error: keep
//     such records with e.g. `_error or status >= 500`.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"

namespace ringflow::stages {

namespace internal {
class FilterExpr;
}  // namespace internal

class FilterStage final : public flow::TransformStage {
 public:
  // Parses `where`. kInvalidArgument with one line naming the first problem and its 1-based
  // column, e.g. `where: column 10: expected a value after ">="`; for a bad regular expression
  // the reason is RE2's (`where: column 12: bad regular expression: missing ): (a`).
  static Result<std::unique_ptr<FilterStage>> Create(std::string_view where);

  // Removes the records for which the condition is false; the others keep their order. Only
  // batch.records changes (an emptied batch still travels, with its seq, end and error).
  void Process(flow::RecordBatch& batch) const override;

  // Whether `record` satisfies the condition (what Process keeps).
  bool Matches(const flow::Record& record) const;

  const std::string& where() const { return where_; }

 private:
  FilterStage(std::string where, internal::FilterExpr expr);

 public:
  ~FilterStage() override;

 private:
  const std::string where_;
  const std::unique_ptr<const internal::FilterExpr> expr_;  // the parsed `where` (never null)
};

// The "filter" type for the stage registry: one required string param, "where".
config::TypeSpec FilterSpec();

// A FilterStage from a validated "filter" stage config. Errors as FilterStage::Create.
Result<std::unique_ptr<flow::TransformStage>> MakeFilterStage(const config::StageConfig& config);

// Registers the "filter" transform (FilterSpec, MakeFilterStage). Errors as
// run::StageRegistry::RegisterTransform.
Status RegisterFilter(run::StageRegistry& registry);

}  // namespace ringflow::stages

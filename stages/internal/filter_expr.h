// FilterExpr: the condition language of the `filter` stage (grammar and semantics in
// stages/filter_stage.h). Parsed once into a small tree (regular expressions compiled once);
// evaluated per record without allocating. Immutable after Parse: Eval may run concurrently.
#pragma once

#include <memory>
#include <string_view>

#include "framework/core/result.h"
#include "framework/flow/record.h"

namespace ringflow::stages::internal {

struct FilterProgram;  // the parsed tree; defined in filter_expr.cc

class FilterExpr {
 public:
  // Parses `text`. kInvalidArgument with a one-line message "column C: <problem>" (C is the
  // 1-based byte column of the problem) for the first problem found, e.g.
  // `column 10: expected a value after ">="`; a bad regular expression gives RE2's reason.
  static Result<FilterExpr> Parse(std::string_view text);

  FilterExpr(FilterExpr&&) noexcept;
  FilterExpr& operator=(FilterExpr&&) noexcept;
  ~FilterExpr();

  // Whether `record` satisfies the expression. Reads the record only; the record's views must
  // be valid (its batch alive).
  bool Eval(const flow::Record& record) const;

 private:
  explicit FilterExpr(std::unique_ptr<const FilterProgram> program);

  std::unique_ptr<const FilterProgram> program_;
};

}  // namespace ringflow::stages::internal

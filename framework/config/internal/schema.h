// Parameter values against their ParamSpec, internal to framework/config: defaults written as
// text, ranges and how a number of a kind is shown. Plain functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"

namespace ringflow::config::internal {

// The value of `spec.default_text` as `spec.type`. kInvalidArgument when it does not parse,
// lies outside spec.choices or [spec.min, spec.max]. REQUIRES: !spec.default_text.empty().
Result<ParamValue> ParseDefault(const ParamSpec& spec);

// `value` as the docs write a value of `spec` (FormatSize for kSize, decimal otherwise).
std::string FormatNumber(const ParamSpec& spec, int64_t value);

// Empty when `value` lies in the spec's range, else the problem ("5 is out of range; must be
// between 1 and 4").
std::string RangeProblem(const ParamSpec& spec, int64_t value);

}  // namespace ringflow::config::internal

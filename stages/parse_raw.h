// The "no format" parser: the whole line becomes one string field.
// A pure function: no state, so it may run concurrently on different records.
#pragma once

#include <string_view>

#include "framework/flow/record.h"

namespace ringflow::stages {

// Sets out.raw = line, clears out.error and makes out.fields exactly {message: line} (a view
// into the line, which must outlive the record's use). Always returns true. `arena` is unused;
// it is there so that every parser has the same signature.
bool ParseRawLine(std::string_view line, flow::Record& out, flow::Arena& arena);

}  // namespace ringflow::stages

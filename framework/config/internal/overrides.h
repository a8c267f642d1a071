// Command-line overrides of a pipeline document ("<path>=<value>", `--set`), internal to
// framework/config. Thread-safe (no state).
#pragma once

#include <string_view>

#include "framework/config/internal/document.h"
#include "framework/config/internal/messages.h"

namespace ringflow::config::internal {

// Applies one override to `doc` as LoadPipeline documents it: the path ("a.b[1].c") is parsed,
// the value taken as JSON when it parses as JSON, else as a string, missing keys on the path
// created. A malformed override, a path or value nested too deep, or a path through a value that
// is not an object or array (or past an array's end) is reported under
// `override "<text>"` and leaves `doc` as it was.
void ApplyOverride(Document& doc, std::string_view text, Problems& problems);

}  // namespace ringflow::config::internal

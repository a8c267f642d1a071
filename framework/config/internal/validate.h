// Validation of a parsed pipeline document, internal to framework/config. The members of an
// object are checked against ParamSpecs (validate_values.cc) and the document's structure
// (source, engine, stages, sinks and their inputs) on top of that (validate.cc). Every problem
// goes to a Problems list with its JSON path; nothing stops at the first. Thread-safe (no state).
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "framework/config/internal/document.h"
#include "framework/config/internal/messages.h"
#include "framework/config/pipeline_config.h"

namespace ringflow::config::internal {

// The keys of an object a caller handles itself (its "own" keys: "name", "input", "engine").
using OwnKeyHandler =
    std::function<void(std::string_view key, const Value& value, const std::string& path)>;

// Keys as they appear in an object, each once.
using KeySet = std::set<std::string, std::less<>>;

// Walks the members of the object `obj` at `path` in document order. Repeated keys are reported
// (the first one counts); keys in `own` go to `on_own`; keys in `specs` are checked into `out`;
// any other key is reported as unknown with `known` listed, unless `specs` is null (an unknown
// type, whose parameters cannot be judged). Returns the keys seen.
KeySet CheckMembers(const Value& obj, const std::string& path, const std::vector<ParamSpec>* specs,
                    const std::vector<std::string>& own, const std::vector<std::string>& known,
                    const OwnKeyHandler& on_own, ParamMap& out, Problems& problems);

// Reports required params missing from `seen` and fills the defaults of the others.
void FillDefaults(const std::vector<ParamSpec>& specs, const KeySet& seen, const std::string& path,
                  ParamMap& out, Problems& problems);

// `own` followed by the names of `specs`: the keys an object may have.
std::vector<std::string> KnownKeys(const std::vector<ParamSpec>& specs,
                                   std::vector<std::string> own);

// True for an object; else reports "expected an object, got ..." at `path`.
bool IsObjectOrReport(const Value& v, const std::string& path, Problems& problems);

// Checks the whole document `root` against the stage and sink types into `config`.
void CheckPipeline(const Value& root, const TypeCatalog& stage_types, const TypeCatalog& sink_types,
                   PipelineConfig& config, Problems& problems);

}  // namespace ringflow::config::internal

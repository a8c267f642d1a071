// ringflow's own stage and sink types, registered by name: each stage's file has its
// Register<Name> (declared beside its class); RegisterBuiltins calls them all.
#pragma once

#include "framework/core/result.h"
#include "framework/run/registry.h"

namespace ringflow::stages {

// Stages lines, checksum, parse, filter, select; sinks json, manifest and null.
Status RegisterBuiltins(run::StageRegistry& registry);

}  // namespace ringflow::stages

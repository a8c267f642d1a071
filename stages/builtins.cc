#include "stages/builtins.h"

#include "stages/checksum_stage.h"
#include "stages/filter_stage.h"
#include "stages/json_sink.h"
#include "stages/lines_stage.h"
#include "stages/manifest_sink.h"
#include "stages/nats_sink.h"
#include "stages/null_sink.h"
#include "stages/parse_stage.h"
#include "stages/select_stage.h"

namespace ringflow::stages {

Status RegisterBuiltins(run::StageRegistry& registry) {
  for (Status (*register_type)(run::StageRegistry&) :
       {RegisterLines, RegisterChecksum, RegisterParse, RegisterFilter, RegisterSelect,
        RegisterJsonSink, RegisterManifestSink, RegisterNullSink, RegisterNatsSink}) {
    RINGFLOW_RETURN_IF_ERROR(register_type(registry));
  }
  return OkStatus();
}

}  // namespace ringflow::stages

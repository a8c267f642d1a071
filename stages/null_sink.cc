#include "stages/null_sink.h"

#include <memory>

namespace ringflow::stages {

Status RegisterNullSink(run::StageRegistry& registry) {
  return registry.RegisterSink(
      {"null", "discards the records (to measure the pipeline without output)", {}},
      [](const config::StageConfig&) -> Result<std::unique_ptr<flow::SinkStage>> {
        return std::unique_ptr<flow::SinkStage>(new NullSink());
      },
      [](const config::StageConfig&) { return OkStatus(); });
}

}  // namespace ringflow::stages

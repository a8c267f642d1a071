// NullSink: the "null" sink, which discards every record (to measure a pipeline without its
// output). It checkpoints trivially: a resumed run has nothing to cut back. Thread-compatible (the
// pipeline calls it from one thread at a time).
#pragma once

#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"

namespace ringflow::stages {

class NullSink final : public flow::SinkStage {
 public:
  Status Write(const flow::RecordBatch&) override { return OkStatus(); }
  Status Close() override { return OkStatus(); }
  bool checkpoints() const override { return true; }
  Result<flow::SinkPosition> Checkpoint() override { return flow::SinkPosition{}; }
  Status Resume(const flow::SinkPosition&) override { return OkStatus(); }
};

// Registers the "null" sink (no parameters, one input). Errors as run::StageRegistry::RegisterSink.
Status RegisterNullSink(run::StageRegistry& registry);

}  // namespace ringflow::stages

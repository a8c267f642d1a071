// StageRegistry: stage and sink types by name, each with its parameter schema (for validation
// and `ringflow stages`) and a factory. Registration is explicit: RegisterBuiltins adds
// ringflow's own; a custom stage is a class plus one Register call. Build turns a validated
// pipeline document into stage objects. Not thread-safe; build pipelines from one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/flow/stage.h"

namespace ringflow::stages {

using TransformFactory =
    std::function<Result<std::unique_ptr<flow::TransformStage>>(const config::StageConfig&)>;
using SinkFactory =
    std::function<Result<std::unique_ptr<flow::SinkStage>>(const config::StageConfig&)>;

// The stages of one run, in the order the pipeline applies them.
struct BuiltPipeline {
  std::unique_ptr<flow::FramingStage> framing;
  std::vector<std::unique_ptr<flow::TransformStage>> transforms;
  std::unique_ptr<flow::SinkStage> sink;
  std::vector<const flow::TransformStage*> transform_views() const;
};

class StageRegistry {
 public:
  // kInvalidArgument for a duplicate name or a bad schema (see config::TypeCatalog::Add).
  Status RegisterTransform(config::TypeSpec spec, TransformFactory factory);
  Status RegisterSink(config::TypeSpec spec, SinkFactory factory);

  const config::TypeCatalog& stages() const { return stage_types_; }
  const config::TypeCatalog& sinks() const { return sink_types_; }

  // Builds the stages of a validated document. This release runs linear pipelines: one "lines"
  // stage, then transforms each reading the one before, and one sink reading the last;
  // anything else (fan-out, several sinks, checksum) is kUnsupported with the JSON path.
  Result<BuiltPipeline> Build(const config::PipelineConfig& pipeline) const;

 private:
  config::TypeCatalog stage_types_;
  config::TypeCatalog sink_types_;
  std::map<std::string, TransformFactory, std::less<>> transforms_;
  std::map<std::string, SinkFactory, std::less<>> sinks_;
};

// lines, parse (access, json, syslog, logfmt, raw); sinks json and null.
Status RegisterBuiltins(StageRegistry& registry);

}  // namespace ringflow::stages

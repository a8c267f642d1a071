// StageRegistry: stage and sink types by name, each with its parameter schema (for validation
// and `ringflow stages`) and a factory. Registration is explicit: stages::RegisterBuiltins
// (stages/builtins.h) adds ringflow's own; a custom stage is a class plus one Register call. Build
// turns a validated pipeline document into stage objects. Not thread-safe; build pipelines from one
// thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/flow/pipeline.h"
#include "framework/flow/stage.h"

namespace ringflow::run {

using ChunkStageFactory =
    std::function<Result<std::unique_ptr<flow::FramingStage>>(const config::StageConfig&)>;
using TransformFactory =
    std::function<Result<std::unique_ptr<flow::TransformStage>>(const config::StageConfig&)>;
using SinkFactory =
    std::function<Result<std::unique_ptr<flow::SinkStage>>(const config::StageConfig&)>;
// Checks what a sink's factory would refuse without its side effects (creating or opening the
// output): for `ringflow validate`.
using SinkChecker = std::function<Status(const config::StageConfig&)>;
// Checks the kinds of stage a sink reads, for a sink that needs more of its inputs than records
// (a manifest needs a stage whose TypeSpec provides "file_digest" first): called by Build, in
// both modes, with the sink's document and the TypeSpecs of its inputs in the order listed
// (never null). The error comes back prefixed with "<sink's JSON path>.input: ".
using SinkInputCheck = std::function<Status(const config::StageConfig& sink,
                                            std::span<const config::TypeSpec* const> inputs)>;

// kOpen builds everything (the sinks open their outputs). kCheck is for `ringflow validate`:
// stages are built as for a run (their factories have no side effects) and every check of
// Build runs, but no sink factory is called: a sink with a SinkChecker is checked by it, one
// without (a plugin's) only against its schema; BuiltPipeline::sinks then holds placeholders
// that discard everything. Nothing is created, opened or truncated.
enum class BuildMode { kOpen, kCheck };

// The stages of one run and the graph that connects them (which views the stages owned here).
// graph.stages[i] and graph.sinks[k] are the document's stages[i] and sinks[k].
struct BuiltPipeline {
  std::vector<std::unique_ptr<flow::FramingStage>> chunk_stages;
  std::vector<std::unique_ptr<flow::TransformStage>> transforms;
  std::vector<std::unique_ptr<flow::SinkStage>> sinks;
  flow::PipelineGraph graph;
};

class StageRegistry {
 public:
  // kInvalidArgument for a duplicate name or a bad schema (see config::TypeCatalog::Add).
  // A chunk stage reads the source's raw chunks (spec.takes_input must be false); a transform
  // reads another stage's records; a sink reads one or more stages.
  Status RegisterChunkStage(config::TypeSpec spec, ChunkStageFactory factory);
  Status RegisterTransform(config::TypeSpec spec, TransformFactory factory);
  Status RegisterSink(config::TypeSpec spec, SinkFactory factory);
  // The same, with a checker for BuildMode::kCheck (may be empty), and a check of the inputs'
  // types (may be empty: any stages).
  Status RegisterSink(config::TypeSpec spec, SinkFactory factory, SinkChecker checker);
  Status RegisterSink(config::TypeSpec spec, SinkFactory factory, SinkChecker checker,
                      SinkInputCheck input_check);

  const config::TypeCatalog& stages() const { return stage_types_; }
  const config::TypeCatalog& sinks() const { return sink_types_; }

  // Builds the stages and sinks of a validated document (with kOpen, opening the sinks' files;
  // see BuildMode). Errors, each with the JSON path: a factory's (or checker's) error; a stage
  // whose output nothing reads; a sink whose SinkInputCheck refuses its inputs; two sinks
  // writing to the same place.
  Result<BuiltPipeline> Build(const config::PipelineConfig& pipeline,
                              BuildMode mode = BuildMode::kOpen) const;

 private:
  config::TypeCatalog stage_types_;
  config::TypeCatalog sink_types_;
  std::map<std::string, ChunkStageFactory, std::less<>> chunk_stages_;
  std::map<std::string, TransformFactory, std::less<>> transforms_;
  std::map<std::string, SinkFactory, std::less<>> sinks_;
  std::map<std::string, SinkChecker, std::less<>> sink_checkers_;
  std::map<std::string, SinkInputCheck, std::less<>> sink_input_checks_;
};

}  // namespace ringflow::run

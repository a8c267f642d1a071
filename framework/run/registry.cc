#include "framework/run/registry.h"

namespace ringflow::run {
namespace {

Error Unsupported(const std::string& where, const std::string& what) {
  return Error(ErrorCode::kUnsupported, where + ": " + what);
}

// What BuildMode::kCheck puts where a sink would be: discards everything.
class PlaceholderSink final : public flow::SinkStage {
 public:
  Status Write(const flow::RecordBatch&) override { return OkStatus(); }
  Status Close() override { return OkStatus(); }
};

}  // namespace

Status StageRegistry::RegisterChunkStage(config::TypeSpec spec, ChunkStageFactory factory) {
  if (spec.takes_input) {
    return Error(ErrorCode::kInvalidArgument, "stage type " + QuoteForMessage(spec.type) +
                                                  ": a chunk stage reads the source, not an input");
  }
  const std::string type = spec.type;
  RINGFLOW_RETURN_IF_ERROR(stage_types_.Add(std::move(spec)));
  chunk_stages_.emplace(type, std::move(factory));
  return OkStatus();
}

Status StageRegistry::RegisterTransform(config::TypeSpec spec, TransformFactory factory) {
  const std::string type = spec.type;
  RINGFLOW_RETURN_IF_ERROR(stage_types_.Add(std::move(spec)));
  transforms_.emplace(type, std::move(factory));
  return OkStatus();
}

Status StageRegistry::RegisterSink(config::TypeSpec spec, SinkFactory factory) {
  const std::string type = spec.type;
  RINGFLOW_RETURN_IF_ERROR(sink_types_.Add(std::move(spec)));
  sinks_.emplace(type, std::move(factory));
  return OkStatus();
}

Status StageRegistry::RegisterSink(config::TypeSpec spec, SinkFactory factory,
                                   SinkChecker checker) {
  const std::string type = spec.type;
  RINGFLOW_RETURN_IF_ERROR(RegisterSink(std::move(spec), std::move(factory)));
  if (checker) sink_checkers_.emplace(type, std::move(checker));
  return OkStatus();
}

Status StageRegistry::RegisterSink(config::TypeSpec spec, SinkFactory factory, SinkChecker checker,
                                   SinkInputCheck input_check) {
  const std::string type = spec.type;
  RINGFLOW_RETURN_IF_ERROR(RegisterSink(std::move(spec), std::move(factory), std::move(checker)));
  if (input_check) sink_input_checks_.emplace(type, std::move(input_check));
  return OkStatus();
}

Result<BuiltPipeline> StageRegistry::Build(const config::PipelineConfig& pipeline,
                                           BuildMode mode) const {
  BuiltPipeline built;
  std::map<std::string, std::size_t, std::less<>> index;  // stage name -> position
  std::vector<bool> read(pipeline.stages.size(), false);
  auto input_of = [&](const config::StageConfig& c,
                      const std::string& name) -> Result<std::size_t> {
    auto it = index.find(name);
    if (it == index.end()) {
      return Unsupported(c.json_path + ".input",
                         "no stage " + QuoteForMessage(name) + " before this one");
    }
    read[it->second] = true;
    return it->second;
  };
  for (std::size_t i = 0; i < pipeline.stages.size(); ++i) {
    const config::StageConfig& stage = pipeline.stages[i];
    flow::PipelineGraph::Stage node;
    node.name = stage.name;
    if (auto chunk = chunk_stages_.find(stage.type); chunk != chunk_stages_.end()) {
      auto made = chunk->second(stage);
      if (!made.ok()) return std::move(made).error().WithContext(stage.json_path);
      node.chunks = made->get();
      built.chunk_stages.push_back(std::move(made).value());
    } else if (auto transform = transforms_.find(stage.type); transform != transforms_.end()) {
      if (stage.inputs.size() != 1) {
        return Unsupported(stage.json_path + ".input", "a stage reads exactly one stage");
      }
      RINGFLOW_ASSIGN_OR_RETURN(node.input, input_of(stage, stage.inputs[0]));
      auto made = transform->second(stage);
      if (!made.ok()) return std::move(made).error().WithContext(stage.json_path);
      node.transform = made->get();
      built.transforms.push_back(std::move(made).value());
    } else {
      return Unsupported(stage.json_path + ".type",
                         "no factory for " + QuoteForMessage(stage.type));
    }
    index.emplace(stage.name, i);
    built.graph.stages.push_back(std::move(node));
  }
  // Two sinks must not write to the same place: their writes would interleave (stdout) or the
  // second could not create its temporary file.
  std::map<std::string, const config::StageConfig*, std::less<>> outputs;
  for (const config::StageConfig& sink : pipeline.sinks) {
    const std::string* path = sink.GetString("path");
    if (path == nullptr) continue;
    const std::string where = path->empty() || *path == "-" ? "-" : *path;
    auto [it, fresh] = outputs.emplace(where, &sink);
    if (!fresh) {
      return Unsupported(sink.json_path + ".path",
                         "sinks " + QuoteForMessage(it->second->name) + " and " +
                             QuoteForMessage(sink.name) + " both write to " +
                             (where == "-" ? "stdout" : QuoteForMessage(where)));
    }
  }
  for (const config::StageConfig& sink : pipeline.sinks) {
    flow::PipelineGraph::Sink node;
    node.name = sink.name;
    for (const std::string& name : sink.inputs) {
      RINGFLOW_ASSIGN_OR_RETURN(const std::size_t input, input_of(sink, name));
      node.inputs.push_back(input);
    }
    auto factory = sinks_.find(sink.type);
    if (factory == sinks_.end()) {
      return Unsupported(sink.json_path + ".type", "no factory for " + QuoteForMessage(sink.type));
    }
    if (auto check = sink_input_checks_.find(sink.type); check != sink_input_checks_.end()) {
      std::vector<const config::TypeSpec*> types;
      types.reserve(node.inputs.size());
      // Every stage was built above, so its type is in the catalog.
      for (const std::size_t input : node.inputs) {
        types.push_back(stage_types_.Find(pipeline.stages[input].type));
      }
      if (Status s = check->second(sink, types); !s.ok()) {
        return std::move(s).error().WithContext(sink.json_path + ".input");
      }
    }
    if (mode == BuildMode::kCheck) {
      // Checked without being made: a sink's factory creates its output.
      if (auto checker = sink_checkers_.find(sink.type); checker != sink_checkers_.end()) {
        if (Status s = checker->second(sink); !s.ok()) {
          return std::move(s).error().WithContext(sink.json_path);
        }
      }
      node.sink = built.sinks.emplace_back(std::make_unique<PlaceholderSink>()).get();
      built.graph.sinks.push_back(std::move(node));
      continue;
    }
    auto made = factory->second(sink);
    if (!made.ok()) return std::move(made).error().WithContext(sink.json_path);
    node.sink = made->get();
    built.sinks.push_back(std::move(made).value());
    built.graph.sinks.push_back(std::move(node));
  }
  for (std::size_t i = 0; i < pipeline.stages.size(); ++i) {
    if (!read[i]) {
      return Unsupported(pipeline.stages[i].json_path,
                         "nothing reads stage " + QuoteForMessage(pipeline.stages[i].name) +
                             ": name it in a later stage's or a sink's \"input\"");
    }
  }
  RINGFLOW_RETURN_IF_ERROR(built.graph.Check());
  return built;
}

}  // namespace ringflow::run

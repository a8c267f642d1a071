#include "stages/registry.h"

#include <ctime>

#include "stages/json_sink.h"
#include "stages/lines_stage.h"
#include "stages/parse_stage.h"

namespace ringflow::stages {
namespace {

Error Unsupported(const std::string& where, const std::string& what) {
  return Error(ErrorCode::kUnsupported, where + ": " + what);
}

class NullSink final : public flow::SinkStage {
 public:
  Status Write(const flow::RecordBatch&) override { return OkStatus(); }
  Status Close() override { return OkStatus(); }
};

int CurrentYear() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return tm.tm_year + 1900;
}

}  // namespace

std::vector<const flow::TransformStage*> BuiltPipeline::transform_views() const {
  std::vector<const flow::TransformStage*> views;
  for (const auto& t : transforms) views.push_back(t.get());
  return views;
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

Result<BuiltPipeline> StageRegistry::Build(const config::PipelineConfig& pipeline) const {
  BuiltPipeline built;
  if (pipeline.stages.empty() || pipeline.stages[0].type != "lines") {
    return Unsupported("stages[0]", "a pipeline starts with a \"lines\" stage");
  }
  const config::StageConfig& lines = pipeline.stages[0];
  FramerOptions framer;
  if (auto max = lines.GetInt("max_line_bytes"))
    framer.max_line_bytes = static_cast<std::size_t>(*max);
  built.framing = std::make_unique<LinesStage>(framer);
  std::string previous = lines.name;
  for (std::size_t i = 1; i < pipeline.stages.size(); ++i) {
    const config::StageConfig& stage = pipeline.stages[i];
    if (stage.type == "lines") {
      return Unsupported(stage.json_path, "only the first stage may be \"lines\"");
    }
    if (stage.inputs.size() != 1 || stage.inputs[0] != previous) {
      return Unsupported(stage.json_path + ".input",
                         "this release runs linear pipelines: expected input \"" + previous + "\"");
    }
    auto factory = transforms_.find(stage.type);
    if (factory == transforms_.end()) {
      return Unsupported(stage.json_path + ".type", "no factory for \"" + stage.type + "\"");
    }
    auto made = factory->second(stage);
    if (!made.ok()) return std::move(made).error().WithContext(stage.json_path);
    built.transforms.push_back(std::move(made).value());
    previous = stage.name;
  }
  if (pipeline.sinks.size() != 1) {
    return Unsupported("sinks", "this release runs pipelines with exactly one sink");
  }
  const config::StageConfig& sink = pipeline.sinks[0];
  if (sink.inputs.size() != 1 || sink.inputs[0] != previous) {
    return Unsupported(sink.json_path + ".input",
                       "this release runs linear pipelines: expected input \"" + previous + "\"");
  }
  auto factory = sinks_.find(sink.type);
  if (factory == sinks_.end()) {
    return Unsupported(sink.json_path + ".type", "no factory for \"" + sink.type + "\"");
  }
  auto made = factory->second(sink);
  if (!made.ok()) return std::move(made).error().WithContext(sink.json_path);
  built.sink = std::move(made).value();
  return built;
}

Status RegisterBuiltins(StageRegistry& registry) {
  // "lines" is the framing stage; it has no factory of its own (Build makes it) but is listed so
  // documents and `ringflow stages` know it.
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(
      {"lines",
       "splits the files into lines (records); lines across read boundaries are stitched, CRLF "
       "and a final line without newline handled, a UTF-8 BOM dropped",
       {{"max_line_bytes",
         config::ParamType::kSize,
         false,
         {},
         "longer lines are cut to this and flagged \"_truncated\", never dropped",
         "1MiB",
         1,
         int64_t{1} << 30}},
       /*takes_input=*/false},
      nullptr));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(
      {"parse",
       "parses each line into typed fields; a line that does not parse is kept with "
       "\"_error\" and \"_raw\"",
       {{"format",
         config::ParamType::kEnum,
         true,
         {"access", "json", "syslog", "logfmt", "raw"},
         "access: nginx/Apache combined; json: one object per line; syslog: RFC 3164 or 5424; "
         "logfmt: key=value pairs; raw: the line as \"message\"",
         "",
         INT64_MIN,
         INT64_MAX},
        {"year",
         config::ParamType::kInt,
         false,
         {},
         "the year of RFC 3164 syslog times (they carry none); 0: the current year",
         "0",
         0,
         9999}}},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::TransformStage>> {
        RINGFLOW_ASSIGN_OR_RETURN(const LogFormat format, ParseLogFormat(*c.GetString("format")));
        int year = static_cast<int>(c.GetInt("year").value_or(0));
        if (year == 0) year = CurrentYear();
        return std::unique_ptr<flow::TransformStage>(new ParseStage(format, year));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterSink(
      {"json",
       "writes one JSON object per record; to a file (written to a temporary name and renamed "
       "into place when the run succeeds) or to stdout",
       {{"path",
         config::ParamType::kString,
         false,
         {},
         "the output file; \"-\": stdout",
         "-",
         INT64_MIN,
         INT64_MAX}}},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::SinkStage>> {
        RINGFLOW_ASSIGN_OR_RETURN(auto sink, JsonSink::Open(*c.GetString("path")));
        return std::unique_ptr<flow::SinkStage>(std::move(sink));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterSink(
      {"null", "discards the records (to measure the pipeline without output)", {}},
      [](const config::StageConfig&) -> Result<std::unique_ptr<flow::SinkStage>> {
        return std::unique_ptr<flow::SinkStage>(new NullSink());
      }));
  return OkStatus();
}

}  // namespace ringflow::stages

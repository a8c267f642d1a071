#include "stages/registry.h"

#include <ctime>

#include "stages/checksum_stage.h"
#include "stages/filter_stage.h"
#include "stages/json_sink.h"
#include "stages/lines_stage.h"
#include "stages/manifest_sink.h"
#include "stages/parse_stage.h"
#include "stages/select_stage.h"

namespace ringflow::stages {
namespace {

Error Unsupported(const std::string& where, const std::string& what) {
  return Error(ErrorCode::kUnsupported, where + ": " + what);
}

class NullSink final : public flow::SinkStage {
 public:
  Status Write(const flow::RecordBatch&) override { return OkStatus(); }
  Status Close() override { return OkStatus(); }
  bool checkpoints() const override { return true; }
  Result<flow::SinkPosition> Checkpoint() override { return flow::SinkPosition{}; }
  Status Resume(const flow::SinkPosition&) override { return OkStatus(); }
};

// The "fsync" parameter of the file sinks.
config::ParamSpec FsyncParam() {
  return {"fsync",
          config::ParamType::kBool,
          false,
          {},
          "fsync the file before renaming it into place, so that after a crash the name holds the "
          "whole output or nothing; false does not wait for the disk at the end (scratch "
          "output)",
          "true",
          INT64_MIN,
          INT64_MAX};
}

int CurrentYear() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return tm.tm_year + 1900;
}

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
    if (sink.type == "manifest" && sink.GetBool("digest").value_or(false)) {
      if (node.inputs.size() != 1 || pipeline.stages[node.inputs[0]].type == "checksum") {
        return Unsupported(sink.json_path + ".input",
                           "a manifest with \"digest\": true reads one stage that is not a "
                           "\"checksum\" stage: it digests that stage's chunks and counts its "
                           "records");
      }
    } else if (sink.type == "manifest") {
      if (node.inputs.empty() || pipeline.stages[node.inputs[0]].type != "checksum" ||
          node.inputs.size() > 2 ||
          (node.inputs.size() == 2 && pipeline.stages[node.inputs[1]].type == "checksum")) {
        return Unsupported(sink.json_path + ".input",
                           "a manifest reads a \"checksum\" stage, optionally followed by the "
                           "stage whose records it counts: [\"<checksum>\", \"<stage>\"]");
      }
    }
    auto factory = sinks_.find(sink.type);
    if (factory == sinks_.end()) {
      return Unsupported(sink.json_path + ".type", "no factory for " + QuoteForMessage(sink.type));
    }
    if (mode == BuildMode::kCheck) {
      // Checked without being made: a sink's factory creates its output.
      if (auto checker = sink_checkers_.find(sink.type); checker != sink_checkers_.end()) {
        if (Status s = checker->second(sink); !s.ok()) {
          return std::move(s).error().WithContext(sink.json_path);
        }
      }
      node.sink = built.sinks.emplace_back(std::make_unique<NullSink>()).get();
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

Status RegisterBuiltins(StageRegistry& registry) {
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterChunkStage(
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
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::FramingStage>> {
        FramerOptions framer;
        if (auto max = c.GetInt("max_line_bytes")) {
          framer.max_line_bytes = static_cast<std::size_t>(*max);
        }
        return std::unique_ptr<flow::FramingStage>(new LinesStage(framer));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterChunkStage(
      {"checksum",
       "one record per file from its raw bytes: path, bytes, lines, xxh3 (XXH3-64, as "
       "`xxhsum -H3`) and status; reads the same buffers as \"lines\" (no copy); feed it to a "
       "\"manifest\" sink",
       {},
       /*takes_input=*/false},
      [](const config::StageConfig&) -> Result<std::unique_ptr<flow::FramingStage>> {
        return std::unique_ptr<flow::FramingStage>(new ChecksumStage());
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(
      {"parse",
       "parses each line into typed fields; a line that does not parse is kept with "
       "\"_error\" and \"_raw\"",
       {{"format",
         config::ParamType::kEnum,
         false,
         {"access", "json", "syslog", "logfmt", "regex", "raw"},
         "access: nginx/Apache combined; json: one object per line; syslog: RFC 3164 or 5424; "
         "logfmt: key=value pairs; regex: the named groups of \"pattern\"; raw: the line as "
         "\"message\". Absent: detected for each file from its first lines (json, syslog, "
         "access, logfmt, else raw)",
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
         9999},
        {"pattern",
         config::ParamType::kString,
         false,
         {},
         "format regex: an RE2 pattern that must match the whole line; each named group "
         "(?P<name>...) becomes a field (left out when it did not take part); matching is byte by "
         "byte, so the pattern must be ASCII (write other bytes as \\xHH)",
         "",
         INT64_MIN,
         INT64_MAX},
        {"types",
         config::ParamType::kStringList,
         false,
         {},
         "format regex: \"group=type\" items, type int, double, bool or string (the default); a "
         "value that does not convert fails the line",
         "",
         INT64_MIN,
         INT64_MAX}}},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::TransformStage>> {
        ParseOptions options;
        options.format = LogFormat::kAuto;
        if (const std::string* format = c.GetString("format")) {
          RINGFLOW_ASSIGN_OR_RETURN(options.format, ParseLogFormat(*format));
        }
        const int year = static_cast<int>(c.GetInt("year").value_or(0));
        options.syslog_year = year == 0 ? CurrentYear() : year;
        if (const std::string* p = c.GetString("pattern")) options.pattern = *p;
        if (const std::vector<std::string>* t = c.GetStringList("types")) options.types = *t;
        RINGFLOW_ASSIGN_OR_RETURN(std::unique_ptr<ParseStage> stage, ParseStage::Create(options));
        return std::unique_ptr<flow::TransformStage>(std::move(stage));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(FilterSpec(), MakeFilterStage));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterTransform(SelectSpec(), MakeSelectStage));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterSink(
      {"json",
       "writes one JSON object per record; to a file (written to a temporary name and renamed "
       "into place when the run succeeds; a large file is written back as it grows and its "
       "written pages leave the page cache) or to stdout. With several inputs, each source "
       "message's records come input by input, in the order listed",
       {{"path",
         config::ParamType::kString,
         false,
         {},
         "the output file; \"-\": stdout",
         "-",
         INT64_MIN,
         INT64_MAX},
        FsyncParam(),
        {"append",
         config::ParamType::kBool,
         false,
         {},
         "append to the file in place instead of replacing it through a temporary file (a run "
         "that fails leaves what it wrote appended)",
         "false",
         INT64_MIN,
         INT64_MAX}},
       /*takes_input=*/true,
       /*multiple_inputs=*/true},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::SinkStage>> {
        RINGFLOW_ASSIGN_OR_RETURN(
            auto sink,
            JsonSink::Open(*c.GetString("path"), *c.GetBool("fsync"), *c.GetBool("append")));
        return std::unique_ptr<flow::SinkStage>(std::move(sink));
      },
      [](const config::StageConfig& c) {
        return JsonSink::Check(*c.GetString("path"), *c.GetBool("append"));
      }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterSink(
      {"manifest",
       "one JSON object per input file: path, bytes, lines, records, parse_errors, xxh3, status. "
       "\"input\": a checksum stage, or [checksum stage, stage whose records are counted per "
       "file] (without the second, records and parse_errors are null); with \"digest\": true, "
       "the one stage whose records are counted (the sink digests its chunks itself)",
       {{"path",
         config::ParamType::kString,
         false,
         {},
         "the output file (temporary name, renamed into place on success); \"-\": stdout",
         "-",
         INT64_MIN,
         INT64_MAX},
        FsyncParam(),
        {"digest",
         config::ParamType::kBool,
         false,
         {},
         "digest the chunks of the one input stage in the sink (no checksum stage, one input: "
         "the cheapest manifest); false: input is [checksum stage, counted stage]",
         "false",
         INT64_MIN,
         INT64_MAX}},
       /*takes_input=*/true,
       /*multiple_inputs=*/true},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::SinkStage>> {
        RINGFLOW_ASSIGN_OR_RETURN(auto sink,
                                  ManifestSink::Open(*c.GetString("path"), c.inputs.size() > 1,
                                                     *c.GetBool("fsync"), *c.GetBool("digest")));
        return std::unique_ptr<flow::SinkStage>(std::move(sink));
      },
      [](const config::StageConfig& c) { return ManifestSink::Check(*c.GetString("path")); }));
  RINGFLOW_RETURN_IF_ERROR(registry.RegisterSink(
      {"null", "discards the records (to measure the pipeline without output)", {}},
      [](const config::StageConfig&) -> Result<std::unique_ptr<flow::SinkStage>> {
        return std::unique_ptr<flow::SinkStage>(new NullSink());
      },
      [](const config::StageConfig&) { return OkStatus(); }));
  return OkStatus();
}

}  // namespace ringflow::stages

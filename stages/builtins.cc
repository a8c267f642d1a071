#include "stages/builtins.h"

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

using run::StageRegistry;

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

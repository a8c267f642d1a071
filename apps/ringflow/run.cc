// `ringflow run CONFIG`, `ringflow validate CONFIG`, `ringflow stages`: pipelines described by a
// JSON document (configs/ holds examples), run on the flow graph.
#include <fnmatch.h>
#include <oneapi/tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "framework/config/pipeline_config.h"
#include "framework/core/walk.h"
#include "framework/flow/pipeline.h"
#include "stages/plugin.h"
#include "stages/registry.h"

namespace ringflow::app {
namespace {

// Passes batches on to the real sink and keeps the run's account. The first sink also reports
// every file that could not be read (once, "ringflow: PATH: reason") and counts files and bytes
// (every input of every sink sees every file's end).
class AccountingSink final : public flow::SinkStage {
 public:
  AccountingSink(flow::SinkStage* inner, bool report_files, bool count_records)
      : inner_(inner), report_files_(report_files), count_records_(count_records) {}
  Status Write(const flow::RecordBatch& batch) override { return WriteFrom(0, batch); }
  Status WriteFrom(std::size_t input, const flow::RecordBatch& batch) override {
    Count(input, batch);
    return inner_->WriteFrom(input, batch);
  }
  bool formats() const override { return inner_->formats(); }
  void Format(std::size_t input, const flow::RecordBatch& batch, std::string& out) const override {
    inner_->Format(input, batch, out);
  }
  Status WriteFormatted(std::size_t input, const flow::RecordBatch& batch,
                        std::string_view formatted) override {
    Count(input, batch);
    return inner_->WriteFormatted(input, batch, formatted);
  }
  Status Close() override { return inner_->Close(); }
  void Abort() override { inner_->Abort(); }

  uint64_t files = 0, failed_files = 0, bytes = 0, records = 0, parse_errors = 0, truncated = 0;

 private:
  void Count(std::size_t input, const flow::RecordBatch& batch) {
    if (count_records_) {
      for (const flow::Record& r : batch.records) {
        parse_errors += r.ok() ? 0u : 1u;
        truncated += r.truncated ? 1u : 0u;
      }
      records += batch.records.size();
    }
    if (report_files_ && input == 0 && batch.end) {
      ++files;
      bytes += batch.file_bytes;
      if (batch.error) {
        ++failed_files;
        PrintError(batch.error->UserMessage());
      }
    }
  }

  flow::SinkStage* inner_;
  const bool report_files_;
  const bool count_records_;
};

constexpr std::size_t kPipelineBufferSize = 512 * 1024;
constexpr uint32_t kPipelineBuffers = 8;

bool Matches(const std::vector<std::string>& globs, const std::string& path) {
  for (const std::string& g : globs) {
    // No FNM_PATHNAME: '*' also matches '/', so "**/*.log" and "*.log" match at any depth.
    if (::fnmatch(g.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

Result<stages::StageRegistry> MakeRegistry() {
  stages::StageRegistry registry;
  RINGFLOW_RETURN_IF_ERROR(stages::RegisterBuiltins(registry));
  return registry;
}

struct ConfigArgs {
  std::string config;
  std::vector<std::string> overrides;
};

// Parses "CONFIG [--set path=value ...]"; returns the exit status on --help or bad usage.
std::variant<ConfigArgs, int> ParseConfigArgs(const char* name, const char* usage,
                                              const std::vector<std::string>& args) {
  po::options_description desc("Options");
  ConfigArgs parsed;
  desc.add_options()("help,h", "show this help")(
      "set", po::value(&parsed.overrides)->composing()->value_name("PATH=VALUE"),
      "override a value of the document before validation, e.g. --set sinks[0].path=out.ndjson "
      "or --set source.engine.buffers=8 (repeatable)");
  std::vector<std::string> positional;
  po::variables_map vm;
  if (!ParseArgs(args, desc, positional, vm)) return 2;
  if (vm.count("help")) {
    std::cout << usage << "\n" << desc << "\n";
    return 0;
  }
  if (positional.size() != 1) {
    PrintError(std::string(name) + ": expected one CONFIG file (see --help)");
    return 2;
  }
  parsed.config = positional[0];
  return parsed;
}

constexpr char kRunUsage[] =
    "Usage: ringflow run CONFIG [--set PATH=VALUE ...]\n"
    "\n"
    "Runs the pipeline described by the JSON document CONFIG: reads the source's files through\n"
    "io_uring, frames them into lines, applies the stages and writes the sink. `ringflow stages`\n"
    "lists the stage and sink types and their parameters; configs/ holds examples. The document\n"
    "is validated first and every problem reported at once with its JSON path.\n"
    "Unreadable files are reported on stderr and skipped; a line that does not parse is kept\n"
    "(with \"_error\" and \"_raw\"). With \"ordered\": true (the default) the output holds whole\n"
    "files in discovery order, so two runs write identical bytes. A summary goes to stderr.\n"
    "\n"
    "Exit status: 0 all files read, 1 a file was skipped or the run failed, 2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  ringflow run configs/access_to_json.json --set 'source.paths=[\"/var/log/nginx\"]'\n"
    "  ringflow run configs/syslog_to_json.json --set sinks[0].path=-\n";

constexpr char kValidateUsage[] =
    "Usage: ringflow validate CONFIG [--set PATH=VALUE ...]\n"
    "\n"
    "Checks the pipeline document CONFIG without running it: prints \"ok\" or every problem,\n"
    "one per line, with its JSON path. Exit status: 0 valid, 1 invalid, 2 bad usage.\n";

struct Loaded {
  config::PipelineConfig pipeline;
  stages::BuiltPipeline built;
};

// Parses the arguments, loads and validates the document and builds its stages (which also
// checks what validation cannot: the shape this release runs, that the sink can be opened).
// Returns the exit status to leave with when any of that fails (the problem printed).
std::variant<Loaded, int> LoadAndBuild(const char* name, const char* usage,
                                       const std::vector<std::string>& args) {
  auto parsed = ParseConfigArgs(name, usage, args);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const ConfigArgs& a = std::get<ConfigArgs>(parsed);
  auto registry = MakeRegistry();
  if (!registry.ok()) {
    PrintError(std::string(name) + ": " + registry.error().message());
    return 1;
  }
  // Plugins add types, so they are loaded before the document is validated; relative plugin
  // paths are relative to the document's directory. (A broken document lists no plugins here:
  // LoadPipelineFile reports it.)
  const Status plugins =
      stages::LoadPlugins(*registry, config::ReadPluginListFile(a.config, a.overrides),
                          std::filesystem::path(a.config).parent_path());
  if (!plugins.ok()) {
    PrintError(a.config + ": " + plugins.error().message());
    return 1;
  }
  auto pipeline =
      config::LoadPipelineFile(a.config, registry->stages(), registry->sinks(), a.overrides);
  if (!pipeline.ok()) {
    PrintError(pipeline.error().UserMessage());
    return 1;
  }
  auto built = registry->Build(*pipeline);
  if (!built.ok()) {
    PrintError(a.config + ": " + built.error().message());
    return 1;
  }
  return Loaded{std::move(pipeline).value(), std::move(built).value()};
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  auto loaded = LoadAndBuild("run", kRunUsage, args);
  if (const int* exit_code = std::get_if<int>(&loaded)) return *exit_code;
  const config::PipelineConfig* pipeline = &std::get<Loaded>(loaded).pipeline;
  stages::BuiltPipeline* built = &std::get<Loaded>(loaded).built;

  // Discovery: the source's paths, filtered by include/exclude globs, in walk order.
  const auto started = std::chrono::steady_clock::now();
  std::vector<uring::ReadJob> jobs;
  uint64_t skipped = 0;
  WalkOptions walk;
  walk.recursive = pipeline->source.recursive;
  const Status walked = Walk(
      pipeline->source.paths, walk,
      [&](WalkFile&& file) {
        if (!pipeline->source.include.empty() && !Matches(pipeline->source.include, file.path)) {
          return;
        }
        if (Matches(pipeline->source.exclude, file.path)) return;
        jobs.push_back({jobs.size(), std::move(file.path)});
      },
      [&](const std::string& path, const Error& why) {
        ++skipped;
        PrintError(path + ": " + why.message());
      });
  if (!walked.ok()) {
    PrintError(walked.error().message());
    return 1;
  }

  const config::EngineConfig& engine = pipeline->source.engine;
  flow::SourceOptions source;
  source.engine.queue_depth = engine.queue_depth;
  source.engine.sqpoll = engine.sqpoll;
  source.engine.file_slots = 48;
  source.reader.max_open_files = 48;
  source.reader.direct = engine.direct;
  source.reader.ordered = pipeline->ordered;
  source.reader.max_in_flight = 2 * engine.queue_depth;
  // Pipelines read larger chunks than `checksum` (fewer, larger batches: each message costs a
  // few tasks), from a pool of 4 MiB: measured best on the 2 GiB corpus
  // (bench/run_pipeline_bench.sh). Every batch in flight holds its chunk and its records, so
  // memory is bounded by buffers x (buffer_size + its records), however large the input.
  source.buffer_size = engine.buffer_size != 0 ? engine.buffer_size : kPipelineBufferSize;
  source.buffers = engine.buffers != 0 ? engine.buffers : kPipelineBuffers;
  // End-of-file messages hold no buffer: room for those of small files beside the chunks.
  source.max_messages = source.buffers + 64;
  // Parsing runs on oneTBB's workers; "threads" caps them (0: one per CPU).
  std::optional<tbb::global_control> cap;
  if (engine.threads != 0) {
    cap.emplace(tbb::global_control::max_allowed_parallelism, engine.threads);
  }

  // Every sink is wrapped for the summary; a manifest's records are per file, not counted.
  std::vector<std::unique_ptr<AccountingSink>> accounts;
  flow::PipelineGraph graph = built->graph;
  for (std::size_t k = 0; k < graph.sinks.size(); ++k) {
    accounts.push_back(std::make_unique<AccountingSink>(graph.sinks[k].sink, k == 0,
                                                        pipeline->sinks[k].type != "manifest"));
    graph.sinks[k].sink = accounts.back().get();
  }
  uring::VectorSource files(std::move(jobs));
  auto stats = flow::RunPipeline(files, source, graph);
  if (!stats.ok()) {
    PrintError("run: " + stats.error().UserMessage());
    return 1;
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  const AccountingSink& first = *accounts[0];
  std::string summary = "ringflow: " + std::to_string(first.files) + " files (" +
                        std::to_string(skipped + first.failed_files) + " skipped), ";
  char numbers[96];
  std::snprintf(numbers, sizeof numbers, "%.1f MiB, %.2f s",
                static_cast<double>(first.bytes) / (1 << 20), took.count());
  summary += numbers;
  for (std::size_t k = 0; k < accounts.size(); ++k) {
    const AccountingSink& a = *accounts[k];
    summary += "; " + pipeline->sinks[k].name + ": ";
    if (pipeline->sinks[k].type == "manifest") {
      summary += std::to_string(first.files) + " files";
    } else {
      summary += std::to_string(a.records) + " records, " + std::to_string(a.parse_errors) +
                 " parse errors, " + std::to_string(a.truncated) + " lines cut";
    }
  }
  std::fprintf(stderr, "%s\n", summary.c_str());
  return skipped + first.failed_files > 0 ? 1 : 0;
}

int ValidateCommand(const std::vector<std::string>& args) {
  auto loaded = LoadAndBuild("validate", kValidateUsage, args);
  if (const int* exit_code = std::get_if<int>(&loaded)) return *exit_code;
  Loaded& l = std::get<Loaded>(loaded);
  // The sinks could be opened; validating writes nothing.
  for (auto& sink : l.built.sinks) sink->Abort();
  std::printf("ok: %zu stages, %zu sinks\n", l.pipeline.stages.size(), l.pipeline.sinks.size());
  return 0;
}

int StagesCommand(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "Usage: ringflow stages\n\nLists the stage and sink types a pipeline document "
                 "may use, with their parameters.\n";
    return 0;
  }
  if (!args.empty()) {
    PrintError("stages: takes no arguments (see --help)");
    return 2;
  }
  auto registry = MakeRegistry();
  if (!registry.ok()) {
    PrintError("stages: " + registry.error().message());
    return 1;
  }
  std::cout << "Stages:\n\n"
            << config::DescribeCatalog(registry->stages()) << "\nSinks:\n\n"
            << config::DescribeCatalog(registry->sinks());
  return 0;
}

}  // namespace ringflow::app

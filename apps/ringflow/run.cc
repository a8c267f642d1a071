// `ringflow run CONFIG`, `ringflow validate CONFIG`, `ringflow stages`: pipelines described by a
// JSON document (configs/ holds examples), run on the flow graph.
#include <cstdio>
#include <iostream>
#include <optional>
#include <utility>
#include <variant>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "apps/ringflow/pipeline_runner.h"
#include "framework/config/pipeline_config.h"
#include "framework/run/plugin.h"
#include "framework/run/registry.h"
#include "stages/builtins.h"

namespace ringflow::app {
namespace {

struct ConfigArgs {
  std::string config;
  std::vector<std::string> overrides;
  CheckpointArgs checkpoint;  // run only
  ShardArg shard;             // run only
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
  if (std::string_view(name) == "run") {
    AddShardOption(desc, parsed.shard);
    desc.add(CheckpointOptions(parsed.checkpoint));
  }
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
    "Usage: ringflow run CONFIG [--set PATH=VALUE ...] [--shard K/N] [--checkpoint FILE "
    "[--resume]]\n"
    "\n"
    "Runs the pipeline described by the JSON document CONFIG: reads the source's files through\n"
    "io_uring, frames them into lines, applies the stages and writes the sink. `ringflow stages`\n"
    "lists the stage and sink types and their parameters; configs/ holds examples. The document\n"
    "is validated first and every problem reported at once with its JSON path.\n"
    "Unreadable files are reported on stderr and skipped; a line that does not parse is kept\n"
    "(with \"_error\" and \"_raw\"). With \"ordered\": true (the default) the output holds whole\n"
    "files in discovery order, so two runs write identical bytes. A summary goes to stderr.\n"
    "\n"
    "With --checkpoint FILE, a run that is killed, fails or is stopped continues with --resume\n"
    "and its outputs come out byte for byte as one uninterrupted run's (see `ringflow replay\n"
    "--help`).\n"
    "\n"
    "Exit status: 0 all files read, 1 a file was skipped or the run failed, 2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  ringflow run configs/access_to_json.json --set 'source.paths=[\"/var/log/nginx\"]'\n"
    "  ringflow run configs/access_fanout.json --checkpoint run.ckpt   (after a crash: ... "
    "--resume)\n"
    "  ringflow run configs/syslog_to_json.json --set sinks[0].path=-\n";

constexpr char kValidateUsage[] =
    "Usage: ringflow validate CONFIG [--set PATH=VALUE ...]\n"
    "\n"
    "Checks the pipeline document CONFIG without running it: prints \"ok\" or every problem,\n"
    "one per line, with its JSON path. Nothing is created, opened or truncated: a sink's output\n"
    "is checked (its directory exists and is writable), not opened, so a FIFO cannot block it.\n"
    "Exit status: 0 valid, 1 invalid, 2 bad usage.\n";

// Parses the arguments and loads and validates the document. Returns the exit status to leave
// with when that fails (the problem printed).
std::variant<std::pair<ConfigArgs, config::PipelineConfig>, int> Load(
    const char* name, const char* usage, const std::vector<std::string>& args,
    run::StageRegistry& registry) {
  auto parsed = ParseConfigArgs(name, usage, args);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  ConfigArgs& a = std::get<ConfigArgs>(parsed);
  if (Status s = stages::RegisterBuiltins(registry); !s.ok()) {
    PrintError(std::string(name) + ": " + s.error().message());
    return 1;
  }
  auto pipeline = run::LoadDocument(registry, {a.config, "", a.overrides});
  if (!pipeline.ok()) {
    PrintError(pipeline.error().message());
    return 1;
  }
  return std::make_pair(std::move(a), std::move(pipeline).value());
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  run::StopSignals signals("ringflow");  // before any output file exists
  run::StageRegistry registry;
  auto loaded = Load("run", kRunUsage, args, registry);
  if (const int* exit_code = std::get_if<int>(&loaded)) return *exit_code;
  auto& [a, pipeline] = std::get<0>(loaded);
  const auto shard = ParseShardOption("run", a.shard);
  if (const int* exit_code = std::get_if<int>(&shard)) return *exit_code;
  if (a.shard.given) pipeline.source.shard = std::get<config::ShardSpec>(shard);
  run::RunOptions options;
  options.registry = &registry;
  options.label = "run";
  options.document_name = a.config;
  options.stop = run::StopSignals::token();
  if (Status s = run::ApplyCheckpointSettings(a.checkpoint, options); !s.ok()) {
    PrintError("run: " + s.error().message() + " (see --help)");
    return 2;
  }
  FrontEndOptions front;
  front.command = "run";
  return OpenAndExecute(std::move(pipeline), std::move(options), signals, front);
}

int ValidateCommand(const std::vector<std::string>& args) {
  run::StageRegistry registry;
  auto loaded = Load("validate", kValidateUsage, args, registry);
  if (const int* exit_code = std::get_if<int>(&loaded)) return *exit_code;
  const auto& [a, pipeline] = std::get<0>(loaded);
  // The sinks are checked, not opened: nothing is created, opened or truncated, so a sink path
  // that is a FIFO cannot block.
  if (auto checked = registry.Build(pipeline, run::BuildMode::kCheck); !checked.ok()) {
    PrintError(ShortenForMessage(a.config) + ": " + checked.error().message());
    return 1;
  }
  std::printf("ok: %zu stages, %zu sinks\n", pipeline.stages.size(), pipeline.sinks.size());
  return 0;
}

int StagesCommand(const std::vector<std::string>& args) {
  constexpr char kUsage[] =
      "Usage: ringflow stages [--plugin FILE ...] [--config CONFIG]\n"
      "\n"
      "Lists the stage and sink types a pipeline document may use, with their parameters: the\n"
      "built-in ones and those of the plugins given (--plugin, relative to the current\n"
      "directory) or listed by a document (--config: its \"plugins\", relative to its directory).\n"
      "\n"
      "Examples:\n"
      "  ringflow stages\n"
      "  ringflow stages --plugin ./libupper_case.so\n"
      "  ringflow stages --config my_pipeline.json\n";
  po::options_description desc("Options");
  std::vector<std::string> plugins;
  std::string config;
  desc.add_options()("help,h", "show this help")(
      "plugin", po::value(&plugins)->composing()->value_name("FILE"),
      "load the stage plugin FILE (a shared library) and list its types too (repeatable)")(
      "config", po::value(&config)->value_name("CONFIG"),
      "load the plugins the pipeline document CONFIG lists and list their types too");
  std::vector<std::string> positional;
  po::variables_map vm;
  if (!ParseArgs(args, desc, positional, vm)) return 2;
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << desc << "\n";
    return 0;
  }
  if (!positional.empty()) {
    PrintError("stages: unexpected argument " + QuoteForMessage(positional[0]) + " (see --help)");
    return 2;
  }
  run::StageRegistry registry;
  if (Status s = stages::RegisterBuiltins(registry); !s.ok()) {
    PrintError("stages: " + s.error().message());
    return 1;
  }
  if (Status loaded = run::LoadPlugins(registry, plugins, {}); !loaded.ok()) {
    PrintError("stages: " + loaded.error().message());
    return 1;
  }
  if (Status s = config.empty() ? OkStatus() : run::LoadDocumentPlugins(registry, config);
      !s.ok()) {
    PrintError("stages: " + s.error().message());
    return 1;
  }
  std::cout << "Stages:\n\n"
            << config::DescribeCatalog(registry.stages()) << "\nSinks:\n\n"
            << config::DescribeCatalog(registry.sinks());
  return 0;
}

}  // namespace ringflow::app

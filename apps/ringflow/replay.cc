// `ringflow replay [options] PATH...`: replays directories of log files as JSON lines — a
// pipeline without a config file (lines -> parse -> json, plus a manifest that digests the chunks
// itself, on request), or a pipeline document's stages (--config) with the same front end:
// discovery with notes for hidden files and archives, pacing, progress, signals, summary.
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "apps/ringflow/pipeline_runner.h"
#include "framework/run/pacing.h"
#include "framework/run/registry.h"
#include "framework/run/rotation.h"
#include "stages/builtins.h"
#include "stages/parse_stage.h"

namespace ringflow::app {
namespace {

constexpr char kUsage[] =
    "Usage: ringflow replay [options] PATH...\n"
    "       ringflow replay --config CONFIG [--set PATH=VALUE ...] [options] [PATH...]\n"
    "\n"
    "Replays log files as JSON lines: finds the files under each PATH (recursively; see --order),\n"
    "detects each file's format unless --format says it (the first format under which 90% of the\n"
    "file's first 64 lines parse, else raw), parses every line and writes one JSON object per\n"
    "line to --out (stdout by default), whole files in order, so two runs give identical bytes.\n"
    "A line that does not parse is kept, with \"_error\" and \"_raw\". gzip, zstd, bzip2, xz and\n"
    "lz4 files are read in place (found by their bytes); hidden files (.name) and .zip/.7z/.rar\n"
    "archives are left out with a note. A file that cannot be read or decoded is reported once\n"
    "on stderr (\"ringflow: PATH: reason\") and in the manifest, and the run goes on.\n"
    "\n"
    "An output file is written under a temporary name beside it and renamed into place only\n"
    "when the run succeeds (or was stopped by a signal), so a failed run never leaves half a\n"
    "file under the final name; --append writes in place instead. An output that is one of the\n"
    "input files (also through a symlink or hard link) is refused before anything is read\n"
    "(exit 2); outputs ringflow wrote before, its temporary files and the checkpoint, when they\n"
    "lie among the inputs, are left out with a note.\n"
    "\n"
    "On a terminal a progress line runs on stderr (never on stdout); a summary follows the run.\n"
    "SIGINT or SIGTERM stops reading, writes what is in flight, closes the outputs, prints the\n"
    "summary and exits with 130 or 143; a second SIGINT exits at once (temporary files removed).\n"
    "\n"
    "With --checkpoint FILE the run records, as it goes, how far its outputs are durable; after a\n"
    "crash (kill -9, power loss), a failure or a signal, the same command with --resume\n"
    "continues it, and the outputs come out byte for byte as one uninterrupted run's (stdout:\n"
    "at least once). Files changed since the checkpoint are replayed from their start, with a\n"
    "warning. A signal then keeps the partial outputs (under their temporary names) for --resume.\n"
    "\n"
    "Exit status: 0 every file read, 1 a file was skipped for a problem (notes about hidden files\n"
    "or archives do not count) or the run failed, 2 bad usage, 130/143 interrupted.\n"
    "\n"
    "Examples:\n"
    "  ringflow replay /var/log/nginx --out access.ndjson --manifest manifest.ndjson\n"
    "      every file under /var/log/nginx to access.ndjson, one manifest line per file\n"
    "  ringflow replay --speed 10 --max-gap 5s logs/ | nc -q1 collector 5170\n"
    "      at ten times the pace of the logs' own timestamps (gaps over 5 s cut to 5 s)\n"
    "  ringflow replay --rate 20MB/s --include '*.log' logs/ > out.ndjson\n"
    "      only *.log files, at most 20 MB of input per second\n"
    "  ringflow replay --config configs/json_errors.json --set sinks[0].path=- logs/\n"
    "      only the error records, through the stages of a pipeline document\n"
    "  ringflow replay logs/ --out all.ndjson --checkpoint all.ckpt   (killed? add --resume)\n"
    "      a long replay that survives crashes and restarts\n";

struct ReplayArgs {
  std::string out = "-";
  bool append = false;
  std::string manifest;
  std::string format = "auto";
  int64_t year = 0;
  std::string timezone;
  std::vector<std::string> include, exclude;
  std::string order;  // empty: the document's (rotation by default)
  ShardArg shard;     // not given: the document's (none by default)
  bool no_recursive = false;
  bool hidden = false;
  run::PacingSettings pacing;
  double speed = 0;
  bool progress = false;
  bool quiet = false;
  std::string stats_json;
  bool unordered = false;
  std::string max_line_bytes;
  std::string multiline;
  bool no_fsync = false;
  int64_t queue_depth = 0, buffers = 0, threads = 0, decode_threads = 0;
  std::string buffer_size;
  bool direct = false, sqpoll = false;
  std::string config;
  std::vector<std::string> overrides;
};

// The document replay runs without --config. Paths, output names and options are filled in
// afterwards (overrides and the parsed structure), so no user text is pasted into JSON here.
// With `nats`, the records go to a nats sink (its url and subject, placeholders here, are set
// in the parsed document too).
std::string DefaultDocument(bool manifest, bool nats) {
  std::string doc =
      R"({"source": {"paths": ["."]},
          "stages": [{"name": "lines", "type": "lines"},
                     {"name": "parsed", "type": "parse", "input": "lines"})";
  doc += nats ? R"(],
          "sinks": [{"name": "out", "type": "nats", "input": "parsed", "url": "nats://-",
                     "subject": "-"})"
              : R"(],
          "sinks": [{"name": "out", "type": "json", "input": "parsed", "path": "-"})";
  if (manifest) {
    // The manifest digests the chunks of "parsed" itself (no checksum stage, one input).
    doc += R"(, {"name": "manifest", "type": "manifest", "input": "parsed", "digest": true,
                 "path": "-"})";
  }
  doc += "]}";
  return doc;
}

// --out nats://HOST:PORT/SUBJECT (also tls://, user:password@, several servers "a:1,b:2"):
// the url and the subject; nullopt for an --out that is a file; an error for a nats:// one
// without a subject.
struct NatsOut {
  std::string url, subject;
};
Result<std::optional<NatsOut>> ParseNatsOut(const std::string& out) {
  if (out.rfind("nats://", 0) != 0 && out.rfind("tls://", 0) != 0) {
    return std::optional<NatsOut>();
  }
  const std::size_t hosts = out.find("://") + 3;
  const std::size_t slash = out.find('/', hosts);
  if (slash == std::string::npos || slash + 1 == out.size()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--out " + out + ": no subject; use nats://HOST:PORT/SUBJECT");
  }
  return std::optional<NatsOut>(NatsOut{out.substr(0, slash), out.substr(slash + 1)});
}

}  // namespace

int ReplayCommand(const std::vector<std::string>& args) {
  ReplayArgs a;
  po::options_description output("Output");
  output.add_options()("help,h", "show this help")(
      "out,o", po::value(&a.out)->value_name("FILE"),
      "write the JSON lines to FILE (default \"-\": stdout); e.g. --out replay.ndjson; or "
      "publish them to NATS JetStream: nats://HOST:PORT/SUBJECT (several servers: "
      "nats://a:4222,b:4222/SUBJECT) into the stream that takes SUBJECT, acknowledged, with "
      "message ids that make --checkpoint/--resume exactly once (see the README)")(
      "append", po::bool_switch(&a.append),
      "append to --out in place instead of replacing it (a failed run leaves what it wrote)")(
      "manifest", po::value(&a.manifest)->value_name("FILE"),
      "also write one JSON object per input file to FILE: path, bytes, lines, records, "
      "parse_errors, format, xxh3 (as xxhsum -H3), status (\"ok\" or why it was skipped)")(
      "stats-json", po::value(&a.stats_json)->value_name("FILE"),
      "write the summary as one JSON object to FILE")(
      "no-fsync", po::bool_switch(&a.no_fsync),
      "do not fsync output files before renaming them into place (no wait for the disk at the "
      "end; after a power loss a renamed file may be incomplete)");
  po::options_description input("Input");
  input.add_options()("format,f", po::value(&a.format)->value_name("FORMAT"),
                      "the format of every file: auto (default: detected per file from its "
                      "first lines), access, apache_error, nginx_error, syslog, applog, logcat, "
                      "glog, cri, docker, json, logfmt, raw (see `ringflow stages`)")(
      "year", po::value(&a.year)->value_name("YEAR"),
      "the year of times written without one (BSD syslog, logcat, glog); default: the year "
      "that does not put them in the future")(
      "timezone", po::value(&a.timezone)->value_name("OFFSET"),
      "the offset of times written without a zone, added to them: +hh:mm, -hh:mm, Z or UTC "
      "(default: written without one)")(
      "include", po::value(&a.include)->composing()->value_name("GLOB"),
      "read only files whose path matches GLOB ('*' spans directories; '**/' may match none); "
      "repeatable, e.g. --include '*.log'")(
      "exclude", po::value(&a.exclude)->composing()->value_name("GLOB"),
      "leave out files (and hidden entries) whose path matches GLOB; repeatable, e.g. "
      "--exclude '*/archive/*'")("no-recursive", po::bool_switch(&a.no_recursive),
                                 "read only files named as PATH, not directories")(
      "order", po::value(&a.order)->value_name("ORDER"),
      "rotation (default: bytewise, but logrotate's sets NAME.2.gz, NAME.1, NAME oldest first), "
      "path (bytewise) or mtime (oldest first)")(
      "hidden", po::bool_switch(&a.hidden),
      "also read hidden files and directories (names starting with '.')")(
      "max-line-bytes", po::value(&a.max_line_bytes)->value_name("SIZE"),
      "longest line kept (default 1MiB); longer lines are cut and flagged \"_truncated\"")(
      "multiline", po::value(&a.multiline)->value_name("PRESET"),
      "join continuation lines into the record before them: java (stack traces), python "
      "(tracebacks), go (panics, goroutine dumps), indented (lines starting with a space or "
      "tab); a record is its lines joined with \"\\n\", at most 500 lines and 1MiB (beyond: "
      "cut, flagged \"_truncated\"); lines and the manifest's lines still count input lines; "
      "cri (Kubernetes container logs: partial P lines joined per stream; the default with "
      "--format cri, none to keep them apart)")(
      "unordered", po::bool_switch(&a.unordered),
      "write files in the order they finish rather than discovery order (faster on many "
      "files; the output then differs between runs)");
  AddShardOption(input, a.shard);
  po::options_description pacing("Pacing (delays, never drops)");
  pacing.add_options()("rate", po::value(&a.pacing.rate)->value_name("RATE"),
                       "at most RATE of input: 50MB/s, 800KiB/s, 20000lines/s, 20klines/s")(
      "speed", po::value(&a.speed)->value_name("N"),
      "replay at N times the pace of the logs' timestamps (time, timestamp, @timestamp, ts); "
      "e.g. --speed 10 plays an hour of logs in six minutes")(
      "max-gap", po::value(&a.pacing.max_gap)->value_name("DURATION"),
      "with --speed, a pause in the logs longer than DURATION is cut to it (default 60s; "
      "e.g. 5s, 500ms, 2m)");
  po::options_description progress("Progress");
  progress.add_options()("quiet,q", po::bool_switch(&a.quiet),
                         "no progress line (the summary and problems are still printed)")(
      "progress", po::bool_switch(&a.progress),
      "show the progress line even when stderr is not a terminal");
  po::options_description engine("Engine");
  engine.add_options()("queue-depth", po::value(&a.queue_depth)->value_name("N"),
                       "io_uring submission queue entries (default 256)")(
      "buffers", po::value(&a.buffers)->value_name("N"),
      "registered read buffers (default 6); memory is bounded by buffers x buffer size")(
      "buffer-size", po::value(&a.buffer_size)->value_name("SIZE"),
      "bytes per buffer and read (default 512KiB)")("direct", po::bool_switch(&a.direct),
                                                    "O_DIRECT reads (bypass the page cache)")(
      "sqpoll", po::bool_switch(&a.sqpoll), "a kernel thread polls the submission queue")(
      "threads", po::value(&a.threads)->value_name("N"),
      "worker threads for parsing (default: one per CPU)")(
      "decode-threads", po::value(&a.decode_threads)->value_name("N"),
      "threads decoding compressed files, each file by one thread in order and several files at "
      "once (default 2, at most 64; 0: the I/O thread decodes)");
  po::options_description document("Pipeline document");
  document.add_options()("config", po::value(&a.config)->value_name("CONFIG"),
                         "use the stages and sinks of the pipeline document CONFIG (see "
                         "`ringflow run --help`); PATH... replace its source paths")(
      "set", po::value(&a.overrides)->composing()->value_name("PATH=VALUE"),
      "with --config: override a value of the document, e.g. --set sinks[0].path=out.ndjson");
  CheckpointArgs checkpoint;
  po::options_description all("Options");
  all.add(output)
      .add(input)
      .add(pacing)
      .add(progress)
      .add(CheckpointOptions(checkpoint))
      .add(engine)
      .add(document);

  std::vector<std::string> paths;
  po::variables_map vm;
  if (!ParseArgs(args, all, paths, vm)) return 2;
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << all << "\n";
    return 0;
  }
  auto usage = [](const std::string& message) {
    PrintError("replay: " + message + " (see --help)");
    return 2;
  };
  // An empty FILE would silently mean "none" (or stdout): say so instead.
  for (const char* option : {"out", "manifest", "stats-json", "checkpoint", "config"}) {
    if (vm.count(option) && vm[option].as<std::string>().empty()) {
      return usage(std::string("--") + option + ": the FILE is empty");
    }
  }
  const bool with_config = !a.config.empty();
  if (paths.empty() && !with_config) return usage("no PATH given");
  if (with_config) {
    for (const char* option :
         {"out", "manifest", "format", "year", "timezone", "multiline", "append", "no-fsync"}) {
      if (vm.count(option) && !vm[option].defaulted()) {
        return usage(std::string("--") + option +
                     " does not combine with --config (the document names its stages and "
                     "sinks; use --set)");
      }
    }
  } else if (!a.overrides.empty()) {
    return usage("--set needs --config");
  }
  if (!with_config && a.format != "auto") {
    auto format = stages::ParseLogFormat(a.format);
    if (!format.ok()) return usage("--format: " + format.error().message());
    if (*format == stages::LogFormat::kRegex || *format == stages::LogFormat::kGrok) {
      return usage("--format " + a.format + " needs a pattern: use a pipeline document (--config)");
    }
  }
  if (!a.order.empty() && !run::ParseFileOrder(a.order)) {
    return usage("--order: unknown order \"" + a.order + "\"; known: rotation, path, mtime");
  }
  const auto shard = ParseShardOption("replay", a.shard);
  if (const int* exit_code = std::get_if<int>(&shard)) return *exit_code;
  if (a.quiet && a.progress) return usage("--quiet and --progress contradict each other");
  if (a.append && a.out == "-") return usage("--append needs --out FILE");
  const Result<std::optional<NatsOut>> nats = ParseNatsOut(a.out);
  if (!nats.ok()) return usage(nats.error().message());
  if (*nats && (a.append || a.no_fsync)) {
    return usage(std::string(a.append ? "--append" : "--no-fsync") +
                 " is for a file; --out nats://... publishes to a stream");
  }

  FrontEndOptions front;
  front.command = "replay";
  front.stats_json = a.stats_json;
  front.progress = !a.quiet && (a.progress || ::isatty(STDERR_FILENO) == 1);
  run::RunOptions options;
  options.label = "replay";
  if (with_config) options.document_name = a.config;
  if (vm.count("speed")) a.pacing.speed = a.speed;
  auto paced = run::MakePacingOptions(a.pacing);
  if (!paced.ok()) return usage(paced.error().message());
  options.pacing = *paced;
  if (Status s = run::ApplyCheckpointSettings(checkpoint, options); !s.ok()) {
    return usage(s.error().message());
  }

  // Command-line settings become overrides of the document, so the document's validation
  // checks them (ranges, sizes) and names them in its messages.
  std::vector<std::string> overrides = a.overrides;
  auto set = [&](const char* option, const std::string& path, const std::string& value) {
    if (vm.count(option) && !vm[option].defaulted()) overrides.push_back(path + "=" + value);
  };
  set("queue-depth", "source.engine.queue_depth", std::to_string(a.queue_depth));
  set("buffers", "source.engine.buffers", std::to_string(a.buffers));
  set("buffer-size", "source.engine.buffer_size", "\"" + a.buffer_size + "\"");
  set("threads", "source.engine.threads", std::to_string(a.threads));
  set("decode-threads", "source.decode_threads", std::to_string(a.decode_threads));
  if (a.direct) overrides.push_back("source.engine.direct=true");
  if (a.sqpoll) overrides.push_back("source.engine.sqpoll=true");
  if (a.unordered) overrides.push_back("ordered=false");
  if (!with_config) {
    if (a.format != "auto") overrides.push_back("stages[1].format=" + a.format);
    set("year", "stages[1].year", std::to_string(a.year));
    set("timezone", "stages[1].timezone", "\"" + a.timezone + "\"");
    set("max-line-bytes", "stages[0].max_line_bytes", "\"" + a.max_line_bytes + "\"");
    set("multiline", "stages[0].multiline", "\"" + a.multiline + "\"");
    // A runtime's partial lines are parts of one line: --format cri joins them unless told.
    if (a.format == "cri" && a.multiline.empty()) {
      overrides.push_back("stages[0].multiline=\"cri\"");
    }
    if (a.no_fsync) {
      overrides.push_back("sinks[0].fsync=false");
      if (!a.manifest.empty()) overrides.push_back("sinks[1].fsync=false");
    }
    if (a.append) overrides.push_back("sinks[0].append=true");
  }

  run::StopSignals signals("ringflow");  // before any output file exists
  run::StageRegistry registry;
  if (const Status builtins = stages::RegisterBuiltins(registry); !builtins.ok()) {
    PrintError("replay: " + builtins.error().message());
    return 1;
  }
  auto pipeline = run::LoadDocument(
      registry,
      {a.config, with_config ? "" : DefaultDocument(!a.manifest.empty(), nats->has_value()),
       overrides});
  if (!pipeline.ok()) {
    PrintError(pipeline.error().message());
    return 1;
  }
  // Names that are not JSON-safe (any bytes but NUL are allowed in a path) go into the parsed
  // document directly.
  if (!with_config) {
    if (*nats) {
      pipeline->sinks[0].params["url"] = (*nats)->url;
      pipeline->sinks[0].params["subject"] = (*nats)->subject;
    } else {
      pipeline->sinks[0].params["path"] = a.out;
    }
    if (!a.manifest.empty()) pipeline->sinks[1].params["path"] = a.manifest;
    options.output_labels = {"--out", "--manifest"};
  }
  if (!paths.empty()) pipeline->source.paths = paths;
  if (a.no_recursive) pipeline->source.recursive = false;
  if (!a.order.empty()) pipeline->source.order = a.order;
  if (a.shard.given) pipeline->source.shard = std::get<config::ShardSpec>(shard);
  for (const std::string& g : a.include) pipeline->source.include.push_back(g);
  for (const std::string& g : a.exclude) pipeline->source.exclude.push_back(g);

  options.registry = &registry;
  options.stop = run::StopSignals::token();
  options.skip_hidden = !a.hidden;
  options.skip_compressed = true;
  options.stat_sizes = front.progress;
  if (!a.stats_json.empty()) options.extra_outputs.push_back({a.stats_json, "--stats-json"});
  return OpenAndExecute(std::move(pipeline).value(), std::move(options), signals, front,
                        /*own_document=*/!with_config);
}

}  // namespace ringflow::app

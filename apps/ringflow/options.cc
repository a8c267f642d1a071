#include "apps/ringflow/options.h"

#include <cerrno>
#include <cstdio>
#include <iostream>

#include "framework/config/pipeline_config.h"
#include "framework/core/error.h"

namespace ringflow::app {

void AddReadOptions(po::options_description& desc, ReadOptionsRaw& raw) {
  desc.add_options()(
      "threads,j", po::value(&raw.threads)->value_name("N"),
      "reader threads, each with its own ring and buffer pool (default: one per CPU)")(
      "backend", po::value(&raw.settings.backend)->value_name("NAME"),
      "auto (io_uring, or pread where io_uring is refused), uring, or pread (default: auto)")(
      "direct", po::bool_switch(&raw.settings.direct),
      "read with O_DIRECT, bypassing the page cache (for cold data; default buffers 4MiB)")(
      "buffer-size", po::value(&raw.settings.buffer_size)->value_name("SIZE"),
      "size of each pool buffer and of each read, e.g. 64K, 4M (default: 64K; 4M with "
      "--direct)")("buffers", po::value(&raw.buffers)->value_name("N"),
                   "buffers per thread (default: open files + read-ahead)")(
      "open-files", po::value(&raw.settings.open_files)->value_name("N"),
      "files open at once per thread, in the ring's file table (default: 48)")(
      "reads-per-file", po::value(&raw.settings.reads_per_file)->value_name("N"),
      "reads in flight for one large file (default: 4)")(
      "queue-depth", po::value(&raw.settings.queue_depth)->value_name("N"),
      "io_uring submission queue entries (default: 256)")(
      "sqpoll", po::bool_switch(&raw.settings.sqpoll),
      "let a kernel thread poll the submission queue (costs a core; off by default)")(
      "no-recursive", po::bool_switch(&raw.no_recursive),
      "do not descend into directories given as PATH")(
      "skip-hidden", po::bool_switch(&raw.settings.skip_hidden),
      "skip files and directories whose name starts with '.'")(
      "quiet,q", po::bool_switch(&raw.quiet), "no progress line on stderr")(
      "stats", po::bool_switch(&raw.settings.stats),
      "print each reader thread's statistics on stderr at the end (files, bytes, reads, "
      "system calls, stalls for buffers)");
}

bool ParseArgs(const std::vector<std::string>& args, const po::options_description& desc,
               std::vector<std::string>& paths, po::variables_map& vm) {
  po::options_description all;
  all.add(desc);
  all.add_options()("path", po::value(&paths)->composing(), "PATH");
  po::positional_options_description positional;
  positional.add("path", -1);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    // Boost quotes the offending argument whole: one line whatever it holds, and a short one.
    // A long one loses its middle, so the option named at the end of the message stays.
    const std::string what = e.what();
    PrintError((what.size() <= 2 * kMaxQuotedBytes
                    ? EscapeControl(what)
                    : ShortenForMessage(what, kMaxQuotedBytes) +
                          ShortenForMessage(what.substr(what.size() - kMaxQuotedBytes))) +
               " (see --help)");
    return false;
  }
  // "" names no file: without this it would reach open() and come back as a puzzling
  // "ringflow: : No such file or directory", a run-time failure instead of bad usage.
  for (const std::string& path : paths) {
    if (path.empty()) {
      PrintError("empty PATH argument: a path cannot be empty (see --help)");
      return false;
    }
  }
  return true;
}

std::variant<run::BatchOptions, int> ParseReadCommand(const char* name, const char* usage,
                                                      const std::vector<std::string>& args,
                                                      const po::options_description& desc,
                                                      const ReadOptionsRaw& raw) {
  std::vector<std::string> paths;
  po::variables_map vm;
  if (!ParseArgs(args, desc, paths, vm)) return 2;
  if (vm.count("help")) {
    std::cout << usage << "\n" << desc << "\n";
    return 0;
  }
  if (paths.empty()) {
    PrintError(std::string(name) + ": no PATH given (see --help)");
    return 2;
  }
  run::ReadSettings settings = raw.settings;
  if (vm.count("threads")) settings.threads = raw.threads;
  if (vm.count("buffers")) settings.buffers = raw.buffers;
  settings.recursive = !raw.no_recursive;
  settings.progress = !raw.quiet;
  auto options = run::MakeBatchOptions(settings, std::move(paths));
  if (!options.ok()) {
    PrintError(std::string(name) + ": " + EscapeControl(options.error().message()));
    return 2;
  }
  return std::move(options).value();
}

bool WriteStdout(const std::string& out) {
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    PrintError("writing the output failed: " + DescribeErrno(errno));
    return false;
  }
  return true;
}

void PrintError(const std::string& message) {
  std::fprintf(stderr, "ringflow: %s\n", message.c_str());
}

void AddShardOption(po::options_description& desc, ShardArg& arg) {
  desc.add_options()(
      "shard",
      po::value<std::string>()->value_name("K/N")->notifier([&arg](const std::string& text) {
        arg.text = text;
        arg.given = true;
      }),
      "read only share K of N (1 <= K <= N <= 1024), so that N runs over the same tree, "
      "--shard 1/N to --shard N/N, read every file exactly once. A file's share follows from its "
      "path below PATH alone: the highest of N rendezvous scores (SplitMix64) seeded with "
      "XXH3-64 of that path, a rotated member (NAME.1, NAME.2.gz) taking NAME's, so a rotated "
      "set stays together. Files added later move no file to another share; each share gets "
      "1/N of the bytes in expectation (README: \"Scaling out\" has the exact rule). "
      "E.g. --shard 2/3");
}

std::variant<config::ShardSpec, int> ParseShardOption(const char* command, const ShardArg& arg) {
  if (!arg.given) return config::ShardSpec{};
  Result<config::ShardSpec> shard = config::ParseShard(arg.text);
  if (!shard.ok()) {
    PrintError(std::string(command) + ": --shard: " + EscapeControl(shard.error().message()) +
               " (see --help)");
    return 2;
  }
  return *shard;
}

po::options_description CheckpointOptions(CheckpointArgs& args) {
  po::options_description desc("Checkpoints (resume an interrupted run with identical output)");
  desc.add_options()(
      "checkpoint", po::value(&args.file)->value_name("FILE"),
      "record in FILE, as the run goes, how far its outputs are durable (fsynced); a run that "
      "is killed, fails or is stopped can then continue with --resume. Needs ordered output. "
      "Removed when the run succeeds. E.g. --checkpoint replay.ckpt")(
      "resume", po::bool_switch(&args.resume),
      "continue the run --checkpoint describes: outputs cut back to what it vouches for, "
      "finished files left out, the file it was in read again without repeating its records; "
      "the result equals an uninterrupted run byte for byte (stdout: at least once). Without a "
      "checkpoint file, starts from the beginning")(
      "checkpoint-every", po::value(&args.every)->value_name("SIZE"),
      "a checkpoint after every SIZE of input (default 64MiB)")(
      "checkpoint-interval", po::value(&args.interval)->value_name("DURATION"),
      "and at least this often (default 1s)");
  return desc;
}

}  // namespace ringflow::app

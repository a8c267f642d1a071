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
      "backend", po::value(&raw.backend)->value_name("NAME"),
      "auto (io_uring, or pread where io_uring is refused), uring, or pread (default: auto)")(
      "direct", po::bool_switch(&raw.direct),
      "read with O_DIRECT, bypassing the page cache (for cold data; default buffers 4MiB)")(
      "buffer-size", po::value(&raw.buffer_size)->value_name("SIZE"),
      "size of each pool buffer and of each read, e.g. 64K, 4M (default: 64K; 4M with "
      "--direct)")("buffers", po::value(&raw.buffers)->value_name("N"),
                   "buffers per thread (default: open files + read-ahead)")(
      "open-files", po::value(&raw.open_files)->value_name("N"),
      "files open at once per thread, in the ring's file table (default: 48)")(
      "reads-per-file", po::value(&raw.reads_per_file)->value_name("N"),
      "reads in flight for one large file (default: 4)")(
      "queue-depth", po::value(&raw.queue_depth)->value_name("N"),
      "io_uring submission queue entries (default: 256)")(
      "sqpoll", po::bool_switch(&raw.sqpoll),
      "let a kernel thread poll the submission queue (costs a core; off by default)")(
      "no-recursive", po::bool_switch(&raw.no_recursive),
      "do not descend into directories given as PATH")(
      "skip-hidden", po::bool_switch(&raw.skip_hidden),
      "skip files and directories whose name starts with '.'")(
      "quiet,q", po::bool_switch(&raw.quiet), "no progress line on stderr")(
      "stats", po::bool_switch(&raw.stats),
      "print each reader thread's statistics on stderr at the end (files, bytes, reads, "
      "system calls, stalls for buffers)");
}

namespace {

// Checks that an explicitly given --NAME lies in [lo, hi].
Status CheckRange(const po::variables_map& vm, const char* name, int64_t value, int64_t lo,
                  int64_t hi) {
  if (vm.count(name) == 0 || (value >= lo && value <= hi)) return OkStatus();
  return Error(ErrorCode::kInvalidArgument, std::string("--") + name + " must be between " +
                                                std::to_string(lo) + " and " + std::to_string(hi) +
                                                ", not " + std::to_string(value));
}

}  // namespace

Result<run::BatchOptions> ToBatchOptions(const ReadOptionsRaw& raw, const po::variables_map& vm,
                                         std::vector<std::string> paths) {
  run::BatchOptions o;
  o.paths = std::move(paths);
  o.walk.recursive = !raw.no_recursive;
  o.walk.skip_hidden = raw.skip_hidden;
  RINGFLOW_ASSIGN_OR_RETURN(o.engine.backend, uring::ParseBackend(raw.backend));
  RINGFLOW_RETURN_IF_ERROR(CheckRange(vm, "threads", raw.threads, 1, 256));
  RINGFLOW_RETURN_IF_ERROR(CheckRange(vm, "queue-depth", raw.queue_depth, 1, 4096));
  RINGFLOW_RETURN_IF_ERROR(CheckRange(vm, "open-files", raw.open_files, 1, 65536));
  RINGFLOW_RETURN_IF_ERROR(CheckRange(vm, "reads-per-file", raw.reads_per_file, 1, 64));
  RINGFLOW_RETURN_IF_ERROR(CheckRange(vm, "buffers", raw.buffers, 2, 65536));
  o.engine.queue_depth = static_cast<uint32_t>(raw.queue_depth);
  o.engine.file_slots = static_cast<uint32_t>(raw.open_files);
  o.engine.sqpoll = raw.sqpoll;
  o.reader.max_open_files = static_cast<uint32_t>(raw.open_files);
  o.reader.reads_per_file = static_cast<uint32_t>(raw.reads_per_file);
  o.reader.max_in_flight = 2 * static_cast<uint32_t>(raw.queue_depth);
  o.reader.direct = raw.direct;
  o.threads = static_cast<uint32_t>(raw.threads);
  o.buffers = static_cast<uint32_t>(raw.buffers);
  if (!raw.buffer_size.empty()) {
    RINGFLOW_ASSIGN_OR_RETURN(const int64_t size, config::ParseSize(raw.buffer_size));
    o.buffer_size = static_cast<std::size_t>(size);
    if (o.buffer_size < 4096 || o.buffer_size % 4096 != 0 || o.buffer_size > (1u << 30)) {
      return Error(ErrorCode::kInvalidArgument,
                   "--buffer-size must be a multiple of 4K between 4K and 1G");
    }
  }
  // One pool is registered as one region, which the kernel caps at 1 GiB.
  const std::size_t size = o.buffer_size != 0 ? o.buffer_size : run::DefaultBufferSize(raw.direct);
  if (o.buffers != 0 && size * o.buffers > (std::size_t{1} << 30)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--buffers x --buffer-size must stay within 1G per thread");
  }
  o.progress = !raw.quiet;
  o.stats = raw.stats;
  return o;
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
  auto options = ToBatchOptions(raw, vm, std::move(paths));
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

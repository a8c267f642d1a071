#include "apps/ringflow/options.h"

#include <cstdio>
#include <iostream>

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
      "size of each pool buffer and of each read, e.g. 128K, 4M (default: 128K; 4M with "
      "--direct)")("buffers", po::value(&raw.buffers)->value_name("N"),
                   "buffers per thread (default: open files + read-ahead)")(
      "open-files", po::value(&raw.open_files)->value_name("N"),
      "files open at once per thread, in the ring's file table (default: 64)")(
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

Result<BatchOptions> ToBatchOptions(const ReadOptionsRaw& raw, std::vector<std::string> paths) {
  BatchOptions o;
  o.paths = std::move(paths);
  o.walk.recursive = !raw.no_recursive;
  o.walk.skip_hidden = raw.skip_hidden;
  RINGFLOW_ASSIGN_OR_RETURN(o.engine.backend, uring::ParseBackend(raw.backend));
  if (raw.queue_depth == 0 || raw.queue_depth > 4096) {
    return Error(ErrorCode::kInvalidArgument, "--queue-depth must be between 1 and 4096");
  }
  if (raw.open_files == 0 || raw.open_files > 65536) {
    return Error(ErrorCode::kInvalidArgument, "--open-files must be between 1 and 65536");
  }
  if (raw.reads_per_file == 0 || raw.reads_per_file > 64) {
    return Error(ErrorCode::kInvalidArgument, "--reads-per-file must be between 1 and 64");
  }
  o.engine.queue_depth = raw.queue_depth;
  o.engine.file_slots = raw.open_files;
  o.engine.sqpoll = raw.sqpoll;
  o.reader.max_open_files = raw.open_files;
  o.reader.reads_per_file = raw.reads_per_file;
  o.reader.max_in_flight = 2 * raw.queue_depth;
  o.reader.direct = raw.direct;
  o.threads = raw.threads;
  o.buffers = raw.buffers;
  if (!raw.buffer_size.empty()) {
    RINGFLOW_ASSIGN_OR_RETURN(o.buffer_size, ParseSize(raw.buffer_size));
    if (o.buffer_size < 4096 || o.buffer_size % 4096 != 0 || o.buffer_size > (1u << 30)) {
      return Error(ErrorCode::kInvalidArgument,
                   "--buffer-size must be a multiple of 4K between 4K and 1G");
    }
  }
  if (o.buffers != 0 && o.buffers < 2) {
    return Error(ErrorCode::kInvalidArgument, "--buffers must be at least 2");
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
    PrintError(std::string(e.what()) + " (see --help)");
    return false;
  }
  return true;
}

void PrintError(const std::string& message) {
  std::fprintf(stderr, "ringflow: %s\n", message.c_str());
}

}  // namespace ringflow::app

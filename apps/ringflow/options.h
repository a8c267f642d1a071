// Command-line options shared by the subcommands that read files (Boost.Program_options lives
// only in apps/).
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "framework/run/batch.h"

namespace ringflow::app {

namespace po = boost::program_options;

// Adds the engine and walk options (--backend, --threads, --direct, ...) bound to `raw`.
struct ReadOptionsRaw {
  std::string backend = "auto";
  std::string buffer_size;
  // Signed, so that "-1" is rejected rather than wrapped; 0 means "not given" for the first two.
  int64_t buffers = 0;
  int64_t threads = 0;
  int64_t open_files = 48;
  int64_t reads_per_file = 4;
  int64_t queue_depth = 256;
  bool direct = false;
  bool sqpoll = false;
  bool no_recursive = false;
  bool skip_hidden = false;
  bool quiet = false;
  bool stats = false;
};
void AddReadOptions(po::options_description& desc, ReadOptionsRaw& raw);

// Validates and converts; kInvalidArgument with a message for the user. `vm` tells which
// options were given explicitly.
Result<run::BatchOptions> ToBatchOptions(const ReadOptionsRaw& raw, const po::variables_map& vm,
                                         std::vector<std::string> paths);

// Parses `args` against `desc` plus positional PATH...; prints the error and returns false on
// bad usage (an empty PATH is bad usage too). `help` is set when --help was given.
bool ParseArgs(const std::vector<std::string>& args, const po::options_description& desc,
               std::vector<std::string>& paths, po::variables_map& vm);

// The common front of the commands that read PATH...: parses `args` against `desc` (which the
// caller filled, AddReadOptions included) and checks them. Returns the options, or the exit
// status to leave with (0 after --help, 2 for bad usage, with the message printed).
std::variant<run::BatchOptions, int> ParseReadCommand(const char* name, const char* usage,
                                                      const std::vector<std::string>& args,
                                                      const po::options_description& desc,
                                                      const ReadOptionsRaw& raw);

// Writes `out` to stdout and flushes; false (with a message) if that failed.
bool WriteStdout(const std::string& out);

// "ringflow: <message>" on stderr.
void PrintError(const std::string& message);

// --checkpoint, --resume, --checkpoint-every, --checkpoint-interval (replay and run).
struct CheckpointArgs {
  std::string file;
  bool resume = false;
  std::string every = "64MiB";
  std::string interval = "1s";
};
po::options_description CheckpointOptions(CheckpointArgs& args);

}  // namespace ringflow::app

// Command-line options shared by the subcommands that read files (Boost.Program_options lives
// only in apps/).
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/run/batch.h"
#include "framework/run/run.h"

namespace ringflow::app {

namespace po = boost::program_options;

// Adds the engine and walk options (--backend, --threads, --direct, ...) bound to `raw`.
struct ReadOptionsRaw {
  run::ReadSettings settings;
  int64_t threads = 0;  // copied into settings when given
  int64_t buffers = 0;
  bool no_recursive = false;
  bool quiet = false;
};
void AddReadOptions(po::options_description& desc, ReadOptionsRaw& raw);

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

// --shard K/N (replay, run, checksum).
struct ShardArg {
  std::string text;
  bool given = false;
};
void AddShardOption(po::options_description& desc, ShardArg& arg);
// The shard `arg` names (config::ParseShard; none when not given), or the exit status 2 with
// "<command>: --shard: <problem> (see --help)" printed.
std::variant<config::ShardSpec, int> ParseShardOption(const char* command, const ShardArg& arg);

// --checkpoint, --resume, --checkpoint-every, --checkpoint-interval (replay and run).
using CheckpointArgs = run::CheckpointSettings;
po::options_description CheckpointOptions(CheckpointArgs& args);

}  // namespace ringflow::app

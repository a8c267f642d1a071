// `ringflow checksum`: XXH3-64 of every file, printed exactly as `xxhsum -H3` prints it.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <unordered_map>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "apps/ringflow/progress.h"
#include "framework/core/json_escape.h"
#include "framework/core/xxh3.h"
#include "framework/run/batch.h"
#include "framework/run/file_consumers.h"
#include "framework/run/shard.h"

namespace ringflow::app {
namespace {

constexpr char kUsage[] =
    "Usage: ringflow checksum [options] PATH...\n"
    "\n"
    "Reads every regular file under each PATH (recursively, following symlinks like `find -L`)\n"
    "through io_uring and prints its XXH3-64 digest in the format of `xxhsum -H3`:\n"
    "  XXH3 (./logs/a.log) = 0123456789abcdef\n"
    "Lines are sorted by path (bytewise), so `ringflow checksum . > sums` equals\n"
    "`find -L . -type f | LC_ALL=C sort | xargs xxhsum -H3`, and `xxhsum -c sums` verifies it.\n"
    "A name with a newline or a carriage return is written as sha256sum and xxhsum 0.8.2 write\n"
    "it: the line starts with a backslash, and \\n, \\r, \\\\ stand for newline, carriage\n"
    "return, backslash.\n"
    "FIFOs, sockets and devices are skipped without being opened; every problem is reported on\n"
    "stderr as `ringflow: PATH: reason (ERRNO)` and the run goes on.\n"
    "With --shard K/N only share K of N is read (the rule of `ringflow replay --shard`), and a\n"
    "last line on stderr says how many files that is: the N outputs together hold the lines of\n"
    "the output without --shard, each once.\n"
    "\n"
    "Exit status: 0 all files read, 1 some file was skipped or failed, 2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  ringflow checksum /var/log/app > app.xxh3 && xxhsum -c app.xxh3\n"
    "  ringflow checksum --json logs/ | jq .bytes\n"
    "  ringflow checksum --direct --threads 2 /data/cold-logs\n";

}  // namespace

int ChecksumCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  ReadOptionsRaw raw;
  bool json = false;
  desc.add_options()("help,h", "show this help")(
      "json", po::bool_switch(&json),
      "print one JSON object per file instead: {\"path\", \"bytes\", \"lines\", \"xxh3\"}; "
      "lines counts a final line without newline too");
  AddReadOptions(desc, raw);
  ShardArg shard_arg;
  AddShardOption(desc, shard_arg);
  auto parsed = ParseReadCommand("checksum", kUsage, args, desc, raw);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const auto shard_parsed = ParseShardOption("checksum", shard_arg);
  if (const int* exit_code = std::get_if<int>(&shard_parsed)) return *exit_code;
  const config::ShardSpec shard = std::get<config::ShardSpec>(shard_parsed);

  run::BatchOptions& options = std::get<run::BatchOptions>(parsed);
  uint64_t found = 0, kept = 0;  // with a shard: files and problems found, and of this shard
  if (shard.enabled()) {
    options.keep = [&found, &kept, &shard, roots = options.paths](const std::string& path) {
      ++found;
      const bool mine = run::InShard(path, roots, shard);
      kept += mine ? 1 : 0;
      return mine;
    };
  }
  auto read = run::RunCollecting<run::Digest, run::DigestConsumer>(
      options, [&] { return std::make_unique<run::DigestConsumer>(json); });
  if (!read.ok()) {
    PrintError(read.error().message());
    return 1;
  }
  const auto& [result, digests] = *read;
  const std::vector<uint32_t> order = result.OkFilesByPath();
  std::string out;
  out.reserve(order.size() * 64);
  for (uint32_t i : order) {
    const std::string_view path = result.path(i);
    const run::Digest& d = digests[i];
    if (json) {
      out += "{\"path\":";
      AppendJsonString(out, path);
      out += ",\"bytes\":" + std::to_string(result.files[i].bytes) +
             ",\"lines\":" + std::to_string(d.lines) + ",\"xxh3\":\"" + HexDigest(d.xxh3) + "\"}\n";
    } else {
      const bool escape = run::SumNameNeedsEscape(path);
      if (escape) out += '\\';
      out += "XXH3 (";
      run::AppendSumName(out, path, escape);
      out += ") = ";
      out += HexDigest(d.xxh3);
      out += '\n';
    }
    if (out.size() > (1u << 20)) {
      if (!WriteStdout(out)) return 1;
      out.clear();
    }
  }
  if (!WriteStdout(out)) return 1;
  if (shard.enabled() && !raw.quiet) {
    PrintError("shard " + config::FormatShard(shard) + ": " + std::to_string(kept) + " of the " +
               std::to_string(found) + " files found");
  }
  return result.skipped > 0 ? 1 : 0;
}

}  // namespace ringflow::app

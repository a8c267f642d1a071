// `ringflow count --pattern STR`: occurrences of a byte string per file and in total.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <unordered_map>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "apps/ringflow/progress.h"
#include "framework/run/batch.h"
#include "framework/run/file_consumers.h"

namespace ringflow::app {
namespace {

constexpr char kUsage[] =
    "Usage: ringflow count --pattern STR [options] PATH...\n"
    "\n"
    "Counts the occurrences of the byte string STR in every regular file under each PATH\n"
    "(leftmost, non-overlapping, like `grep -o STR | wc -l` for a STR without newline; matches\n"
    "that cross read boundaries are counted; in a gzip, zstd, bzip2, xz or lz4 file, found by its\n"
    "bytes, in the content). Prints `COUNT PATH` per file, sorted by path, and\n"
    "`COUNT total` at the end. A name with a newline or a carriage return is written as\n"
    "sha256sum writes it: the line starts with a backslash, and \\n, \\r, \\\\ stand for\n"
    "newline, carriage return, backslash.\n"
    "\n"
    "Exit status: 0 all files read, 1 some file was skipped or failed, 2 bad usage.\n"
    "\n"
    "Examples:\n"
    "  ringflow count --pattern ' 500 ' /var/log/nginx\n"
    "  ringflow count --pattern ERROR --threads 1 app.log\n";

}  // namespace

int CountCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  ReadOptionsRaw raw;
  std::string pattern;
  desc.add_options()("help,h", "show this help")(
      "pattern,p", po::value(&pattern)->value_name("STR"),
      "the byte string to count (required, not empty; taken literally)");
  AddReadOptions(desc, raw);
  auto parsed = ParseReadCommand("count", kUsage, args, desc, raw);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  if (pattern.empty()) {
    PrintError("count: --pattern STR is required and must not be empty (see --help)");
    return 2;
  }

  run::BatchOptions& options = std::get<run::BatchOptions>(parsed);
  options.decompress = true;
  auto read = run::RunCollecting<uint64_t, run::PatternCountConsumer>(
      options, [&] { return std::make_unique<run::PatternCountConsumer>(&pattern); });
  if (!read.ok()) {
    PrintError(read.error().message());
    return 1;
  }
  const auto& [result, counts] = *read;
  uint64_t total = 0;
  std::string out;
  for (uint32_t i : result.OkFilesByPath()) {
    total += counts[i];
    const std::string_view path = result.path(i);
    const bool escape = run::SumNameNeedsEscape(path);
    if (escape) out += '\\';
    out += std::to_string(counts[i]);
    out += ' ';
    run::AppendSumName(out, path, escape);
    out += '\n';
  }
  out += std::to_string(total) + " total\n";
  if (!WriteStdout(out)) return 1;
  return result.skipped > 0 ? 1 : 0;
}

}  // namespace ringflow::app

// ringflow: the command line. Each subcommand lives in its own file; this one dispatches.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "apps/ringflow/commands.h"
#include "framework/core/error.h"

namespace {

constexpr char kUsage[] =
    "Usage: ringflow COMMAND [options] [PATH...]\n"
    "\n"
    "Reads directories of files through io_uring, fast and without surprises.\n"
    "\n"
    "Commands:\n"
    "  checksum   XXH3-64 of every file, in the format of `xxhsum -H3` (or --json)\n"
    "  count      occurrences of a byte string per file and in total\n"
    "  doctor     the kernel's io_uring features, limits, and the backend a run would use\n"
    "  replay     replay directories of log files as JSON lines (progress, pacing, manifest)\n"
    "  run        run a pipeline described by a JSON document (parse logs into JSON lines)\n"
    "  validate   check a pipeline document without running it\n"
    "  stages     list the stage and sink types a pipeline may use\n"
    "\n"
    "`ringflow COMMAND --help` explains a command and every option.\n"
    "Exit status: 0 success, 1 something was skipped or failed, 2 bad usage.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version") {
    std::puts("ringflow 0.1.0");
    return 0;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "checksum") return ringflow::app::ChecksumCommand(args);
    if (command == "count") return ringflow::app::CountCommand(args);
    if (command == "doctor") return ringflow::app::DoctorCommand(args);
    if (command == "replay") return ringflow::app::ReplayCommand(args);
    if (command == "run") return ringflow::app::RunCommand(args);
    if (command == "validate") return ringflow::app::ValidateCommand(args);
    if (command == "stages") return ringflow::app::StagesCommand(args);
  } catch (const std::exception& e) {
    // Nothing in the framework throws; this catches what the standard library or Boost might.
    std::fprintf(stderr, "ringflow: %s: %s\n", command.c_str(),
                 ringflow::EscapeControl(e.what()).c_str());
    return 1;
  }
  std::fprintf(stderr,
               "ringflow: unknown command \"%s\"; known: checksum, count, doctor, replay, run, "
               "validate, stages\n",
               ringflow::EscapeControl(command).c_str());
  return 2;
}

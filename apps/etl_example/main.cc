// etl_example CONFIG: runs the pipeline document CONFIG through the ringflow library, as
// `ringflow run CONFIG` does without its terminal: the same outputs, every file that cannot be
// read reported on stderr, and one line of totals at the end. Exit status: 0 every file read,
// 1 a file was skipped or the run failed, 2 bad usage.
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "framework/run/run.h"
#include "stages/builtins.h"

namespace {

// Everything the run reports, one line each on stderr.
class Reporter final : public ringflow::run::RunObserver {
 public:
  void Report(std::string_view line) override {
    std::fprintf(stderr, "etl_example: %.*s\n", static_cast<int>(line.size()), line.data());
  }
};

int Fail(const ringflow::Error& error) {
  std::fprintf(stderr, "etl_example: %s\n", error.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace run = ringflow::run;
  if (argc != 2) {
    std::fprintf(stderr, "usage: etl_example CONFIG\n");
    return 2;
  }
  run::StageRegistry registry;
  if (ringflow::Status s = ringflow::stages::RegisterBuiltins(registry); !s.ok()) {
    return Fail(s.error());
  }
  run::DocumentSource document;
  document.file = argv[1];
  auto pipeline = run::LoadDocument(registry, document);
  if (!pipeline.ok()) return Fail(pipeline.error());
  run::RunOptions options;
  options.registry = &registry;
  options.document_name = argv[1];
  auto opened = run::Run::Open(std::move(pipeline).value(), std::move(options));
  if (!opened.ok()) return Fail(opened.error());
  Reporter reporter;
  auto stats = (*opened)->Execute(&reporter);
  if (!stats.ok()) return Fail(stats.error());
  const ringflow::run::RunSummary& s = stats->summary;
  std::fprintf(
      stderr, "etl_example: %llu of %llu files read, %llu records, %llu parse errors\n",
      static_cast<unsigned long long>(s.files_read), static_cast<unsigned long long>(s.files_total),
      static_cast<unsigned long long>(s.records), static_cast<unsigned long long>(s.parse_errors));
  return stats->problems > 0 ? 1 : 0;
}

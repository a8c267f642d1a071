// `ringflow doctor`: what this machine offers ringflow, and what the engine would use.
#include <cstdio>
#include <iostream>
#include <string>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "framework/run/host.h"
#include "framework/uring/buffer_pool.h"
#include "framework/uring/engine.h"

namespace ringflow::app {

int DoctorCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  std::string backend = "auto";
  desc.add_options()("help,h", "show this help")(
      "backend", po::value(&backend)->value_name("NAME"),
      "the backend to try: auto, uring or pread (default: auto)");
  std::vector<std::string> paths;
  po::variables_map vm;
  if (!ParseArgs(args, desc, paths, vm)) return 2;
  if (vm.count("help")) {
    std::cout << "Usage: ringflow doctor [--backend NAME]\n\n"
                 "Prints the kernel, the liburing version, each io_uring feature ringflow probes\n"
                 "(used, or unavailable and why), the resource limits that matter (locked memory\n"
                 "for registered buffers, open files) and the backend a run would choose.\n\n"
              << desc << "\n";
    return 0;
  }
  if (!paths.empty()) {
    PrintError("doctor: takes no PATH (see --help)");
    return 2;
  }
  auto kind = uring::ParseBackend(backend);
  if (!kind.ok()) {
    PrintError("doctor: " + kind.error().message());
    return 2;
  }

  for (const run::HostFact& fact : run::HostFacts()) {
    std::printf("%-17s %s\n", fact.name.c_str(), fact.value.c_str());
  }

  // Build an engine exactly as a run would, with a small pool, and report what it uses.
  uring::EngineOptions options;
  options.backend = *kind;
  options.announce_fallback = false;
  auto pool = uring::BufferPool::Create(128 << 10, 8);
  if (!pool.ok()) {
    PrintError("doctor: " + pool.error().message());
    return 1;
  }
  auto engine = uring::Engine::Create(options, pool->get());
  if (kind.value() != uring::BackendKind::kPread) {
    const uring::ProbeReport probe = uring::ProbeKernel(options);
    if (!probe.uring_available) {
      std::printf("io_uring          unavailable: %s\n", probe.uring_error.c_str());
    }
  }
  if (!engine.ok()) {
    std::printf("backend           none: %s\n", engine.error().message().c_str());
    return 1;
  }
  std::printf("backend chosen    %s\n\n", uring::BackendName((*engine)->kind()));
  std::printf("%-46s %-5s %s\n", "feature", "used", "detail");
  for (const uring::Feature& f : (*engine)->features()) {
    std::printf("%-46s %-5s %s\n", f.name.c_str(), f.used ? "yes" : "no", f.note.c_str());
  }
  engine->reset();
  return 0;
}

}  // namespace ringflow::app

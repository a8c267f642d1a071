// `ringflow doctor`: what this machine offers ringflow, and what the engine would use.
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "apps/ringflow/commands.h"
#include "apps/ringflow/options.h"
#include "framework/core/xxh3.h"
#include "framework/uring/buffer_pool.h"
#include "framework/uring/engine.h"

namespace ringflow::app {
namespace {

std::string Limit(int resource, const char* unit_name, rlim_t unit) {
  rlimit rl{};
  if (::getrlimit(resource, &rl) != 0) return "unknown";
  auto show = [&](rlim_t v) {
    return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v / unit) + unit_name;
  };
  return show(rl.rlim_cur) + " (hard " + show(rl.rlim_max) + ")";
}

std::string ReadFirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return "";
  return line;
}

}  // namespace

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

  utsname u{};
  ::uname(&u);
  std::printf("kernel            %s %s %s\n", u.sysname, u.release, u.machine);
  std::printf("liburing          %s (built against)\n", uring::LiburingVersion().c_str());
  std::printf("cpus              %u\n", std::thread::hardware_concurrency());
  std::printf("xxh3              %s\n", Xxh3::Implementation());
  const std::string disabled = ReadFirstLine("/proc/sys/kernel/io_uring_disabled");
  if (!disabled.empty()) {
    std::printf("io_uring_disabled %s (0: allowed, 1: root/group only, 2: off)\n",
                disabled.c_str());
  }
  std::printf("RLIMIT_MEMLOCK    %s%s\n", Limit(RLIMIT_MEMLOCK, " KiB", 1024).c_str(),
              ::geteuid() == 0 ? " (root: registered buffers are not charged)" : "");
  std::printf("RLIMIT_NOFILE     %s (direct descriptors do not count against it)\n",
              Limit(RLIMIT_NOFILE, "", 1).c_str());

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

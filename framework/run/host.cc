#include "framework/run/host.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "framework/core/xxh3.h"
#include "framework/uring/engine.h"

namespace ringflow::run {
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

std::vector<HostFact> HostFacts() {
  std::vector<HostFact> facts;
  utsname u{};
  ::uname(&u);
  facts.push_back({"kernel", std::string(u.sysname) + " " + u.release + " " + u.machine});
  facts.push_back({"liburing", uring::LiburingVersion() + " (built against)"});
  facts.push_back({"cpus", std::to_string(std::thread::hardware_concurrency())});
  facts.push_back({"xxh3", Xxh3::Implementation()});
  const std::string disabled = ReadFirstLine("/proc/sys/kernel/io_uring_disabled");
  if (!disabled.empty()) {
    facts.push_back({"io_uring_disabled", disabled + " (0: allowed, 1: root/group only, 2: off)"});
  }
  facts.push_back({"RLIMIT_MEMLOCK",
                   Limit(RLIMIT_MEMLOCK, " KiB", 1024) +
                       (::geteuid() == 0 ? " (root: registered buffers are not charged)" : "")});
  facts.push_back({"RLIMIT_NOFILE",
                   Limit(RLIMIT_NOFILE, "", 1) + " (direct descriptors do not count against it)"});
  return facts;
}

}  // namespace ringflow::run

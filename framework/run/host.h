// What this machine offers ringflow (`ringflow doctor`): the kernel, the liburing version, the
// CPUs, the XXH3 code in use, whether io_uring is disabled, and the resource limits that matter.
#pragma once

#include <string>
#include <vector>

namespace ringflow::run {

struct HostFact {
  std::string name;   // "kernel", "RLIMIT_MEMLOCK", ...
  std::string value;  // "Linux 6.18.0 x86_64", "8192 KiB (hard 8192 KiB)", ...
};

std::vector<HostFact> HostFacts();

}  // namespace ringflow::run

// The "fsync" parameter the file sinks (json, manifest) share, so that both describe it in the same
// words.
#pragma once

#include <cstdint>

#include "framework/config/pipeline_config.h"

namespace ringflow::stages::internal {

inline config::ParamSpec FsyncParam() {
  return {"fsync",
          config::ParamType::kBool,
          false,
          {},
          "fsync the file before renaming it into place, so that after a crash the name holds the "
          "whole output or nothing; false does not wait for the disk at the end (scratch "
          "output)",
          "true",
          INT64_MIN,
          INT64_MAX};
}

}  // namespace ringflow::stages::internal

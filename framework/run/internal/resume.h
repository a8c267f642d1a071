// --checkpoint and --resume for Run::Execute: checks that a run can be checkpointed, reads the
// checkpoint, and sets the run up to continue it. Internal to framework/run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/run/checkpoint.h"
#include "framework/run/discovery.h"
#include "framework/run/registry.h"
#include "framework/run/run.h"

namespace ringflow::run::internal {

struct Resumption {
  std::unique_ptr<Checkpointer> checkpointer;  // null when finished_before
  // The checkpoint said the run had finished: its outputs are now in place; nothing to read.
  bool finished_before = false;
  uint64_t gone = 0;             // files of the checkpoint that are gone
  uint64_t problems_before = 0;  // files done before the resume that could not be read
  bool adopted = false;          // the sinks continue the outputs of a checkpoint
};

// The sinks' temporary files (SinkStage::temporary_file).
std::vector<std::string> TemporaryFilesOf(const BuiltPipeline& built);

// With options.resume, reads the checkpoint, leaves out of `discovered` the files finished
// before (unchanged), and tells every sink where to continue; without, starts the checkpoint
// over. Errors (the sinks are aborted): see Run::Execute; their messages are whole lines.
Result<Resumption> SetUpCheckpoint(const config::PipelineConfig& pipeline, BuiltPipeline& built,
                                   Discovered& discovered, const RunOptions& options,
                                   RunObserver& observer);

}  // namespace ringflow::run::internal

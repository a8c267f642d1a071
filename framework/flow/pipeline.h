// RunPipeline: assembles source -> framing -> transforms -> sink on a oneTBB flow graph and runs
// it to the end. Order: a sequencer restores source order before the framing stage (so each
// file's chunks are framed in order) and again before the sink, so the sink sees each file's
// records in file order. With source.reader.ordered the reader hands on whole files in source
// order, so the sink sees file after file in discovery order and two runs give identical bytes;
// without it, files interleave in the order their chunks were read. Memory: every batch holds
// its chunk, and the
// source keeps at most max_messages alive, so the whole graph is bounded by the source options
// however large the input is. Thread-safety: one call at a time per set of stages.
#pragma once

#include <vector>

#include "framework/core/result.h"
#include "framework/flow/file_source.h"
#include "framework/flow/stage.h"

namespace ringflow::flow {

struct PipelineStats {
  SourceStats source;
  uint64_t batches = 0;
  uint64_t records = 0;  // records that reached the sink
};

// Runs the pipeline over every file `files` gives. Returns the first sink error, or the source's
// engine error (the sink is then aborted, not closed); per-file and per-record problems travel
// in-band to the sink, and the sink is closed at the end.
Result<PipelineStats> RunPipeline(uring::FileSource& files, const SourceOptions& source,
                                  FramingStage& framing,
                                  const std::vector<const TransformStage*>& transforms,
                                  SinkStage& sink);

}  // namespace ringflow::flow

// RunPipeline: assembles a pipeline graph on a oneTBB flow graph and runs it to the end.
//
//   FileSourceNode (async_node; its I/O thread waits for pool buffers and max_messages; its
//                   decoder threads decode compressed files into a second pool, waiting for it
//                   the same way)
//     -> sequencer_node (source order)
//     -> limiter_node (max_packets in the stages; decrementer() <- a packet's last chunk freed)
//     -> [broadcast_node, with more than one chunk stage]
//     -> chunk stages (function_node, serial each: lines, checksum)
//     -> segments (function_node, unlimited: record stages fused, parse -> filter -> select,
//                  and the Format of a sink that reads the segment's last stage)
//     -> per sink group: [format (function_node, unlimited)] -> sequencer_node
//                        -> write (function_node, serial: every sink of the group)
//
// Messages: the source's packets (several consecutive chunks at once); each stage turns a packet
// into one message carrying one batch per chunk, and sinks get the batches one at a time, as if
// every chunk had travelled alone.
// Order: a sequencer restores source order before the chunk stages (so each file's chunks are
// framed and digested in order) and again before every sink, so a sink sees each file's records
// in file order. With source.reader.ordered the reader hands on whole files in source order, so
// sinks see file after file in discovery order and two runs give identical bytes.
// Fan-out: a stage's batches go to all its consumers at once (no copy); a record stage that
// reads a batch others also read works on a copy of the record list (RecordBatch::CopyOf).
// Every stage emits one batch per source message (possibly empty), so each stream is dense and
// a sink with several inputs orders them by (message, input).
// Memory: every record batch holds its chunk, and the source keeps at most max_messages alive,
// so the whole graph is bounded by the source options however large the input is. The limiter
// bounds the packets in the stages (the work in flight); it takes a packet back when the packet's
// last chunk is freed, wherever that happens (a sink's task, usually), before the source counts
// that chunk as gone, so no decrement comes after the graph has finished. A packet the limiter
// holds back waits in the sequencer before it (which buffers, and gives packets in order), and
// the source's own bound keeps that queue short. With max_packets at its default (max_messages)
// the limiter never holds one back: every packet in the stages holds a live message.
// Thread-safety: one call at a time per set of stages.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "framework/core/result.h"
#include "framework/flow/file_source.h"
#include "framework/flow/stage.h"

namespace ringflow::flow {

// What to run: stages in an order where every input comes first, and sinks. Not owning.
struct PipelineGraph {
  struct Stage {
    std::string name;                           // for messages
    FramingStage* chunks = nullptr;             // reads the source's chunks, or
    const TransformStage* transform = nullptr;  // reads the batches of stages[input]
    std::size_t input = 0;
  };
  struct Sink {
    std::string name;
    SinkStage* sink = nullptr;
    std::vector<std::size_t> inputs;  // stage indices, at least one, no repeats
  };
  std::vector<Stage> stages;
  std::vector<Sink> sinks;
  // Checkpoints: with source.checkpoint_bytes, every sink must support them (checkpoints()),
  // and this receives the cuts. Not owned.
  CheckpointObserver* checkpoints = nullptr;

  // kInvalidArgument naming the stage or sink when the graph is not runnable: no stage or no
  // sink, a stage with neither or both of chunks/transform, an input that is not an earlier
  // stage, a sink without inputs or with one listed twice.
  Status Check() const;
};

struct PipelineStats {
  SourceStats source;
  uint64_t batches = 0;                // batches the sinks received, over all sinks
  uint64_t records = 0;                // records that reached the sinks, over all sinks
  std::vector<uint64_t> sink_records;  // per sink
  // Most packets in the stages at once, counted from the first chunk stage's start until the
  // packet's last chunk is freed: at most SourceOptions::max_packets (the limiter's threshold).
  uint32_t peak_packets = 0;
};

// Runs the graph over every file `files` gives. Returns the first sink error, or the source's
// engine error, or the first stage that threw (the sinks are then aborted, not closed);
// per-file and per-record problems travel in-band to the sinks, which are prepared and then
// closed at the end (SinkStage::Prepare): when a Prepare fails, every sink is aborted; when a
// Close fails (a rename), the sinks after it are aborted, those before it stay closed (their
// outputs complete and in place); the error is returned either way.
Result<PipelineStats> RunPipeline(uring::FileSource& files, const SourceOptions& source,
                                  const PipelineGraph& graph);

// The linear case: framing -> transforms in order -> sink.
Result<PipelineStats> RunPipeline(uring::FileSource& files, const SourceOptions& source,
                                  FramingStage& framing,
                                  const std::vector<const TransformStage*>& transforms,
                                  SinkStage& sink);

}  // namespace ringflow::flow

#include "framework/flow/pipeline.h"

#include <oneapi/tbb/flow_graph.h>

#include <atomic>
#include <exception>
#include <list>
#include <string>

namespace ringflow::flow {

namespace tf = tbb::flow;

namespace {

// Stops handing out files once the run has failed, so a broken sink does not make the source
// read everything else first.
class StoppableSource final : public uring::FileSource {
 public:
  StoppableSource(uring::FileSource& inner, const std::atomic<bool>& stop)
      : inner_(inner), stop_(stop) {}
  Pull Next(uring::ReadJob* job, bool idle) override {
    if (stop_.load(std::memory_order_relaxed)) return Pull::kDone;
    return inner_.Next(job, idle);
  }

 private:
  uring::FileSource& inner_;
  const std::atomic<bool>& stop_;
};

}  // namespace

Result<PipelineStats> RunPipeline(uring::FileSource& files, const SourceOptions& source,
                                  FramingStage& framing,
                                  const std::vector<const TransformStage*>& transforms,
                                  SinkStage& sink) {
  PipelineStats stats;
  Status sink_status;
  std::atomic<bool> failed{false};
  StoppableSource stoppable(files, failed);
  {
    // Nodes are declared after the graph and so destroyed before it; the source node last
    // (first declared after the graph) waits for its I/O thread.
    tf::graph g;
    FileSourceNode source_node(g, &stoppable, source);
    tf::sequencer_node<ChunkPtr> chunk_order(g, [](const ChunkPtr& c) { return c->seq; });
    tf::function_node<ChunkPtr, RecordBatchPtr> frame(g, tf::serial, [&](const ChunkPtr& chunk) {
      auto batch = std::make_shared<RecordBatch>();
      batch->seq = chunk->seq;
      batch->file_id = chunk->file_id;
      batch->end = chunk->end;
      batch->file_bytes = chunk->file_bytes;
      batch->error = chunk->error;
      batch->chunk = chunk;
      if (!failed.load(std::memory_order_relaxed)) framing.Frame(*chunk, *batch);
      return batch;
    });
    // Transforms run on any number of batches at once; the source's message bound limits them.
    std::list<tf::function_node<RecordBatchPtr, RecordBatchPtr>> transform_nodes;
    for (const TransformStage* stage : transforms) {
      transform_nodes.emplace_back(g, tf::unlimited, [&failed, stage](const RecordBatchPtr& b) {
        if (!failed.load(std::memory_order_relaxed)) stage->Process(*b);
        return b;
      });
    }
    tf::sequencer_node<RecordBatchPtr> batch_order(g,
                                                   [](const RecordBatchPtr& b) { return b->seq; });
    tf::function_node<RecordBatchPtr> write(g, tf::serial, [&](const RecordBatchPtr& b) {
      ++stats.batches;
      if (failed.load(std::memory_order_relaxed)) return;
      stats.records += b->records.size();
      Status s = sink.Write(*b);
      if (!s.ok()) {
        sink_status = std::move(s);
        failed.store(true, std::memory_order_relaxed);
      }
    });

    tf::make_edge(source_node.output(), chunk_order);
    tf::make_edge(chunk_order, frame);
    tf::sender<RecordBatchPtr>* last = &frame;
    for (auto& node : transform_nodes) {
      tf::make_edge(*last, node);
      last = &node;
    }
    tf::make_edge(*last, batch_order);
    tf::make_edge(batch_order, write);
    source_node.Start();
    try {
      g.wait_for_all();
    } catch (const std::exception& e) {
      // A stage threw (bad_alloc, or a bug): the graph is cancelled. Stop the source and wait
      // for what is still running, then report it as an error.
      failed.store(true);
      sink_status = Error(ErrorCode::kInternal, std::string("pipeline stage failed: ") + e.what());
      g.wait_for_all();
    }
    stats.source = source_node.stats();
    if (!source_node.status().ok() && sink_status.ok()) sink_status = source_node.status();
  }
  if (!sink_status.ok()) {
    sink.Abort();
    return std::move(sink_status).error();
  }
  RINGFLOW_RETURN_IF_ERROR(sink.Close());
  return stats;
}

}  // namespace ringflow::flow

#include "framework/flow/pipeline.h"

#include <oneapi/tbb/flow_graph.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringflow::flow {

namespace tf = tbb::flow;

std::shared_ptr<RecordBatch> RecordBatch::ForChunk(const ChunkPtr& chunk, std::size_t first_block) {
  auto batch = std::make_shared<RecordBatch>(first_block);
  batch->seq = chunk->seq;
  batch->file_id = chunk->file_id;
  batch->end = chunk->end;
  batch->file_bytes = chunk->file_bytes;
  batch->error = chunk->error;
  batch->chunk = chunk;
  return batch;
}

std::shared_ptr<RecordBatch> RecordBatch::CopyOf(
    const std::shared_ptr<const RecordBatch>& original) {
  auto copy = std::make_shared<RecordBatch>();
  copy->seq = original->seq;
  copy->file_id = original->file_id;
  copy->chunk = original->chunk;
  copy->records = original->records;
  copy->end = original->end;
  copy->file_bytes = original->file_bytes;
  copy->error = original->error;
  copy->stream = original->stream;
  copy->format_hint = original->format_hint;
  copy->format_note = original->format_note;
  copy->head = original->head;
  copy->parent = original;
  return copy;
}

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

// What travels between stages: one stage's batches for the chunks of one source packet (one
// batch per chunk, in order) and, on their way to a sink that formats, the bytes that sink's
// Format made of them (other readers of the same message ignore them).
struct Item {
  RecordBatchPtr batch;
  std::shared_ptr<std::string> bytes;  // what Format made of it (each Format starts empty)
};
struct Message {
  uint64_t seq = 0;     // the packet's
  uint32_t stream = 0;  // the index of the stage that made the batches
  std::shared_ptr<std::vector<Item>> items;
  const SinkStage* formatted_for = nullptr;  // the sink the items' bytes are for
};

// Record stages that run one after the other in one task, each the only reader of the one
// before; `format`: the sink whose only input is the last step (its Format runs here too).
struct Step {
  const TransformStage* transform;
  uint32_t stream;  // the stage's index
  bool copy;        // others read the input too: work on a copy of its record list
  std::string name;
};
struct Segment {
  std::vector<Step> steps;
  SinkStage* format = nullptr;
  std::string format_name;
};

// Formatted output buffers, recycled so that their capacity is allocated once: a steady stream
// of batches then formats into warm memory. At most max_messages are in use at once, as each
// belongs to a message. Thread-safe.
class StringPool {
 public:
  // An empty string (with the capacity a previous use left); back in the pool when the last
  // holder lets go. REQUIRES: the pool outlives the strings it hands out.
  std::shared_ptr<std::string> Get() {
    std::string* s = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        s = free_.back().release();
        free_.pop_back();
      }
    }
    if (s == nullptr) s = new std::string();
    return std::shared_ptr<std::string>(s, [this](std::string* used) {
      used->clear();
      std::lock_guard lock(mu_);
      free_.emplace_back(used);
    });
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<std::string>> free_;
};

Error GraphError(const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "pipeline graph: " + what);
}

using ChunkStageNode = tf::function_node<PacketPtr, Message>;
using SegmentNode = tf::function_node<Message, Message>;
using SinkOrderNode = tf::sequencer_node<Message>;
using SinkNode = tf::function_node<Message>;

// Sinks that read the same inputs and need no formatting node of their own share one ordered
// serial node: their writes run one after the other in one task per message instead of one task
// (and one sequencer) per sink. A sink whose Format cannot run in the segment that produces its
// input formats in a node of its own, and so orders and writes on its own.
struct SinkGroup {
  std::vector<std::size_t> members;  // sink indices
  const std::vector<std::size_t>* inputs;
  bool prepared = false;  // one member, formatting in a node of its own
};

// A checkpoint cut that not every sink group has reported yet.
struct PendingCut {
  std::size_t reported = 0;
  std::vector<SinkPosition> positions;
};

// One run of a PipelineGraph, in phases: build the stages' nodes (chunk stages, segments), group
// the sinks and build their nodes, run the graph to its end, then prepare and close the sinks
// (or abort them). Node bodies refer to this object, which outlives the graph.
class GraphRun {
 public:
  GraphRun(uring::FileSource& files, const SourceOptions& source, const PipelineGraph& graph);
  Result<PipelineStats> Run();

 private:
  // The flow graph. Nodes are declared after the graph and so destroyed before it; the source
  // node first (destroyed last of them), as it waits for its I/O thread.
  struct Nodes {
    explicit Nodes(GraphRun& run);
    tf::graph g;
    FileSourceNode source;
    tf::sequencer_node<PacketPtr> chunk_order;
    tf::limiter_node<PacketPtr> admit;
    tf::broadcast_node<PacketPtr> chunk_fan;
    std::list<ChunkStageNode> chunk_stages;
    std::list<SegmentNode> segments;
    std::list<SegmentNode> sink_prepares;
    std::list<SinkOrderNode> sink_orders;
    std::list<SinkNode> sink_writes;
    std::list<std::vector<Message>> held;  // per sink group: a packet's messages but the last
  };

  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void Fail(Status s);
  template <typename Body>
  void Guarded(const std::string& what, Body&& body);

  // Node building.
  void BuildStages(Nodes& n);
  void AddChunkStage(Nodes& n, std::size_t i);
  void AddRecordStage(Nodes& n, std::size_t i);
  Message RunSegment(const Segment& segment, const Message& in);
  // Sink grouping.
  void GroupSinks();
  void AddSinkGroup(Nodes& n, const SinkGroup& group);
  void WriteGroup(const SinkGroup& group, const std::vector<uint32_t>& input_of,
                  std::vector<Message>& held, bool observes, const Message& last);
  // Checkpoint cuts.
  void ReportCut(const SinkGroup& group, const Chunk& message);
  // Wait and teardown.
  void Execute();
  Status CloseSinks();

  // Packets in the stages: from the first chunk stage's start until the last chunk is released.
  void PacketAdmitted();
  void PacketReleased(Nodes& n);

  const SourceOptions& source_;
  const PipelineGraph& graph_;
  StringPool buffers_;  // declared before the graph: messages hold its strings

  PipelineStats stats_;
  std::vector<uint64_t> sink_batches_;
  std::vector<std::string> sink_names_;  // for errors
  std::mutex status_mu_;
  Status status_;  // the first failure; guarded by status_mu_
  std::atomic<bool> failed_{false};
  StoppableSource stoppable_;
  std::atomic<uint32_t> packets_in_stages_{0};
  std::atomic<uint32_t> peak_packets_{0};

  // How many consumers read each stage's batches: a record stage copies a batch that others read
  // too, instead of changing it under them.
  std::vector<std::size_t> consumers_;
  std::size_t chunk_stage_count_ = 0;
  std::size_t first_chunk_stage_ = 0;
  std::list<Segment> segments_;
  // The node whose output carries each stage's batches, and the segment that runs the stage
  // (null for chunk stages).
  std::vector<tf::sender<Message>*> outputs_;
  std::vector<Segment*> segment_of_;
  std::vector<SinkGroup> groups_;
  std::mutex cuts_mu_;
  std::map<uint64_t, PendingCut> cuts_;  // by message seq; guarded by cuts_mu_
};

GraphRun::Nodes::Nodes(GraphRun& run)
    : source(g, &run.stoppable_, run.source_, [this, &run] { run.PacketReleased(*this); }),
      chunk_order(g, [](const PacketPtr& p) { return p->seq; }),
      admit(g, source.options().max_packets),
      chunk_fan(g) {}

GraphRun::GraphRun(uring::FileSource& files, const SourceOptions& source,
                   const PipelineGraph& graph)
    : source_(source),
      graph_(graph),
      sink_batches_(graph.sinks.size(), 0),
      stoppable_(files, failed_),
      consumers_(graph.stages.size(), 0) {
  stats_.sink_records.assign(graph.sinks.size(), 0);
  for (const auto& stage : graph.stages) {
    if (stage.transform != nullptr) ++consumers_[stage.input];
  }
  for (const auto& sink : graph.sinks) {
    for (std::size_t input : sink.inputs) ++consumers_[input];
    sink_names_.push_back("sink \"" + sink.name + "\"");
  }
  for (std::size_t i = graph.stages.size(); i-- > 0;) {
    if (graph.stages[i].chunks == nullptr) continue;
    ++chunk_stage_count_;
    first_chunk_stage_ = i;
  }
}

void GraphRun::Fail(Status s) {
  std::lock_guard lock(status_mu_);
  if (status_.ok()) status_ = std::move(s);
  failed_.store(true, std::memory_order_relaxed);
}

// A stage that throws (bad_alloc, or a bug) fails the run like a sink error. The exception is
// caught inside the node, which still passes its message on: a node that dropped it would leave
// a gap the sequencers wait for forever, holding the pool's buffers.
template <typename Body>
void GraphRun::Guarded(const std::string& what, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    Fail(Error(ErrorCode::kInternal, what + " failed: " + EscapeControl(e.what())));
  } catch (...) {
    Fail(Error(ErrorCode::kInternal, what + " failed: unknown exception"));
  }
}

void GraphRun::PacketAdmitted() {
  const uint32_t now = packets_in_stages_.fetch_add(1, std::memory_order_relaxed) + 1;
  uint32_t peak = peak_packets_.load(std::memory_order_relaxed);
  while (now > peak && !peak_packets_.compare_exchange_weak(peak, now)) {
  }
}

// Runs before the released chunk counts as gone, so before wait_for_all returns (the limiter
// still exists). Counted down before the limiter's own count, which lets the next packet in.
void GraphRun::PacketReleased(Nodes& n) {
  packets_in_stages_.fetch_sub(1, std::memory_order_relaxed);
  n.admit.decrementer().try_put(tf::continue_msg());
}

void GraphRun::BuildStages(Nodes& n) {
  for (std::size_t i = 0; i < graph_.stages.size(); ++i) {
    if (graph_.stages[i].chunks != nullptr) {
      AddChunkStage(n, i);
    } else {
      AddRecordStage(n, i);
    }
  }
}

void GraphRun::AddChunkStage(Nodes& n, std::size_t i) {
  FramingStage* chunks = graph_.stages[i].chunks;
  const auto stream = static_cast<uint32_t>(i);
  const bool counts = i == first_chunk_stage_;
  // Serial: a chunk stage keeps per-file state and sees each file's chunks in order.
  auto& node = n.chunk_stages.emplace_back(
      n.g, tf::serial,
      [this, chunks, stream, counts,
       name = "stage \"" + graph_.stages[i].name + "\""](const PacketPtr& packet) {
        if (counts) PacketAdmitted();
        Message out{packet->seq, stream, std::make_shared<std::vector<Item>>(), nullptr};
        out.items->reserve(packet->chunks.size());
        for (const ChunkPtr& chunk : packet->chunks) {
          // Memory for the records a chunk of lines makes (~6 bytes per input byte when parsed:
          // records, fields, unescaped strings): one block, no growth.
          auto batch = RecordBatch::ForChunk(
              chunk,
              std::max<std::size_t>(RecordBatch::kFirstBlock, std::size_t{6} * chunk->length));
          batch->stream = stream;
          if (!failed()) Guarded(name, [&] { chunks->Frame(*chunk, *batch); });
          out.items->push_back({std::move(batch), nullptr});
        }
        return out;
      });
  if (chunk_stage_count_ > 1) {
    tf::make_edge(n.chunk_fan, node);
  } else {
    tf::make_edge(n.admit, node);
  }
  outputs_.push_back(&node);
  segment_of_.push_back(nullptr);
}

void GraphRun::AddRecordStage(Nodes& n, std::size_t i) {
  const PipelineGraph::Stage& stage = graph_.stages[i];
  // A record stage that is the only reader of another record stage runs in that stage's task
  // (fused: one task per batch for the whole chain instead of one per stage).
  Step step{stage.transform, static_cast<uint32_t>(i), consumers_[stage.input] > 1,
            "stage \"" + stage.name + "\""};
  if (Segment* up = segment_of_[stage.input]; up != nullptr && consumers_[stage.input] == 1) {
    up->steps.push_back(std::move(step));
    outputs_.push_back(outputs_[stage.input]);
    segment_of_.push_back(up);
    return;
  }
  Segment& segment = segments_.emplace_back();
  segment.steps.push_back(std::move(step));
  // Any number of batches at once; the limiter before the stages bounds them.
  auto& node = n.segments.emplace_back(
      n.g, tf::unlimited, [this, &segment](const Message& in) { return RunSegment(segment, in); });
  tf::make_edge(*outputs_[stage.input], node);
  outputs_.push_back(&node);
  segment_of_.push_back(&segment);
}

Message GraphRun::RunSegment(const Segment& segment, const Message& in) {
  // The first step's input may be read by others too (then it copies each batch); the item list
  // is this segment's own either way.
  Message out{in.seq, segment.steps.back().stream, std::make_shared<std::vector<Item>>(*in.items),
              nullptr};
  for (Item& item : *out.items) {
    item.bytes.reset();  // another sink's
    for (const Step& s : segment.steps) {
      // (A copy that fails leaves the shared input unchanged: the run has failed then, and the
      // sinks write nothing more.)
      Guarded(s.name, [&] {
        if (s.copy) item.batch = RecordBatch::CopyOf(item.batch);
        item.batch->stream = s.stream;
        if (!failed()) s.transform->Process(*item.batch);
      });
    }
  }
  if (segment.format != nullptr && !failed()) {
    Guarded(segment.format_name, [&] {
      out.formatted_for = segment.format;
      for (Item& item : *out.items) {
        item.bytes = buffers_.Get();
        segment.format->Format(0, *item.batch, *item.bytes);
      }
    });
  }
  return out;
}

void GraphRun::GroupSinks() {
  for (std::size_t k = 0; k < graph_.sinks.size(); ++k) {
    const PipelineGraph::Sink& sink = graph_.sinks[k];
    bool prepared = false;
    if (sink.sink->formats()) {
      // Its Format runs before ordering, in parallel: in the task of the segment that produces
      // its only input (Format only reads the batch, so other readers of the same batch do not
      // matter; one sink per segment), else in a node of its own. (`up`'s last step is the stage
      // the sink reads: a stage with a reader besides the next stage ends its segment.)
      Segment* up = segment_of_[sink.inputs[0]];
      if (sink.inputs.size() == 1 && up != nullptr && up->format == nullptr) {
        up->format = sink.sink;
        up->format_name = "sink \"" + sink.name + "\"";
      } else {
        prepared = true;
      }
    }
    auto same = std::find_if(groups_.begin(), groups_.end(), [&](const SinkGroup& group) {
      return !prepared && !group.prepared && *group.inputs == sink.inputs;
    });
    if (same != groups_.end()) {
      same->members.push_back(k);
    } else {
      groups_.push_back({{k}, &sink.inputs, prepared});
    }
  }
}

void GraphRun::AddSinkGroup(Nodes& n, const SinkGroup& group) {
  const std::vector<std::size_t>& inputs = *group.inputs;
  // Stream -> the sinks' input number. Each input carries one message per source packet, so
  // seq * inputs + input numbers the sinks' messages densely, in (packet, input) order.
  std::vector<uint32_t> input_of(graph_.stages.size(), 0);
  for (std::size_t j = 0; j < inputs.size(); ++j) input_of[inputs[j]] = static_cast<uint32_t>(j);
  const uint64_t width = inputs.size();
  auto& order = n.sink_orders.emplace_back(n.g, [width, input_of](const Message& m) {
    return static_cast<std::size_t>(m.seq * width + input_of[m.stream]);
  });
  const bool observes = &group == &groups_.front() && graph_.checkpoints != nullptr;
  auto& held = n.held.emplace_back(width);
  auto& write = n.sink_writes.emplace_back(
      n.g, tf::serial, [this, &group, input_of, &held, observes](const Message& last) {
        WriteGroup(group, input_of, held, observes, last);
      });
  tf::make_edge(order, write);
  if (!group.prepared) {
    for (std::size_t input : inputs) tf::make_edge(*outputs_[input], order);
    return;
  }
  SinkStage* stage = graph_.sinks[group.members[0]].sink;
  auto& prepare = n.sink_prepares.emplace_back(
      n.g, tf::unlimited,
      [this, stage, input_of, &name = sink_names_[group.members[0]]](const Message& in) {
        Message m{in.seq, in.stream, std::make_shared<std::vector<Item>>(*in.items), stage};
        if (!failed()) {
          Guarded(name, [&] {
            for (Item& item : *m.items) {
              item.bytes = buffers_.Get();
              stage->Format(input_of[m.stream], *item.batch, *item.bytes);
            }
          });
        }
        return m;
      });
  for (std::size_t input : inputs) tf::make_edge(*outputs_[input], prepare);
  tf::make_edge(prepare, order);
}

// A packet's messages from every input but the last wait in `held` (the node is serial) until the
// last one comes; then the sinks get each chunk's batches input after input, chunk after chunk,
// as if every chunk had travelled alone.
void GraphRun::WriteGroup(const SinkGroup& group, const std::vector<uint32_t>& input_of,
                          std::vector<Message>& held, bool observes, const Message& last) {
  const uint32_t last_input = input_of[last.stream];
  held[last_input] = last;
  if (last_input + 1 < held.size()) return;
  const std::size_t n = last.items->size();
  for (std::size_t i = 0; i < n; ++i) {
    const Chunk* message = (*last.items)[i].batch->chunk.get();
    if (observes && message != nullptr && !failed()) {
      Guarded("checkpoint", [&] { graph_.checkpoints->Observe(*message); });
    }
    for (uint32_t input = 0; input < held.size(); ++input) {
      const Message& m = held[input];
      const Item& item = (*m.items)[i];
      const RecordBatch& batch = *item.batch;
      for (std::size_t k : group.members) {
        ++sink_batches_[k];
        if (failed()) continue;
        stats_.sink_records[k] += batch.records.size();
        SinkStage* stage = graph_.sinks[k].sink;
        Guarded(sink_names_[k], [&] {
          Status s = item.bytes != nullptr && m.formatted_for == stage
                         ? stage->WriteFormatted(input, batch, *item.bytes)
                         : stage->WriteFrom(input, batch);
          if (!s.ok()) Fail(std::move(s));
        });
      }
    }
    // (The source ends a packet with its cut: the sinks have written nothing after it.)
    if (graph_.checkpoints != nullptr && message != nullptr && message->checkpoint && !failed()) {
      Guarded("checkpoint", [&] { ReportCut(group, *message); });
    }
  }
  for (Message& m : held) m = Message{};
}

// Checkpoint cuts: each group, having written a marked message, writes its sinks through
// (SinkStage::Checkpoint) and reports their positions; the last group to report a message hands
// the cut to the observer (which makes it durable). A group reports its cuts in order, so cuts
// complete in order too.
void GraphRun::ReportCut(const SinkGroup& group, const Chunk& message) {
  std::vector<std::pair<std::size_t, SinkPosition>> mine;
  for (std::size_t k : group.members) {
    Result<SinkPosition> at = graph_.sinks[k].sink->Checkpoint();
    if (!at.ok()) return Fail(at.error());
    mine.emplace_back(k, std::move(at).value());
  }
  std::lock_guard lock(cuts_mu_);
  PendingCut& cut = cuts_[message.seq];
  if (cut.positions.empty()) cut.positions.resize(graph_.sinks.size());
  for (auto& [k, at] : mine) cut.positions[k] = std::move(at);
  if (++cut.reported < groups_.size()) return;
  const PendingCut done = std::move(cut);
  cuts_.erase(message.seq);
  if (failed()) return;
  if (Status s = graph_.checkpoints->Cut(message, done.positions); !s.ok()) Fail(std::move(s));
}

// The source's packets, in order, pass the limiter on their way to the chunk stages: at most
// max_packets are in the stages at once, and each packet's last released chunk lets the next in
// (PacketReleased).
void GraphRun::Execute() {
  Nodes n(*this);
  BuildStages(n);
  GroupSinks();
  for (const SinkGroup& group : groups_) AddSinkGroup(n, group);
  tf::make_edge(n.source.output(), n.chunk_order);
  tf::make_edge(n.chunk_order, n.admit);
  if (chunk_stage_count_ > 1) tf::make_edge(n.admit, n.chunk_fan);
  n.source.Start();
  try {
    n.g.wait_for_all();
  } catch (const std::exception& e) {
    // Only the graph's own machinery can still throw here (the bodies catch theirs): the graph
    // is cancelled. Stop the source, wait for what is still running, report it.
    Fail(Error(ErrorCode::kInternal, std::string("pipeline failed: ") + e.what()));
    n.g.wait_for_all();
  }
  stats_.source = n.source.stats();
  if (!n.source.status().ok()) Fail(n.source.status());
}

// Prepares every sink, then closes them; after the first failure the others are aborted instead,
// so a failed run leaves as little behind as it can.
Status GraphRun::CloseSinks() {
  Status status;
  for (std::size_t k = 0; k < graph_.sinks.size() && status.ok(); ++k) {
    status = graph_.sinks[k].sink->Prepare();
  }
  if (status.ok() && graph_.checkpoints != nullptr) {
    std::vector<SinkPosition> positions;
    for (std::size_t k = 0; k < graph_.sinks.size() && status.ok(); ++k) {
      Result<SinkPosition> at = graph_.sinks[k].sink->Checkpoint();
      if (at.ok()) {
        positions.push_back(std::move(at).value());
      } else {
        status = at.error();
      }
    }
    if (status.ok()) status = graph_.checkpoints->Complete(positions);
  }
  for (std::size_t k = 0; k < graph_.sinks.size(); ++k) {
    if (status.ok()) {
      status = graph_.sinks[k].sink->Close();
    } else {
      graph_.sinks[k].sink->Abort();
    }
  }
  return status;
}

Result<PipelineStats> GraphRun::Run() {
  Execute();
  for (std::size_t k = 0; k < graph_.sinks.size(); ++k) {
    stats_.batches += sink_batches_[k];
    stats_.records += stats_.sink_records[k];
  }
  stats_.peak_packets = peak_packets_.load(std::memory_order_relaxed);
  if (!status_.ok()) {
    for (const auto& sink : graph_.sinks) sink.sink->Abort();
    return std::move(status_).error();
  }
  RINGFLOW_RETURN_IF_ERROR(CloseSinks());
  return std::move(stats_);
}

}  // namespace

Status PipelineGraph::Check() const {
  if (stages.empty()) return GraphError("no stages");
  if (sinks.empty()) return GraphError("no sinks");
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Stage& s = stages[i];
    if ((s.chunks == nullptr) == (s.transform == nullptr)) {
      return GraphError("stage \"" + s.name + "\" must read either chunks or another stage");
    }
    if (s.transform != nullptr && s.input >= i) {
      return GraphError("stage \"" + s.name + "\" must read an earlier stage");
    }
  }
  for (const Sink& sink : sinks) {
    if (sink.sink == nullptr || sink.inputs.empty()) {
      return GraphError("sink \"" + sink.name + "\" has no input");
    }
    for (std::size_t j = 0; j < sink.inputs.size(); ++j) {
      if (sink.inputs[j] >= stages.size()) {
        return GraphError("sink \"" + sink.name + "\" reads a stage that does not exist");
      }
      if (std::count(sink.inputs.begin(), sink.inputs.end(), sink.inputs[j]) > 1) {
        return GraphError("sink \"" + sink.name + "\" lists the stage \"" +
                          stages[sink.inputs[j]].name + "\" twice");
      }
    }
  }
  return OkStatus();
}

Result<PipelineStats> RunPipeline(uring::FileSource& files, const SourceOptions& source,
                                  const PipelineGraph& graph) {
  RINGFLOW_RETURN_IF_ERROR(graph.Check());
  if (graph.checkpoints != nullptr) {
    for (const PipelineGraph::Sink& sink : graph.sinks) {
      if (!sink.sink->checkpoints()) {
        return Error(ErrorCode::kUnsupported,
                     "sink \"" + sink.name + "\" does not support checkpoints");
      }
    }
  }
  return GraphRun(files, source, graph).Run();
}

Result<PipelineStats> RunPipeline(uring::FileSource& files, const SourceOptions& source,
                                  FramingStage& framing,
                                  const std::vector<const TransformStage*>& transforms,
                                  SinkStage& sink) {
  PipelineGraph graph;
  graph.stages.push_back({"lines", &framing, nullptr, 0});
  for (std::size_t i = 0; i < transforms.size(); ++i) {
    graph.stages.push_back({"transform " + std::to_string(i + 1), nullptr, transforms[i], i});
  }
  graph.sinks.push_back({"sink", &sink, {graph.stages.size() - 1}});
  return RunPipeline(files, source, graph);
}

}  // namespace ringflow::flow

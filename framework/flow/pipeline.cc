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
  using ChunkStageNode = tf::function_node<PacketPtr, Message>;
  using SegmentNode = tf::function_node<Message, Message>;
  using SinkOrderNode = tf::sequencer_node<Message>;
  using SinkNode = tf::function_node<Message>;
  StringPool buffers;  // declared before the graph: messages hold its strings

  PipelineStats stats;
  stats.sink_records.assign(graph.sinks.size(), 0);
  std::vector<uint64_t> sink_batches(graph.sinks.size(), 0);
  std::mutex status_mu;
  Status status;  // the first failure; guarded by status_mu
  std::atomic<bool> failed{false};
  auto fail = [&](Status s) {
    std::lock_guard lock(status_mu);
    if (status.ok()) status = std::move(s);
    failed.store(true, std::memory_order_relaxed);
  };
  // A stage that throws (bad_alloc, or a bug) fails the run like a sink error. The exception is
  // caught inside the node, which still passes its message on: a node that dropped it would leave
  // a gap the sequencers wait for forever, holding the pool's buffers.
  auto guarded = [&](const std::string& what, auto&& body) {
    try {
      body();
    } catch (const std::exception& e) {
      fail(Error(ErrorCode::kInternal, what + " failed: " + EscapeControl(e.what())));
    } catch (...) {
      fail(Error(ErrorCode::kInternal, what + " failed: unknown exception"));
    }
  };
  StoppableSource stoppable(files, failed);

  // How many consumers read each stage's batches: a record stage copies a batch that others
  // read too, instead of changing it under them.
  std::vector<std::size_t> consumers(graph.stages.size(), 0);
  for (const auto& stage : graph.stages) {
    if (stage.transform != nullptr) ++consumers[stage.input];
  }
  for (const auto& sink : graph.sinks) {
    for (std::size_t input : sink.inputs) ++consumers[input];
  }
  {
    // Nodes are declared after the graph and so destroyed before it; the source node last
    // (first declared after the graph) waits for its I/O thread.
    tf::graph g;
    FileSourceNode source_node(g, &stoppable, source);
    tf::sequencer_node<PacketPtr> chunk_order(g, [](const PacketPtr& p) { return p->seq; });
    tf::broadcast_node<PacketPtr> chunk_fan(g);
    std::size_t chunk_stages = 0;
    for (const auto& stage : graph.stages) chunk_stages += stage.chunks != nullptr ? 1 : 0;
    std::list<ChunkStageNode> chunk_nodes;
    std::list<Segment> segments;
    std::list<SegmentNode> segment_nodes;
    // The node whose output carries each stage's batches, and the segment that runs the stage
    // (null for chunk stages).
    std::vector<tf::sender<Message>*> outputs;
    std::vector<Segment*> segment_of;
    for (std::size_t i = 0; i < graph.stages.size(); ++i) {
      const PipelineGraph::Stage& stage = graph.stages[i];
      const auto stream = static_cast<uint32_t>(i);
      const std::string name = "stage \"" + stage.name + "\"";
      if (stage.chunks != nullptr) {
        FramingStage* chunks = stage.chunks;
        // Serial: a chunk stage keeps per-file state and sees each file's chunks in order.
        auto& node = chunk_nodes.emplace_back(
            g, tf::serial, [&failed, &guarded, chunks, stream, name](const PacketPtr& packet) {
              Message out{packet->seq, stream, std::make_shared<std::vector<Item>>(), nullptr};
              out.items->reserve(packet->chunks.size());
              for (const ChunkPtr& chunk : packet->chunks) {
                // Memory for the records a chunk of lines makes (~6 bytes per input byte when
                // parsed: records, fields, unescaped strings): one block, no growth.
                auto batch = RecordBatch::ForChunk(
                    chunk, std::max<std::size_t>(RecordBatch::kFirstBlock,
                                                 std::size_t{6} * chunk->length));
                batch->stream = stream;
                if (!failed.load(std::memory_order_relaxed)) {
                  guarded(name, [&] { chunks->Frame(*chunk, *batch); });
                }
                out.items->push_back({std::move(batch), nullptr});
              }
              return out;
            });
        if (chunk_stages > 1) {
          tf::make_edge(chunk_fan, node);
        } else {
          tf::make_edge(chunk_order, node);
        }
        outputs.push_back(&node);
        segment_of.push_back(nullptr);
        continue;
      }
      // A record stage that is the only reader of another record stage runs in that stage's
      // task (fused: one task per batch for the whole chain instead of one per stage).
      Step step{stage.transform, stream, consumers[stage.input] > 1, name};
      if (Segment* up = segment_of[stage.input]; up != nullptr && consumers[stage.input] == 1) {
        up->steps.push_back(std::move(step));
        outputs.push_back(outputs[stage.input]);
        segment_of.push_back(up);
        continue;
      }
      Segment& segment = segments.emplace_back();
      segment.steps.push_back(std::move(step));
      // Any number of batches at once; the source's message bound limits them.
      auto& node = segment_nodes.emplace_back(
          g, tf::unlimited, [&failed, &guarded, &buffers, &segment](const Message& in) {
            // The first step's input may be read by others too (then it copies each batch); the
            // item list is this segment's own either way.
            Message out{in.seq, segment.steps.back().stream,
                        std::make_shared<std::vector<Item>>(*in.items), nullptr};
            for (Item& item : *out.items) {
              item.bytes.reset();  // another sink's
              for (const Step& s : segment.steps) {
                // (A copy that fails leaves the shared input unchanged: the run has failed then,
                // and the sinks write nothing more.)
                guarded(s.name, [&] {
                  if (s.copy) item.batch = RecordBatch::CopyOf(item.batch);
                  item.batch->stream = s.stream;
                  if (!failed.load(std::memory_order_relaxed)) s.transform->Process(*item.batch);
                });
              }
            }
            if (segment.format != nullptr && !failed.load(std::memory_order_relaxed)) {
              guarded(segment.format_name, [&] {
                out.formatted_for = segment.format;
                for (Item& item : *out.items) {
                  item.bytes = buffers.Get();
                  segment.format->Format(0, *item.batch, *item.bytes);
                }
              });
            }
            return out;
          });
      tf::make_edge(*outputs[stage.input], node);
      outputs.push_back(&node);
      segment_of.push_back(&segment);
    }
    // Sinks that read the same inputs and need no formatting node of their own share one ordered
    // serial node: their writes run one after the other in one task per message instead of one
    // task (and one sequencer) per sink. A sink whose Format cannot run in the segment that
    // produces its input formats in a node of its own, and so orders and writes on its own.
    struct SinkGroup {
      std::vector<std::size_t> members;  // sink indices
      const std::vector<std::size_t>* inputs;
      bool prepared = false;  // one member, formatting in a node of its own
    };
    std::vector<SinkGroup> groups;
    for (std::size_t k = 0; k < graph.sinks.size(); ++k) {
      const PipelineGraph::Sink& sink = graph.sinks[k];
      bool prepared = false;
      if (sink.sink->formats()) {
        // Its Format runs before ordering, in parallel: in the task of the segment that produces
        // its only input (Format only reads the batch, so other readers of the same batch do not
        // matter; one sink per segment), else in a node of its own. (`up`'s last step is the
        // stage the sink reads: a stage with a reader besides the next stage ends its segment.)
        Segment* up = segment_of[sink.inputs[0]];
        if (sink.inputs.size() == 1 && up != nullptr && up->format == nullptr) {
          up->format = sink.sink;
          up->format_name = "sink \"" + sink.name + "\"";
        } else {
          prepared = true;
        }
      }
      auto same = std::find_if(groups.begin(), groups.end(), [&](const SinkGroup& group) {
        return !prepared && !group.prepared && *group.inputs == sink.inputs;
      });
      if (same != groups.end()) {
        same->members.push_back(k);
      } else {
        groups.push_back({{k}, &sink.inputs, prepared});
      }
    }
    // Checkpoint cuts: each group, having written a marked message, writes its sinks through
    // (SinkStage::Checkpoint) and reports their positions; the last group to report a message
    // hands the cut to the observer (which makes it durable). A group reports its cuts in
    // order, so cuts complete in order too.
    struct PendingCut {
      std::size_t reported = 0;
      std::vector<SinkPosition> positions;
    };
    std::mutex cuts_mu;
    std::map<uint64_t, PendingCut> cuts;  // by message seq; guarded by cuts_mu
    auto report_cut = [&](const SinkGroup& group, const Chunk& message) {
      std::vector<std::pair<std::size_t, SinkPosition>> mine;
      for (std::size_t k : group.members) {
        Result<SinkPosition> at = graph.sinks[k].sink->Checkpoint();
        if (!at.ok()) return fail(at.error());
        mine.emplace_back(k, std::move(at).value());
      }
      std::lock_guard lock(cuts_mu);
      PendingCut& cut = cuts[message.seq];
      if (cut.positions.empty()) cut.positions.resize(graph.sinks.size());
      for (auto& [k, at] : mine) cut.positions[k] = std::move(at);
      if (++cut.reported < groups.size()) return;
      const PendingCut done = std::move(cut);
      cuts.erase(message.seq);
      if (failed.load(std::memory_order_relaxed)) return;
      if (Status s = graph.checkpoints->Cut(message, done.positions); !s.ok()) fail(std::move(s));
    };
    std::list<SegmentNode> sink_prepare_nodes;
    std::list<SinkOrderNode> sink_order_nodes;
    std::list<SinkNode> sink_nodes;
    std::list<std::vector<Message>> held_messages;  // per group
    for (const SinkGroup& group : groups) {
      const std::vector<std::size_t>& inputs = *group.inputs;
      // Stream -> the sinks' input number. Each input carries one message per source packet, so
      // seq * inputs + input numbers the sinks' messages densely, in (packet, input) order.
      std::vector<uint32_t> input_of(graph.stages.size(), 0);
      for (std::size_t j = 0; j < inputs.size(); ++j) {
        input_of[inputs[j]] = static_cast<uint32_t>(j);
      }
      const uint64_t width = inputs.size();
      std::vector<std::pair<std::size_t, std::string>> members;  // sink index, name for errors
      for (std::size_t k : group.members) {
        members.emplace_back(k, "sink \"" + graph.sinks[k].name + "\"");
      }
      auto& order =
          sink_order_nodes.emplace_back(g, [width, input_of](const Message& m) -> std::size_t {
            return static_cast<std::size_t>(m.seq * width + input_of[m.stream]);
          });
      const bool observes = &group == &groups.front() && graph.checkpoints != nullptr;
      // A packet's messages from every input but the last wait here (the node is serial) until
      // the last one comes; then the sinks get each chunk's batches input after input, chunk
      // after chunk, as if every chunk had travelled alone.
      auto& held = held_messages.emplace_back(width);
      auto& write = sink_nodes.emplace_back(
          g, tf::serial, [&, input_of, members, width, observes](const Message& last) {
            const uint32_t last_input = input_of[last.stream];
            held[last_input] = last;
            if (last_input + 1 < width) return;
            const std::size_t n = last.items->size();
            for (std::size_t i = 0; i < n; ++i) {
              const Chunk* message = (*last.items)[i].batch->chunk.get();
              if (observes && message != nullptr && !failed.load(std::memory_order_relaxed)) {
                guarded("checkpoint", [&] { graph.checkpoints->Observe(*message); });
              }
              for (uint32_t input = 0; input < width; ++input) {
                const Message& m = held[input];
                const Item& item = (*m.items)[i];
                const RecordBatch& batch = *item.batch;
                for (const auto& [k, name] : members) {
                  ++sink_batches[k];
                  if (failed.load(std::memory_order_relaxed)) continue;
                  stats.sink_records[k] += batch.records.size();
                  SinkStage* stage = graph.sinks[k].sink;
                  guarded(name, [&] {
                    Status s = item.bytes != nullptr && m.formatted_for == stage
                                   ? stage->WriteFormatted(input, batch, *item.bytes)
                                   : stage->WriteFrom(input, batch);
                    if (!s.ok()) fail(std::move(s));
                  });
                }
              }
              // (The source ends a packet with its cut: the sinks have written nothing after it.)
              if (graph.checkpoints != nullptr && message != nullptr && message->checkpoint &&
                  !failed.load(std::memory_order_relaxed)) {
                guarded("checkpoint", [&] { report_cut(group, *message); });
              }
            }
            for (Message& m : held) m = Message{};
          });
      tf::make_edge(order, write);
      if (!group.prepared) {
        for (std::size_t input : inputs) tf::make_edge(*outputs[input], order);
        continue;
      }
      SinkStage* stage = graph.sinks[group.members[0]].sink;
      auto& prepare = sink_prepare_nodes.emplace_back(
          g, tf::unlimited,
          [&failed, &guarded, &buffers, stage, input_of,
           name = members[0].second](const Message& in) {
            Message m{in.seq, in.stream, std::make_shared<std::vector<Item>>(*in.items), stage};
            if (!failed.load(std::memory_order_relaxed)) {
              guarded(name, [&] {
                for (Item& item : *m.items) {
                  item.bytes = buffers.Get();
                  stage->Format(input_of[m.stream], *item.batch, *item.bytes);
                }
              });
            }
            return m;
          });
      for (std::size_t input : inputs) tf::make_edge(*outputs[input], prepare);
      tf::make_edge(prepare, order);
    }
    tf::make_edge(source_node.output(), chunk_order);
    if (chunk_stages > 1) tf::make_edge(chunk_order, chunk_fan);
    source_node.Start();
    try {
      g.wait_for_all();
    } catch (const std::exception& e) {
      // Only the graph's own machinery can still throw here (the bodies catch theirs): the
      // graph is cancelled. Stop the source, wait for what is still running, report it.
      fail(Error(ErrorCode::kInternal, std::string("pipeline failed: ") + e.what()));
      g.wait_for_all();
    }
    stats.source = source_node.stats();
    if (!source_node.status().ok()) fail(source_node.status());
  }
  for (std::size_t k = 0; k < graph.sinks.size(); ++k) {
    stats.batches += sink_batches[k];
    stats.records += stats.sink_records[k];
  }
  if (!status.ok()) {
    for (const auto& sink : graph.sinks) sink.sink->Abort();
    return std::move(status).error();
  }
  // Prepare every sink, then close them; after the first failure the others are aborted instead,
  // so a failed run leaves as little behind as it can.
  for (std::size_t k = 0; k < graph.sinks.size() && status.ok(); ++k) {
    status = graph.sinks[k].sink->Prepare();
  }
  if (status.ok() && graph.checkpoints != nullptr) {
    std::vector<SinkPosition> positions;
    for (std::size_t k = 0; k < graph.sinks.size() && status.ok(); ++k) {
      Result<SinkPosition> at = graph.sinks[k].sink->Checkpoint();
      if (at.ok()) {
        positions.push_back(std::move(at).value());
      } else {
        status = at.error();
      }
    }
    if (status.ok()) status = graph.checkpoints->Complete(positions);
  }
  for (std::size_t k = 0; k < graph.sinks.size(); ++k) {
    if (status.ok()) {
      status = graph.sinks[k].sink->Close();
    } else {
      graph.sinks[k].sink->Abort();
    }
  }
  if (!status.ok()) return std::move(status).error();
  return stats;
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

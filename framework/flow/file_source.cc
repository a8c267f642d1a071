#include "framework/flow/file_source.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "framework/core/xxh3.h"

namespace ringflow::flow {

// Remembers the path of every file the reader takes, so that the file's first and end messages
// can carry it. Runs on the I/O thread, like the handler that hands the path on.
class FileSourceNode::PathRecorder final : public uring::FileSource {
 public:
  PathRecorder(uring::FileSource* inner, FileSourceNode* node) : inner_(inner), node_(node) {}
  Pull Next(uring::ReadJob* job, bool idle) override {
    const Pull pull = inner_->Next(job, idle);
    if (pull == Pull::kJob) node_->paths_[job->id] = job->path;
    return pull;
  }

 private:
  uring::FileSource* inner_;
  FileSourceNode* node_;
};

class FileSourceNode::Handler final : public uring::ReadHandler {
 public:
  // `content`: the pool compressed files are decoded into (null: every file passes as stored).
  Handler(FileSourceNode* node, Node::gateway_type* gateway, uring::BufferPool* content)
      : node_(node), gateway_(gateway), content_(content) {}

  // A file's last chunk (the reader saw the end right after it) waits here for the file's end,
  // and the two go as one message: a small file costs one message, not two. Only a last chunk
  // waits: the reader needs no buffer before that file's end, so holding it cannot starve the
  // reader (a chunk that might be followed by more would: the read that finds the end needs a
  // buffer).
  void OnChunk(uring::FileChunk&& chunk) override {
    // A held chunk is another file's last (a compressed file never holds one): it goes first.
    if (held_) node_->Emit(std::move(*std::exchange(held_, std::nullopt)), *gateway_);
    if (content_ != nullptr) {
      if (chunk.offset == 0) Classify(chunk);
      if (auto it = decoding_.find(chunk.file_id); it != decoding_.end()) {
        node_->stats_.bytes += chunk.length;
        Decode(chunk.file_id, it->second,
               std::span<const std::byte>(chunk.lease.data(), chunk.length));
        return;  // the stored chunk's buffer goes back to the pool here
      }
      if (refused_.count(chunk.file_id) != 0) {
        node_->stats_.bytes += chunk.length;
        return;
      }
    }
    Chunk c;
    c.file_id = chunk.file_id;
    c.offset = chunk.offset;
    c.length = chunk.length;
    c.lease = uring::Share(std::move(chunk.lease));
    if (c.offset == 0) c.path = PathOf(c.file_id);  // the file's first message
    ++node_->stats_.chunks;
    node_->stats_.bytes += c.length;
    if (chunk.last) {
      held_.emplace(std::move(c));
    } else {
      node_->Emit(std::move(c), *gateway_);
    }
  }

  void OnFileDone(uint64_t file_id, const Status& status, uint64_t bytes) override {
    OnFileEnd({file_id, status, bytes, uring::FileEnd::kUnknownSize});
  }

  void OnFileEnd(const uring::FileEnd& end) override {
    const uint64_t file_id = end.file_id;
    const Status& status = end.status;
    Chunk c;
    if (auto it = decoding_.find(file_id); it != decoding_.end()) {
      c.file_id = file_id;
      EndDecoding(it->second, status.ok(), c);
      decoding_.erase(it);
    }
    if (!c.compression.empty()) {
      if (held_) node_->Emit(std::move(*std::exchange(held_, std::nullopt)), *gateway_);
    } else if (held_ && held_->file_id == file_id) {
      c = std::move(*std::exchange(held_, std::nullopt));
    } else if (held_) {
      node_->Emit(std::move(*std::exchange(held_, std::nullopt)), *gateway_);
    }
    c.file_id = file_id;
    c.end = true;
    c.file_bytes = end.bytes;
    if (!status.ok()) {
      c.error = status.error();
    } else if (auto it = refused_.find(file_id); it != refused_.end()) {
      c.error = std::move(it->second);
    }
    refused_.erase(file_id);
    if (end.shrank()) {
      c.shrank = true;
      c.size_at_open = end.size_at_open;
    }
    if (auto it = node_->paths_.find(file_id); it != node_->paths_.end()) {
      c.path = std::move(it->second);
      node_->paths_.erase(it);
    }
    if (c.error && c.error->path().empty() && !c.path.empty()) {
      c.error = Error(*std::move(c.error)).WithPath(c.path);
    }
    ++node_->stats_.files;
    node_->Emit(std::move(c), *gateway_);
  }

  // The held chunk stays: it needs no buffer before its file's end (see OnChunk).
  void Idle() override { node_->SendPacket(*gateway_); }

 private:
  // A compressed file being decoded.
  struct Decoding {
    codec::Decoder decoder;
    Xxh3 stored;                              // of the stored bytes
    std::shared_ptr<const std::string> head;  // for the file's first message, then null
    std::optional<Error> error;               // damage met: the rest of the file is dropped
  };

  // The path of a file being read ("" for one the recorder did not see).
  std::string PathOf(uint64_t file_id) const {
    const auto it = node_->paths_.find(file_id);
    return it != node_->paths_.end() ? it->second : std::string();
  }

  // A file's first chunk: its format from its first bytes. A compressed file that can be decoded
  // gets a decoder; one that cannot, or a name that promises a format the bytes do not have, is
  // refused (its chunks dropped, its end failed).
  void Classify(const uring::FileChunk& chunk) {
    const std::span<const std::byte> data(chunk.lease.data(), chunk.length);
    const auto path = node_->paths_.find(chunk.file_id);
    const codec::Verdict verdict =
        codec::Judge(data, path != node_->paths_.end() ? path->second : std::string_view());
    if (!verdict.refusal.empty()) {
      refused_.emplace(chunk.file_id, Error(ErrorCode::kInvalidArgument, verdict.refusal));
      return;
    }
    if (verdict.compression == codec::Compression::kNone) return;
    Result<codec::Decoder> decoder =
        codec::Decoder::Create(verdict.compression, node_->options_.decoder);
    if (!decoder.ok()) {
      refused_.emplace(chunk.file_id, decoder.error());
      return;
    }
    auto head = std::make_shared<std::string>(reinterpret_cast<const char*>(data.data()),
                                              std::min(data.size(), kStoredHeadBytes));
    decoding_.emplace(chunk.file_id,
                      Decoding{std::move(decoder).value(), Xxh3(), std::move(head), std::nullopt});
    ++node_->stats_.compressed_files;
  }

  // Feeds `input` (a stored chunk, or nothing to drain) to the file's decoder and emits the
  // content in buffers of the content pool, waiting for one when all are in the graph.
  void Decode(uint64_t file_id, Decoding& d, std::span<const std::byte> input) {
    d.stored.Update(input.data(), input.size());
    const std::atomic<bool>* stop = node_->options_.reader.stop;
    for (;;) {
      if (d.error) return;
      // A stop ends a long decode (a bomb with no limit) as the reader ends its reads.
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
        d.error = Error(ErrorCode::kCancelled, "interrupted");
        return;
      }
      uring::Lease out = AcquireContent();
      Result<codec::DecodeStep> step = d.decoder.Decode(input, out.span());
      if (!step.ok()) {
        d.error = step.error();
        continue;
      }
      input = input.subspan(step->consumed);
      const bool full = step->produced == out.capacity();
      if (step->produced > 0) {
        Chunk c;
        c.file_id = file_id;
        c.offset = d.decoder.content_bytes() - step->produced;
        c.length = static_cast<uint32_t>(step->produced);
        c.lease = uring::Share(std::move(out));
        c.compression = codec::CompressionName(d.decoder.compression());
        c.stored_end = d.decoder.compressed_bytes();
        if (d.head) c.path = PathOf(file_id);  // the file's first message
        c.stored_head = std::move(d.head);
        ++node_->stats_.chunks;
        node_->stats_.content_bytes += c.length;
        node_->Emit(std::move(c), *gateway_);
      }
      if (!full && input.empty()) return;
    }
  }

  // The file's end: drains the decoder and fills `end` (its compression, content size, stored
  // hash when `whole`, and the damage if any).
  void EndDecoding(Decoding& d, bool whole, Chunk& end) {
    if (whole) Decode(end.file_id, d, {});
    end.compression = codec::CompressionName(d.decoder.compression());
    end.stored_end = d.decoder.compressed_bytes();
    end.stored_head = std::move(d.head);
    end.content_bytes = d.decoder.content_bytes();
    if (!whole) return;
    end.stored_xxh3 = d.stored.Digest();
    if (!d.error) {
      if (Status finished = d.decoder.Finish(); !finished.ok()) d.error = finished.error();
    }
    if (d.error) refused_.emplace(end.file_id, std::move(*d.error));
  }

  // A buffer of the content pool. When none is free, the packet being filled goes into the graph
  // first (its chunks may hold the buffers), then the I/O thread waits for a consumer to let go.
  uring::Lease AcquireContent() {
    if (std::optional<uring::Lease> lease = content_->TryAcquire()) return std::move(*lease);
    node_->SendPacket(*gateway_);
    for (;;) {
      if (std::optional<uring::Lease> lease = content_->Acquire(std::chrono::milliseconds(100))) {
        return std::move(*lease);
      }
    }
  }

 public:
  // After the reader's run: a chunk still held (the engine failed before its file's end), and
  // the packet being filled.
  void FlushHeld() {
    if (held_) node_->Emit(std::move(*std::exchange(held_, std::nullopt)), *gateway_);
    node_->SendPacket(*gateway_);
  }

 private:
  FileSourceNode* node_;
  Node::gateway_type* gateway_;
  uring::BufferPool* const content_;
  std::optional<Chunk> held_;
  std::unordered_map<uint64_t, Decoding> decoding_;  // by file id
  std::unordered_map<uint64_t, Error> refused_;      // files failed before their end, by id
};

FileSourceNode::FileSourceNode(tbb::flow::graph& graph, uring::FileSource* source,
                               const SourceOptions& options, PacketReleased packet_released)
    : source_(source),
      options_([&] {
        SourceOptions o = options;
        o.max_messages = std::max(o.max_messages, o.buffers);
        if (o.max_packets == 0) o.max_packets = o.max_messages;
        return o;
      }()),
      packet_released_(std::move(packet_released)),
      node_(graph, tbb::flow::serial,
            [this](const tbb::flow::continue_msg&, Node::gateway_type& gateway) {
              // Runs on a oneTBB worker: hand the work to the I/O thread and return at once.
              // reserve_wait keeps wait_for_all waiting until the I/O thread is done.
              gateway.reserve_wait();
              io_thread_ = std::thread([this, &gateway] {
                pthread_setname_np(pthread_self(), "ringflow-io");  // for top and perf
                Run(gateway);
                gateway.release_wait();
              });
            }) {}

FileSourceNode::~FileSourceNode() {
  if (io_thread_.joinable()) io_thread_.join();
}

void FileSourceNode::Start() { node_.try_put(tbb::flow::continue_msg()); }

void FileSourceNode::Emit(Chunk&& chunk, Node::gateway_type& gateway) {
  {
    std::unique_lock lock(mu_);
    if (alive_ >= options_.max_messages && packet_ != nullptr) {
      // The packet's chunks count as alive: send them before waiting for consumers to let go.
      lock.unlock();
      SendPacket(gateway);
      lock.lock();
    }
    if (alive_ >= options_.max_messages) {
      // Full: sleep until a quarter of the messages are gone (hysteresis: one wake-up per
      // released message would ping-pong with the consumers), but no longer than 2 ms at a
      // time, and go on as soon as one slot is free after that.
      ++waiters_;
      wake_at_ = options_.max_messages - std::max(1u, options_.max_messages / 4);
      while (!released_.wait_for(lock, std::chrono::milliseconds(2), [&] {
        return alive_ <= wake_at_;
      }) && alive_ >= options_.max_messages) {
      }
      wake_at_ = options_.max_messages;
      --waiters_;
    }
    ++alive_;
    stats_.peak_messages = std::max(stats_.peak_messages, alive_);
  }
  chunk.seq = next_seq_++;
  ++stats_.messages;
  if (options_.checkpoint_bytes > 0) {
    bytes_since_cut_ += chunk.length;
    const auto now = std::chrono::steady_clock::now();
    if (chunk.seq == 0 || bytes_since_cut_ >= options_.checkpoint_bytes ||
        now - last_cut_ >= options_.checkpoint_interval) {
      chunk.checkpoint = true;
      bytes_since_cut_ = 0;
      last_cut_ = now;
    }
  }
  if (packet_ == nullptr) {
    packet_ = std::make_shared<Packet>();
    packet_life_ = new PacketLife();
  }
  packet_life_->chunks.fetch_add(1, std::memory_order_relaxed);
  // The deleter runs on whichever thread drops the last reference: it frees the chunk (and so
  // returns its buffer to the pool), reports the packet released if this was its last chunk, and
  // only then counts the message as gone (which lets the I/O thread finish). A packet's chunks
  // all live until the packet is sent, so its count only falls once it is complete.
  ChunkPtr ptr(new Chunk(std::move(chunk)), [this, life = packet_life_](const Chunk* c) {
    delete c;
    if (life->chunks.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete life;
      if (packet_released_) packet_released_();
    }
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      --alive_;
      wake = waiters_ > 0 && alive_ <= wake_at_;
    }
    // Only the I/O thread ever waits: skip the wake-up (a futex call) when it is not waiting.
    if (wake) released_.notify_all();
  });
  packet_bytes_ += ptr->length;
  packet_->chunks.push_back(std::move(ptr));
  // A cut ends its packet: a sink reports the cut after its whole packet (PipelineGraph).
  if (packet_->chunks.size() >= options_.packet_chunks || packet_bytes_ >= options_.packet_bytes ||
      packet_->chunks.back()->checkpoint) {
    SendPacket(gateway);
  }
}

void FileSourceNode::SendPacket(Node::gateway_type& gateway) {
  if (packet_ == nullptr) return;
  packet_->seq = stats_.packets++;
  packet_bytes_ = 0;
  packet_life_ = nullptr;  // the packet's chunks own it now
  gateway.try_put(PacketPtr(std::exchange(packet_, nullptr)));
}

void FileSourceNode::Run(Node::gateway_type& gateway) {
  // The pool, engine and reader live on this thread (the ring's single issuer). The pool is
  // destroyed last and only after every message — and so every lease — has been released.
  auto pool = uring::BufferPool::Create(options_.buffer_size, options_.buffers, 4096,
                                        options_.slice_size, options_.slices);
  if (!pool.ok()) {
    status_ = pool.error();
    return;
  }
  // Content buffers (compressed files): the kernel never writes them, so a plain pool; like the
  // other, destroyed only after every message is released.
  std::unique_ptr<uring::BufferPool> content;
  if (options_.decompress) {
    auto made = uring::BufferPool::Create(options_.content_buffer_size,
                                          std::max(options_.content_buffers, 2u));
    if (!made.ok()) {
      status_ = made.error();
      return;
    }
    content = std::move(made).value();
  }
  {
    auto engine = uring::Engine::Create(options_.engine, pool->get());
    if (!engine.ok()) {
      status_ = engine.error();
      return;
    }
    uring::FileReader reader(engine->get(), pool->get(), options_.reader);
    Handler handler(this, &gateway, content.get());
    PathRecorder source(source_, this);
    status_ = reader.Run(source, handler);
    handler.FlushHeld();
  }
  std::unique_lock lock(mu_);
  ++waiters_;
  wake_at_ = 0;
  released_.wait(lock, [&] { return alive_ == 0; });
  --waiters_;
}

}  // namespace ringflow::flow

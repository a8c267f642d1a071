#include "framework/flow/file_source.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "framework/core/xxh3.h"

namespace ringflow::flow {
namespace {

// A compressed file being decoded: by the I/O thread, or by one decoder thread at a time.
struct Decoding {
  uint64_t file_id = 0;
  codec::Decoder decoder;
  Xxh3 stored;                              // of the stored bytes
  std::shared_ptr<const std::string> head;  // for the file's first message, then null
  std::string path;                         // for the file's first message
  std::optional<Error> error;               // damage met: the rest of the file is dropped
};

// Feeds `input` (a stored chunk, or nothing to drain) to the file's decoder and hands each piece
// of content to put(Chunk&&), in a buffer from acquire(); unused() is called for a buffer that
// got no content.
template <typename Acquire, typename Put, typename Unused>
void DecodeInto(Decoding& d, std::span<const std::byte> input, const std::atomic<bool>* stop,
                Acquire&& acquire, Put&& put, Unused&& unused) {
  d.stored.Update(input.data(), input.size());
  for (;;) {
    if (d.error) return;
    // A stop ends a long decode (a bomb with no limit) as the reader ends its reads.
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      d.error = Error(ErrorCode::kCancelled, "interrupted");
      return;
    }
    uring::Lease out = acquire();
    Result<codec::DecodeStep> step = d.decoder.Decode(input, out.span());
    if (!step.ok()) {
      d.error = step.error();
      unused();
      continue;
    }
    input = input.subspan(step->consumed);
    const bool full = step->produced == out.capacity();
    if (step->produced > 0) {
      Chunk c;
      c.file_id = d.file_id;
      c.offset = d.decoder.content_bytes() - step->produced;
      c.length = static_cast<uint32_t>(step->produced);
      c.lease = uring::Share(std::move(out));
      c.compression = codec::CompressionName(d.decoder.compression());
      c.stored_end = d.decoder.compressed_bytes();
      if (d.head) c.path = d.path;  // the file's first message
      c.stored_head = std::move(d.head);
      put(std::move(c));
    } else {
      unused();
    }
    if (!full && input.empty()) return;
  }
}

// The file's end, once drained (when `whole`): fills `end` with its compression, content size,
// stored hash when `whole`, and leaves the damage, if any, in d.error.
void FillEnd(Decoding& d, bool whole, Chunk& end) {
  end.compression = codec::CompressionName(d.decoder.compression());
  end.stored_end = d.decoder.compressed_bytes();
  end.stored_head = std::move(d.head);
  end.content_bytes = d.decoder.content_bytes();
  if (!whole) return;
  end.stored_xxh3 = d.stored.Digest();
  if (!d.error) {
    if (Status finished = d.decoder.Finish(); !finished.ok()) d.error = finished.error();
  }
}

// An end message's error names the file.
void NameError(Chunk& c) {
  if (c.error && c.error->path().empty() && !c.path.empty()) {
    c.error = Error(*std::move(c.error)).WithPath(c.path);
  }
}

}  // namespace

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

// Decoder threads (SourceOptions::decode_threads) and the emission queue that keeps the node's
// messages in the order the I/O thread would have emitted them.
//
// The queue holds entries in delivery order: runs of the I/O thread's own messages (stored
// chunks, ends of plain or refused files) and one entry per compressed file, which its decoder
// fills. Ordered reading (ReaderOptions::ordered) emits only the front entry's messages and pops
// an entry once it is complete and empty; unordered reading emits any entry's messages (each
// file's stay in order: one producer per entry). Emitting takes the turn (`pumping_`): whoever
// adds a message that can go takes the turn if it is free and emits until nothing can go; if the
// turn is taken, its holder looks again under the lock before it lets go, so no message is left
// behind and no thread waits for the turn.
//
// Memory: a compressed file's stored chunks wait in its entry (bounded by the stored pool), its
// content waits in content buffers (bounded by that pool), and ordered reading gives the files
// behind the front at most `behind_limit_` content buffers together, so the front file, the only
// one that can be emitted, always gets one back in time (a pool of 2: one for the front). The
// I/O thread waits when max_messages wait in the queue, and (ordered) before a file when
// `live_limit_` files still have a decoder's state. Neither wait can hold up the front: ordered,
// every file before the one being read was delivered whole, and unordered, every queued message
// can go.
class FileSourceNode::Decoders {
 public:
  // A place in the emission order.
  struct Entry {
    bool compressed = false;  // else a run of the I/O thread's messages
    std::deque<Chunk> out;    // to emit, in order
    bool done = false;        // nothing more will be added to `out`
    // Ordered: content buffers this entry holds (queued, or being decoded into) while behind the
    // front; given back all at once when it reaches the front.
    uint32_t reserved = 0;
    // Compressed: what the I/O thread handed on and a decoder has not taken yet, and whether the
    // entry is queued for, or held by, a decoder.
    struct Input {
      uring::Lease lease;  // a stored chunk ...
      uint32_t length = 0;
      std::optional<Chunk> end;  // ... or the file's end (as the I/O thread knows it)
      bool whole = false;        // with end: the file was read to its end without error
    };
    std::deque<Input> input;
    bool scheduled = false;
    std::optional<Decoding> decoding;  // only a decoder that holds the entry touches it
  };

  Decoders(FileSourceNode* node, Node::gateway_type* gateway, uring::BufferPool* content)
      : node_(node),
        gateway_(gateway),
        content_(content),
        ordered_(node->options_.reader.ordered),
        max_queued_(node->options_.max_messages),
        behind_limit_(std::max(1u, content->count() / 2)),
        live_limit_(2 * node->options_.decode_threads + 2) {
    for (uint32_t i = 0; i < node->options_.decode_threads; ++i) {
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "ringflow-dec");
        Work();
      });
    }
  }
  // REQUIRES: Finish was called.
  ~Decoders() = default;

  // The I/O thread's calls.

  // A message of the I/O thread, after those it put before.
  void PutIo(Chunk&& c) {
    std::unique_lock lock(mu_);
    WaitForRoom(lock);
    if (io_ == nullptr) {
      entries_.push_back(std::make_unique<Entry>());
      io_ = entries_.back().get();
    }
    io_->out.push_back(std::move(c));
    ++queued_;
    Pump(lock, /*send=*/false);
  }

  // A compressed file's place in the order, after everything put before.
  Entry* Open(Decoding&& d) {
    std::unique_lock lock(mu_);
    WaitForRoom(lock);
    while (ordered_ && live_ >= live_limit_) {
      ++waiters_;
      cv_.wait(lock);
      --waiters_;
    }
    ++live_;
    if (ordered_ && io_ != nullptr) {
      io_->done = true;  // the next I/O message comes after this file
      io_ = nullptr;
      Tidy();
    }
    entries_.push_back(std::make_unique<Entry>());
    Entry* e = entries_.back().get();
    e->compressed = true;
    e->decoding.emplace(std::move(d));
    Pump(lock, /*send=*/false);
    return e;
  }

  // A stored chunk of the file (its buffer stays leased until a decoder has used it).
  void Feed(Entry* e, uring::Lease&& lease, uint32_t length) {
    Entry::Input in;
    in.lease = std::move(lease);
    in.length = length;
    Schedule(e, std::move(in));
  }

  // The file's end: `end` carries what the I/O thread knows; the decoder completes it. The entry
  // must not be used after this.
  void End(Entry* e, Chunk&& end, bool whole) {
    Entry::Input in;
    in.end.emplace(std::move(end));
    in.whole = whole;
    Schedule(e, std::move(in));
  }

  // The reader is about to wait: the packet being filled goes into the graph (unless the turn is
  // taken: its holder sends the packet when it lets go).
  void Idle() {
    std::unique_lock lock(mu_);
    if (pumping_) return;
    SendPacketLocked(lock);
  }

  // After the reader's last file: waits for the decoders, emits what is left and sends the
  // packet.
  void Finish() {
    {
      std::unique_lock lock(mu_);
      if (io_ != nullptr) {
        io_->done = true;
        io_ = nullptr;
        Tidy();
      }
      closing_ = true;
      work_cv_.notify_all();
    }
    for (std::thread& t : threads_) t.join();
    std::unique_lock lock(mu_);
    Pump(lock, /*send=*/true);
    SendPacketLocked(lock);
  }

 private:
  using Lock = std::unique_lock<std::mutex>;

  // I/O thread: queues `in` for the entry's decoder.
  void Schedule(Entry* e, Entry::Input&& in) {
    std::lock_guard lock(mu_);
    e->input.push_back(std::move(in));
    if (!e->scheduled) {
      e->scheduled = true;
      runnable_.push_back(e);
      if (idle_workers_ > 0) work_cv_.notify_one();
    }
  }

  // A decoder thread: takes the earliest scheduled entry and decodes its input until none is
  // left. It never leaves an entry that has input, so (ordered) a file behind the front never
  // keeps the front's input waiting for a decoder: the front was scheduled first.
  void Work() {
    Lock lock(mu_);
    for (;;) {
      while (runnable_.empty() && !closing_) {
        ++idle_workers_;
        work_cv_.wait(lock);
        --idle_workers_;
      }
      if (runnable_.empty()) return;
      Entry* e = runnable_.front();
      runnable_.pop_front();
      bool ended = false;
      while (!ended && !e->input.empty()) {
        std::deque<Entry::Input> batch;
        batch.swap(e->input);
        lock.unlock();
        ended = Decode(*e, batch);
        batch.clear();  // the stored buffers go back before the lock is taken again
        lock.lock();
      }
      if (!ended) e->scheduled = false;  // an ended entry may be gone already
    }
  }

  // Decodes `batch` (the entry is this thread's). True once the file's end was handled: the
  // entry then belongs to the emission side only.
  bool Decode(Entry& e, std::deque<Entry::Input>& batch) {
    Decoding& d = *e.decoding;
    const std::atomic<bool>* stop = node_->options_.reader.stop;
    auto acquire = [&] { return AcquireFor(e); };
    auto put = [&](Chunk&& c) { Push(e, std::move(c), false); };
    auto unused = [&] { Unreserve(e); };
    for (Entry::Input& in : batch) {
      if (in.end) {
        Chunk end = std::move(*in.end);
        if (in.whole) DecodeInto(d, {}, stop, acquire, put, unused);
        FillEnd(d, in.whole, end);
        if (!end.error && d.error) end.error = std::move(d.error);
        NameError(end);
        e.decoding.reset();  // its state is freed now, not when the entry is emitted
        Push(e, std::move(end), true);
        return true;
      }
      DecodeInto(d, std::span<const std::byte>(in.lease.data(), in.length), stop, acquire, put,
                 unused);
      in.lease.Reset();
    }
    return false;
  }

  // A content buffer for `e`'s decoder; ordered, an entry behind the front first waits for its
  // share (see the class comment).
  uring::Lease AcquireFor(Entry& e) {
    if (ordered_) {
      Lock lock(mu_);
      while (entries_.front().get() != &e && behind_reserved_ >= behind_limit_) {
        ++waiters_;
        cv_.wait(lock);
        --waiters_;
      }
      if (entries_.front().get() != &e) {
        ++behind_reserved_;
        ++e.reserved;
      }
    }
    if (std::optional<uring::Lease> lease = content_->TryAcquire()) return std::move(*lease);
    // Every buffer is in the graph or queued; emitted ones come back as consumers let go (the
    // turn's holder sends its packet before it lets go), and ordered, the front's share is never
    // held behind it.
    for (;;) {
      if (std::optional<uring::Lease> lease = content_->Acquire(std::chrono::milliseconds(100))) {
        return std::move(*lease);
      }
    }
  }

  // A buffer reserved for `e` went back unused.
  void Unreserve(Entry& e) {
    if (!ordered_) return;
    std::lock_guard lock(mu_);
    if (e.reserved == 0) return;  // reached the front meanwhile: nothing reserved any more
    --e.reserved;
    --behind_reserved_;
    if (waiters_ > 0) cv_.notify_all();
  }

  // A decoder's message for its entry (the last one when `done`).
  void Push(Entry& e, Chunk&& c, bool done) {
    Lock lock(mu_);
    e.out.push_back(std::move(c));
    ++queued_;
    if (done) {
      e.done = true;
      --live_;
      if (waiters_ > 0) cv_.notify_all();
    }
    Pump(lock, /*send=*/true);
  }

  // Ordered: the front entry, if it has a message; unordered: the first entry that has one.
  // REQUIRES: mu_ held.
  Entry* Ready() const {
    for (const auto& e : entries_) {
      if (!e->out.empty()) return e.get();
      if (ordered_) return nullptr;
    }
    return nullptr;
  }

  // Drops complete, emitted entries; ordered, an entry that reaches the front stops counting
  // against the share of the files behind it. REQUIRES: mu_ held.
  void Tidy() {
    bool changed = false;
    for (auto it = entries_.begin(); it != entries_.end();) {
      Entry& e = **it;
      if (e.done && e.out.empty()) {
        it = entries_.erase(it);
        changed = true;
        continue;
      }
      if (ordered_) break;
      ++it;
    }
    if (ordered_ && changed && !entries_.empty()) {
      Entry& front = *entries_.front();
      behind_reserved_ -= front.reserved;
      front.reserved = 0;
    }
    if (changed && waiters_ > 0) cv_.notify_all();
  }

  // Takes the turn if it is free and emits until nothing can go; the holder of the turn is the
  // only thread in Emit and SendPacket, and since it looks for messages under the lock before it
  // lets go of the turn, a message added while it emits is never left behind. `send`: send the
  // packet before letting go (a decoder's content must not wait in it for the I/O thread); the
  // I/O thread's own messages may wait for its Idle, as without decoders, and go out with it
  // otherwise. REQUIRES: lock held.
  void Pump(Lock& lock, bool send) {
    while (!pumping_ && Ready() != nullptr) {
      pumping_ = true;
      bool content = false;
      while (Entry* e = Ready()) {
        Chunk c = std::move(e->out.front());
        e->out.pop_front();
        --queued_;
        content |= e->compressed;
        Tidy();
        if (waiters_ > 0) cv_.notify_all();
        lock.unlock();
        node_->Emit(std::move(c), *gateway_);
        lock.lock();
      }
      if (send || content) {
        lock.unlock();
        node_->SendPacket(*gateway_);
        lock.lock();
      }
      pumping_ = false;
    }
  }

  // Sends the packet being filled, then emits what was added meanwhile (its adders saw the turn
  // taken). REQUIRES: lock held, the turn free.
  void SendPacketLocked(Lock& lock) {
    pumping_ = true;
    lock.unlock();
    node_->SendPacket(*gateway_);
    lock.lock();
    pumping_ = false;
    Pump(lock, /*send=*/false);
  }

  // I/O thread: waits while max_messages wait in the queue, which drains without the I/O thread
  // (see the class comment). REQUIRES: lock held.
  void WaitForRoom(Lock& lock) {
    bool sent = false;
    while (queued_ >= max_queued_) {
      if (!sent && !pumping_) {
        SendPacketLocked(lock);  // its chunks may be what the queue waits for
        sent = true;
        continue;
      }
      ++waiters_;
      cv_.wait(lock);
      --waiters_;
    }
  }

  FileSourceNode* const node_;
  Node::gateway_type* const gateway_;
  uring::BufferPool* const content_;
  const bool ordered_;
  const std::size_t max_queued_;
  const uint32_t behind_limit_;
  const uint32_t live_limit_;

  std::mutex mu_;
  std::condition_variable cv_;       // room in the queue, a front that moved, a share freed
  std::condition_variable work_cv_;  // an entry scheduled, or closing
  std::deque<std::unique_ptr<Entry>> entries_;  // guarded by mu_; the emission order
  Entry* io_ = nullptr;                         // guarded by mu_; the I/O run being added to
  std::deque<Entry*> runnable_;                 // guarded by mu_; entries with input and no decoder
  std::size_t queued_ = 0;                      // guarded by mu_; messages in entries' `out`
  uint32_t live_ = 0;  // guarded by mu_; compressed entries not done (each has a decoder)
  uint32_t behind_reserved_ = 0;      // guarded by mu_; content buffers held behind the front
  uint32_t waiters_ = 0;              // guarded by mu_; threads waiting on cv_
  uint32_t idle_workers_ = 0;         // guarded by mu_; decoders waiting on work_cv_
  bool pumping_ = false;              // guarded by mu_; the turn (see Pump)
  bool closing_ = false;              // guarded by mu_
  std::vector<std::thread> threads_;  // last: they use the members above
};

class FileSourceNode::Handler final : public uring::ReadHandler {
 public:
  // `content`: the pool compressed files are decoded into (null: every file passes as stored).
  // `decoders`: the threads that decode them (null: this thread decodes, and emits directly).
  Handler(FileSourceNode* node, Node::gateway_type* gateway, uring::BufferPool* content,
          Decoders* decoders)
      : node_(node), gateway_(gateway), content_(content), decoders_(decoders) {}

  // A file's last chunk (the reader saw the end right after it) waits here for the file's end,
  // and the two go as one message: a small file costs one message, not two. Only a last chunk
  // waits: the reader needs no buffer before that file's end, so holding it cannot starve the
  // reader (a chunk that might be followed by more would: the read that finds the end needs a
  // buffer).
  void OnChunk(uring::FileChunk&& chunk) override {
    // A held chunk is another file's last (a compressed file never holds one): it goes first.
    if (held_) Put(std::move(*std::exchange(held_, std::nullopt)));
    if (content_ != nullptr) {
      if (chunk.offset == 0) Classify(chunk);
      if (auto it = queued_.find(chunk.file_id); it != queued_.end()) {
        node_->stats_.bytes += chunk.length;
        decoders_->Feed(it->second, std::move(chunk.lease), chunk.length);
        return;
      }
      if (auto it = decoding_.find(chunk.file_id); it != decoding_.end()) {
        node_->stats_.bytes += chunk.length;
        Decode(it->second, std::span<const std::byte>(chunk.lease.data(), chunk.length));
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
    node_->stats_.bytes += c.length;
    if (chunk.last) {
      held_.emplace(std::move(c));
    } else {
      Put(std::move(c));
    }
  }

  void OnFileDone(uint64_t file_id, const Status& status, uint64_t bytes) override {
    OnFileEnd({file_id, status, bytes, uring::FileEnd::kUnknownSize});
  }

  void OnFileEnd(const uring::FileEnd& end) override {
    const uint64_t file_id = end.file_id;
    const Status& status = end.status;
    Chunk c;
    if (auto it = queued_.find(file_id); it != queued_.end()) {
      // Its decoder completes the end message: content drained, hash, damage.
      if (held_) Put(std::move(*std::exchange(held_, std::nullopt)));
      MarkEnd(end, c);
      decoders_->End(it->second, std::move(c), status.ok());
      queued_.erase(it);
      return;
    }
    if (auto it = decoding_.find(file_id); it != decoding_.end()) {
      c.file_id = file_id;
      EndDecoding(it->second, status.ok(), c);
      decoding_.erase(it);
    }
    if (!c.compression.empty()) {
      if (held_) Put(std::move(*std::exchange(held_, std::nullopt)));
    } else if (held_ && held_->file_id == file_id) {
      c = std::move(*std::exchange(held_, std::nullopt));
    } else if (held_) {
      Put(std::move(*std::exchange(held_, std::nullopt)));
    }
    MarkEnd(end, c);
    if (auto it = refused_.find(file_id); it != refused_.end()) {
      if (status.ok()) c.error = std::move(it->second);
      refused_.erase(it);
    }
    NameError(c);
    Put(std::move(c));
  }

  // The held chunk stays: it needs no buffer before its file's end (see OnChunk).
  void Idle() override {
    if (decoders_ != nullptr) {
      decoders_->Idle();
    } else {
      node_->SendPacket(*gateway_);
    }
  }

 private:
  // A message of this thread's: into the graph, or (with decoders) into the emission order.
  void Put(Chunk&& c) {
    if (decoders_ != nullptr) {
      decoders_->PutIo(std::move(c));
    } else {
      node_->Emit(std::move(c), *gateway_);
    }
  }

  // Makes `c` the end message of the file `end` tells of: its bytes, a shrink, the reader's error
  // if any, and its path (the recorder forgets it); counts the file.
  void MarkEnd(const uring::FileEnd& end, Chunk& c) {
    c.file_id = end.file_id;
    c.end = true;
    c.file_bytes = end.bytes;
    if (!end.status.ok()) c.error = end.status.error();
    if (end.shrank()) {
      c.shrank = true;
      c.size_at_open = end.size_at_open;
    }
    if (auto it = node_->paths_.find(end.file_id); it != node_->paths_.end()) {
      c.path = std::move(it->second);
      node_->paths_.erase(it);
    }
    ++node_->stats_.files;
  }

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
    Decoding d{chunk.file_id,
               std::move(decoder).value(),
               Xxh3(),
               std::make_shared<std::string>(reinterpret_cast<const char*>(data.data()),
                                             std::min(data.size(), kStoredHeadBytes)),
               PathOf(chunk.file_id),
               std::nullopt};
    if (decoders_ != nullptr) {
      queued_.emplace(chunk.file_id, decoders_->Open(std::move(d)));
    } else {
      decoding_.emplace(chunk.file_id, std::move(d));
    }
    ++node_->stats_.compressed_files;
  }

  // Decodes `input` (a stored chunk, or nothing to drain) on this thread and emits the content
  // in buffers of the content pool, waiting for one when all are in the graph.
  void Decode(Decoding& d, std::span<const std::byte> input) {
    DecodeInto(
        d, input, node_->options_.reader.stop, [&] { return AcquireContent(); },
        [&](Chunk&& c) { node_->Emit(std::move(c), *gateway_); }, [] {});
  }

  // The file's end: drains the decoder and fills `end` (its compression, content size, stored
  // hash when `whole`, and the damage if any).
  void EndDecoding(Decoding& d, bool whole, Chunk& end) {
    if (whole) Decode(d, {});
    FillEnd(d, whole, end);
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
    if (held_) Put(std::move(*std::exchange(held_, std::nullopt)));
    if (decoders_ != nullptr) {
      decoders_->Finish();
    } else {
      node_->SendPacket(*gateway_);
    }
  }

 private:
  FileSourceNode* node_;
  Node::gateway_type* gateway_;
  uring::BufferPool* const content_;
  Decoders* const decoders_;
  std::optional<Chunk> held_;
  std::unordered_map<uint64_t, Decoding> decoding_;        // by file id, decoded on this thread
  std::unordered_map<uint64_t, Decoders::Entry*> queued_;  // by file id, for the decoders
  std::unordered_map<uint64_t, Error> refused_;            // files failed before their end, by id
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
  if (chunk.lease) ++stats_.chunks;
  if (!chunk.compression.empty()) stats_.content_bytes += chunk.length;
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
    std::optional<Decoders> decoders;
    if (content != nullptr && options_.decode_threads > 0) {
      decoders.emplace(this, &gateway, content.get());
    }
    Handler handler(this, &gateway, content.get(), decoders ? &*decoders : nullptr);
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

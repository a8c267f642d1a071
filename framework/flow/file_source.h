// FileSourceNode: the io_uring source of a flow graph. An engine and a FileReader run on an I/O
// thread of their own (no oneTBB worker ever blocks in the kernel) and hand every chunk to the
// graph through an async_node gateway, in file order, with a global sequence number; consecutive
// chunks travel together as a Packet (up to packet_chunks chunks or packet_bytes bytes, or what
// the reader had ready before it waits again: it never waits with a packet held back). Memory is
// bounded twice: chunks hold pool buffers (the reader waits when all are leased), and at most
// `max_messages` messages (chunks and end markers) are alive at once — the I/O thread waits until
// consumers let go. When the last chunk of a packet is released, the node calls the
// `packet_released` hook (the pipeline's limiter_node counts packets in flight with it). The pool
// lives until the last message is released. Compressed files are decoded by decoder threads of
// the node's own (SourceOptions::decode_threads) or on the I/O thread; either way the node emits
// the same messages in the same order.
// Thread-safety: construct, Start and read results from one thread; the graph calls the rest.
#pragma once

#include <oneapi/tbb/flow_graph.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "framework/codec/codec.h"
#include "framework/core/result.h"
#include "framework/flow/chunk.h"
#include "framework/uring/engine.h"
#include "framework/uring/file_reader.h"

namespace ringflow::flow {

struct SourceOptions {
  uring::EngineOptions engine;
  uring::ReaderOptions reader;
  std::size_t buffer_size = 64 * 1024;
  uint32_t buffers = 64;
  // Smaller buffers for files' first reads (BufferPool's slices): a tree of small files then keeps
  // many files in flight without a whole buffer each. 0: none.
  std::size_t slice_size = 0;
  uint32_t slices = 0;
  // Messages alive at once (chunks plus end markers); at least `buffers`. The I/O thread waits at
  // this bound, which is what bounds memory: end markers hold no pool buffer, and a pipeline's
  // limiter_node (max_packets) can only hold packets back in a queue before it, not stop the
  // thread that makes them.
  uint32_t max_messages = 128;
  // Packets the pipeline lets into its stages at once (its limiter_node's threshold); 0:
  // max_messages, which the source's own bound already implies (every packet in the stages holds
  // at least one live message), so the limiter then never holds a packet back.
  uint32_t max_packets = 0;
  // Checkpoint cuts (Chunk::checkpoint): after the first message, and then after a message once
  // this many bytes were emitted since the last cut or checkpoint_interval has passed. 0: none.
  uint64_t checkpoint_bytes = 0;
  std::chrono::milliseconds checkpoint_interval{1000};
  // A packet is sent once it holds this many chunks or bytes (or a checkpoint cut), and whenever
  // the reader is about to wait. 1: every chunk travels alone. Small packets keep a task's records
  // and output in the cache and hand slices back sooner (bench/NOTES.md has the figures).
  uint32_t packet_chunks = 64;
  std::size_t packet_bytes = 32 * 1024;
  // Compressed files: with `decompress`, a file whose first bytes are gzip, zstd, bzip2, xz or
  // lz4 (codec::Sniff, never the name) is decoded (by decode_threads, or on the I/O thread), in
  // order, into buffers of a second pool (content_buffers of content_buffer_size, unregistered),
  // and its messages carry the content (Chunk::compression). A decoder waits for that pool as
  // the reader waits for the other, so a file of any ratio is decoded in bounded memory. A file
  // whose first bytes are a format ringflow does not decode (zip), or whose name says gzip,
  // zstd, bzip2, xz or lz4 while its bytes are not, fails with a message naming the format;
  // damage in a compressed file fails it after the content before the damage. Without
  // `decompress` every file passes as stored.
  bool decompress = false;
  // Threads of the node's own that decode compressed files, so that different files decode on
  // different cores while the I/O thread reads on; each file is decoded by one thread at a time,
  // in order, and the node emits exactly the messages, in the order, that decoding on the I/O
  // thread gives (`reader.ordered`; unordered, each file's messages stay in order). Decoders
  // block on the content pool, which only graph consumers refill, so they are not oneTBB
  // workers. 0: decode on the I/O thread. The default, 2, decodes two files at once: on two
  // cores a decode-bound run gains by it and a parse-bound one loses nothing (the graph's workers
  // take the cores the decoders leave); more pay off only where cores outnumber them.
  uint32_t decode_threads = 2;
  uint32_t content_buffers = 32;
  std::size_t content_buffer_size = 128 * 1024;
  codec::DecoderOptions decoder;
};

struct SourceStats {
  uint64_t messages = 0;  // chunks, end markers included
  uint64_t packets = 0;   // graph messages: packets of messages
  uint64_t chunks = 0;    // messages with data
  uint64_t files = 0;
  uint64_t bytes = 0;             // read from storage (compressed files as stored)
  uint64_t compressed_files = 0;  // decoded (SourceOptions::decompress)
  uint64_t content_bytes = 0;     // their content
  uint32_t peak_messages = 0;     // most messages (not packets) alive at once
};

class FileSourceNode {
 public:
  using Node = tbb::flow::async_node<tbb::flow::continue_msg, PacketPtr>;

  // Called once per packet, on whichever thread releases the packet's last chunk, before that
  // chunk counts as released: so before the I/O thread finishes and wait_for_all returns, and
  // the hook may still touch the graph's nodes.
  using PacketReleased = std::function<void()>;

  // `source` gives the files (it must outlive the node); ids in ReadJob come back in chunks.
  FileSourceNode(tbb::flow::graph& graph, uring::FileSource* source, const SourceOptions& options,
                 PacketReleased packet_released = nullptr);
  // Waits for the I/O thread. REQUIRES: the graph has finished (wait_for_all returned).
  ~FileSourceNode();
  FileSourceNode(const FileSourceNode&) = delete;
  FileSourceNode& operator=(const FileSourceNode&) = delete;

  // Connect successors to this (an async_node takes successors only through its port).
  std::tuple_element_t<0, Node::output_ports_type>& output() {
    return tbb::flow::output_port<0>(node_);
  }
  // Starts reading; returns at once. graph.wait_for_all() then waits for the whole run.
  void Start();

  // After wait_for_all: OK, or why the engine could not run (per-file problems travel in-band).
  const Status& status() const { return status_; }
  const SourceStats& stats() const { return stats_; }
  // The options in effect: max_messages at least buffers, max_packets set.
  const SourceOptions& options() const { return options_; }

 private:
  class Handler;
  class PathRecorder;
  class Decoders;
  // The live chunks of one packet: the last one to go calls packet_released_.
  struct PacketLife {
    std::atomic<uint32_t> chunks{0};
  };
  void Run(Node::gateway_type& gateway);
  // Adds `chunk` to the packet being filled, wrapped so that its release is counted; first waits
  // while max_messages are alive. Sends the packet when it is full.
  void Emit(Chunk&& chunk, Node::gateway_type& gateway);
  // Puts the packet being filled (if any) into the graph.
  void SendPacket(Node::gateway_type& gateway);

  uring::FileSource* const source_;
  const SourceOptions options_;
  const PacketReleased packet_released_;
  Status status_;
  SourceStats stats_;
  uint64_t next_seq_ = 0;
  std::shared_ptr<Packet> packet_;                    // being filled (I/O thread)
  PacketLife* packet_life_ = nullptr;                 // its chunks' count (I/O thread)
  std::size_t packet_bytes_ = 0;                      // its bytes
  uint64_t bytes_since_cut_ = 0;                      // I/O thread
  std::chrono::steady_clock::time_point last_cut_{};  // I/O thread
  std::unordered_map<uint64_t, std::string> paths_;   // files being read, by id (I/O thread)

  std::mutex mu_;
  std::condition_variable released_;
  uint32_t alive_ = 0;    // guarded by mu_
  uint32_t waiters_ = 0;  // guarded by mu_: the I/O thread is waiting on released_
  uint32_t wake_at_ = 0;  // guarded by mu_: wake the waiting I/O thread when alive_ <= this

  std::thread io_thread_;
  Node node_;  // last: its body refers to the members above
};

}  // namespace ringflow::flow

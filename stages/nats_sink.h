// The "nats" sink: publishes records to a NATS JetStream stream as NDJSON payloads (each record
// is the line the json sink writes for it), acknowledged, with deterministic message ids, so that
// a run resumed from a checkpoint (--resume) leaves the stream holding every record exactly once,
// in per-file order, as long as the resume comes within the stream's duplicate window.
//
// Payloads: per input file, greedy packing from the file's record 0: a message takes records
// while its payload stays within batch_bytes (a record larger goes alone; 0: one record per
// message), and never spans two files. Boundaries depend only on the file's records.
// Message id (header Nats-Msg-Id): "<16 hex of key>-<index of the message's first record in the
// file>-<record count>", key = XXH3-64 over the file's path, a NUL and its first stored bytes (up
// to 1 KiB: the first chunk's data, or Chunk::stored_head for a compressed file). The same file
// gives the same ids in a resumed run; a changed file gives new ones (at least once, never lost).
//
// Acknowledgements: at most max_pending messages await one; the sink's calls block while that
// many do (the source waits, nothing is dropped). A message that fails (the connection lost, no
// responders, no acknowledgement within ack_timeout) makes the sink go back: it publishes no new
// message until none is in flight, then publishes again, in order, every unacknowledged message
// from the first one (the stream drops those it already holds as duplicates), for up to
// retry_for without any acknowledgement; then the run fails. A PubAck error (the stream full, ...)
// fails the run at once. The connection is the sink's own: libnats' reconnection is off (it would
// replay a hidden buffer after the messages lost with the socket, out of order); the sink
// reconnects itself.
// Thread-compatible: the pipeline calls one method at a time; everything runs on its thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"

namespace ringflow::stages {

// The sink's settings (the "nats" sink's parameters, parsed).
struct NatsSinkOptions {
  std::string url;                   // as given, for messages: "nats://a:4222,nats://b:4222"
  std::vector<std::string> servers;  // url split at commas
  std::string subject;
  std::string stream;  // empty: the stream that holds `subject`
  bool create_stream = false;
  std::vector<std::string> stream_subjects;  // for create_stream; empty: {subject}
  bool memory_storage = false;
  int64_t replicas = 1;
  std::chrono::microseconds duplicate_window = std::chrono::minutes(2);
  std::string user, password, token, credentials, nkey, nkey_seed;
  std::string tls_ca, tls_cert, tls_key;
  uint64_t batch_bytes = 256 * 1024;
  uint32_t max_pending = 64;
  std::chrono::microseconds ack_timeout = std::chrono::seconds(5);
  std::chrono::microseconds retry_for = std::chrono::seconds(60);
};

// The options a sink document gives, checked (no connection): kInvalidArgument naming the
// parameter, e.g. `url: "http://x": not a nats:// or tls:// URL`, `tls_cert needs tls_key`.
Result<NatsSinkOptions> MakeNatsSinkOptions(const config::StageConfig& config);

// "nats://a:4222, b:4222" -> {"nats://a:4222", "nats://b:4222"} (a server without a scheme
// gets nats://). kInvalidArgument for an empty list or entry, or a scheme other than nats://
// and tls://.
Result<std::vector<std::string>> SplitNatsUrls(std::string_view url);

// The message-id key of a file: XXH3-64 of `path`, a NUL and the first min(1 KiB, head.size())
// bytes of `head` (its first stored bytes).
uint64_t NatsFileKey(std::string_view path, std::span<const std::byte> head);
inline constexpr std::size_t kNatsKeyHeadBytes = 1024;
// "<16 hex of key>-<first>-<count>".
std::string NatsMsgId(uint64_t key, uint64_t first, uint64_t count);

// Packs one file's record lines into payloads (greedy; see the header comment). Not thread-safe.
class NatsPacker {
 public:
  explicit NatsPacker(uint64_t batch_bytes) : batch_bytes_(batch_bytes) {}
  // A new file, whose next record is number `first` (0, or the records a resumed run skips).
  void Start(uint64_t first) {
    payload_.clear();
    first_ = first;
    count_ = 0;
  }
  // Whether a line of `bytes` bytes (its '\n' included) joins the payload; false: Take first.
  bool Fits(std::size_t bytes) const { return Fits(0, 0, bytes); }
  // The same for a line that would follow `lines` more lines of `pending` bytes.
  bool Fits(std::size_t pending, uint64_t lines, std::size_t bytes) const {
    return count_ + lines == 0 ||
           (batch_bytes_ > 0 && payload_.size() + pending + bytes <= batch_bytes_);
  }
  void Add(std::string_view line) { Add(line, 1); }
  // Adds `lines` lines at once (REQUIRES: each fitted, in turn).
  void Add(std::string_view text, uint64_t lines) {
    payload_.append(text);
    count_ += lines;
  }
  bool empty() const { return count_ == 0; }
  // The index in the file of the payload's first record (of the next record when empty).
  uint64_t first() const { return first_; }
  uint64_t count() const { return count_; }
  std::size_t bytes() const { return payload_.size(); }
  // Hands the payload over; the next starts at the record after it, in `buffer` (cleared: a
  // buffer of an earlier payload, so that its memory is not allocated and faulted in again).
  std::string Take(std::string buffer = {}) {
    first_ += count_;
    count_ = 0;
    buffer.clear();
    buffer.swap(payload_);
    return buffer;
  }

 private:
  uint64_t batch_bytes_;
  std::string payload_;
  uint64_t first_ = 0;
  uint64_t count_ = 0;
};

// Connects (every server of options.servers in turn), finds or creates the stream, and checks
// batch_bytes against the server's max_payload. Errors: "<url>: connection refused" (and the
// like: the server's reason), the stream missing (with how to create it), the subject in no
// stream, authentication, TLS.
Result<std::unique_ptr<flow::SinkStage>> OpenNatsSink(const NatsSinkOptions& options);

// Registers the "nats" sink. Errors as run::StageRegistry::RegisterSink.
Status RegisterNatsSink(run::StageRegistry& registry);

}  // namespace ringflow::stages

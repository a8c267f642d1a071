#include "stages/nats_sink.h"

#include <nats/nats.h>
#include <netdb.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "framework/core/json_escape.h"
#include "framework/core/xxh3.h"
#include "framework/run/checkpoint.h"
#include "framework/run/pacing.h"
#include "stages/json_writer.h"

namespace ringflow::stages {

namespace {

using Clock = std::chrono::steady_clock;

Error Invalid(std::string_view param, const std::string& message) {
  return Error(ErrorCode::kInvalidArgument, std::string(param) + ": " + message);
}

// "5s" -> milliseconds for libnats, at least 1.
int64_t Millis(std::chrono::microseconds d) {
  return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

std::string Seconds(std::chrono::microseconds d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// "Connection refused" -> "connection refused" (an acronym such as "TLS" stays).
void LowerFirst(std::string& text) {
  if (text.size() >= 2 && std::isupper(static_cast<unsigned char>(text[0])) != 0 &&
      std::isupper(static_cast<unsigned char>(text[1])) == 0) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
}

// libnats' reason for the last failure on this thread, as a message ends: "connection refused".
std::string NatsReason(natsStatus s) {
  const char* text = nats_GetLastError(nullptr);
  std::string reason = text != nullptr && *text != '\0' ? text : natsStatus_GetText(s);
  // libnats puts where it failed first: "(conn.c:1905): Authorization Violation".
  if (const std::size_t at = reason.find("): ");
      !reason.empty() && reason[0] == '(' && at != std::string::npos) {
    reason.erase(0, at + 3);
  }
  LowerFirst(reason);
  return reason;
}

// A header value: bytes outside printable ASCII (and '%') as %XX, so that no path can end the
// header or inject another.
std::string HeaderValue(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

// "" when a TCP connection to the server of `url` ("nats://[user[:password]@]host[:port]",
// port 4222 by default) opens within 2 s; else why not ("connection refused", "unknown host
// ...", "timed out").
std::string ProbeTcp(const std::string& url) {
  std::string_view rest = url;
  if (const std::size_t scheme = rest.find("://"); scheme != rest.npos) {
    rest.remove_prefix(scheme + 3);
  }
  if (const std::size_t at = rest.rfind('@'); at != rest.npos) rest.remove_prefix(at + 1);
  if (const std::size_t slash = rest.find('/'); slash != rest.npos) rest = rest.substr(0, slash);
  std::string host(rest), port = "4222";
  if (!rest.empty() && rest.front() == '[') {  // [v6 address]:port
    const std::size_t close = rest.find(']');
    host = std::string(rest.substr(1, close == rest.npos ? rest.npos : close - 1));
    if (close != rest.npos && close + 1 < rest.size() && rest[close + 1] == ':') {
      port = std::string(rest.substr(close + 2));
    }
  } else if (const std::size_t colon = rest.rfind(':'); colon != rest.npos) {
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return "unknown host " + QuoteForMessage(host) + " (" + ::gai_strerror(rc) + ")";
  }
  std::string why = "connection refused";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int ready = ::poll(&p, 1, 2000);
        socklen_t len = sizeof err;
        if (ready == 0) {
          err = ETIMEDOUT;
        } else if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
          err = errno;
        }
      }
    }
    ::close(fd);
    if (err == 0) {
      why.clear();
      break;
    }
    why = ::strerror(err);
    LowerFirst(why);
  }
  ::freeaddrinfo(found);
  return why;
}

struct Outgoing {
  enum class State { kInFlight, kFailed, kAcked };
  uint64_t seq = 0;  // the sink's message number: the last token of its reply subject
  std::string id;
  std::string payload;
  std::shared_ptr<const std::string> file;  // the Ringflow-File header
  uint64_t records = 0;
  State state = State::kInFlight;
  Clock::time_point sent;
};

class NatsSink final : public flow::SinkStage {
 public:
  explicit NatsSink(NatsSinkOptions options) : options_(std::move(options)) {}
  ~NatsSink() override {
    Disconnect();
    if (nats_options_ != nullptr) natsOptions_Destroy(nats_options_);
  }
  NatsSink(const NatsSink&) = delete;
  NatsSink& operator=(const NatsSink&) = delete;

  // Connects and finds (or creates) the stream. Errors: see OpenNatsSink.
  Status Open() {
    RINGFLOW_RETURN_IF_ERROR(MakeOptions());
    RINGFLOW_RETURN_IF_ERROR(Connect());
    RINGFLOW_RETURN_IF_ERROR(SetUpStream());
    return CheckMaxPayload();
  }

  Status Write(const flow::RecordBatch& batch) override {
    scratch_.clear();
    for (const flow::Record& record : batch.records) AppendRecordJson(scratch_, record);
    return WriteLines(batch, scratch_);
  }

  bool formats() const override { return true; }
  void Format(std::size_t, const flow::RecordBatch& batch, std::string& out) const override {
    for (const flow::Record& record : batch.records) AppendRecordJson(out, record);
  }
  Status WriteFormatted(std::size_t, const flow::RecordBatch& batch,
                        std::string_view bytes) override {
    return WriteLines(batch, bytes);
  }

  Status Prepare() override {
    RINGFLOW_RETURN_IF_ERROR(Usable());
    // Files whose end did not come (a stopped run): their rest, in file order.
    while (!files_.empty()) {
      auto first = std::min_element(files_.begin(), files_.end(),
                                    [](const auto& a, const auto& b) { return a.first < b.first; });
      cur_ = &first->second;
      if (!cur_->packer.empty()) RINGFLOW_RETURN_IF_ERROR(Seal());
      RINGFLOW_RETURN_IF_ERROR(PublishUnkeyed());
      files_.erase(first);
    }
    cur_ = nullptr;
    return Fail(Pump(0));
  }

  Status Close() override {
    if (closed_) return *closed_;
    Status s = Prepare();
    Disconnect();
    closed_ = s;
    return s;
  }

  void Abort() override {
    if (status_.ok()) status_ = Error(ErrorCode::kCancelled, "nats sink aborted");
    Disconnect();
  }

  bool checkpoints() const override { return true; }
  Result<flow::SinkPosition> Checkpoint() override {
    RINGFLOW_RETURN_IF_ERROR(Usable());
    if (cur_ != nullptr) RINGFLOW_RETURN_IF_ERROR(PublishUnkeyed());
    RINGFLOW_RETURN_IF_ERROR(Fail(Pump(0)));
    // Every message published is acknowledged: the current file's records in them are those
    // before the payload being packed (re-read by a resumed run, which packs them again into
    // the same messages).
    flow::SinkPosition at;
    at.length = acked_bytes_;
    at.file_id = file_id_;
    at.file_records = cur_ != nullptr ? cur_->packer.first() : ended_records_;
    return at;
  }
  Status Resume(const flow::SinkPosition& at) override {
    if (next_seq_ > 0 || file_id_ != UINT64_MAX) {
      return Error(ErrorCode::kInternal, "resume nats sink: it has published already");
    }
    skip_file_ = at.file_id;
    skip_total_ = at.file_records;
    skip_left_ = at.file_records;
    return OkStatus();
  }

 private:
  Status Usable() {
    if (!status_.ok()) return status_;
    if (closed_) return Error(ErrorCode::kInternal, "nats sink: closed");
    return OkStatus();
  }
  Status Fail(Status s) {
    if (!s.ok() && status_.ok()) status_ = s;
    return s;
  }

  // The lines `bytes` holds (one per record; all of `batch`'s records, or a slice of them that a
  // paced run writes as they fall due, with a batch of the same file without records), packed
  // into messages. Records are counted as lines: a record whose JSON holds a newline (a raw
  // value from a multiline record) counts as two, the same way in every run, so the positions
  // of checkpoints and the skips of resumed runs agree.
  Status WriteLines(const flow::RecordBatch& batch, std::string_view bytes) {
    RINGFLOW_RETURN_IF_ERROR(Usable());
    RINGFLOW_RETURN_IF_ERROR(Track(batch));
    auto line_end = [](std::string_view text, std::size_t from) {
      const void* nl = std::memchr(text.data() + from, '\n', text.size() - from);
      return nl == nullptr
                 ? text.size()
                 : static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) + 1;
    };
    while (!bytes.empty()) {
      if (skip_left_ > 0 && file_id_ == skip_file_) {
        --skip_left_;  // a resumed file's line that the stream holds already
        bytes.remove_prefix(line_end(bytes, 0));
        continue;
      }
      // The lines that join the payload, added at once.
      std::size_t run = 0;
      uint64_t lines = 0;
      while (run < bytes.size()) {
        const std::size_t end = line_end(bytes, run);
        if (!cur_->packer.Fits(run, lines, end - run)) break;
        run = end;
        ++lines;
      }
      if (lines == 0) {
        RINGFLOW_RETURN_IF_ERROR(Seal());  // the next line does not fit: it starts the next
        continue;
      }
      cur_->packer.Add(bytes.substr(0, run), lines);
      bytes.remove_prefix(run);
    }
    if (batch.end) {
      // The file's rest; its state goes.
      if (!cur_->packer.empty()) RINGFLOW_RETURN_IF_ERROR(Seal());
      RINGFLOW_RETURN_IF_ERROR(PublishUnkeyed());
      ended_records_ = cur_->packer.first();
      files_.erase(file_id_);
      cur_ = nullptr;
    }
    // Acknowledgements that came meanwhile, and timeouts, without waiting.
    if (!window_.empty()) return Fail(Pump(window_.size()));
    return OkStatus();
  }

  // Notes the batch's file: a new one starts its packing (from its start, or after the lines a
  // resumed run leaves out); its key comes from the first batch that has a chunk (its first).
  Status Track(const flow::RecordBatch& batch) {
    if (cur_ == nullptr || batch.file_id != file_id_) {
      // Files come one after another in ordered mode; unordered, their batches may alternate:
      // each file keeps its own packing until its end.
      file_id_ = batch.file_id;
      auto [it, fresh] = files_.try_emplace(file_id_, options_.batch_bytes);
      cur_ = &it->second;
      if (fresh) cur_->packer.Start(file_id_ == skip_file_ ? skip_total_ : 0);
    }
    if (cur_->key_known || batch.chunk == nullptr) return OkStatus();
    const flow::Chunk& chunk = *batch.chunk;
    std::span<const std::byte> head;
    if (chunk.stored_head) {
      head = std::as_bytes(std::span(chunk.stored_head->data(), chunk.stored_head->size()));
    } else if (chunk.offset == 0) {
      head = chunk.data();
    }
    SetKey(chunk.path, head);
    return OkStatus();
  }

  void SetKey(std::string_view path, std::span<const std::byte> head) {
    cur_->key = NatsFileKey(path, head);
    cur_->key_known = true;
    cur_->path = std::string(path);
    cur_->header = std::make_shared<const std::string>(HeaderValue(path));
  }

  // Ends the payload being packed: it is published (waiting for room among the max_pending),
  // or, while the file's key is not known yet, waits for it (a paced run's slices come before
  // the batch that carries the chunk).
  Status Seal() {
    std::string buffer;
    if (!spare_.empty()) {
      buffer = std::move(spare_.back());
      spare_.pop_back();
    } else {
      buffer.reserve(options_.batch_bytes);
    }
    Sealed sealed{cur_->packer.first(), cur_->packer.count(), cur_->packer.Take(std::move(buffer))};
    if (!cur_->key_known) {
      cur_->unkeyed.push_back(std::move(sealed));
      return OkStatus();
    }
    return PublishSealed(std::move(sealed));
  }

  // Publishes what waited for the key (with the key the file has by then, or, for a file whose
  // chunk never came, the key of no path and no bytes).
  Status PublishUnkeyed() {
    if (cur_->unkeyed.empty()) return OkStatus();
    if (!cur_->key_known) SetKey({}, {});
    std::vector<Sealed> waiting;
    waiting.swap(cur_->unkeyed);
    for (Sealed& sealed : waiting) RINGFLOW_RETURN_IF_ERROR(PublishSealed(std::move(sealed)));
    return OkStatus();
  }

  struct Sealed {
    uint64_t first = 0;
    uint64_t count = 0;
    std::string payload;
  };

  Status PublishSealed(Sealed sealed) {
    if (!cur_->unkeyed.empty()) {
      // Earlier payloads of the file go first (they waited for the key).
      std::vector<Sealed> waiting;
      waiting.swap(cur_->unkeyed);
      for (Sealed& w : waiting) RINGFLOW_RETURN_IF_ERROR(PublishSealed(std::move(w)));
    }
    const uint64_t first = sealed.first;
    const uint64_t count = sealed.count;
    std::string payload = std::move(sealed.payload);
    const std::string id = NatsMsgId(cur_->key, first, count);
    const std::size_t headers = HeaderBytes(id, *cur_->header);
    if (payload.size() + headers > max_payload_) {
      return Fail(Error(ErrorCode::kInvalidArgument,
                        ShortenForMessage(cur_->path) + ": " +
                            (count == 1 ? "record " + std::to_string(first)
                                        : "records from " + std::to_string(first)) +
                            " make a message of " + std::to_string(payload.size() + headers) +
                            " bytes with its headers, more than the server's max_payload (" +
                            std::to_string(max_payload_) + " bytes)"));
    }
    RINGFLOW_RETURN_IF_ERROR(Fail(Pump(options_.max_pending - 1)));
    Outgoing& out = window_.emplace_back();
    out.seq = next_seq_++;
    out.id = id;
    out.payload = std::move(payload);
    out.file = cur_->header;
    out.records = count;
    if (!lost_ && !retry_) {
      // After a failure the message waits for the go-back (Recover sends it in order).
      Send(out);
      run::CrashPoint("nats-published");
    } else {
      out.state = Outgoing::State::kFailed;
    }
    return OkStatus();
  }

  static std::size_t HeaderBytes(const std::string& id, const std::string& file) {
    // "NATS/1.0\r\n" "Nats-Msg-Id: <id>\r\n" "Ringflow-File: <file>\r\n" "\r\n"
    return 10 + 15 + id.size() + 17 + file.size() + 2;
  }

  // Hands `out` to the client (state in flight); a connection lost marks it failed.
  void Send(Outgoing& out) {
    out.state = Outgoing::State::kInFlight;
    out.sent = Clock::now();
    const std::string reply = inbox_ + "." + std::to_string(out.seq);
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, options_.subject.c_str(), reply.c_str(), out.payload.data(),
                                  static_cast<int>(out.payload.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", out.id.c_str());
    if (s == NATS_OK && !out.file->empty()) {
      s = natsMsgHeader_Set(msg, "Ringflow-File", out.file->c_str());
    }
    if (s == NATS_OK) s = natsConnection_PublishMsg(conn_, msg);
    natsMsg_Destroy(msg);
    if (s == NATS_OK) return;
    out.state = Outgoing::State::kFailed;
    if (s == NATS_MAX_PAYLOAD) {
      fatal_ = Error(ErrorCode::kInvalidArgument,
                     options_.url + ": a message of " + std::to_string(out.payload.size()) +
                         " bytes is more than the server's max_payload");
      return;
    }
    Lost(NatsReason(s));
  }

  void Lost(std::string reason) {
    lost_ = true;
    Problem(std::move(reason));
  }
  void Problem(std::string reason) {
    problem_ = std::move(reason);
    if (!fail_since_) fail_since_ = Clock::now();
  }

  // Returns once at most `unacked` messages await an acknowledgement, taking the
  // acknowledgements that came, failing the messages past ack_timeout and going back after a
  // failure (Recover). Errors: a PubAck error, or retry_for without an acknowledgement.
  Status Pump(std::size_t unacked) {
    for (;;) {
      RINGFLOW_RETURN_IF_ERROR(TakeReplies(0));
      if (lost_ || retry_) RINGFLOW_RETURN_IF_ERROR(Recover());
      if (window_.size() <= unacked) return OkStatus();
      RINGFLOW_RETURN_IF_ERROR(TakeReplies(WaitMillis()));
    }
  }

  // How long to wait for a reply: until the oldest message in flight times out (at most 100 ms,
  // so that a lost connection is noticed).
  int64_t WaitMillis() const {
    const Clock::time_point now = Clock::now();
    for (const Outgoing& o : window_) {
      if (o.state != Outgoing::State::kInFlight) continue;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(o.sent + options_.ack_timeout - now)
              .count();
      return std::clamp<int64_t>(left, 1, 100);
    }
    return 100;
  }

  // Takes the replies that arrived (waiting up to `wait_ms` for the first), then fails the
  // messages in flight past ack_timeout.
  Status TakeReplies(int64_t wait_ms) {
    if (conn_ != nullptr && !lost_) {
      if (natsConnection_IsClosed(conn_)) {
        Lost("connection closed");
      } else {
        for (;;) {
          // Without a wait: only what is queued (NextMsg waits at least a millisecond).
          uint64_t queued = 0;
          if (wait_ms == 0 &&
              (natsSubscription_QueuedMsgs(sub_, &queued) != NATS_OK || queued == 0)) {
            break;
          }
          natsMsg* msg = nullptr;
          const natsStatus s = natsSubscription_NextMsg(&msg, sub_, wait_ms > 0 ? wait_ms : 1);
          if (s == NATS_TIMEOUT) break;
          if (s == NATS_NO_RESPONDERS) {
            // A "503" reply: no stream takes the subject at the moment (no leader, the stream
            // gone). libnats drops the reply, and with it which message it answered: every
            // message in flight goes back (those stored come back as duplicates).
            NoResponders();
            wait_ms = 0;
            continue;
          }
          if (s != NATS_OK) {
            Lost(NatsReason(s));
            break;
          }
          Reply(msg);
          natsMsg_Destroy(msg);
          if (fatal_) return *fatal_;
          wait_ms = 0;
        }
      }
    } else if (wait_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(wait_ms, 100)));
    }
    if (fatal_) return *fatal_;
    const Clock::time_point now = Clock::now();
    for (Outgoing& o : window_) {
      if (o.state == Outgoing::State::kInFlight && now - o.sent >= options_.ack_timeout) {
        o.state = Outgoing::State::kFailed;
        retry_ = true;
        Problem("no acknowledgement within " + Seconds(options_.ack_timeout));
      }
    }
    return OkStatus();
  }

  // One reply: a PubAck (stored, or a duplicate: both success), a PubAck error (fatal), or
  // "no responders" (no stream leader at the moment: go back).
  void Reply(natsMsg* msg) {
    const char* subject = natsMsg_GetSubject(msg);
    const char* dot = std::strrchr(subject, '.');
    if (dot == nullptr || window_.empty()) return;
    const uint64_t seq = std::strtoull(dot + 1, nullptr, 10);
    const uint64_t front = window_.front().seq;
    if (seq < front || seq - front >= window_.size()) return;  // acknowledged already
    Outgoing& o = window_[seq - front];
    if (o.state == Outgoing::State::kAcked) return;
    if (natsMsg_IsNoResponders(msg)) {
      NoResponders();
      return;
    }
    rapidjson::Document doc;
    const int length = natsMsg_GetDataLength(msg);
    doc.Parse(natsMsg_GetData(msg), static_cast<std::size_t>(std::max(length, 0)));
    if (doc.HasParseError() || !doc.IsObject()) {
      fatal_ = Error(ErrorCode::kIo,
                     options_.url + ": not a JetStream acknowledgement: " +
                         QuoteForMessage(std::string_view(
                             natsMsg_GetData(msg), static_cast<std::size_t>(std::max(length, 0)))));
      return;
    }
    if (auto e = doc.FindMember("error"); e != doc.MemberEnd() && e->value.IsObject()) {
      std::string description = "error";
      int64_t code = 0, err_code = 0;
      if (auto d = e->value.FindMember("description");
          d != e->value.MemberEnd() && d->value.IsString()) {
        description = d->value.GetString();
      }
      if (auto c = e->value.FindMember("code"); c != e->value.MemberEnd() && c->value.IsInt64()) {
        code = c->value.GetInt64();
      }
      if (auto c = e->value.FindMember("err_code");
          c != e->value.MemberEnd() && c->value.IsInt64()) {
        err_code = c->value.GetInt64();
      }
      fatal_ = Error(
          err_code == JSStreamStoreFailedErr ? ErrorCode::kResourceExhausted : ErrorCode::kIo,
          "stream " + QuoteForMessage(stream_) + " refused message " + o.id + ": " + description +
              " (code " + std::to_string(code) + ", err_code " + std::to_string(err_code) + ")");
      return;
    }
    o.state = Outgoing::State::kAcked;
    fail_since_.reset();
    backoff_ = false;
    run::CrashPoint("nats-acked");
    while (!window_.empty() && window_.front().state == Outgoing::State::kAcked) {
      acked_bytes_ += window_.front().payload.size();
      acked_records_ += window_.front().records;
      ++acked_messages_;
      // Its buffer packs a later payload.
      if (spare_.size() < 4) spare_.push_back(std::move(window_.front().payload));
      window_.pop_front();
    }
  }

  void NoResponders() {
    for (Outgoing& o : window_) {
      if (o.state == Outgoing::State::kInFlight) o.state = Outgoing::State::kFailed;
    }
    retry_ = true;
    backoff_ = true;
    Problem("no stream answers for subject " + QuoteForMessage(options_.subject));
  }

  // Go back N after a failure: waits until no message is in flight (unless the connection is
  // gone, and they with it), reconnects if needed, then publishes every unacknowledged message
  // again, in order. Gives up once retry_for passed without an acknowledgement.
  Status Recover() {
    if (!fail_since_) fail_since_ = Clock::now();
    auto given_up = [&] { return Clock::now() - *fail_since_ >= options_.retry_for; };
    auto give_up = [&] {
      return Error(ErrorCode::kUnavailable, options_.url + ": no acknowledgement for " +
                                                Seconds(options_.retry_for) + " (" + problem_ +
                                                ")");
    };
    while (!lost_ && std::any_of(window_.begin(), window_.end(), [](const Outgoing& o) {
      return o.state == Outgoing::State::kInFlight;
    })) {
      if (given_up()) return give_up();
      RINGFLOW_RETURN_IF_ERROR(TakeReplies(WaitMillis()));
    }
    for (;;) {
      if (window_.empty()) {  // late acknowledgements settled everything
        retry_ = false;
        return OkStatus();
      }
      if (given_up()) return give_up();
      if (lost_) {
        if (Status connected = Connect(); !connected.ok()) {
          std::string_view reason = connected.error().message();
          if (reason.substr(0, options_.url.size() + 2) == options_.url + ": ") {
            reason.remove_prefix(options_.url.size() + 2);
          }
          Problem(std::string(reason));
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
          continue;
        }
        lost_ = false;
        ++reconnects_;
      } else if (backoff_) {
        // A moment for the stream to come back; late acknowledgements are taken meanwhile.
        backoff_ = false;
        const Clock::time_point until = Clock::now() + std::chrono::milliseconds(250);
        while (!lost_ && Clock::now() < until) {
          RINGFLOW_RETURN_IF_ERROR(TakeReplies(std::max<int64_t>(
              1, std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now())
                     .count())));
        }
        continue;
      }
      retry_ = false;
      for (Outgoing& o : window_) {
        if (o.state == Outgoing::State::kAcked) continue;
        Send(o);
        if (fatal_) return *fatal_;
        if (lost_) break;
      }
      if (!lost_) return OkStatus();
    }
  }

  Status MakeOptions() {
    natsStatus s = natsOptions_Create(&nats_options_);
    std::vector<const char*> servers;
    for (const std::string& server : options_.servers) servers.push_back(server.c_str());
    if (s == NATS_OK) {
      s = natsOptions_SetServers(nats_options_, servers.data(), static_cast<int>(servers.size()));
    }
    if (s == NATS_OK) s = natsOptions_SetNoRandomize(nats_options_, true);
    if (s == NATS_OK) s = natsOptions_SetName(nats_options_, "ringflow");
    if (s == NATS_OK) s = natsOptions_SetTimeout(nats_options_, 2000);
    // The sink reconnects itself (see the header comment).
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(nats_options_, false);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(nats_options_, 5000);
    if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(nats_options_, 2);
    if (s != NATS_OK) return Error(ErrorCode::kInternal, "nats options: " + NatsReason(s));
    if (!options_.user.empty() || !options_.password.empty()) {
      s = natsOptions_SetUserInfo(nats_options_, options_.user.c_str(), options_.password.c_str());
      if (s != NATS_OK) return Invalid("user", NatsReason(s));
    }
    if (!options_.token.empty()) {
      s = natsOptions_SetToken(nats_options_, options_.token.c_str());
      if (s != NATS_OK) return Invalid("token", NatsReason(s));
    }
    if (!options_.credentials.empty()) {
      s = natsOptions_SetUserCredentialsFromFiles(nats_options_, options_.credentials.c_str(),
                                                  nullptr);
      if (s != NATS_OK) return Invalid("credentials", NatsReason(s));
    }
    if (!options_.nkey.empty()) {
      s = natsOptions_SetNKeyFromSeed(nats_options_, options_.nkey.c_str(),
                                      options_.nkey_seed.c_str());
      if (s != NATS_OK) return Invalid("nkey_seed", NatsReason(s));
    }
    if (!options_.tls_ca.empty() || !options_.tls_cert.empty()) {
      s = natsOptions_SetSecure(nats_options_, true);
      if (s == NATS_OK && !options_.tls_ca.empty()) {
        s = natsOptions_LoadCATrustedCertificates(nats_options_, options_.tls_ca.c_str());
        if (s != NATS_OK) return Invalid("tls_ca", NatsReason(s));
      }
      if (s == NATS_OK && !options_.tls_cert.empty()) {
        s = natsOptions_LoadCertificatesChain(nats_options_, options_.tls_cert.c_str(),
                                              options_.tls_key.c_str());
        if (s != NATS_OK) return Invalid("tls_cert", NatsReason(s));
      }
      if (s != NATS_OK) return Invalid("tls_ca", NatsReason(s));
    }
    return OkStatus();
  }

  // A new connection and the subscription to its replies (the old ones closed first).
  Status Connect() {
    Disconnect();
    natsStatus s = natsConnection_Connect(&conn_, nats_options_);
    if (s != NATS_OK) {
      const std::string reason = NatsReason(s);
      conn_ = nullptr;
      // "No server available for connection": what the socket said is more useful.
      return Error(ErrorCode::kUnavailable, options_.url + ": " + ConnectReason(s, reason));
    }
    natsInbox* inbox = nullptr;
    s = natsInbox_Create(&inbox);
    if (s == NATS_OK) {
      inbox_ = inbox;
      natsInbox_Destroy(inbox);
      s = natsConnection_SubscribeSync(&sub_, conn_, (inbox_ + ".*").c_str());
    }
    // Replies are small and bounded by max_pending: no limit of the client's may drop one.
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, -1, -1);
    if (s != NATS_OK) {
      const std::string reason = NatsReason(s);
      Disconnect();
      return Error(ErrorCode::kUnavailable, options_.url + ": " + reason);
    }
    max_payload_ = static_cast<uint64_t>(std::max<int64_t>(natsConnection_GetMaxPayload(conn_), 0));
    return OkStatus();
  }

  // Why no server took the connection: libnats says only "no server available", so each
  // server's address is tried with a plain TCP connect for the socket's reason. A server that
  // accepts TCP failed in the NATS handshake (not NATS, TLS, ...): libnats' reason then.
  std::string ConnectReason(natsStatus s, const std::string& reason) const {
    // A TLS server that verifies clients closes the connection of one without a certificate
    // after the handshake, before the first PONG.
    if (options_.tls_cert.empty() && reason.starts_with("expected 'PONG', got ''") &&
        (!options_.tls_ca.empty() || options_.url.starts_with("tls://"))) {
      return "the server closed the connection after the TLS handshake (" + reason +
             "): does it verify clients? then give tls_cert and tls_key";
    }
    if (s != NATS_NO_SERVER) return reason;
    std::vector<std::string> reasons;
    for (const std::string& server : options_.servers) {
      std::string why = ProbeTcp(server);
      if (why.empty()) why = reason;
      reasons.push_back(options_.servers.size() == 1 ? why : server + ": " + why);
    }
    std::string out;
    for (const std::string& r : reasons) out += (out.empty() ? "" : "; ") + r;
    return out;
  }

  // Closes the connection first (which stops its reader thread), then frees the subscription:
  // freeing a subscription whose replies the reader is still delivering can hang libnats 3.4.
  void Disconnect() {
    if (conn_ != nullptr) natsConnection_Close(conn_);
    if (sub_ != nullptr) natsSubscription_Destroy(std::exchange(sub_, nullptr));
    if (conn_ != nullptr) natsConnection_Destroy(std::exchange(conn_, nullptr));
  }

  // The stream: the one named (created when missing, with create_stream), which must take the
  // subject; or the one that takes the subject.
  Status SetUpStream() {
    RINGFLOW_ASSIGN_OR_RETURN(std::vector<std::string> holding, StreamsOf(options_.subject));
    if (options_.stream.empty()) {
      if (holding.empty()) {
        return Error(ErrorCode::kNotFound,
                     options_.url + ": no stream takes subject " +
                         QuoteForMessage(options_.subject) +
                         "; create one (a nats sink with \"stream\" and \"create_stream\": true "
                         "in a pipeline document does it, or `nats stream add`)");
      }
      stream_ = holding.front();
      return OkStatus();
    }
    stream_ = options_.stream;
    if (std::find(holding.begin(), holding.end(), stream_) != holding.end()) return OkStatus();
    jsCtx* js = nullptr;
    natsStatus s = natsConnection_JetStream(&js, conn_, nullptr);
    if (s != NATS_OK) return Error(ErrorCode::kUnavailable, options_.url + ": " + NatsReason(s));
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&info, js, stream_.c_str(), nullptr, &jerr);
    Status result = OkStatus();
    if (s == NATS_OK) {
      result = Error(ErrorCode::kInvalidArgument,
                     options_.url + ": stream " + QuoteForMessage(stream_) +
                         " does not take subject " + QuoteForMessage(options_.subject));
    } else if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
      if (!options_.create_stream) {
        result = Error(ErrorCode::kNotFound,
                       options_.url + ": no stream " + QuoteForMessage(stream_) +
                           "; create it (\"create_stream\": true does, with subjects "
                           "stream_subjects) or name an existing one");
      } else {
        result = CreateStream(js);
      }
    } else {
      result = Error(ErrorCode::kUnavailable,
                     options_.url + ": stream " + QuoteForMessage(stream_) + ": " + NatsReason(s));
    }
    if (info != nullptr) jsStreamInfo_Destroy(info);
    jsCtx_Destroy(js);
    return result;
  }

  Status CreateStream(jsCtx* js) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = stream_.c_str();
    std::vector<const char*> subjects;
    for (const std::string& subject : options_.stream_subjects) subjects.push_back(subject.c_str());
    if (subjects.empty()) subjects.push_back(options_.subject.c_str());
    config.Subjects = subjects.data();
    config.SubjectsLen = static_cast<int>(subjects.size());
    config.Storage = options_.memory_storage ? js_MemoryStorage : js_FileStorage;
    config.Replicas = options_.replicas;
    config.Duplicates =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.duplicate_window).count();
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = js_AddStream(&info, js, &config, nullptr, &jerr);
    if (info != nullptr) jsStreamInfo_Destroy(info);
    if (s != NATS_OK) {
      return Error(ErrorCode::kUnavailable, options_.url + ": create stream " +
                                                QuoteForMessage(stream_) + ": " + NatsReason(s));
    }
    // Its subjects may not take ours (stream_subjects without it).
    RINGFLOW_ASSIGN_OR_RETURN(std::vector<std::string> holding, StreamsOf(options_.subject));
    if (std::find(holding.begin(), holding.end(), stream_) == holding.end()) {
      return Error(ErrorCode::kInvalidArgument,
                   "stream_subjects: stream " + QuoteForMessage(stream_) +
                       " was created without subject " + QuoteForMessage(options_.subject));
    }
    return OkStatus();
  }

  // The streams whose subjects take `subject` (JetStream's STREAM.NAMES with a subject filter).
  Result<std::vector<std::string>> StreamsOf(const std::string& subject) {
    std::string request = "{\"subject\":";
    AppendJsonString(request, subject);
    request += "}";
    natsMsg* reply = nullptr;
    const natsStatus s =
        natsConnection_Request(&reply, conn_, "$JS.API.STREAM.NAMES", request.data(),
                               static_cast<int>(request.size()), Millis(options_.ack_timeout));
    if (s == NATS_NO_RESPONDERS) {
      return Error(ErrorCode::kUnsupported,
                   options_.url + ": JetStream is not enabled (start nats-server with -js)");
    }
    if (s != NATS_OK) {
      return Error(ErrorCode::kUnavailable,
                   options_.url + ": JetStream stream names: " + NatsReason(s));
    }
    rapidjson::Document doc;
    doc.Parse(natsMsg_GetData(reply),
              static_cast<std::size_t>(std::max(natsMsg_GetDataLength(reply), 0)));
    natsMsg_Destroy(reply);
    std::vector<std::string> names;
    if (doc.HasParseError() || !doc.IsObject()) {
      return Error(ErrorCode::kIo, options_.url + ": JetStream stream names: not JSON");
    }
    if (auto e = doc.FindMember("error"); e != doc.MemberEnd() && e->value.IsObject()) {
      auto d = e->value.FindMember("description");
      return Error(
          ErrorCode::kUnavailable,
          options_.url + ": JetStream stream names: " +
              (d != e->value.MemberEnd() && d->value.IsString() ? d->value.GetString() : "error"));
    }
    if (auto list = doc.FindMember("streams"); list != doc.MemberEnd() && list->value.IsArray()) {
      for (const auto& name : list->value.GetArray()) {
        if (name.IsString()) names.emplace_back(name.GetString(), name.GetStringLength());
      }
    }
    return names;
  }

  Status CheckMaxPayload() {
    if (options_.batch_bytes + 1024 > max_payload_) {
      return Error(ErrorCode::kInvalidArgument,
                   "batch_bytes: " + std::to_string(options_.batch_bytes) +
                       " bytes leave no room for headers within the server's max_payload (" +
                       std::to_string(max_payload_) + " bytes; at most " +
                       std::to_string(max_payload_ > 1024 ? max_payload_ - 1024 : 0) + ")");
    }
    return OkStatus();
  }

  const NatsSinkOptions options_;
  natsOptions* nats_options_ = nullptr;
  natsConnection* conn_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::string inbox_;
  uint64_t max_payload_ = 0;
  std::string stream_;

  // A file being packed: its key (from its path and first bytes), its Ringflow-File header, its
  // packing, and its payloads sealed before its key was known.
  struct FileState {
    explicit FileState(uint64_t batch_bytes) : packer(batch_bytes) {}
    uint64_t key = 0;
    bool key_known = false;
    std::string path;
    std::shared_ptr<const std::string> header = std::make_shared<const std::string>();
    NatsPacker packer;
    std::vector<Sealed> unkeyed;
  };
  std::unordered_map<uint64_t, FileState> files_;  // by file id, until the file's end
  FileState* cur_ = nullptr;                       // the last batch's file (in files_)
  uint64_t file_id_ = UINT64_MAX;                  // the last batch's file
  uint64_t ended_records_ = 0;                     // its lines, when its end came
  std::vector<std::string> spare_;  // buffers of acknowledged payloads, for the next ones
  std::string scratch_;
  // Resume: the first skip_total_ records of input file skip_file_ are in the stream already;
  // skip_left_ of them are still to be left out.
  uint64_t skip_file_ = UINT64_MAX;
  uint64_t skip_total_ = 0;
  uint64_t skip_left_ = 0;

  // Messages published and not yet acknowledged, in publish order.
  std::deque<Outgoing> window_;
  uint64_t next_seq_ = 0;
  bool lost_ = false;   // the connection is gone: reconnect before publishing again
  bool retry_ = false;  // a message failed: go back
  bool backoff_ = false;
  std::optional<Clock::time_point> fail_since_;  // the first failure since an acknowledgement
  std::string problem_;                          // the last failure's reason
  std::optional<Error> fatal_;
  uint64_t reconnects_ = 0;
  uint64_t acked_bytes_ = 0, acked_records_ = 0, acked_messages_ = 0;

  Status status_;
  std::optional<Status> closed_;
};

}  // namespace

Result<std::vector<std::string>> SplitNatsUrls(std::string_view url) {
  std::vector<std::string> servers;
  std::size_t at = 0;
  for (;;) {
    const std::size_t comma = url.find(',', at);
    std::string_view one = url.substr(at, comma == std::string_view::npos ? url.npos : comma - at);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "url: " + QuoteForMessage(url) + ": an empty server in the list");
    }
    const std::size_t scheme = one.find("://");
    if (scheme == std::string_view::npos) {
      servers.push_back("nats://" + std::string(one));
    } else if (one.substr(0, scheme) == "nats" || one.substr(0, scheme) == "tls") {
      servers.emplace_back(one);
    } else {
      return Error(ErrorCode::kInvalidArgument,
                   "url: " + QuoteForMessage(one) + ": not a nats:// or tls:// URL");
    }
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return servers;
}

uint64_t NatsFileKey(std::string_view path, std::span<const std::byte> head) {
  Xxh3 h;
  h.Update(path.data(), path.size());
  const char nul = '\0';
  h.Update(&nul, 1);
  head = head.first(std::min(head.size(), kNatsKeyHeadBytes));
  h.Update(head.data(), head.size());
  return h.Digest();
}

std::string NatsMsgId(uint64_t key, uint64_t first, uint64_t count) {
  std::string id = HexDigest(key);
  id += '-';
  id += std::to_string(first);
  id += '-';
  id += std::to_string(count);
  return id;
}

Result<NatsSinkOptions> MakeNatsSinkOptions(const config::StageConfig& c) {
  NatsSinkOptions o;
  auto text = [&](const char* key) {
    const std::string* v = c.GetString(key);
    return v != nullptr ? *v : std::string();
  };
  auto duration = [&](const char* key, std::chrono::microseconds& out, bool positive) -> Status {
    const std::string* v = c.GetString(key);
    if (v == nullptr) return OkStatus();
    Result<std::chrono::microseconds> d = run::ParseDuration(*v);
    if (!d.ok()) return Invalid(key, d.error().message());
    if (positive && d->count() <= 0) return Invalid(key, "must be more than 0");
    out = *d;
    return OkStatus();
  };
  o.url = text("url");
  RINGFLOW_ASSIGN_OR_RETURN(o.servers, SplitNatsUrls(o.url));
  o.subject = text("subject");
  if (o.subject.empty()) return Invalid("subject", "empty");
  if (o.subject.find_first_of(" \t\r\n*>") != std::string::npos) {
    return Invalid("subject", QuoteForMessage(o.subject) +
                                  ": a subject to publish to has no spaces and no wildcards");
  }
  o.stream = text("stream");
  if (o.stream.find_first_of(" \t\r\n.*>/\\") != std::string::npos) {
    return Invalid("stream", QuoteForMessage(o.stream) +
                                 ": a stream name has no spaces, '.', '*', '>', '/' or '\\'");
  }
  o.create_stream = c.GetBool("create_stream").value_or(false);
  if (o.create_stream && o.stream.empty()) {
    return Invalid("create_stream", "needs \"stream\" (the name of the stream to create)");
  }
  if (const auto* list = c.GetStringList("stream_subjects"); list != nullptr) {
    o.stream_subjects = *list;
  }
  if (!o.stream_subjects.empty() && !o.create_stream) {
    return Invalid("stream_subjects", "only with \"create_stream\": true");
  }
  o.memory_storage = text("storage") == "memory";
  o.replicas = c.GetInt("replicas").value_or(1);
  RINGFLOW_RETURN_IF_ERROR(duration("duplicate_window", o.duplicate_window, true));
  o.user = text("user");
  o.password = text("password");
  if (o.password.empty() != o.user.empty()) {
    return Invalid(o.user.empty() ? "password" : "user",
                   o.user.empty() ? "needs \"user\"" : "needs \"password\"");
  }
  o.token = text("token");
  o.credentials = text("credentials");
  o.nkey = text("nkey");
  o.nkey_seed = text("nkey_seed");
  if (o.nkey.empty() != o.nkey_seed.empty()) {
    return Invalid(o.nkey.empty() ? "nkey_seed" : "nkey",
                   o.nkey.empty() ? "needs \"nkey\" (the user's public NKey, U...)"
                                  : "needs \"nkey_seed\" (the file holding the user's seed)");
  }
  if (!o.nkey.empty() && (o.nkey.size() != 56 || o.nkey[0] != 'U')) {
    return Invalid("nkey", QuoteForMessage(o.nkey) +
                               ": not a user's public NKey (56 characters starting with U)");
  }
  const int auths = static_cast<int>(!o.user.empty()) + !o.token.empty() + !o.credentials.empty() +
                    !o.nkey.empty();
  if (auths > 1) {
    return Invalid("token", "user/password, token, credentials and nkey exclude each other");
  }
  o.tls_ca = text("tls_ca");
  o.tls_cert = text("tls_cert");
  o.tls_key = text("tls_key");
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Invalid(o.tls_cert.empty() ? "tls_key" : "tls_cert",
                   o.tls_cert.empty() ? "needs \"tls_cert\"" : "needs \"tls_key\"");
  }
  o.batch_bytes = static_cast<uint64_t>(c.GetInt("batch_bytes").value_or(256 * 1024));
  o.max_pending = static_cast<uint32_t>(c.GetInt("max_pending").value_or(64));
  RINGFLOW_RETURN_IF_ERROR(duration("ack_timeout", o.ack_timeout, true));
  RINGFLOW_RETURN_IF_ERROR(duration("retry_for", o.retry_for, false));
  return o;
}

Result<std::unique_ptr<flow::SinkStage>> OpenNatsSink(const NatsSinkOptions& options) {
  auto sink = std::make_unique<NatsSink>(options);
  RINGFLOW_RETURN_IF_ERROR(sink->Open());
  return std::unique_ptr<flow::SinkStage>(std::move(sink));
}

Status RegisterNatsSink(run::StageRegistry& registry) {
  using config::ParamType;
  auto param = [](std::string name, ParamType type, std::string help, std::string default_text,
                  int64_t min = INT64_MIN, int64_t max = INT64_MAX,
                  std::vector<std::string> choices = {}, bool required = false) {
    return config::ParamSpec{
        std::move(name),         type, required, std::move(choices), std::move(help),
        std::move(default_text), min,  max};
  };
  std::vector<config::ParamSpec> params = {
      param("url", ParamType::kString,
            "the server(s): nats://HOST:PORT (or tls://), several comma-separated "
            "(\"nats://a:4222,nats://b:4222\"), tried in order",
            "", INT64_MIN, INT64_MAX, {}, true),
      param("subject", ParamType::kString, "the subject every message is published to", "",
            INT64_MIN, INT64_MAX, {}, true),
      param("stream", ParamType::kString,
            "the JetStream stream that stores the subject (it must take it); absent: the stream "
            "whose subjects take it",
            ""),
      param("create_stream", ParamType::kBool,
            "create \"stream\" when it does not exist (with stream_subjects, storage, replicas, "
            "duplicate_window; an existing stream is used as it is)",
            "false"),
      param("stream_subjects", ParamType::kStringList,
            "with create_stream: the new stream's subjects (default: the subject)", ""),
      param("storage", ParamType::kEnum, "with create_stream: where the stream keeps messages",
            "file", INT64_MIN, INT64_MAX, {"file", "memory"}),
      param("replicas", ParamType::kInt, "with create_stream: copies of each message (cluster)",
            "1", 1, 5),
      param("duplicate_window", ParamType::kString,
            "with create_stream: how long the stream remembers message ids (a resumed run "
            "publishes again what was not acknowledged; within this window the stream drops "
            "those it holds): e.g. 2m, 1h, 90s",
            "2m"),
      param("user", ParamType::kString, "user name (with password)", ""),
      param("password", ParamType::kString, "password (with user)", ""),
      param("token", ParamType::kString, "authentication token", ""),
      param("credentials", ParamType::kString, "a credentials file (.creds: user JWT and seed)",
            ""),
      param("nkey", ParamType::kString, "the user's public NKey (U..., with nkey_seed)", ""),
      param("nkey_seed", ParamType::kString,
            "the file that holds the user's NKey seed (SU...; with nkey)", ""),
      param("tls_ca", ParamType::kString, "CA certificates (PEM file) to verify the server (TLS)",
            ""),
      param("tls_cert", ParamType::kString, "client certificate (PEM file; with tls_key)", ""),
      param("tls_key", ParamType::kString, "the client certificate's key (PEM file)", ""),
      param("batch_bytes", ParamType::kSize,
            "records travel as NDJSON payloads of up to this many bytes per message (a larger "
            "record goes alone); 0: one record per message. At most the server's max_payload "
            "less 1KiB for headers",
            "256KiB", 0, int64_t{64} << 20),
      param("max_pending", ParamType::kInt,
            "messages awaiting acknowledgement at most; the run waits for one beyond (never "
            "drops)",
            "64", 1, 65536),
      param("ack_timeout", ParamType::kString,
            "a message not acknowledged within this is published again (in order, from the "
            "first one not acknowledged)",
            "5s"),
      param("retry_for", ParamType::kString,
            "how long to keep reconnecting and publishing again without any acknowledgement "
            "before the run fails",
            "60s"),
  };
  return registry.RegisterSink(
      {"nats",
       "publishes the records to a NATS JetStream stream as NDJSON payloads (each record as the "
       "json sink writes it), acknowledged, with message ids from the input file and record "
       "position: with --checkpoint and --resume the stream holds every record once",
       std::move(params), /*takes_input=*/true, /*multiple_inputs=*/false},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::SinkStage>> {
        RINGFLOW_ASSIGN_OR_RETURN(NatsSinkOptions options, MakeNatsSinkOptions(c));
        return OpenNatsSink(options);
      },
      [](const config::StageConfig& c) -> Status {
        Result<NatsSinkOptions> options = MakeNatsSinkOptions(c);
        if (!options.ok()) return options.error();
        return OkStatus();
      });
}

}  // namespace ringflow::stages

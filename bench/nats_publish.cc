// nats_publish: the ceiling for the NATS sink's speed. A bare libnats JetStream publisher that
// reads an NDJSON file (in 4 MiB reads, so that its peak RSS shows what max_pending holds rather
// than the file), cuts it at line ends into payloads of at most --batch-bytes bytes (a
// longer line goes alone; 0: one line per message), publishes them in file order with
// js_PublishAsync (at most --max-pending awaiting their acknowledgement) and waits for the last
// acknowledgement. Each message carries a Nats-Msg-Id as the sink's do (the stream's duplicate
// tracking is part of the cost), unless --no-msg-id. Prints one JSON line: messages, bytes,
// seconds, MB/s (10^6 bytes of payload per second). Exit 1 on any failed publish.
#include <fcntl.h>
#include <nats/nats.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr const char kUsage[] =
    "usage: nats_publish --file NDJSON --subject SUBJECT [--url URL] [--batch-bytes B]\n"
    "                    [--max-pending N] [--no-msg-id]\n"
    "  --batch-bytes B   payloads of at most B bytes, cut at line ends (default 65536; 0: one\n"
    "                    line per message)\n"
    "  --max-pending N   messages awaiting acknowledgement at most (default 256)\n";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "nats_publish: %s\n", what.c_str());
  std::exit(1);
}

std::string Describe(const std::string& what, natsStatus s) {
  std::string msg = what + ": " + natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0') msg += ": " + std::string(last);
  return msg;
}

// Acknowledgements arrive on the library's thread.
struct Acks {
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<bool> reported{false};
};

void OnAck(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* err, void* closure) {
  auto* acks = static_cast<Acks*>(closure);
  if (err == nullptr) {
    acks->ok.fetch_add(1, std::memory_order_relaxed);
  } else {
    acks->failed.fetch_add(1, std::memory_order_relaxed);
    if (!acks->reported.exchange(true))
      std::fprintf(stderr, "nats_publish: publish failed: %s (%s)\n", natsStatus_GetText(err->Err),
                   err->ErrText != nullptr ? err->ErrText : "");
  }
  natsMsg_Destroy(msg);  // the handler owns the message
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "nats://127.0.0.1:4222", subject, file;
  long long batch_bytes = 65536, max_pending = 256;
  bool msg_id = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-msg-id") {
      msg_id = false;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "nats_publish: %s: missing value or unknown option\n%s", arg.c_str(),
                   kUsage);
      return 2;
    }
    const char* v = argv[++i];
    if (arg == "--url")
      url = v;
    else if (arg == "--subject")
      subject = v;
    else if (arg == "--file")
      file = v;
    else if (arg == "--batch-bytes")
      batch_bytes = std::atoll(v);
    else if (arg == "--max-pending")
      max_pending = std::atoll(v);
    else {
      std::fprintf(stderr, "nats_publish: unknown option %s\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (file.empty() || subject.empty() || batch_bytes < 0 || max_pending < 1) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("open " + file + ": " + std::strerror(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // buf[pos, buf.size()) is read and not yet published; fill moves it to the front and reads more.
  constexpr std::size_t kRead = 4 << 20;
  std::string buf;
  std::size_t pos = 0;
  bool eof = false;
  auto fill = [&]() {
    buf.erase(0, pos);
    pos = 0;
    const std::size_t old = buf.size();
    buf.resize(old + kRead);
    const ssize_t n = ::read(fd, buf.data() + old, kRead);
    if (n < 0) Die("read " + file + ": " + std::strerror(errno));
    buf.resize(old + static_cast<std::size_t>(n));
    eof = n == 0;
  };

  Acks acks;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  if (s != NATS_OK) Die(Describe("connect to " + url, s));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = max_pending;
  jo.PublishAsync.AckHandler = OnAck;
  jo.PublishAsync.AckHandlerClosure = &acks;
  jo.PublishAsync.StallWait = 60000;  // a full window waits for acknowledgements, never fails
  s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) Die(Describe("jetstream context", s));

  // The id's file key: a fixed 16-hex stand-in for the sink's file identity.
  const std::string key = "00000000000000f1";
  uint64_t messages = 0, line_index = 0;
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  for (;;) {
    // One payload: whole lines while they fit in batch_bytes (at least one line; a last line
    // without a newline counts as one).
    std::size_t end = pos;
    uint64_t lines = 0;
    for (;;) {
      const void* nl = std::memchr(buf.data() + end, '\n', buf.size() - end);
      if (nl == nullptr && !eof) {
        const std::size_t rel = end - pos;
        fill();
        end = rel;
        continue;
      }
      if (nl == nullptr && end == buf.size()) break;  // the end of the file
      const std::size_t line_end =
          nl == nullptr ? buf.size()
                        : static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
      if (lines > 0 && line_end - pos > static_cast<std::size_t>(batch_bytes)) break;
      end = line_end;
      ++lines;
      if (batch_bytes == 0) break;
    }
    if (lines == 0) break;
    natsMsg* msg = nullptr;
    s = natsMsg_Create(&msg, subject.c_str(), nullptr, buf.data() + pos,
                       static_cast<int>(end - pos));
    if (s == NATS_OK && msg_id) {
      const std::string id = key + "-" + std::to_string(line_index) + "-" + std::to_string(lines);
      s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
    }
    if (s == NATS_OK) s = js_PublishMsgAsync(js, &msg, nullptr);
    if (s != NATS_OK) {
      natsMsg_Destroy(msg);  // still ours when the publish failed
      Die(Describe("publish", s));
    }
    ++messages;
    line_index += lines;
    bytes += end - pos;
    pos = end;
    if (acks.failed.load(std::memory_order_relaxed) != 0) Die("a publish was refused: stopping");
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 120000;
  s = js_PublishAsyncComplete(js, &po);
  if (s != NATS_OK) Die(Describe("waiting for the last acknowledgements", s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (acks.failed.load() != 0 || acks.ok.load() != messages)
    Die(std::to_string(acks.ok.load()) + " of " + std::to_string(messages) +
        " messages acknowledged, " + std::to_string(acks.failed.load()) + " failed");
  std::printf("{\"messages\":%" PRIu64 ",\"lines\":%" PRIu64 ",\"bytes\":%" PRIu64
              ",\"seconds\":%.6f,\"mb_s\":%.1f}\n",
              messages, line_index, bytes, seconds,
              seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats_Close();
  ::close(fd);
  return 0;
}

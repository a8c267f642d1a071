// nats_consume: a small JetStream client for the NATS end-to-end tests and benchmarks (libnats).
// It reads a stream back in stream order and writes the payloads concatenated (the sink's
// payloads are NDJSON, so the result compares with `cmp` to the json sink's file), and makes,
// changes, purges, deletes and describes streams so that the tests need no other tool.
// One connection, one thread; every failure is one line on stderr and exit status 1 (2: usage).
#include <nats/nats.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr const char kUsage[] = R"(usage: nats_consume [--url URL] [auth] [--wait SECS] MODE

Modes:
  --stream NAME [--subject FILTER] [--out FILE] [--ids FILE] [--expect-msgs N] [--timeout SECS]
      read the stream NAME (only FILTER's messages with --subject) from its first message to
      the last one there when reading started (an ordered consumer, no acks), in stream order,
      and write the payloads concatenated to FILE (default "-": stdout); --ids FILE also writes
      one line per message: "SEQ MSGID LINES BYTES" (MSGID the Nats-Msg-Id header or "-",
      LINES the payload's newlines). Fails when no message comes for SECS (default 10) before
      the last one, or with --expect-msgs when the count differs.
  --create NAME --subjects S[,S...] [stream options]   add a stream
  --update NAME [stream options]   change the options given of an existing stream
  --purge NAME       remove every message of a stream
  --delete NAME      delete a stream
  --info NAME        print the stream's state as one JSON object: messages, bytes, first_seq,
                     last_seq, replicas, leader (cluster: the stream leader's server name, else "")
  --ping             succeed when JetStream answers (account info): a server or cluster is ready

Stream options: --storage file|memory (default file), --replicas N (default 1), --max-bytes N,
  --max-msgs N, --discard old|new (default old), --duplicate-window SECS (default 120)
Auth: --user U --password P, --token T, --creds FILE, --nkey PUBLIC --nkey-seed FILE
TLS: --tls-ca FILE (CA certificates to verify the server), --tls-cert FILE --tls-key FILE (the
  client's certificate and key), for a tls:// URL
--url: one URL or several separated by commas (default nats://127.0.0.1:4222).
--wait SECS: retry the connection and the first JetStream request until they succeed or SECS
  pass (default 0: one attempt), for a server or cluster that is still starting.
)";

struct Options {
  std::string url = "nats://127.0.0.1:4222";
  std::string user, password, token, creds;
  std::string tls_ca, tls_cert, tls_key;
  std::string nkey, nkey_seed;
  double wait = 0;
  std::string mode;  // stream, create, update, purge, delete, info, ping
  std::string name;
  std::string subject;
  std::string out = "-";
  std::string ids;
  std::optional<uint64_t> expect_msgs;
  double timeout = 10;
  std::vector<std::string> subjects;
  std::optional<std::string> storage, discard;
  std::optional<int64_t> replicas, max_bytes, max_msgs;
  std::optional<double> duplicate_window;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr, "nats_consume: %s\n%s", why.c_str(), kUsage);
  std::exit(2);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "nats_consume: %s\n", what.c_str());
  std::exit(1);
}

// "what: status text (jetstream error code N): last error" for a failed libnats call.
std::string Describe(const std::string& what, natsStatus s,
                     jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string msg = what + ": " + natsStatus_GetText(s);
  if (code != 0) msg += " (jetstream error code " + std::to_string(static_cast<int>(code)) + ")";
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0') msg += ": " + std::string(last);
  return msg;
}

int64_t ParseInt(const std::string& option, const char* text) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 0) Usage(option + ": not a count: " + text);
  return v;
}

double ParseSeconds(const std::string& option, const char* text) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= 0))
    Usage(option + ": not a number of seconds: " + text);
  return v;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::size_t end = comma == std::string::npos ? text.size() : comma;
    if (end > start) parts.push_back(text.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  auto set_mode = [&o](const std::string& mode, const char* name) {
    if (!o.mode.empty()) Usage("one mode at a time (--" + o.mode + " and --" + mode + ")");
    o.mode = mode;
    if (name != nullptr) o.name = name;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--ping") {
      set_mode("ping", nullptr);
      continue;
    }
    if (i + 1 >= argc) Usage(arg + ": missing value (or unknown option)");
    const char* v = argv[++i];
    if (arg == "--url")
      o.url = v;
    else if (arg == "--user")
      o.user = v;
    else if (arg == "--password")
      o.password = v;
    else if (arg == "--token")
      o.token = v;
    else if (arg == "--creds")
      o.creds = v;
    else if (arg == "--nkey")
      o.nkey = v;
    else if (arg == "--nkey-seed")
      o.nkey_seed = v;
    else if (arg == "--tls-ca")
      o.tls_ca = v;
    else if (arg == "--tls-cert")
      o.tls_cert = v;
    else if (arg == "--tls-key")
      o.tls_key = v;
    else if (arg == "--wait")
      o.wait = ParseSeconds(arg, v);
    else if (arg == "--stream")
      set_mode("stream", v);
    else if (arg == "--create")
      set_mode("create", v);
    else if (arg == "--update")
      set_mode("update", v);
    else if (arg == "--purge")
      set_mode("purge", v);
    else if (arg == "--delete")
      set_mode("delete", v);
    else if (arg == "--info")
      set_mode("info", v);
    else if (arg == "--subject")
      o.subject = v;
    else if (arg == "--out")
      o.out = v;
    else if (arg == "--ids")
      o.ids = v;
    else if (arg == "--expect-msgs")
      o.expect_msgs = static_cast<uint64_t>(ParseInt(arg, v));
    else if (arg == "--timeout")
      o.timeout = ParseSeconds(arg, v);
    else if (arg == "--subjects")
      o.subjects = Split(v);
    else if (arg == "--storage")
      o.storage = v;
    else if (arg == "--discard")
      o.discard = v;
    else if (arg == "--replicas")
      o.replicas = ParseInt(arg, v);
    else if (arg == "--max-bytes")
      o.max_bytes = ParseInt(arg, v);
    else if (arg == "--max-msgs")
      o.max_msgs = ParseInt(arg, v);
    else if (arg == "--duplicate-window")
      o.duplicate_window = ParseSeconds(arg, v);
    else
      Usage("unknown option " + arg);
  }
  if (o.mode.empty()) Usage("no mode given");
  if (o.mode == "create" && o.subjects.empty()) Usage("--create needs --subjects");
  if (o.storage && *o.storage != "file" && *o.storage != "memory")
    Usage("--storage: file or memory");
  if (o.discard && *o.discard != "old" && *o.discard != "new") Usage("--discard: old or new");
  return o;
}

// The connection and its JetStream context; destroyed in reverse order of creation.
class Client {
 public:
  explicit Client(const Options& o) {
    natsStatus s = natsOptions_Create(&opts_);
    std::vector<std::string> urls = Split(o.url);
    std::vector<const char*> servers;
    for (const std::string& u : urls) servers.push_back(u.c_str());
    if (servers.empty()) Usage("--url: empty");
    if (s == NATS_OK)
      s = natsOptions_SetServers(opts_, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK && !o.user.empty())
      s = natsOptions_SetUserInfo(opts_, o.user.c_str(), o.password.c_str());
    if (s == NATS_OK && !o.token.empty()) s = natsOptions_SetToken(opts_, o.token.c_str());
    if (s == NATS_OK && !o.creds.empty())
      s = natsOptions_SetUserCredentialsFromFiles(opts_, o.creds.c_str(), nullptr);
    if (s == NATS_OK && !o.nkey.empty())
      s = natsOptions_SetNKeyFromSeed(opts_, o.nkey.c_str(), o.nkey_seed.c_str());
    if (s == NATS_OK && (!o.tls_ca.empty() || !o.tls_cert.empty()))
      s = natsOptions_SetSecure(opts_, true);
    if (s == NATS_OK && !o.tls_ca.empty())
      s = natsOptions_LoadCATrustedCertificates(opts_, o.tls_ca.c_str());
    if (s == NATS_OK && !o.tls_cert.empty())
      s = natsOptions_LoadCertificatesChain(opts_, o.tls_cert.c_str(), o.tls_key.c_str());
    // A reader that loses its server mid-stream fails rather than waits: the tests read a
    // finished stream.
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts_, false);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts_, 2000);
    if (s != NATS_OK) Die(Describe("options", s));
    const int64_t deadline = nats_Now() + static_cast<int64_t>(o.wait * 1000);
    for (;;) {
      s = natsConnection_Connect(&nc_, opts_);
      if (s == NATS_OK || nats_Now() >= deadline) break;
      nats_Sleep(100);
    }
    if (s != NATS_OK) Die(Describe("connect to " + o.url, s));
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 10000;
    s = natsConnection_JetStream(&js_, nc_, &jo);
    if (s != NATS_OK) Die(Describe("jetstream context", s));
  }
  ~Client() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
    natsOptions_Destroy(opts_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  jsCtx* js() const { return js_; }

 private:
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// Retries `request` (a JetStream API call returning a status) until it succeeds or `wait`
// seconds pass: a cluster answers "JetStream not available" until its meta leader is elected.
template <typename F>
natsStatus Retry(double wait, F request) {
  const int64_t deadline = nats_Now() + static_cast<int64_t>(wait * 1000);
  for (;;) {
    const natsStatus s = request();
    if (s == NATS_OK || nats_Now() >= deadline) return s;
    nats_Sleep(200);
  }
}

void ApplyStreamOptions(const Options& o, jsStreamConfig& cfg) {
  if (o.storage) cfg.Storage = *o.storage == "memory" ? js_MemoryStorage : js_FileStorage;
  if (o.discard) cfg.Discard = *o.discard == "new" ? js_DiscardNew : js_DiscardOld;
  if (o.replicas) cfg.Replicas = *o.replicas;
  if (o.max_bytes) cfg.MaxBytes = *o.max_bytes;
  if (o.max_msgs) cfg.MaxMsgs = *o.max_msgs;
  if (o.duplicate_window) cfg.Duplicates = static_cast<int64_t>(*o.duplicate_window * 1e9);
}

void CreateStream(const Options& o, Client& c) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = o.name.c_str();
  std::vector<const char*> subjects;
  for (const std::string& s : o.subjects) subjects.push_back(s.c_str());
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  ApplyStreamOptions(o, cfg);
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = Retry(o.wait, [&] {
    code = static_cast<jsErrCode>(0);
    return js_AddStream(&si, c.js(), &cfg, nullptr, &code);
  });
  if (s != NATS_OK) Die(Describe("create stream " + o.name, s, code));
  jsStreamInfo_Destroy(si);
}

void UpdateStream(const Options& o, Client& c) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s =
      Retry(o.wait, [&] { return js_GetStreamInfo(&si, c.js(), o.name.c_str(), nullptr, &code); });
  if (s != NATS_OK) Die(Describe("stream info " + o.name, s, code));
  jsStreamConfig cfg = *si->Config;  // views into si, which lives until the update is done
  std::vector<const char*> subjects;
  if (!o.subjects.empty()) {
    for (const std::string& subj : o.subjects) subjects.push_back(subj.c_str());
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
  }
  ApplyStreamOptions(o, cfg);
  jsStreamInfo* updated = nullptr;
  s = js_UpdateStream(&updated, c.js(), &cfg, nullptr, &code);
  jsStreamInfo_Destroy(si);
  if (s != NATS_OK) Die(Describe("update stream " + o.name, s, code));
  jsStreamInfo_Destroy(updated);
}

void PrintInfo(const Options& o, Client& c) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      Retry(o.wait, [&] { return js_GetStreamInfo(&si, c.js(), o.name.c_str(), nullptr, &code); });
  if (s != NATS_OK) Die(Describe("stream info " + o.name, s, code));
  const char* leader =
      si->Cluster != nullptr && si->Cluster->Leader != nullptr ? si->Cluster->Leader : "";
  std::printf("{\"stream\":\"%s\",\"messages\":%" PRIu64 ",\"bytes\":%" PRIu64
              ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64 ",\"replicas\":%" PRId64
              ",\"leader\":\"%s\"}\n",
              o.name.c_str(), si->State.Msgs, si->State.Bytes, si->State.FirstSeq,
              si->State.LastSeq, si->Config->Replicas, leader);
  jsStreamInfo_Destroy(si);
}

// The stream's messages in stream order through an ordered consumer (push, no acks, flow
// control; it re-creates itself on a gap, so what arrives is the stream's order without holes).
// The end is the consumer's pending count at each message (NumPending 0: that was the last one
// the stream held), or, for a stream or filter with nothing in it, the consumer's own count.
void ReadStream(const Options& o, Client& c) {
  FILE* out = o.out == "-" ? stdout : std::fopen(o.out.c_str(), "wb");
  if (out == nullptr) Die("open " + o.out + ": " + std::strerror(errno));
  FILE* ids = nullptr;
  if (!o.ids.empty() && (ids = std::fopen(o.ids.c_str(), "wb")) == nullptr)
    Die("open " + o.ids + ": " + std::strerror(errno));

  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = o.name.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverAll;
  // Without --subject: every subject of the stream (the filter ">" is what the stream holds).
  std::string filter = o.subject;
  if (filter.empty()) filter = ">";
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = Retry(
      o.wait, [&] { return js_SubscribeSync(&sub, c.js(), filter.c_str(), nullptr, &so, &code); });
  if (s != NATS_OK) Die(Describe("subscribe to stream " + o.name + " (" + filter + ")", s, code));
  // No limit on what the library buffers for us: a slow consumer error would lose messages.
  natsSubscription_SetPendingLimits(sub, -1, -1);

  jsConsumerInfo* ci = nullptr;
  s = natsSubscription_GetConsumerInfo(&ci, sub, nullptr, &code);
  if (s != NATS_OK) Die(Describe("consumer info of stream " + o.name, s, code));
  const bool empty = ci->NumPending == 0 && ci->Delivered.Consumer == 0;
  jsConsumerInfo_Destroy(ci);

  uint64_t count = 0, last_seq = 0;
  const auto timeout_ms = static_cast<int64_t>(o.timeout * 1000);
  for (bool more = !empty; more;) {
    natsMsg* msg = nullptr;
    s = natsSubscription_NextMsg(&msg, sub, timeout_ms);
    if (s == NATS_TIMEOUT)
      Die("stream " + o.name + ": no message for " + std::to_string(o.timeout) + " s after " +
          std::to_string(count) + " messages (last sequence " + std::to_string(last_seq) + ")");
    if (s != NATS_OK) Die(Describe("next message of stream " + o.name, s));
    jsMsgMetaData* meta = nullptr;
    s = natsMsg_GetMetaData(&meta, msg);
    if (s != NATS_OK) Die(Describe("message metadata", s));
    const uint64_t seq = meta->Sequence.Stream;
    more = meta->NumPending > 0;
    jsMsgMetaData_Destroy(meta);
    if (seq <= last_seq)
      Die("stream sequence " + std::to_string(seq) + " after " + std::to_string(last_seq));
    last_seq = seq;
    const char* data = natsMsg_GetData(msg);
    const auto len = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
    if (len > 0 && std::fwrite(data, 1, len, out) != len)
      Die("write " + o.out + ": " + std::strerror(errno));
    if (ids != nullptr) {
      const char* id = nullptr;
      if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr) id = "-";
      std::size_t lines = 0;
      for (std::size_t i = 0; i < len; ++i) lines += data[i] == '\n';
      std::fprintf(ids, "%" PRIu64 " %s %zu %zu\n", seq, id, lines, len);
    }
    natsMsg_Destroy(msg);
    ++count;
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  if (std::fflush(out) != 0 || (out != stdout && std::fclose(out) != 0))
    Die("write " + o.out + ": " + std::strerror(errno));
  if (ids != nullptr && std::fclose(ids) != 0) Die("write " + o.ids + ": " + std::strerror(errno));
  if (o.expect_msgs && count != *o.expect_msgs)
    Die("stream " + o.name + ": " + std::to_string(count) + " messages, expected " +
        std::to_string(*o.expect_msgs));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  {
    Client c(o);
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = NATS_OK;
    if (o.mode == "stream") {
      ReadStream(o, c);
    } else if (o.mode == "create") {
      CreateStream(o, c);
    } else if (o.mode == "update") {
      UpdateStream(o, c);
    } else if (o.mode == "info") {
      PrintInfo(o, c);
    } else if (o.mode == "purge") {
      s = Retry(o.wait, [&] { return js_PurgeStream(c.js(), o.name.c_str(), nullptr, &code); });
      if (s != NATS_OK) Die(Describe("purge stream " + o.name, s, code));
    } else if (o.mode == "delete") {
      s = Retry(o.wait, [&] { return js_DeleteStream(c.js(), o.name.c_str(), nullptr, &code); });
      if (s != NATS_OK) Die(Describe("delete stream " + o.name, s, code));
    } else if (o.mode == "ping") {
      jsAccountInfo* ai = nullptr;
      s = Retry(o.wait, [&] { return js_GetAccountInfo(&ai, c.js(), nullptr, &code); });
      if (s != NATS_OK) Die(Describe("jetstream account info", s, code));
      jsAccountInfo_Destroy(ai);
    }
  }
  nats_Close();
  return 0;
}

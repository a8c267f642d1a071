// The nats sink without a server: its options and their messages, payload packing, message ids,
// and the one-line error when no server answers. (Publishing, acknowledgements and resumes are
// tested against a real nats-server by the end-to-end tests.)
#include "stages/nats_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/xxh3.h"
#include "framework/run/registry.h"
#include "stages/builtins.h"
#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

TEST(NatsUrlsTest, SplitsAtCommasAndAddsTheScheme) {
  ASSERT_OK_AND_ASSIGN(auto one, SplitNatsUrls("nats://127.0.0.1:4222"));
  EXPECT_EQ(one, std::vector<std::string>{"nats://127.0.0.1:4222"});
  ASSERT_OK_AND_ASSIGN(auto three, SplitNatsUrls("nats://a:1, b:2,tls://c:3"));
  EXPECT_EQ(three, (std::vector<std::string>{"nats://a:1", "nats://b:2", "tls://c:3"}));
}

TEST(NatsUrlsTest, RefusesEmptyEntriesAndOtherSchemes) {
  auto empty = SplitNatsUrls("nats://a:1,,nats://b:2");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(),
            "url: \"nats://a:1,,nats://b:2\": an empty server in the list");
  auto http = SplitNatsUrls("http://a:1");
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.error().message(), "url: \"http://a:1\": not a nats:// or tls:// URL");
  EXPECT_FALSE(SplitNatsUrls("").ok());
}

TEST(NatsMsgIdTest, IsKeyFirstRecordAndCount) {
  EXPECT_EQ(NatsMsgId(0x1234, 7, 3), "0000000000001234-7-3");
  EXPECT_EQ(NatsMsgId(0xfedcba9876543210ULL, 0, 1), "fedcba9876543210-0-1");
}

TEST(NatsMsgIdTest, KeyIsXxh3OfPathNulAndFirstKibibyte) {
  std::string head(3000, 'x');
  for (std::size_t i = 0; i < head.size(); ++i) head[i] = static_cast<char>('a' + i % 26);
  const auto bytes = std::as_bytes(std::span(head.data(), head.size()));
  std::string expected_input = "logs/app.log";
  expected_input += '\0';
  expected_input += head.substr(0, 1024);
  EXPECT_EQ(NatsFileKey("logs/app.log", bytes),
            Xxh3::Hash(expected_input.data(), expected_input.size()));
  // Bytes past the first KiB do not count; the path and the first KiB do.
  std::string later = head;
  later[2000] = '!';
  EXPECT_EQ(NatsFileKey("logs/app.log", bytes),
            NatsFileKey("logs/app.log", std::as_bytes(std::span(later.data(), later.size()))));
  std::string early = head;
  early[1023] = '!';
  EXPECT_NE(NatsFileKey("logs/app.log", bytes),
            NatsFileKey("logs/app.log", std::as_bytes(std::span(early.data(), early.size()))));
  EXPECT_NE(NatsFileKey("logs/app.log", bytes), NatsFileKey("logs/app.log.1", bytes));
  // The NUL separates path from bytes: "ab" + "c..." is not "a" + "bc...".
  const std::string c = "cdef", bc = "bcdef";
  EXPECT_NE(NatsFileKey("ab", std::as_bytes(std::span(c.data(), c.size()))),
            NatsFileKey("a", std::as_bytes(std::span(bc.data(), bc.size()))));
}

// (first, count, bytes) of each message packing `lines` gives, from record `from` on.
struct Message {
  uint64_t first, count;
  std::size_t bytes;
  bool operator==(const Message&) const = default;
};
std::vector<Message> Pack(uint64_t batch_bytes, const std::vector<std::string>& lines,
                          std::size_t from = 0) {
  NatsPacker packer(batch_bytes);
  packer.Start(from);
  std::vector<Message> out;
  auto take = [&] {
    const uint64_t first = packer.first(), count = packer.count();
    out.push_back({first, count, packer.Take().size()});
  };
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (!packer.Fits(lines[i].size())) take();
    packer.Add(lines[i]);
  }
  if (!packer.empty()) take();
  return out;
}

TEST(NatsPackerTest, GreedyWithinBatchBytes) {
  const std::vector<std::string> lines = {std::string(40, 'a') + "\n", std::string(50, 'b') + "\n",
                                          std::string(9, 'c') + "\n", std::string(99, 'd') + "\n",
                                          std::string(10, 'e') + "\n"};
  // 41 + 51 + 10 = 102 fit in 102; the 100-byte record alone; then 11.
  EXPECT_EQ(Pack(102, lines), (std::vector<Message>{{0, 3, 102}, {3, 1, 100}, {4, 1, 11}}));
  // A record larger than batch_bytes goes alone (the others around it stay packed).
  EXPECT_EQ(Pack(95, lines),
            (std::vector<Message>{{0, 2, 92}, {2, 1, 10}, {3, 1, 100}, {4, 1, 11}}));
}

TEST(NatsPackerTest, ZeroBatchBytesIsOneRecordPerMessage) {
  const std::vector<std::string> lines = {"a\n", "b\n", "c\n"};
  EXPECT_EQ(Pack(0, lines), (std::vector<Message>{{0, 1, 2}, {1, 1, 2}, {2, 1, 2}}));
}

TEST(NatsPackerTest, PackingFromAMessageBoundaryGivesTheSameMessages) {
  // A resumed run packs a file again from the first record not acknowledged (always the first
  // of a message): its messages must be those of an uninterrupted run from there on.
  std::mt19937 random(18);
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) {
    lines.push_back(std::string(1 + random() % 700, 'x') + "\n");
  }
  for (const uint64_t batch : {uint64_t{0}, uint64_t{1}, uint64_t{512}, uint64_t{4096}}) {
    const std::vector<Message> whole = Pack(batch, lines);
    uint64_t total = 0;
    for (const Message& m : whole) total += m.count;
    EXPECT_EQ(total, lines.size());
    for (std::size_t k = 0; k < whole.size(); k += 7) {
      const std::vector<Message> rest = Pack(batch, lines, whole[k].first);
      EXPECT_EQ(rest,
                std::vector<Message>(whole.begin() + static_cast<std::ptrdiff_t>(k), whole.end()))
          << "batch_bytes " << batch << ", from message " << k;
    }
  }
}

class NatsSinkConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(RegisterBuiltins(registry_)); }

  // The error of building a document with one nats sink of `params` (JSON members), as
  // `ringflow validate` would (kCheck: no connection), or "" when it is accepted.
  std::string CheckError(const std::string& params, run::BuildMode mode = run::BuildMode::kCheck) {
    const std::string doc =
        R"({"source": {"paths": ["."]}, "stages": [{"name": "lines", "type": "lines"}],
            "sinks": [{"name": "out", "type": "nats", "input": "lines", )" +
        params + "}]}";
    auto config = config::LoadPipeline(doc, registry_.stages(), registry_.sinks());
    if (!config.ok()) return config.error().message();
    auto built = registry_.Build(*config, mode);
    return built.ok() ? "" : built.error().message();
  }

  run::StageRegistry registry_;
};

TEST_F(NatsSinkConfigTest, AcceptsAFullDocument) {
  EXPECT_EQ(CheckError(R"("url": "nats://a:4222,nats://b:4222", "subject": "logs.app",
                          "stream": "LOGS", "create_stream": true,
                          "stream_subjects": ["logs.>"], "storage": "memory", "replicas": 3,
                          "duplicate_window": "10m", "user": "u", "password": "p",
                          "tls_ca": "ca.pem", "batch_bytes": "64KiB", "max_pending": 8,
                          "ack_timeout": "2s", "retry_for": "5m")"),
            "");
}

TEST_F(NatsSinkConfigTest, NamesTheParameterInEveryError) {
  const std::string base = R"("url": "nats://127.0.0.1:4222", "subject": "logs.app", )";
  EXPECT_EQ(CheckError(R"("url": "nats://127.0.0.1:4222")"), "sinks[0]: missing \"subject\"");
  EXPECT_EQ(CheckError(R"("url": "http://x:1", "subject": "s")"),
            "sinks[0]: url: \"http://x:1\": not a nats:// or tls:// URL");
  EXPECT_EQ(CheckError(base + R"("create_stream": true)"),
            "sinks[0]: create_stream: needs \"stream\" (the name of the stream to create)");
  EXPECT_EQ(CheckError(base + R"("stream_subjects": ["a"])"),
            "sinks[0]: stream_subjects: only with \"create_stream\": true");
  EXPECT_EQ(CheckError(base + R"("stream": "a.b")"),
            "sinks[0]: stream: \"a.b\": a stream name has no spaces, '.', '*', '>', '/' or '\\'");
  EXPECT_EQ(CheckError(R"("url": "nats://h:1", "subject": "logs.*")"),
            "sinks[0]: subject: \"logs.*\": a subject to publish to has no spaces and no "
            "wildcards");
  EXPECT_EQ(CheckError(base + R"("ack_timeout": "soon")"),
            "sinks[0]: ack_timeout: not a duration: \"soon\"; use e.g. 30s, 5m, 1h or 250ms");
  EXPECT_EQ(CheckError(base + R"("ack_timeout": "0")"),
            "sinks[0]: ack_timeout: must be more than 0");
  EXPECT_EQ(CheckError(base + R"("user": "u")"), "sinks[0]: user: needs \"password\"");
  EXPECT_EQ(CheckError(base + R"("user": "u", "password": "p", "token": "t")"),
            "sinks[0]: token: user/password, token, credentials and nkey exclude each other");
  EXPECT_EQ(CheckError(base + R"("nkey_seed": "user.nk")"),
            "sinks[0]: nkey_seed: needs \"nkey\" (the user's public NKey, U...)");
  EXPECT_EQ(CheckError(base + R"("nkey": "SUAB", "nkey_seed": "user.nk")"),
            "sinks[0]: nkey: \"SUAB\": not a user's public NKey (56 characters starting with U)");
  EXPECT_EQ(CheckError(base + R"("tls_cert": "c.pem")"), "sinks[0]: tls_cert: needs \"tls_key\"");
  EXPECT_EQ(CheckError(base + R"("storage": "disk")"),
            "sinks[0].storage: unknown storage \"disk\"; known: file, memory");
  EXPECT_EQ(CheckError(base + R"("max_pending": 0)"),
            "sinks[0].max_pending: 0 is out of range; must be between 1 and 65536");
}

// A port nothing listens on: one the kernel just gave and took back.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(NatsSinkConfigTest, NoServerIsOneLineAtOnce) {
  const std::string url = "nats://127.0.0.1:" + std::to_string(FreePort());
  EXPECT_EQ(CheckError(R"("url": ")" + url + R"(", "subject": "logs.app")", run::BuildMode::kOpen),
            "sinks[0]: " + url + ": connection refused");
  // Validation alone does not connect.
  EXPECT_EQ(CheckError(R"("url": ")" + url + R"(", "subject": "logs.app")"), "");
}

TEST_F(NatsSinkConfigTest, NoServerAmongSeveralNamesEach) {
  const std::string a = "nats://127.0.0.1:" + std::to_string(FreePort());
  const std::string b = "nats://127.0.0.1:" + std::to_string(FreePort());
  EXPECT_EQ(CheckError(R"("url": ")" + a + "," + b + R"(", "subject": "s")", run::BuildMode::kOpen),
            "sinks[0]: " + a + "," + b + ": " + a + ": connection refused; " + b +
                ": connection refused");
}

}  // namespace
}  // namespace ringflow::stages

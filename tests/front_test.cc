#include "framework/uring/front.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::uring {
namespace {

using testing::TempDir;
using testing::WriteFile;

// The I/O thread of a test: creates the engine on itself (its owner thread) and runs the front.
class IoThread {
 public:
  IoThread(EngineFront* front, BackendKind kind, BufferPool* pool, uint32_t queue_depth = 32)
      : front_(front) {
    thread_ = std::thread([this, front, kind, pool, queue_depth] {
      EngineOptions options;
      options.backend = kind;
      options.queue_depth = queue_depth;
      options.file_slots = 4;
      options.announce_fallback = false;
      auto engine = Engine::Create(options, pool);
      {
        std::lock_guard lock(mu_);
        if (!engine.ok()) created_ = engine.error();
        ready_ = true;
      }
      cv_.notify_all();
      if (!engine.ok()) return;
      run_ = front->Run(**engine);
      finished_ = true;
    });
  }
  // A test that stopped early (a failed assertion) still ends the loop and the thread.
  ~IoThread() {
    if (thread_.joinable()) {
      front_->Shutdown();
      thread_.join();
    }
  }

  // The engine's creation status, once the thread knows it.
  Status WaitCreated() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return ready_; });
    return created_;
  }
  // Joins the thread; Run's status.
  Status Join() {
    thread_.join();
    return run_;
  }
  bool finished() const { return finished_; }

 private:
  EngineFront* const front_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;
  Status created_;
  Status run_;
  std::atomic<bool> finished_{false};
  std::thread thread_;  // last: starts once everything it uses exists
};

bool Unavailable(const Status& created, BackendKind kind) {
  return !created.ok() && kind == BackendKind::kUring &&
         (created.error().code() == ErrorCode::kPermissionDenied ||
          created.error().code() == ErrorCode::kUnsupported);
}

class FrontTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  // Starts the I/O thread; false (and the test is skipped) when io_uring is refused here.
  bool Start(EngineFront* front, BufferPool* pool, uint32_t queue_depth = 32) {
    io_.emplace(front, GetParam(), pool, queue_depth);
    const Status created = io_->WaitCreated();
    if (Unavailable(created, GetParam())) {
      front->Shutdown();
      return false;
    }
    EXPECT_OK(created);
    return created.ok();
  }

  // In this order: the I/O thread ends (and its engine goes) before the front and the pool.
  std::unique_ptr<BufferPool> pool_;
  std::unique_ptr<EngineFront> front_;
  std::optional<IoThread> io_;
};

#define START_OR_SKIP(front, pool)                           \
  do {                                                       \
    if (!Start(front, pool)) {                               \
      if (!HasFailure()) GTEST_SKIP() << "io_uring refused"; \
      return;                                                \
    }                                                        \
  } while (0)

class Fd {
 public:
  explicit Fd(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Eight producers read random ranges of one file at once, half into pool leases (READ_FIXED) and
// half into their own memory, and check every byte and every user_data.
TEST_P(FrontTest, EightProducersReadEveryByteOfTheirRanges) {
  TempDir dir;
  const std::string content = testing::MakeContent((3 << 20) + 123);
  const std::string path = dir.Join("a.log");
  WriteFile(path, content);
  Fd fd(path);
  ASSERT_GE(fd.get(), 0);

  constexpr int kProducers = 8;
  constexpr uint32_t kDepth = 16;
  constexpr int kReads = 300;
  constexpr std::size_t kMaxRead = 64 * 1024;
  ASSERT_OK_AND_ASSIGN(pool_, BufferPool::Create(kMaxRead, kProducers * kDepth));
  BufferPool* const pool = pool_.get();
  ASSERT_OK_AND_ASSIGN(front_, EngineFront::Create({.queue_capacity = 64}));
  EngineFront* const front = front_.get();
  START_OR_SKIP(front, pool);

  std::atomic<int> failures{0};
  auto produce = [&](int k) {
    auto producer = front->AddProducer(kDepth);
    std::vector<Lease> leases;
    std::vector<std::vector<std::byte>> heap;
    std::vector<std::span<std::byte>> buffers;
    for (uint32_t i = 0; i < kDepth; ++i) {
      if (k % 2 == 0) {
        leases.push_back(*pool->TryAcquire());
        buffers.push_back(leases.back().span());
      } else {
        heap.emplace_back(kMaxRead);
        buffers.emplace_back(heap.back());
      }
    }
    struct Want {
      uint32_t buffer;
      uint64_t offset;
      std::size_t len;
    };
    std::map<uint64_t, Want> wanted;
    std::vector<uint32_t> free_buffers;
    for (uint32_t i = 0; i < kDepth; ++i) free_buffers.push_back(i);
    std::mt19937_64 rng(static_cast<uint64_t>(k) + 1);
    int sent = 0, received = 0;
    std::vector<ReadCompletion> got(kDepth);
    while (received < kReads) {
      while (sent < kReads && !free_buffers.empty()) {
        const uint32_t b = free_buffers.back();
        const uint64_t offset = rng() % (content.size() + 100);  // some past the end
        const std::size_t len = 1 + rng() % kMaxRead;
        const uint64_t user_data = (static_cast<uint64_t>(k) << 32) | static_cast<uint64_t>(sent);
        const ReadRequest request{FileRef::Fd(fd.get()), buffers[b].first(len), offset, user_data,
                                  path};
        if (sent % 3 == 0) {
          const SubmitOutcome outcome = producer->TrySubmit(request);
          if (outcome == SubmitOutcome::kQueueFull) break;  // receive, then try again
          if (outcome != SubmitOutcome::kQueued) {
            ++failures;
            return;
          }
        } else if (!producer->Submit(request).ok()) {
          ++failures;
          return;
        }
        free_buffers.pop_back();
        wanted[user_data] = {b, offset, len};
        ++sent;
      }
      std::size_t n = 0;
      if (k % 4 < 2) {
        n = producer->ReceiveSome(got);
      } else if (auto one = producer->Receive()) {
        got[0] = std::move(*one);
        n = 1;
      }
      for (std::size_t i = 0; i < n; ++i) {
        const ReadCompletion& c = got[i];
        auto it = wanted.find(c.user_data);
        if (it == wanted.end() || !c.bytes.ok()) {
          ++failures;
          ADD_FAILURE() << "unexpected completion " << c.user_data
                        << (c.bytes.ok() ? "" : ": " + c.bytes.error().UserMessage());
          return;
        }
        const Want w = it->second;
        const std::size_t expect =
            w.offset >= content.size() ? 0 : std::min(w.len, content.size() - w.offset);
        if (*c.bytes != expect ||
            (expect > 0 &&
             std::memcmp(buffers[w.buffer].data(), content.data() + w.offset, expect) != 0)) {
          ++failures;
          ADD_FAILURE() << "producer " << k << ": wrong bytes at " << w.offset << " (" << *c.bytes
                        << " of " << expect << ")";
          return;
        }
        wanted.erase(it);
        free_buffers.push_back(w.buffer);
        ++received;
      }
    }
    if (!wanted.empty() || producer->outstanding() != 0) ++failures;
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < kProducers; ++k) threads.emplace_back(produce, k);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  front->Shutdown();
  EXPECT_OK(io_->Join());
}

// A read on a closed descriptor and one on a directory give their own producers structured
// errors (errno, operation, file); a producer reading a good file at the same time sees none.
TEST_P(FrontTest, ErrorsReachOnlyTheProducerWhoseRequestFailed) {
  TempDir dir;
  const std::string content = testing::MakeContent(200000);
  const std::string path = dir.Join("good.log");
  WriteFile(path, content);
  Fd good(path);
  Fd directory(dir.path().string());
  ASSERT_GE(good.get(), 0);
  ASSERT_GE(directory.get(), 0);

  ASSERT_OK_AND_ASSIGN(front_, EngineFront::Create({}));
  EngineFront* const front = front_.get();
  START_OR_SKIP(front, nullptr);
  // A descriptor that was open and is closed: numbered high, where the lowest-free allocation of
  // the descriptors opened meanwhile (the ring, Run's eventfd) does not reach it.
  const int opened = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(opened, 0);
  const int closed = ::fcntl(opened, F_DUPFD_CLOEXEC, 900);
  ASSERT_GE(closed, 900);
  ASSERT_EQ(::close(closed), 0);
  ASSERT_EQ(::close(opened), 0);
  auto healthy = front->AddProducer(8);
  auto stale = front->AddProducer(8);
  auto dirs = front->AddProducer(8);

  std::vector<std::byte> a(4096), b(4096), c(4096);
  ASSERT_OK(stale->Submit({FileRef::Fd(closed), a, 0, 7, "/gone/closed.log"}));
  const std::string dir_path = dir.path().string();  // outlives the request, as its path must
  ASSERT_OK(dirs->Submit({FileRef::Fd(directory.get()), b, 0, 8, dir_path}));
  for (uint64_t i = 0; i < 5; ++i) {
    ASSERT_OK(healthy->Submit(
        {FileRef::Fd(good.get()), std::span(c).first(1000), i * 40000, 100 + i, path}));
    auto done = healthy->Receive();
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->user_data, 100 + i);
    ASSERT_OK(done->bytes);
    ASSERT_EQ(*done->bytes, 1000u);
    EXPECT_EQ(std::memcmp(c.data(), content.data() + i * 40000, 1000), 0);
  }
  EXPECT_FALSE(healthy->TryReceive().has_value());

  auto bad = stale->Receive();
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->user_data, 7u);
  ASSERT_FALSE(bad->bytes.ok());
  EXPECT_EQ(bad->bytes.error().sys_errno(), EBADF);
  EXPECT_EQ(bad->bytes.error().path(), "/gone/closed.log");
  EXPECT_NE(bad->bytes.error().message().find("read 4096 bytes at offset 0"), std::string::npos)
      << bad->bytes.error().message();
  EXPECT_FALSE(stale->Receive().has_value()) << "nothing else is outstanding";

  auto isdir = dirs->Receive();
  ASSERT_TRUE(isdir.has_value());
  EXPECT_EQ(isdir->user_data, 8u);
  ASSERT_FALSE(isdir->bytes.ok());
  EXPECT_EQ(isdir->bytes.error().sys_errno(), EISDIR);
  EXPECT_EQ(isdir->bytes.error().code(), ErrorCode::kIsDirectory);
  EXPECT_EQ(isdir->bytes.error().path(), dir_path);

  front->Shutdown();
  EXPECT_OK(io_->Join());
}

// Shutdown while producers keep the front busy: every request submitted comes back exactly once,
// either read correctly or cancelled with ECANCELED; then Run returns and submits fail cleanly.
TEST_P(FrontTest, ShutdownCompletesOrCancelsEveryRequest) {
  TempDir dir;
  const std::string content = testing::MakeContent(1 << 20);
  const std::string path = dir.Join("a.log");
  WriteFile(path, content);
  Fd fd(path);
  ASSERT_GE(fd.get(), 0);
  ASSERT_OK_AND_ASSIGN(front_, EngineFront::Create({.queue_capacity = 32}));
  EngineFront* const front = front_.get();
  START_OR_SKIP(front, nullptr);

  constexpr int kProducers = 4;
  constexpr uint32_t kDepth = 32;
  std::atomic<int> submitted_total{0}, completed{0}, cancelled{0}, wrong{0};
  std::atomic<bool> refused_after_shutdown{true};
  auto produce = [&](int k) {
    auto producer = front->AddProducer(kDepth);
    std::vector<std::vector<std::byte>> buffers(kDepth, std::vector<std::byte>(4096));
    std::set<uint64_t> open;
    uint64_t next = 0;
    bool shut = false;
    std::vector<uint32_t> free_buffers;
    for (uint32_t i = 0; i < kDepth; ++i) free_buffers.push_back(i);
    std::map<uint64_t, uint32_t> buffer_of;
    while (!shut || producer->outstanding() > 0) {
      while (!shut && !free_buffers.empty()) {
        const uint32_t b = free_buffers.back();
        const uint64_t offset = (next * 4096 + static_cast<uint64_t>(k) * 512) % content.size();
        const uint64_t user_data = (next << 8) | static_cast<uint64_t>(k);
        const SubmitOutcome outcome =
            producer->TrySubmit({FileRef::Fd(fd.get()), buffers[b], offset, user_data, path});
        if (outcome == SubmitOutcome::kShutDown) {
          shut = true;
          if (producer->Submit({FileRef::Fd(fd.get()), buffers[b], 0, 1, path}).ok()) {
            refused_after_shutdown = false;
          }
          break;
        }
        if (outcome != SubmitOutcome::kQueued) break;
        free_buffers.pop_back();
        buffer_of[user_data] = b;
        open.insert(user_data);
        ++next;
        ++submitted_total;
      }
      auto c = producer->Receive();
      if (!c.has_value()) {
        std::this_thread::yield();  // the queue is full of the others' requests
        continue;
      }
      if (open.erase(c->user_data) != 1) {
        ++wrong;
        continue;
      }
      const uint32_t b = buffer_of[c->user_data];
      free_buffers.push_back(b);
      if (c->bytes.ok()) {
        const uint64_t offset =
            ((c->user_data >> 8) * 4096 + static_cast<uint64_t>(k) * 512) % content.size();
        const std::size_t expect = std::min<std::size_t>(4096, content.size() - offset);
        if (*c->bytes != expect ||
            std::memcmp(buffers[b].data(), content.data() + offset, expect) != 0) {
          ++wrong;
        }
        ++completed;
      } else if (c->bytes.error().sys_errno() == ECANCELED &&
                 c->bytes.error().code() == ErrorCode::kCancelled) {
        ++cancelled;
      } else {
        ++wrong;
      }
    }
    if (!open.empty()) ++wrong;
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < kProducers; ++k) threads.emplace_back(produce, k);
  while (submitted_total.load() < 2000) std::this_thread::yield();
  front->Shutdown();
  for (auto& t : threads) t.join();
  EXPECT_OK(io_->Join());
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(refused_after_shutdown.load());
  EXPECT_EQ(completed.load() + cancelled.load(), submitted_total.load());
  EXPECT_GE(completed.load(), 2000 - kProducers * static_cast<int>(kDepth));
}

// A read that is in the kernel when Shutdown comes is completed before Run returns: a read of an
// empty pipe stays in flight until the test writes to it.
TEST_P(FrontTest, ShutdownWaitsForTheReadInTheKernel) {
  if (GetParam() == BackendKind::kPread) GTEST_SKIP() << "pread cannot read a pipe at an offset";
  TempDir dir;
  const std::string path = dir.Join("a.log");
  WriteFile(path, "0123456789");
  Fd file(path);
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_OK_AND_ASSIGN(front_, EngineFront::Create({}));
  EngineFront* const front = front_.get();
  START_OR_SKIP(front, nullptr);
  auto producer = front->AddProducer(4);
  std::vector<std::byte> from_pipe(16), from_file(16);
  ASSERT_OK(producer->Submit({FileRef::Fd(pipe_fds[0]), from_pipe, 0, 1, "pipe"}));
  ASSERT_OK(producer->Submit({FileRef::Fd(file.get()), from_file, 0, 2, path}));
  // Requests reach the kernel in queue order: once the file's read is back, the pipe's is in.
  auto first = producer->Receive();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->user_data, 2u);
  EXPECT_EQ(*first->bytes, 10u);

  front->Shutdown();
  EXPECT_EQ(producer->TrySubmit({FileRef::Fd(file.get()), from_file, 0, 3, path}),
            SubmitOutcome::kShutDown);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(io_->finished()) << "Run returned with a read still in the kernel";
  EXPECT_FALSE(producer->TryReceive().has_value());
  ASSERT_EQ(::write(pipe_fds[1], "hello", 5), 5);
  auto second = producer->Receive();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->user_data, 1u);
  ASSERT_OK(second->bytes);
  EXPECT_EQ(*second->bytes, 5u);
  EXPECT_EQ(std::memcmp(from_pipe.data(), "hello", 5), 0);
  EXPECT_OK(io_->Join());
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

// Backpressure: a full request queue answers TrySubmit with kQueueFull and holds a blocking
// Submit until the I/O thread takes requests; a producer at its capacity gets kProducerFull
// (and Submit an error instead of a wait that could not end).
TEST_P(FrontTest, FullQueueAndFullProducer) {
  TempDir dir;
  const std::string content = testing::MakeContent(100000);
  const std::string path = dir.Join("a.log");
  WriteFile(path, content);
  Fd fd(path);
  ASSERT_OK_AND_ASSIGN(front_, EngineFront::Create({.queue_capacity = 4}));
  EngineFront* const front = front_.get();
  EXPECT_EQ(front->queue_capacity(), 4u);
  auto many = front->AddProducer(16);
  auto few = front->AddProducer(2);
  std::vector<std::byte> buf(16 * 100);
  auto request = [&](uint64_t i) {
    return ReadRequest{FileRef::Fd(fd.get()), std::span(buf).subspan(i * 100, 100), i * 1000, i,
                       path};
  };
  // No I/O thread yet: nothing leaves the queue.
  for (uint64_t i = 0; i < 4; ++i) ASSERT_EQ(many->TrySubmit(request(i)), SubmitOutcome::kQueued);
  EXPECT_EQ(many->TrySubmit(request(4)), SubmitOutcome::kQueueFull);
  EXPECT_EQ(few->TrySubmit(request(14)), SubmitOutcome::kQueueFull);
  EXPECT_EQ(many->outstanding(), 4u);

  std::atomic<bool> submitted{false};
  std::thread blocked([&] {
    EXPECT_OK(many->Submit(request(4)));
    submitted = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(submitted.load()) << "Submit must wait while the queue is full";

  ASSERT_OK_AND_ASSIGN(pool_, BufferPool::Create(4096, 1));
  BufferPool* const pool = pool_.get();
  if (!Start(front, pool)) {
    blocked.join();
    if (!HasFailure()) GTEST_SKIP() << "io_uring refused";
    return;
  }
  blocked.join();
  EXPECT_TRUE(submitted.load());
  std::set<uint64_t> seen;
  for (int i = 0; i < 5; ++i) {
    auto c = many->Receive();
    ASSERT_TRUE(c.has_value());
    ASSERT_OK(c->bytes);
    EXPECT_EQ(*c->bytes, 100u);
    EXPECT_EQ(
        std::memcmp(buf.data() + c->user_data * 100, content.data() + c->user_data * 1000, 100), 0);
    seen.insert(c->user_data);
  }
  EXPECT_EQ(seen, (std::set<uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(many->Receive().has_value());

  // `few` may have 2 outstanding; received completions give the room back.
  ASSERT_OK(few->Submit(request(10)));
  ASSERT_EQ(few->TrySubmit(request(11)), SubmitOutcome::kQueued);
  EXPECT_EQ(few->TrySubmit(request(12)), SubmitOutcome::kProducerFull);
  const Status over = few->Submit(request(12));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), ErrorCode::kResourceExhausted);
  std::vector<ReadCompletion> out(8);
  std::size_t got = 0;
  while (got < 2) got += few->ReceiveSome(std::span(out).subspan(got));
  EXPECT_EQ(got, 2u);
  EXPECT_EQ(few->outstanding(), 0u);
  EXPECT_EQ(few->ReceiveSome(out), 0u) << "nothing outstanding: no wait";
  EXPECT_EQ(few->TrySubmit(request(12)), SubmitOutcome::kQueued);
  ASSERT_TRUE(few->Receive().has_value());

  front->Shutdown();
  EXPECT_OK(io_->Join());
  EXPECT_EQ(many->TrySubmit(request(5)), SubmitOutcome::kShutDown);
  const Status after = many->Submit(request(5));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code(), ErrorCode::kCancelled);
}

INSTANTIATE_TEST_SUITE_P(Backends, FrontTest,
                         ::testing::Values(BackendKind::kUring, BackendKind::kPread),
                         [](const auto& param_info) {
                           return std::string(BackendName(param_info.param));
                         });

// Shutdown before any I/O thread ran: the queued requests come back cancelled (ECANCELED, with
// their user_data and path), and a Run started afterwards returns at once.
TEST(FrontShutdownTest, BeforeRunCancelsWhatIsQueued) {
  ASSERT_OK_AND_ASSIGN(auto front, EngineFront::Create({.queue_capacity = 8}));
  auto producer = front->AddProducer(8);
  std::vector<std::byte> buf(64);
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_OK(producer->Submit({FileRef::Fd(0), buf, 0, 40 + i, "queued.log"}));
  }
  front->Shutdown();
  front->Shutdown();  // idempotent
  for (uint64_t i = 0; i < 3; ++i) {
    auto c = producer->TryReceive();
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->user_data, 40 + i);
    ASSERT_FALSE(c->bytes.ok());
    EXPECT_EQ(c->bytes.error().sys_errno(), ECANCELED);
    EXPECT_EQ(c->bytes.error().code(), ErrorCode::kCancelled);
    EXPECT_EQ(c->bytes.error().path(), "queued.log");
  }
  EXPECT_EQ(producer->outstanding(), 0u);
  auto engine = Engine::Create({.backend = BackendKind::kPread}, nullptr);
  ASSERT_OK(engine);
  EXPECT_OK(front->Run(**engine));
  EXPECT_EQ(producer->TrySubmit({FileRef::Fd(0), buf, 0, 1, "x"}), SubmitOutcome::kShutDown);
}

// A ring of one submission entry leaves no room beside the wake-up read: Run refuses it and ends
// the front as Shutdown does, so the queued request comes back instead of waiting forever.
TEST(FrontShutdownTest, RunRefusesAnEngineWithoutRoomAndHandsBackWhatIsQueued) {
  auto engine = Engine::Create({.backend = BackendKind::kUring, .queue_depth = 1}, nullptr);
  if (!engine.ok() && (engine.error().code() == ErrorCode::kPermissionDenied ||
                       engine.error().code() == ErrorCode::kUnsupported)) {
    GTEST_SKIP() << "io_uring refused: " << engine.error().message();
  }
  ASSERT_OK(engine);
  ASSERT_EQ((*engine)->sq_space(), 1u);
  ASSERT_OK_AND_ASSIGN(auto front, EngineFront::Create({}));
  auto producer = front->AddProducer(1);
  std::vector<std::byte> buf(64);
  ASSERT_OK(producer->Submit({FileRef::Fd(0), buf, 0, 5, "x"}));
  const Status run = front->Run(**engine);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().code(), ErrorCode::kInvalidArgument);
  auto c = producer->TryReceive();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user_data, 5u);
  ASSERT_FALSE(c->bytes.ok());
  EXPECT_EQ(c->bytes.error().sys_errno(), ECANCELED);
  EXPECT_EQ(producer->TrySubmit({FileRef::Fd(0), buf, 0, 6, "x"}), SubmitOutcome::kShutDown);
}

TEST(FrontShutdownTest, ZeroQueueCapacityIsInvalid) {
  auto front = EngineFront::Create({.queue_capacity = 0});
  ASSERT_FALSE(front.ok());
  EXPECT_EQ(front.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ringflow::uring

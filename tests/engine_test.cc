#include "framework/uring/engine.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::uring {
namespace {

using testing::TempDir;
using testing::WriteFile;

class EngineTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    auto pool = BufferPool::Create(64 * 1024, 8);
    ASSERT_OK(pool);
    pool_ = std::move(pool).value();
    EngineOptions options;
    options.backend = GetParam();
    options.queue_depth = 16;
    options.file_slots = 8;
    auto engine = Engine::Create(options, pool_.get());
    if (!engine.ok() && GetParam() == BackendKind::kUring &&
        (engine.error().code() == ErrorCode::kPermissionDenied ||
         engine.error().code() == ErrorCode::kUnsupported)) {
      GTEST_SKIP() << "io_uring unavailable: " << engine.error().message();
    }
    ASSERT_OK(engine);
    engine_ = std::move(engine).value();
  }

  // Submits, waits for `n` completions and returns them.
  std::vector<Completion> SubmitAndReap(uint32_t n) {
    std::vector<Completion> all;
    auto submitted = engine_->Submit(n);
    EXPECT_TRUE(submitted.ok());
    while (all.size() < n) {
      Completion c[8];
      const std::size_t got = engine_->Reap(c);
      all.insert(all.end(), c, c + got);
      if (got == 0 && all.size() < n) {
        EXPECT_TRUE(engine_->Submit(1).ok());
      }
    }
    return all;
  }

  std::unique_ptr<BufferPool> pool_;
  std::unique_ptr<Engine> engine_;  // declared after the pool: destroyed first
};

TEST_P(EngineTest, OpenReadAtOffsetsClose) {
  TempDir dir;
  const std::string content = testing::MakeContent(100000);
  WriteFile(dir.Join("a.log"), content);
  const std::string path = dir.Join("a.log");
  ASSERT_TRUE(engine_->PrepOpen(0, path.c_str(), O_RDONLY, 11));
  auto open = SubmitAndReap(1);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].user_data, 11u);
  ASSERT_GE(open[0].res, 0);
  const FileRef file = engine_->direct_descriptors() ? FileRef::Slot(0) : FileRef::Fd(open[0].res);

  auto a = pool_->TryAcquire();
  auto b = pool_->TryAcquire();
  // Two reads in one batch; user_data tells them apart whatever the completion order.
  ASSERT_TRUE(engine_->PrepRead(file, a->data(), 1000, 5, 21));
  ASSERT_TRUE(engine_->PrepRead(file, b->data(), 65536, 99000, 22));
  EXPECT_EQ(engine_->pending(), 2u);
  auto reads = SubmitAndReap(2);
  ASSERT_EQ(reads.size(), 2u);
  for (const Completion& c : reads) {
    if (c.user_data == 21) {
      EXPECT_EQ(c.res, 1000);
      EXPECT_EQ(std::memcmp(a->data(), content.data() + 5, 1000), 0);
    } else {
      EXPECT_EQ(c.user_data, 22u);
      EXPECT_EQ(c.res, 1000);  // short read at the end of the file: not an error
      EXPECT_EQ(std::memcmp(b->data(), content.data() + 99000, 1000), 0);
    }
  }
  ASSERT_TRUE(engine_->PrepRead(file, a->data(), 4096, 100000, 23));
  auto eof = SubmitAndReap(1);
  EXPECT_EQ(eof[0].res, 0);

  ASSERT_TRUE(engine_->PrepClose(file, 31));
  auto close = SubmitAndReap(1);
  EXPECT_EQ(close[0].user_data, 31u);
  EXPECT_EQ(close[0].res, 0);
}

TEST_P(EngineTest, MissingFileIsENOENTForThatRequest) {
  TempDir dir;
  WriteFile(dir.Join("here.log"), "x\n");
  const std::string missing = dir.Join("missing.log");
  const std::string here = dir.Join("here.log");
  ASSERT_TRUE(engine_->PrepOpen(0, missing.c_str(), O_RDONLY, 1));
  ASSERT_TRUE(engine_->PrepOpen(1, here.c_str(), O_RDONLY, 2));
  auto done = SubmitAndReap(2);
  for (const Completion& c : done) {
    if (c.user_data == 1) {
      EXPECT_EQ(c.res, -ENOENT);
    } else {
      EXPECT_GE(c.res, 0);
      const FileRef f = engine_->direct_descriptors() ? FileRef::Slot(1) : FileRef::Fd(c.res);
      ASSERT_TRUE(engine_->PrepClose(f, 3));
      EXPECT_EQ(SubmitAndReap(1)[0].res, 0);
    }
  }
}

// The reader's open: O_NONBLOCK, linked to a statx of the same path. A FIFO opens without
// waiting and its statx says so; a failed open cancels the statx; a regular file gives its size.
TEST_P(EngineTest, OpenLinkedToStatxTellsTypeAndSize) {
  TempDir dir;
  const std::string content = testing::MakeContent(12345);
  WriteFile(dir.Join("a.log"), content);
  const std::string a = dir.Join("a.log"), fifo = dir.Join("p"), missing = dir.Join("none");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  struct statx sa {
  }, sp{}, sm{};
  const int flags = O_RDONLY | O_NONBLOCK;
  ASSERT_TRUE(engine_->PrepOpenAt(0, AT_FDCWD, a.c_str(), flags, 1, true));
  ASSERT_TRUE(engine_->PrepStatx(FileRef::Slot(0), AT_FDCWD, a.c_str(), &sa, 2));
  ASSERT_TRUE(engine_->PrepOpenAt(1, AT_FDCWD, fifo.c_str(), flags, 3, true));
  ASSERT_TRUE(engine_->PrepStatx(FileRef::Slot(1), AT_FDCWD, fifo.c_str(), &sp, 4));
  ASSERT_TRUE(engine_->PrepOpenAt(2, AT_FDCWD, missing.c_str(), flags, 5, true));
  ASSERT_TRUE(engine_->PrepStatx(FileRef::Slot(2), AT_FDCWD, missing.c_str(), &sm, 6));
  std::map<uint64_t, int32_t> res;
  for (const Completion& c : SubmitAndReap(6)) res[c.user_data] = c.res;
  ASSERT_GE(res[1], 0);
  EXPECT_EQ(res[2], 0);
  EXPECT_TRUE(S_ISREG(sa.stx_mode));
  EXPECT_EQ(sa.stx_size, content.size());
  ASSERT_GE(res[3], 0) << "a FIFO without a writer opens at once with O_NONBLOCK";
  EXPECT_EQ(res[4], 0);
  EXPECT_TRUE(S_ISFIFO(sp.stx_mode));
  EXPECT_EQ(res[5], -ENOENT);
  EXPECT_EQ(res[6], -ECANCELED);
  for (uint32_t slot : {0u, 1u}) {
    const int32_t opened = res[slot == 0 ? 1 : 3];
    const FileRef f = engine_->direct_descriptors() ? FileRef::Slot(slot) : FileRef::Fd(opened);
    // A stat of the open file (the descriptor itself where the backend can).
    struct statx again {};
    ASSERT_TRUE(engine_->PrepStatx(f, AT_FDCWD, slot == 0 ? a.c_str() : fifo.c_str(), &again, 7));
    EXPECT_EQ(SubmitAndReap(1)[0].res, 0);
    EXPECT_EQ(S_ISREG(again.stx_mode), slot == 0);
    ASSERT_TRUE(engine_->PrepClose(f, 8));
    EXPECT_EQ(SubmitAndReap(1)[0].res, 0);
  }
}

// A directory descriptor and a name relative to it, as the reader opens paths past PATH_MAX.
TEST_P(EngineTest, OpenAtRelativeToADirectoryDescriptor) {
  TempDir dir;
  WriteFile(dir.Join("sub/b.log"), "bee\n");
  const int dfd = ::open(dir.Join("sub").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  ASSERT_TRUE(engine_->PrepOpenAt(0, dfd, "b.log", O_RDONLY, 1, false));
  const int32_t opened = SubmitAndReap(1)[0].res;
  ::close(dfd);
  ASSERT_GE(opened, 0);
  const FileRef f = engine_->direct_descriptors() ? FileRef::Slot(0) : FileRef::Fd(opened);
  auto lease = pool_->TryAcquire();
  ASSERT_TRUE(engine_->PrepRead(f, lease->data(), 100, 0, 2));
  EXPECT_EQ(SubmitAndReap(1)[0].res, 4);
  EXPECT_EQ(std::memcmp(lease->data(), "bee\n", 4), 0);
  ASSERT_TRUE(engine_->PrepClose(f, 3));
  EXPECT_EQ(SubmitAndReap(1)[0].res, 0);
}

TEST_P(EngineTest, DirectoryReadIsEISDIR) {
  TempDir dir;
  const std::string path = dir.path().string();
  ASSERT_TRUE(engine_->PrepOpen(0, path.c_str(), O_RDONLY, 1));
  auto open = SubmitAndReap(1);
  ASSERT_GE(open[0].res, 0);
  const FileRef file = engine_->direct_descriptors() ? FileRef::Slot(0) : FileRef::Fd(open[0].res);
  auto lease = pool_->TryAcquire();
  ASSERT_TRUE(engine_->PrepRead(file, lease->data(), 4096, 0, 2));
  EXPECT_EQ(SubmitAndReap(1)[0].res, -EISDIR);
  ASSERT_TRUE(engine_->PrepClose(file, 3));
  EXPECT_EQ(SubmitAndReap(1)[0].res, 0);
}

TEST_P(EngineTest, RegisteredFileHandleReadsCallersDescriptor) {
  TempDir dir;
  WriteFile(dir.Join("b.log"), "hello\nworld\n");
  const int fd = ::open(dir.Join("b.log").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  {
    ASSERT_OK_AND_ASSIGN(FileHandle handle, engine_->RegisterFile(fd));
    EXPECT_TRUE(handle.ref().fixed);
    EXPECT_EQ(handle.ref().value, 7);  // lent from the top of the table
    auto lease = pool_->TryAcquire();
    ASSERT_TRUE(engine_->PrepRead(handle.ref(), lease->data(), 4096, 6, 5));
    auto done = SubmitAndReap(1);
    EXPECT_EQ(done[0].res, 6);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(lease->data()), 6), "world\n");
    ASSERT_OK_AND_ASSIGN(FileHandle second, engine_->RegisterFile(fd));
    EXPECT_EQ(second.ref().value, 6);
  }
  // The handles gave their slots back; the caller still owns the descriptor.
  ASSERT_OK_AND_ASSIGN(FileHandle again, engine_->RegisterFile(fd));
  EXPECT_EQ(again.ref().value, 7);
  EXPECT_EQ(::close(fd), 0);
}

TEST_P(EngineTest, FullSubmissionQueueSaysSo) {
  TempDir dir;
  WriteFile(dir.Join("c.log"), "c\n");
  const std::string path = dir.Join("c.log");
  uint32_t queued = 0;
  while (engine_->PrepOpen(queued % 8, path.c_str(), O_RDONLY, queued)) {
    ++queued;
    ASSERT_LE(queued, 64u);
    if (queued == 8) break;
  }
  EXPECT_EQ(queued, 8u);
  auto done = SubmitAndReap(8);
  EXPECT_EQ(done.size(), 8u);
  for (uint32_t i = 0; i < 8; ++i) {
    const Completion& c = done[i];
    ASSERT_GE(c.res, 0);
    const FileRef f = engine_->direct_descriptors()
                          ? FileRef::Slot(static_cast<uint32_t>(c.user_data))
                          : FileRef::Fd(c.res);
    ASSERT_TRUE(engine_->PrepClose(f, 100 + i));
  }
  EXPECT_EQ(SubmitAndReap(8).size(), 8u);
}

TEST_P(EngineTest, FeaturesAreReported) {
  ASSERT_FALSE(engine_->features().empty());
  EXPECT_EQ(engine_->features()[0].name, "backend");
  EXPECT_EQ(engine_->kind(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineTest,
                         ::testing::Values(BackendKind::kUring, BackendKind::kPread),
                         [](const auto& param_info) {
                           return std::string(BackendName(param_info.param));
                         });

TEST(EngineProbeTest, ProbeKernelListsFeatures) {
  const ProbeReport report = ProbeKernel(EngineOptions{});
  if (!report.uring_available) GTEST_SKIP() << report.uring_error;
  bool saw_direct = false;
  for (const Feature& f : report.features) saw_direct |= f.name.find("direct") != std::string::npos;
  EXPECT_TRUE(saw_direct);
  EXPECT_FALSE(LiburingVersion().empty());
}

TEST(EngineOptionsTest, ParseBackend) {
  EXPECT_EQ(*ParseBackend("pread"), BackendKind::kPread);
  EXPECT_EQ(*ParseBackend("uring"), BackendKind::kUring);
  EXPECT_FALSE(ParseBackend("aio").ok());
}

// ---- Fallbacks, each in a child process so that its restrictions do not leak into the suite.

namespace fallback {

// Runs `body` in a child and returns its exit status (the child's exit code, or 128 + signal).
int InChild(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Reads `path` whole through `engine`; returns the byte count or -errno.
int64_t ReadWhole(Engine& engine, BufferPool& pool, const std::string& path) {
  if (!engine.PrepOpen(0, path.c_str(), O_RDONLY, 1) || !engine.Submit(1).ok()) return -EIO;
  Completion c{};
  if (engine.Reap({&c, 1}) != 1 || c.res < 0) return c.res < 0 ? c.res : -EIO;
  const FileRef file = engine.direct_descriptors() ? FileRef::Slot(0) : FileRef::Fd(c.res);
  auto lease = pool.TryAcquire();
  int64_t total = 0;
  for (;;) {
    if (!engine.PrepRead(file, lease->data(), static_cast<uint32_t>(lease->capacity()),
                         static_cast<uint64_t>(total), 2) ||
        !engine.Submit(1).ok() || engine.Reap({&c, 1}) != 1) {
      return -EIO;
    }
    if (c.res <= 0) break;
    total += c.res;
  }
  engine.PrepClose(file, 3);
  (void)engine.Submit(1);
  engine.Reap({&c, 1});
  return c.res < 0 ? c.res : total;
}

}  // namespace fallback

TEST(EngineFallbackTest, RefusedIoUringFallsBackToPread) {
  TempDir dir;
  WriteFile(dir.Join("a.log"), "one\ntwo\n");
  const std::string path = dir.Join("a.log");
  const int code = fallback::InChild([&] {
    // What container runtimes do: seccomp answers io_uring_setup with ENOSYS (or EPERM).
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 11;
    auto pool = BufferPool::Create(4096, 2);
    EngineOptions explicit_uring;
    explicit_uring.backend = BackendKind::kUring;
    auto refused = Engine::Create(explicit_uring, pool->get());
    if (refused.ok() || refused.error().code() != ErrorCode::kUnsupported) return 12;
    auto engine = Engine::Create(EngineOptions{}, pool->get());  // auto
    if (!engine.ok() || (*engine)->kind() != BackendKind::kPread) return 13;
    if (fallback::ReadWhole(**engine, **pool, path) != 8) return 14;
    return 0;
  });
  EXPECT_EQ(code, 0) << "10-11: seccomp set-up, 12: explicit uring not refused, 13: no pread "
                        "fallback, 14: wrong read";
}

TEST(EngineFallbackTest, RefusedBufferRegistrationSaysWhyAndReadsAnyway) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become an unprivileged user";
  TempDir dir;
  WriteFile(dir.Join("b.log"), std::string(100000, 'x'));
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(dir.Join("b.log").c_str(), 0644);
  const std::string path = dir.Join("b.log");
  const int code = fallback::InChild([&] {
    // An unprivileged user pays registered buffers from RLIMIT_MEMLOCK; make it small.
    rlimit small{1 << 20, 1 << 20};
    if (::setrlimit(RLIMIT_MEMLOCK, &small) != 0) return 10;
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 11;
    auto pool = BufferPool::Create(1 << 20, 8);  // 8 MiB > 1 MiB limit
    auto engine = Engine::Create(EngineOptions{}, pool->get());
    if (!engine.ok()) return 77;  // io_uring unavailable to this user: nothing to check
    bool said_why = false;
    for (const Feature& f : (*engine)->features()) {
      if (f.name.rfind("registered buffers", 0) == 0) {
        said_why = !f.used && f.note.find("RLIMIT_MEMLOCK 1.0 MiB") != std::string::npos &&
                   f.note.find("pool 8.0 MiB") != std::string::npos;
      }
    }
    if (!said_why) return 12;
    if (fallback::ReadWhole(**engine, **pool, path) != 100000) return 13;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "io_uring refused to the unprivileged user";
  EXPECT_EQ(code, 0) << "10-11: set-up, 12: note missing, 13: wrong read";
}

}  // namespace
}  // namespace ringflow::uring

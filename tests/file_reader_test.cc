#include "framework/uring/file_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::uring {
namespace {

using testing::MakeContent;
using testing::TempDir;
using testing::WriteFile;

// Collects every file's bytes and checks the reader's ordering promises as it goes.
class CollectingHandler : public ReadHandler {
 public:
  struct FileResult {
    std::string bytes;
    bool done = false;
    int done_calls = 0;
    Status status;
    uint64_t reported_bytes = 0;
    uint64_t size_at_open = FileEnd::kUnknownSize;
    bool shrank = false;
  };

  void OnChunk(FileChunk&& chunk) override {
    FileResult& r = files[chunk.file_id];
    EXPECT_FALSE(r.done) << "chunk after OnFileDone";
    EXPECT_EQ(chunk.offset, r.bytes.size()) << "chunks out of order or with a gap";
    EXPECT_GT(chunk.length, 0u);
    r.bytes.append(reinterpret_cast<const char*>(chunk.data().data()), chunk.length);
    if (on_chunk) on_chunk(chunk);
  }
  void OnFileDone(uint64_t file_id, const Status& status, uint64_t bytes) override {
    FileResult& r = files[file_id];
    r.done = true;
    ++r.done_calls;
    r.status = status;
    r.reported_bytes = bytes;
  }
  void OnFileEnd(const FileEnd& end) override {
    files[end.file_id].size_at_open = end.size_at_open;
    files[end.file_id].shrank = end.shrank();
    OnFileDone(end.file_id, end.status, end.bytes);
  }

  std::map<uint64_t, FileResult> files;
  std::function<void(const FileChunk&)> on_chunk;
};

struct Config {
  BackendKind backend;
  bool direct_descriptors;
  std::size_t buffer_size;
  uint32_t buffers;
  uint32_t queue_depth;
  uint32_t open_files;
  uint32_t reads_per_file;
};

std::string Name(const ::testing::TestParamInfo<Config>& info) {
  const Config& c = info.param;
  return std::string(BackendName(c.backend)) + (c.direct_descriptors ? "" : "_plainfd") + "_buf" +
         std::to_string(c.buffer_size) + "x" + std::to_string(c.buffers) + "_qd" +
         std::to_string(c.queue_depth);
}

class FileReaderTest : public ::testing::TestWithParam<Config> {
 protected:
  void SetUp() override {
    const Config& c = GetParam();
    ASSERT_OK_AND_ASSIGN(pool_, BufferPool::Create(c.buffer_size, c.buffers));
    EngineOptions options;
    options.backend = c.backend;
    options.direct_descriptors = c.direct_descriptors;
    options.queue_depth = c.queue_depth;
    options.file_slots = std::max<uint32_t>(c.open_files, 1);
    auto engine = Engine::Create(options, pool_.get());
    if (!engine.ok() && c.backend == BackendKind::kUring &&
        (engine.error().code() == ErrorCode::kPermissionDenied ||
         engine.error().code() == ErrorCode::kUnsupported)) {
      GTEST_SKIP() << "io_uring unavailable: " << engine.error().message();
    }
    ASSERT_OK(engine);
    engine_ = std::move(engine).value();
    reader_options_.max_open_files = c.open_files;
    reader_options_.reads_per_file = c.reads_per_file;
    reader_options_.max_in_flight = std::max<uint32_t>(2, c.queue_depth);
  }

  void TearDown() override {
    if (pool_) {
      EXPECT_EQ(pool_->available(), pool_->count()) << "a buffer did not come back";
    }
  }

  Status ReadAll(const std::vector<std::string>& paths, CollectingHandler& handler) {
    std::vector<ReadJob> jobs;
    for (std::size_t i = 0; i < paths.size(); ++i) jobs.push_back({i, paths[i]});
    VectorSource source(std::move(jobs));
    FileReader reader(engine_.get(), pool_.get(), reader_options_);
    Status status = reader.Run(source, handler);
    stats_ = reader.stats();
    return status;
  }

  std::unique_ptr<BufferPool> pool_;
  std::unique_ptr<Engine> engine_;
  ReaderOptions reader_options_;
  ReaderStats stats_;
};

TEST_P(FileReaderTest, ReadsFilesOfEverySizeExactly) {
  TempDir dir;
  const std::size_t b = GetParam().buffer_size;
  const std::vector<std::size_t> sizes = {0,     1,     100,        b - 1,     b,
                                          b + 1, 3 * b, 3 * b + 17, 40 * b + 5};
  std::vector<std::string> paths, contents;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    paths.push_back(dir.Join("f" + std::to_string(i) + ".log"));
    contents.push_back(MakeContent(sizes[i], static_cast<uint32_t>(i + 1)));
    WriteFile(paths.back(), contents.back());
  }
  // No final newline.
  paths.push_back(dir.Join("nonl.log"));
  contents.push_back("first\nsecond without newline");
  WriteFile(paths.back(), contents.back());

  CollectingHandler handler;
  ASSERT_OK(ReadAll(paths, handler));
  ASSERT_EQ(handler.files.size(), paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const auto& r = handler.files[i];
    EXPECT_EQ(r.done_calls, 1) << paths[i];
    EXPECT_OK(r.status);
    EXPECT_EQ(r.reported_bytes, contents[i].size()) << paths[i];
    EXPECT_TRUE(r.bytes == contents[i]) << paths[i] << " differs";
  }
  EXPECT_EQ(stats_.files_ok, paths.size());
  EXPECT_EQ(stats_.files_failed, 0u);
}

TEST_P(FileReaderTest, MissingFileAndDirectoryAreReportedAndTheRunGoesOn) {
  TempDir dir;
  WriteFile(dir.Join("ok.log"), "fine\n");
  std::filesystem::create_directory(dir.Join("sub.log"));
  CollectingHandler handler;
  ASSERT_OK(ReadAll({dir.Join("missing.log"), dir.Join("sub.log"), dir.Join("ok.log")}, handler));
  ASSERT_FALSE(handler.files[0].status.ok());
  EXPECT_EQ(handler.files[0].status.error().sys_errno(), ENOENT);
  EXPECT_EQ(handler.files[0].status.error().message(), "open: No such file or directory (ENOENT)");
  ASSERT_FALSE(handler.files[1].status.ok());
  EXPECT_EQ(handler.files[1].status.error().sys_errno(), EISDIR);
  EXPECT_EQ(handler.files[1].status.error().code(), ErrorCode::kIsDirectory);
  EXPECT_OK(handler.files[2].status);
  EXPECT_EQ(handler.files[2].bytes, "fine\n");
  EXPECT_EQ(stats_.files_failed, 2u);
  EXPECT_EQ(stats_.files_ok, 1u);
}

TEST_P(FileReaderTest, JobsWithASkipReasonAreReportedInPlaceWithoutOpening) {
  TempDir dir;
  WriteFile(dir.Join("a.log"), "a\n");
  WriteFile(dir.Join("b.log"), "b\n");  // exists, but the caller said to skip it
  std::vector<ReadJob> jobs = {{0, dir.Join("a.log")}, {1, dir.Join("b.log")}};
  jobs[1].skip = Error(ErrorCode::kInvalidArgument, "hidden file");
  for (const bool ordered : {false, true}) {
    reader_options_.ordered = ordered;
    uint64_t reads_of_a = 0;
    {
      VectorSource only_a({jobs[0]});
      CollectingHandler handler;
      FileReader reader(engine_.get(), pool_.get(), reader_options_);
      ASSERT_OK(reader.Run(only_a, handler));
      reads_of_a = reader.stats().reads;
    }
    VectorSource source(jobs);
    CollectingHandler handler;
    FileReader reader(engine_.get(), pool_.get(), reader_options_);
    ASSERT_OK(reader.Run(source, handler));
    EXPECT_EQ(handler.files[0].bytes, "a\n");
    EXPECT_OK(handler.files[0].status);
    ASSERT_FALSE(handler.files[1].status.ok());
    EXPECT_EQ(handler.files[1].done_calls, 1);
    EXPECT_EQ(handler.files[1].bytes, "") << "a skipped file must not be read";
    EXPECT_EQ(handler.files[1].status.error().message(), "hidden file");
    EXPECT_EQ(handler.files[1].status.error().path(), dir.Join("b.log"));
    EXPECT_EQ(reader.stats().files_failed, 1u);
    EXPECT_EQ(reader.stats().reads, reads_of_a) << "only a.log is read";
  }
}

TEST_P(FileReaderTest, StopEndsOpenFilesAsInterruptedAndTakesNoMoreJobs) {
  TempDir dir;
  const std::size_t b = GetParam().buffer_size;
  std::vector<std::string> paths;
  // More files than may be open at once (16): some are never taken.
  for (int i = 0; i < 24; ++i) {
    paths.push_back(dir.Join("f" + std::to_string(i)));
    WriteFile(paths.back(), MakeContent(20 * b, static_cast<uint32_t>(i + 1)));
  }
  std::atomic<bool> stop{false};
  reader_options_.stop = &stop;
  CollectingHandler handler;
  // The flag goes up with the first chunk: whatever was read by then is delivered, in order
  // and without gaps (CollectingHandler checks), and every file taken is ended.
  handler.on_chunk = [&](const FileChunk&) { stop = true; };
  ASSERT_OK(ReadAll(paths, handler));
  ASSERT_FALSE(handler.files.empty());
  EXPECT_LT(handler.files.size(), paths.size()) << "files after the stop were still taken";
  uint64_t interrupted = 0;
  for (const auto& [id, r] : handler.files) {
    EXPECT_EQ(r.done_calls, 1) << id;
    EXPECT_LT(r.bytes.size(), 20 * b) << id << " was read whole after the stop";
    EXPECT_EQ(r.reported_bytes, r.bytes.size());
    ASSERT_FALSE(r.status.ok()) << id;
    EXPECT_EQ(r.status.error().code(), ErrorCode::kCancelled);
    EXPECT_EQ(r.status.error().message(), "interrupted");
    EXPECT_EQ(r.status.error().path(), paths[id]);
    ++interrupted;
  }
  EXPECT_EQ(stats_.files_failed, interrupted);
}

TEST_P(FileReaderTest, FileThatGrowsWhileReadIsReadToItsNewEnd) {
  TempDir dir;
  const std::size_t b = GetParam().buffer_size;
  const std::string path = dir.Join("grow.log");
  std::string content = MakeContent(2 * b + 100, 3);
  WriteFile(path, content);
  const std::string extra = MakeContent(3 * b, 4);
  CollectingHandler handler;
  bool appended = false;
  handler.on_chunk = [&](const FileChunk& chunk) {
    if (appended || chunk.offset != 0) return;
    appended = true;
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, extra.data(), extra.size()), static_cast<ssize_t>(extra.size()));
    ::close(fd);
  };
  ASSERT_OK(ReadAll({path}, handler));
  // Reads issued after the append see it; reads issued before may stop at the old end. Either
  // way the bytes are a prefix of the final file, at least as long as the original.
  const std::string final_content = content + extra;
  const std::string& got = handler.files[0].bytes;
  EXPECT_GE(got.size(), content.size());
  EXPECT_TRUE(final_content.compare(0, got.size(), got) == 0);
  if (GetParam().reads_per_file == 1) {
    EXPECT_EQ(got.size(), final_content.size());
  }
}

TEST_P(FileReaderTest, FileThatShrinksWhileReadEndsAtItsNewEnd) {
  TempDir dir;
  const std::size_t b = GetParam().buffer_size;
  const std::string path = dir.Join("shrink.log");
  const std::string content = MakeContent(10 * b, 5);
  WriteFile(path, content);
  CollectingHandler handler;
  handler.on_chunk = [&](const FileChunk& chunk) {
    if (chunk.offset == 0) {
      ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(b + 7)), 0);
    }
  };
  ASSERT_OK(ReadAll({path}, handler));
  const std::string& got = handler.files[0].bytes;
  EXPECT_OK(handler.files[0].status);
  EXPECT_GE(got.size(), b);
  EXPECT_TRUE(content.compare(0, got.size(), got) == 0);
  if (GetParam().reads_per_file == 1) {
    EXPECT_EQ(got.size(), b + 7);
  }
  // The end tells the handler that the file was cut while it was read.
  EXPECT_EQ(handler.files[0].size_at_open, content.size());
  EXPECT_TRUE(handler.files[0].shrank);
}

TEST_P(FileReaderTest, WholeFileIsNotReportedAsShrunk) {
  TempDir dir;
  const std::string content = MakeContent(3 * GetParam().buffer_size + 5, 6);
  WriteFile(dir.Join("whole.log"), content);
  WriteFile(dir.Join("empty.log"), "");
  CollectingHandler handler;
  ASSERT_OK(ReadAll({dir.Join("whole.log"), dir.Join("empty.log"), dir.Join("missing")}, handler));
  EXPECT_EQ(handler.files[0].size_at_open, content.size());
  EXPECT_FALSE(handler.files[0].shrank);
  EXPECT_EQ(handler.files[1].size_at_open, 0u);
  EXPECT_FALSE(handler.files[1].shrank);
  EXPECT_EQ(handler.files[2].size_at_open, FileEnd::kUnknownSize);
  EXPECT_FALSE(handler.files[2].shrank);
}

// A FIFO (with a writer that never writes) and a symlink to /dev/zero where regular files were
// found: both must be closed unread, with the walker's reason, and the run must go on. Before,
// the FIFO's read waited for ever and /dev/zero was read without end.
TEST_P(FileReaderTest, FifoOrDeviceInPlaceOfAFileIsSkippedUnread) {
  TempDir dir;
  WriteFile(dir.Join("a.log"), "a\n");
  const std::string fifo = dir.Join("fifo.log");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int writer = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  const std::string zero = dir.Join("zero.log");
  std::filesystem::create_symlink("/dev/zero", zero);
  WriteFile(dir.Join("b.log"), "b\n");
  // Should the reader wait on the FIFO after all, a few seconds later the writer writes a line
  // and goes, so that the test fails instead of hanging; and /dev/zero read past 1 MiB stops it.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; })) {
      (void)!::write(writer, "late\n", 5);
    }
    ::close(writer);
  });
  std::atomic<bool> stop{false};
  reader_options_.stop = &stop;
  CollectingHandler handler;
  handler.on_chunk = [&](const FileChunk& chunk) {
    if (chunk.offset > (1u << 20)) stop = true;
  };
  const Status status = ReadAll({dir.Join("a.log"), fifo, zero, dir.Join("b.log")}, handler);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_one();
  watchdog.join();
  ASSERT_OK(status);
  EXPECT_EQ(handler.files[0].bytes, "a\n");
  EXPECT_EQ(handler.files[3].bytes, "b\n");
  EXPECT_OK(handler.files[3].status);
  ASSERT_FALSE(handler.files[1].status.ok());
  EXPECT_EQ(handler.files[1].status.error().message(), "not a regular file (fifo)");
  EXPECT_EQ(handler.files[1].status.error().path(), fifo);
  EXPECT_EQ(handler.files[1].bytes, "");
  ASSERT_FALSE(handler.files[2].status.ok());
  EXPECT_EQ(handler.files[2].status.error().message(), "not a regular file (character device)");
  EXPECT_EQ(handler.files[2].bytes, "");
  EXPECT_EQ(stats_.files_failed, 2u);
}

// A chain of directories whose path is longer than PATH_MAX, made and removed through
// descriptors (the one-path calls, std::filesystem's included, refuse such a path).
class DeepChain {
 public:
  DeepChain(const std::string& top, int levels, const std::string& file, const std::string& data)
      : top_(top), file_(file) {
    const std::string name(120, 'd');
    int fd = ::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    path_ = top;
    for (int i = 0; i < levels && fd >= 0; ++i) {
      fds_.push_back(fd);
      if (::mkdirat(fd, name.c_str(), 0700) != 0) std::abort();
      fd = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      path_ += "/" + name;
    }
    if (fd < 0) std::abort();
    fds_.push_back(fd);
    const int out = ::openat(fd, file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (out < 0 || ::write(out, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      std::abort();
    }
    ::close(out);
    path_ += "/" + file;
  }
  ~DeepChain() {
    const std::string name(120, 'd');
    ::unlinkat(fds_.back(), file_.c_str(), 0);
    for (std::size_t i = fds_.size() - 1; i > 0; --i) {
      ::close(fds_[i]);
      ::unlinkat(fds_[i - 1], name.c_str(), AT_REMOVEDIR);
    }
    ::close(fds_[0]);
  }
  const std::string& path() const { return path_; }

 private:
  std::string top_, file_, path_;
  std::vector<int> fds_;
};

TEST_P(FileReaderTest, PathLongerThanPathMaxIsRead) {
  TempDir dir;
  const std::string content = MakeContent(2 * GetParam().buffer_size + 11, 8);
  DeepChain chain(dir.path().string(), 40, "deep.log", content);
  ASSERT_GT(chain.path().size(), static_cast<std::size_t>(PATH_MAX));
  WriteFile(dir.Join("shallow.log"), "shallow\n");
  CollectingHandler handler;
  ASSERT_OK(ReadAll({chain.path(), dir.Join("shallow.log"), chain.path() + ".missing"}, handler));
  EXPECT_OK(handler.files[0].status);
  EXPECT_TRUE(handler.files[0].bytes == content);
  EXPECT_EQ(handler.files[1].bytes, "shallow\n");
  ASSERT_FALSE(handler.files[2].status.ok());
  EXPECT_EQ(handler.files[2].status.error().sys_errno(), ENOENT);
}

TEST_P(FileReaderTest, ConsumerHoldingLeasesOnAnotherThreadAppliesBackpressure) {
  TempDir dir;
  std::vector<std::string> paths, contents;
  for (int i = 0; i < 12; ++i) {
    paths.push_back(dir.Join("h" + std::to_string(i) + ".log"));
    contents.push_back(MakeContent(static_cast<std::size_t>(i) * GetParam().buffer_size / 2 + 9,
                                   static_cast<uint32_t>(i + 100)));
    WriteFile(paths.back(), contents.back());
  }
  // The handler hands each chunk to a slow consumer thread, which drops it later: the reader
  // must wait for buffers instead of allocating, and still finish.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<SharedLease> queue;
  bool stop = false;
  std::size_t max_held = 0;
  std::thread consumer([&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty() && stop) return;
      max_held = std::max(max_held, queue.size());
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      lock.lock();
      queue.pop_front();
    }
  });
  CollectingHandler handler;
  handler.on_chunk = [&](const FileChunk&) {};
  class Forwarding : public CollectingHandler {
   public:
    std::function<void(SharedLease)> forward;
    void OnChunk(FileChunk&& chunk) override {
      FileChunk copy{chunk.file_id, chunk.offset, chunk.length, Lease()};
      const std::span<const std::byte> data = chunk.data();
      CollectingHandler::FileResult& r = files[chunk.file_id];
      EXPECT_EQ(chunk.offset, r.bytes.size());
      r.bytes.append(reinterpret_cast<const char*>(data.data()), data.size());
      forward(Share(std::move(chunk.lease)));
    }
  } forwarding;
  forwarding.forward = [&](SharedLease lease) {
    std::lock_guard lock(mu);
    queue.push_back(std::move(lease));
    cv.notify_one();
  };
  const Status status = ReadAll(paths, forwarding);
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_one();
  consumer.join();
  ASSERT_OK(status);
  EXPECT_LE(max_held, GetParam().buffers);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    EXPECT_TRUE(forwarding.files[i].bytes == contents[i]) << paths[i];
  }
}

TEST_P(FileReaderTest, DirectIoReadsUnalignedTailsExactly) {
  if (GetParam().buffer_size % 4096 != 0) GTEST_SKIP();
  TempDir dir;
  std::vector<std::string> paths, contents;
  const std::size_t b = GetParam().buffer_size;
  for (std::size_t size : {std::size_t{0}, std::size_t{5}, b, 2 * b + 4095, 2 * b + 4097}) {
    paths.push_back(dir.Join("d" + std::to_string(size) + ".log"));
    contents.push_back(MakeContent(size, static_cast<uint32_t>(size)));
    WriteFile(paths.back(), contents.back());
  }
  reader_options_.direct = true;
  CollectingHandler handler;
  ASSERT_OK(ReadAll(paths, handler));
  for (std::size_t i = 0; i < paths.size(); ++i) {
    EXPECT_OK(handler.files[i].status);
    EXPECT_TRUE(handler.files[i].bytes == contents[i]) << paths[i];
  }
}

const Config kConfigs[] = {
    {BackendKind::kUring, true, 64 * 1024, 32, 64, 16, 4},
    {BackendKind::kPread, true, 64 * 1024, 32, 64, 16, 4},
    // Plain descriptors (kernels without direct descriptors): opened and closed in the ring.
    {BackendKind::kUring, false, 64 * 1024, 32, 64, 16, 4},
    // The extremes: a pool of 2 buffers, queue depth 1, one file at a time.
    {BackendKind::kUring, true, 4096, 2, 1, 1, 1},
    {BackendKind::kPread, true, 4096, 2, 1, 1, 1},
    {BackendKind::kUring, true, 8192, 3, 4, 2, 2},
};
INSTANTIATE_TEST_SUITE_P(Configs, FileReaderTest, ::testing::ValuesIn(kConfigs), Name);

class ManyFilesTest : public ::testing::TestWithParam<BackendKind> {};

TEST_P(ManyFilesTest, HundredThousandFilesWithoutRaisingTheDescriptorLimit) {
  TempDir dir;
  constexpr int kFiles = 100000;
  std::vector<ReadJob> jobs;
  jobs.reserve(kFiles);
  for (int i = 0; i < kFiles; ++i) {
    const std::string sub = dir.Join(std::to_string(i % 100));
    if (i < 100) std::filesystem::create_directory(sub);
    std::string path = sub + "/" + std::to_string(i) + ".log";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    const std::string line = std::to_string(i) + "\n";
    ASSERT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    ::close(fd);
    jobs.push_back({static_cast<uint64_t>(i), std::move(path)});
  }
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);

  Status status;
  uint64_t bytes = 0, ok = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(16384, 128));
    EngineOptions options;
    options.backend = GetParam();
    options.file_slots = 128;
    auto engine = Engine::Create(options, pool.get());
    if (!engine.ok() && GetParam() == BackendKind::kUring) {
      ::setrlimit(RLIMIT_NOFILE, &old);
      GTEST_SKIP() << engine.error().message();
    }
    ASSERT_OK(engine);
    ReaderOptions ro;
    ro.max_open_files = 128;
    VectorSource source(std::move(jobs));
    FileReader reader(engine->get(), pool.get(), ro);
    class Counter : public ReadHandler {
     public:
      uint64_t bytes = 0, ok = 0, failed = 0;
      void OnChunk(FileChunk&& chunk) override { bytes += chunk.length; }
      void OnFileDone(uint64_t, const Status& s, uint64_t) override { s.ok() ? ++ok : ++failed; }
    } counter;
    status = reader.Run(source, counter);
    bytes = counter.bytes;
    ok = counter.ok;
    EXPECT_EQ(counter.failed, 0u);
    engine->reset();
    EXPECT_EQ(pool->available(), pool->count());
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  ASSERT_OK(status);
  EXPECT_EQ(ok, static_cast<uint64_t>(kFiles));
  uint64_t expected = 0;
  for (int i = 0; i < kFiles; ++i) expected += std::to_string(i).size() + 1;
  EXPECT_EQ(bytes, expected);
}

TEST(FileReaderLimitsTest, RunningOutOfDescriptorsOpensFewerFilesInsteadOfFailing) {
  // The pread backend holds one process descriptor per open file, like the io_uring backend on
  // kernels without direct descriptors. With room for only a few, the reader must open fewer
  // files at once, not fail the rest with EMFILE.
  TempDir dir;
  std::vector<ReadJob> jobs;
  for (int i = 0; i < 300; ++i) {
    jobs.push_back({static_cast<uint64_t>(i), dir.Join("f" + std::to_string(i))});
    WriteFile(jobs.back().path, "line " + std::to_string(i) + "\n");
  }
  ASSERT_OK_AND_ASSIGN(auto pool, BufferPool::Create(4096, 80));
  EngineOptions options;
  options.backend = BackendKind::kPread;
  options.file_slots = 64;
  ASSERT_OK_AND_ASSIGN(auto engine, Engine::Create(options, pool.get()));
  ReaderOptions ro;
  ro.max_open_files = 64;
  VectorSource source(std::move(jobs));
  FileReader reader(engine.get(), pool.get(), ro);
  CollectingHandler handler;
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  // A limit that leaves exactly 8 free descriptor numbers (there may be holes below it).
  int limit = 0;
  for (int free_numbers = 0; free_numbers < 8; ++limit) {
    if (::fcntl(limit, F_GETFD) == -1) ++free_numbers;
  }
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(limit);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const Status status = reader.Run(source, handler);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  ASSERT_OK(status);
  EXPECT_EQ(reader.stats().files_ok, 300u);
  EXPECT_EQ(reader.stats().files_failed, 0u);
  EXPECT_GT(reader.stats().descriptor_waits, 0u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(handler.files[static_cast<uint64_t>(i)].bytes, "line " + std::to_string(i) + "\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ManyFilesTest,
                         ::testing::Values(BackendKind::kUring, BackendKind::kPread),
                         [](const auto& param_info) {
                           return std::string(BackendName(param_info.param));
                         });

}  // namespace
}  // namespace ringflow::uring

namespace ringflow::uring {
namespace {

// Ordered mode: whole files in source order, whatever order the reads complete in, without
// deadlock even when a consumer on another thread holds buffers and the pool is tiny.
class OrderedReaderTest
    : public ::testing::TestWithParam<std::tuple<BackendKind, uint32_t, uint32_t>> {};

TEST_P(OrderedReaderTest, FilesArriveWholeAndInSourceOrder) {
  const auto [backend, buffers, slices] = GetParam();
  TempDir dir;
  std::vector<ReadJob> jobs;
  std::vector<std::string> contents;
  for (int i = 0; i < 60; ++i) {
    // Large files among small ones, so that later small files finish first.
    const std::size_t size = i % 7 == 0 ? 50000 + static_cast<std::size_t>(i) * 100
                                        : static_cast<std::size_t>(i) * 31 % 3000;
    contents.push_back(MakeContent(size, static_cast<uint32_t>(i + 3)));
    jobs.push_back({static_cast<uint64_t>(i), dir.Join("o" + std::to_string(i))});
    WriteFile(jobs.back().path, contents.back());
  }
  jobs.push_back({60, dir.Join("missing")});
  contents.push_back("");
  // With slices: 8 KiB buffers and 4 KiB slices, so files of every kind of start are read: in a
  // slice alone, in a full slice and then buffers, in a buffer when no slice is free.
  ASSERT_OK_AND_ASSIGN(auto pool, slices == 0
                                      ? BufferPool::Create(4096, buffers)
                                      : BufferPool::Create(8192, buffers, 4096, 4096, slices));
  EngineOptions options;
  options.backend = backend;
  options.file_slots = 16;
  auto engine = Engine::Create(options, pool.get());
  if (!engine.ok() && backend == BackendKind::kUring) GTEST_SKIP() << engine.error().message();
  ASSERT_OK(engine);
  ReaderOptions ro;
  ro.max_open_files = 16;
  ro.reads_per_file = 3;
  ro.ordered = true;
  // A consumer thread that holds every chunk for a moment before dropping it.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<SharedLease> held;
  bool stop = false;
  std::thread consumer([&] {
    std::unique_lock lock(mu);
    while (!stop || !held.empty()) {
      cv.wait(lock, [&] { return stop || !held.empty(); });
      if (held.empty()) continue;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      lock.lock();
      held.pop_front();
    }
  });
  class Checker final : public ReadHandler {
   public:
    std::function<void(SharedLease)> keep;
    std::string bytes;
    std::vector<uint64_t> order;
    std::vector<std::string> got;
    std::vector<bool> failed;
    uint64_t current = UINT64_MAX;
    void OnChunk(FileChunk&& chunk) override {
      if (current == UINT64_MAX) current = chunk.file_id;
      EXPECT_EQ(chunk.file_id, current) << "chunks of two files interleaved";
      EXPECT_EQ(chunk.offset, bytes.size());
      bytes.append(reinterpret_cast<const char*>(chunk.data().data()), chunk.length);
      keep(Share(std::move(chunk.lease)));
    }
    void OnFileDone(uint64_t id, const Status& s, uint64_t) override {
      if (current != UINT64_MAX) {
        EXPECT_EQ(id, current);
      }
      order.push_back(id);
      got.push_back(std::move(bytes));
      failed.push_back(!s.ok());
      bytes.clear();
      current = UINT64_MAX;
    }
  } checker;
  checker.keep = [&](SharedLease lease) {
    std::lock_guard lock(mu);
    held.push_back(std::move(lease));
    cv.notify_one();
  };
  VectorSource source(std::move(jobs));
  FileReader reader(engine->get(), pool.get(), ro);
  const Status status = reader.Run(source, checker);
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_one();
  consumer.join();
  ASSERT_OK(status);
  ASSERT_EQ(checker.order.size(), contents.size());
  for (std::size_t i = 0; i < contents.size(); ++i) {
    EXPECT_EQ(checker.order[i], i);
    EXPECT_TRUE(checker.got[i] == contents[i]) << "file " << i;
  }
  EXPECT_TRUE(checker.failed.back());
  engine->reset();
  EXPECT_EQ(pool->available(), pool->count());
}

INSTANTIATE_TEST_SUITE_P(
    Pools, OrderedReaderTest,
    ::testing::Combine(::testing::Values(BackendKind::kUring, BackendKind::kPread),
                       ::testing::Values(2u, 3u, 8u, 32u), ::testing::Values(0u, 1u, 6u)),
    [](const auto& param_info) {
      return std::string(BackendName(std::get<0>(param_info.param))) + "_" +
             std::to_string(std::get<1>(param_info.param)) + "buffers_" +
             std::to_string(std::get<2>(param_info.param)) + "slices";
    });

}  // namespace
}  // namespace ringflow::uring

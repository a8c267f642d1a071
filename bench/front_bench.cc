// front_bench: random reads of one file through an EngineFront, for bench/run_front_bench.sh to
// set beside fio. One I/O thread (created here, owning the engine) and --producers threads, which
// share --iodepth reads in flight between them (depth / producers each, into leases of a
// registered pool: READ_FIXED), each resubmitting as soon as a completion comes back, for
// --seconds. Every completion is checked: an error or a short read stops the run with exit 1.
// Prints one line: "iops=N reads=N seconds=S producers=P iodepth=D backend=B".
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "framework/uring/engine.h"
#include "framework/uring/front.h"

namespace {

using namespace ringflow;
using namespace ringflow::uring;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string file;
  uint32_t producers = 4;
  uint32_t iodepth = 32;
  uint32_t block = 4096;
  double seconds = 5;
  bool direct = false;
  BackendKind backend = BackendKind::kUring;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "front_bench: %s\nusage: front_bench --file PATH [--producers N] [--iodepth N] "
               "[--bs BYTES] [--seconds S] [--direct] [--backend uring|pread]\n",
               why);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage((k + " needs a value").c_str());
      return argv[++i];
    };
    if (k == "--file") {
      a.file = value();
    } else if (k == "--producers") {
      a.producers = static_cast<uint32_t>(std::stoul(value()));
    } else if (k == "--iodepth") {
      a.iodepth = static_cast<uint32_t>(std::stoul(value()));
    } else if (k == "--bs") {
      a.block = static_cast<uint32_t>(std::stoul(value()));
    } else if (k == "--seconds") {
      a.seconds = std::stod(value());
    } else if (k == "--direct") {
      a.direct = true;
    } else if (k == "--backend") {
      auto kind = ParseBackend(value());
      if (!kind.ok()) Usage(kind.error().message().c_str());
      a.backend = *kind;
    } else {
      Usage(("unknown option " + k).c_str());
    }
  }
  if (a.file.empty()) Usage("--file is required");
  if (a.producers == 0 || a.iodepth < a.producers || a.iodepth % a.producers != 0) {
    Usage("--iodepth must be a positive multiple of --producers");
  }
  if (a.block == 0 || a.block % 4096 != 0) Usage("--bs must be a positive multiple of 4096");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  const int fd = ::open(args.file.c_str(), O_RDONLY | O_CLOEXEC | (args.direct ? O_DIRECT : 0));
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    std::perror(args.file.c_str());
    return 1;
  }
  const uint64_t blocks = static_cast<uint64_t>(st.st_size) / args.block;
  if (blocks == 0) Usage("the file is smaller than one block");

  auto pool = BufferPool::Create(args.block, args.iodepth);
  auto front = EngineFront::Create({.queue_capacity = args.iodepth});
  if (!pool.ok() || !front.ok()) {
    std::fprintf(stderr, "front_bench: %s\n",
                 (!pool.ok() ? pool.error() : front.error()).message().c_str());
    return 1;
  }
  // The I/O thread creates the engine itself: the ring belongs to the thread that made it.
  std::atomic<int> engine_state{0};  // 0 starting, 1 running, -1 failed
  std::string engine_error;
  std::thread io([&] {
    EngineOptions options;
    options.backend = args.backend;
    options.queue_depth = args.iodepth + 1;  // + the front's wake-up read
    options.file_slots = 1;
    auto engine = Engine::Create(options, pool->get());
    if (!engine.ok()) {
      engine_error = engine.error().message();
      engine_state = -1;
      (*front)->Shutdown();
      return;
    }
    engine_state = 1;
    const Status run = (*front)->Run(**engine);
    if (!run.ok()) std::fprintf(stderr, "front_bench: %s\n", run.error().message().c_str());
  });
  while (engine_state == 0) std::this_thread::yield();

  const uint32_t per = args.iodepth / args.producers;
  std::atomic<uint64_t> total{0};
  std::atomic<bool> failed{engine_state < 0};
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(args.seconds));
  auto produce = [&](uint32_t k) {
    auto producer = (*front)->AddProducer(per);
    std::vector<Lease> leases;
    for (uint32_t i = 0; i < per; ++i) leases.push_back(*(*pool)->TryAcquire());
    uint64_t x = 0x9E3779B97F4A7C15ull * (k + 1);  // xorshift64: offsets differ per producer
    auto request = [&](uint32_t i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return ReadRequest{FileRef::Fd(fd), leases[i].span().first(args.block),
                         (x % blocks) * args.block, i, args.file};
    };
    std::vector<ReadRequest> batch;
    for (uint32_t i = 0; i < per; ++i) batch.push_back(request(i));
    if (!producer->Submit(batch).ok()) return;
    std::vector<ReadCompletion> got(per);
    uint64_t done = 0;
    bool more = true;
    while (producer->outstanding() > 0) {
      const std::size_t n = producer->ReceiveSome(got);
      if (more && Clock::now() >= deadline) more = false;
      batch.clear();
      for (std::size_t i = 0; i < n; ++i) {
        if (!got[i].bytes.ok() || *got[i].bytes != args.block) {
          std::fprintf(
              stderr, "front_bench: %s\n",
              got[i].bytes.ok() ? "short read" : got[i].bytes.error().UserMessage().c_str());
          failed = true;
          more = false;
        }
        ++done;
        if (more) batch.push_back(request(static_cast<uint32_t>(got[i].user_data)));
      }
      // The completions' buffers go out again in one submission: one lock, one wake-up.
      if (more && !producer->Submit(batch).ok()) more = false;
    }
    total += done;
  };
  std::vector<std::thread> producers;
  if (!failed) {
    for (uint32_t k = 0; k < args.producers; ++k) producers.emplace_back(produce, k);
  }
  for (auto& t : producers) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  (*front)->Shutdown();
  io.join();
  ::close(fd);
  if (engine_state < 0) {
    std::fprintf(stderr, "front_bench: engine: %s\n", engine_error.c_str());
    return 1;
  }
  if (failed) return 1;
  std::printf("iops=%.0f reads=%llu seconds=%.3f producers=%u iodepth=%u backend=%s\n",
              static_cast<double>(total) / elapsed, static_cast<unsigned long long>(total.load()),
              elapsed, args.producers, args.iodepth, BackendName(args.backend));
  return 0;
}

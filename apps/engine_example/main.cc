// Reads the files named on the command line through the engine directly: open into table slots,
// batched reads into registered buffers, completions reaped by user_data, buffers reused.
#include <fcntl.h>

#include <cstdio>

#include "framework/uring/engine.h"

using namespace ringflow::uring;

int main(int argc, char** argv) {
  auto pool = BufferPool::Create(64 << 10, 4).value();                // 4 registered 64 KiB buffers
  auto engine = Engine::Create(EngineOptions{}, pool.get()).value();  // one ring, probed
  for (int i = 1; i < argc; ++i) {
    auto slot = static_cast<uint32_t>(i - 1) % engine->file_slots();
    engine->PrepOpen(slot, argv[i], O_RDONLY, /*user_data=*/1);  // open into a table slot
    Completion c{};
    if (!engine->Submit(1).ok() || engine->Reap({&c, 1}) != 1) return 1;
    if (c.res < 0) {  // the kernel's answer, per request: -errno
      std::fprintf(stderr, "%s: %s\n", argv[i], ringflow::DescribeErrno(-c.res).c_str());
      continue;
    }
    FileRef file = engine->direct_descriptors() ? FileRef::Slot(slot) : FileRef::Fd(c.res);
    Lease buf = *pool->TryAcquire();  // one buffer, reused for every read of this file
    uint64_t offset = 0;
    do {
      engine->PrepRead(file, buf.data(), 64 << 10, offset, /*user_data=*/2);
      if (!engine->Submit(1).ok() || engine->Reap({&c, 1}) != 1) break;
      offset += c.res > 0 ? static_cast<uint64_t>(c.res) : 0;
    } while (c.res > 0);  // a short read is not the end: read until 0 (or an error)
    engine->PrepClose(file, /*user_data=*/3);
    (void)engine->Submit(1);
    engine->Reap({&c, 1});
    std::printf("%s: %llu bytes\n", argv[i], static_cast<unsigned long long>(offset));
  }
}

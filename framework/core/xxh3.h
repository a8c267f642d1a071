// Streaming XXH3-64 (seed 0), the hash `xxhsum -H3` prints, with a run-time choice of the
// fastest vector unit this CPU has (SSE2, AVX2 or AVX-512). One object per stream; not
// thread-safe; cheap to create.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ringflow {

class Xxh3 {
 public:
  Xxh3();
  ~Xxh3();
  Xxh3(Xxh3&&) noexcept;
  Xxh3& operator=(Xxh3&&) noexcept;

  void Reset();
  void Update(const void* data, std::size_t len);
  uint64_t Digest() const;

  // One-shot hash of a buffer.
  static uint64_t Hash(const void* data, std::size_t len);

  // "sse2", "avx2" or "avx512": the implementation chosen for this CPU.
  static const char* Implementation();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// 16 lowercase hex digits, as xxhsum prints them.
std::string HexDigest(uint64_t digest);
// The same 16 digits into `out` (no allocation).
void HexDigest(uint64_t digest, char (&out)[16]);

}  // namespace ringflow

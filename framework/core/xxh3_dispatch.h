// Internal to xxh3.cc: one table of XXH3 entry points per vector unit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringflow::internal {

struct Xxh3Functions {
  void (*reset)(void* state);
  void (*update)(void* state, const void* data, std::size_t len);
  uint64_t (*digest)(const void* state);
  uint64_t (*hash)(const void* data, std::size_t len);
  std::size_t state_size;
  std::size_t state_align;
};

const Xxh3Functions& Xxh3Sse2();
const Xxh3Functions& Xxh3Avx2();
const Xxh3Functions& Xxh3Avx512();

}  // namespace ringflow::internal

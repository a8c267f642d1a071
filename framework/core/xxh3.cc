#include "framework/core/xxh3.h"

#include <cstdlib>
#include <new>

#include "framework/core/xxh3_dispatch.h"

namespace ringflow {
namespace {

struct Choice {
  const internal::Xxh3Functions* functions;
  const char* name;
};

Choice Choose() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {&internal::Xxh3Avx512(), "avx512"};
  if (__builtin_cpu_supports("avx2")) return {&internal::Xxh3Avx2(), "avx2"};
  return {&internal::Xxh3Sse2(), "sse2"};
}

const Choice& Chosen() {
  static const Choice choice = Choose();
  return choice;
}

}  // namespace

// The XXH3 state must be 64-byte aligned; it is kept in storage sized by the chosen table.
struct Xxh3::State {
  void* storage = nullptr;
  ~State() { ::operator delete(storage, std::align_val_t(Chosen().functions->state_align)); }
};

Xxh3::Xxh3() : state_(std::make_unique<State>()) {
  const auto& f = *Chosen().functions;
  state_->storage = ::operator new(f.state_size, std::align_val_t(f.state_align));
  f.reset(state_->storage);
}
Xxh3::~Xxh3() = default;
Xxh3::Xxh3(Xxh3&&) noexcept = default;
Xxh3& Xxh3::operator=(Xxh3&&) noexcept = default;

void Xxh3::Reset() { Chosen().functions->reset(state_->storage); }
void Xxh3::Update(const void* data, std::size_t len) {
  Chosen().functions->update(state_->storage, data, len);
}
uint64_t Xxh3::Digest() const { return Chosen().functions->digest(state_->storage); }
uint64_t Xxh3::Hash(const void* data, std::size_t len) {
  return Chosen().functions->hash(data, len);
}
const char* Xxh3::Implementation() { return Chosen().name; }

void HexDigest(uint64_t digest, char (&out)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[digest & 0xf];
    digest >>= 4;
  }
}

std::string HexDigest(uint64_t digest) {
  char hex[16];
  HexDigest(digest, hex);
  return std::string(hex, sizeof hex);
}

}  // namespace ringflow

#include "stages/checksum_stage.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ringflow::stages {
namespace {

// '\n' bytes in [p, p + n). SSE2: compare 16 bytes at a time and subtract the 0xff matches from
// byte counters, folded into 64-bit sums (psadbw) before any counter can overflow; std::count
// compiles to a widening loop several times slower.
uint64_t CountNewlines(const char* p, std::size_t n) {
  uint64_t total = 0;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i newline = _mm_set1_epi8('\n');
  while (n - i >= 16) {
    __m128i counters = _mm_setzero_si128();
    const std::size_t blocks = std::min<std::size_t>((n - i) / 16, 255);
    for (std::size_t b = 0; b < blocks; ++b, i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      counters = _mm_sub_epi8(counters, _mm_cmpeq_epi8(v, newline));
    }
    const __m128i sums = _mm_sad_epu8(counters, _mm_setzero_si128());
    total += static_cast<uint64_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  for (; i < n; ++i) total += p[i] == '\n' ? 1u : 0u;
  return total;
}

}  // namespace

void ChecksumStage::Frame(const flow::Chunk& chunk, flow::RecordBatch& out) {
  // An end message may carry the file's last bytes: digest them first.
  if (const std::span<const std::byte> data = chunk.data(); !data.empty()) {
    FileState& file = files_[chunk.file_id];
    file.hash.Update(data.data(), data.size());
    file.bytes += data.size();
    file.newlines += CountNewlines(reinterpret_cast<const char*>(data.data()), data.size());
    file.ends_with_newline = data.back() == std::byte{'\n'};
  }
  if (!chunk.end) return;
  FileState file;
  if (auto it = files_.find(chunk.file_id); it != files_.end()) {
    file = std::move(it->second);
    files_.erase(it);
  }
  flow::Record& r = out.records.emplace_back();
  r.fields.reserve(5);
  r.fields.push_back({"path", flow::Value::String(out.arena.Copy(chunk.path))});
  r.fields.push_back({"bytes", flow::Value::Int(static_cast<int64_t>(file.bytes))});
  // A file that was not read whole (an error, an interrupted run) counts its complete lines
  // only, as the framer emits them.
  const uint64_t lines = file.newlines + (file.ends_with_newline || chunk.error ? 0 : 1);
  r.fields.push_back({"lines", flow::Value::Int(static_cast<int64_t>(lines))});
  if (chunk.error) {
    r.fields.push_back({"xxh3", flow::Value::Null()});
    r.fields.push_back({"status", flow::Value::String(out.arena.Copy(chunk.error->message()))});
  } else {
    r.fields.push_back(
        {"xxh3", flow::Value::String(out.arena.Copy(HexDigest(file.hash.Digest())))});
    r.fields.push_back({"status", flow::Value::String("ok")});
  }
}

}  // namespace ringflow::stages

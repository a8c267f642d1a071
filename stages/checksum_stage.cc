#include "stages/checksum_stage.h"

#include <algorithm>
#include <cstring>
#include <memory>

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

std::optional<ChecksumStage::FileDigest> ChecksumStage::Add(const flow::Chunk& chunk) {
  const std::span<const std::byte> data = chunk.data();
  const char* text = reinterpret_cast<const char*>(data.data());
  // A compressed file's messages hold its content: the lines are the content's, the size and the
  // hash the stored file's, which the source hashed as it read it (they come with the end).
  const bool stored = chunk.compression.empty();
  auto it = files_.find(chunk.file_id);
  if (stored && chunk.end && it == files_.end()) {
    // The whole file in one message (most small files): no state to create and erase.
    FileDigest d;
    d.bytes = data.size();
    d.lines = CountNewlines(text, data.size());
    // A file that was not read whole counts its complete lines only, as the framer emits them.
    if (!data.empty() && data.back() != std::byte{'\n'} && !chunk.error) ++d.lines;
    if (!chunk.error) d.xxh3 = Xxh3::Hash(data.data(), data.size());
    return d;
  }
  if (it == files_.end()) it = files_.try_emplace(chunk.file_id).first;
  FileState& file = it->second;
  if (!data.empty()) {
    if (stored) file.hash.Update(data.data(), data.size());
    file.bytes += data.size();
    file.newlines += CountNewlines(text, data.size());
    file.ends_with_newline = data.back() == std::byte{'\n'};
  }
  if (!chunk.end) return std::nullopt;
  FileDigest d;
  d.bytes = stored ? file.bytes : chunk.file_bytes;
  d.lines = file.newlines + (file.ends_with_newline || chunk.error ? 0 : 1);
  if (!chunk.error && stored) d.xxh3 = file.hash.Digest();
  if (!chunk.error && !stored) d.xxh3 = chunk.stored_xxh3;
  if (!stored) {
    d.compression = chunk.compression;
    d.content_bytes = file.bytes;
  }
  files_.erase(it);
  return d;
}

void ChecksumStage::Frame(const flow::Chunk& chunk, flow::RecordBatch& out) {
  const std::optional<FileDigest> d = Add(chunk);
  if (!d) return;
  flow::Record& r = out.records.emplace_back();
  r.fields.reserve(5);
  r.fields.push_back({"path", flow::Value::String(out.arena.Copy(chunk.path))});
  r.fields.push_back({"bytes", flow::Value::Int(static_cast<int64_t>(d->bytes))});
  if (!d->compression.empty()) {
    r.fields.push_back({"compression", flow::Value::String(d->compression)});
    r.fields.push_back({"content_bytes", flow::Value::Int(static_cast<int64_t>(d->content_bytes))});
  }
  r.fields.push_back({"lines", flow::Value::Int(static_cast<int64_t>(d->lines))});
  if (d->xxh3) {
    char hex[16];
    HexDigest(*d->xxh3, hex);
    r.fields.push_back({"xxh3", flow::Value::String(out.arena.Copy({hex, sizeof hex}))});
    r.fields.push_back({"status", flow::Value::String(chunk.shrank ? "truncated" : "ok")});
  } else {
    r.fields.push_back({"xxh3", flow::Value::Null()});
    r.fields.push_back({"status", flow::Value::String(out.arena.Copy(chunk.error->message()))});
  }
}

Status RegisterChecksum(run::StageRegistry& registry) {
  return registry.RegisterChunkStage(
      {"checksum",
       "one record per file from its raw bytes: path, bytes, lines, xxh3 (XXH3-64, as "
       "`xxhsum -H3`) and status (a compressed file: bytes and xxh3 as stored, then compression "
       "and content_bytes, lines of the content); reads the same buffers as \"lines\" (no "
       "copy); feed it to a \"manifest\" sink",
       {},
       /*takes_input=*/false,
       /*multiple_inputs=*/false,
       /*provides=*/{kProvidesFileDigest}},
      [](const config::StageConfig&) -> Result<std::unique_ptr<flow::FramingStage>> {
        return std::unique_ptr<flow::FramingStage>(new ChecksumStage());
      });
}

}  // namespace ringflow::stages

// Decompression of stored log files: the format from a file's first bytes (Sniff), the format a
// file name suggests (CompressionFromName), and a streaming Decoder with a fixed-size state that
// turns compressed pieces, as a reader hands them over, into content in the caller's buffers.
// A Decoder is move-only and thread-compatible (one thread at a time); the free functions are
// thread-safe. Knows nothing of io_uring or oneTBB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "framework/core/result.h"

namespace ringflow::codec {

enum class Compression {
  kNone,   // not a format below: the bytes are the content
  kGzip,   // RFC 1952, any number of members
  kZstd,   // RFC 8878, any number of frames (skippable frames included)
  kBzip2,  // any number of streams
  kXz,     // any number of streams
  kLz4,    // lz4 frame format, any number of frames (the legacy format is refused)
  kZip,    // zip archive: recognised, not decoded
};

// "none", "gzip", "zstd", "bzip2", "xz", "lz4", "zip". Never empty.
std::string_view CompressionName(Compression compression);

// Whether a Decoder can be made for `compression` (gzip, zstd, bzip2, xz, lz4).
bool CanDecode(Compression compression);

// The most leading bytes Sniff looks at; fewer are enough for all but a zstd file that opens
// with skippable frames (each costs 8 bytes plus its payload, of which Sniff skips only those
// within `head`).
inline constexpr std::size_t kSniffBytes = 64;

// The format of a file from its first bytes (magic numbers, never the name): gzip 1f 8b, zstd
// 28 b5 2f fd (after any skippable frames 5? 2a 4d 18 that lie within `head`), bzip2 "BZh1".."9",
// xz fd 37 7a 58 5a 00, lz4 04 22 4d 18 (or the legacy 02 21 4c 18, also after skippable
// frames), zip "PK\3\4" (and the empty archive "PK\5\6").
// kNone for anything else, including an empty `head` (a 0-byte file is not compressed) and a
// head shorter than the magic it starts like.
Compression Sniff(std::span<const std::byte> head);

// The format a file name's last extension suggests: .gz/.tgz -> gzip, .zst -> zstd,
// .bz2 -> bzip2, .xz -> xz, .lz4 -> lz4, .zip -> zip; nullopt when the name suggests none
// (".log", "access.log.1"). For reporting a name that disagrees with Sniff.
std::optional<Compression> CompressionFromName(std::string_view file_name);

// What a reader does with a file, from its first bytes (`head`, any length: Sniff looks at
// kSniffBytes) and its path: decode it as `compression` (kNone: read it as stored), or refuse it
// with `refusal`, one line: bytes of a format that is not decoded ("zip compressed: ringflow
// does not decode zip (decompress it first)"), or a name that promises gzip, zstd, bzip2, xz or
// lz4 over bytes that are not ("not gzip data, although the name says so: not read", "zstd data,
// although the name says gzip: not read").
struct Verdict {
  Compression compression = Compression::kNone;
  std::string refusal;  // empty: not refused
};
Verdict Judge(std::span<const std::byte> head, std::string_view path);

struct DecoderOptions {
  // Decoding fails once the content exceeds max_ratio times the compressed bytes consumed, past
  // the first ratio_floor_bytes of content (so that a tiny file of repeated text is never
  // stopped). 0 disables the check.
  std::uint64_t max_ratio = 1000;
  std::uint64_t ratio_floor_bytes = std::uint64_t{1} << 20;
  // A zstd frame whose window, or an xz stream whose decoder (mostly its dictionary), needs more
  // memory than this is refused rather than allocated for (zstd's own default limit, 128 MiB).
  // bzip2 needs at most 3.7 MB, lz4 at most about 8.3 MB (two 4 MiB blocks) and gzip a fixed
  // 87 KB of state, whatever this says.
  std::uint64_t max_window_bytes = std::uint64_t{1} << 27;
};

// What one Decode call did.
struct DecodeStep {
  std::size_t consumed = 0;  // bytes of `input` used, from its front
  std::size_t produced = 0;  // bytes of content written at the front of `output`
};

// A streaming decoder for one file. Its memory is the library's state and window, bounded by the
// format and max_window_bytes, and never grows with the content. Errors are one line naming the
// codec and the compressed byte offset, e.g. "gzip: unexpected end of data at compressed byte
// 81920", "zstd: invalid data at compressed byte 512 (Data corruption detected)", "gzip: content
// past 1000 times the compressed size (a decompression bomb?)"; codes kInvalidArgument (damaged
// or unsupported data) and kResourceExhausted (max_ratio, a window larger than allowed, no
// memory).
class Decoder {
 public:
  // REQUIRES: CanDecode(compression). Returns kUnsupported for a format it cannot decode and
  // kResourceExhausted when the library cannot allocate its state.
  static Result<Decoder> Create(Compression compression, const DecoderOptions& options = {});

  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;
  ~Decoder();

  // Decodes from the front of `input` into the front of `output` (REQUIRES: output not empty).
  // After a successful call all of `input` was consumed, or `output` is full, or the decoder met
  // damage (then the next call returns the error). Call again with the rest of the input
  // (possibly none) and a fresh output buffer while the output came back full, since the decoder
  // may hold content it could not place yet; once a call consumed all its input without filling
  // the output, the decoder wants the next piece of input.
  // Content decoded before damage is always returned first: the call that meets the damage
  // returns what it decoded, the next call returns the error. After an error every call returns
  // the same error.
  // REQUIRES: not moved from (this holds for every member function).
  Result<DecodeStep> Decode(std::span<const std::byte> input, std::span<std::byte> output);

  // At the end of the input, once the output has been drained (the last Decode call returned an
  // output that was not full). Fails with "<codec>: unexpected end of data at compressed byte N"
  // when the input stopped inside a member, frame or stream, or when there was no input at all.
  Status Finish();

  Compression compression() const;
  // Compressed bytes consumed so far (the offset in the stored file).
  std::uint64_t compressed_bytes() const;
  // Content bytes produced so far.
  std::uint64_t content_bytes() const;
  // Members (gzip), frames (zstd, lz4; skippable ones included) or streams (bzip2, xz)
  // completed so far.
  std::uint64_t members() const;

  class Impl;  // one per codec, in codec.cc

 private:
  explicit Decoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringflow::codec

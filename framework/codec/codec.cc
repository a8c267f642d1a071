#include "framework/codec/codec.h"

#include <bzlib.h>
#include <isa-l/igzip_lib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace ringflow::codec {
namespace {

constexpr std::array<unsigned char, 2> kGzipMagic = {0x1f, 0x8b};
constexpr std::array<unsigned char, 4> kZstdMagic = {0x28, 0xb5, 0x2f, 0xfd};
constexpr std::array<unsigned char, 6> kXzMagic = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00};
constexpr std::array<unsigned char, 4> kLz4Magic = {0x04, 0x22, 0x4d, 0x18};
constexpr std::array<unsigned char, 4> kLz4LegacyMagic = {0x02, 0x21, 0x4c, 0x18};
constexpr std::array<unsigned char, 4> kZipMagic = {'P', 'K', 3, 4};
constexpr std::array<unsigned char, 4> kZipEmptyMagic = {'P', 'K', 5, 6};

template <std::size_t N>
bool StartsWith(std::span<const std::byte> head, const std::array<unsigned char, N>& magic) {
  return head.size() >= N && std::memcmp(head.data(), magic.data(), N) == 0;
}

std::uint32_t LoadLe32(const std::byte* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kBzip2:
      return "bzip2";
    case Compression::kXz:
      return "xz";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZip:
      return "zip";
  }
  return "unknown";
}

bool CanDecode(Compression compression) {
  return compression == Compression::kGzip || compression == Compression::kZstd ||
         compression == Compression::kBzip2 || compression == Compression::kXz ||
         compression == Compression::kLz4;
}

Compression Sniff(std::span<const std::byte> head) {
  // zstd skippable frames (magic 0x184D2A50..5F, a 32-bit length, then that many bytes) may come
  // before the first frame; the format is whatever follows them.
  std::span<const std::byte> rest = head;
  bool skipped = false;
  while (rest.size() >= 8 && (LoadLe32(rest.data()) & 0xfffffff0u) == 0x184d2a50u) {
    const std::uint64_t frame = 8 + std::uint64_t{LoadLe32(rest.data() + 4)};
    skipped = true;
    if (frame >= rest.size()) return Compression::kZstd;  // the real frame lies past the head
    rest = rest.subspan(static_cast<std::size_t>(frame));
  }
  if (StartsWith(rest, kZstdMagic)) return Compression::kZstd;
  // lz4's frame format has the same skippable frames.
  if (StartsWith(rest, kLz4Magic) || StartsWith(rest, kLz4LegacyMagic)) return Compression::kLz4;
  if (skipped) return Compression::kZstd;  // a zstd stream may hold only skippable frames
  if (StartsWith(head, kGzipMagic)) return Compression::kGzip;
  if (head.size() >= 4 && std::memcmp(head.data(), "BZh", 3) == 0 &&
      static_cast<unsigned char>(head[3]) >= '1' && static_cast<unsigned char>(head[3]) <= '9') {
    return Compression::kBzip2;
  }
  if (StartsWith(head, kXzMagic)) return Compression::kXz;
  if (StartsWith(head, kZipMagic) || StartsWith(head, kZipEmptyMagic)) return Compression::kZip;
  return Compression::kNone;
}

std::optional<Compression> CompressionFromName(std::string_view file_name) {
  if (EndsWith(file_name, ".gz") || EndsWith(file_name, ".tgz")) return Compression::kGzip;
  if (EndsWith(file_name, ".zst")) return Compression::kZstd;
  if (EndsWith(file_name, ".bz2")) return Compression::kBzip2;
  if (EndsWith(file_name, ".xz")) return Compression::kXz;
  if (EndsWith(file_name, ".lz4")) return Compression::kLz4;
  if (EndsWith(file_name, ".zip")) return Compression::kZip;
  return std::nullopt;
}

Verdict Judge(std::span<const std::byte> head, std::string_view path) {
  Verdict v;
  v.compression = Sniff(head.first(std::min(head.size(), kSniffBytes)));
  const std::optional<Compression> named = CompressionFromName(path);
  if (named && CanDecode(*named) && *named != v.compression) {
    const std::string promised(CompressionName(*named));
    v.refusal = v.compression == Compression::kNone
                    ? "not " + promised + " data, although the name says so: not read"
                    : std::string(CompressionName(v.compression)) +
                          " data, although the name says " + promised + ": not read";
  } else if (v.compression != Compression::kNone && !CanDecode(v.compression)) {
    const std::string name(CompressionName(v.compression));
    v.refusal = name + " compressed: ringflow does not decode " + name + " (decompress it first)";
  }
  return v;
}

// The part every codec shares: offsets, the ratio check, and errors that wait until the content
// decoded before them has been handed over.
class Decoder::Impl {
 public:
  Impl(Compression compression, const DecoderOptions& options)
      : compression_(compression), options_(options) {}
  virtual ~Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<DecodeStep> Decode(std::span<const std::byte> input, std::span<std::byte> output) {
    if (error_) return *error_;
    DecodeStep step;
    std::optional<Error> error = Step(input, output, step);
    compressed_ += step.consumed;
    content_ += step.produced;
    if (!error && options_.max_ratio != 0 && content_ > options_.ratio_floor_bytes &&
        (content_ - 1) / options_.max_ratio >= compressed_) {
      error = Error(ErrorCode::kResourceExhausted,
                    std::string(name()) + ": content past " + std::to_string(options_.max_ratio) +
                        " times the compressed size (a decompression bomb?)");
    }
    if (error) {
      error_ = std::move(error);
      if (step.produced == 0) return *error_;
    }
    return step;
  }

  Status Finish() {
    if (error_) return *error_;
    if (members_ == 0 || InsideMember()) {
      error_ = Truncated();
      return *error_;
    }
    return OkStatus();
  }

  Compression compression() const { return compression_; }
  std::uint64_t compressed_bytes() const { return compressed_; }
  std::uint64_t content_bytes() const { return content_; }
  std::uint64_t members() const { return members_; }

 protected:
  // Decodes what it can, adding to step.consumed and step.produced; returns the error that
  // stopped it, if any. Without an error it leaves the input consumed or the output full.
  virtual std::optional<Error> Step(std::span<const std::byte> input, std::span<std::byte> output,
                                    DecodeStep& step) = 0;
  // Whether the input so far ends inside a member, frame or stream.
  virtual bool InsideMember() const = 0;

  std::string_view name() const { return CompressionName(compression_); }

  // "<codec>: invalid data at compressed byte N (<reason>)", N = compressed_bytes() plus
  // `offset_in_call`, the bytes of this call's input used before the damage was seen.
  Error Invalid(std::uint64_t offset_in_call, std::string_view reason) const {
    return InvalidAt(compressed_ + offset_in_call, reason);
  }
  // The same with N the start of the member, frame or stream whose header is wrong.
  Error InvalidHeader(std::string_view reason) const { return InvalidAt(member_start_, reason); }
  Error Truncated() const {
    return Error(ErrorCode::kInvalidArgument, std::string(name()) +
                                                  ": unexpected end of data at compressed byte " +
                                                  std::to_string(compressed_));
  }
  // Where the current (or last) member, frame or stream starts in the file.
  std::uint64_t member_start() const { return member_start_; }
  // Records that a member, frame or stream starts `offset_in_call` bytes into this call's input.
  void StartMember(std::uint64_t offset_in_call) { member_start_ = compressed_ + offset_in_call; }

  const DecoderOptions& options() const { return options_; }
  std::uint64_t members_ = 0;

 private:
  Error InvalidAt(std::uint64_t file_offset, std::string_view reason) const {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(name()) + ": invalid data at compressed byte " +
                     std::to_string(file_offset) + " (" + std::string(reason) + ")");
  }

  Compression compression_;
  DecoderOptions options_;
  std::uint64_t compressed_ = 0;
  std::uint64_t content_ = 0;
  std::uint64_t member_start_ = 0;
  std::optional<Error> error_;
};

namespace {

// isa-l's and libbz2's buffers are counted in 32 bits: a call hands them at most this much.
constexpr std::size_t kMaxPiece = std::size_t{1} << 30;

std::uint32_t Clamp32(std::size_t n) { return static_cast<std::uint32_t>(std::min(n, kMaxPiece)); }

// gzip through isa-l's igzip: the fastest streaming inflate among zlib, libdeflate (whole
// buffers only, no streaming) and igzip; bench/codec_bench.cc measures them side by side.
// isa-l reads the gzip header and checks the trailer (CRC-32 and ISIZE) itself; each member
// starts again from a reset state.
class GzipDecoder final : public Decoder::Impl {
 public:
  explicit GzipDecoder(const DecoderOptions& options) : Impl(Compression::kGzip, options) {}

 private:
  std::optional<Error> Step(std::span<const std::byte> input, std::span<std::byte> output,
                            DecodeStep& step) override {
    while (true) {
      const std::span<const std::byte> in = input.subspan(step.consumed);
      const std::span<std::byte> out = output.subspan(step.produced);
      if (out.empty()) return std::nullopt;
      if (!in_member_) {
        if (in.empty()) return std::nullopt;
        isal_inflate_init(&state_);
        state_.crc_flag = ISAL_GZIP;
        in_member_ = true;
        StartMember(step.consumed);
      }
      // Safe: isa-l reads only next_in[0, avail_in) and writes only next_out[0, avail_out).
      state_.next_in = reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(in.data()));
      state_.avail_in = Clamp32(in.size());
      state_.next_out = reinterpret_cast<std::uint8_t*>(out.data());
      state_.avail_out = Clamp32(out.size());
      const int ret = isal_inflate(&state_);
      const std::size_t used_in = Clamp32(in.size()) - state_.avail_in;
      const std::size_t made = Clamp32(out.size()) - state_.avail_out;
      step.consumed += used_in;
      step.produced += made;
      if (ret == ISAL_INVALID_WRAPPER || ret == ISAL_UNSUPPORTED_METHOD) {
        return InvalidHeader(Reason(ret));
      }
      if (ret < 0) return Invalid(step.consumed, Reason(ret));
      if (state_.block_state == ISAL_BLOCK_FINISH) {
        in_member_ = false;
        ++members_;
        continue;
      }
      if (used_in == 0 && made == 0) return std::nullopt;  // needs more input
    }
  }

  bool InsideMember() const override { return in_member_; }

  static std::string_view Reason(int ret) {
    switch (ret) {
      case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
      case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK:
        return "invalid back-reference distance";
      case ISAL_INVALID_WRAPPER:
        return "not a gzip member header";
      case ISAL_UNSUPPORTED_METHOD:
        return "unsupported compression method";
      case ISAL_INCORRECT_CHECKSUM:
        return "CRC-32 or length check failed";
      default:
        return "isa-l inflate error";
    }
  }

  inflate_state state_{};
  bool in_member_ = false;
};

// zstd through libzstd's streaming decoder, which reads frame after frame (skipping skippable
// frames) by itself.
class ZstdDecoder final : public Decoder::Impl {
 public:
  ZstdDecoder(const DecoderOptions& options, ZSTD_DCtx* ctx)
      : Impl(Compression::kZstd, options), ctx_(ctx) {}
  ~ZstdDecoder() override { ZSTD_freeDCtx(ctx_); }

  static Result<std::unique_ptr<Decoder::Impl>> Create(const DecoderOptions& options) {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    if (ctx == nullptr)
      return Error(ErrorCode::kResourceExhausted, "zstd: cannot create a context");
    int window_log = 10;  // zstd's smallest window
    while (window_log < 31 && (std::uint64_t{1} << (window_log + 1)) <= options.max_window_bytes) {
      ++window_log;
    }
    ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, window_log);
    return std::unique_ptr<Decoder::Impl>(new ZstdDecoder(options, ctx));
  }

 private:
  std::optional<Error> Step(std::span<const std::byte> input, std::span<std::byte> output,
                            DecodeStep& step) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    ZSTD_outBuffer out{output.data(), output.size(), 0};
    while (out.pos < out.size) {
      const std::size_t in_before = in.pos;
      if (!in_frame_) StartMember(in.pos);
      const std::size_t out_before = out.pos;
      const std::size_t ret = ZSTD_decompressStream(ctx_, &out, &in);
      if (ZSTD_isError(ret)) {
        step.consumed = in.pos;
        step.produced = out.pos;
        if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
          return Error(ErrorCode::kResourceExhausted,
                       "zstd: a frame needs a window larger than " +
                           std::to_string(options().max_window_bytes) +
                           " bytes at compressed byte " + std::to_string(member_start()));
        }
        if (ZSTD_getErrorCode(ret) == ZSTD_error_prefix_unknown) {
          return InvalidHeader(ZSTD_getErrorName(ret));
        }
        return Invalid(in.pos, ZSTD_getErrorName(ret));
      }
      if (in.pos > in_before) saw_input_ = true;
      if (ret == 0) {
        // A frame ended and everything it held was flushed.
        if (in_frame_ || in.pos > in_before) ++members_;
        in_frame_ = false;
      } else if (in.pos > in_before) {
        in_frame_ = true;
      }
      if (in.pos == in.size && out.pos == out_before) break;  // needs more input
      if (ret == 0 && in.pos == in.size) break;
    }
    step.consumed = in.pos;
    step.produced = out.pos;
    return std::nullopt;
  }

  bool InsideMember() const override { return in_frame_ || !saw_input_; }

  ZSTD_DCtx* ctx_;
  bool in_frame_ = false;
  bool saw_input_ = false;
};

// bzip2 through libbz2; a new stream after each BZ_STREAM_END, as bzip2 itself reads `cat`ed
// files.
class Bzip2Decoder final : public Decoder::Impl {
 public:
  explicit Bzip2Decoder(const DecoderOptions& options) : Impl(Compression::kBzip2, options) {}
  ~Bzip2Decoder() override {
    if (in_stream_) BZ2_bzDecompressEnd(&stream_);
  }

 private:
  std::optional<Error> Step(std::span<const std::byte> input, std::span<std::byte> output,
                            DecodeStep& step) override {
    while (true) {
      const std::span<const std::byte> in = input.subspan(step.consumed);
      const std::span<std::byte> out = output.subspan(step.produced);
      if (out.empty()) return std::nullopt;
      if (!in_stream_) {
        if (in.empty()) return std::nullopt;
        stream_ = bz_stream{};
        if (BZ2_bzDecompressInit(&stream_, 0, 0) != BZ_OK) {
          return Error(ErrorCode::kResourceExhausted, "bzip2: cannot create a decoder");
        }
        in_stream_ = true;
        StartMember(step.consumed);
      }
      // Safe: libbz2 reads only next_in[0, avail_in) and writes only next_out[0, avail_out).
      stream_.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
      stream_.avail_in = Clamp32(in.size());
      stream_.next_out = reinterpret_cast<char*>(out.data());
      stream_.avail_out = Clamp32(out.size());
      const int ret = BZ2_bzDecompress(&stream_);
      const std::size_t used = Clamp32(in.size()) - stream_.avail_in;
      const std::size_t made = Clamp32(out.size()) - stream_.avail_out;
      step.consumed += used;
      step.produced += made;
      if (ret == BZ_STREAM_END) {
        BZ2_bzDecompressEnd(&stream_);
        in_stream_ = false;
        ++members_;
        continue;
      }
      if (ret == BZ_DATA_ERROR_MAGIC) return InvalidHeader("not a bzip2 stream header");
      if (ret != BZ_OK) {
        return Invalid(step.consumed, ret == BZ_MEM_ERROR ? "out of memory" : "data error");
      }
      if (used == 0 && made == 0) return std::nullopt;
    }
  }

  bool InsideMember() const override { return in_stream_; }

  bz_stream stream_{};
  bool in_stream_ = false;
};

// xz through liblzma, one stream decoder per stream so that streams can be counted; the stream
// padding between streams (zero bytes, a multiple of four) is skipped here as xz does.
class XzDecoder final : public Decoder::Impl {
 public:
  explicit XzDecoder(const DecoderOptions& options) : Impl(Compression::kXz, options) {}
  ~XzDecoder() override { lzma_end(&stream_); }

 private:
  std::optional<Error> Step(std::span<const std::byte> input, std::span<std::byte> output,
                            DecodeStep& step) override {
    while (true) {
      std::span<const std::byte> in = input.subspan(step.consumed);
      const std::span<std::byte> out = output.subspan(step.produced);
      if (out.empty()) return std::nullopt;
      if (!in_stream_) {
        while (!in.empty() && in.front() == std::byte{0} && members_ > 0) {
          ++padding_;
          ++step.consumed;
          in = in.subspan(1);
        }
        if (in.empty()) return std::nullopt;
        if (padding_ % 4 != 0) return Invalid(step.consumed, "stream padding not a multiple of 4");
        padding_ = 0;
        const lzma_ret init = lzma_stream_decoder(
            &stream_, std::max<std::uint64_t>(options().max_window_bytes, 1), 0);
        if (init != LZMA_OK) {
          return Error(ErrorCode::kResourceExhausted, "xz: cannot create a decoder");
        }
        in_stream_ = true;
        StartMember(step.consumed);
      }
      // Safe: liblzma reads only next_in[0, avail_in) and writes only next_out[0, avail_out).
      stream_.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
      stream_.avail_in = in.size();
      stream_.next_out = reinterpret_cast<std::uint8_t*>(out.data());
      stream_.avail_out = out.size();
      const lzma_ret ret = lzma_code(&stream_, LZMA_RUN);
      const std::size_t used = in.size() - stream_.avail_in;
      const std::size_t made = out.size() - stream_.avail_out;
      step.consumed += used;
      step.produced += made;
      if (ret == LZMA_STREAM_END) {
        in_stream_ = false;
        ++members_;
        continue;
      }
      if (ret == LZMA_MEMLIMIT_ERROR) {
        return Error(ErrorCode::kResourceExhausted,
                     "xz: a stream needs more than " + std::to_string(options().max_window_bytes) +
                         " bytes of memory at compressed byte " + std::to_string(member_start()));
      }
      if (ret == LZMA_FORMAT_ERROR) return InvalidHeader(Reason(ret));
      if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) return Invalid(step.consumed, Reason(ret));
      if (used == 0 && made == 0) return std::nullopt;
    }
  }

  bool InsideMember() const override { return in_stream_ || padding_ % 4 != 0; }

  static std::string_view Reason(lzma_ret ret) {
    switch (ret) {
      case LZMA_FORMAT_ERROR:
        return "not an xz stream header";
      case LZMA_OPTIONS_ERROR:
        return "unsupported options";
      case LZMA_DATA_ERROR:
        return "data error";
      case LZMA_MEM_ERROR:
        return "out of memory";
      case LZMA_UNSUPPORTED_CHECK:
        return "unsupported integrity check";
      default:
        return "liblzma error";
    }
  }

  lzma_stream stream_ = LZMA_STREAM_INIT;
  bool in_stream_ = false;
  std::uint64_t padding_ = 0;
};

// lz4 through liblz4's frame decoder, which reads frame after frame (skipping skippable frames)
// by itself and checks the content checksum when a frame has one. Its state is bounded by the
// largest block size the format allows (4 MiB, held twice at most). The legacy format of
// `lz4 -l` is not a frame and is refused at its header.
class Lz4Decoder final : public Decoder::Impl {
 public:
  Lz4Decoder(const DecoderOptions& options, LZ4F_dctx* ctx)
      : Impl(Compression::kLz4, options), ctx_(ctx) {}
  ~Lz4Decoder() override { LZ4F_freeDecompressionContext(ctx_); }

  static Result<std::unique_ptr<Decoder::Impl>> Create(const DecoderOptions& options) {
    LZ4F_dctx* ctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)) || ctx == nullptr) {
      return Error(ErrorCode::kResourceExhausted, "lz4: cannot create a context");
    }
    return std::unique_ptr<Decoder::Impl>(new Lz4Decoder(options, ctx));
  }

 private:
  std::optional<Error> Step(std::span<const std::byte> input, std::span<std::byte> output,
                            DecodeStep& step) override {
    while (step.produced < output.size()) {
      const std::span<const std::byte> in = input.subspan(step.consumed);
      const std::span<std::byte> out = output.subspan(step.produced);
      if (!in_frame_) {
        if (in.empty()) return std::nullopt;
        StartMember(step.consumed);
        // The legacy magic (02 21 4c 18) starts no frame liblz4 reads: say what it is.
        if (IsLegacyStart(in)) {
          return InvalidHeader("the legacy format of lz4 -l, which ringflow does not decode");
        }
      }
      std::size_t in_size = in.size();
      std::size_t out_size = out.size();
      // Safe: liblz4 reads only in[0, in_size) and writes only out[0, out_size).
      const std::size_t ret =
          LZ4F_decompress(ctx_, out.data(), &out_size, in.data(), &in_size, nullptr);
      step.consumed += in_size;
      step.produced += out_size;
      if (LZ4F_isError(ret)) {
        // A magic number that starts no frame is the header's fault, however the header's
        // bytes were split across calls.
        const std::string_view reason = LZ4F_getErrorName(ret);
        if (!in_frame_ || reason == "ERROR_frameType_unknown") return InvalidHeader(reason);
        return Invalid(step.consumed, reason);
      }
      if (in_size > 0) in_frame_ = true;
      if (ret == 0) {
        // A frame (or a skippable frame) ended and everything it held was written.
        if (in_frame_) ++members_;
        in_frame_ = false;
        continue;
      }
      if (in_size == 0 && out_size == 0) return std::nullopt;  // needs more input
    }
    return std::nullopt;
  }

  bool InsideMember() const override { return in_frame_; }

  // Whether `in`, at the start of a frame, opens with the legacy magic. (A frame start split
  // before its fourth byte is left to liblz4, which fails on it as on any unknown magic.)
  static bool IsLegacyStart(std::span<const std::byte> in) {
    return StartsWith(in, kLz4LegacyMagic);
  }

  LZ4F_dctx* ctx_;
  bool in_frame_ = false;
};

}  // namespace

Result<Decoder> Decoder::Create(Compression compression, const DecoderOptions& options) {
  switch (compression) {
    case Compression::kGzip:
      return Decoder(std::make_unique<GzipDecoder>(options));
    case Compression::kZstd: {
      RINGFLOW_ASSIGN_OR_RETURN(auto impl, ZstdDecoder::Create(options));
      return Decoder(std::move(impl));
    }
    case Compression::kBzip2:
      return Decoder(std::make_unique<Bzip2Decoder>(options));
    case Compression::kXz:
      return Decoder(std::make_unique<XzDecoder>(options));
    case Compression::kLz4: {
      RINGFLOW_ASSIGN_OR_RETURN(auto impl, Lz4Decoder::Create(options));
      return Decoder(std::move(impl));
    }
    default:
      return Error(ErrorCode::kUnsupported,
                   std::string(CompressionName(compression)) + ": format not supported");
  }
}

Decoder::Decoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;
Decoder::~Decoder() = default;

Result<DecodeStep> Decoder::Decode(std::span<const std::byte> input, std::span<std::byte> output) {
  return impl_->Decode(input, output);
}
Status Decoder::Finish() { return impl_->Finish(); }
Compression Decoder::compression() const { return impl_->compression(); }
std::uint64_t Decoder::compressed_bytes() const { return impl_->compressed_bytes(); }
std::uint64_t Decoder::content_bytes() const { return impl_->content_bytes(); }
std::uint64_t Decoder::members() const { return impl_->members(); }

}  // namespace ringflow::codec

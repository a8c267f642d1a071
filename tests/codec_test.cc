// framework/codec: the sniffer, names, and the streaming decoders against the real tools (gzip,
// zstd, bzip2, xz, lz4 run on temporary files) and against zlib's and libzstd's own compressors.
#include "framework/codec/codec.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::codec {
namespace {

using ringflow::testing::TempDir;

std::span<const std::byte> Bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// Access-log lines with varied fields, so that the compressed data is not trivially repetitive.
std::string LogText(std::size_t bytes, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::string out;
  static constexpr const char* kPaths[] = {"/api/v2/items/",
                                           "/static/app.js?v=", "/login?next=", "/search?q="};
  while (out.size() < bytes) {
    out += std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + ".0." +
           std::to_string(rng() % 256) + " - - [22/Sep/2026:06:31:" + std::to_string(rng() % 60) +
           " +0000] \"GET " + kPaths[rng() % 4] + std::to_string(rng()) + " HTTP/1.1\" " +
           std::to_string(200 + rng() % 4 * 100) + " " + std::to_string(rng() % 100000) +
           " \"-\" \"curl/8." + std::to_string(rng() % 10) + "\"\n";
  }
  return out;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Runs `tool` (e.g. "gzip -6 -c") on `content` through temporary files; the compressed bytes.
std::string CompressWithTool(const TempDir& dir, const std::string& tool,
                             std::string_view content) {
  const auto in = dir.path() / "in";
  const auto out = dir.path() / "out";
  WriteFile(in, content);
  const std::string command = tool + " <'" + in.string() + "' >'" + out.string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return ReadFile(out);
}

struct Decoded {
  std::string content;
  std::optional<Error> error;
  std::uint64_t members = 0;
  std::uint64_t compressed_bytes = 0;
};

// Feeds `data` in pieces of `in_piece` bytes into a Decoder with outputs of `out_size` bytes,
// as a reader would, then calls Finish.
Decoded DecodeAll(Compression compression, std::string_view data, std::size_t in_piece,
                  std::size_t out_size, const DecoderOptions& options = {}) {
  Decoded result;
  auto decoder = Decoder::Create(compression, options);
  if (!decoder.ok()) {
    result.error = decoder.error();
    return result;
  }
  std::vector<std::byte> out(out_size);
  std::size_t offset = 0;
  auto run = [&]() -> bool {
    do {
      const std::size_t piece = std::min(in_piece, data.size() - offset);
      std::span<const std::byte> input = Bytes(data.substr(offset, piece));
      bool full = false;
      // Drain: call again with the rest of the piece while the output comes back full.
      while (true) {
        auto step = decoder->Decode(input, out);
        if (!step.ok()) {
          result.error = step.error();
          return false;
        }
        EXPECT_LE(step->consumed, input.size());
        EXPECT_LE(step->produced, out.size());
        result.content.append(reinterpret_cast<const char*>(out.data()), step->produced);
        input = input.subspan(step->consumed);
        full = step->produced == out.size();
        if (!input.empty() && !full) {
          // Only a call that met damage stops early, and the next call names it.
          auto next = decoder->Decode(input, out);
          EXPECT_FALSE(next.ok()) << "a call left input and room in the output";
          if (!next.ok()) result.error = next.error();
          return false;
        }
        if (input.empty() && !full) break;
      }
      offset += piece;
    } while (offset < data.size());
    return true;
  };
  if (run()) {
    auto finished = decoder->Finish();
    if (!finished.ok()) result.error = finished.error();
  }
  result.members = decoder->members();
  result.compressed_bytes = decoder->compressed_bytes();
  EXPECT_EQ(decoder->content_bytes(), result.content.size());
  return result;
}

struct Tool {
  Compression compression;
  const char* compress;    // reads stdin, writes stdout
  const char* decompress;  // the same; on damage, writes what it could decode and fails
};

constexpr Tool kTools[] = {
    {Compression::kGzip, "gzip -6 -c", "gzip -dc"},
    {Compression::kZstd, "zstd -3 -q -c", "zstd -dc -q"},
    {Compression::kBzip2, "bzip2 -9 -c", "bzip2 -dc"},
    {Compression::kXz, "xz -6 -c", "xz -dc"},
    // 64 KiB blocks (lz4's default is 4 MiB), so that a cut archive has whole blocks before it.
    {Compression::kLz4, "lz4 -B4 -q -c", "lz4 -dc -q"},
};

// What `tool` writes for `archive` (its exit status is ignored: the archive may be damaged).
std::string DecompressWithTool(const TempDir& dir, const std::string& tool,
                               std::string_view archive) {
  const auto in = dir.path() / "damaged";
  const auto out = dir.path() / "decoded";
  WriteFile(in, archive);
  const std::string command = tool + " <'" + in.string() + "' >'" + out.string() + "' 2>/dev/null";
  (void)std::system(command.c_str());
  return ReadFile(out);
}

std::string ToolName(const ::testing::TestParamInfo<Tool>& info) {
  return std::string(CompressionName(info.param.compression));
}

class CodecToolTest : public ::testing::TestWithParam<Tool> {
 protected:
  std::string Compress(std::string_view content) {
    return CompressWithTool(dir_, GetParam().compress, content);
  }
  std::string name() const { return std::string(CompressionName(GetParam().compression)); }
  TempDir dir_;
};

TEST_P(CodecToolTest, SniffsTheToolsOutput) {
  const std::string archive = Compress("hello\n");
  EXPECT_EQ(Sniff(Bytes(archive)), GetParam().compression);
}

TEST_P(CodecToolTest, RoundTripsInReaderSizedPieces) {
  const std::string content = LogText(3 << 20);
  const std::string archive = Compress(content);
  for (const auto& [in_piece, out_size] : std::vector<std::pair<std::size_t, std::size_t>>{
           {65536, 65536}, {65536, 4096}, {4096, 1 << 20}, {archive.size(), 1000}}) {
    const Decoded got = DecodeAll(GetParam().compression, archive, in_piece, out_size);
    ASSERT_FALSE(got.error) << got.error->message() << " in " << in_piece << " out " << out_size;
    ASSERT_EQ(got.content.size(), content.size());
    EXPECT_TRUE(got.content == content) << "in " << in_piece << " out " << out_size;
    EXPECT_EQ(got.members, 1u);
    EXPECT_EQ(got.compressed_bytes, archive.size());
  }
}

TEST_P(CodecToolTest, RoundTripsThroughOneByteBuffers) {
  const std::string content = LogText(100 << 10, 2);
  const std::string archive = Compress(content);
  for (const auto& [in_piece, out_size] :
       std::vector<std::pair<std::size_t, std::size_t>>{{1, 4096}, {65536, 1}, {1, 1}, {7, 3}}) {
    const Decoded got = DecodeAll(GetParam().compression, archive, in_piece, out_size);
    ASSERT_FALSE(got.error) << got.error->message() << " in " << in_piece << " out " << out_size;
    EXPECT_TRUE(got.content == content) << "in " << in_piece << " out " << out_size;
  }
}

TEST_P(CodecToolTest, ConcatenatedArchivesDecodeToConcatenatedContent) {
  // As `cat a.gz b.gz` gives, with an empty archive in the middle.
  const std::string a = LogText(200 << 10, 3);
  const std::string b = LogText(300 << 10, 4);
  const std::string archive = Compress(a) + Compress("") + Compress(b);
  for (std::size_t in_piece : {std::size_t{65536}, std::size_t{1}, archive.size()}) {
    const Decoded got = DecodeAll(GetParam().compression, archive, in_piece, 4096);
    ASSERT_FALSE(got.error) << got.error->message();
    EXPECT_TRUE(got.content == a + b);
    EXPECT_EQ(got.members, 3u);
  }
}

TEST_P(CodecToolTest, EmptyArchiveDecodesToNothing) {
  const std::string archive = Compress("");
  ASSERT_FALSE(archive.empty());
  const Decoded got = DecodeAll(GetParam().compression, archive, 65536, 4096);
  ASSERT_FALSE(got.error) << got.error->message();
  EXPECT_EQ(got.content, "");
  EXPECT_EQ(got.members, 1u);
}

TEST_P(CodecToolTest, OneLineWithoutNewline) {
  const std::string line = R"(10.0.0.1 - - [22/Sep/2026:06:31:05 +0000] "GET / HTTP/1.1" 200 5)";
  const Decoded got = DecodeAll(GetParam().compression, Compress(line), 65536, 4096);
  ASSERT_FALSE(got.error) << got.error->message();
  EXPECT_EQ(got.content, line);
}

TEST_P(CodecToolTest, NoInputIsUnexpectedEnd) {
  const Decoded got = DecodeAll(GetParam().compression, "", 65536, 4096);
  ASSERT_TRUE(got.error);
  EXPECT_EQ(got.error->message(), name() + ": unexpected end of data at compressed byte 0");
}

TEST_P(CodecToolTest, TruncatedArchiveDeliversAPrefixThenNamesTheOffset) {
  const std::string content = LogText(2 << 20, 5);
  const std::string archive = Compress(content);
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}, std::size_t{20}, archive.size() / 3,
                          archive.size() / 2, archive.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(archive.size()));
    const Decoded got = DecodeAll(GetParam().compression, archive.substr(0, cut), 65536, 65536);
    ASSERT_TRUE(got.error);
    EXPECT_EQ(got.error->message(),
              name() + ": unexpected end of data at compressed byte " + std::to_string(cut));
    EXPECT_EQ(got.error->code(), ErrorCode::kInvalidArgument);
    ASSERT_LE(got.content.size(), content.size());
    EXPECT_TRUE(content.compare(0, got.content.size(), got.content) == 0)
        << "what came out before the cut is not the start of the content";
    // At least what the tool itself recovers (less one deflate match, for where a decoder
    // stops inside a symbol).
    const std::string recovered =
        DecompressWithTool(dir_, GetParam().decompress, archive.substr(0, cut));
    EXPECT_GE(got.content.size() + 258, recovered.size());
    if (cut >= archive.size() / 2 && GetParam().compression != Compression::kBzip2) {
      EXPECT_GT(got.content.size(), content.size() / 4);  // bzip2 delivers whole 900 kB blocks
    }
  }
}

TEST_P(CodecToolTest, CorruptByteIsAnErrorNamingTheCodecAndAnOffset) {
  const std::string content = LogText(1 << 20, 6);
  const std::string archive = Compress(content);
  for (std::size_t at :
       {std::size_t{40}, archive.size() / 3, archive.size() / 2, archive.size() - 2}) {
    SCOPED_TRACE("byte " + std::to_string(at) + " of " + std::to_string(archive.size()));
    std::string damaged = archive;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x55);
    const Decoded got = DecodeAll(GetParam().compression, damaged, 65536, 65536);
    ASSERT_TRUE(got.error) << "the damage went unnoticed";
    const std::string& message = got.error->message();
    const std::string head = name() + ": invalid data at compressed byte ";
    ASSERT_EQ(message.compare(0, head.size(), head), 0) << message;
    const std::uint64_t offset = std::stoull(message.substr(head.size()));
    EXPECT_LE(offset, archive.size()) << message;
    EXPECT_NE(message.find(" ("), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST_P(CodecToolTest, TrailingGarbageIsInvalidDataAtItsOffset) {
  const std::string archive = Compress("one line\n");
  const std::string head =
      name() + ": invalid data at compressed byte " + std::to_string(archive.size()) + " (";
  // In one piece, and byte by byte (the bad header then spans calls).
  for (std::size_t in_piece : {std::size_t{65536}, std::size_t{1}}) {
    const Decoded got =
        DecodeAll(GetParam().compression, archive + "not compressed\n", in_piece, 4096);
    ASSERT_TRUE(got.error);
    EXPECT_EQ(got.content, "one line\n");
    EXPECT_EQ(got.error->message().compare(0, head.size(), head), 0) << got.error->message();
  }
}

TEST_P(CodecToolTest, AnErrorIsReturnedAgainOnEveryLaterCall) {
  auto decoder = Decoder::Create(GetParam().compression);
  ASSERT_OK(decoder);
  std::vector<std::byte> out(4096);
  const std::string junk(100, 'x');
  auto first = decoder->Decode(Bytes(junk), out);
  ASSERT_FALSE(first.ok());
  auto again = decoder->Decode(Bytes(junk), out);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), first.error().message());
  auto finished = decoder->Finish();
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().message(), first.error().message());
}

INSTANTIATE_TEST_SUITE_P(Tools, CodecToolTest, ::testing::ValuesIn(kTools), ToolName);

TEST(CodecTest, SniffsEveryMagic) {
  using namespace std::string_view_literals;
  EXPECT_EQ(Sniff(Bytes("\x1f\x8b\x08\x00"sv)), Compression::kGzip);
  EXPECT_EQ(Sniff(Bytes("\x28\xb5\x2f\xfd\x24\x00"sv)), Compression::kZstd);
  EXPECT_EQ(Sniff(Bytes("BZh91AY&SY"sv)), Compression::kBzip2);
  EXPECT_EQ(Sniff(Bytes("\xfd\x37\x7a\x58\x5a\x00\x00\x04"sv)), Compression::kXz);
  EXPECT_EQ(Sniff(Bytes("\x04\x22\x4d\x18\x64\x40"sv)), Compression::kLz4);
  EXPECT_EQ(Sniff(Bytes("PK\x03\x04\x14\x00"sv)), Compression::kZip);
  EXPECT_EQ(Sniff(Bytes("PK\x05\x06\x00\x00"sv)), Compression::kZip);
  // A skippable frame (here 3 bytes of payload) before the first zstd frame.
  EXPECT_EQ(Sniff(Bytes("\x5a\x2a\x4d\x18\x03\x00\x00\x00"
                        "abc\x28\xb5\x2f\xfd"sv)),
            Compression::kZstd);
  EXPECT_EQ(Sniff(Bytes("\x02\x21\x4c\x18\x00\x00"sv)), Compression::kLz4);
  EXPECT_EQ(Sniff(Bytes("\x50\x2a\x4d\x18\x01\x00\x00\x00"
                        "x\x04\x22\x4d\x18\x64"sv)),
            Compression::kLz4);
  // A skippable frame whose payload runs past the head.
  EXPECT_EQ(Sniff(Bytes("\x50\x2a\x4d\x18\x00\x10\x00\x00"
                        "abc"sv)),
            Compression::kZstd);
}

TEST(CodecTest, SniffsPlainTextAndShortHeadsAsNone) {
  using namespace std::string_view_literals;
  EXPECT_EQ(Sniff({}), Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("127.0.0.1 - - [22/Sep/2026:06:31:05 +0000] \"GET /\"\n"sv)),
            Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("{\"level\":\"info\"}\n"sv)), Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("\x1f"sv)), Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("\x28\xb5\x2f"sv)), Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("BZh"sv)), Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("BZh0"sv)), Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("\xfd\x37\x7a\x58\x5a"sv)), Compression::kNone);
  EXPECT_EQ(Sniff(Bytes("PK\x01\x02"sv)), Compression::kNone);
}

TEST(CodecTest, NamesAndWhatAFileNameSuggests) {
  EXPECT_EQ(CompressionName(Compression::kNone), "none");
  EXPECT_EQ(CompressionName(Compression::kGzip), "gzip");
  EXPECT_EQ(CompressionName(Compression::kZstd), "zstd");
  EXPECT_EQ(CompressionName(Compression::kBzip2), "bzip2");
  EXPECT_EQ(CompressionName(Compression::kXz), "xz");
  EXPECT_EQ(CompressionName(Compression::kLz4), "lz4");
  EXPECT_EQ(CompressionName(Compression::kZip), "zip");
  EXPECT_EQ(CompressionFromName("access.log.2.gz"), Compression::kGzip);
  EXPECT_EQ(CompressionFromName("logs.tgz"), Compression::kGzip);
  EXPECT_EQ(CompressionFromName("a.log.zst"), Compression::kZstd);
  EXPECT_EQ(CompressionFromName("a.bz2"), Compression::kBzip2);
  EXPECT_EQ(CompressionFromName("a.xz"), Compression::kXz);
  EXPECT_EQ(CompressionFromName("a.lz4"), Compression::kLz4);
  EXPECT_EQ(CompressionFromName("a.zip"), Compression::kZip);
  EXPECT_EQ(CompressionFromName("access.log"), std::nullopt);
  EXPECT_EQ(CompressionFromName("access.log.1"), std::nullopt);
  EXPECT_EQ(CompressionFromName("gz"), std::nullopt);
  EXPECT_EQ(CompressionFromName("a.gz.log"), std::nullopt);
}

TEST(CodecTest, MislabelledFilesBothWays) {
  // The content decides; the name is only compared with it, so that a caller can report both.
  TempDir dir;
  const std::string gz = CompressWithTool(dir, "gzip -c", "a line\n");
  EXPECT_EQ(Sniff(Bytes(gz)), Compression::kGzip);  // say, access.log
  EXPECT_EQ(CompressionFromName("access.log"), std::nullopt);
  const std::string text = "a line\n";
  EXPECT_EQ(Sniff(Bytes(text)), Compression::kNone);  // say, access.log.2.gz
  EXPECT_EQ(CompressionFromName("access.log.2.gz"), Compression::kGzip);
  const std::string zst = CompressWithTool(dir, "zstd -q -c", "a line\n");
  EXPECT_EQ(Sniff(Bytes(zst)), Compression::kZstd);  // say, access.log.3.gz
  EXPECT_NE(CompressionFromName("access.log.3.gz"), Sniff(Bytes(zst)));
}

TEST(CodecTest, JudgeDecodesByTheBytesAndRefusesWhatTheNameMisstates) {
  TempDir dir;
  const std::string gz = CompressWithTool(dir, "gzip -c", "a line\n");
  const std::string zst = CompressWithTool(dir, "zstd -q -c", "a line\n");
  const std::string text = "a line\n";
  const std::string lz4 = CompressWithTool(dir, "lz4 -q -c", "a line\n");

  Verdict v = Judge(Bytes(gz), "logs/access.log");  // gzip under a plain name: decoded
  EXPECT_EQ(v.compression, Compression::kGzip);
  EXPECT_EQ(v.refusal, "");
  v = Judge(Bytes(gz), "logs/access.log.2.gz");
  EXPECT_EQ(v.compression, Compression::kGzip);
  EXPECT_EQ(v.refusal, "");
  v = Judge(Bytes(text), "logs/access.log");
  EXPECT_EQ(v.compression, Compression::kNone);
  EXPECT_EQ(v.refusal, "");
  v = Judge(Bytes(text), "logs/access.log.2.gz");
  EXPECT_EQ(v.refusal, "not gzip data, although the name says so: not read");
  v = Judge(Bytes(zst), "logs/access.log.3.gz");
  EXPECT_EQ(v.refusal, "zstd data, although the name says gzip: not read");
  v = Judge(Bytes(lz4), "logs/access.log");  // lz4 under a plain name: decoded
  EXPECT_EQ(v.compression, Compression::kLz4);
  EXPECT_EQ(v.refusal, "");
  v = Judge(Bytes(text), "logs/access.log.4.lz4");
  EXPECT_EQ(v.refusal, "not lz4 data, although the name says so: not read");
  v = Judge(Bytes(gz), "logs/access.log.4.lz4");
  EXPECT_EQ(v.refusal, "gzip data, although the name says lz4: not read");
  const std::string zip = std::string("PK\x03\x04\x14\x00", 6);
  v = Judge(Bytes(zip), "logs/access.log");
  EXPECT_EQ(v.compression, Compression::kZip);
  EXPECT_EQ(v.refusal, "zip compressed: ringflow does not decode zip (decompress it first)");
}

TEST(CodecTest, OnlyGzipZstdBzip2XzAndLz4Decode) {
  EXPECT_TRUE(CanDecode(Compression::kGzip));
  EXPECT_TRUE(CanDecode(Compression::kZstd));
  EXPECT_TRUE(CanDecode(Compression::kBzip2));
  EXPECT_TRUE(CanDecode(Compression::kXz));
  EXPECT_TRUE(CanDecode(Compression::kLz4));
  for (Compression c : {Compression::kNone, Compression::kZip}) {
    EXPECT_FALSE(CanDecode(c));
    auto decoder = Decoder::Create(c);
    ASSERT_FALSE(decoder.ok());
    EXPECT_EQ(decoder.error().code(), ErrorCode::kUnsupported);
    EXPECT_NE(decoder.error().message().find(CompressionName(c)), std::string::npos);
  }
}

TEST(CodecTest, GzipMembersWithNameAndCommentHeaders) {
  // gzip -N keeps the file name in the header; a member written by zlib has none.
  TempDir dir;
  const std::string content = LogText(64 << 10, 7);
  WriteFile(dir.path() / "named.log", content);
  ASSERT_EQ(std::system(("cd '" + dir.path().string() + "' && gzip -N -k named.log").c_str()), 0);
  const std::string named = ReadFile(dir.path() / "named.log.gz");
  ASSERT_TRUE(static_cast<unsigned char>(named[3]) & 0x08) << "no FNAME in gzip -N output";
  const Decoded got = DecodeAll(Compression::kGzip, named + named, 100, 4096);
  ASSERT_FALSE(got.error) << got.error->message();
  EXPECT_TRUE(got.content == content + content);
  EXPECT_EQ(got.members, 2u);
}

TEST(CodecTest, ZstdSkippableFramesAreSkipped) {
  TempDir dir;
  const std::string frame = CompressWithTool(dir, "zstd -q -c", "a line\n");
  const std::string skippable = std::string("\x50\x2a\x4d\x18\x05\x00\x00\x00hello", 13);
  const std::string archive = skippable + frame + skippable + frame;
  EXPECT_EQ(Sniff(Bytes(archive)), Compression::kZstd);
  const Decoded got = DecodeAll(Compression::kZstd, archive, 3, 4096);
  ASSERT_FALSE(got.error) << got.error->message();
  EXPECT_EQ(got.content, "a line\na line\n");
}

TEST(CodecTest, Lz4SkippableFramesAreSkipped) {
  TempDir dir;
  const std::string frame = CompressWithTool(dir, "lz4 -q -c", "a line\n");
  const std::string skippable = std::string("\x5a\x2a\x4d\x18\x05\x00\x00\x00hello", 13);
  const std::string archive = skippable + frame + skippable + frame;
  EXPECT_EQ(Sniff(Bytes(frame)), Compression::kLz4);
  for (std::size_t in_piece : {std::size_t{1}, std::size_t{3}, archive.size()}) {
    const Decoded got = DecodeAll(Compression::kLz4, archive, in_piece, 4096);
    ASSERT_FALSE(got.error) << got.error->message();
    EXPECT_EQ(got.content, "a line\na line\n");
  }
}

TEST(CodecTest, Lz4DefaultBlocksBlockChecksumsAndNoContentChecksum) {
  // What lz4 writes with its defaults (4 MiB blocks, a content checksum), with block checksums
  // (-BX) and without the content checksum (--no-frame-crc): each decodes to the content.
  TempDir dir;
  const std::string content = LogText(5 << 20, 9);
  for (const char* tool :
       {"lz4 -q -c", "lz4 -BX -q -c", "lz4 --no-frame-crc -q -c", "lz4 -9 --content-size -q -c"}) {
    SCOPED_TRACE(tool);
    const std::string archive = CompressWithTool(dir, tool, content);
    const Decoded got = DecodeAll(Compression::kLz4, archive, 65536, 128 << 10);
    ASSERT_FALSE(got.error) << got.error->message();
    EXPECT_TRUE(got.content == content);
    EXPECT_EQ(got.members, 1u);
  }
}

TEST(CodecTest, Lz4LegacyFormatIsRefusedAtItsHeader) {
  TempDir dir;
  const std::string legacy = CompressWithTool(dir, "lz4 -l -q -c", "a line\n");
  EXPECT_EQ(Sniff(Bytes(legacy)), Compression::kLz4);
  const Decoded got = DecodeAll(Compression::kLz4, legacy, 65536, 4096);
  ASSERT_TRUE(got.error);
  EXPECT_EQ(got.error->message(),
            "lz4: invalid data at compressed byte 0 (the legacy format of lz4 -l, which ringflow "
            "does not decode)");
  EXPECT_EQ(got.content, "");
}

// Streams `bytes` zeros through zlib (gzip wrapper, level 9) or libzstd (level 19): an archive
// whose content is far larger than itself.
std::string ZerosArchive(Compression compression, std::uint64_t bytes) {
  std::vector<char> zeros(1 << 20);
  std::vector<char> out(1 << 16);
  std::string archive;
  if (compression == Compression::kGzip) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
    std::uint64_t left = bytes;
    int ret = Z_OK;
    do {
      const std::size_t piece =
          static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
      left -= piece;
      z.next_in = reinterpret_cast<Bytef*>(zeros.data());
      z.avail_in = static_cast<uInt>(piece);
      const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
      do {
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        ret = deflate(&z, flush);
        archive.append(out.data(), out.size() - z.avail_out);
      } while (z.avail_out == 0);
    } while (ret != Z_STREAM_END);
    deflateEnd(&z);
  } else {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
    ZSTD_CCtx_setPledgedSrcSize(cctx, bytes);
    std::uint64_t left = bytes;
    std::size_t ret = 0;
    do {
      const std::size_t piece =
          static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
      left -= piece;
      ZSTD_inBuffer in{zeros.data(), piece, 0};
      const ZSTD_EndDirective mode = left == 0 ? ZSTD_e_end : ZSTD_e_continue;
      do {
        ZSTD_outBuffer o{out.data(), out.size(), 0};
        ret = ZSTD_compressStream2(cctx, &o, &in, mode);
        EXPECT_FALSE(ZSTD_isError(ret));
        archive.append(out.data(), o.pos);
      } while (mode == ZSTD_e_end ? ret != 0 : in.pos < in.size);
    } while (left > 0);
    ZSTD_freeCCtx(cctx);
  }
  return archive;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kBombBytes = std::uint64_t{256} << 20;  // zlib and the checks are slower
#else
constexpr std::uint64_t kBombBytes = std::uint64_t{1} << 30;
#endif

class CodecBombTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CodecBombTest, StopsPastMaxRatioAndDecodesAllWhenAllowed) {
  const Compression compression = GetParam();
  const std::string archive = ZerosArchive(compression, kBombBytes);
  ASSERT_LT(archive.size() * 1000, kBombBytes) << "not a bomb: " << archive.size() << " bytes";
  const std::string name(CompressionName(compression));

  // Default options: stops soon after the floor, having kept nothing but its fixed state.
  const auto start = std::chrono::steady_clock::now();
  auto decoder = Decoder::Create(compression);
  ASSERT_OK(decoder);
  std::vector<std::byte> out(64 << 10);
  std::optional<Error> error;
  std::uint64_t produced = 0;
  for (std::size_t offset = 0; offset < archive.size() && !error; offset += 65536) {
    auto input = Bytes(std::string_view(archive).substr(offset, 65536));
    while (true) {
      auto step = decoder->Decode(input, out);
      if (!step.ok()) {
        error = step.error();
        break;
      }
      produced += step->produced;
      input = input.subspan(step->consumed);
      if (input.empty() && step->produced < out.size()) break;
    }
  }
  ASSERT_TRUE(error) << "the bomb was decoded whole";
  EXPECT_EQ(error->message(),
            name + ": content past 1000 times the compressed size (a decompression bomb?)");
  EXPECT_EQ(error->code(), ErrorCode::kResourceExhausted);
  EXPECT_LT(produced, std::uint64_t{64} << 20) << "stopped late";
  EXPECT_EQ(produced, decoder->content_bytes());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  // Without the check: every byte comes out, all zero, through a 64 KiB buffer.
  DecoderOptions unlimited;
  unlimited.max_ratio = 0;
  auto whole = Decoder::Create(compression, unlimited);
  ASSERT_OK(whole);
  std::uint64_t total = 0;
  bool all_zero = true;
  for (std::size_t offset = 0; offset < archive.size(); offset += 65536) {
    auto input = Bytes(std::string_view(archive).substr(offset, 65536));
    while (true) {
      ASSERT_OK_AND_ASSIGN(DecodeStep step, whole->Decode(input, out));
      total += step.produced;
      if (step.produced > 0) {
        all_zero &= out[0] == std::byte{0} &&
                    std::memcmp(out.data(), out.data() + 1, step.produced - 1) == 0;
      }
      input = input.subspan(step.consumed);
      if (input.empty() && step.produced < out.size()) break;
    }
  }
  ASSERT_OK(whole->Finish());
  EXPECT_EQ(total, kBombBytes);
  EXPECT_TRUE(all_zero);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecBombTest,
                         ::testing::Values(Compression::kGzip, Compression::kZstd),
                         [](const auto& p) { return std::string(CompressionName(p.param)); });

// Text of period kPeriod (an odd size, so that the 4 GiB mark falls inside a piece where
// back-references reach kPeriod bytes back), repeated to `bytes`.
constexpr std::size_t kPeriod = 30001;
std::string PeriodicText(std::size_t bytes) {
  const std::string period = LogText(kPeriod, 9).substr(0, kPeriod);
  std::string text;
  while (text.size() < bytes) text += period;
  text.resize(bytes);
  return text;
}

// One gzip member of `pieces` pieces of kPeriod * 559 bytes (16 MB) of PeriodicText: a deflate
// piece that ends byte-aligned with a full flush (so it refers to nothing before it) is repeated,
// then a final empty block and the trailer (CRC-32 combined piece by piece, ISIZE modulo 2^32)
// close it.
constexpr std::size_t kLongPiece = kPeriod * 559;
std::string LongMember(std::uint64_t pieces) {
  std::string content = PeriodicText(kLongPiece);
  std::vector<char> out(1 << 20);
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  auto run = [&](int flush, std::size_t bytes) {
    std::string made;
    z.next_in = reinterpret_cast<Bytef*>(content.data());
    z.avail_in = static_cast<uInt>(bytes);
    do {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      deflate(&z, flush);
      made.append(out.data(), out.size() - z.avail_out);
    } while (z.avail_out == 0);
    return made;
  };
  const std::string piece = run(Z_FULL_FLUSH, kLongPiece);
  const std::string final_block = run(Z_FINISH, 0);
  deflateEnd(&z);
  const uLong piece_crc = crc32(0, reinterpret_cast<const Bytef*>(content.data()), kLongPiece);
  uLong crc = crc32(0, nullptr, 0);
  std::string member("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  for (std::uint64_t i = 0; i < pieces; ++i) {
    member += piece;
    crc = crc32_combine(crc, piece_crc, static_cast<z_off_t>(kLongPiece));
  }
  member += final_block;
  const std::uint64_t size = pieces * kLongPiece;
  for (int i = 0; i < 4; ++i) member += static_cast<char>((crc >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) member += static_cast<char>((size >> (8 * i)) & 0xff);
  return member;
}

TEST(CodecTest, GzipMemberPastFourGiB) {
  // isa-l counts a member's output in 32 bits; a member of 4.3 GiB must decode whole, with
  // back-references just past the 4 GiB mark.
  constexpr std::uint64_t kPieces = 275;
  static_assert(kPieces * kLongPiece > (std::uint64_t{1} << 32) + (64 << 20));
  static_assert((std::uint64_t{1} << 32) % kLongPiece > kPeriod);
  const std::string member = LongMember(kPieces);
  DecoderOptions unlimited;
  unlimited.max_ratio = 0;
  // A small output buffer has isa-l decode through its own history buffer, a large one mostly in
  // place: the two check back-references on different paths.
  for (std::size_t out_size : {std::size_t{4000}, std::size_t{256} << 10}) {
    SCOPED_TRACE("output of " + std::to_string(out_size) + " bytes");
    auto decoder = Decoder::Create(Compression::kGzip, unlimited);
    ASSERT_OK(decoder);
    std::vector<std::byte> out(out_size);
    const std::string expected = PeriodicText(kPeriod + out.size());
    std::uint64_t position = 0;
    bool same = true;
    for (std::size_t offset = 0; offset < member.size(); offset += 65536) {
      auto input = Bytes(std::string_view(member).substr(offset, 65536));
      while (true) {
        ASSERT_OK_AND_ASSIGN(DecodeStep step, decoder->Decode(input, out));
        same &= std::memcmp(out.data(), expected.data() + position % kPeriod, step.produced) == 0;
        position += step.produced;
        input = input.subspan(step.consumed);
        if (input.empty() && step.produced < out.size()) break;
      }
    }
    ASSERT_OK(decoder->Finish());
    EXPECT_EQ(decoder->content_bytes(), kPieces * kLongPiece);
    EXPECT_EQ(decoder->members(), 1u);
    EXPECT_TRUE(same) << "the content is not the periodic text";
  }
}

TEST(CodecTest, WindowLargerThanAllowedIsRefused) {
  TempDir dir;
  const std::string content = LogText(256 << 10, 10);
  DecoderOptions small;
  small.max_window_bytes = 4 << 20;
  // zstd --long=24 asks for a 16 MiB window (level 3 from a pipe, 2 MiB); xz -6 for an 8 MiB
  // dictionary.
  const std::string first = CompressWithTool(dir, "zstd -q -c", "a line\n");
  const std::string zst = first + CompressWithTool(dir, "zstd -q -c --long=24", content);
  const Decoded z = DecodeAll(Compression::kZstd, zst, 65536, 65536, small);
  ASSERT_TRUE(z.error);
  EXPECT_EQ(z.error->code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(z.error->message(),
            "zstd: a frame needs a window larger than 4194304 bytes at "
            "compressed byte " +
                std::to_string(first.size()));
  EXPECT_EQ(z.content, "a line\n");
  const std::string xz = CompressWithTool(dir, "xz -6 -c", content);
  const Decoded x = DecodeAll(Compression::kXz, xz, 65536, 65536, small);
  ASSERT_TRUE(x.error);
  EXPECT_EQ(x.error->code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(x.error->message(),
            "xz: a stream needs more than 4194304 bytes of memory at "
            "compressed byte 0");
  // The default limit (128 MiB) lets both through.
  EXPECT_FALSE(DecodeAll(Compression::kZstd, zst, 65536, 65536).error);
  EXPECT_FALSE(DecodeAll(Compression::kXz, xz, 65536, 65536).error);
}

TEST(CodecTest, MaxRatioSparesSmallRepetitiveFiles) {
  // 900 KiB of one repeated line compresses far past 1000:1 but stays under the 1 MiB floor.
  std::string content;
  while (content.size() < (900 << 10)) content += "GET / 200\n";
  TempDir dir;
  const std::string archive = CompressWithTool(dir, "zstd -19 -q -c", content);
  ASSERT_LT(archive.size() * 1000, content.size());
  const Decoded got = DecodeAll(Compression::kZstd, archive, 65536, 4096);
  ASSERT_FALSE(got.error) << got.error->message();
  EXPECT_TRUE(got.content == content);
}

}  // namespace
}  // namespace ringflow::codec

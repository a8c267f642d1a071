// codec_bench: decode speed of one gzip file through each candidate library (zlib's inflate,
// libdeflate, isa-l's igzip, and ringflow's codec::Decoder on top of the chosen one) and of one
// zstd file (libzstd, and codec::Decoder), side by side in one run, with `zcat` and `zstdcat` to
// /dev/null for reference. The compressed file is read into memory first; each figure is the
// median of --runs runs, in MB/s of content (10^6 bytes per second).
//
// usage: codec_bench FILE.gz FILE.zst [--runs N] [--in BYTES] [--out BYTES]
//   --in   compressed bytes handed to a streaming decoder per call (default 65536, the reader's
//          buffer size)
//   --out  output buffer of a streaming decoder (default 65536)
#include <isa-l/igzip_lib.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "framework/codec/codec.h"
#ifdef RINGFLOW_BENCH_LIBDEFLATE
#include <libdeflate.h>
#endif

namespace {

using ringflow::codec::Compression;

std::size_t g_in = 65536;
std::size_t g_out = 65536;

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "codec_bench: cannot read %s\n", path);
    std::exit(1);
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Each function returns the content bytes it decoded (0 on failure).
using DecodeFn = std::function<std::uint64_t(const std::string&)>;

std::uint64_t ZlibInflate(const std::string& gz) {
  std::vector<unsigned char> out(g_out);
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return 0;
  std::uint64_t total = 0;
  std::size_t offset = 0;
  while (offset < gz.size()) {
    const std::size_t piece = std::min(g_in, gz.size() - offset);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + offset));
    z.avail_in = static_cast<uInt>(piece);
    while (true) {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      const int ret = inflate(&z, Z_NO_FLUSH);
      total += out.size() - z.avail_out;
      if (ret == Z_STREAM_END) {
        if (z.avail_in == 0) break;
        inflateReset(&z);  // the next member
        continue;
      }
      if (ret != Z_OK && ret != Z_BUF_ERROR) {
        inflateEnd(&z);
        return 0;
      }
      if (z.avail_in == 0 && z.avail_out != 0) break;
    }
    offset += piece;
  }
  inflateEnd(&z);
  return total;
}

std::uint64_t IsalInflate(const std::string& gz) {
  std::vector<unsigned char> out(g_out);
  auto state = std::make_unique<inflate_state>();
  std::uint64_t total = 0;
  std::size_t offset = 0;
  bool in_member = false;
  while (offset < gz.size()) {
    const std::size_t piece = std::min(g_in, gz.size() - offset);
    state->next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(gz.data() + offset));
    state->avail_in = static_cast<std::uint32_t>(piece);
    while (true) {
      if (!in_member) {
        if (state->avail_in == 0) break;
        std::uint8_t* next_in = state->next_in;
        const std::uint32_t avail_in = state->avail_in;
        isal_inflate_init(state.get());
        state->crc_flag = ISAL_GZIP;
        state->next_in = next_in;
        state->avail_in = avail_in;
        in_member = true;
      }
      state->next_out = out.data();
      state->avail_out = static_cast<std::uint32_t>(out.size());
      const int ret = isal_inflate(state.get());
      total += out.size() - state->avail_out;
      if (ret < 0) return 0;
      if (state->block_state == ISAL_BLOCK_FINISH) {
        in_member = false;
        continue;
      }
      if (state->avail_in == 0 && state->avail_out != 0) break;
    }
    offset += piece;
  }
  return total;
}

#ifdef RINGFLOW_BENCH_LIBDEFLATE
// libdeflate decodes a whole member into a buffer at once: the output buffer must hold all of
// the content (here sized from the last member's ISIZE, grown when a member reports more).
std::uint64_t Libdeflate(const std::string& gz) {
  static std::vector<unsigned char> out;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::uint64_t total = 0;
  std::size_t offset = 0;
  while (offset < gz.size()) {
    if (out.size() < (std::size_t{1} << 20)) out.resize(std::size_t{1} << 20);
    std::size_t in_used = 0;
    std::size_t out_made = 0;
    libdeflate_result r;
    while ((r = libdeflate_gzip_decompress_ex(d, gz.data() + offset, gz.size() - offset, out.data(),
                                              out.size(), &in_used, &out_made)) ==
           LIBDEFLATE_INSUFFICIENT_SPACE) {
      out.resize(out.size() * 2);
    }
    if (r != LIBDEFLATE_SUCCESS) {
      libdeflate_free_decompressor(d);
      return 0;
    }
    total += out_made;
    offset += in_used;
  }
  libdeflate_free_decompressor(d);
  return total;
}
#endif

std::uint64_t ZstdStream(const std::string& zst) {
  std::vector<char> out(g_out);
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  std::uint64_t total = 0;
  std::size_t offset = 0;
  while (offset < zst.size()) {
    const std::size_t piece = std::min(g_in, zst.size() - offset);
    ZSTD_inBuffer in{zst.data() + offset, piece, 0};
    while (true) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      const std::size_t ret = ZSTD_decompressStream(ctx, &o, &in);
      if (ZSTD_isError(ret)) {
        ZSTD_freeDCtx(ctx);
        return 0;
      }
      total += o.pos;
      if (in.pos == in.size && o.pos < o.size) break;
    }
    offset += piece;
  }
  ZSTD_freeDCtx(ctx);
  return total;
}

std::uint64_t RingflowDecoder(Compression compression, const std::string& data) {
  auto decoder = ringflow::codec::Decoder::Create(compression);
  if (!decoder.ok()) return 0;
  std::vector<std::byte> out(g_out);
  const auto bytes = std::as_bytes(std::span<const char>(data.data(), data.size()));
  for (std::size_t offset = 0; offset < bytes.size(); offset += g_in) {
    auto input = bytes.subspan(offset, std::min(g_in, bytes.size() - offset));
    while (true) {
      auto step = decoder->Decode(input, out);
      if (!step.ok()) {
        std::fprintf(stderr, "codec_bench: %s\n", step.error().message().c_str());
        return 0;
      }
      input = input.subspan(step->consumed);
      if (input.empty() && step->produced < out.size()) break;
    }
  }
  if (!decoder->Finish().ok()) return 0;
  return decoder->content_bytes();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Row {
  std::string name;
  double seconds;
  std::uint64_t content;
};

Row Measure(const std::string& name, int runs, const std::function<std::uint64_t()>& fn) {
  std::vector<double> times;
  std::uint64_t content = 0;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    content = fn();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return {name, Median(times), content};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: codec_bench FILE.gz FILE.zst [--runs N] [--in BYTES] [--out BYTES]\n");
    return 2;
  }
  int runs = 5;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const auto value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--runs") {
      runs = static_cast<int>(value);
    } else if (flag == "--in") {
      g_in = value;
    } else if (flag == "--out") {
      g_out = value;
    } else {
      std::fprintf(stderr, "codec_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (runs < 1 || g_in == 0 || g_out == 0) {
    std::fprintf(stderr, "codec_bench: --runs, --in and --out must be positive\n");
    return 2;
  }
  const std::string gz_path = argv[1];
  const std::string zst_path = argv[2];
  const std::string gz = ReadFile(argv[1]);
  const std::string zst = ReadFile(argv[2]);

  std::vector<Row> rows;
  rows.push_back(Measure("gzip: zlib inflate (streaming)", runs, [&] { return ZlibInflate(gz); }));
#ifdef RINGFLOW_BENCH_LIBDEFLATE
  rows.push_back(
      Measure("gzip: libdeflate (whole file in memory)", runs, [&] { return Libdeflate(gz); }));
#endif
  rows.push_back(Measure("gzip: isa-l igzip (streaming)", runs, [&] { return IsalInflate(gz); }));
  rows.push_back(Measure("gzip: codec::Decoder", runs,
                         [&] { return RingflowDecoder(Compression::kGzip, gz); }));
  rows.push_back(Measure("zstd: libzstd (streaming)", runs, [&] { return ZstdStream(zst); }));
  rows.push_back(Measure("zstd: codec::Decoder", runs,
                         [&] { return RingflowDecoder(Compression::kZstd, zst); }));
  const std::uint64_t gz_content = rows.front().content;
  // The reference tools read the file themselves (from the page cache after the first run).
  rows.push_back(Measure("gzip: zcat >/dev/null", runs, [&] {
    return std::system(("zcat -- '" + gz_path + "' >/dev/null").c_str()) == 0 ? gz_content : 0;
  }));
  const std::uint64_t zst_content = rows[rows.size() - 2].content;
  rows.push_back(Measure("zstd: zstdcat >/dev/null", runs, [&] {
    return std::system(("zstdcat -q -- '" + zst_path + "' >/dev/null").c_str()) == 0 ? zst_content
                                                                                     : 0;
  }));

  std::printf(
      "gzip file: %s (%zu bytes); zstd file: %s (%zu bytes); %d runs, median; "
      "in %zu, out %zu bytes per call\n",
      gz_path.c_str(), gz.size(), zst_path.c_str(), zst.size(), runs, g_in, g_out);
  std::printf("| decoder | content bytes | median s | MB/s of content |\n");
  std::printf("|---|---:|---:|---:|\n");
  int status = 0;
  for (const Row& row : rows) {
    if (row.content == 0) status = 1;
    std::printf("| %s | %llu | %.3f | %.0f |\n", row.name.c_str(),
                static_cast<unsigned long long>(row.content), row.seconds,
                static_cast<double>(row.content) / row.seconds / 1e6);
  }
  return status;
}

// FileSourceNode with decoder threads (SourceOptions::decode_threads): the messages are those that
// decoding on the I/O thread gives, in the same order, and the bounds, bombs, damage and stops
// behave as there.
#include <gtest/gtest.h>
#include <oneapi/tbb/flow_graph.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "framework/core/xxh3.h"
#include "framework/flow/file_source.h"
#include "tests/testing/test_util.h"

namespace ringflow::flow {
namespace {

using testing::MakeContent;
using testing::TempDir;
using testing::WriteFile;
namespace tf = tbb::flow;

std::string Gzip(const std::string& text, int level = 6) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Zstd(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// One message as a consumer sees it: everything the node decides, the bytes as a hash.
std::string Describe(const Chunk& c) {
  std::ostringstream s;
  s << c.seq << " f" << c.file_id << " @" << c.offset << "+" << c.length << " h"
    << Xxh3::Hash(c.data().data(), c.data().size()) << " " << c.compression << " se" << c.stored_end
    << (c.end ? " END" : "") << " fb" << c.file_bytes << " cb" << c.content_bytes << " x"
    << (c.stored_xxh3 ? *c.stored_xxh3 : 0) << " head"
    << (c.stored_head ? c.stored_head->size() : 0) << " p" << c.path << (c.checkpoint ? " CUT" : "")
    << (c.shrank ? " shrank" : "") << (c.error ? " err " + c.error->UserMessage() : "");
  return s.str();
}

struct Seen {
  std::vector<std::string> messages;        // in emission order
  std::map<uint64_t, std::string> content;  // per file, what its messages carried
  std::map<uint64_t, std::optional<Error>> ends;
  std::map<uint64_t, int> end_count;
  bool per_file_order = true;  // every file's offsets run on without a gap
  std::map<uint64_t, uint64_t> next_offset;
  SourceStats stats;
};

SourceOptions Options(uint32_t decode_threads) {
  SourceOptions o;
  o.buffer_size = 16384;
  o.buffers = 8;
  o.max_messages = 24;
  o.reader.max_open_files = 8;
  o.reader.reads_per_file = 2;
  o.reader.ordered = true;
  o.engine.file_slots = 8;
  o.decompress = true;
  o.content_buffers = 6;
  o.content_buffer_size = 32768;
  o.decode_threads = decode_threads;
  o.checkpoint_bytes = 100000;  // cuts by bytes only: the same in every run
  o.checkpoint_interval = std::chrono::hours(1);
  return o;
}

// Runs the node over `jobs`; the consumer sleeps `consumer_delay` per packet (a slow graph).
// `on_chunk` is called with every message.
Seen RunSource(const std::vector<uring::ReadJob>& jobs, const SourceOptions& options,
               std::chrono::microseconds consumer_delay = std::chrono::microseconds(0),
               const std::function<void(const Chunk&)>& on_chunk = nullptr) {
  Seen seen;
  uring::VectorSource source(jobs);
  tf::graph g;
  FileSourceNode node(g, &source, options);
  tf::sequencer_node<PacketPtr> sequencer(g, [](const PacketPtr& p) { return p->seq; });
  tf::function_node<PacketPtr> consumer(g, tf::serial, [&](const PacketPtr& p) {
    for (const ChunkPtr& c : p->chunks) {
      seen.messages.push_back(Describe(*c));
      if (on_chunk) on_chunk(*c);
      if (c->length > 0) {
        if (c->offset != seen.next_offset[c->file_id]) seen.per_file_order = false;
        seen.next_offset[c->file_id] = c->offset + c->length;
        seen.content[c->file_id].append(reinterpret_cast<const char*>(c->data().data()), c->length);
      }
      if (c->end) {
        seen.ends[c->file_id] = c->error;
        ++seen.end_count[c->file_id];
      }
    }
    if (consumer_delay.count() > 0) std::this_thread::sleep_for(consumer_delay);
  });
  tf::make_edge(node.output(), sequencer);
  tf::make_edge(sequencer, consumer);
  node.Start();
  g.wait_for_all();
  EXPECT_OK(node.status());
  seen.stats = node.stats();
  return seen;
}

// Plain, gzip (one and two members), zstd, empty, a truncated gzip, a corrupt zstd, a file
// whose name says gzip, in a mixed order; `contents[i]` is file i's content as a consumer must
// see it (up to the damage for the damaged ones).
struct Corpus {
  TempDir dir;
  std::vector<uring::ReadJob> jobs;
  std::vector<std::string> contents;
  void Add(const std::string& name, const std::string& stored, const std::string& content) {
    const std::string path = dir.Join(name);
    WriteFile(path, stored);
    jobs.push_back({jobs.size(), path});
    contents.push_back(content);
  }
};

void MakeMixed(Corpus& c, int files) {
  for (int i = 0; i < files; ++i) {
    const std::size_t size = static_cast<std::size_t>((i * 7919) % 13) * 23000 + 100;
    const std::string text = MakeContent(size, static_cast<uint32_t>(i + 1));
    const std::string name = "f" + std::to_string(i);
    switch (i % 5) {
      case 0:
        c.Add(name + ".log.gz", Gzip(text), text);
        break;
      case 1:
        c.Add(name + ".log.zst", Zstd(text), text);
        break;
      case 2:
        c.Add(name + ".log", text, text);
        break;
      case 3:
        c.Add(name + ".log.gz", Gzip(text.substr(0, size / 2), 1) + Gzip(text.substr(size / 2)),
              text);
        break;
      default:
        c.Add(name + ".gzlog", Gzip(text, 9), text);  // gzip bytes under a plain name
        break;
    }
  }
  c.Add("empty.log", "", "");
  c.Add("empty.gz", Gzip(""), "");
  const std::string text = MakeContent(300000, 77);
  std::string truncated = Gzip(text);
  truncated.resize(truncated.size() / 2);
  c.Add("truncated.log.gz", truncated, "");  // content checked apart
  c.Add("notgzip.log.gz", "plain text\n", "");
  c.Add("after.log", text, text);
}

TEST(ParallelDecodeTest, SameMessagesInTheSameOrderWithZeroOneAndTwoDecoders) {
  Corpus corpus;
  MakeMixed(corpus, 40);
  const Seen serial = RunSource(corpus.jobs, Options(0));
  ASSERT_FALSE(serial.messages.empty());
  for (uint32_t threads : {1u, 2u, 3u}) {
    const Seen parallel = RunSource(corpus.jobs, Options(threads));
    ASSERT_EQ(parallel.messages.size(), serial.messages.size()) << threads;
    for (std::size_t i = 0; i < serial.messages.size(); ++i) {
      ASSERT_EQ(parallel.messages[i], serial.messages[i]) << "message " << i << ", " << threads;
    }
    EXPECT_EQ(parallel.stats.chunks, serial.stats.chunks);
    EXPECT_EQ(parallel.stats.content_bytes, serial.stats.content_bytes);
    EXPECT_EQ(parallel.stats.compressed_files, serial.stats.compressed_files);
    EXPECT_EQ(parallel.stats.bytes, serial.stats.bytes);
  }
  // And the messages are right, not only alike.
  const std::size_t n = corpus.jobs.size();
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(serial.end_count.at(i), 1) << i;
    if (i == n - 3 || i == n - 2) continue;  // damaged, refused
    EXPECT_FALSE(serial.ends.at(i).has_value()) << i << " " << serial.ends.at(i)->UserMessage();
    EXPECT_TRUE(serial.content.count(i) == 0 ? corpus.contents[i].empty()
                                             : serial.content.at(i) == corpus.contents[i])
        << "file " << i;
  }
  ASSERT_TRUE(serial.ends.at(n - 3).has_value());
  EXPECT_NE(serial.ends.at(n - 3)->UserMessage().find("gzip: unexpected end of data"),
            std::string::npos)
      << serial.ends.at(n - 3)->UserMessage();
  // Every record before the damage: a prefix of the content.
  const std::string before = serial.content.count(n - 3) ? serial.content.at(n - 3) : "";
  EXPECT_GT(before.size(), 0u);
  EXPECT_EQ(before, corpus.contents[n - 1].substr(0, before.size()));
  ASSERT_TRUE(serial.ends.at(n - 2).has_value());
  EXPECT_NE(serial.ends.at(n - 2)->UserMessage().find("not gzip data"), std::string::npos);
}

// Hundreds of small files, most compressed, through the tightest bounds (2 buffers of each
// pool, 2 messages): the queue, the decoders' share and the I/O thread's waits keep the order.
TEST(ParallelDecodeTest, ManySmallFilesAtTheTightestBoundsSameAsSerial) {
  Corpus corpus;
  for (int i = 0; i < 300; ++i) {
    const std::string text =
        MakeContent(static_cast<std::size_t>(i * 131 % 9000), static_cast<uint32_t>(9 + i));
    const std::string name = "s" + std::to_string(i);
    if (i % 3 == 2) {
      corpus.Add(name + ".log", text, text);
    } else {
      corpus.Add(name + (i % 3 ? ".zst" : ".gz"), i % 3 ? Zstd(text) : Gzip(text), text);
    }
  }
  auto options = [](uint32_t threads) {
    SourceOptions o = Options(threads);
    o.buffers = 2;
    o.max_messages = 2;
    o.content_buffers = 2;
    o.content_buffer_size = 4096;
    o.buffer_size = 4096;
    return o;
  };
  const Seen serial = RunSource(corpus.jobs, options(0));
  for (uint32_t threads : {1u, 2u}) {
    const Seen parallel = RunSource(corpus.jobs, options(threads));
    EXPECT_TRUE(parallel.messages == serial.messages) << threads;
  }
  for (std::size_t i = 0; i < corpus.jobs.size(); ++i) {
    EXPECT_FALSE(serial.ends.at(i).has_value()) << i;
    EXPECT_TRUE(serial.content.count(i) ? serial.content.at(i) == corpus.contents[i]
                                        : corpus.contents[i].empty())
        << i;
  }
}

TEST(ParallelDecodeTest, UnorderedKeepsEachFileInOrder) {
  Corpus corpus;
  MakeMixed(corpus, 30);
  SourceOptions o = Options(2);
  o.reader.ordered = false;
  const Seen serial = RunSource(corpus.jobs, [&] {
    SourceOptions s = o;
    s.decode_threads = 0;
    return s;
  }());
  const Seen parallel = RunSource(corpus.jobs, o);
  // Files interleave as the reads complete (so a last chunk may or may not share its end's
  // message): compare what each file carried.
  EXPECT_TRUE(parallel.per_file_order);
  EXPECT_EQ(parallel.content, serial.content);
  EXPECT_EQ(parallel.end_count, serial.end_count);
  ASSERT_EQ(parallel.ends.size(), serial.ends.size());
  for (const auto& [id, error] : serial.ends) {
    EXPECT_EQ(parallel.ends.at(id).has_value(), error.has_value()) << id;
  }
  for (const auto& [id, count] : parallel.end_count) EXPECT_EQ(count, 1) << id;
}

// Two content buffers, several large compressed files and a slow graph: files behind the front
// may take one buffer, never both, so the front always gets one back and the run ends.
TEST(ParallelDecodeTest, TwoContentBuffersAndLargeFilesDoNotDeadlock) {
  Corpus corpus;
  for (int i = 0; i < 6; ++i) {
    const std::string text = MakeContent(600000, static_cast<uint32_t>(i + 5));
    corpus.Add("big" + std::to_string(i) + (i % 2 ? ".zst" : ".gz"),
               i % 2 ? Zstd(text) : Gzip(text), text);
  }
  for (bool ordered : {true, false}) {
    for (uint32_t threads : {1u, 2u}) {
      SourceOptions o = Options(threads);
      o.reader.ordered = ordered;
      o.content_buffers = 2;
      o.content_buffer_size = 4096;
      o.buffers = 2;
      o.max_messages = 2;
      const Seen seen = RunSource(corpus.jobs, o, std::chrono::microseconds(50));
      for (std::size_t i = 0; i < corpus.jobs.size(); ++i) {
        EXPECT_FALSE(seen.ends.at(i).has_value()) << i;
        EXPECT_TRUE(seen.content.at(i) == corpus.contents[i]) << i;
      }
    }
  }
}

// 64 MiB of zeros in about 64 KiB of gzip, then an ordinary file: max_ratio stops the bomb with
// one error, the content before it stays within the limit, and the next file is read.
TEST(ParallelDecodeTest, BombStopsAtMaxRatioAndTheRunGoesOn) {
  Corpus corpus;
  corpus.Add("bomb.gz", Gzip(std::string(64u << 20, '\0'), 9), "");
  const std::string text = MakeContent(200000, 3);
  corpus.Add("next.log.gz", Gzip(text), text);
  for (uint32_t threads : {0u, 2u}) {
    SourceOptions o = Options(threads);
    o.content_buffers = 2;
    o.decoder.max_ratio = 100;
    o.decoder.ratio_floor_bytes = 1 << 20;
    const Seen seen = RunSource(corpus.jobs, o);
    ASSERT_TRUE(seen.ends.at(0).has_value());
    EXPECT_NE(seen.ends.at(0)->UserMessage().find("content past 100 times"), std::string::npos)
        << seen.ends.at(0)->UserMessage();
    EXPECT_LT(seen.content.at(0).size(), 16u << 20);
    EXPECT_FALSE(seen.ends.at(1).has_value());
    EXPECT_TRUE(seen.content.at(1) == text);
  }
}

// A stop while a decoder works through a bomb with no limit ends it with "interrupted".
TEST(ParallelDecodeTest, StopEndsALongDecode) {
  Corpus corpus;
  corpus.Add("bomb.gz", Gzip(std::string(128u << 20, '\0'), 1), "");
  corpus.Add("next.log", "x\n", "x\n");
  std::atomic<bool> stop{false};
  SourceOptions o = Options(2);
  o.decoder.max_ratio = 0;
  o.reader.stop = &stop;
  const auto start = std::chrono::steady_clock::now();
  const Seen seen = RunSource(corpus.jobs, o, std::chrono::microseconds(0), [&](const Chunk& c) {
    if (c.file_id == 0 && c.offset > (1u << 20)) stop.store(true);
  });
  ASSERT_TRUE(seen.ends.at(0).has_value());
  EXPECT_EQ(seen.ends.at(0)->code(), ErrorCode::kCancelled) << seen.ends.at(0)->UserMessage();
  EXPECT_LT(seen.content.at(0).size(), 128u << 20);
  EXPECT_EQ(seen.end_count.at(0), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

}  // namespace
}  // namespace ringflow::flow

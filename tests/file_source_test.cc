#include "framework/flow/file_source.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/flow_graph.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "framework/core/xxh3.h"
#include "tests/testing/test_util.h"

namespace ringflow::flow {
namespace {

using testing::MakeContent;
using testing::TempDir;
using testing::WriteFile;
namespace tf = tbb::flow;

struct Corpus {
  TempDir dir;
  std::vector<std::string> contents;
  std::vector<uring::ReadJob> jobs;
};

// Files of assorted sizes (empty, one buffer, many buffers) plus, optionally, a missing one.
void MakeCorpus(Corpus& c, int files, std::size_t buffer, bool with_missing) {
  for (int i = 0; i < files; ++i) {
    const std::size_t size =
        static_cast<std::size_t>(i % 5) * buffer * static_cast<std::size_t>(i % 3) +
        static_cast<std::size_t>(i * 37 % 1000);
    c.contents.push_back(MakeContent(i % 11 == 0 ? 0 : size, static_cast<uint32_t>(i + 1)));
    const std::string path = c.dir.Join("f" + std::to_string(i) + ".log");
    WriteFile(path, c.contents.back());
    c.jobs.push_back({static_cast<uint64_t>(i), path});
  }
  if (with_missing) {
    c.contents.push_back("");
    c.jobs.push_back({static_cast<uint64_t>(files), c.dir.Join("missing.log")});
  }
}

SourceOptions SmallOptions(uint32_t buffers, std::size_t buffer_size) {
  SourceOptions o;
  o.buffer_size = buffer_size;
  o.buffers = buffers;
  o.max_messages = buffers + 2;
  o.reader.max_open_files = 8;
  o.reader.reads_per_file = 2;
  o.engine.file_slots = 8;
  return o;
}

// Per-file state rebuilt by a consumer that sees the chunks in emission order.
struct FileView {
  Xxh3 hash;
  std::string bytes;
  uint64_t next_offset = 0;
  bool ended = false;
  std::optional<Error> error;
  uint64_t reported_bytes = 0;
  bool seen = false;
};

TEST(FileSourceNodeTest, SequencedConsumerSeesEveryFileInOrderAndAllBuffersReturn) {
  Corpus corpus;
  MakeCorpus(corpus, 40, 8192, /*with_missing=*/true);
  uring::VectorSource source(corpus.jobs);
  tf::graph g;
  FileSourceNode node(g, &source, SmallOptions(4, 8192));
  // The source emits in order; a sequencer restores that order after any parallel stage.
  tf::sequencer_node<PacketPtr> sequencer(g, [](const PacketPtr& p) { return p->seq; });
  std::map<uint64_t, FileView> files;
  uint64_t expected_seq = 0;
  uint64_t packets = 0;
  tf::function_node<PacketPtr> consumer(g, tf::serial, [&](const PacketPtr& p) {
    EXPECT_EQ(p->seq, packets++);
    EXPECT_FALSE(p->chunks.empty());
    for (const ChunkPtr& c : p->chunks) {
      EXPECT_EQ(c->seq, expected_seq++);
      FileView& f = files[c->file_id];
      EXPECT_FALSE(f.ended) << "message after the end of file " << c->file_id;
      // A file's first message and its end carry its path; the others none.
      EXPECT_EQ(!c->path.empty(), !f.seen || c->end) << "file " << c->file_id << " seq " << c->seq;
      if (!c->path.empty()) {
        EXPECT_EQ(c->path, corpus.jobs[c->file_id].path);
      }
      f.seen = true;
      if (c->length > 0) {  // the end message may carry the file's last bytes
        EXPECT_EQ(c->offset, f.next_offset);
        f.next_offset += c->length;
        f.bytes.append(reinterpret_cast<const char*>(c->data().data()), c->length);
      }
      if (c->end) {
        f.ended = true;
        f.error = c->error;
        f.reported_bytes = c->file_bytes;
      }
    }
  });
  tf::make_edge(node.output(), sequencer);
  tf::make_edge(sequencer, consumer);
  node.Start();
  g.wait_for_all();
  ASSERT_OK(node.status());
  ASSERT_EQ(files.size(), corpus.jobs.size());
  for (std::size_t i = 0; i < corpus.jobs.size(); ++i) {
    const FileView& f = files[i];
    EXPECT_TRUE(f.ended) << i;
    if (i + 1 == corpus.jobs.size()) {
      ASSERT_TRUE(f.error.has_value());
      EXPECT_EQ(f.error->sys_errno(), ENOENT);
      EXPECT_EQ(f.error->path(), corpus.jobs[i].path);
      continue;
    }
    EXPECT_FALSE(f.error.has_value()) << f.error->UserMessage();
    EXPECT_EQ(f.reported_bytes, corpus.contents[i].size());
    EXPECT_TRUE(f.bytes == corpus.contents[i]) << "file " << i;
  }
  EXPECT_LE(node.stats().peak_messages, 6u);
  EXPECT_EQ(node.stats().files, corpus.jobs.size());
  EXPECT_EQ(node.stats().packets, packets);
  EXPECT_EQ(node.stats().messages, expected_seq);
}

TEST(FileSourceNodeTest, FanOutToParallelConsumersHashesEqualOneShot) {
  Corpus corpus;
  MakeCorpus(corpus, 30, 16384, /*with_missing=*/false);
  uring::VectorSource source(corpus.jobs);
  tf::graph g;
  FileSourceNode node(g, &source, SmallOptions(6, 16384));
  tf::broadcast_node<PacketPtr> fan_out(g);
  // Consumer 1: per-file streaming XXH3 after re-sequencing. Consumer 2: parallel byte counter
  // that holds each packet a little while (a slow reader of the same buffers: no copy).
  tf::sequencer_node<PacketPtr> sequencer(g, [](const PacketPtr& p) { return p->seq; });
  std::map<uint64_t, Xxh3> hashes;
  std::map<uint64_t, uint64_t> digests;
  tf::function_node<PacketPtr> hasher(g, tf::serial, [&](const PacketPtr& p) {
    for (const ChunkPtr& c : p->chunks) {
      hashes[c->file_id].Update(c->data().data(), c->length);
      if (c->end) digests[c->file_id] = hashes[c->file_id].Digest();
    }
  });
  std::mutex mu;
  std::map<uint64_t, uint64_t> counted;
  tf::function_node<PacketPtr> counter(g, tf::unlimited, [&](const PacketPtr& p) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard lock(mu);
    for (const ChunkPtr& c : p->chunks) counted[c->file_id] += c->length;
  });
  tf::make_edge(node.output(), fan_out);
  tf::make_edge(fan_out, sequencer);
  tf::make_edge(sequencer, hasher);
  tf::make_edge(fan_out, counter);
  node.Start();
  g.wait_for_all();
  ASSERT_OK(node.status());
  for (std::size_t i = 0; i < corpus.jobs.size(); ++i) {
    const std::string& content = corpus.contents[i];
    EXPECT_EQ(digests[i], Xxh3::Hash(content.data(), content.size())) << "file " << i;
    EXPECT_EQ(counted[i], content.size()) << "file " << i;
  }
  EXPECT_LE(node.stats().peak_messages, 8u);
}

TEST(FileSourceNodeTest, SlowConsumerWithTwoBuffersFinishesWithinItsBounds) {
  Corpus corpus;
  MakeCorpus(corpus, 12, 4096, /*with_missing=*/false);
  uring::VectorSource source(corpus.jobs);
  tf::graph g;
  SourceOptions options = SmallOptions(2, 4096);
  options.max_messages = 3;
  FileSourceNode node(g, &source, options);
  uint64_t bytes = 0;
  tf::function_node<PacketPtr> slow(g, tf::serial, [&](const PacketPtr& p) {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    for (const ChunkPtr& c : p->chunks) bytes += c->length;
  });
  tf::make_edge(node.output(), slow);
  node.Start();
  g.wait_for_all();
  ASSERT_OK(node.status());
  uint64_t expected = 0;
  for (const std::string& s : corpus.contents) expected += s.size();
  EXPECT_EQ(bytes, expected);
  EXPECT_LE(node.stats().peak_messages, 3u);
}

// Small files travel several to a packet (the reader hands on what one round completed), a
// checkpoint cut always ends its packet, and packet_chunks 1 sends every message alone.
TEST(FileSourceNodeTest, SmallFilesTravelInPacketsAndCutsEndThem) {
  Corpus corpus;
  for (int i = 0; i < 200; ++i) {
    corpus.contents.push_back(
        MakeContent(static_cast<std::size_t>(i * 13 % 700), static_cast<uint32_t>(7 + i)));
    corpus.jobs.push_back({static_cast<uint64_t>(i), corpus.dir.Join("s" + std::to_string(i))});
    WriteFile(corpus.jobs.back().path, corpus.contents.back());
  }
  for (const uint32_t packet_chunks : {64u, 1u}) {
    SCOPED_TRACE("packet_chunks " + std::to_string(packet_chunks));
    uring::VectorSource source(corpus.jobs);
    tf::graph g;
    SourceOptions options = SmallOptions(4, 8192);
    options.slice_size = 4096;
    options.slices = 16;
    options.max_messages = 64;
    options.reader.ordered = true;
    options.checkpoint_bytes = 20000;
    options.packet_chunks = packet_chunks;
    FileSourceNode node(g, &source, options);
    std::map<uint64_t, std::string> bytes;
    uint64_t packets = 0, cuts = 0, cuts_last = 0, largest = 0;
    tf::function_node<PacketPtr> consumer(g, tf::serial, [&](const PacketPtr& p) {
      ++packets;
      largest = std::max<uint64_t>(largest, p->chunks.size());
      EXPECT_LE(p->chunks.size(), packet_chunks);
      for (std::size_t i = 0; i < p->chunks.size(); ++i) {
        const Chunk& c = *p->chunks[i];
        bytes[c.file_id].append(reinterpret_cast<const char*>(c.data().data()), c.length);
        if (c.checkpoint) {
          ++cuts;
          cuts_last += i + 1 == p->chunks.size() ? 1u : 0u;
        }
      }
    });
    tf::make_edge(node.output(), consumer);
    node.Start();
    g.wait_for_all();
    ASSERT_OK(node.status());
    for (std::size_t i = 0; i < corpus.jobs.size(); ++i) {
      EXPECT_TRUE(bytes[i] == corpus.contents[i]) << "file " << i;
    }
    EXPECT_EQ(node.stats().packets, packets);
    EXPECT_EQ(node.stats().messages, corpus.jobs.size());  // small files: one message each
    EXPECT_GT(cuts, 1u);
    EXPECT_EQ(cuts_last, cuts) << "a cut that does not end its packet";
    if (packet_chunks == 1) {
      EXPECT_EQ(packets, node.stats().messages);
    } else {
      EXPECT_GT(largest, 1u) << "no two files ever travelled together";
      EXPECT_LT(packets, node.stats().messages);
    }
  }
}

// packet_released fires once per packet, when its last chunk goes (not the packet itself), and
// before wait_for_all returns: here the consumer keeps every chunk until it has seen them all.
TEST(FileSourceNodeTest, PacketReleasedOncePerPacketWhenItsLastChunkGoes) {
  Corpus corpus;
  for (int i = 0; i < 60; ++i) {
    corpus.contents.push_back(
        MakeContent(static_cast<std::size_t>(100 + i * 97), static_cast<uint32_t>(3 + i)));
    corpus.jobs.push_back({static_cast<uint64_t>(i), corpus.dir.Join("p" + std::to_string(i))});
    WriteFile(corpus.jobs.back().path, corpus.contents.back());
  }
  uring::VectorSource source(corpus.jobs);
  tf::graph g;
  SourceOptions options = SmallOptions(64, 8192);  // a buffer for every file: all can be held
  options.max_messages = 128;
  options.packet_chunks = 3;
  std::atomic<uint64_t> released{0};
  FileSourceNode node(g, &source, options, [&] { released.fetch_add(1); });
  std::vector<ChunkPtr> held;
  uint64_t packets = 0, ends = 0, released_while_held = 0;
  tf::function_node<PacketPtr> consumer(g, tf::serial, [&](const PacketPtr& p) {
    ++packets;
    for (const ChunkPtr& c : p->chunks) {
      held.push_back(c);
      ends += c->end ? 1u : 0u;
    }
    if (ends == corpus.jobs.size()) {
      released_while_held = released.load();
      held.clear();
    }
  });
  tf::make_edge(node.output(), consumer);
  node.Start();
  g.wait_for_all();
  ASSERT_OK(node.status());
  EXPECT_EQ(released_while_held, 0u) << "a packet counted as released while its chunks lived";
  EXPECT_EQ(released.load(), packets);
  EXPECT_EQ(node.stats().packets, packets);
  EXPECT_GT(node.stats().messages, packets) << "no packet held more than one chunk";
}

TEST(FileSourceNodeTest, NoFilesFinishesAtOnce) {
  uring::VectorSource source({});
  tf::graph g;
  FileSourceNode node(g, &source, SmallOptions(2, 4096));
  int messages = 0;
  tf::function_node<PacketPtr> sink(g, tf::serial, [&](const PacketPtr&) { ++messages; });
  tf::make_edge(node.output(), sink);
  node.Start();
  g.wait_for_all();
  ASSERT_OK(node.status());
  EXPECT_EQ(messages, 0);
}

}  // namespace
}  // namespace ringflow::flow

#include "framework/flow/file_source.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/flow_graph.h>

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
};

TEST(FileSourceNodeTest, SequencedConsumerSeesEveryFileInOrderAndAllBuffersReturn) {
  Corpus corpus;
  MakeCorpus(corpus, 40, 8192, /*with_missing=*/true);
  uring::VectorSource source(corpus.jobs);
  tf::graph g;
  FileSourceNode node(g, &source, SmallOptions(4, 8192));
  // The source emits in order; a sequencer restores that order after any parallel stage.
  tf::sequencer_node<ChunkPtr> sequencer(g, [](const ChunkPtr& c) { return c->seq; });
  std::map<uint64_t, FileView> files;
  uint64_t expected_seq = 0;
  tf::function_node<ChunkPtr> consumer(g, tf::serial, [&](const ChunkPtr& c) {
    EXPECT_EQ(c->seq, expected_seq++);
    FileView& f = files[c->file_id];
    EXPECT_FALSE(f.ended) << "message after the end of file " << c->file_id;
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
}

TEST(FileSourceNodeTest, FanOutToParallelConsumersHashesEqualOneShot) {
  Corpus corpus;
  MakeCorpus(corpus, 30, 16384, /*with_missing=*/false);
  uring::VectorSource source(corpus.jobs);
  tf::graph g;
  FileSourceNode node(g, &source, SmallOptions(6, 16384));
  tf::broadcast_node<ChunkPtr> fan_out(g);
  // Consumer 1: per-file streaming XXH3 after re-sequencing. Consumer 2: parallel byte counter
  // that holds each chunk a little while (a slow reader of the same buffers: no copy).
  tf::sequencer_node<ChunkPtr> sequencer(g, [](const ChunkPtr& c) { return c->seq; });
  std::map<uint64_t, Xxh3> hashes;
  std::map<uint64_t, uint64_t> digests;
  tf::function_node<ChunkPtr> hasher(g, tf::serial, [&](const ChunkPtr& c) {
    hashes[c->file_id].Update(c->data().data(), c->length);
    if (c->end) digests[c->file_id] = hashes[c->file_id].Digest();
  });
  std::mutex mu;
  std::map<uint64_t, uint64_t> counted;
  tf::function_node<ChunkPtr> counter(g, tf::unlimited, [&](const ChunkPtr& c) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard lock(mu);
    counted[c->file_id] += c->length;
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
  tf::function_node<ChunkPtr> slow(g, tf::serial, [&](const ChunkPtr& c) {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    bytes += c->length;
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

TEST(FileSourceNodeTest, NoFilesFinishesAtOnce) {
  uring::VectorSource source({});
  tf::graph g;
  FileSourceNode node(g, &source, SmallOptions(2, 4096));
  int messages = 0;
  tf::function_node<ChunkPtr> sink(g, tf::serial, [&](const ChunkPtr&) { ++messages; });
  tf::make_edge(node.output(), sink);
  node.Start();
  g.wait_for_all();
  ASSERT_OK(node.status());
  EXPECT_EQ(messages, 0);
}

}  // namespace
}  // namespace ringflow::flow

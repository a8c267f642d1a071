#include "framework/flow/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "framework/core/xxh3.h"
#include "stages/checksum_stage.h"
#include "stages/lines_stage.h"
#include "tests/testing/test_util.h"

namespace ringflow::flow {
namespace {

using testing::MakeContent;
using testing::TempDir;
using testing::WriteFile;

// Test stages, registered nowhere: a transform that marks every n-th record as failed, one that
// sleeps, and a sink that renders what it receives (the framing is the real LinesStage).
class FailEveryN final : public TransformStage {
 public:
  explicit FailEveryN(std::size_t n) : n_(n) {}
  void Process(RecordBatch& batch) const override {
    for (Record& r : batch.records) {
      if (!r.raw.empty() && static_cast<unsigned char>(r.raw[0]) % n_ == 0) r.error = "test error";
    }
  }

 private:
  std::size_t n_;
};

class Delay final : public TransformStage {
 public:
  void Process(RecordBatch&) const override {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
};

class RenderSink final : public SinkStage {
 public:
  Status Write(const RecordBatch& batch) override {
    EXPECT_EQ(batch.seq, next_seq_++) << "batches out of order";
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    for (const Record& r : batch.records) {
      out += std::to_string(batch.file_id) + (r.ok() ? " ok " : " err ") + std::string(r.raw) +
             (r.truncated ? " [cut]" : "") + "\n";
      if (fail_after_ > 0 && ++written_ >= fail_after_) {
        return Error(ErrorCode::kResourceExhausted, "write: No space left on device (ENOSPC)");
      }
    }
    if (batch.end) {
      out += std::to_string(batch.file_id) + " end " + std::to_string(batch.file_bytes) +
             (batch.error ? " " + batch.error->message() : "") + "\n";
    }
    return OkStatus();
  }
  Status Close() override {
    ++closes;
    return OkStatus();
  }
  void Abort() override { ++aborts; }
  std::string out;
  int closes = 0;
  int aborts = 0;
  std::size_t fail_after_ = 0;
  std::chrono::microseconds delay{0};  // per batch: a slow sink

 private:
  uint64_t next_seq_ = 0;
  std::size_t written_ = 0;
};

// What RenderSink must print for `files`, computed without the pipeline.
std::string Expected(const std::vector<std::string>& contents, std::size_t fail_mod,
                     std::size_t max_line) {
  std::string out;
  for (std::size_t id = 0; id < contents.size(); ++id) {
    const std::string& c = contents[id];
    std::size_t start = 0;
    while (start < c.size()) {
      std::size_t nl = c.find('\n', start);
      const bool last = nl == std::string::npos;
      if (last) nl = c.size();
      std::string line = c.substr(start, nl - start);
      const bool cut = line.size() > max_line;
      if (cut) line.resize(max_line);
      const bool err =
          fail_mod > 0 && !line.empty() && static_cast<unsigned char>(line[0]) % fail_mod == 0;
      out += std::to_string(id) + (err ? " err " : " ok ") + line + (cut ? " [cut]" : "") + "\n";
      start = nl + 1;
    }
    out += std::to_string(id) + " end " + std::to_string(c.size()) + "\n";
  }
  return out;
}

// The sink's lines grouped by file (the first word), each file's lines in the order written.
std::map<std::string, std::string> PerFile(const std::string& out) {
  std::map<std::string, std::string> files;
  std::size_t start = 0;
  while (start < out.size()) {
    const std::size_t nl = out.find('\n', start);
    const std::string line = out.substr(start, nl - start);
    files[line.substr(0, line.find(' '))] += line + "\n";
    start = nl + 1;
  }
  return files;
}

struct Files {
  TempDir dir;
  std::vector<std::string> contents;
  std::vector<uring::ReadJob> jobs;
};

void Make(Files& f, int n) {
  for (int i = 0; i < n; ++i) {
    f.contents.push_back(
        MakeContent(static_cast<std::size_t>(i % 4) * 9000 + static_cast<std::size_t>(i) * 13,
                    static_cast<uint32_t>(i + 7)));
    f.jobs.push_back({static_cast<uint64_t>(i), f.dir.Join(std::to_string(i) + ".log")});
    WriteFile(f.jobs.back().path, f.contents.back());
  }
}

SourceOptions Small() {
  SourceOptions o;
  o.buffer_size = 4096;
  o.buffers = 4;
  o.max_messages = 6;
  o.reader.max_open_files = 4;
  o.reader.reads_per_file = 2;
  o.engine.file_slots = 4;
  return o;
}

TEST(PipelineTest, EveryLineReachesTheSinkOnceInFileOrder) {
  Files f;
  Make(f, 25);
  uring::VectorSource source(f.jobs);
  stages::LinesStage framing;
  FailEveryN fail(3);
  Delay delay;
  RenderSink sink;
  auto stats = RunPipeline(source, Small(), framing, {&fail, &delay}, sink);
  ASSERT_OK(stats);
  EXPECT_EQ(PerFile(sink.out), PerFile(Expected(f.contents, 3, 1 << 20)));
  EXPECT_EQ(sink.closes, 1);
  EXPECT_LE(stats->source.peak_messages, 6u);
}

// The real line framer, counting the chunks it has framed that are still alive (held by a
// batch, a message, a sink's task): with one chunk per packet, the packets in the stages.
class CountingLines final : public FramingStage {
 public:
  void Frame(const Chunk& chunk, RecordBatch& out) override {
    std::erase_if(alive_, [](const std::weak_ptr<const Chunk>& c) { return c.expired(); });
    alive_.push_back(out.chunk);
    peak = std::max(peak, alive_.size());
    lines_.Frame(chunk, out);
  }
  std::size_t peak = 0;

 private:
  stages::LinesStage lines_;
  std::vector<std::weak_ptr<const Chunk>> alive_;  // serial: only Frame touches it
};

// The limiter bounds the packets in the stages: a slow sink with room for 64 messages at the
// source has at most max_packets packets alive past the limiter, and every line still arrives
// once, in order. Without the bound (max_packets 0: max_messages) the same run has more.
TEST(PipelineTest, LimiterBoundsThePacketsAliveWithASlowSink) {
  Files f;
  Make(f, 30);
  for (const uint32_t max_packets : {2u, 1u, 0u}) {
    SCOPED_TRACE("max_packets " + std::to_string(max_packets));
    SourceOptions o = Small();
    o.buffers = 16;
    o.max_messages = 64;
    o.max_packets = max_packets;
    o.packet_chunks = 1;  // every chunk a packet of its own
    uring::VectorSource source(f.jobs);
    CountingLines framing;
    RenderSink sink;
    sink.delay = std::chrono::microseconds(300);
    auto stats = RunPipeline(source, o, framing, {}, sink);
    ASSERT_OK(stats);
    EXPECT_EQ(PerFile(sink.out), PerFile(Expected(f.contents, 0, 1 << 20)));
    EXPECT_EQ(stats->source.packets, stats->source.messages);
    EXPECT_GE(stats->peak_packets, 1u);
    EXPECT_GE(framing.peak, 1u);
    if (max_packets > 0) {
      EXPECT_LE(stats->peak_packets, max_packets);
      EXPECT_LE(framing.peak, max_packets);
    } else {
      // The slow sink lets packets pile up to what the source allows.
      EXPECT_GT(stats->peak_packets, 2u);
      EXPECT_GT(framing.peak, 2u);
      EXPECT_LE(stats->peak_packets, o.max_messages);
    }
  }
}

TEST(PipelineTest, TwoRunsGiveIdenticalOutputPerFile) {
  Files f;
  Make(f, 15);
  std::string first;
  for (int run = 0; run < 2; ++run) {
    uring::VectorSource source(f.jobs);
    stages::LinesStage framing;
    Delay delay;
    RenderSink sink;
    ASSERT_OK(RunPipeline(source, Small(), framing, {&delay}, sink));
    if (run == 0) {
      first = sink.out;
    } else {
      EXPECT_EQ(PerFile(sink.out), PerFile(first));
    }
  }
}

TEST(PipelineTest, LongLinesAreCutAndFlaggedAndMissingFilesArriveInBand) {
  Files f;
  f.contents = {std::string(20000, 'x') + "\nshort\n", "tail without newline"};
  for (std::size_t i = 0; i < f.contents.size(); ++i) {
    f.jobs.push_back({i, f.dir.Join("l" + std::to_string(i))});
    WriteFile(f.jobs.back().path, f.contents[i]);
  }
  f.jobs.push_back({2, f.dir.Join("missing")});
  uring::VectorSource source(f.jobs);
  stages::LinesStage framing(stages::FramerOptions{100});
  RenderSink sink;
  ASSERT_OK(RunPipeline(source, Small(), framing, {}, sink));
  const std::string expected = "0 ok " + std::string(100, 'x') +
                               " [cut]\n0 ok short\n0 end 20007\n" +
                               "1 ok tail without newline\n1 end 20\n" +
                               "2 end 0 open: No such file or directory (ENOENT)\n";
  EXPECT_EQ(PerFile(sink.out), PerFile(expected));
}

TEST(PipelineTest, OrderedSourceGivesWholeFilesInDiscoveryOrderAndIdenticalRuns) {
  Files f;
  Make(f, 30);
  f.jobs.push_back({30, f.dir.Join("missing")});
  f.contents.push_back("");
  std::string expected = Expected(f.contents, 3, 1 << 20);
  expected.replace(expected.rfind("30 end 0"), std::string("30 end 0").size(),
                   "30 end 0 open: No such file or directory (ENOENT)");
  for (int run = 0; run < 3; ++run) {
    uring::VectorSource source(f.jobs);
    stages::LinesStage framing;
    FailEveryN fail(3);
    Delay delay;
    RenderSink sink;
    SourceOptions options = Small();
    options.reader.ordered = true;
    ASSERT_OK(RunPipeline(source, options, framing, {&fail, &delay}, sink));
    EXPECT_EQ(sink.out, expected) << "run " << run;
  }
}

TEST(PipelineTest, SinkErrorStopsTheRunAndIsReturned) {
  Files f;
  Make(f, 40);
  uring::VectorSource source(f.jobs);
  stages::LinesStage framing;
  RenderSink sink;
  sink.fail_after_ = 10;
  auto stats = RunPipeline(source, Small(), framing, {}, sink);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(sink.closes, 0);
  EXPECT_EQ(sink.aborts, 1);  // a failed run discards its output
  // Exactly the 10 records before the failure: no batch is written after it.
  std::size_t records = 0;
  for (std::size_t start = 0, nl; (nl = sink.out.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    const std::string line = sink.out.substr(start, nl - start);
    if (line.substr(line.find(' ') + 1, 4) != "end ") ++records;
  }
  EXPECT_EQ(records, 10u);
}

// ---- Graphs with fan-out, several sinks, failures ----

// Upper-cases every record's text into the batch's arena and tags the record: no other consumer
// of the same batches may see either change.
class UpperCase final : public TransformStage {
 public:
  void Process(RecordBatch& batch) const override {
    for (Record& r : batch.records) {
      char* p = batch.arena.Allocate(r.raw.size());
      for (std::size_t i = 0; i < r.raw.size(); ++i) {
        p[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(r.raw[i])));
      }
      r.raw = std::string_view(p, r.raw.size());
      r.fields.push_back({"branch", Value::String("upper")});
    }
  }
};

// Drops every record whose text length is a multiple of 3 and tags the others.
class DropSome final : public TransformStage {
 public:
  static bool Keeps(std::string_view line) { return line.size() % 3 != 0; }
  void Process(RecordBatch& batch) const override {
    std::erase_if(batch.records, [](const Record& r) { return !Keeps(r.raw); });
    for (Record& r : batch.records) r.fields.push_back({"branch", Value::String("drop")});
  }
};

// Throws from the batch number `after` on (counted over all threads).
class ThrowingTransform final : public TransformStage {
 public:
  explicit ThrowingTransform(uint64_t after) : after_(after) {}
  void Process(RecordBatch&) const override {
    if (seen_.fetch_add(1) >= after_) throw std::runtime_error("injected transform failure");
  }

 private:
  const uint64_t after_;
  mutable std::atomic<uint64_t> seen_{0};
};

// The real LinesStage, but throws at chunk number `after`.
class ThrowingFraming final : public FramingStage {
 public:
  explicit ThrowingFraming(uint64_t after) : after_(after) {}
  void Frame(const Chunk& chunk, RecordBatch& out) override {
    if (seen_++ >= after_) throw std::runtime_error("injected framing failure");
    lines_.Frame(chunk, out);
  }

 private:
  const uint64_t after_;
  uint64_t seen_ = 0;
  stages::LinesStage lines_;
};

// "<raw>\t<name>=<value>..." with the error last, if any.
std::string Render(const Record& r) {
  std::string out(r.raw);
  for (const Field& f : r.fields) {
    out += "\t" + std::string(f.name) + "=";
    switch (f.value.type) {
      case ValueType::kNull:
        out += "null";
        break;
      case ValueType::kInt:
        out += std::to_string(f.value.i);
        break;
      case ValueType::kString:
        out += std::string(f.value.s);
        break;
      default:
        out += "<other>";
    }
  }
  if (!r.ok()) out += "\terror=" + std::string(r.error);
  return out;
}

// Records what a sink receives, per file and input, and checks on the way that the batches come
// densely in (message, input) order, each from the stage it should.
class Recorder final : public SinkStage {
 public:
  // `streams[j]`: the stage index of input j.
  explicit Recorder(std::vector<uint32_t> streams) : streams_(std::move(streams)) {}

  struct File {
    std::vector<std::vector<std::string>> records;  // per input
    std::vector<int> ends;                          // per input: end batches seen
    std::vector<std::size_t> end_records;           // per input: records in the end batch
  };

  Status Write(const RecordBatch& batch) override { return WriteFrom(0, batch); }
  Status WriteFrom(std::size_t input, const RecordBatch& batch) override {
    ++calls;
    const uint64_t key = batch.seq * streams_.size() + input;
    if (key != next_key_ && order_error.empty()) {
      order_error = "got seq " + std::to_string(batch.seq) + " input " + std::to_string(input) +
                    " where key " + std::to_string(next_key_) + " was due";
    }
    next_key_ = key + 1;
    if ((input >= streams_.size() || batch.stream != streams_[input]) && order_error.empty()) {
      order_error =
          "input " + std::to_string(input) + " came from stream " + std::to_string(batch.stream);
    }
    if (input == 0) batch_files.push_back(batch.file_id);
    File& f = files[batch.file_id];
    if (f.records.empty()) {
      f.records.resize(streams_.size());
      f.ends.resize(streams_.size());
      f.end_records.resize(streams_.size());
    }
    if (input < streams_.size()) {
      if (f.ends[input] > 0 && order_error.empty()) {
        order_error = "a batch of file " + std::to_string(batch.file_id) + " after its end";
      }
      for (const Record& r : batch.records) f.records[input].push_back(Render(r));
      if (batch.end) {
        ++f.ends[input];
        f.end_records[input] = batch.records.size();
      }
    }
    if (fail_at > 0 && calls == fail_at) {
      return Error(ErrorCode::kResourceExhausted, "recorder: injected failure");
    }
    return OkStatus();
  }
  Status Close() override {
    ++closes;
    if (fail_close) return Error(ErrorCode::kIo, "recorder: close failed");
    return OkStatus();
  }
  void Abort() override { ++aborts; }

  std::map<uint64_t, File> files;
  std::vector<uint64_t> batch_files;  // the file of every batch on input 0, in arrival order
  std::string order_error;            // the first ordering problem
  uint64_t calls = 0;
  uint64_t fail_at = 0;  // > 0: the call that fails
  bool fail_close = false;
  int closes = 0;
  int aborts = 0;

 private:
  const std::vector<uint32_t> streams_;
  uint64_t next_key_ = 0;
};

// The lines of `content` as the framer gives them: '\n' ends a line, a "\r\n" ending is removed,
// a final line without newline counts.
std::vector<std::string> SplitLines(const std::string& content) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    const std::size_t nl = content.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(content.substr(start));
      break;
    }
    std::string line = content.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = nl + 1;
  }
  return lines;
}

// Equal lists, or the first difference (not 50,000 lines of output).
::testing::AssertionResult SameLines(const std::vector<std::string>& actual,
                                     const std::vector<std::string>& expected) {
  for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    if (actual[i] != expected[i]) {
      return ::testing::AssertionFailure()
             << "line " << i << ": got \"" << actual[i] << "\", expected \"" << expected[i] << "\"";
    }
  }
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "got " << actual.size() << " lines, expected " << expected.size();
  }
  return ::testing::AssertionSuccess();
}

// Files with the awkward cases: empty, no final newline, CRLF (also across buffer boundaries),
// only newlines, exact buffer multiples, many small ones, one of several MiB, one missing.
struct Corpus {
  TempDir dir;
  std::vector<std::string> contents;  // "" for the missing file
  std::vector<bool> missing;
  std::vector<uring::ReadJob> jobs;

  void Add(std::string content) {
    jobs.push_back({jobs.size(), dir.Join("f" + std::to_string(jobs.size()) + ".log")});
    WriteFile(jobs.back().path, content);
    contents.push_back(std::move(content));
    missing.push_back(false);
  }
  void AddMissing() {
    jobs.push_back({jobs.size(), dir.Join("missing" + std::to_string(jobs.size()))});
    contents.emplace_back();
    missing.push_back(true);
  }
  uint64_t bytes() const {
    uint64_t n = 0;
    for (const std::string& c : contents) n += c.size();
    return n;
  }
};

std::string Crlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

void MakeMixed(Corpus& c, std::size_t big_bytes) {
  c.Add("");
  c.Add("alpha\nbeta\ngamma");
  c.Add(Crlf(MakeContent(20000, 3)));
  c.Add("\n\n\n");
  c.Add(MakeContent(4095, 4) + "\n");
  c.AddMissing();
  c.Add(MakeContent(8192, 5));
  for (uint32_t i = 0; i < 30; ++i) c.Add(MakeContent(i * 173 % 5000, 100 + i));
  c.Add(MakeContent(big_bytes, 99));
  c.Add("last line\r\nno newline");
}

// The checksum stage's record for file `i`, rendered.
std::string ExpectedChecksum(const Corpus& c, std::size_t i) {
  const std::string& content = c.contents[i];
  const uint64_t newlines = static_cast<uint64_t>(std::count(content.begin(), content.end(), '\n'));
  const uint64_t lines = newlines + (!content.empty() && content.back() != '\n' ? 1 : 0);
  std::string out = "\tpath=" + c.jobs[i].path + "\tbytes=" + std::to_string(content.size()) +
                    "\tlines=" + std::to_string(lines);
  if (c.missing[i]) return out + "\txxh3=null\tstatus=open: No such file or directory (ENOENT)";
  return out + "\txxh3=" + HexDigest(Xxh3::Hash(content.data(), content.size())) + "\tstatus=ok";
}

// lines -> upper (upper-cases) -> sink "all"
//       -> drop (drops some)   -> sink "kept"
//       -----------------------> sink "pair" input 0
// sums (checksum) -----------------------> sink "pair" input 1
struct FanOut {
  stages::LinesStage lines;
  UpperCase upper;
  DropSome drop;
  stages::ChecksumStage sums;
  Recorder all{{1}};
  Recorder kept{{2}};
  Recorder pair{{0, 3}};
  PipelineGraph graph;

  FanOut() {
    graph.stages = {{"lines", &lines, nullptr, 0},
                    {"upper", nullptr, &upper, 0},
                    {"drop", nullptr, &drop, 0},
                    {"sums", &sums, nullptr, 0}};
    graph.sinks = {{"all", &all, {1}}, {"kept", &kept, {2}}, {"pair", &pair, {0, 3}}};
  }
  std::vector<Recorder*> sinks() { return {&all, &kept, &pair}; }
};

struct RunConfig {
  uint32_t buffers;
  uint32_t max_messages;
  uint32_t queue_depth;
  bool ordered;
};

std::string Describe(const RunConfig& rc) {
  return "buffers " + std::to_string(rc.buffers) + ", max_messages " +
         std::to_string(rc.max_messages) + ", queue depth " + std::to_string(rc.queue_depth) +
         (rc.ordered ? ", ordered" : ", unordered");
}

SourceOptions Options(const RunConfig& rc) {
  SourceOptions o;
  o.buffer_size = 4096;
  o.buffers = rc.buffers;
  o.max_messages = rc.max_messages;
  o.engine.queue_depth = rc.queue_depth;
  o.engine.file_slots = 4;
  o.reader.max_open_files = 4;
  o.reader.reads_per_file = 2;
  o.reader.max_in_flight = 2 * rc.queue_depth;
  o.reader.ordered = rc.ordered;
  return o;
}

// Every sink saw every line of every file once, in file order, with only its own branch's
// changes; the checksums match the oracle; ordered runs give the files in source order.
void ExpectEverythingSeen(const Corpus& c, const FanOut& f, bool ordered) {
  const Recorder* recorders[] = {&f.all, &f.kept, &f.pair};
  for (const Recorder* r : recorders) {
    EXPECT_EQ(r->order_error, "");
    EXPECT_EQ(r->files.size(), c.jobs.size());
    if (ordered) {
      EXPECT_TRUE(std::is_sorted(r->batch_files.begin(), r->batch_files.end()))
          << "an ordered run interleaved files";
    }
  }
  for (std::size_t i = 0; i < c.jobs.size(); ++i) {
    SCOPED_TRACE("file " + std::to_string(i));
    const std::vector<std::string> lines = SplitLines(c.contents[i]);
    std::vector<std::string> upper, kept;
    for (const std::string& line : lines) {
      std::string u = line;
      for (char& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      upper.push_back(u + "\tbranch=upper");
      if (DropSome::Keeps(line)) kept.push_back(line + "\tbranch=drop");
    }
    auto all = f.all.files.find(i);
    auto kept_file = f.kept.files.find(i);
    auto pair = f.pair.files.find(i);
    ASSERT_NE(all, f.all.files.end());
    ASSERT_NE(kept_file, f.kept.files.end());
    ASSERT_NE(pair, f.pair.files.end());
    EXPECT_TRUE(SameLines(all->second.records[0], upper));
    EXPECT_TRUE(SameLines(kept_file->second.records[0], kept));
    EXPECT_TRUE(SameLines(pair->second.records[0], lines));  // the original, untouched
    EXPECT_EQ(pair->second.records[1], std::vector<std::string>{ExpectedChecksum(c, i)});
    EXPECT_EQ(pair->second.end_records[1], 1u);  // the checksum comes with the file's end
    EXPECT_EQ(all->second.ends, std::vector<int>{1});
    EXPECT_EQ(kept_file->second.ends, std::vector<int>{1});
    EXPECT_EQ(pair->second.ends, (std::vector<int>{1, 1}));
  }
}

TEST(PipelineGraphTest, FanOutCopiesOnWriteAndEverySinkSeesEveryLineOnce) {
  Corpus c;
  MakeMixed(c, (2 << 20) + 12345);
  const RunConfig configs[] = {{2, 2, 1, false}, {2, 5, 64, true},  {8, 8, 64, false},
                               {8, 12, 1, true}, {3, 4, 64, false}, {8, 16, 64, true}};
  for (const RunConfig& rc : configs) {
    SCOPED_TRACE(Describe(rc));
    uring::VectorSource source(c.jobs);
    FanOut f;
    ASSERT_OK_AND_ASSIGN(PipelineStats stats, RunPipeline(source, Options(rc), f.graph));
    ExpectEverythingSeen(c, f, rc.ordered);
    uint64_t lines = 0, kept = 0;
    for (const std::string& content : c.contents) {
      for (const std::string& line : SplitLines(content)) {
        ++lines;
        if (DropSome::Keeps(line)) ++kept;
      }
    }
    EXPECT_EQ(stats.sink_records, (std::vector<uint64_t>{lines, kept, lines + c.jobs.size()}));
    EXPECT_EQ(stats.records, 2 * lines + kept + c.jobs.size());
    EXPECT_EQ(stats.batches, f.all.calls + f.kept.calls + f.pair.calls);
    EXPECT_EQ(f.pair.calls, 2 * stats.source.messages);  // one batch per message and input
    EXPECT_EQ(stats.source.files, c.jobs.size());
    EXPECT_EQ(stats.source.bytes, c.bytes());
    // Every message (and so every buffer) was released, and never more were alive than allowed.
    EXPECT_GE(stats.source.peak_messages, 1u);
    EXPECT_LE(stats.source.peak_messages, std::max(rc.max_messages, rc.buffers));
    EXPECT_EQ(f.lines.open_files(), 0u);
    EXPECT_EQ(f.sums.open_files(), 0u);
    for (Recorder* r : f.sinks()) {
      EXPECT_EQ(r->closes, 1);
      EXPECT_EQ(r->aborts, 0);
    }
  }
}

TEST(PipelineGraphTest, FailingSinkStopsTheRunAndTheOthersAreAborted) {
  for (uint64_t fail_at : {1u, 5u, 40u}) {
    SCOPED_TRACE("fail at " + std::to_string(fail_at));
    Corpus c;
    for (uint32_t i = 0; i < 100; ++i) c.Add(MakeContent(100 + i * 7, i));
    std::atomic<std::size_t> handed_out{0};
    class Counting final : public uring::FileSource {
     public:
      Counting(uring::FileSource& inner, std::atomic<std::size_t>& n) : inner_(inner), n_(n) {}
      Pull Next(uring::ReadJob* job, bool idle) override {
        const Pull pull = inner_.Next(job, idle);
        if (pull == Pull::kJob) ++n_;
        return pull;
      }

     private:
      uring::FileSource& inner_;
      std::atomic<std::size_t>& n_;
    };
    uring::VectorSource inner(c.jobs);
    Counting source(inner, handed_out);
    FanOut f;
    f.kept.fail_at = fail_at;
    auto result = RunPipeline(source, Options({4, 6, 64, false}), f.graph);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), ErrorCode::kResourceExhausted);
    EXPECT_EQ(result.error().message(), "recorder: injected failure");
    EXPECT_EQ(f.kept.calls, fail_at);  // nothing written after the failure
    for (Recorder* r : f.sinks()) {
      EXPECT_EQ(r->closes, 0);
      EXPECT_EQ(r->aborts, 1);
    }
    // The source stopped handing out files soon after the failure.
    EXPECT_LT(handed_out.load(), c.jobs.size() / 2);
  }
}

TEST(PipelineGraphTest, FailingCloseAbortsTheSinksAfterIt) {
  Corpus c;
  for (uint32_t i = 0; i < 5; ++i) c.Add(MakeContent(3000, i));
  uring::VectorSource source(c.jobs);
  FanOut f;
  f.kept.fail_close = true;
  auto result = RunPipeline(source, Options({4, 6, 64, false}), f.graph);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kIo);
  EXPECT_EQ(result.error().message(), "recorder: close failed");
  EXPECT_EQ(f.all.closes, 1);  // closed before the failure: its output stays
  EXPECT_EQ(f.all.aborts, 0);
  EXPECT_EQ(f.kept.closes, 1);
  EXPECT_EQ(f.pair.closes, 0);
  EXPECT_EQ(f.pair.aborts, 1);
}

TEST(PipelineGraphTest, ThrowingStageIsAnErrorAndEverySinkIsAborted) {
  for (uint64_t after : {0u, 7u}) {
    SCOPED_TRACE("throws after " + std::to_string(after));
    Corpus c;
    for (uint32_t i = 0; i < 40; ++i) c.Add(MakeContent(2000 + i * 100, i));
    {
      // A record stage.
      uring::VectorSource source(c.jobs);
      FanOut f;
      ThrowingTransform thrower(after);
      f.graph.stages[2].transform = &thrower;
      auto result = RunPipeline(source, Options({4, 6, 64, false}), f.graph);
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code(), ErrorCode::kInternal);
      // The message names the stage and says what it threw.
      EXPECT_NE(result.error().message().find("injected transform failure"), std::string::npos)
          << result.error().message();
      EXPECT_NE(result.error().message().find("\"drop\""), std::string::npos)
          << result.error().message();
      for (Recorder* r : f.sinks()) {
        EXPECT_EQ(r->closes, 0);
        EXPECT_EQ(r->aborts, 1);
      }
    }
    {
      // A chunk stage.
      uring::VectorSource source(c.jobs);
      FanOut f;
      ThrowingFraming thrower(after);
      f.graph.stages[0].chunks = &thrower;
      auto result = RunPipeline(source, Options({4, 6, 64, true}), f.graph);
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code(), ErrorCode::kInternal);
      // The message names the stage and says what it threw.
      EXPECT_NE(result.error().message().find("injected framing failure"), std::string::npos)
          << result.error().message();
      EXPECT_NE(result.error().message().find("\"lines\""), std::string::npos)
          << result.error().message();
      for (Recorder* r : f.sinks()) {
        EXPECT_EQ(r->closes, 0);
        EXPECT_EQ(r->aborts, 1);
      }
    }
  }
}

// A source that counts how often it was asked: a graph that fails Check must not read anything.
class NeverAsked final : public uring::FileSource {
 public:
  Pull Next(uring::ReadJob*, bool) override {
    ++asked;
    return Pull::kDone;
  }
  int asked = 0;
};

// Check's message for `graph`, or "ok".
std::string CheckMessage(const PipelineGraph& graph) {
  Status s = graph.Check();
  if (s.ok()) return "ok";
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  return s.error().message();
}

TEST(PipelineGraphTest, CheckRefusesGraphsThatCannotRun) {
  stages::LinesStage lines;
  UpperCase upper;
  Recorder sink{{0}};
  Recorder other{{0}};
  const PipelineGraph good{{{"lines", &lines, nullptr, 0}, {"upper", nullptr, &upper, 0}},
                           {{"out", &sink, {1}}, {"both", &other, {0, 1}}}};
  EXPECT_EQ(CheckMessage(good), "ok");

  PipelineGraph g = good;
  g.sinks.clear();
  EXPECT_EQ(CheckMessage(g), "pipeline graph: no sinks");
  g = good;
  g.stages.clear();
  EXPECT_EQ(CheckMessage(g), "pipeline graph: no stages");
  g = good;
  g.stages[1].input = 1;  // itself
  EXPECT_EQ(CheckMessage(g), "pipeline graph: stage \"upper\" must read an earlier stage");
  g = good;
  g.stages[1].input = 5;  // a later one, or none
  EXPECT_EQ(CheckMessage(g), "pipeline graph: stage \"upper\" must read an earlier stage");
  g = good;
  g.stages[1].chunks = &lines;  // both
  EXPECT_EQ(CheckMessage(g),
            "pipeline graph: stage \"upper\" must read either chunks or another stage");
  g = good;
  g.stages[0].chunks = nullptr;  // neither
  EXPECT_EQ(CheckMessage(g),
            "pipeline graph: stage \"lines\" must read either chunks or another stage");
  g = good;
  g.sinks[1].inputs = {1, 0, 1};
  EXPECT_EQ(CheckMessage(g), "pipeline graph: sink \"both\" lists the stage \"upper\" twice");
  g = good;
  g.sinks[0].inputs = {};
  EXPECT_EQ(CheckMessage(g), "pipeline graph: sink \"out\" has no input");
  g = good;
  g.sinks[0].sink = nullptr;
  EXPECT_EQ(CheckMessage(g), "pipeline graph: sink \"out\" has no input");
  g = good;
  g.sinks[1].inputs = {0, 2};
  EXPECT_EQ(CheckMessage(g), "pipeline graph: sink \"both\" reads a stage that does not exist");

  // RunPipeline returns Check's error before it reads anything.
  g = good;
  g.sinks[1].inputs = {0, 0};
  NeverAsked source;
  auto result = RunPipeline(source, Small(), g);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message(),
            "pipeline graph: sink \"both\" lists the stage \"lines\" twice");
  EXPECT_EQ(source.asked, 0);
  EXPECT_EQ(sink.closes + sink.aborts + other.closes + other.aborts, 0);
}

// A sink that formats: Format must see every batch (on any thread, in any order) before
// WriteFormatted gets it, in order, with exactly the bytes Format made.
class FormattingSink final : public SinkStage {
 public:
  static std::string Text(std::size_t input, const RecordBatch& batch) {
    std::string out = std::to_string(batch.seq) + "/" + std::to_string(input) + "/" +
                      std::to_string(batch.file_id) + (batch.end ? "/end:" : ":");
    for (const Record& r : batch.records) out += Render(r) + "\n";
    return out;
  }
  bool formats() const override { return true; }
  void Format(std::size_t input, const RecordBatch& batch, std::string& out) const override {
    std::lock_guard lock(mu_);
    if (!out.empty()) ++dirty_buffers_;
    if (!formatted_.insert(batch.seq * 2 + input).second) ++twice_;
    out += Text(input, batch);
  }
  Status WriteFormatted(std::size_t input, const RecordBatch& batch,
                        std::string_view bytes) override {
    ++written;
    const uint64_t key = batch.seq * 2 + input;
    if (key != next_key_) ++out_of_order;
    next_key_ = key + 1;
    {
      std::lock_guard lock(mu_);
      if (formatted_.count(key) == 0) ++not_formatted_first;
    }
    if (bytes != Text(input, batch)) ++wrong_bytes;
    if (input == 0) {
      for (const Record& r : batch.records) lines[batch.file_id].push_back(Render(r));
    } else {
      upper_records += batch.records.size();
    }
    return OkStatus();
  }
  Status Write(const RecordBatch&) override {
    ++unformatted_writes;
    return OkStatus();
  }
  Status WriteFrom(std::size_t, const RecordBatch&) override {
    ++unformatted_writes;
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }

  std::size_t formatted() const {
    std::lock_guard lock(mu_);
    return formatted_.size();
  }
  int dirty_buffers() const {
    std::lock_guard lock(mu_);
    return dirty_buffers_;
  }
  int twice() const {
    std::lock_guard lock(mu_);
    return twice_;
  }

  uint64_t written = 0;
  int out_of_order = 0;
  int not_formatted_first = 0;
  int wrong_bytes = 0;
  int unformatted_writes = 0;
  uint64_t upper_records = 0;
  std::map<uint64_t, std::vector<std::string>> lines;

 private:
  mutable std::mutex mu_;
  mutable std::set<uint64_t> formatted_;  // guarded by mu_: seq * 2 + input
  mutable int dirty_buffers_ = 0;         // guarded by mu_
  mutable int twice_ = 0;                 // guarded by mu_
  uint64_t next_key_ = 0;
};

TEST(PipelineGraphTest, FormattingSinkGetsTheBytesItsFormatMadeForEveryBatch) {
  Corpus c;
  MakeMixed(c, 300000);
  for (bool ordered : {false, true}) {
    SCOPED_TRACE(ordered ? "ordered" : "unordered");
    uring::VectorSource source(c.jobs);
    stages::LinesStage lines;
    UpperCase upper;
    Delay delay;
    FormattingSink sink;
    PipelineGraph graph{{{"lines", &lines, nullptr, 0},
                         {"upper", nullptr, &upper, 0},
                         {"delay", nullptr, &delay, 1}},
                        {{"fmt", &sink, {0, 2}}}};
    ASSERT_OK_AND_ASSIGN(PipelineStats stats,
                         RunPipeline(source, Options({4, 8, 64, ordered}), graph));
    EXPECT_EQ(sink.written, 2 * stats.source.messages);
    EXPECT_EQ(sink.written, stats.batches);
    EXPECT_EQ(sink.formatted(), sink.written);
    EXPECT_EQ(sink.twice(), 0);
    EXPECT_EQ(sink.dirty_buffers(), 0);  // Format always starts from an empty string
    EXPECT_EQ(sink.out_of_order, 0);
    EXPECT_EQ(sink.not_formatted_first, 0);
    EXPECT_EQ(sink.wrong_bytes, 0);
    EXPECT_EQ(sink.unformatted_writes, 0);
    uint64_t total = 0;
    for (std::size_t i = 0; i < c.jobs.size(); ++i) {
      const std::vector<std::string> expected = SplitLines(c.contents[i]);
      total += expected.size();
      EXPECT_TRUE(SameLines(sink.lines[i], expected)) << "file " << i;
    }
    EXPECT_EQ(sink.upper_records, total);
  }
}

}  // namespace
}  // namespace ringflow::flow

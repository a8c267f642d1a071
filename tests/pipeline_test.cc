#include "framework/flow/pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace
}  // namespace ringflow::flow

// Tests for the per-file side of a pipeline: ChecksumStage over hand-made chunks and through
// RunPipeline (oracle: Xxh3::Hash and counting '\n' by hand), ManifestSink's lines, inputs and
// output file, the capabilities the stages and sinks declare, and StageRegistry::Build on
// documents with checksum and manifest stages (the manifest's inputs checked by what their types
// provide).
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/core/xxh3.h"
#include "framework/flow/pipeline.h"
#include "framework/run/registry.h"
#include "framework/uring/buffer_pool.h"
#include "stages/builtins.h"
#include "stages/checksum_stage.h"
#include "stages/json_sink.h"
#include "stages/lines_stage.h"
#include "stages/manifest_sink.h"
#include "stages/null_sink.h"
#include "tests/testing/chunk_maker.h"
#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using run::BuiltPipeline;
using run::StageRegistry;

using testing::MakeContent;
using testing::TempDir;
using testing::WriteFile;
using Strings = std::vector<std::string>;
using testing::ChunkMaker;
using testing::Frame;

// "name=value" for every field, in order, joined by ' '.
std::string Render(const flow::Record& r) {
  std::string out;
  for (const flow::Field& f : r.fields) {
    if (!out.empty()) out += ' ';
    out += std::string(f.name) + "=";
    switch (f.value.type) {
      case flow::ValueType::kNull:
        out += "null";
        break;
      case flow::ValueType::kInt:
        out += std::to_string(f.value.i);
        break;
      case flow::ValueType::kString:
        out += "\"" + std::string(f.value.s) + "\"";
        break;
      default:
        out += "<other>";
    }
  }
  return out;
}

// The oracle: what the checksum record of `content` must say.
std::string ExpectedSums(const std::string& path, const std::string& content) {
  const auto newlines = static_cast<uint64_t>(std::count(content.begin(), content.end(), '\n'));
  const uint64_t lines = newlines + (!content.empty() && content.back() != '\n' ? 1 : 0);
  return "path=\"" + path + "\" bytes=" + std::to_string(content.size()) +
         " lines=" + std::to_string(lines) + " xxh3=\"" +
         HexDigest(Xxh3::Hash(content.data(), content.size())) + "\" status=\"ok\"";
}

// Feeds `content` as file `id` in chunks of `size` bytes; returns the end batch.
std::shared_ptr<flow::RecordBatch> Digest(ChecksumStage& stage, ChunkMaker& maker, uint64_t id,
                                          const std::string& content, std::size_t size) {
  for (std::size_t at = 0; at < content.size(); at += size) {
    auto batch = Frame(stage, maker.Data(id, std::string_view(content).substr(at, size)));
    EXPECT_TRUE(batch->records.empty()) << "a checksum record before the file's end";
  }
  return Frame(stage, maker.End(id, "dir/file" + std::to_string(id) + ".log"));
}

const std::string kText =
    "first line\nsecond line, a little longer\r\n\n\tindented\r\nutf-8: \xc3\xa9\xe2\x82\xac\n"
    "a line that is long enough to cross several chunks of every size up to sixty-four\n"
    "last line without newline";

TEST(ChecksumStageTest, DigestIsTheWholeFileHashWhateverTheChunkSize) {
  ChunkMaker maker;
  ChecksumStage stage;
  for (const std::string& text : {kText, kText + "\n", std::string("x"), std::string("\n")}) {
    for (std::size_t size = 1; size <= 64; ++size) {
      SCOPED_TRACE("chunks of " + std::to_string(size) + " over " + std::to_string(text.size()));
      auto end = Digest(stage, maker, size, text, size);
      ASSERT_EQ(end->records.size(), 1u);
      EXPECT_EQ(Render(end->records[0]),
                ExpectedSums("dir/file" + std::to_string(size) + ".log", text));
      EXPECT_EQ(stage.open_files(), 0u);
    }
  }
}

TEST(ChecksumStageTest, CountsLinesAsTheFramerDoes) {
  ChunkMaker maker;
  ChecksumStage stage;
  const std::pair<std::string, int64_t> cases[] = {{"", 0},           {"a", 1},       {"a\n", 1},
                                                   {"a\nb", 2},       {"\n", 1},      {"\n\n\n", 3},
                                                   {"a\r\nb\r\n", 2}, {"a\r\nb\r", 2}};
  uint64_t id = 0;
  for (const auto& [text, lines] : cases) {
    auto end = Digest(stage, maker, id++, text, 3);
    ASSERT_EQ(end->records.size(), 1u);
    const flow::Field* f = end->records[0].Find("lines");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->value.i, lines) << "\"" << text << "\"";
    EXPECT_EQ(Render(end->records[0]),
              ExpectedSums("dir/file" + std::to_string(id - 1) + ".log", text));
  }
}

TEST(ChecksumStageTest, FileInOneEndMessageEqualsTheStreamedFile) {
  // The source merges a file's last chunk into its end message: a small file is one message
  // (ChecksumStage's stateless path); a larger one ends with data in its end message.
  ChunkMaker maker;
  ChecksumStage stage;
  uint64_t id = 100;
  for (const std::string& text :
       {kText, kText + "\n", std::string("x"), std::string("\n\n"), std::string("a\r\nb\r")}) {
    SCOPED_TRACE("\"" + text + "\"");
    auto whole = Frame(stage, maker.Last(id, text, "one.log"));
    ASSERT_EQ(whole->records.size(), 1u);
    EXPECT_EQ(Render(whole->records[0]), ExpectedSums("one.log", text));
    ++id;
    // Streamed, the last 5 bytes in the end message.
    const std::size_t split = text.size() > 5 ? text.size() - 5 : 0;
    for (std::size_t at = 0; at < split; at += 7) {
      Frame(stage, maker.Data(id, std::string_view(text).substr(
                                      at, std::min<std::size_t>(7, split - at))));
    }
    auto last = Frame(stage, maker.Last(id, std::string_view(text).substr(split), "two.log"));
    ASSERT_EQ(last->records.size(), 1u);
    EXPECT_EQ(Render(last->records[0]), ExpectedSums("two.log", text));
    ++id;
    EXPECT_EQ(stage.open_files(), 0u);
  }
  // Failed in its only message: the bytes are counted, the cut last line is not, no digest.
  auto failed = Frame(
      stage, maker.Last(id, "one\ntwo\nthr", "cut.log", Error::FromErrno(EIO, "read cut.log")));
  ASSERT_EQ(failed->records.size(), 1u);
  EXPECT_EQ(Render(failed->records[0]),
            "path=\"cut.log\" bytes=11 lines=2 xxh3=null "
            "status=\"read cut.log: Input/output error (EIO)\"");
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(ChecksumStageTest, EmptyFileHasTheEmptyHash) {
  ChunkMaker maker;
  ChecksumStage stage;
  auto end = Frame(stage, maker.End(4, "empty.log"));
  ASSERT_EQ(end->records.size(), 1u);
  EXPECT_EQ(Render(end->records[0]), "path=\"empty.log\" bytes=0 lines=0 xxh3=\"" +
                                         HexDigest(Xxh3::Hash("", 0)) + "\" status=\"ok\"");
  EXPECT_EQ(HexDigest(Xxh3::Hash("", 0)), "2d06800538d394c2");  // xxhsum -H3 /dev/null
  // A zero-length data chunk changes nothing.
  Frame(stage, maker.Data(5, ""));
  end = Frame(stage, maker.End(5, "empty2.log"));
  EXPECT_EQ(Render(end->records[0]), "path=\"empty2.log\" bytes=0 lines=0 xxh3=\"" +
                                         HexDigest(Xxh3::Hash("", 0)) + "\" status=\"ok\"");
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(ChecksumStageTest, FailedFileHasNullDigestAndTheReason) {
  ChunkMaker maker;
  ChecksumStage stage;
  auto missing =
      Frame(stage, maker.End(1, "/no/such/file", Error::FromErrno(ENOENT, "open /no/such/file")));
  ASSERT_EQ(missing->records.size(), 1u);
  EXPECT_EQ(Render(missing->records[0]),
            "path=\"/no/such/file\" bytes=0 lines=0 xxh3=null "
            "status=\"open /no/such/file: No such file or directory (ENOENT)\"");
  // Failed half-way: what was read is counted, but there is no digest of a partial file, and
  // the cut last line ("thr") is not a line (the framer drops it too).
  Frame(stage, maker.Data(2, "one\ntwo\nthr"));
  auto partial = Frame(stage, maker.End(2, "half.log", Error::FromErrno(EIO, "read half.log")));
  ASSERT_EQ(partial->records.size(), 1u);
  EXPECT_EQ(Render(partial->records[0]),
            "path=\"half.log\" bytes=11 lines=2 xxh3=null "
            "status=\"read half.log: Input/output error (EIO)\"");
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(ChecksumStageTest, InterleavedFilesKeepTheirOwnDigests) {
  ChunkMaker maker;
  ChecksumStage stage;
  const std::string a = MakeContent(3000, 1);
  const std::string b = MakeContent(2000, 2) + "\r\nend";
  std::size_t at_a = 0, at_b = 0;
  while (at_a < a.size() || at_b < b.size()) {
    if (at_a < a.size()) {
      Frame(stage, maker.Data(10, std::string_view(a).substr(at_a, 37)));
      at_a += 37;
    }
    if (at_b < b.size()) {
      Frame(stage, maker.Data(20, std::string_view(b).substr(at_b, 500)));
      at_b += 500;
    }
  }
  EXPECT_EQ(stage.open_files(), 2u);
  auto end_b = Frame(stage, maker.End(20, "b"));
  auto end_a = Frame(stage, maker.End(10, "a"));
  ASSERT_EQ(end_a->records.size(), 1u);
  ASSERT_EQ(end_b->records.size(), 1u);
  EXPECT_EQ(Render(end_a->records[0]), ExpectedSums("a", a));
  EXPECT_EQ(Render(end_b->records[0]), ExpectedSums("b", b));
  EXPECT_EQ(stage.open_files(), 0u);
}

// Collects the records of a single-input sink, rendered, and the batches' files.
class Collect final : public flow::SinkStage {
 public:
  Status Write(const flow::RecordBatch& batch) override {
    for (const flow::Record& r : batch.records) {
      records.push_back(Render(r));
      if (!batch.end) ++records_before_end;
    }
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }
  Strings records;
  int records_before_end = 0;
};

TEST(ChecksumStageTest, ThroughThePipelineMatchesTheOracle) {
  TempDir dir;
  std::vector<uring::ReadJob> jobs;
  std::map<std::string, std::string> expected;  // path -> rendered record
  auto add = [&](const std::string& content) {
    jobs.push_back({jobs.size(), dir.Join("f" + std::to_string(jobs.size()))});
    WriteFile(jobs.back().path, content);
    expected[jobs.back().path] = ExpectedSums(jobs.back().path, content);
  };
  add("");
  add(kText);
  add(std::string(4096, 'x'));  // exactly one buffer, no newline
  add(MakeContent(50000, 3));
  add(MakeContent(8192 * 3, 4) + "\r\n");
  jobs.push_back({jobs.size(), dir.Join("missing")});
  expected[jobs.back().path] = "path=\"" + jobs.back().path +
                               "\" bytes=0 lines=0 xxh3=null "
                               "status=\"open: No such file or directory (ENOENT)\"";
  for (bool ordered : {false, true}) {
    flow::SourceOptions options;
    options.buffer_size = 4096;
    options.buffers = 4;
    options.max_messages = 6;
    options.reader.ordered = ordered;
    options.reader.max_open_files = 3;
    options.engine.file_slots = 4;
    uring::VectorSource source(jobs);
    ChecksumStage sums;
    Collect sink;
    ASSERT_OK_AND_ASSIGN(flow::PipelineStats stats,
                         flow::RunPipeline(source, options, sums, {}, sink));
    EXPECT_EQ(stats.records, jobs.size());
    EXPECT_EQ(sink.records_before_end, 0);
    std::map<std::string, std::string> got;
    for (const std::string& r : sink.records) {
      const std::size_t start = r.find('"') + 1;
      got[r.substr(start, r.find('"', start) - start)] = r;
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(sums.open_files(), 0u);
  }
}

// --- ManifestSink ---

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Files in `dir` whose name contains ".tmp-".
int TempFiles(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) ++n;
  }
  return n;
}

// A pipe whose read end collects everything written to it (for small outputs: < 64 KiB).
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) std::abort();
  }
  ~Pipe() {
    CloseWriteEnd();
    ::close(fds_[0]);
  }
  int write_fd() const { return fds_[1]; }
  void CloseWriteEnd() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }
  std::string ReadAll() {
    CloseWriteEnd();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds_[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  int fds_[2];
};

// A batch of `n` records viewing `text`, `errors` of them failed.
std::shared_ptr<flow::RecordBatch> Records(uint64_t seq, uint64_t file_id, int n, int errors,
                                           bool end = false) {
  auto batch = std::make_shared<flow::RecordBatch>();
  batch->seq = seq;
  batch->file_id = file_id;
  batch->end = end;
  for (int i = 0; i < n; ++i) {
    flow::Record& r = batch->records.emplace_back();
    r.raw = batch->arena.Copy("line " + std::to_string(i));
    if (i < errors) r.error = "bad line";
  }
  return batch;
}

// The manifest line for `content` (a file read whole), counts null when `records` < 0, format
// null when empty.
std::string ManifestLine(const std::string& path, const std::string& content, int records,
                         int parse_errors, const std::string& format = "") {
  const auto newlines = static_cast<uint64_t>(std::count(content.begin(), content.end(), '\n'));
  const uint64_t lines = newlines + (!content.empty() && content.back() != '\n' ? 1 : 0);
  return "{\"path\":\"" + path + "\",\"bytes\":" + std::to_string(content.size()) +
         ",\"lines\":" + std::to_string(lines) +
         ",\"records\":" + (records < 0 ? "null" : std::to_string(records)) +
         ",\"parse_errors\":" + (records < 0 ? "null" : std::to_string(parse_errors)) +
         ",\"format\":" + (format.empty() ? "null" : "\"" + format + "\"") + ",\"xxh3\":\"" +
         HexDigest(Xxh3::Hash(content.data(), content.size())) + "\",\"status\":\"ok\"}\n";
}

TEST(ManifestSinkTest, OneLinePerFileWithTheKeysInOrderAndNullCountsWithoutInput1) {
  Pipe pipe;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ManifestSink> sink,
                       ManifestSink::OpenFd(pipe.write_fd(), "pipe", /*count_records=*/false));
  ChunkMaker maker;
  ChecksumStage sums;
  const std::string a = "alpha\nbeta\n", b = "no newline", quoted = "x\n";
  for (const auto& [id, content] : {std::pair<uint64_t, std::string>{1, a}, {2, b}}) {
    auto data = Frame(sums, maker.Data(id, content));
    ASSERT_OK(sink->Write(*data));  // no records: writes nothing
    ASSERT_OK(sink->WriteFrom(0, *Frame(sums, maker.End(id, "f" + std::to_string(id)))));
  }
  Frame(sums, maker.Data(3, quoted));
  ASSERT_OK(sink->WriteFrom(0, *Frame(sums, maker.End(3, "dir/with \"quote\""))));
  ASSERT_OK(sink->WriteFrom(
      0, *Frame(sums, maker.End(4, "gone", Error::FromErrno(ENOENT, "open gone")))));
  EXPECT_EQ(sink->files_written(), 4u);
  ASSERT_OK(sink->Close());
  std::string quoted_line = ManifestLine("dir/with \\\"quote\\\"", quoted, -1, 0);
  EXPECT_EQ(pipe.ReadAll(),
            ManifestLine("f1", a, -1, 0) + ManifestLine("f2", b, -1, 0) + quoted_line +
                "{\"path\":\"gone\",\"bytes\":0,\"lines\":0,\"records\":null,\"parse_errors\":"
                "null,\"format\":null,\"xxh3\":null,\"status\":\"open gone: No such file or "
                "directory (ENOENT)\"}"
                "\n");
}

TEST(ManifestSinkTest, CountsRecordsOfInput1AcrossBatchesAndInterleavedFiles) {
  Pipe pipe;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ManifestSink> sink,
                       ManifestSink::OpenFd(pipe.write_fd(), "pipe", /*count_records=*/true));
  ChunkMaker maker;
  ChecksumStage sums;
  const std::string a = "a1\na2\na3\n", b = "b1\nb2";
  // As the pipeline delivers them: per message, input 0 then input 1.
  auto step = [&](const flow::ChunkPtr& chunk, int n, int errors) {
    auto in0 = Frame(sums, chunk);
    ASSERT_OK(sink->WriteFrom(0, *in0));
    in0.reset();  // gone before input 1's batch of the same message: the sink kept a copy
    ASSERT_OK(sink->WriteFrom(1, *Records(chunk->seq, chunk->file_id, n, errors, chunk->end)));
  };
  step(maker.Data(7, "a1\na2"), 1, 0);
  step(maker.Data(8, "b1\n"), 1, 1);
  step(maker.Data(7, "\na3\n"), 2, 1);
  step(maker.Data(8, "b2"), 0, 0);
  step(maker.End(8, "b"), 1, 0);  // the framer's final line without newline
  step(maker.Data(9, "z\n"), 40, 0);
  step(maker.End(7, "a"), 0, 0);
  step(maker.End(9, "c"), 3, 3);
  EXPECT_EQ(sink->files_written(), 3u);
  ASSERT_OK(sink->Close());
  EXPECT_EQ(pipe.ReadAll(), ManifestLine("b", b, 2, 1) + ManifestLine("a", a, 3, 1) +
                                ManifestLine("c", "z\n", 43, 3));
}

TEST(ManifestSinkTest, RecordsEndingBeforeTheirChecksumIsAnInternalError) {
  ChunkMaker maker;
  ChecksumStage sums;
  {
    Pipe pipe;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ManifestSink> sink,
                         ManifestSink::OpenFd(pipe.write_fd(), "pipe", true));
    ASSERT_OK(sink->WriteFrom(1, *Records(0, 3, 2, 0)));
    Status s = sink->WriteFrom(1, *Records(1, 3, 0, 0, /*end=*/true));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
    EXPECT_EQ(s.error().message(), "manifest: the records of a file ended before its checksum");
    EXPECT_EQ(sink->files_written(), 0u);
  }
  {
    // The checksum pending is another file's.
    Pipe pipe;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ManifestSink> sink,
                         ManifestSink::OpenFd(pipe.write_fd(), "pipe", true));
    ASSERT_OK(sink->WriteFrom(0, *Frame(sums, maker.End(1, "one"))));
    Status s = sink->WriteFrom(1, *Records(0, 2, 1, 0, /*end=*/true));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
    EXPECT_EQ(sink->files_written(), 0u);
  }
}

TEST(ManifestSinkTest, CloseRenamesIntoPlaceAndAbortLeavesNothing) {
  TempDir dir;
  ChunkMaker maker;
  ChecksumStage sums;
  const std::string path = dir.Join("manifest.ndjson");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ManifestSink> sink, ManifestSink::Open(path, false));
    Frame(sums, maker.Data(1, "hello\n"));
    ASSERT_OK(sink->WriteFrom(0, *Frame(sums, maker.End(1, "h.log"))));
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_EQ(TempFiles(dir.path()), 1);
    ASSERT_OK(sink->Close());
    EXPECT_EQ(TempFiles(dir.path()), 0);
    EXPECT_EQ(ReadAll(path), ManifestLine("h.log", "hello\n", -1, 0));
  }
  const std::string aborted = dir.Join("aborted.ndjson");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ManifestSink> sink, ManifestSink::Open(aborted, true));
    ASSERT_OK(sink->WriteFrom(0, *Frame(sums, maker.End(2, "e.log"))));
    ASSERT_OK(sink->WriteFrom(1, *Records(0, 2, 1, 0, true)));
    EXPECT_EQ(sink->files_written(), 1u);
    sink->Abort();
    EXPECT_EQ(TempFiles(dir.path()), 0);
    Status closed = sink->Close();
    ASSERT_FALSE(closed.ok());
    EXPECT_EQ(closed.error().code(), ErrorCode::kCancelled);
  }
  EXPECT_FALSE(std::filesystem::exists(aborted));
  EXPECT_EQ(TempFiles(dir.path()), 0);
  // A directory that does not exist: the error names the path.
  auto bad = ManifestSink::Open(dir.Join("no/such/dir/m.ndjson"), false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kNotFound);
}

// --- Capabilities ---

TEST(CapabilitiesTest, OnlyTheLineFramerFramesLines) {
  EXPECT_TRUE(LinesStage().frames_lines());
  EXPECT_FALSE(ChecksumStage().frames_lines());
}

TEST(CapabilitiesTest, SinksNameTheirTemporaryFileAndTheManifestListsFiles) {
  TempDir dir;
  const std::string path = dir.Join("out.ndjson");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ManifestSink> sink, ManifestSink::Open(path, false));
    EXPECT_TRUE(sink->lists_files());
    const std::string temp = sink->temporary_file();
    EXPECT_EQ(temp, sink->temp_path());
    EXPECT_NE(temp, path);
    EXPECT_TRUE(std::filesystem::exists(temp)) << temp;
    sink->Abort();
    EXPECT_FALSE(std::filesystem::exists(temp)) << temp;
  }
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(path));
    EXPECT_FALSE(sink->lists_files());
    const std::string temp = sink->temporary_file();
    EXPECT_EQ(temp, sink->temp_path());
    EXPECT_TRUE(std::filesystem::exists(temp)) << temp;
    sink->Abort();
  }
  // Written in place (appended, or a caller's descriptor): no temporary file.
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink,
                         JsonSink::Open(path, /*fsync=*/false, /*append=*/true));
    EXPECT_EQ(sink->temporary_file(), "");
    ASSERT_OK(sink->Close());
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> fd_sink, JsonSink::OpenFd(STDOUT_FILENO, "out"));
  EXPECT_EQ(fd_sink->temporary_file(), "");
  EXPECT_FALSE(NullSink().lists_files());
  EXPECT_EQ(NullSink().temporary_file(), "");
}

// --- StageRegistry::Build ---

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(RegisterBuiltins(registry_)); }

  // The document with `stages` and `sinks` (JSON arrays) reading `dir_`.
  std::string Document(const std::string& stages, const std::string& sinks) const {
    return R"({"source": {"paths": [")" + dir_.path().string() + R"("]}, "stages": )" + stages +
           R"(, "sinks": )" + sinks + "}";
  }
  std::string Out(const std::string& name) const { return dir_.Join("out/" + name); }

  Result<BuiltPipeline> Build(const std::string& doc) {
    auto config = config::LoadPipeline(doc, registry_.stages(), registry_.sinks());
    EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().UserMessage());
    if (!config.ok()) return std::move(config).error();
    return registry_.Build(*config);
  }

  // Build's error for `doc` (which must load); also checks that it left no file behind.
  Error BuildError(const std::string& doc) {
    auto built = Build(doc);
    EXPECT_FALSE(built.ok());
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.Join("out")),
                            std::filesystem::directory_iterator()),
              0)
        << "a failed Build left files behind";
    if (built.ok()) return Error(ErrorCode::kOk, "built");
    return std::move(built).error();
  }

  void SetUpOut() { std::filesystem::create_directories(dir_.Join("out")); }

  StageRegistry registry_;
  TempDir dir_;
};

TEST_F(BuildTest, ManifestMustReadAChecksumStageFirst) {
  SetUpOut();
  const std::string stages = R"([{"name": "lines", "type": "lines"},
      {"name": "sums", "type": "checksum"},
      {"name": "sums2", "type": "checksum"},
      {"name": "parsed", "type": "parse", "input": "lines", "format": "raw"}])";
  const std::string json = R"({"name": "out", "type": "json", "input": "parsed", "path": ")" +
                           Out("out.ndjson") + R"("})";
  // A json sink reads sums2 (and more), so that only the manifest is wrong.
  const std::string s2 = R"(, {"name": "s2", "type": "json", "input": ["sums2", "sums", "lines"],
      "path": ")" + Out("s2.ndjson") +
                         R"("})";
  auto manifest = [&](const std::string& input) {
    return R"({"name": "m", "type": "manifest", "input": )" + input + R"(, "path": ")" +
           Out("m.ndjson") + R"("})";
  };
  for (const std::string& input :
       {std::string(R"(["parsed", "sums"])"), std::string(R"("lines")"),
        std::string(R"(["sums", "sums2"])"), std::string(R"(["sums", "parsed", "lines"])")}) {
    SCOPED_TRACE(input);
    const Error e = BuildError(Document(stages, "[" + json + ", " + manifest(input) + s2 + "]"));
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_EQ(e.message().rfind("sinks[1].input: ", 0), 0u) << e.message();
    EXPECT_NE(e.message().find("checksum"), std::string::npos) << e.message();
  }
  // The valid forms build.
  for (const std::string& input : {std::string(R"("sums")"), std::string(R"(["sums", "parsed"])"),
                                   std::string(R"(["sums", "lines"])")}) {
    SCOPED_TRACE(input);
    auto built = Build(Document(stages, "[" + json + ", " + manifest(input) + s2 + "]"));
    ASSERT_OK(built);
    ASSERT_EQ(built->graph.sinks.size(), 3u);
    EXPECT_EQ(built->graph.sinks[1].inputs[0], 1u);
  }
}

TEST_F(BuildTest, TwoSinksWritingToTheSamePlaceAreAnError) {
  SetUpOut();
  const std::string stages = R"([{"name": "lines", "type": "lines"},
      {"name": "sums", "type": "checksum"}])";
  // Both default to stdout.
  Error error = BuildError(Document(stages, R"([{"name": "a", "type": "json", "input": "lines"},
      {"name": "m", "type": "manifest", "input": "sums"}])"));
  EXPECT_EQ(error.code(), ErrorCode::kUnsupported);
  EXPECT_EQ(error.message(), "sinks[1].path: sinks \"a\" and \"m\" both write to stdout");
  // The same file, spelled the same.
  const std::string path = Out("same.ndjson");
  error = BuildError(
      Document(stages, R"([{"name": "a", "type": "json", "input": "lines", "path": ")" + path +
                           R"("}, {"name": "m", "type": "manifest", "input": "sums", "path": ")" +
                           path + R"("}])"));
  EXPECT_EQ(error.message(), "sinks[1].path: sinks \"a\" and \"m\" both write to \"" + path + "\"");
  // "-" and a file, or two files: fine.
  auto built = Build(Document(stages, R"([{"name": "a", "type": "json", "input": "lines"},
      {"name": "m", "type": "manifest", "input": "sums", "path": ")" +
                                          Out("m.ndjson") + R"("}])"));
  ASSERT_OK(built);
  for (auto& sink : built->sinks) sink->Abort();
}

TEST_F(BuildTest, AStageNobodyReadsIsAnErrorNamingIt) {
  SetUpOut();
  const Error e = BuildError(Document(
      R"([{"name": "lines", "type": "lines"},
          {"name": "parsed", "type": "parse", "input": "lines", "format": "raw"},
          {"name": "unread", "type": "filter", "input": "parsed", "where": "message"}])",
      R"([{"name": "out", "type": "json", "input": "parsed", "path": ")" + Out("o.ndjson") +
          R"("}])"));
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_EQ(e.message().rfind("stages[2]: ", 0), 0u) << e.message();
  EXPECT_NE(e.message().find("\"unread\""), std::string::npos) << e.message();
  // An unread chunk stage too.
  const Error sums = BuildError(
      Document(R"([{"name": "lines", "type": "lines"}, {"name": "sums", "type": "checksum"}])",
               R"([{"name": "out", "type": "null", "input": "lines"}])"));
  EXPECT_EQ(sums.message().rfind("stages[1]: ", 0), 0u) << sums.message();
  EXPECT_NE(sums.message().find("\"sums\""), std::string::npos) << sums.message();
}

TEST_F(BuildTest, FanOutDocumentBuildsTheRightGraphAndRuns) {
  SetUpOut();
  // Input: JSON lines, some not JSON, some with status >= 500.
  std::vector<uring::ReadJob> jobs;
  std::vector<std::string> contents;
  int bad_total = 0, errors_total = 0;
  for (int f = 0; f < 6; ++f) {
    std::string content;
    const int lines = f == 5 ? 3000 : f * 7;  // one file of several buffers, one empty
    for (int i = 0; i < lines; ++i) {
      if ((i + f) % 5 == 0) {
        content += "not json " + std::to_string(i) + "\n";
        ++bad_total;
      } else {
        const int status = (i * 37 + f) % 3 == 0 ? 503 : 200;
        if (status >= 500) ++errors_total;
        content += R"({"status":)" + std::to_string(status) + R"(,"i":)" + std::to_string(i) + "}";
        content += f == 3 ? "\r\n" : "\n";
      }
    }
    if (f == 4) content += R"({"status":500})";  // no final newline
    if (f == 4) ++errors_total;
    jobs.push_back({jobs.size(), dir_.Join("in/" + std::to_string(f) + ".log")});
    WriteFile(jobs.back().path, content);
    contents.push_back(content);
  }
  auto built = Build(Document(
      R"([{"name": "lines", "type": "lines"},
          {"name": "parsed", "type": "parse", "input": "lines", "format": "json"},
          {"name": "errors", "type": "filter", "input": "parsed", "where": "status >= 500"},
          {"name": "sums", "type": "checksum"}])",
      R"([{"name": "all", "type": "json", "input": "parsed", "path": ")" + Out("all.ndjson") +
          R"("},
          {"name": "errs", "type": "json", "input": "errors", "path": ")" +
          Out("errs.ndjson") +
          R"("},
          {"name": "manifest", "type": "manifest", "input": ["sums", "parsed"], "path": ")" +
          Out("manifest.ndjson") + R"("}])"));
  ASSERT_OK(built);
  const flow::PipelineGraph& g = built->graph;
  ASSERT_EQ(g.stages.size(), 4u);
  EXPECT_EQ(g.stages[0].name, "lines");
  EXPECT_NE(g.stages[0].chunks, nullptr);
  EXPECT_EQ(g.stages[0].transform, nullptr);
  EXPECT_EQ(g.stages[1].name, "parsed");
  EXPECT_NE(g.stages[1].transform, nullptr);
  EXPECT_EQ(g.stages[1].input, 0u);
  EXPECT_EQ(g.stages[2].name, "errors");
  EXPECT_EQ(g.stages[2].input, 1u);
  EXPECT_EQ(g.stages[3].name, "sums");
  EXPECT_NE(g.stages[3].chunks, nullptr);
  EXPECT_NE(dynamic_cast<ChecksumStage*>(g.stages[3].chunks), nullptr);
  ASSERT_EQ(g.sinks.size(), 3u);
  EXPECT_EQ(g.sinks[0].name, "all");
  EXPECT_EQ(g.sinks[0].inputs, std::vector<std::size_t>{1});
  EXPECT_EQ(g.sinks[1].inputs, std::vector<std::size_t>{2});
  EXPECT_EQ(g.sinks[2].name, "manifest");
  EXPECT_EQ(g.sinks[2].inputs, (std::vector<std::size_t>{3, 1}));
  EXPECT_NE(dynamic_cast<ManifestSink*>(g.sinks[2].sink), nullptr);
  EXPECT_EQ(built->chunk_stages.size(), 2u);
  EXPECT_EQ(built->transforms.size(), 2u);
  EXPECT_EQ(built->sinks.size(), 3u);
  EXPECT_OK(g.Check());

  flow::SourceOptions options;
  options.buffer_size = 4096;
  options.buffers = 4;
  options.max_messages = 8;
  options.reader.ordered = true;  // manifest lines in file order
  options.reader.max_open_files = 4;
  options.engine.file_slots = 4;
  uring::VectorSource source(jobs);
  ASSERT_OK_AND_ASSIGN(flow::PipelineStats stats, flow::RunPipeline(source, options, g));
  std::string expected;
  int total = 0;
  for (std::size_t f = 0; f < jobs.size(); ++f) {
    const std::string& c = contents[f];
    const int lines = static_cast<int>(std::count(c.begin(), c.end(), '\n')) +
                      (!c.empty() && c.back() != '\n' ? 1 : 0);
    total += lines;
    int bad = 0;
    for (std::size_t at = 0; (at = c.find("not json", at)) != std::string::npos; ++at) ++bad;
    expected += ManifestLine(jobs[f].path, c, lines, bad, "json");
  }
  EXPECT_EQ(ReadAll(Out("manifest.ndjson")), expected);
  const std::string all = ReadAll(Out("all.ndjson"));
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), total);
  const std::string errs = ReadAll(Out("errs.ndjson"));
  EXPECT_EQ(std::count(errs.begin(), errs.end(), '\n'), errors_total);
  EXPECT_EQ(
      stats.sink_records,
      (std::vector<uint64_t>{static_cast<uint64_t>(total), static_cast<uint64_t>(errors_total),
                             static_cast<uint64_t>(total) + jobs.size()}));
  EXPECT_GT(bad_total, 0);
  EXPECT_EQ(TempFiles(dir_.Join("out")), 0);
}

TEST_F(BuildTest, DigestingManifestWritesWhatTheChecksumStageManifestWrites) {
  SetUpOut();
  std::vector<uring::ReadJob> jobs;
  std::vector<std::string> contents = {"", "{\"a\":1}\nnot json\n", "tail without newline",
                                       MakeContent(20000, 7), std::string(4096, '\n')};
  for (const std::string& c : contents) {
    jobs.push_back({jobs.size(), dir_.Join("in/" + std::to_string(jobs.size()) + ".log")});
    WriteFile(jobs.back().path, c);
  }
  jobs.push_back({jobs.size(), dir_.Join("in/missing.log")});
  auto built = Build(Document(
      R"([{"name": "lines", "type": "lines"},
          {"name": "parsed", "type": "parse", "input": "lines", "format": "json"},
          {"name": "sums", "type": "checksum"}])",
      R"([{"name": "two", "type": "manifest", "input": ["sums", "parsed"], "path": ")" +
          Out("two.ndjson") + R"("},
          {"name": "one", "type": "manifest", "input": "parsed", "digest": true, "path": ")" +
          Out("one.ndjson") + R"("}])"));
  ASSERT_OK(built);
  EXPECT_EQ(built->graph.sinks[1].inputs, std::vector<std::size_t>{1});
  flow::SourceOptions options;
  options.buffer_size = 4096;
  options.buffers = 3;
  options.max_messages = 5;
  options.reader.ordered = true;
  options.reader.max_open_files = 3;
  options.engine.file_slots = 4;
  uring::VectorSource source(jobs);
  ASSERT_OK(flow::RunPipeline(source, options, built->graph));
  // The [checksum, parsed] manifest is checked against the oracle by the tests above.
  const std::string two = ReadAll(Out("two.ndjson"));
  EXPECT_EQ(ReadAll(Out("one.ndjson")), two);
  EXPECT_EQ(std::count(two.begin(), two.end(), '\n'), static_cast<long>(jobs.size()));
  EXPECT_EQ(two.substr(0, ManifestLine(jobs[1].path, contents[1], 2, 1, "json").size() +
                              ManifestLine(jobs[0].path, contents[0], 0, 0, "json").size()),
            ManifestLine(jobs[0].path, contents[0], 0, 0, "json") +
                ManifestLine(jobs[1].path, contents[1], 2, 1, "json"));
  EXPECT_NE(two.find("\"status\":\"open: No such file or directory (ENOENT)\""), std::string::npos);
}

TEST_F(BuildTest, DigestingManifestReadsOneStageThatIsNotAChecksum) {
  SetUpOut();
  for (const char* input : {R"("sums")", R"(["parsed", "lines"])"}) {
    auto built = Build(Document(
        R"([{"name": "lines", "type": "lines"},
            {"name": "parsed", "type": "parse", "input": "lines"},
            {"name": "sums", "type": "checksum"}])",
        std::string(R"([{"name": "m", "type": "manifest", "digest": true, "input": )") + input +
            R"(, "path": ")" + Out("m.ndjson") + R"("},
            {"name": "o", "type": "null", "input": "parsed"},
            {"name": "p", "type": "null", "input": "sums"}])"));
    ASSERT_FALSE(built.ok()) << input;
    EXPECT_NE(built.error().message().find("\"digest\": true reads one stage"), std::string::npos)
        << built.error().message();
  }
}

// The manifest asks what its inputs provide, not what they are called: a type of another name
// that provides a file digest is accepted where a checksum stage is, and a checksum type that
// provides none (as registered by a plugin) is refused.
TEST_F(BuildTest, ManifestInputsAreCheckedByWhatTheirTypesProvide) {
  SetUpOut();
  config::TypeSpec digests{"sums_too", "a checksum stage by another name", {}, false};
  digests.provides = {kProvidesFileDigest};
  ASSERT_OK(registry_.RegisterChunkStage(
      digests, [](const config::StageConfig&) -> Result<std::unique_ptr<flow::FramingStage>> {
        return std::unique_ptr<flow::FramingStage>(new ChecksumStage());
      }));
  ASSERT_OK(registry_.RegisterChunkStage(
      {"no_digest", "provides nothing", {}, false},
      [](const config::StageConfig&) -> Result<std::unique_ptr<flow::FramingStage>> {
        return std::unique_ptr<flow::FramingStage>(new ChecksumStage());
      }));
  const std::string stages = R"([{"name": "lines", "type": "lines"},
      {"name": "sums", "type": "sums_too"}, {"name": "plain", "type": "no_digest"}])";
  auto sinks = [&](const std::string& input) {
    return R"([{"name": "m", "type": "manifest", "input": )" + input + R"(, "path": ")" +
           Out("m.ndjson") + R"("}, {"name": "rest", "type": "json", "input": ["lines", "sums",
           "plain"], "path": ")" +
           Out("rest.ndjson") + R"("}])";
  };
  auto built = Build(Document(stages, sinks(R"(["sums", "lines"])")));
  ASSERT_OK(built);
  for (auto& sink : built->sinks) sink->Abort();
  const Error plain = BuildError(Document(stages, sinks(R"(["plain", "lines"])")));
  EXPECT_EQ(plain.code(), ErrorCode::kUnsupported);
  EXPECT_EQ(plain.message(),
            "sinks[0].input: a manifest reads a \"checksum\" stage, optionally followed by the "
            "stage whose records it counts: [\"<checksum>\", \"<stage>\"]");
  // With "digest": true, a type that provides a file digest is the wrong input.
  const Error digest = BuildError(Document(
      stages, R"([{"name": "m", "type": "manifest", "digest": true, "input": "sums", "path": ")" +
                  Out("m.ndjson") + R"("}, {"name": "rest", "type": "json", "input": ["lines",
                  "plain"], "path": ")" +
                  Out("rest.ndjson") + R"("}])"));
  EXPECT_EQ(digest.message(),
            "sinks[0].input: a manifest with \"digest\": true reads one stage that is not a "
            "\"checksum\" stage: it digests that stage's chunks and counts its records");
}

// A sink's input check sees its document and its inputs' types in the order listed, in both
// modes; its error comes back under the sink's "input".
TEST_F(BuildTest, ASinksInputCheckSeesItsInputsTypesInOrder) {
  SetUpOut();
  std::vector<std::string> seen;
  ASSERT_OK(registry_.RegisterSink(
      {"picky", "reads one \"lines\" stage first", {}, true, true},
      [](const config::StageConfig&) -> Result<std::unique_ptr<flow::SinkStage>> {
        return std::unique_ptr<flow::SinkStage>(new NullSink());
      },
      nullptr,
      [&seen](const config::StageConfig& sink, std::span<const config::TypeSpec* const> inputs) {
        seen.push_back(sink.name);
        for (const config::TypeSpec* type : inputs) seen.push_back(type->type);
        if (inputs[0]->type != "lines") return Status(Error(ErrorCode::kInvalidArgument, "no"));
        return OkStatus();
      }));
  const std::string stages = R"([{"name": "l", "type": "lines"}, {"name": "s", "type": "checksum"},
      {"name": "p", "type": "parse", "input": "l"}])";
  for (const run::BuildMode mode : {run::BuildMode::kOpen, run::BuildMode::kCheck}) {
    seen.clear();
    auto config = config::LoadPipeline(
        Document(stages, R"([{"name": "k", "type": "picky", "input": ["l", "s", "p"]}])"),
        registry_.stages(), registry_.sinks());
    ASSERT_OK(config);
    ASSERT_OK(registry_.Build(*config, mode));
    EXPECT_EQ(seen, (Strings{"k", "lines", "checksum", "parse"}));
    config = config::LoadPipeline(
        Document(stages, R"([{"name": "k", "type": "picky", "input": ["p", "s", "l"]}])"),
        registry_.stages(), registry_.sinks());
    ASSERT_OK(config);
    auto refused = registry_.Build(*config, mode);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(refused.error().message(), "sinks[0].input: no");
  }
}

}  // namespace
}  // namespace ringflow::stages

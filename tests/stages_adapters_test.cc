// Tests for the stage adapters that plug the line framer, the parsers and the JSON writer into
// the flow graph: LinesStage over hand-made chunks, ParseStage on batches of each format,
// JsonSink's atomic file output and its errors, and one end-to-end run through RunPipeline
// checked against `wc -l` and Python's json module.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "framework/flow/pipeline.h"
#include "framework/uring/buffer_pool.h"
#include "stages/json_sink.h"
#include "stages/lines_stage.h"
#include "stages/parse_stage.h"
#include "tests/testing/chunk_maker.h"
#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using testing::TempDir;
using testing::WriteFile;
using Strings = std::vector<std::string>;
using testing::ChunkMaker;
using testing::Frame;

// "text" or "text [cut]" per record.
Strings Lines(const flow::RecordBatch& batch) {
  Strings out;
  for (const flow::Record& r : batch.records) {
    out.push_back(std::string(r.raw) + (r.truncated ? " [cut]" : ""));
  }
  return out;
}

TEST(LinesStageTest, LinesInsideOneChunkAreViewsIntoIt) {
  ChunkMaker maker;
  LinesStage stage;
  auto batch = Frame(stage, maker.Data(0, "alpha\nbeta\n\ngamma\n"));
  EXPECT_EQ(Lines(*batch), (Strings{"alpha", "beta", "", "gamma"}));
  for (const flow::Record& r : batch->records) {
    if (!r.raw.empty()) {
      EXPECT_TRUE(maker.pool().Contains(r.raw.data()));
    }
  }
  EXPECT_TRUE(Frame(stage, maker.End(0))->records.empty());
  EXPECT_EQ(stage.lines(), 4u);
  EXPECT_EQ(stage.truncated_lines(), 0u);
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(LinesStageTest, LineSplitAcrossChunksIsCopiedIntoTheBatch) {
  ChunkMaker maker;
  LinesStage stage;
  auto b1 = Frame(stage, maker.Data(0, "first\nsec"));
  auto b2 = Frame(stage, maker.Data(0, "ond half\nthi"));
  auto b3 = Frame(stage, maker.Data(0, "rd"));
  auto b4 = Frame(stage, maker.Data(0, " line\nlast"));
  auto b5 = Frame(stage, maker.End(0));
  EXPECT_EQ(Lines(*b1), (Strings{"first"}));
  // Checked after later Feeds reused the framer's side buffers: the batch owns its copy.
  EXPECT_EQ(Lines(*b2), (Strings{"second half"}));
  EXPECT_FALSE(maker.pool().Contains(b2->records[0].raw.data()));
  EXPECT_TRUE(b3->records.empty());
  EXPECT_EQ(Lines(*b4), (Strings{"third line"}));
  EXPECT_EQ(Lines(*b5), (Strings{"last"}));  // the end message flushes the unterminated line
  EXPECT_TRUE(b5->end);
  EXPECT_EQ(stage.lines(), 4u);
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(LinesStageTest, CrlfEndingsAreRemovedAlsoAcrossChunks) {
  ChunkMaker maker;
  LinesStage stage;
  auto b1 = Frame(stage, maker.Data(0, "one\r\ntwo\r"));
  auto b2 = Frame(stage, maker.Data(0, "\nthree\r\n"));
  EXPECT_EQ(Lines(*b1), (Strings{"one"}));
  EXPECT_EQ(Lines(*b2), (Strings{"two", "three"}));
}

TEST(LinesStageTest, BomIsDroppedOnlyAtTheStartOfAFile) {
  ChunkMaker maker;
  LinesStage stage;
  // File 0: BOM then lines; a BOM in a later line is data and stays.
  auto b0 = Frame(stage, maker.Data(0, "\xEF\xBB\xBFhead\n\xEF\xBB\xBFkept\n"));
  EXPECT_EQ(Lines(*b0), (Strings{"head", "\xEF\xBB\xBFkept"}));
  // File 1: the BOM itself split across chunks.
  auto b1 = Frame(stage, maker.Data(1, "\xEF"));
  auto b2 = Frame(stage, maker.Data(1, "\xBB\xBFsplit\nnext\n"));
  EXPECT_TRUE(b1->records.empty());
  EXPECT_EQ(Lines(*b2), (Strings{"split", "next"}));
  // File 2: a BOM-only file gives one empty line; file 3 has no BOM and loses nothing.
  auto b3 = Frame(stage, maker.Data(2, "\xEF\xBB\xBF\n"));
  EXPECT_EQ(Lines(*b3), (Strings{""}));
  auto b4 = Frame(stage, maker.Data(3, "\xEF\xBBnot a bom\n"));
  EXPECT_EQ(Lines(*b4), (Strings{"\xEF\xBBnot a bom"}));
}

TEST(LinesStageTest, LongLineIsTruncatedFlaggedAndCounted) {
  ChunkMaker maker;
  LinesStage stage(FramerOptions{8});
  auto b1 = Frame(stage, maker.Data(0, "short\n0123456789abcdef\n01234"));
  auto b2 = Frame(stage, maker.Data(0, "56789\nok\n"));
  EXPECT_EQ(Lines(*b1), (Strings{"short", "01234567 [cut]"}));
  EXPECT_EQ(Lines(*b2), (Strings{"01234567 [cut]", "ok"}));
  EXPECT_EQ(stage.lines(), 4u);
  EXPECT_EQ(stage.truncated_lines(), 2u);
}

TEST(LinesStageTest, InterleavedFilesKeepTheirOwnPartialLines) {
  ChunkMaker maker;
  LinesStage stage;
  auto a1 = Frame(stage, maker.Data(0, "a-one\na-t"));
  auto b1 = Frame(stage, maker.Data(1, "b-one\nb-t"));
  EXPECT_EQ(stage.open_files(), 2u);
  auto a2 = Frame(stage, maker.Data(0, "wo\n"));
  auto b2 = Frame(stage, maker.End(1));
  auto a3 = Frame(stage, maker.End(0));
  EXPECT_EQ(Lines(*a1), (Strings{"a-one"}));
  EXPECT_EQ(Lines(*b1), (Strings{"b-one"}));
  EXPECT_EQ(Lines(*a2), (Strings{"a-two"}));
  EXPECT_EQ(Lines(*b2), (Strings{"b-t"}));
  EXPECT_TRUE(a3->records.empty());
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(LinesStageTest, FileEndingInAnErrorDropsItsCutLastLine) {
  ChunkMaker maker;
  LinesStage stage;
  auto b1 = Frame(stage, maker.Data(0, "whole\ncut in the mid"));
  flow::ChunkPtr end = maker.End(0);
  auto failed = std::make_shared<flow::Chunk>(*end);
  failed->error = Error(ErrorCode::kCancelled, "interrupted");
  auto b2 = Frame(stage, failed);
  EXPECT_EQ(Lines(*b1), (Strings{"whole"}));
  EXPECT_TRUE(b2->records.empty()) << "a partial line passed on as a whole one";
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(LinesStageTest, EmptyOrFailedFileGivesOnlyItsEndMessage) {
  ChunkMaker maker;
  LinesStage stage;
  flow::ChunkPtr end = maker.End(7);
  auto failed = std::make_shared<flow::Chunk>(*end);
  failed->error = Error::FromErrno(ENOENT, "open");
  EXPECT_TRUE(Frame(stage, end)->records.empty());
  EXPECT_TRUE(Frame(stage, failed)->records.empty());
  EXPECT_EQ(stage.lines(), 0u);
  EXPECT_EQ(stage.open_files(), 0u);
}

// --- ParseStage ---

// A batch whose records view `lines` (which must outlive it).
flow::RecordBatch Batch(const Strings& lines) {
  flow::RecordBatch batch;
  for (const std::string& line : lines) batch.records.emplace_back().raw = line;
  return batch;
}

std::string Str(const flow::Record& r, std::string_view name) {
  const flow::Field* f = r.Find(name);
  if (f == nullptr) return "<missing>";
  if (f->value.type == flow::ValueType::kNull) return "<null>";
  if (f->value.type == flow::ValueType::kInt) return "i:" + std::to_string(f->value.i);
  if (f->value.type == flow::ValueType::kBool) return f->value.b ? "true" : "false";
  return std::string(f->value.s);
}

TEST(LinesStageTest, LaterBatchesOfAFileCarryItsHead) {
  ChunkMaker maker;
  LinesStage stage;
  // File 0 starts as JSON lines; its second chunk alone would look like logfmt.
  auto a1 = Frame(stage, maker.Data(0, "\n{\"a\":1}\n  \n{\"a\":2}\n"));
  auto a2 = Frame(stage, maker.Data(0, "k=v x=y\nk=w x=z\n"));
  // File 1 (interleaved) is syslog; its end message carries the head too.
  auto b1 = Frame(stage, maker.Data(1, "<13>Jan  2 03:04:05 host app: hi\n"));
  auto a3 = Frame(stage, maker.End(0));
  auto b2 = Frame(stage, maker.End(1));
  // The first batch with lines has its head in its own records; the later ones share a copy
  // of its non-blank lines.
  EXPECT_EQ(a1->head, nullptr);
  ASSERT_NE(a2->head, nullptr);
  EXPECT_EQ(a2->head->lines, (std::vector<std::string_view>{"{\"a\":1}", "{\"a\":2}"}));
  EXPECT_EQ(a3->head, a2->head);
  EXPECT_EQ(b1->head, nullptr);
  ASSERT_NE(b2->head, nullptr);
  EXPECT_EQ(b2->head->lines, (std::vector<std::string_view>{"<13>Jan  2 03:04:05 host app: hi"}));
  // A file without lines has no head; nor does a file whose first chunk is its last.
  EXPECT_EQ(Frame(stage, maker.End(2))->head, nullptr);
  EXPECT_EQ(Frame(stage, maker.Last(3, "x\n"))->head, nullptr);

  // The parse stage without a format decides from the head, so the whole file is parsed one
  // way: the logfmt-looking chunk of the JSON file fails as JSON instead of being parsed as
  // logfmt.
  ParseStage parse(LogFormat::kAuto, 2026);
  parse.Process(*a1);
  EXPECT_EQ(a1->format_hint, "json");
  EXPECT_TRUE(a1->records[1].ok());
  parse.Process(*a2);
  EXPECT_EQ(a2->format_hint, "json");
  ASSERT_EQ(a2->records.size(), 2u);
  EXPECT_FALSE(a2->records[0].ok());
  parse.Process(*a3);
  EXPECT_EQ(a3->format_hint, "json");
  parse.Process(*b2);
  EXPECT_EQ(b2->format_hint, "syslog");
  // Without a head, a batch's own first lines decide.
  a2->head.reset();
  for (flow::Record& r : a2->records) {
    r.error = {};
    r.fields.clear();
  }
  parse.Process(*a2);
  EXPECT_EQ(a2->format_hint, "logfmt");
  EXPECT_TRUE(a2->records[0].ok());
  EXPECT_EQ(Str(a2->records[0], "k"), "v");
}

// Lines of `n` kinds: `good` lines that parse as `line`, then bad ones.
Strings Mixed(const std::string& line, std::size_t good, const std::string& bad, std::size_t n) {
  Strings lines;
  for (std::size_t i = 0; i < n; ++i) lines.push_back(i < good ? line : bad);
  return lines;
}

TEST(ParseStageTest, AFormatIsChosenOnlyWhenNineTenthsOfTheHeadParse) {
  const std::string access =
      R"(203.0.113.9 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "curl")";
  const std::string junk = "-- not a log line --";
  ParseStage parse(LogFormat::kAuto, 2026);
  // 58 of 64 is 90.6%: access, and the 6 others are access errors.
  {
    const Strings lines = Mixed(access, 58, junk, 64);
    flow::RecordBatch batch = Batch(lines);
    parse.Process(batch);
    EXPECT_EQ(batch.format_hint, "access");
    EXPECT_EQ(batch.format_note, "");
    EXPECT_TRUE(batch.records[0].ok());
    EXPECT_EQ(Str(batch.records[0], "status"), "i:200");
    EXPECT_FALSE(batch.records[63].ok());
  }
  // 57 of 64 is 89%: raw, every line whole, and a note that says why.
  {
    const Strings lines = Mixed(access, 57, junk, 64);
    flow::RecordBatch batch = Batch(lines);
    parse.Process(batch);
    EXPECT_EQ(batch.format_hint, "raw");
    EXPECT_EQ(batch.format_note,
              "format not recognised (best: access, 57 of 64 lines; 90% needed): read as raw");
    for (const flow::Record& r : batch.records) {
      ASSERT_TRUE(r.ok()) << r.error;
      EXPECT_EQ(Str(r, "message"), r.raw);
    }
  }
  // The note's count is the whole head's, also for a format given up early: 50 good lines
  // after 14 bad ones (the first seven bad ones gave access up).
  {
    Strings lines = Mixed(junk, 7, access, 64);
    for (int i = 0; i < 7; ++i) lines[static_cast<std::size_t>(20 + i)] = junk;
    flow::RecordBatch batch = Batch(lines);
    batch.records[0].raw = access;  // one success before access is given up
    parse.Process(batch);
    EXPECT_EQ(batch.format_hint, "raw");
    EXPECT_EQ(batch.format_note,
              "format not recognised (best: access, 51 of 64 lines; 90% needed): read as raw");
  }
  // Only the head counts: lines after the 64th do not.
  {
    Strings lines = Mixed(access, 64, junk, 64);
    for (int i = 0; i < 100; ++i) lines.push_back(junk);
    flow::RecordBatch batch = Batch(lines);
    parse.Process(batch);
    EXPECT_EQ(batch.format_hint, "access");
  }
  // Blank lines do not count; a file of nothing else has no format.
  {
    const Strings lines = {"", "  ", "\t\r"};
    flow::RecordBatch batch = Batch(lines);
    parse.Process(batch);
    EXPECT_EQ(batch.format_hint, "");
    EXPECT_EQ(batch.format_note, "");
  }
  // No format at all: plain text, read as raw without a note.
  {
    const Strings lines = Mixed(junk, 3, junk, 3);
    flow::RecordBatch batch = Batch(lines);
    parse.Process(batch);
    EXPECT_EQ(batch.format_hint, "raw");
    EXPECT_EQ(batch.format_note, "");  // text that is no log: counted as raw, no note
  }
}

TEST(ParseStageTest, DetectionOfRealWorldLines) {
  const TimeContext now = TimeContext::Now();
  const auto detect = [&](const Strings& lines) {
    std::vector<std::string_view> views(lines.begin(), lines.end());
    return LogFormatName(DetectLogFormat(views, now).format);
  };
  // rsyslog's traditional file format, as in /var/log/auth.log.
  EXPECT_EQ(detect({"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
                    "Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user "
                    "webmaster [preauth]",
                    "Dec 10 07:02:47 LabSZ sshd[24203]: Connection closed by 212.47.254.145 "
                    "[preauth]"}),
            "syslog");
  EXPECT_EQ(detect({"2026-12-05T21:27:01.123456+00:00 web-01 CRON[1]: (root) CMD (true)"}),
            "syslog");
  EXPECT_EQ(detect({R"({"level":"info","msg":"x"})"}), "json");
  EXPECT_EQ(detect({"ts=2026-12-05T21:27:01Z level=info msg=\"x y\""}), "logfmt");
  // A log4j line is never access.
  EXPECT_NE(detect({"2015-10-18 18:01:47,978 INFO [main] "
                    "org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster"}),
            "access");
}

TEST(ParseStageTest, ParseLogFormatKnowsTheNames) {
  const std::pair<const char*, LogFormat> known[] = {{"access", LogFormat::kAccess},
                                                     {"json", LogFormat::kJson},
                                                     {"syslog", LogFormat::kSyslog},
                                                     {"logfmt", LogFormat::kLogfmt},
                                                     {"raw", LogFormat::kRaw}};
  for (const auto& [name, format] : known) {
    auto parsed = ParseLogFormat(name);
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, format);
    EXPECT_EQ(LogFormatName(format), name);
  }
  for (const char* bad : {"x", "", "JSON", "access "}) {
    auto parsed = ParseLogFormat(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message(), "unknown format \"" + std::string(bad) +
                                            "\"; known: auto, access, apache_error, nginx_error, "
                                            "syslog, applog, logcat, glog, cri, "
                                            "docker, json, logfmt, grok, regex, raw");
  }
}

TEST(ParseStageTest, AccessLinesGetTheirFields) {
  const Strings lines = {
      R"(203.0.113.9 - alice [10/Oct/2026:13:55:36 -0700] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8.0")",
      R"(198.51.100.2 - - [01/Jan/2026:00:00:00 +0000] "POST /x HTTP/2.0" 404 -)"};
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kAccess, 2026).Process(batch);
  const flow::Record& a = batch.records[0];
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(Str(a, "remote_addr"), "203.0.113.9");
  EXPECT_EQ(Str(a, "remote_user"), "alice");
  EXPECT_EQ(Str(a, "time"), "2026-10-10T13:55:36-07:00");
  EXPECT_EQ(Str(a, "method"), "GET");
  EXPECT_EQ(Str(a, "path"), "/a?b=1");
  EXPECT_EQ(Str(a, "status"), "i:200");
  EXPECT_EQ(Str(a, "bytes"), "i:512");
  EXPECT_EQ(Str(a, "referer"), "<null>");
  EXPECT_EQ(Str(a, "user_agent"), "curl/8.0");
  const flow::Record& b = batch.records[1];
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(Str(b, "remote_user"), "<null>");
  EXPECT_EQ(Str(b, "time"), "2026-01-01T00:00:00+00:00");
  EXPECT_EQ(Str(b, "status"), "i:404");
  EXPECT_EQ(Str(b, "bytes"), "i:0");
  EXPECT_EQ(b.Find("referer"), nullptr);
}

TEST(ParseStageTest, JsonLinesGetTheirFields) {
  const Strings lines = {R"({"level":"info","n":3,"ok":true,"msg":"a\"b","tags":[1,2]})"};
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kJson, 2026).Process(batch);
  const flow::Record& r = batch.records[0];
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(Str(r, "level"), "info");
  EXPECT_EQ(Str(r, "n"), "i:3");
  EXPECT_EQ(Str(r, "ok"), "true");
  EXPECT_EQ(Str(r, "msg"), "a\"b");  // unescaped into the batch's arena
  EXPECT_EQ(Str(r, "tags"), "[1,2]");
}

TEST(ParseStageTest, FieldsTakeTheirExactCountFromTheBatchMemory) {
  // A huge object first (its fields must not linger in the next lines), then small lines.
  std::string huge = "{";
  for (int i = 0; i < 5000; ++i) huge += (i > 0 ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  huge += "}";
  const Strings lines = {huge, R"({"a":1,"b":"x"})", "not json", R"({})", R"({"c":null})"};
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kJson, 2026).Process(batch);
  const std::size_t expected[] = {5000, 2, 0, 0, 1};
  ASSERT_EQ(batch.records.size(), std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    const flow::Record& r = batch.records[i];
    EXPECT_EQ(r.ok(), i != 2) << i;
    EXPECT_EQ(r.fields.size(), expected[i]) << i;
    EXPECT_EQ(r.fields.capacity(), expected[i]) << i;
    EXPECT_EQ(r.fields.get_allocator().resource(), batch.memory.get()) << i;
  }
  EXPECT_EQ(Str(batch.records[0], "k4999"), "i:1");
  EXPECT_EQ(Str(batch.records[1], "b"), "x");
  EXPECT_EQ(batch.records[2].error, "not valid JSON");
}

TEST(ParseStageTest, SyslogUsesTheGivenYear) {
  const Strings lines = {"<34>Oct  3 04:05:06 web1 sshd[42]: Accepted key",
                         "<165>1 2026-10-11T22:14:15.003Z host app 7 ID47 - hello"};
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kSyslog, 2019).Process(batch);
  const flow::Record& bsd = batch.records[0];
  ASSERT_TRUE(bsd.ok()) << bsd.error;
  EXPECT_EQ(Str(bsd, "time"), "2019-10-03T04:05:06");
  EXPECT_EQ(Str(bsd, "host"), "web1");
  EXPECT_EQ(Str(bsd, "app"), "sshd");
  EXPECT_EQ(Str(bsd, "pid"), "i:42");
  EXPECT_EQ(Str(bsd, "message"), "Accepted key");
  const flow::Record& rfc = batch.records[1];
  ASSERT_TRUE(rfc.ok()) << rfc.error;
  EXPECT_EQ(Str(rfc, "time"), "2026-10-11T22:14:15.003Z");
  EXPECT_EQ(Str(rfc, "msgid"), "ID47");
  EXPECT_EQ(Str(rfc, "message"), "hello");
}

TEST(ParseStageTest, LogfmtAndRawLines) {
  const Strings lines = {R"(level=warn n=5 msg="disk \"full\"" debug)"};
  flow::RecordBatch logfmt = Batch(lines);
  ParseStage(LogFormat::kLogfmt, 2026).Process(logfmt);
  const flow::Record& r = logfmt.records[0];
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(Str(r, "level"), "warn");
  EXPECT_EQ(Str(r, "n"), "i:5");
  EXPECT_EQ(Str(r, "msg"), "disk \"full\"");
  EXPECT_EQ(Str(r, "debug"), "true");

  flow::RecordBatch raw = Batch(lines);
  ParseStage(LogFormat::kRaw, 2026).Process(raw);
  ASSERT_EQ(raw.records[0].fields.size(), 1u);
  EXPECT_EQ(Str(raw.records[0], "message"), lines[0]);
}

TEST(ParseStageTest, BadLineKeepsRawAndErrorAndTruncatedFlag) {
  for (LogFormat format :
       {LogFormat::kAccess, LogFormat::kJson, LogFormat::kSyslog, LogFormat::kLogfmt}) {
    const Strings lines = {"=not a valid line in {any format", "=also bad"};
    flow::RecordBatch batch = Batch(lines);
    batch.records[1].truncated = true;
    ParseStage(format, 2026).Process(batch);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const flow::Record& r = batch.records[i];
      EXPECT_FALSE(r.ok()) << LogFormatName(format) << " " << i;
      EXPECT_EQ(r.raw, lines[i]);
      EXPECT_TRUE(r.fields.empty());
    }
    EXPECT_FALSE(batch.records[0].truncated);
    EXPECT_TRUE(batch.records[1].truncated) << LogFormatName(format);
  }
}

TEST(ParseStageTest, GoodTruncatedLineStaysFlaggedAndEarlierErrorsStay) {
  const Strings lines = {"a=1 b=2", "c=3"};
  flow::RecordBatch batch = Batch(lines);
  batch.records[0].truncated = true;
  batch.records[1].error = "failed upstream";
  ParseStage(LogFormat::kLogfmt, 2026).Process(batch);
  EXPECT_TRUE(batch.records[0].ok());
  EXPECT_TRUE(batch.records[0].truncated);
  EXPECT_EQ(batch.records[0].fields.size(), 2u);
  EXPECT_EQ(batch.records[1].error, "failed upstream");
  EXPECT_TRUE(batch.records[1].fields.empty());
}

// --- JsonSink ---

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Python's json module as the independent oracle: every line of `path` is one JSON value.
int PythonJsonCheck(const std::string& path) {
  const std::string cmd =
      "python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], "
      "encoding=\"utf-8\")]' '" +
      path + "'";
  return std::system(cmd.c_str());
}

// Files in `dir` whose name contains ".tmp-".
int TempFiles(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) ++n;
  }
  return n;
}

TEST(JsonSinkTest, FileAppearsOnlyAfterCloseAndParsesAsJson) {
  TempDir dir;
  const std::string path = dir.Join("out.json");
  WriteFile(path, "old contents\n");  // replaced atomically, never appended to
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(path));
  EXPECT_EQ(TempFiles(dir.path()), 1);
  // Enough records for several 1 MiB flushes, with bytes that need escaping.
  Strings lines;
  for (int i = 0; i < 30000; ++i) {
    lines.push_back("line " + std::to_string(i) + " \"q\" \\ \t \x01 \xff " + std::string(40, 'x'));
  }
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kRaw, 2026).Process(batch);
  batch.records[3].truncated = true;
  batch.records[5].error = "bad";
  batch.records[5].fields.clear();
  ASSERT_OK(sink->Write(batch));
  flow::RecordBatch end;
  end.end = true;
  ASSERT_OK(sink->Write(end));
  EXPECT_EQ(ReadAll(path), "old contents\n");  // not yet replaced
  ASSERT_OK(sink->Close());
  EXPECT_OK(sink->Close());  // idempotent
  EXPECT_EQ(TempFiles(dir.path()), 0);
  EXPECT_EQ(sink->records_written(), 30000u);
  const std::string out = ReadAll(path);
  EXPECT_EQ(sink->bytes_written(), out.size());
  EXPECT_EQ(static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')), 30000u);
  EXPECT_NE(out.find("\"_truncated\":true"), std::string::npos);
  EXPECT_NE(out.find("{\"_error\":\"bad\",\"_raw\":\"line 5 "), std::string::npos);
  EXPECT_EQ(PythonJsonCheck(path), 0);
}

TEST(JsonSinkTest, AbortOrDestructionWithoutCloseLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.Join("never.json");
  const Strings lines = {"x"};
  flow::RecordBatch batch = Batch(lines);
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(path));
    ASSERT_OK(sink->Write(batch));
    sink->Abort();
    EXPECT_EQ(TempFiles(dir.path()), 0);
    auto closed = sink->Close();
    ASSERT_FALSE(closed.ok());
    EXPECT_EQ(closed.error().code(), ErrorCode::kCancelled);
    EXPECT_FALSE(sink->Write(batch).ok());
  }
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(path));
    ASSERT_OK(sink->Write(batch));
  }
  EXPECT_EQ(TempFiles(dir.path()), 0);
  EXPECT_FALSE(Exists(path));
}

TEST(JsonSinkTest, BadPathsAreErrorsNamingThePath) {
  TempDir dir;
  auto is_dir = JsonSink::Open(dir.path().string());
  ASSERT_FALSE(is_dir.ok());
  EXPECT_EQ(is_dir.error().code(), ErrorCode::kIsDirectory);
  EXPECT_NE(is_dir.error().message().find(dir.path().string()), std::string::npos);

  const std::string missing = dir.Join("no/such/dir/out.json");
  auto no_dir = JsonSink::Open(missing);
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(no_dir.error().message().find(dir.Join("no/such/dir/")), std::string::npos)
      << no_dir.error().message();
}

TEST(JsonSinkTest, DashMeansStdout) {
  for (const char* path : {"-", ""}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(path));
    EXPECT_EQ(sink->name(), "stdout");
    EXPECT_OK(sink->Close());  // nothing buffered: writes nothing
    EXPECT_EQ(sink->bytes_written(), 0u);
  }
}

TEST(JsonSinkTest, FullDeviceGivesEnospcWithTheName) {
  const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "no /dev/full";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::OpenFd(fd, "/dev/full"));
  const Strings lines(10, std::string(200, 'y'));
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kRaw, 2026).Process(batch);
  // Small batches stay in the buffer; the error comes at the flush (here, Close).
  ASSERT_OK(sink->Write(batch));
  Status closed = sink->Close();
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(closed.error().sys_errno(), ENOSPC);
  EXPECT_EQ(closed.error().message(), "write /dev/full: No space left on device (ENOSPC)");
  EXPECT_FALSE(sink->Close().ok());

  // A batch bigger than the buffer fails in Write itself, and the error sticks.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> big, JsonSink::OpenFd(fd, "/dev/full"));
  const Strings many(6000, std::string(200, 'z'));
  flow::RecordBatch large = Batch(many);
  ParseStage(LogFormat::kRaw, 2026).Process(large);  // each record ~220 bytes of JSON
  Status written = big->Write(large);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().sys_errno(), ENOSPC);
  EXPECT_FALSE(big->Write(batch).ok());
  EXPECT_FALSE(big->Close().ok());
  ::close(fd);
}

TEST(JsonSinkTest, AppendWritesInPlaceAndKeepsWhatWasThere) {
  TempDir dir;
  const std::string path = dir.Join("log.ndjson");
  WriteFile(path, "{\"old\":1}\n");
  const Strings lines = {"new"};
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kRaw, 2026).Process(batch);
  for (int run = 0; run < 2; ++run) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(path, true, true));
    EXPECT_EQ(sink->temp_path(), "");
    EXPECT_EQ(TempFiles(dir.path()), 0);
    ASSERT_OK(sink->Write(batch));
    ASSERT_OK(sink->Close());
  }
  EXPECT_EQ(ReadAll(path), "{\"old\":1}\n{\"message\":\"new\"}\n{\"message\":\"new\"}\n");
  // A missing file is created.
  const std::string fresh = dir.Join("fresh.ndjson");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(fresh, true, true));
  ASSERT_OK(sink->Write(batch));
  ASSERT_OK(sink->Close());
  EXPECT_EQ(ReadAll(fresh), "{\"message\":\"new\"}\n");
}

TEST(JsonSinkTest, OutputsOfSeveralWriteBackWindowsComeOutWholeAppendedOrNot) {
  // Past its start and two windows the sink waits for the disk and drops the written pages
  // (WriteBehind): the bytes must all be there, in order, after what an appended file held
  // before. Small windows (the defaults would take a GiB of disk).
  TempDir dir;
  const std::size_t piece = std::size_t{1} << 20;
  const uint64_t start = 6 * piece, window = 4 * piece;
  const std::size_t pieces = (start + 2 * window) / piece + 5;
  std::string expected;
  for (int append = 0; append < 2; ++append) {
    SCOPED_TRACE(append ? "--append" : "temporary file");
    const std::string path = dir.Join(append ? "appended.ndjson" : "out.ndjson");
    const std::string before = append ? std::string(1000, 'o') + "\n" : "";
    if (append) WriteFile(path, before);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink,
                         JsonSink::Open(path, /*fsync=*/append == 0, /*append=*/append == 1));
    sink->SetWriteBehind(start, window);
    expected = before;
    flow::RecordBatch no_records(64);
    for (std::size_t i = 0; i < pieces; ++i) {
      // Each piece different (its number on every line), so a piece out of place shows.
      std::string bytes;
      const std::string line = "{\"piece\":" + std::to_string(i) + "}\n";
      while (bytes.size() + line.size() <= piece) bytes += line;
      ASSERT_OK(sink->WriteFormatted(0, no_records, bytes));
      expected += bytes;
    }
    ASSERT_OK(sink->Close());
    const std::string got = ReadAll(path);
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_TRUE(got == expected) << "the output differs from what was written";
  }
}

TEST(JsonSinkTest, DevicesAreWrittenInPlaceNeverReplaced) {
  struct stat before;
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  const Strings lines = {"x"};
  flow::RecordBatch batch = Batch(lines);
  ParseStage(LogFormat::kRaw, 2026).Process(batch);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open("/dev/null"));
  EXPECT_EQ(sink->temp_path(), "");
  ASSERT_OK(sink->Write(batch));
  ASSERT_OK(sink->Close());  // no fsync (EINVAL on a device), no rename
  struct stat after;
  ASSERT_EQ(::stat("/dev/null", &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode));
  EXPECT_EQ(after.st_rdev, before.st_rdev);
  EXPECT_EQ(after.st_ino, before.st_ino);
  // A FIFO with a reader gets the bytes.
  TempDir dir;
  const std::string fifo = dir.Join("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> to_fifo, JsonSink::Open(fifo));
  ASSERT_OK(to_fifo->Write(batch));
  ASSERT_OK(to_fifo->Close());
  char buf[64] = {};
  const ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0))),
            "{\"message\":\"x\"}\n");
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

// --- End to end ---

flow::SourceOptions SmallSource() {
  flow::SourceOptions o;
  o.buffer_size = 4096;
  o.buffers = 8;
  o.max_messages = 12;
  o.reader.max_open_files = 4;
  o.reader.reads_per_file = 2;
  o.engine.file_slots = 4;
  return o;
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  return out;
}

TEST(StagesPipelineTest, AccessLogsBecomeOneJsonLinePerInputLine) {
  TempDir dir;
  const std::string corpus = dir.Join("corpus");
  const std::filesystem::path script =
      std::filesystem::path(__FILE__).parent_path() / "testing" / "gen_corpus.py";
  const std::string gen =
      "python3 '" + script.string() + "' '" + corpus + "' -q --seed 5 --formats access --small 40";
  ASSERT_EQ(std::system(gen.c_str()), 0) << gen;
  std::vector<uring::ReadJob> jobs;
  for (const auto& e : std::filesystem::recursive_directory_iterator(corpus)) {
    if (e.path().extension() == ".log") jobs.push_back({jobs.size(), e.path().string()});
  }
  // One more file with a BOM, CRLF, a bad line and no final newline.
  jobs.push_back({jobs.size(), dir.Join("extra.log")});
  WriteFile(
      jobs.back().path,
      "\xEF\xBB\xBF"
      R"(192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1)"
      "\r\nnot an access line\r\n" +
          std::string(R"(192.0.2.1 - - [10/Oct/2026:13:55:37 +0000] "GET / HTTP/1.1" 200 2)"));
  ASSERT_GT(jobs.size(), 30u);

  // The oracle: `wc -l` counts '\n', so the extra file's last line is added by hand.
  std::string cat = "cat";
  for (const uring::ReadJob& job : jobs) cat += " '" + job.path + "'";
  const uint64_t expected = std::stoull(Shell(cat + " | wc -l")) + 1;

  const std::string out = dir.Join("out/records.json");
  std::filesystem::create_directories(dir.Join("out"));
  uring::VectorSource source(jobs);
  LinesStage lines;
  ParseStage parse(LogFormat::kAccess, 2026);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JsonSink> sink, JsonSink::Open(out));
  ASSERT_OK_AND_ASSIGN(flow::PipelineStats stats,
                       flow::RunPipeline(source, SmallSource(), lines, {&parse}, *sink));
  EXPECT_EQ(stats.records, expected);
  EXPECT_EQ(lines.lines(), expected);
  EXPECT_EQ(sink->records_written(), expected);
  EXPECT_EQ(lines.open_files(), 0u);
  EXPECT_EQ(std::stoull(Shell("wc -l < '" + out + "'")), expected);
  EXPECT_EQ(PythonJsonCheck(out), 0);
  const std::string json = ReadAll(out);
  // Generated lines all parse; only the one bad line comes out as an error record, whole.
  EXPECT_EQ(std::stoull(Shell("grep -c '\"_error\"' '" + out + "'")), 1u);
  EXPECT_NE(json.find("\"_raw\":\"not an access line\"}"), std::string::npos);
  EXPECT_NE(json.find("{\"remote_addr\":\"192.0.2.1\""), std::string::npos);  // BOM dropped
  EXPECT_EQ(TempFiles(dir.Join("out")), 0);
}

}  // namespace
}  // namespace ringflow::stages

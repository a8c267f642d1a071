// Tests for multiline records (stages/multiline.h) and the "lines" stage that joins them: each
// preset on the layouts the runtimes print (a Java exception with causes and "... N more", Python
// tracebacks with chained exceptions, a Go panic with its goroutine dump), custom patterns with
// negate, records split across chunk boundaries of every size, the end of a file, the limits,
// and input lines counted apart from records; CRI partial lines joined per stream.
#include "stages/multiline.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/config/pipeline_config.h"
#include "framework/run/registry.h"
#include "stages/builtins.h"
#include "stages/lines_stage.h"
#include "stages/log_time.h"
#include "stages/parse_cri.h"
#include "tests/testing/chunk_maker.h"
#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using Strings = std::vector<std::string>;
using testing::ChunkMaker;
using testing::Frame;

std::shared_ptr<const MultilineRule> Rule(MultilineOptions options) {
  auto rule = MultilineRule::Create(options);
  EXPECT_TRUE(rule.ok()) << (rule.ok() ? "" : rule.error().message());
  return rule.ok() ? std::move(rule).value() : nullptr;
}

std::shared_ptr<const MultilineRule> Preset(MultilinePreset preset) {
  MultilineOptions options;
  options.preset = preset;
  return Rule(options);
}

// "text" or "text [cut]" per record.
void Collect(const flow::RecordBatch& batch, Strings& out) {
  for (const flow::Record& r : batch.records) {
    out.push_back(std::string(r.raw) + (r.truncated ? " [cut]" : ""));
  }
}

struct Framed {
  Strings records;
  uint64_t lines = 0;  // LinesStage::lines()
};

// Frames `text` as one file in chunks of `chunk_size` bytes (the last one in the end message),
// with a new stage. Batches are dropped as soon as their records are copied, as a pipeline does.
Framed FrameFile(std::shared_ptr<const MultilineRule> rule, std::string_view text,
                 std::size_t chunk_size = 4096, FramerOptions framer = {}) {
  ChunkMaker maker;
  LinesStage stage(framer, std::move(rule));
  Framed out;
  while (text.size() > chunk_size) {
    Collect(*Frame(stage, maker.Data(7, text.substr(0, chunk_size))), out.records);
    text.remove_prefix(chunk_size);
  }
  Collect(*Frame(stage, maker.Last(7, text)), out.records);
  EXPECT_EQ(stage.open_files(), 0u);
  out.lines = stage.lines();
  return out;
}

// FrameFile with every chunk size from 1 byte up to the whole text: all give `expected`.
void ExpectAtEveryChunkSize(const std::shared_ptr<const MultilineRule>& rule, std::string_view text,
                            const Strings& expected, FramerOptions framer = {}) {
  const std::size_t whole = std::min<std::size_t>(text.size(), 4096);
  for (std::size_t size = 1; size <= whole; ++size) {
    const Framed framed = FrameFile(rule, text, size, framer);
    ASSERT_EQ(framed.records, expected) << "chunks of " << size << " bytes";
  }
}

uint64_t CountLines(std::string_view text) {
  uint64_t n = 0;
  for (char c : text) n += c == '\n' ? 1u : 0u;
  return n + (!text.empty() && text.back() != '\n' ? 1u : 0u);
}

// --- java ---

constexpr std::string_view kJavaLog =
    "2026-12-05 21:27:01,123 INFO  [main] com.acme.App: starting\n"
    "2026-12-05 21:27:02,456 ERROR [main] com.acme.App: request failed\n"
    "java.lang.IllegalStateException: could not load order 42\n"
    "\tat com.acme.orders.OrderService.load(OrderService.java:88)\n"
    "\tat com.acme.App.main(App.java:17)\n"
    "Caused by: java.sql.SQLException: connection refused\n"
    "\tat org.postgresql.Driver.connect(Driver.java:285)\n"
    "\tat com.acme.orders.OrderService.load(OrderService.java:80)\n"
    "\t... 12 more\n"
    "\tSuppressed: java.io.IOException: close failed\n"
    "\t\tat com.acme.db.Pool.close(Pool.java:40)\n"
    "\t\t... 13 more\n"
    "2026-12-05 21:27:03,789 INFO  [main] com.acme.App: retrying\n"
    "Exception in thread \"main\" java.lang.NullPointerException: order is null\n"
    "\tat com.acme.App.main(App.java:20)\n";

TEST(MultilineJavaTest, ExceptionWithCausesJoinsItsLogLine) {
  const Framed framed = FrameFile(Preset(MultilinePreset::kJava), kJavaLog);
  ASSERT_EQ(framed.records.size(), 4u);
  EXPECT_EQ(framed.records[0], "2026-12-05 21:27:01,123 INFO  [main] com.acme.App: starting");
  EXPECT_EQ(framed.records[1],
            "2026-12-05 21:27:02,456 ERROR [main] com.acme.App: request failed\n"
            "java.lang.IllegalStateException: could not load order 42\n"
            "\tat com.acme.orders.OrderService.load(OrderService.java:88)\n"
            "\tat com.acme.App.main(App.java:17)\n"
            "Caused by: java.sql.SQLException: connection refused\n"
            "\tat org.postgresql.Driver.connect(Driver.java:285)\n"
            "\tat com.acme.orders.OrderService.load(OrderService.java:80)\n"
            "\t... 12 more\n"
            "\tSuppressed: java.io.IOException: close failed\n"
            "\t\tat com.acme.db.Pool.close(Pool.java:40)\n"
            "\t\t... 13 more");
  EXPECT_EQ(framed.records[2], "2026-12-05 21:27:03,789 INFO  [main] com.acme.App: retrying");
  EXPECT_EQ(framed.records[3],
            "Exception in thread \"main\" java.lang.NullPointerException: order is null\n"
            "\tat com.acme.App.main(App.java:20)");
  EXPECT_EQ(framed.lines, 15u);
}

TEST(MultilineJavaTest, SameRecordsAtEveryChunkBoundary) {
  const Framed whole = FrameFile(Preset(MultilinePreset::kJava), kJavaLog);
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kJava), kJavaLog, whole.records);
}

TEST(MultilineJavaTest, WhichLinesContinue) {
  auto rule = Preset(MultilinePreset::kJava);
  MultilineState state = 0;
  for (std::string_view line :
       {"\tat a.B.c(B.java:1)", "    at a.B.c(B.java:1)", "Caused by: x.Y: z", "... 3 more",
        "Suppressed: a.b.CException", "java.lang.OutOfMemoryError: Java heap space",
        "com.acme.Outer$BadThingException", "org.x.Throwable: y", " "}) {
    EXPECT_TRUE(rule->Continues(line, state)) << line;
  }
  for (std::string_view line :
       {"", "2026-12-05 ERROR x", "Exception in thread \"main\" java.lang.Error", "... more",
        "java.lang.String: not an exception", "ExceptionWithoutPackage: x", ".a.BException: x",
        "INFO com.acme.SomeException seen", "at a.B.c(B.java:1)"}) {
    EXPECT_FALSE(rule->Continues(line, state)) << line;
  }
}

// --- python ---

constexpr std::string_view kPythonLog =
    "2026-12-05 21:27:01,123 INFO app: start\n"
    "2026-12-05 21:27:02,456 ERROR app: job 7 failed\n"
    "Traceback (most recent call last):\n"
    "  File \"/srv/app/jobs.py\", line 12, in run\n"
    "    result = compute(data)\n"
    "             ^^^^^^^^^^^^^\n"
    "  File \"/srv/app/jobs.py\", line 5, in compute\n"
    "    return 1 / len(data)\n"
    "           ~~^~~~~~~~~~~\n"
    "ZeroDivisionError: division by zero\n"
    "\n"
    "During handling of the above exception, another exception occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/srv/app/jobs.py\", line 14, in run\n"
    "    raise JobError(\"job 7 failed\")\n"
    "app.errors.JobError: job 7 failed\n"
    "\n"
    "The above exception was the direct cause of the following exception:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/srv/app/main.py\", line 3, in <module>\n"
    "    run_all()\n"
    "RuntimeError: batch failed\n"
    "2026-12-05 21:27:03,789 INFO app: next\n"
    "    with a continued message\n";

TEST(MultilinePythonTest, ChainedTracebackJoinsItsLogLine) {
  const Framed framed = FrameFile(Preset(MultilinePreset::kPython), kPythonLog);
  ASSERT_EQ(framed.records.size(), 3u);
  EXPECT_EQ(framed.records[0], "2026-12-05 21:27:01,123 INFO app: start");
  const std::string_view traceback = kPythonLog.substr(
      kPythonLog.find("2026-12-05 21:27:02"),
      kPythonLog.find("\n2026-12-05 21:27:03") - kPythonLog.find("2026-12-05 21:27:02"));
  EXPECT_EQ(framed.records[1], traceback);
  EXPECT_EQ(framed.records[2],
            "2026-12-05 21:27:03,789 INFO app: next\n    with a continued message");
  EXPECT_EQ(framed.lines, CountLines(kPythonLog));
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kPython), kPythonLog, framed.records);
}

TEST(MultilinePythonTest, TracebackAtTheStartOfAFileAndOneAfterAnother) {
  const std::string_view text =
      "Traceback (most recent call last):\n"
      "  File \"x.py\", line 1, in <module>\n"
      "KeyboardInterrupt\n"
      "starting again\n"
      "Traceback (most recent call last):\n"
      "  File \"x.py\", line 2, in <module>\n"
      "ValueError: bad\n"
      "ValueError: not part of it\n";
  const Framed framed = FrameFile(Preset(MultilinePreset::kPython), text);
  EXPECT_EQ(framed.records,
            (Strings{"Traceback (most recent call last):\n  File \"x.py\", line 1, in "
                     "<module>\nKeyboardInterrupt",
                     "starting again\nTraceback (most recent call last):\n  File \"x.py\", line "
                     "2, in <module>\nValueError: bad",
                     "ValueError: not part of it"}));
}

TEST(MultilinePythonTest, BlankLineAfterATracebackThatChainsNothing) {
  // The blank line might have introduced a chained exception, so it stays with the traceback.
  const std::string_view text =
      "Traceback (most recent call last):\n"
      "  File \"x.py\", line 1, in <module>\n"
      "OSError: [Errno 28] No space left on device\n"
      "\n"
      "next record\n"
      "\n";
  const Framed framed = FrameFile(Preset(MultilinePreset::kPython), text);
  EXPECT_EQ(framed.records, (Strings{"Traceback (most recent call last):\n  File \"x.py\", line "
                                     "1, in <module>\nOSError: [Errno 28] No space left on "
                                     "device\n",
                                     "next record", ""}));
  EXPECT_EQ(framed.lines, 6u);
}

// --- go ---

constexpr std::string_view kGoLog =
    "2026/12/05 21:27:01 starting 2 workers\n"
    "panic: runtime error: index out of range [5] with length 3\n"
    "\n"
    "goroutine 1 [running]:\n"
    "main.process({0xc000012345, 0x3, 0x3})\n"
    "\t/home/dev/app/main.go:14 +0x1d\n"
    "main.main()\n"
    "\t/home/dev/app/main.go:9 +0x45\n"
    "\n"
    "goroutine 18 [chan receive]:\n"
    "net/http.(*conn).serve(0xc0000a8000, {0x7a1f20, 0xc0000b6000})\n"
    "\t/usr/local/go/src/net/http/server.go:2009 +0x61d\n"
    "created by main.main in goroutine 1\n"
    "\t/home/dev/app/main.go:7 +0x2f\n"
    "exit status 2\n"
    "2026/12/05 21:27:04 restarted\n"
    "panic: runtime error: invalid memory address or nil pointer dereference\n"
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x48f7a2]\n"
    "\n"
    "goroutine 1 [running]:\n"
    "panic({0x4a5b60?, 0xc0000140a8?})\n"
    "\t/usr/local/go/src/runtime/panic.go:770 +0x132\n"
    "main.main()\n"
    "\t/app/main.go:8 +0x22\n"
    "2026/12/05 21:27:05 restarted again\n";

TEST(MultilineGoTest, PanicWithItsGoroutineDump) {
  const Framed framed = FrameFile(Preset(MultilinePreset::kGo), kGoLog);
  auto between = [](std::string_view from, std::string_view to) {
    const std::size_t a = kGoLog.find(from);
    return std::string(kGoLog.substr(a, kGoLog.find(to, a) - 1 - a));
  };
  EXPECT_EQ(framed.records,
            (Strings{"2026/12/05 21:27:01 starting 2 workers",
                     between("panic: runtime error: index", "exit status 2"), "exit status 2",
                     "2026/12/05 21:27:04 restarted",
                     between("panic: runtime error: invalid", "2026/12/05 21:27:05"),
                     "2026/12/05 21:27:05 restarted again"}));
  EXPECT_EQ(framed.lines, CountLines(kGoLog));
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kGo), kGoLog, framed.records);
}

TEST(MultilineGoTest, GoroutineDumpWithoutAPanicBeginsARecord) {
  const std::string_view text =
      "2026/12/05 21:27:01 dumping\n"
      "goroutine 7 [running]:\n"
      "runtime/debug.Stack()\n"
      "\t/usr/local/go/src/runtime/debug/stack.go:24 +0x5e\n"
      "2026/12/05 21:27:02 done\n";
  EXPECT_EQ(FrameFile(Preset(MultilinePreset::kGo), text).records,
            (Strings{"2026/12/05 21:27:01 dumping",
                     "goroutine 7 [running]:\nruntime/debug.Stack()\n\t/usr/local/go/src/runtime/"
                     "debug/stack.go:24 +0x5e",
                     "2026/12/05 21:27:02 done"}));
}

// --- indented, custom ---

TEST(MultilineIndentedTest, LinesStartingWithSpaceOrTabContinue) {
  const std::string_view text = "a\n b\n\tc\nd\n\n e\n";
  // A blank line is not indented: it is a record of its own, and " e" continues it.
  const Framed framed = FrameFile(Preset(MultilinePreset::kIndented), text);
  EXPECT_EQ(framed.records, (Strings{"a\n b\n\tc", "d", "\n e"}));
  EXPECT_EQ(framed.lines, 6u);
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kIndented), text, framed.records);
}

constexpr std::string_view kTimestamped =
    "2026-12-05 one\n"
    "  more of one\n"
    "and more\n"
    "2026-12-05 two\n"
    "2026-12-05 three\n"
    "tail of three\n";
const Strings kTimestampedRecords = {"2026-12-05 one\n  more of one\nand more", "2026-12-05 two",
                                     "2026-12-05 three\ntail of three"};

TEST(MultilineCustomTest, StartPattern) {
  MultilineOptions options;
  options.preset = MultilinePreset::kCustom;
  options.start = R"(^\d{4}-\d\d-\d\d )";
  ExpectAtEveryChunkSize(Rule(options), kTimestamped, kTimestampedRecords);
}

TEST(MultilineCustomTest, NegatedContinuePatternIsTheSameRule) {
  MultilineOptions options;
  options.preset = MultilinePreset::kCustom;
  options.continue_pattern = R"(^\d{4}-\d\d-\d\d )";
  options.negate = true;
  ExpectAtEveryChunkSize(Rule(options), kTimestamped, kTimestampedRecords);
}

TEST(MultilineCustomTest, ContinuePatternAndNegatedStartPattern) {
  const std::string_view text = "SELECT a,\n  b\nFROM t\n  WHERE x\nok\n";
  MultilineOptions options;
  options.preset = MultilinePreset::kCustom;
  options.continue_pattern = R"(^\s)";
  const Strings expected = {"SELECT a,\n  b", "FROM t\n  WHERE x", "ok"};
  ExpectAtEveryChunkSize(Rule(options), text, expected);
  options.continue_pattern.clear();
  options.start = R"(^\s)";
  options.negate = true;
  ExpectAtEveryChunkSize(Rule(options), text, expected);
}

TEST(MultilineCustomTest, BadOptionsAreRefused) {
  MultilineOptions options;
  options.preset = MultilinePreset::kCustom;
  EXPECT_FALSE(MultilineRule::Create(options).ok());  // no pattern
  options.start = "^a";
  options.continue_pattern = "^b";
  EXPECT_FALSE(MultilineRule::Create(options).ok());  // both
  options.continue_pattern.clear();
  options.start = "(unclosed";
  auto bad = MultilineRule::Create(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("multiline_start: "), std::string::npos)
      << bad.error().message();
  options.start = "^\xC3\xA9";
  EXPECT_FALSE(MultilineRule::Create(options).ok());  // non-ASCII
  MultilineOptions preset;
  preset.preset = MultilinePreset::kJava;
  preset.start = "^a";
  EXPECT_FALSE(MultilineRule::Create(preset).ok());
  preset.start.clear();
  preset.negate = true;
  EXPECT_FALSE(MultilineRule::Create(preset).ok());
  preset.negate = false;
  preset.max_lines = 0;
  EXPECT_FALSE(MultilineRule::Create(preset).ok());
}

// --- the lines stage with a rule ---

TEST(MultilineLinesTest, RecordInsideOneChunkIsAViewIntoIt) {
  ChunkMaker maker;
  LinesStage stage({}, Preset(MultilinePreset::kIndented));
  auto batch = Frame(stage, maker.Data(1, "a\n b\nc\n d\ne\n"));
  Strings records;
  Collect(*batch, records);
  EXPECT_EQ(records, (Strings{"a\n b", "c\n d"}));  // "e" may still go on
  for (const flow::Record& r : batch->records) EXPECT_TRUE(maker.pool().Contains(r.raw.data()));
  auto end = Frame(stage, maker.End(1));
  records.clear();
  Collect(*end, records);
  EXPECT_EQ(records, (Strings{"e"}));  // the last record at the file's end
  EXPECT_FALSE(maker.pool().Contains(end->records[0].raw.data()));  // copied out of its chunk
  EXPECT_EQ(stage.lines(), 5u);
  // What a run counts as lines read: input lines, not the three records.
  const flow::FramingStage& framing = stage;
  EXPECT_TRUE(framing.frames_lines());
  EXPECT_EQ(framing.lines_framed(), 5u);
}

TEST(MultilineLinesTest, CrlfBomAndFinalLineWithoutNewline) {
  const std::string_view text = "\xEF\xBB\xBFone\r\n two\r\nthree\r\n\tfour";
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kIndented), text,
                         (Strings{"one\n two", "three\n\tfour"}));
}

TEST(MultilineLinesTest, MaxLinesDropsTheRestButCountsIt) {
  MultilineOptions options;
  options.preset = MultilinePreset::kIndented;
  options.max_lines = 3;
  const std::string_view text = "a\n 1\n 2\n 3\n 4\nb\n 1\n 2\nc\n";
  const Framed framed = FrameFile(Rule(options), text);
  EXPECT_EQ(framed.records, (Strings{"a\n 1\n 2 [cut]", "b\n 1\n 2", "c"}));
  EXPECT_EQ(framed.lines, 9u);
  ExpectAtEveryChunkSize(Rule(options), text, framed.records);
}

TEST(MultilineLinesTest, MaxBytesCutsTheJoinedText) {
  MultilineOptions options;
  options.preset = MultilinePreset::kIndented;
  options.max_bytes = 7;
  // "abcd\n e" is 7 bytes: " fgh" and " ij" are dropped; "x\n y" fits; "0123456789" is cut;
  // "pqrstu\n v": no room for any of " v" after the '\n', so the text ends before the '\n'.
  const std::string_view text = "abcd\n efgh\n ij\nx\n y\n0123456789\npqrstu\n v\n";
  const Strings expected = {"abcd\n e [cut]", "x\n y", "0123456 [cut]", "pqrstu [cut]"};
  EXPECT_EQ(FrameFile(Rule(options), text).records, expected);
  ExpectAtEveryChunkSize(Rule(options), text, expected);
  EXPECT_EQ(FrameFile(Rule(options), text).lines, 8u);
}

TEST(MultilineLinesTest, LineCutAtMaxLineBytesFlagsItsRecord) {
  FramerOptions framer;
  framer.max_line_bytes = 4;
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kIndented), "abcdefg\n hi\nj\n",
                         (Strings{"abcd\n hi [cut]", "j"}), framer);
}

TEST(MultilineLinesTest, FileEndingInAnErrorKeepsItsCompleteRecords) {
  ChunkMaker maker;
  LinesStage stage({}, Preset(MultilinePreset::kIndented));
  Strings records;
  Collect(*Frame(stage, maker.Data(1, "a\n b\nc\n d\npartial")), records);
  Collect(*Frame(stage, maker.End(1, "f", Error(ErrorCode::kIo, "read failed"))), records);
  EXPECT_EQ(records, (Strings{"a\n b", "c\n d"}));  // the cut last line is not a line
  EXPECT_EQ(stage.open_files(), 0u);
}

TEST(MultilineLinesTest, InterleavedFilesKeepTheirOwnRecords) {
  ChunkMaker maker;
  LinesStage stage({}, Preset(MultilinePreset::kIndented));
  Strings one, two;
  Collect(*Frame(stage, maker.Data(1, "a1\n a2\n")), one);
  Collect(*Frame(stage, maker.Data(2, "b1\n b")), two);
  Collect(*Frame(stage, maker.Data(1, " a3\nc1\n")), one);
  Collect(*Frame(stage, maker.Data(2, "2\n b3")), two);
  Collect(*Frame(stage, maker.End(1)), one);
  Collect(*Frame(stage, maker.End(2)), two);
  EXPECT_EQ(one, (Strings{"a1\n a2\n a3", "c1"}));
  EXPECT_EQ(two, (Strings{"b1\n b2\n b3"}));
  EXPECT_EQ(stage.lines(), 7u);
}

TEST(MultilineLinesTest, HeadIsMadeOfJoinedRecords) {
  ChunkMaker maker;
  LinesStage stage({}, Preset(MultilinePreset::kIndented));
  // "h3" may still go on when the first batch is made: the head is the records before it.
  auto first = Frame(stage, maker.Data(1, "h1\n x\nh2\nh3\n"));
  auto second = Frame(stage, maker.Data(1, "h4\n"));
  ASSERT_NE(second->head, nullptr);
  EXPECT_EQ(second->head->lines, (std::vector<std::string_view>{"h1\n x", "h2"}));
  Frame(stage, maker.End(1));
}

TEST(MultilineLinesTest, LinesCountInputLinesRecordsCountJoined) {
  for (const auto& [preset, text] :
       {std::pair{MultilinePreset::kJava, kJavaLog},
        std::pair{MultilinePreset::kPython, kPythonLog}, std::pair{MultilinePreset::kGo, kGoLog}}) {
    const Framed framed = FrameFile(Preset(preset), text);
    EXPECT_EQ(framed.lines, CountLines(text));
    EXPECT_LT(framed.records.size(), framed.lines);
    // Without a rule, records and lines are the same number.
    const Framed plain = FrameFile(nullptr, text);
    EXPECT_EQ(plain.records.size(), plain.lines);
    EXPECT_EQ(plain.lines, framed.lines);
  }
}

// --- cri ---

// The joined records of `text` parsed as CRI lines: "time stream partial message", or "error: why".
Strings ParsedCri(const Strings& records) {
  Strings out;
  for (std::string record : records) {
    const bool cut = record.ends_with(" [cut]");
    if (cut) record.resize(record.size() - 6);
    flow::Record r;
    flow::Arena arena;
    if (!ParseCriLine(record, r, arena, TimeContext::Now())) {
      out.push_back("error: " + std::string(r.error));
      continue;
    }
    std::string s;
    for (const flow::Field& f : r.fields) {
      if (!s.empty()) s += '|';
      s +=
          f.value.type == flow::ValueType::kBool ? (f.value.b ? "P" : "F") : std::string(f.value.s);
    }
    out.push_back(s + (cut ? " [cut]" : ""));
  }
  return out;
}

constexpr std::string_view kCriLog =
    "2026-12-05T21:27:01.000000001Z stdout F whole line\n"
    "2026-12-05T21:27:01.000000002Z stdout P first part, \n"
    "2026-12-05T21:27:01.000000003Z stdout P second part, \n"
    "2026-12-05T21:27:01.000000004Z stdout F last part\n"
    "2026-12-05T21:27:02Z stderr P err \n"
    "2026-12-05T21:27:02.5Z stderr F done\n"
    "2026-12-05T21:27:03+01:00 stdout F \n"
    "2026-12-05T21:27:04Z stdout F\n";

TEST(MultilineCriTest, PartialLinesJoinIntoTheFirstPartsTimeAndStream) {
  const Framed framed = FrameFile(Preset(MultilinePreset::kCri), kCriLog);
  EXPECT_EQ(framed.records,
            (Strings{"2026-12-05T21:27:01.000000001Z stdout F whole line",
                     "2026-12-05T21:27:01.000000002Z stdout F first part, second part, last part",
                     "2026-12-05T21:27:02Z stderr F err done",
                     "2026-12-05T21:27:03+01:00 stdout F ", "2026-12-05T21:27:04Z stdout F"}));
  EXPECT_EQ(ParsedCri(framed.records),
            (Strings{"2026-12-05T21:27:01.000000001Z|stdout|F|whole line",
                     "2026-12-05T21:27:01.000000002Z|stdout|F|first part, second part, last part",
                     "2026-12-05T21:27:02Z|stderr|F|err done",
                     "2026-12-05T21:27:03+01:00|stdout|F|", "2026-12-05T21:27:04Z|stdout|F|"}));
  // Lines stay input lines; records are the joined ones.
  EXPECT_EQ(framed.lines, 8u);
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kCri), kCriLog, framed.records);
}

TEST(MultilineCriTest, EachStreamJoinsItsOwnParts) {
  // stdout's parts enclose a whole stderr line and another stderr record: each stream's parts
  // are joined, and a record goes out at its F line.
  const std::string_view text =
      "2026-12-05T21:27:01Z stdout P out-1 \n"
      "2026-12-05T21:27:02Z stderr F err-whole\n"
      "2026-12-05T21:27:03Z stderr P err-1 \n"
      "2026-12-05T21:27:04Z stdout P out-2 \n"
      "2026-12-05T21:27:05Z stderr F err-2\n"
      "2026-12-05T21:27:06Z stdout F out-3\n";
  const Strings expected = {"2026-12-05T21:27:02Z stderr F err-whole",
                            "2026-12-05T21:27:03Z stderr F err-1 err-2",
                            "2026-12-05T21:27:01Z stdout F out-1 out-2 out-3"};
  EXPECT_EQ(FrameFile(Preset(MultilinePreset::kCri), text).records, expected);
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kCri), text, expected);
}

TEST(MultilineCriTest, FileEndingInPartsEmitsWhatThereIsAsPartial) {
  // Both streams wait for their F line at the end: the records go out in the order of their
  // first parts, tag P (the parser's partial: true).
  const std::string_view text =
      "2026-12-05T21:27:01Z stderr P e1 \n"
      "2026-12-05T21:27:02Z stdout P o1 \n"
      "2026-12-05T21:27:03Z stderr P e2\n"
      "2026-12-05T21:27:04Z stdout P";  // no newline, no message
  const Strings expected = {"2026-12-05T21:27:01Z stderr P e1 e2",
                            "2026-12-05T21:27:02Z stdout P o1 "};
  const Framed framed = FrameFile(Preset(MultilinePreset::kCri), text);
  EXPECT_EQ(framed.records, expected);
  EXPECT_EQ(ParsedCri(framed.records),
            (Strings{"2026-12-05T21:27:01Z|stderr|P|e1 e2", "2026-12-05T21:27:02Z|stdout|P|o1 "}));
  EXPECT_EQ(framed.lines, 4u);
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kCri), text, expected);
}

TEST(MultilineCriTest, LinesThatAreNotCriPassAlone) {
  const std::string_view text =
      "2026-12-05T21:27:01Z stdout P a\n"
      "garbage in the middle\n"
      "\n"
      "2026-13-05T21:27:01Z stdout F bad month\n"
      "2026-12-05T21:27:02Z stdout F b\n";
  const Strings expected = {"garbage in the middle", "", "2026-13-05T21:27:01Z stdout F bad month",
                            "2026-12-05T21:27:01Z stdout F ab"};
  EXPECT_EQ(FrameFile(Preset(MultilinePreset::kCri), text).records, expected);
  ExpectAtEveryChunkSize(Preset(MultilinePreset::kCri), text, expected);
}

TEST(MultilineCriTest, LimitsBoundTheJoinedMessage) {
  MultilineOptions options;
  options.preset = MultilinePreset::kCri;
  options.max_bytes = 8;
  // The message is cut at 8 bytes, the later parts are dropped (counted as lines), and the
  // record is flagged; a whole line's message is cut the same way.
  const std::string_view text =
      "2026-12-05T21:27:01Z stdout P 12345\n"
      "2026-12-05T21:27:02Z stdout P 6789\n"
      "2026-12-05T21:27:03Z stdout F xyz\n"
      "2026-12-05T21:27:04Z stderr F 0123456789\n"
      "2026-12-05T21:27:05Z stderr P 1234\n"
      "2026-12-05T21:27:06Z stderr F 5678\n";
  const Strings expected = {"2026-12-05T21:27:01Z stdout F 12345678 [cut]",
                            "2026-12-05T21:27:04Z stderr F 01234567 [cut]",
                            "2026-12-05T21:27:05Z stderr F 12345678"};
  const Framed framed = FrameFile(Rule(options), text);
  EXPECT_EQ(framed.records, expected);
  EXPECT_EQ(framed.lines, 6u);
  ExpectAtEveryChunkSize(Rule(options), text, expected);

  options.max_bytes = std::size_t{1} << 20;
  options.max_lines = 2;
  EXPECT_EQ(FrameFile(Rule(options), text).records,
            (Strings{"2026-12-05T21:27:01Z stdout F 123456789 [cut]",
                     "2026-12-05T21:27:04Z stderr F 0123456789",
                     "2026-12-05T21:27:05Z stderr F 12345678"}));
}

TEST(MultilineCriTest, LongPartsAcrossManyChunks) {
  // Parts as the runtime writes them (16 KiB each), read in chunks much smaller than a part.
  std::string text;
  std::string message;
  for (int i = 0; i < 5; ++i) {
    const std::string part(16384, static_cast<char>('a' + i));
    message += part;
    text +=
        "2026-12-05T21:27:01.123456789Z stdout " + std::string(i < 4 ? "P " : "F ") + part + "\n";
  }
  text += "2026-12-05T21:27:02Z stdout F next\n";
  for (const std::size_t chunk : {std::size_t{1000}, std::size_t{3001}, std::size_t{4096}}) {
    const Framed framed = FrameFile(Preset(MultilinePreset::kCri), text, chunk);
    EXPECT_EQ(framed.records, (Strings{"2026-12-05T21:27:01.123456789Z stdout F " + message,
                                       "2026-12-05T21:27:02Z stdout F next"}))
        << chunk;
    EXPECT_EQ(framed.lines, 6u);
  }
}

TEST(MultilineCriTest, PatternsAndNegateAreRefused) {
  MultilineOptions options;
  options.preset = MultilinePreset::kCri;
  options.start = "^x";
  EXPECT_FALSE(MultilineRule::Create(options).ok());
}

// --- the "lines" stage's parameters ---

class MultilineConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(RegisterBuiltins(registry_)); }

  // Builds a pipeline whose "lines" stage has `params` (JSON members, may be empty).
  Result<run::BuiltPipeline> Build(const std::string& params) {
    const std::string doc =
        R"({"source": {"paths": [")" + dir_.path().string() +
        R"("]}, "stages": [{"name": "lines", "type": "lines")" +
        (params.empty() ? "" : ", " + params) +
        R"(}, {"name": "p", "type": "parse", "input": "lines", "format": "raw"}],
            "sinks": [{"name": "n", "type": "null", "input": "p"}]})";
    auto config = config::LoadPipeline(doc, registry_.stages(), registry_.sinks());
    if (!config.ok()) return std::move(config).error();
    return registry_.Build(*config);
  }

  run::StageRegistry registry_;
  testing::TempDir dir_;
};

TEST_F(MultilineConfigTest, PresetAndLimitsFromTheDocument) {
  ASSERT_OK_AND_ASSIGN(
      run::BuiltPipeline built,
      Build(R"("multiline": "java", "multiline_max_lines": 2, "multiline_max_bytes": "1K")"));
  ASSERT_EQ(built.chunk_stages.size(), 1u);
  ChunkMaker maker;
  Strings records;
  Collect(*Frame(*built.chunk_stages[0], maker.Last(1, "x\n\tat a\n\tat b\ny\n")), records);
  EXPECT_EQ(records, (Strings{"x\n\tat a [cut]", "y"}));
}

TEST_F(MultilineConfigTest, CriPresetFromTheDocument) {
  ASSERT_OK_AND_ASSIGN(run::BuiltPipeline built,
                       Build(R"("multiline": "cri", "multiline_max_bytes": 4)"));
  ChunkMaker maker;
  Strings records;
  Collect(*Frame(*built.chunk_stages[0], maker.Last(1,
                                                    "2026-12-05T21:27:01Z stdout P ab\n"
                                                    "2026-12-05T21:27:02Z stdout F cd\n"
                                                    "2026-12-05T21:27:03Z stdout F efghij\n")),
          records);
  EXPECT_EQ(records, (Strings{"2026-12-05T21:27:01Z stdout F abcd",
                              "2026-12-05T21:27:03Z stdout F efgh [cut]"}));
}

TEST_F(MultilineConfigTest, NoneAndAbsentFrameOneRecordPerLine) {
  for (const std::string params : {"", R"("multiline": "none")"}) {
    ASSERT_OK_AND_ASSIGN(run::BuiltPipeline built, Build(params));
    ChunkMaker maker;
    Strings records;
    Collect(*Frame(*built.chunk_stages[0], maker.Last(1, "x\n\tat a\n")), records);
    EXPECT_EQ(records, (Strings{"x", "\tat a"}));
  }
}

TEST_F(MultilineConfigTest, CustomPatternsAreCheckedWithTheStagesPath) {
  ASSERT_OK(Build(R"("multiline": "custom", "multiline_start": "^\\d", "multiline_negate": true)"));
  for (const std::string params :
       {R"("multiline": "custom")", R"("multiline": "custom", "multiline_start": "(")",
        R"("multiline": "go", "multiline_continue": "^x")",
        R"("multiline": "custom", "multiline_start": "a", "multiline_continue": "b")"}) {
    auto built = Build(params);
    ASSERT_FALSE(built.ok()) << params;
    EXPECT_NE(built.error().UserMessage().find("stages[0]"), std::string::npos)
        << built.error().UserMessage();
  }
  EXPECT_FALSE(Build(R"("multiline": "ruby")").ok());
  EXPECT_FALSE(Build(R"("multiline": "java", "multiline_max_lines": 0)").ok());
}

}  // namespace
}  // namespace ringflow::stages

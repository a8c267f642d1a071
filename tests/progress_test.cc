#include "apps/ringflow/progress.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "framework/run/file_consumers.h"

namespace ringflow::app {
namespace {

using namespace std::string_literals;

RunSummary NormalRun() {
  RunSummary s;
  s.files_total = 20000;
  s.files_read = 20000;
  s.bytes = 2093796557;  // 1.95 GiB
  s.lines = 8388608;
  s.records = 8388608;
  s.parse_errors = 12;
  s.elapsed_seconds = 3.41;
  return s;
}

TEST(FormatSummaryTest, NormalRun) {
  EXPECT_EQ(FormatSummary(NormalRun()),
            "ringflow: 20000 files read, 0 skipped\n"
            "ringflow: 1.95 GiB, 8388608 lines, 8388608 records, 12 parse errors\n"
            "ringflow: 3.41 s, 614.0 MB/s, 2.46 M lines/s\n");
}

TEST(FormatSummaryTest, SkippedReasonsSortedWithCounts) {
  RunSummary s = NormalRun();
  s.files_total = 20003;
  s.skipped["not a regular file (fifo)"] = 1;
  s.skipped["hidden file"] = 2;
  s.skipped["Permission denied (EACCES)"] = 4;
  const std::string text = FormatSummary(s);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "ringflow: 20000 files read, 7 skipped (4 Permission denied (EACCES), 2 hidden file, "
            "1 not a regular file (fifo))");
}

TEST(FormatSummaryTest, SmallSizesInMiBAndSingulars) {
  RunSummary s;
  s.files_total = 1;
  s.files_read = 1;
  s.bytes = 851755418;  // 812.2997 MiB: below 1 GiB, shown in MiB
  s.lines = 1;
  s.records = 1;
  s.parse_errors = 1;
  s.elapsed_seconds = 2;
  EXPECT_EQ(FormatSummary(s),
            "ringflow: 1 file read, 0 skipped\n"
            "ringflow: 812.3 MiB, 1 line, 1 record, 1 parse error\n"
            "ringflow: 2.00 s, 425.9 MB/s, 0.00 M lines/s\n");
}

TEST(FormatSummaryTest, InterruptedRunSaysSoFirst) {
  RunSummary s = NormalRun();
  s.files_total = 20000;
  s.files_read = 1234;
  s.skipped["interrupted"] = 18766;
  s.interrupted = true;
  s.signal = "SIGINT";
  const std::string text = FormatSummary(s);
  EXPECT_EQ(text.rfind("ringflow: interrupted by SIGINT\n", 0), 0u) << text;
  EXPECT_NE(text.find("ringflow: 1234 files read, 18766 skipped (18766 interrupted)\n"),
            std::string::npos)
      << text;
}

TEST(FormatSummaryTest, ZeroElapsedGivesZeroRates) {
  RunSummary s = NormalRun();
  s.elapsed_seconds = 0;
  const std::string text = FormatSummary(s);
  EXPECT_NE(text.find("ringflow: 0.00 s, 0.0 MB/s, 0.00 M lines/s\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("inf"), std::string::npos) << text;
  EXPECT_EQ(text.find("nan"), std::string::npos) << text;
}

TEST(FormatSummaryTest, EveryLineStartsWithPrefixEvenWithNewlinesInReasons) {
  RunSummary s = NormalRun();
  s.skipped["bad\nreason"] = 1;
  s.interrupted = true;
  s.signal = "SIGTERM";
  const std::string text = FormatSummary(s);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  size_t start = 0;
  int lines = 0;
  while (start < text.size()) {
    EXPECT_EQ(text.compare(start, 10, "ringflow: "), 0) << text;
    start = text.find('\n', start) + 1;
    ++lines;
  }
  EXPECT_EQ(lines, 4);
}

// Parses `json` strictly (valid UTF-8 required) into `doc`.
void ParseStrict(const std::string& json, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  ASSERT_FALSE(doc.HasParseError()) << rapidjson::GetParseError_En(doc.GetParseError()) << " at "
                                    << doc.GetErrorOffset() << " in " << json;
  ASSERT_TRUE(doc.IsObject()) << json;
}

std::string StringOf(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

TEST(SummaryJsonTest, EveryKeyOfANormalRun) {
  RunSummary s = NormalRun();
  s.files_total = 20003;
  s.skipped["hidden file"] = 2;
  s.skipped["not a regular file (fifo)"] = 1;
  s.formats["access"] = 19990;
  s.formats["raw"] = 10;
  const std::string json = SummaryJson(s);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  rapidjson::Document doc;
  ASSERT_NO_FATAL_FAILURE(ParseStrict(json, doc));

  EXPECT_EQ(doc.MemberCount(), 14u);
  EXPECT_EQ(doc["files_total"].GetUint64(), 20003u);
  EXPECT_EQ(doc["files_read"].GetUint64(), 20000u);
  EXPECT_EQ(doc["files_skipped"].GetUint64(), 3u);
  ASSERT_TRUE(doc["formats"].IsObject());
  EXPECT_EQ(doc["formats"].MemberCount(), 2u);
  EXPECT_EQ(doc["formats"]["access"].GetUint64(), 19990u);
  EXPECT_EQ(doc["formats"]["raw"].GetUint64(), 10u);
  // The text says the same, in name order.
  EXPECT_NE(FormatSummary(s).find("\nringflow: formats: 19990 access, 10 raw\n"), std::string::npos)
      << FormatSummary(s);
  ASSERT_TRUE(doc["skipped"].IsObject());
  EXPECT_EQ(doc["skipped"].MemberCount(), 2u);
  EXPECT_EQ(doc["skipped"]["hidden file"].GetUint64(), 2u);
  EXPECT_EQ(doc["skipped"]["not a regular file (fifo)"].GetUint64(), 1u);
  EXPECT_EQ(doc["bytes"].GetUint64(), 2093796557u);
  EXPECT_EQ(doc["lines"].GetUint64(), 8388608u);
  EXPECT_EQ(doc["records"].GetUint64(), 8388608u);
  EXPECT_EQ(doc["parse_errors"].GetUint64(), 12u);
  ASSERT_TRUE(doc["elapsed_seconds"].IsNumber());
  EXPECT_DOUBLE_EQ(doc["elapsed_seconds"].GetDouble(), 3.41);
  ASSERT_TRUE(doc["bytes_per_second"].IsNumber());
  EXPECT_NEAR(doc["bytes_per_second"].GetDouble(), 2093796557 / 3.41, 1);
  ASSERT_TRUE(doc["lines_per_second"].IsNumber());
  EXPECT_NEAR(doc["lines_per_second"].GetDouble(), 8388608 / 3.41, 1);
  ASSERT_TRUE(doc["interrupted"].IsBool());
  EXPECT_FALSE(doc["interrupted"].GetBool());
  EXPECT_TRUE(doc["signal"].IsNull());
}

TEST(SummaryJsonTest, InterruptedRunNamesTheSignal) {
  RunSummary s = NormalRun();
  s.interrupted = true;
  s.signal = "SIGTERM";
  rapidjson::Document doc;
  ASSERT_NO_FATAL_FAILURE(ParseStrict(SummaryJson(s), doc));
  EXPECT_TRUE(doc["interrupted"].GetBool());
  ASSERT_TRUE(doc["signal"].IsString());
  EXPECT_EQ(StringOf(doc["signal"]), "SIGTERM");
}

TEST(SummaryJsonTest, ZeroElapsedGivesZeroRates) {
  RunSummary s = NormalRun();
  s.elapsed_seconds = 0;
  const std::string json = SummaryJson(s);
  EXPECT_EQ(json.find("inf"), std::string::npos) << json;
  EXPECT_EQ(json.find("nan"), std::string::npos) << json;
  rapidjson::Document doc;
  ASSERT_NO_FATAL_FAILURE(ParseStrict(json, doc));
  EXPECT_EQ(doc["elapsed_seconds"].GetDouble(), 0.0);
  EXPECT_EQ(doc["bytes_per_second"].GetDouble(), 0.0);
  EXPECT_EQ(doc["lines_per_second"].GetDouble(), 0.0);
  EXPECT_EQ(doc["skipped"].MemberCount(), 0u);
  EXPECT_EQ(doc["files_skipped"].GetUint64(), 0u);
}

TEST(SummaryJsonTest, AnyBytesInReasonsGiveValidJson) {
  RunSummary s = NormalRun();
  // Newline, quote, backslash, NUL, DEL, a lone 0xff, valid "é" and "😀", an overlong '/'
  // (c0 af), a UTF-16 surrogate (ed a0 80), a truncated sequence at the end (e2 82).
  const std::string nasty =
      "a\nb\"c\\d\0e\x7f\xff f\xc3\xa9 \xf0\x9f\x98\x80 \xc0\xaf \xed\xa0\x80 \xe2\x82"s;
  s.skipped[nasty] = 5;
  s.skipped["tab\there"] = 1;
  s.interrupted = true;
  s.signal = "SIG\x01\xfe";
  const std::string json = SummaryJson(s);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(json.find('\0'), std::string::npos);
  EXPECT_NE(json.find(R"(a\nb\"c\\d\u0000e\u007f\u00ff f)"), std::string::npos) << json;

  rapidjson::Document doc;
  ASSERT_NO_FATAL_FAILURE(ParseStrict(json, doc));
  const rapidjson::Value& skipped = doc["skipped"];
  ASSERT_EQ(skipped.MemberCount(), 2u);
  // Members come in the map's order: "a..." before "tab...". Invalid bytes read back as the
  // Latin-1 characters of their values (U+00XX, in UTF-8); valid sequences are kept as they are.
  auto it = skipped.MemberBegin();
  EXPECT_EQ(StringOf(it->name),
            "a\nb\"c\\d\0e\x7f\xc3\xbf f\xc3\xa9 \xf0\x9f\x98\x80 \xc3\x80\xc2\xaf "
            "\xc3\xad\xc2\xa0\xc2\x80 \xc3\xa2\xc2\x82"s);
  EXPECT_EQ(it->value.GetUint64(), 5u);
  ++it;
  EXPECT_EQ(StringOf(it->name), "tab\there");
  EXPECT_EQ(it->value.GetUint64(), 1u);
  EXPECT_EQ(doc["files_skipped"].GetUint64(), 6u);
  EXPECT_EQ(StringOf(doc["signal"]), "SIG\x01\xc3\xbe");
}

TEST(RenderTest, UnknownBytesTotalEstimatesFromFiles) {
  // 617 files/s, 18766 files to go: 30.4 s.
  EXPECT_EQ(ProgressLine::Render(1234, 20000, 804200000, std::nullopt, 2420000, 2.0),
            "ringflow: 1234/20000 files, 766.9 MiB, 402.1 MB/s, 1.21 M lines/s, ETA 0:30");
}

TEST(RenderTest, KnownBytesTotalEstimatesFromBytes) {
  // 402.1 MB/s, 804.2 MB to go: 2 s (the files alone would say 30 s).
  EXPECT_EQ(ProgressLine::Render(1234, 20000, 804200000, 1608400000, 2420000, 2.0),
            "ringflow: 1234/20000 files, 766.9 MiB, 402.1 MB/s, 1.21 M lines/s, ETA 0:02");
}

TEST(RenderTest, KnownBytesTotalButNoBytesYetEstimatesFromFiles) {
  EXPECT_EQ(ProgressLine::Render(10, 20, 0, 1000000, 0, 10.0),
            "ringflow: 10/20 files, 0.0 MiB, 0.0 MB/s, 0.00 M lines/s, ETA 0:10");
}

TEST(RenderTest, GiBFromOneGiB) {
  EXPECT_EQ(ProgressLine::Render(1, 2, 1073741824, 2147483648, 0, 1.0),
            "ringflow: 1/2 files, 1.00 GiB, 1073.7 MB/s, 0.00 M lines/s, ETA 0:01");
}

TEST(RenderTest, NoRateYetMeansUnknownEta) {
  // Elapsed 0: no rate, no division by zero.
  EXPECT_EQ(ProgressLine::Render(5, 20, 1000, 2000, 10, 0.0),
            "ringflow: 5/20 files, 0.0 MiB, 0.0 MB/s, 0.00 M lines/s, ETA ?");
  // Nothing done yet: a rate of 0.
  EXPECT_EQ(ProgressLine::Render(0, 20, 0, std::nullopt, 0, 3.0),
            "ringflow: 0/20 files, 0.0 MiB, 0.0 MB/s, 0.00 M lines/s, ETA ?");
}

TEST(RenderTest, EtaFormats) {
  // One file per second; the remaining files give the ETA in seconds.
  const auto eta = [](uint64_t remaining) {
    const std::string line = ProgressLine::Render(10, 10 + remaining, 0, std::nullopt, 0, 10.0);
    return line.substr(line.rfind(", ") + 2);
  };
  EXPECT_EQ(eta(0), "ETA 0:00");
  EXPECT_EQ(eta(3), "ETA 0:03");
  EXPECT_EQ(eta(59), "ETA 0:59");
  EXPECT_EQ(eta(65), "ETA 1:05");
  EXPECT_EQ(eta(3599), "ETA 59:59");
  EXPECT_EQ(eta(3600), "ETA 1:00:00");
  EXPECT_EQ(eta(3725), "ETA 1:02:05");
  EXPECT_EQ(eta(36000 + 61), "ETA 10:01:01");
}

TEST(RenderTest, MoreBytesThanExpectedMeansDone) {
  // A file grew while it was read.
  EXPECT_EQ(ProgressLine::Render(1, 1, 3000000, 2000000, 0, 1.0),
            "ringflow: 1/1 files, 2.9 MiB, 3.0 MB/s, 0.00 M lines/s, ETA 0:00");
}

// A temporary FILE* that closes itself, and what was written to it.
struct TempFile {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::tmpfile(), &std::fclose};

  std::string Contents() const {
    std::fflush(file.get());
    std::rewind(file.get());
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), file.get())) > 0) out.append(buf, n);
    std::fseek(file.get(), 0, SEEK_END);
    return out;
  }
};

// Checks the shape of what a ProgressLine wrote: every "\r" starts either an erase ("\r\x1b[K")
// or a redraw of one line ("\r" + text without "\r" or "\n" + "\x1b[K"), and the output ends
// with an erase, so no progress text is left on the screen.
void ExpectWellFormed(const std::string& out) {
  size_t pos = 0;
  while ((pos = out.find('\r', pos)) != std::string::npos) {
    const size_t erase = out.find("\x1b[K", pos);
    ASSERT_NE(erase, std::string::npos) << "a redraw without erase at " << pos;
    const std::string text = out.substr(pos + 1, erase - pos - 1);
    EXPECT_EQ(text.find_first_of("\r\n"), std::string::npos) << "redraw text: " << text;
    if (!text.empty()) {
      EXPECT_EQ(text.rfind("ringflow: ", 0), 0u) << text;
    }
    pos = erase;
  }
  const size_t last = out.rfind('\r');
  ASSERT_NE(last, std::string::npos);
  EXPECT_EQ(out.substr(last), "\r\x1b[K") << "progress text left after the last erase";
}

TEST(ProgressLineTest, DisabledWritesOnlyTheMessages) {
  TempFile tmp;
  ASSERT_NE(tmp.file, nullptr);
  RunCounters counters;
  counters.files_done = 3;
  ::testing::internal::CaptureStdout();
  {
    ProgressLine line(tmp.file.get(), /*enabled=*/false, &counters, 10, std::nullopt,
                      std::chrono::milliseconds(1));
    line.Start();
    line.Note("message");
    line.Stop();
    line.Note("after stop");
  }
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(tmp.Contents(), "message\nafter stop\n");
}

TEST(ProgressLineTest, NoteErasesPrintsAndRedrawsThenStopErases) {
  TempFile tmp;
  ASSERT_NE(tmp.file, nullptr);
  RunCounters counters;  // all zero: the rendered line does not depend on the elapsed time
  ::testing::internal::CaptureStdout();
  {
    // An hour: the thread itself never draws during the test.
    ProgressLine line(tmp.file.get(), /*enabled=*/true, &counters, 10, std::nullopt,
                      std::chrono::hours(1));
    line.Start();
    line.Note("x");
    line.Note("y");
    line.Stop();
    line.Stop();     // idempotent
    line.Note("z");  // after Stop: the message alone
  }
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  const std::string out = tmp.Contents();
  const std::string drawn =
      "\rringflow: 0/10 files, 0.0 MiB, 0.0 MB/s, 0.00 M lines/s, ETA ?\x1b[K";
  EXPECT_EQ(out, "x\n" + drawn + "\r\x1b[Ky\n" + drawn + "\r\x1b[Kz\n");
  // The shape check wants the output to end with an erase: without the final Note it does.
  ExpectWellFormed(out.substr(0, out.size() - 2));
}

TEST(ProgressLineTest, NothingBeforeStartAndNothingWhenStoppedUnstarted) {
  TempFile tmp;
  ASSERT_NE(tmp.file, nullptr);
  RunCounters counters;
  ProgressLine line(tmp.file.get(), /*enabled=*/true, &counters, 10, 1000, std::chrono::hours(1));
  line.Note("before start");
  line.Stop();
  line.Start();  // after Stop: does not start
  line.Note("after stop");
  EXPECT_EQ(tmp.Contents(), "before start\nafter stop\n");
}

TEST(ProgressLineTest, TheThreadRedrawsUntilStopped) {
  TempFile tmp;
  ASSERT_NE(tmp.file, nullptr);
  RunCounters counters;
  counters.files_done = 2;
  counters.bytes = 5000000;
  counters.lines = 1000;
  ::testing::internal::CaptureStdout();
  {
    ProgressLine line(tmp.file.get(), /*enabled=*/true, &counters, 10, 10000000,
                      std::chrono::milliseconds(1));
    line.Start();
    // Wait for a redraw of the thread's own (no timing assertion: only a generous bound).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::ftell(tmp.file.get()) <= 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    line.Note("note");
    counters.files_done = 3;
  }  // the destructor stops
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  const std::string out = tmp.Contents();
  EXPECT_EQ(out.rfind("\rringflow: 2/10 files, 4.8 MiB, ", 0), 0u) << out;
  EXPECT_NE(out.find("\r\x1b[Knote\n\rringflow: "), std::string::npos) << out;
  ExpectWellFormed(out);
}

// The name as a checksum or count line writes it (with the line's leading backslash when escaped).
std::string SumName(std::string_view path) {
  std::string out;
  const bool escape = run::SumNameNeedsEscape(path);
  if (escape) out += '\\';
  run::AppendSumName(out, path, escape);
  return out;
}

TEST(SumNameTest, PlainNamesStayAsTheyAre) {
  EXPECT_EQ(SumName("logs/a.log"), "logs/a.log");
  // Only a line break makes a name need escaping: xxhsum 0.8.1 checks these as they are.
  EXPECT_EQ(SumName("a\\b.log"), "a\\b.log");
  EXPECT_EQ(SumName("tab\tesc\x1b[2J \"q\" ringflow: x"), "tab\tesc\x1b[2J \"q\" ringflow: x");
  EXPECT_EQ(SumName(""), "");
}

TEST(SumNameTest, LineBreaksAreEscapedAsSha256sumDoes) {
  EXPECT_EQ(SumName("a\nringflow: forged"), "\\a\\nringflow: forged");
  EXPECT_EQ(SumName("cr\rx"), "\\cr\\rx");
  // Once escaped, a backslash must be doubled, or "\\n" could not be told from a newline.
  EXPECT_EQ(SumName("back\\slash\nnewline"), "\\back\\\\slash\\nnewline");
  EXPECT_EQ(SumName("ends\\\n"), "\\ends\\\\\\n");
  EXPECT_EQ(SumName("\n\r\\"), "\\\\n\\r\\\\");
  // Other bytes, NUL and bytes that are not UTF-8 included, pass through.
  EXPECT_EQ(SumName("\nx\0\xff"s), "\\\\nx\0\xff"s);
}

TEST(SumNameTest, EscapedNamesHoldNoLineBreak) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string escaped = SumName(all);
  EXPECT_EQ(escaped.find_first_of("\n\r"), std::string::npos);
  // Undoing the escapes gives the name back (as `sha256sum -c` reads it).
  std::string back;
  for (std::size_t i = 1; i < escaped.size(); ++i) {
    if (escaped[i] != '\\') {
      back += escaped[i];
      continue;
    }
    ASSERT_LT(i + 1, escaped.size());
    const char next = escaped[++i];
    ASSERT_TRUE(next == 'n' || next == 'r' || next == '\\') << next;
    back += next == 'n' ? '\n' : next == 'r' ? '\r' : '\\';
  }
  EXPECT_EQ(back, all);
}

}  // namespace
}  // namespace ringflow::app

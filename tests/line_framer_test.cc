#include "stages/line_framer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringflow::stages {
namespace {

struct Got {
  std::string text;
  bool truncated = false;
  bool stitched = false;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{\"" << g.text << "\" (" << g.text.size() << " bytes)"
            << (g.truncated ? " truncated" : "") << (g.stitched ? " stitched" : "") << "}";
}

// Feeds `chunks` as one file. Each chunk is fed from a private copy that is scribbled over and
// freed right after its lines have been read, so any view the framer kept into an old chunk
// would show up as wrong text (or as a use-after-free under ASan). Lines are read after Feed
// returns, which also checks that stitched views outlive the call.
std::vector<Got> Frame(LineFramer& framer, const std::vector<std::string_view>& chunks) {
  std::vector<Got> out;
  std::vector<Line> pending;
  auto collect = [&pending](const Line& line) { pending.push_back(line); };
  auto drain = [&] {
    for (const Line& line : pending) {
      out.push_back({std::string(line.text), line.truncated, line.stitched});
    }
    pending.clear();
  };
  for (std::string_view chunk : chunks) {
    std::vector<char> copy(chunk.begin(), chunk.end());
    framer.Feed(std::string_view(copy.data(), copy.size()), collect);
    drain();
    std::fill(copy.begin(), copy.end(), '#');
  }
  framer.Finish(collect);
  drain();
  return out;
}

std::vector<Got> Frame(const std::vector<std::string_view>& chunks, FramerOptions options = {}) {
  LineFramer framer(options);
  std::vector<Got> out = Frame(framer, chunks);
  EXPECT_EQ(framer.lines(), out.size());
  return out;
}

std::vector<std::string> Texts(const std::vector<Got>& lines) {
  std::vector<std::string> out;
  for (const Got& g : lines) out.push_back(g.text);
  return out;
}

// The naive reference: one byte at a time, whole file in memory. Stitched flags are not modelled.
std::vector<std::string> OracleTexts(std::string_view s, std::size_t max, uint64_t* truncated) {
  std::vector<std::string> out;
  *truncated = 0;
  std::string cur;
  auto push = [&](std::string line) {
    if (line.size() > max) {
      line.resize(max);
      ++*truncated;
    }
    out.push_back(std::move(line));
  };
  for (char c : s) {
    if (c == '\n') {
      if (!cur.empty() && cur.back() == '\r') cur.pop_back();
      push(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!s.empty() && s.back() != '\n') push(cur);
  return out;
}

// The project's invariant: `wc -l`, plus one for a final line without newline.
uint64_t WcLinesRule(std::string_view s) {
  uint64_t n = 0;
  for (char c : s) n += c == '\n';
  return n + ((!s.empty() && s.back() != '\n') ? 1 : 0);
}

std::string RandomContent(std::mt19937_64& rng, std::size_t lines) {
  static constexpr char kAlphabet[] = {'a', 'b', 'z', ' ', '\r', '\0', '\t', '\xff', '"', '7'};
  std::string s;
  for (std::size_t i = 0; i < lines; ++i) {
    const std::size_t len = rng() % 301;
    for (std::size_t j = 0; j < len; ++j) s.push_back(kAlphabet[rng() % sizeof(kAlphabet)]);
    const bool last = i + 1 == lines;
    if (last && rng() % 3 == 0) break;  // occasional final line without newline
    s += (rng() % 2 == 0) ? "\r\n" : "\n";
  }
  return s;
}

void CheckAgainstOracle(std::string_view content, const std::vector<std::string_view>& chunks,
                        std::size_t max, const std::string& what) {
  LineFramer framer(FramerOptions{max});
  const std::vector<Got> got = Frame(framer, chunks);
  uint64_t oracle_truncated = 0;
  const std::vector<std::string> want = OracleTexts(content, max, &oracle_truncated);
  ASSERT_EQ(Texts(got), want) << what;
  ASSERT_EQ(framer.lines(), WcLinesRule(content)) << what;
  ASSERT_EQ(framer.truncated_lines(), oracle_truncated) << what;
  uint64_t flagged = 0;
  for (const Got& g : got) flagged += g.truncated;
  ASSERT_EQ(flagged, oracle_truncated) << what;
  ASSERT_LE(framer.side_buffer_capacity(), 2 * max) << what;
}

TEST(LineFramerTest, EmptyFileGivesNoLine) {
  EXPECT_TRUE(Frame({}).empty());
  EXPECT_TRUE(Frame({"", ""}).empty());
}

TEST(LineFramerTest, NewlineOnlyGivesOneEmptyLine) {
  EXPECT_EQ(Frame({"\n"}), (std::vector<Got>{{"", false, false}}));
  EXPECT_EQ(Texts(Frame({"\r\n"})), (std::vector<std::string>{""}));
}

TEST(LineFramerTest, EmptyLineInTheMiddleAndFinalLineWithoutNewline) {
  const std::vector<Got> got = Frame({"a\n\nb"});
  EXPECT_EQ(got, (std::vector<Got>{{"a", false, false}, {"", false, false}, {"b", false, true}}));
}

TEST(LineFramerTest, FinishEmitsOnlyWhenFileLacksFinalNewline) {
  LineFramer framer;
  int calls = 0;
  auto count = [&calls](const Line&) { ++calls; };
  framer.Feed(std::string_view("x\ny\n"), count);
  EXPECT_EQ(calls, 2);
  framer.Finish(count);
  EXPECT_EQ(calls, 2);
  framer.Feed(std::string_view("z"), count);
  EXPECT_EQ(calls, 2);
  framer.Finish(count);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(framer.lines(), 3u);
}

TEST(LineFramerTest, CrlfStrippedLoneCrKept) {
  EXPECT_EQ(Texts(Frame({"a\r\nb\rc\r\n\r\r\nd\n"})),
            (std::vector<std::string>{"a", "b\rc", "\r", "d"}));
}

TEST(LineFramerTest, CrlfSplitAcrossChunksIsStripped) {
  EXPECT_EQ(Frame({"abc\r", "\nxyz\n"}),
            (std::vector<Got>{{"abc", false, true}, {"xyz", false, false}}));
  EXPECT_EQ(Texts(Frame({"ab", "c\r", "", "\n"})), (std::vector<std::string>{"abc"}));
  EXPECT_EQ(Texts(Frame({"\r", "\n"})), (std::vector<std::string>{""}));
}

TEST(LineFramerTest, CrAtEndOfFileStays) {
  EXPECT_EQ(Texts(Frame({"a\nb\r"})), (std::vector<std::string>{"a", "b\r"}));
  EXPECT_EQ(Texts(Frame({"a\nb", "\r"})), (std::vector<std::string>{"a", "b\r"}));
  EXPECT_EQ(Texts(Frame({"\r"})), (std::vector<std::string>{"\r"}));
}

TEST(LineFramerTest, LinesInsideAChunkAreViewsIntoIt) {
  const std::string chunk = "first\nsecond\r\nthi";
  LineFramer framer;
  std::vector<Line> lines;
  framer.Feed(std::string_view(chunk), [&](const Line& l) { lines.push_back(l); });
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text.data(), chunk.data());
  EXPECT_EQ(lines[1].text.data(), chunk.data() + 6);
  EXPECT_EQ(lines[1].text, "second");
  EXPECT_FALSE(lines[0].stitched);
  EXPECT_FALSE(lines[1].stitched);
}

TEST(LineFramerTest, StitchedViewStaysValidUntilNextCall) {
  LineFramer framer;
  std::vector<Line> lines;
  auto collect = [&](const Line& l) { lines.push_back(l); };
  framer.Feed(std::string_view("aaa"), collect);
  EXPECT_TRUE(lines.empty());
  // This call emits a stitched line and also carries a new tail ("ccc"): both must coexist.
  std::string second = "bbb\nccc";
  framer.Feed(std::string_view(second), collect);
  second.assign(second.size(), '#');
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].stitched);
  EXPECT_EQ(lines[0].text, "aaabbb");
  lines.clear();
  framer.Feed(std::string_view("\nddd"), collect);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "ccc");
  lines.clear();
  framer.Finish(collect);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "ddd");
  EXPECT_TRUE(lines[0].stitched);
}

TEST(LineFramerTest, AcceptsByteSpans) {
  const std::string s = "one\ntwo";
  const std::span<const std::byte> bytes = std::as_bytes(std::span<const char>(s));
  LineFramer framer;
  std::vector<std::string> got;
  auto collect = [&](const Line& l) { got.emplace_back(l.text); };
  framer.Feed(bytes.first(5), collect);
  framer.Feed(bytes.subspan(5), collect);
  framer.Finish(collect);
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
}

TEST(LineFramerTest, TruncatesLongLineInsideOneChunk) {
  const std::vector<Got> got =
      Frame({"short\n0123456789abcdefXYZ\r\n0123456789abcdef\r\nend\n"}, FramerOptions{16});
  EXPECT_EQ(got, (std::vector<Got>{{"short", false, false},
                                   {"0123456789abcdef", true, false},
                                   {"0123456789abcdef", false, false},
                                   {"end", false, false}}));
}

TEST(LineFramerTest, TruncatesLongLineAcrossChunksAndKeepsTheNextLine) {
  LineFramer framer(FramerOptions{16});
  const std::vector<Got> got = Frame(
      framer, {"ok\n0123456", "789abcdefghij", "klmnopqrstu", "vwxyz", "\r\nnext line\nlast"});
  EXPECT_EQ(got, (std::vector<Got>{{"ok", false, false},
                                   {"0123456789abcdef", true, true},
                                   {"next line", false, false},
                                   {"last", false, true}}));
  EXPECT_EQ(framer.lines(), 4u);
  EXPECT_EQ(framer.truncated_lines(), 1u);
  EXPECT_LE(framer.side_buffer_capacity(), 2u * 16u);
}

TEST(LineFramerTest, TruncationBoundaryCountsTextNotLineEnding) {
  // Exactly max bytes of text followed by a CRLF split across chunks: not truncated.
  EXPECT_EQ(Frame({"0123456789abcdef\r", "\n"}, FramerOptions{16}),
            (std::vector<Got>{{"0123456789abcdef", false, true}}));
  // max + 1 bytes of text where the extra byte is a '\r' at EOF: truncated.
  EXPECT_EQ(Frame({"0123456789abcde", "f\r"}, FramerOptions{16}),
            (std::vector<Got>{{"0123456789abcdef", true, true}}));
  // max bytes ending in '\r' then '\n' in the next chunk: text is max - 1 bytes.
  EXPECT_EQ(Frame({"0123456789abcde\r", "\n"}, FramerOptions{16}),
            (std::vector<Got>{{"0123456789abcde", false, true}}));
  // Zero max: every non-empty line is cut to nothing, empty lines are not truncated.
  EXPECT_EQ(Frame({"a\n\n", "b"}, FramerOptions{0}),
            (std::vector<Got>{{"", true, false}, {"", false, false}, {"", true, true}}));
}

// Fills `chunk` with the bytes at [offset, offset + size) of a file whose byte i is f(i).
char PatternByte(uint64_t i) { return static_cast<char>('a' + (i * 7 + i / 1000) % 26); }

TEST(LineFramerTest, HugeLineWithoutNewlineStaysBounded) {
  constexpr std::size_t kChunk = 64 * 1024;
  constexpr uint64_t kTotal = uint64_t{64} << 20;
  LineFramer framer;  // max_line_bytes = 1 MiB
  std::vector<char> chunk(kChunk);
  std::vector<Got> got;
  auto collect = [&](const Line& l) {
    got.push_back({std::string(l.text), l.truncated, l.stitched});
  };
  for (uint64_t offset = 0; offset < kTotal; offset += kChunk) {
    for (std::size_t i = 0; i < kChunk; ++i) chunk[i] = PatternByte(offset + i);
    framer.Feed(std::string_view(chunk.data(), chunk.size()), collect);
    ASSERT_LE(framer.side_buffer_capacity(), framer.max_line_bytes());
  }
  EXPECT_TRUE(got.empty());
  framer.Finish(collect);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].truncated);
  EXPECT_TRUE(got[0].stitched);
  ASSERT_EQ(got[0].text.size(), framer.max_line_bytes());
  for (std::size_t i = 0; i < got[0].text.size(); ++i) {
    ASSERT_EQ(got[0].text[i], PatternByte(i)) << "byte " << i;
  }
  EXPECT_EQ(framer.lines(), 1u);
  EXPECT_EQ(framer.truncated_lines(), 1u);
  EXPECT_LE(framer.side_buffer_capacity(), framer.max_line_bytes());
}

TEST(LineFramerTest, HugeLineThenNormalLines) {
  constexpr std::size_t kChunk = 64 * 1024;
  LineFramer framer(FramerOptions{1000});
  const std::string filler(kChunk, 'x');
  std::vector<Got> got;
  auto collect = [&](const Line& l) {
    got.push_back({std::string(l.text), l.truncated, l.stitched});
  };
  for (int i = 0; i < 100; ++i) framer.Feed(std::string_view(filler), collect);
  framer.Feed(std::string_view("x\nafter\n"), collect);
  framer.Finish(collect);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Got{std::string(1000, 'x'), true, true}));
  EXPECT_EQ(got[1], (Got{"after", false, false}));
  EXPECT_LE(framer.side_buffer_capacity(), 1000u);
}

TEST(LineFramerTest, ResetDropsPartialLineAndCounters) {
  LineFramer framer(FramerOptions{4});
  auto ignore = [](const Line&) {};
  framer.Feed(std::string_view("toolong\nhalf"), ignore);
  EXPECT_EQ(framer.lines(), 1u);
  EXPECT_EQ(framer.truncated_lines(), 1u);
  framer.Reset();
  EXPECT_EQ(framer.lines(), 0u);
  EXPECT_EQ(framer.truncated_lines(), 0u);
  std::vector<Got> got = Frame(framer, {"new", "\n"});
  EXPECT_EQ(got, (std::vector<Got>{{"new", false, true}}));
  EXPECT_EQ(framer.lines(), 1u);
}

TEST(LineFramerTest, MatchesOracleAtEverySplitPoint) {
  std::mt19937_64 rng(42);
  int cases = 0;
  for (int round = 0; round < 300; ++round) {
    std::string content = RandomContent(rng, 1 + rng() % 4);
    if (content.size() > 400) content.resize(rng() % 400);  // keep the quadratic sweep short
    for (std::size_t max : {std::size_t{1} << 20, std::size_t{16}, std::size_t{1}}) {
      for (std::size_t split = 0; split <= content.size(); ++split) {
        const std::string_view all(content);
        CheckAgainstOracle(content, {all.substr(0, split), all.substr(split)}, max,
                           "round " + std::to_string(round) + " split " + std::to_string(split) +
                               " max " + std::to_string(max));
        if (::testing::Test::HasFatalFailure()) return;
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 1000);
}

TEST(LineFramerTest, MatchesOracleWithRandomChunkSizes) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    const std::string content = RandomContent(rng, 1 + rng() % 200);
    for (std::size_t max : {std::size_t{1} << 20, std::size_t{16}, std::size_t{100}}) {
      std::vector<std::string_view> chunks;
      const std::string_view all(content);
      for (std::size_t off = 0; off < all.size();) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % 50, all.size() - off);
        chunks.push_back(all.substr(off, n));
        off += n;
      }
      CheckAgainstOracle(content, chunks, max,
                         "round " + std::to_string(round) + " max " + std::to_string(max));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(LineFramerTest, WholeFileInOneChunkMatchesOracle) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 50; ++round) {
    const std::string content = RandomContent(rng, rng() % 500);
    CheckAgainstOracle(content, {content}, std::size_t{1} << 20, "round " + std::to_string(round));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace ringflow::stages

#include "framework/core/xxh3.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <string>

#include "tests/testing/test_util.h"

namespace ringflow {
namespace {

TEST(Xxh3Test, KnownValues) {
  // `printf 'hello\n' | xxhsum -H3` and `printf '' | xxhsum -H3`.
  EXPECT_EQ(HexDigest(Xxh3::Hash("hello\n", 6)), "99fc819aaba2462a");
  EXPECT_EQ(HexDigest(Xxh3::Hash("", 0)), "2d06800538d394c2");
}

TEST(Xxh3Test, StreamingEqualsOneShotAndLibrary) {
  const std::string data = testing::MakeContent(3 << 20, 7);
  for (std::size_t piece : {1u, 63u, 4096u, 100000u, 1u << 20}) {
    Xxh3 h;
    for (std::size_t off = 0; off < data.size(); off += piece) {
      h.Update(data.data() + off, std::min(piece, data.size() - off));
    }
    EXPECT_EQ(h.Digest(), XXH3_64bits(data.data(), data.size())) << "piece " << piece;
  }
  EXPECT_EQ(Xxh3::Hash(data.data(), data.size()), XXH3_64bits(data.data(), data.size()));
}

TEST(Xxh3Test, ResetStartsOver) {
  Xxh3 h;
  h.Update("abc", 3);
  h.Reset();
  h.Update("hello\n", 6);
  EXPECT_EQ(HexDigest(h.Digest()), "99fc819aaba2462a");
  EXPECT_NE(std::string(Xxh3::Implementation()), "");
}

}  // namespace
}  // namespace ringflow

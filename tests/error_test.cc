#include "framework/core/error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "framework/core/result.h"

namespace ringflow {
namespace {

TEST(ErrorTest, FromErrnoNamesTheErrno) {
  const Error e = Error::FromErrno(ENOENT, "open");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.sys_errno(), ENOENT);
  EXPECT_EQ(e.message(), "open: No such file or directory (ENOENT)");
}

TEST(ErrorTest, MapsErrnoToCodes) {
  EXPECT_EQ(ErrorCodeFromErrno(EACCES), ErrorCode::kPermissionDenied);
  EXPECT_EQ(ErrorCodeFromErrno(EISDIR), ErrorCode::kIsDirectory);
  EXPECT_EQ(ErrorCodeFromErrno(ENOMEM), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeFromErrno(ECANCELED), ErrorCode::kCancelled);
  EXPECT_EQ(ErrorCodeFromErrno(EIO), ErrorCode::kIo);
  EXPECT_STREQ(ErrnoName(EISDIR), "EISDIR");
  EXPECT_STREQ(ErrnoName(9999), "E9999");
}

TEST(ErrorTest, UserMessageCarriesPath) {
  Error e = Error::FromErrno(EISDIR, "read at offset 0").WithPath("logs/a.log");
  EXPECT_EQ(e.path(), "logs/a.log");
  EXPECT_EQ(e.UserMessage(), "logs/a.log: read at offset 0: Is a directory (EISDIR)");
  EXPECT_EQ(e.WithContext("checksum").path(), "logs/a.log");
}

TEST(ErrorTest, QuoteForMessageEscapesAndKeepsUtf8) {
  EXPECT_EQ(QuoteForMessage("plain"), "\"plain\"");
  EXPECT_EQ(QuoteForMessage(""), "\"\"");
  EXPECT_EQ(QuoteForMessage("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteForMessage("l1\nl2\tx\ry"), "\"l1\\nl2\\tx\\ry\"");
  EXPECT_EQ(QuoteForMessage(std::string_view("\x01\x7f\0z", 4)), "\"\\x01\\x7f\\x00z\"");
  EXPECT_EQ(QuoteForMessage("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // Not UTF-8: a stray continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(QuoteForMessage("a\x80"
                            "b\xC3"),
            "\"a\\x80b\\xc3\"");
  EXPECT_EQ(QuoteForMessage("\xC0\xAF"), "\"\\xc0\\xaf\"");
  EXPECT_EQ(QuoteForMessage("\xED\xA0\x80"), "\"\\xed\\xa0\\x80\"");
}

TEST(ErrorTest, QuoteForMessageCutsLongTextAtACharacterBoundary) {
  const std::string ellipsis = "\xE2\x80\xA6";
  EXPECT_EQ(QuoteForMessage(std::string(kMaxQuotedBytes, 'x')),
            "\"" + std::string(kMaxQuotedBytes, 'x') + "\"");
  EXPECT_EQ(QuoteForMessage(std::string(kMaxQuotedBytes + 1, 'x')),
            "\"" + std::string(kMaxQuotedBytes, 'x') + ellipsis + "\"");
  const std::string huge(10 << 20, 'y');
  EXPECT_EQ(QuoteForMessage(huge).size(), kMaxQuotedBytes + 2 + ellipsis.size());
  // A 2-byte character that would straddle the limit is left out whole.
  EXPECT_EQ(QuoteForMessage("ab\xC3\xA9", 3), "\"ab" + ellipsis + "\"");
  // So is an escape: 1 + "\\n" fits in 3, a second "\\n" does not.
  EXPECT_EQ(QuoteForMessage("a\n\n", 3), "\"a\\n" + ellipsis + "\"");
  EXPECT_EQ(QuoteForMessage("\x01\x01", 6), "\"\\x01" + ellipsis + "\"");
  // Escapes count against the limit: 10 MB of control bytes stay short too.
  EXPECT_LE(QuoteForMessage(std::string(10 << 20, '\x01')).size(), kMaxQuotedBytes + 5);
}

TEST(ErrorTest, ShortenForMessageEscapesControlBytesOnly) {
  EXPECT_EQ(ShortenForMessage("logs/a \"b\"\\c.log"), "logs/a \"b\"\\c.log");
  EXPECT_EQ(ShortenForMessage("a\nb\x1b[31m"), "a\\x0ab\\x1b[31m");
  EXPECT_EQ(ShortenForMessage("abcdef", 4), "abcd\xE2\x80\xA6");
  EXPECT_EQ(ShortenForMessage(std::string(1 << 20, '/')).size(), kMaxQuotedBytes + 3);
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Error(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  RINGFLOW_ASSIGN_OR_RETURN(int half, Half(x));
  RINGFLOW_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(ResultTest, PropagatesErrors) {
  ASSERT_TRUE(Quarter(8).ok());
  EXPECT_EQ(*Quarter(8), 2);
  const auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "odd");
  Status s = Error(ErrorCode::kIo, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(OkStatus().ok());
}

}  // namespace
}  // namespace ringflow

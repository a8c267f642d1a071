#include "framework/core/error.h"

#include <gtest/gtest.h>

#include <cerrno>

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

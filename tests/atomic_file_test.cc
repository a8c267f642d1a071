#include "framework/core/atomic_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow {
namespace {

using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> Names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFileTest, TempPathForSitsBesideTheTarget) {
  EXPECT_EQ(TempPathFor("logs/out.json", "7-00beef"), "logs/.out.json.tmp-7-00beef");
  EXPECT_EQ(TempPathFor("out.json", "1-abc123"), ".out.json.tmp-1-abc123");
  EXPECT_EQ(TempPathFor("/a/b/c", "x"), "/a/b/.c.tmp-x");
}

TEST(AtomicFileTest, CreateTempFileBesideNamesItDotNameTmpPidRandom) {
  TempDir dir;
  const std::string target = dir.Join("out.json");
  ASSERT_OK_AND_ASSIGN(TempFile first, CreateTempFileBeside(target));
  ASSERT_OK_AND_ASSIGN(TempFile second, CreateTempFileBeside(target));
  ::close(first.fd);
  ::close(second.fd);
  EXPECT_NE(first.path, second.path);
  const std::string prefix = dir.Join(".out.json.tmp-" + std::to_string(::getpid()) + "-");
  for (const std::string& path : {first.path, second.path}) {
    ASSERT_EQ(path.substr(0, prefix.size()), prefix);
    const std::string random = path.substr(prefix.size());
    EXPECT_EQ(random.size(), 6u) << path;
    EXPECT_EQ(random.find_first_not_of("0123456789abcdef"), std::string::npos) << path;
  }
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(AtomicFileTest, CreateTempFileBesideReportsTheTarget) {
  TempDir dir;
  const auto temp = CreateTempFileBeside(dir.Join("missing/out.json"));
  ASSERT_FALSE(temp.ok());
  EXPECT_EQ(temp.error().sys_errno(), ENOENT);
  EXPECT_EQ(temp.error().message(),
            "create " + dir.Join("missing/out.json") + ": No such file or directory (ENOENT)");
}

TEST(AtomicFileTest, WriteFileAtomicallyCreatesAndReplaces) {
  TempDir dir;
  const std::string path = dir.Join("state");
  ASSERT_OK(WriteFileAtomically(path, "first"));
  EXPECT_EQ(ReadAll(path), "first");
  ASSERT_OK(WriteFileAtomically(path, std::string(1 << 20, 'x'), /*fsync=*/false));
  EXPECT_EQ(ReadAll(path), std::string(1 << 20, 'x'));
  ASSERT_OK(WriteFileAtomically(path, ""));
  EXPECT_EQ(ReadAll(path), "");
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"state"});  // no temporary file left
}

TEST(AtomicFileTest, WriteFileAtomicallyKeepsTheOldFileOnFailure) {
  TempDir dir;
  // A directory where the file should be: the rename fails (EISDIR), the directory stays and
  // the temporary file is removed.
  const std::string path = dir.Join("taken");
  std::filesystem::create_directory(path);
  const Status s = WriteFileAtomically(path, "bytes");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().sys_errno(), EISDIR);
  EXPECT_EQ(s.error().message().substr(0, 7), "rename ");
  EXPECT_TRUE(std::filesystem::is_directory(path));
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"taken"});
}

TEST(AtomicFileTest, RenameIntoPlaceAndDirectorySync) {
  TempDir dir;
  const std::string temp = dir.Join(".a.tmp-1-000000");
  const std::string path = dir.Join("a");
  testing::WriteFile(temp, "new");
  testing::WriteFile(path, "old");
  ASSERT_OK(RenameIntoPlace(temp, path, /*sync_directory=*/true));
  EXPECT_EQ(ReadAll(path), "new");
  EXPECT_FALSE(std::filesystem::exists(temp));
  // The temporary file gone: an error naming both, and nothing changed.
  const Status again = RenameIntoPlace(temp, path, /*sync_directory=*/false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(),
            "rename " + temp + " to " + path + ": No such file or directory (ENOENT)");
  EXPECT_EQ(ReadAll(path), "new");
  ASSERT_OK(FsyncDirectoryOf(path));
  const Status missing = FsyncDirectoryOf(dir.Join("nowhere/a"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno(), ENOENT);
}

TEST(AtomicFileTest, WriteAllToFdWritesEverything) {
  TempDir dir;
  const std::string path = dir.Join("out");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const std::string bytes = testing::MakeContent(3 << 20);
  ASSERT_OK(WriteAllToFd(fd, bytes, path));
  ::close(fd);
  EXPECT_EQ(ReadAll(path), bytes);
  const Status bad = WriteAllToFd(-1, "x", "nowhere");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "write nowhere: Bad file descriptor (EBADF)");
}

}  // namespace
}  // namespace ringflow

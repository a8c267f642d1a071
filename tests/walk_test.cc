#include "framework/run/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/path.h"
#include "gtest/gtest.h"

namespace ringflow::run {
namespace {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/walk_test.XXXXXX";
    if (::mkdtemp(name) == nullptr) std::abort();
    path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    // Tests may leave a directory unreadable; give it back before removing.
    for (auto it = fs::recursive_directory_iterator(
             path_, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        ::chmod(it->path().c_str(), 0755);
      }
    }
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

// Changes the working directory for the scope of a test.
class ScopedChdir {
 public:
  explicit ScopedChdir(const std::string& dir) : saved_(::open(".", O_RDONLY | O_CLOEXEC)) {
    if (saved_ < 0 || ::chdir(dir.c_str()) != 0) std::abort();
  }
  ~ScopedChdir() {
    if (::fchdir(saved_) != 0) std::abort();
    ::close(saved_);
  }

 private:
  int saved_;
};

// Lowers RLIMIT_NOFILE for the scope of a test.
class ScopedFdLimit {
 public:
  explicit ScopedFdLimit(rlim_t soft) {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) std::abort();
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0) std::abort();
  }
  ~ScopedFdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_;
};

void WriteFile(const std::string& path, const std::string& contents = "x\n") {
  fs::create_directories(fs::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fputs(contents.c_str(), f);
  std::fclose(f);
}

// Cheaper than WriteFile for trees of 100,000 files.
void TouchAt(int dir_fd, const char* name) {
  const int fd = ::openat(dir_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << name;
  ::close(fd);
}

void Symlink(const std::string& target, const std::string& link) {
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0) << link << ": " << std::strerror(errno);
}

struct Skip {
  std::string path;
  Error why;
};

struct Outcome {
  std::vector<std::string> files;  // in the order reported
  std::vector<uint64_t> sizes;
  std::vector<Skip> skips;

  std::vector<std::string> SortedFiles() const {
    std::vector<std::string> sorted = files;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }
  const Skip* FindSkip(const std::string& path) const {
    for (const Skip& skip : skips) {
      if (skip.path == path) return &skip;
    }
    return nullptr;
  }
};

Outcome RunWalk(const std::vector<std::string>& roots, const WalkOptions& options = {}) {
  Outcome out;
  const Status status = Walk(
      roots, options,
      [&out](WalkFile&& file) {
        out.files.push_back(std::move(file.path));
        out.sizes.push_back(file.size_hint);
      },
      [&out](const std::string& path, const Error& why) {
        out.skips.push_back({path, why});
      });
  EXPECT_TRUE(status.ok()) << status.error().message();
  return out;
}

// What GNU `find -L ROOT -type f` prints, run in `cwd`, sorted.
std::vector<std::string> RunFind(const std::string& cwd, const std::string& root) {
  const std::string command = "cd '" + cwd + "' && find -L '" + root + "' -type f 2>/dev/null";
  std::vector<std::string> lines;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return lines;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    std::string line = buffer;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    lines.push_back(std::move(line));
  }
  ::pclose(pipe);
  std::sort(lines.begin(), lines.end());
  return lines;
}

bool HaveFind() { return std::system("find / -maxdepth 0 >/dev/null 2>&1") == 0; }

size_t OpenDescriptorCount() {
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++count;
  }
  return count;
}

// dir/ with nested directories, an empty one, hidden entries, symlinks to a file and a directory.
void BuildMixedTree(const TempDir& tmp) {
  WriteFile(tmp / "dir/a.log");
  WriteFile(tmp / "dir/b/c.log");
  WriteFile(tmp / "dir/b/d/e.log");
  WriteFile(tmp / "dir/.hidden");
  WriteFile(tmp / "dir/.hdir/f.log");
  WriteFile(tmp / "dir/name with space");
  fs::create_directories(tmp / "dir/empty");
  Symlink("a.log", tmp / "dir/link_to_file");
  Symlink("b", tmp / "dir/link_to_dir");
  WriteFile(tmp / "top.log");
}

TEST(WalkTest, SpellingMatchesFindForEveryRootForm) {
  if (!HaveFind()) GTEST_SKIP() << "GNU find not available";
  TempDir tmp;
  BuildMixedTree(tmp);
  ScopedChdir cd(tmp.path());
  for (const std::string& root : std::vector<std::string>{
           ".", "./", ".//", "dir", "dir/", "dir//", "./dir", "./dir/", "dir/b/..", "dir/a.log",
           "dir/link_to_file", "dir/link_to_dir", "dir/link_to_dir/", tmp.path() + "/dir/",
           "/" + tmp.path() + "/dir"}) {
    SCOPED_TRACE("root " + root);
    const Outcome out = RunWalk({root});
    EXPECT_EQ(out.SortedFiles(), RunFind(tmp.path(), root));
    EXPECT_TRUE(out.skips.empty());
  }
}

TEST(WalkTest, SpellsRootsLikeFind) {
  TempDir tmp;
  WriteFile(tmp / "dir/a");
  ScopedChdir cd(tmp.path());
  EXPECT_EQ(RunWalk({"."}).files, std::vector<std::string>{"./dir/a"});
  EXPECT_EQ(RunWalk({"dir"}).files, std::vector<std::string>{"dir/a"});
  EXPECT_EQ(RunWalk({"dir/"}).files, std::vector<std::string>{"dir/a"});
  EXPECT_EQ(RunWalk({"dir//"}).files, std::vector<std::string>{"dir//a"});
  EXPECT_EQ(RunWalk({"dir/a"}).files, std::vector<std::string>{"dir/a"});
  EXPECT_EQ(RunWalk({"./dir/../dir/a"}).files, std::vector<std::string>{"./dir/../dir/a"});
}

TEST(WalkTest, OrderIsBytewiseDepthFirstAndRootsInGivenOrder) {
  TempDir tmp;
  // Bytewise order differs from locale and "natural" order: '-' < '.' < digits < 'B' < '_' <
  // 'a' < UTF-8 lead bytes.
  for (const char* name : {"a", "B", "_x", "a.b", "a-b", "10", "9", "\xc3\xa4", "c"}) {
    WriteFile(tmp / (std::string("r/") + name));
  }
  WriteFile(tmp / "r/b/z");
  WriteFile(tmp / "r/b/a");
  WriteFile(tmp / "r/b/a0/q");
  WriteFile(tmp / "other/x");
  ScopedChdir cd(tmp.path());
  const std::vector<std::string> expected = {"r/10",  "r/9",        "r/B",     "r/_x",     "r/a",
                                             "r/a-b", "r/a.b",      "r/b/a",   "r/b/a0/q", "r/b/z",
                                             "r/c",   "r/\xc3\xa4", "other/x", "r/b/a"};
  const Outcome out = RunWalk({"r", "other", "r/b/a"});
  EXPECT_EQ(out.files, expected);
  EXPECT_EQ(RunWalk({"r", "other", "r/b/a"}).files, out.files);  // same tree, same sequence
}

TEST(WalkTest, FindsFilesInDeeplyNestedDirectories) {
  TempDir tmp;
  std::string relative = "n";
  std::vector<std::string> expected;
  for (int level = 0; level < 60; ++level) {
    relative += "/d" + std::to_string(level);
    WriteFile(tmp / (relative + "/f"));
    expected.push_back(relative + "/f");
  }
  ScopedChdir cd(tmp.path());
  const Outcome out = RunWalk({"n"});
  // d0/d1 sorts before d0/f: deepest files come first.
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(out.files, expected);
  EXPECT_TRUE(out.skips.empty());
}

// Removes `name` (relative to dir_fd) and everything below it through descriptors: the one-path
// calls (std::filesystem's included) refuse paths of PATH_MAX bytes or more.
void RemoveTreeAt(int dir_fd, const char* name) {
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    DIR* dir = ::fdopendir(fd);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(dir)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    for (const std::string& n : names) {
      if (::unlinkat(fd, n.c_str(), 0) != 0) RemoveTreeAt(fd, n.c_str());
    }
    ::closedir(dir);
  }
  ::unlinkat(dir_fd, name, AT_REMOVEDIR);
}

// 45 levels of ~120-byte names: past the 32 levels that hold a descriptor, and past PATH_MAX.
// Before, files below PATH_MAX's depth were reported as "File name too long".
TEST(WalkTest, FindsFilesInTreesDeeperThanPathMax) {
  TempDir tmp;
  ScopedChdir cd(tmp.path());
  ASSERT_EQ(::mkdir("n", 0755), 0);
  int fd = ::open("n", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string relative = "n";
  std::vector<std::string> expected;
  for (int level = 0; level < 45; ++level) {
    const std::string name = std::to_string(level) + std::string(118, 'd');
    ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(fd);
    ASSERT_GE(next, 0);
    fd = next;
    relative += "/" + name;
    if (level % 4 == 0) {
      TouchAt(fd, "f");
      expected.push_back(relative + "/f");
    }
  }
  // A FIFO and a dangling symlink at the bottom: reported with their reasons (the symlink is
  // stat'ed relative to a held descriptor, not by its whole path).
  ASSERT_EQ(::mkfifoat(fd, "fifo", 0644), 0);
  ASSERT_EQ(::symlinkat("missing", fd, "link"), 0);
  ::close(fd);
  ASSERT_GT(relative.size(), static_cast<std::size_t>(PATH_MAX));
  const Outcome out = RunWalk({"n"});
  std::sort(expected.begin(), expected.end());
  // (Not EXPECT_EQ: the paths are too long to print.)
  EXPECT_TRUE(out.SortedFiles() == expected)
      << out.files.size() << " files, expected " << expected.size();
  ASSERT_EQ(out.skips.size(), 2u);
  const Skip* fifo = out.FindSkip(relative + "/fifo");
  ASSERT_NE(fifo, nullptr);
  EXPECT_EQ(fifo->why.message(), "not a regular file (fifo)");
  const Skip* link = out.FindSkip(relative + "/link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->why.sys_errno(), ENOENT);
  EXPECT_EQ(link->why.message(), "dangling symlink: No such file or directory (ENOENT)");
  RemoveTreeAt(AT_FDCWD, "n");
}

TEST(OpenParentDirectoryTest, OpensWhatTheWholePathWouldName) {
  TempDir tmp;
  WriteFile(tmp / "a/b/c.log", "abc\n");
  ScopedChdir cd(tmp.path());
  // Short paths too: relative, absolute, without a directory.
  for (const std::string& path :
       {std::string("a/b/c.log"), tmp / "a/b/c.log", std::string("a//b/c.log")}) {
    auto parent = OpenParentDirectory(AT_FDCWD, path);
    ASSERT_TRUE(parent.ok()) << path << ": " << parent.error().message();
    EXPECT_EQ(path.substr(parent->leaf_offset), "c.log");
    struct stat st;
    EXPECT_EQ(::fstatat(parent->fd, path.c_str() + parent->leaf_offset, &st, 0), 0) << path;
    EXPECT_EQ(st.st_size, 4);
    ::close(parent->fd);
  }
  auto bare = OpenParentDirectory(AT_FDCWD, "a");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->leaf_offset, 0u);
  ::close(bare->fd);
  auto missing = OpenParentDirectory(AT_FDCWD, "a/nope/c.log");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno(), ENOENT);
  // One component longer than a piece can be.
  auto too_long = OpenParentDirectory(AT_FDCWD, "a/" + std::string(PATH_MAX + 10, 'x') + "/c");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().sys_errno(), ENAMETOOLONG);
}

TEST(OpenParentDirectoryTest, LongPathThroughSymlinksAndDotDot) {
  TempDir tmp;
  ScopedChdir cd(tmp.path());
  // 40 levels of 120 bytes, reached through a symlink and a "..": 4,900 bytes.
  ASSERT_EQ(::mkdir("top", 0755), 0);
  int dir = ::open("top", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  std::string path;
  for (int i = 0; i < 40 && dir >= 0; ++i) {
    const std::string name(119, static_cast<char>('a' + i % 26));
    ASSERT_EQ(::mkdirat(dir, name.c_str(), 0755), 0);
    const int next = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::close(dir);
    dir = next;
    path += "/" + name;
  }
  ASSERT_GE(dir, 0);
  ASSERT_EQ(::mkdirat(dir, "x", 0755), 0);
  const int out = ::openat(dir, "f.log", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(out, 0);
  ASSERT_EQ(::write(out, "deep\n", 5), 5);
  ::close(out);
  ::close(dir);
  ASSERT_EQ(::symlink("top", "via"), 0);
  const std::string file = "via" + path + "/x/../f.log";
  ASSERT_GT(file.size(), static_cast<std::size_t>(PATH_MAX));
  const int fd = OpenAtAnyLength(AT_FDCWD, file.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  char buf[8] = {};
  EXPECT_EQ(::read(fd, buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "deep\n");
  ::close(fd);
  struct stat st;
  ASSERT_EQ(StatAtAnyLength(AT_FDCWD, file.c_str(), &st, 0), 0);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(OpenAtAnyLength(AT_FDCWD, (file + ".missing").c_str(), O_RDONLY), -1);
  EXPECT_EQ(errno, ENOENT);
  RemoveTreeAt(AT_FDCWD, "top");
}

TEST(OpenParentDirectoryTest, NotRegularFileErrorNamesTheKind) {
  EXPECT_EQ(NotRegularFileError(S_IFIFO | 0644).message(), "not a regular file (fifo)");
  EXPECT_EQ(NotRegularFileError(S_IFCHR | 0666).message(), "not a regular file (character device)");
  EXPECT_EQ(NotRegularFileError(S_IFBLK | 0660).message(), "not a regular file (block device)");
  EXPECT_EQ(NotRegularFileError(S_IFSOCK | 0755).message(), "not a regular file (socket)");
  EXPECT_EQ(NotRegularFileError(S_IFIFO).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(NotRegularFileError(S_IFIFO).sys_errno(), 0);
}

TEST(WalkTest, EmptyDirectoryGivesNothing) {
  TempDir tmp;
  fs::create_directories(tmp / "empty/also_empty");
  const Outcome out = RunWalk({tmp / "empty"});
  EXPECT_TRUE(out.files.empty());
  EXPECT_TRUE(out.skips.empty());
}

TEST(WalkTest, FifoIsReportedAndNeverOpened) {
  TempDir tmp;
  WriteFile(tmp / "d/a");
  ASSERT_EQ(::mkfifo((tmp / "d/fifo").c_str(), 0644), 0);
  Symlink("fifo", tmp / "d/link_to_fifo");
  // Opening a FIFO for reading blocks until a writer comes: run the walk on a thread and, should
  // it hang, play the writer so the test fails instead of hanging.
  auto walk = std::async(std::launch::async, [&] { return RunWalk({tmp / "d", tmp / "d/fifo"}); });
  if (walk.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    const int fd = ::open((tmp / "d/fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    walk.wait();
    if (fd >= 0) ::close(fd);
    FAIL() << "the walk opened the FIFO";
  }
  const Outcome out = walk.get();
  EXPECT_EQ(out.files, std::vector<std::string>{tmp / "d/a"});
  ASSERT_EQ(out.skips.size(), 3u);
  for (const std::string& path : {tmp / "d/fifo", tmp / "d/link_to_fifo"}) {
    const Skip* skip = out.FindSkip(path);
    ASSERT_NE(skip, nullptr) << path;
    EXPECT_EQ(skip->why.message(), "not a regular file (fifo)");
    EXPECT_EQ(skip->why.code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(out.skips[2].path, tmp / "d/fifo");  // the root, after the tree
}

TEST(WalkTest, UnixSocketIsReported) {
  TempDir tmp;
  fs::create_directories(tmp / "s");
  WriteFile(tmp / "s/z");
  const std::string socket_path = tmp / "s/sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ::close(fd);  // the socket file stays

  const Outcome out = RunWalk({tmp / "s", socket_path});
  EXPECT_EQ(out.files, std::vector<std::string>{tmp / "s/z"});
  ASSERT_EQ(out.skips.size(), 2u);
  EXPECT_EQ(out.skips[0].path, socket_path);
  EXPECT_EQ(out.skips[0].why.message(), "not a regular file (socket)");
  EXPECT_EQ(out.skips[1].path, socket_path);
  EXPECT_EQ(out.skips[1].why.message(), "not a regular file (socket)");
}

TEST(WalkTest, CharacterDeviceIsReported) {
  TempDir tmp;
  fs::create_directories(tmp / "d");
  Symlink("/dev/null", tmp / "d/null");
  const Outcome out = RunWalk({"/dev/null", tmp / "d"});
  EXPECT_TRUE(out.files.empty());
  ASSERT_EQ(out.skips.size(), 2u);
  EXPECT_EQ(out.skips[0].path, "/dev/null");
  EXPECT_EQ(out.skips[0].why.message(), "not a regular file (character device)");
  EXPECT_EQ(out.skips[1].path, tmp / "d/null");
  EXPECT_EQ(out.skips[1].why.message(), "not a regular file (character device)");
}

TEST(WalkTest, DanglingSymlinkIsReported) {
  TempDir tmp;
  WriteFile(tmp / "d/a");
  Symlink("does-not-exist", tmp / "d/dangling");
  const Outcome out = RunWalk({tmp / "d", tmp / "d/dangling"});
  EXPECT_EQ(out.files, std::vector<std::string>{tmp / "d/a"});
  ASSERT_EQ(out.skips.size(), 2u);
  for (const Skip& skip : out.skips) {
    EXPECT_EQ(skip.path, tmp / "d/dangling");
    EXPECT_EQ(skip.why.message(), "dangling symlink: No such file or directory (ENOENT)");
    EXPECT_EQ(skip.why.code(), ErrorCode::kNotFound);
    EXPECT_EQ(skip.why.sys_errno(), ENOENT);
  }
}

TEST(WalkTest, SymlinkLoopIsDetectedAndTerminates) {
  TempDir tmp;
  WriteFile(tmp / "t/dir/a");
  WriteFile(tmp / "t/b");
  Symlink("..", tmp / "t/dir/loop");
  {
    ScopedChdir cd(tmp.path());
    const Outcome out = RunWalk({"t"});
    EXPECT_EQ(out.files, (std::vector<std::string>{"t/b", "t/dir/a"}));
    ASSERT_EQ(out.skips.size(), 1u);
    EXPECT_EQ(out.skips[0].path, "t/dir/loop");
    EXPECT_EQ(out.skips[0].why.sys_errno(), ELOOP);
    EXPECT_EQ(out.skips[0].why.message(),
              "file system loop (same directory as 't'): Too many levels of symbolic links "
              "(ELOOP)");
    if (HaveFind()) {
      EXPECT_EQ(out.SortedFiles(), RunFind(tmp.path(), "t"));
    }
  }
  {
    // From t/dir, loop leads to t, which is not on the path yet; t/dir/loop/dir is.
    ScopedChdir cd(tmp.path());
    const Outcome out = RunWalk({"t/dir/"});
    EXPECT_EQ(out.files, (std::vector<std::string>{"t/dir/a", "t/dir/loop/b"}));
    ASSERT_EQ(out.skips.size(), 1u);
    EXPECT_EQ(out.skips[0].path, "t/dir/loop/dir");
    EXPECT_EQ(out.skips[0].why.message(),
              "file system loop (same directory as 't/dir/'): Too many levels of symbolic links "
              "(ELOOP)");
    if (HaveFind()) {
      EXPECT_EQ(out.SortedFiles(), RunFind(tmp.path(), "t/dir/"));
    }
  }
}

TEST(WalkTest, SelfReferencingSymlinksAreReported) {
  TempDir tmp;
  fs::create_directories(tmp / "d");
  Symlink("self", tmp / "d/self");
  Symlink("ping", tmp / "d/pong");
  Symlink("pong", tmp / "d/ping");
  Symlink(".", tmp / "d/dot");
  const Outcome out = RunWalk({tmp / "d"});
  EXPECT_TRUE(out.files.empty());
  ASSERT_EQ(out.skips.size(), 4u);
  for (const Skip& skip : out.skips) EXPECT_EQ(skip.why.sys_errno(), ELOOP) << skip.path;
  EXPECT_EQ(out.skips[0].path, tmp / "d/dot");
  EXPECT_EQ(out.skips[1].why.message(), "Too many levels of symbolic links (ELOOP)");
}

TEST(WalkTest, FollowsSymlinkToFile) {
  TempDir tmp;
  WriteFile(tmp / "real/data.log", "12345");
  WriteFile(tmp / "d/own");
  Symlink("../real/data.log", tmp / "d/link.log");
  const Outcome out = RunWalk({tmp / "d", tmp / "d/link.log"});
  EXPECT_EQ(out.files,
            (std::vector<std::string>{tmp / "d/link.log", tmp / "d/own", tmp / "d/link.log"}));
  EXPECT_TRUE(out.skips.empty());
  // A symlink is stat'ed, so its target's size comes along; a plain entry is not.
  EXPECT_EQ(out.sizes, (std::vector<uint64_t>{5, kWalkNoSize, 5}));
}

TEST(WalkTest, FollowsSymlinkToDirectory) {
  TempDir tmp;
  WriteFile(tmp / "elsewhere/x/y");
  fs::create_directories(tmp / "d");
  Symlink("../elsewhere", tmp / "d/link");
  const Outcome out = RunWalk({tmp / "d"});
  EXPECT_EQ(out.files, std::vector<std::string>{tmp / "d/link/x/y"});
  EXPECT_TRUE(out.skips.empty());
}

TEST(WalkTest, MissingRootIsReportedAndWalkGoesOn) {
  TempDir tmp;
  WriteFile(tmp / "a");
  const Outcome out = RunWalk({tmp / "missing", "", tmp / "a", tmp / "a/"});
  EXPECT_EQ(out.files, std::vector<std::string>{tmp / "a"});
  ASSERT_EQ(out.skips.size(), 3u);
  EXPECT_EQ(out.skips[0].path, tmp / "missing");
  EXPECT_EQ(out.skips[0].why.message(), "No such file or directory (ENOENT)");
  EXPECT_EQ(out.skips[0].why.code(), ErrorCode::kNotFound);
  EXPECT_EQ(out.skips[0].why.sys_errno(), ENOENT);
  EXPECT_EQ(out.skips[1].path, "");
  EXPECT_EQ(out.skips[1].why.sys_errno(), ENOENT);
  EXPECT_EQ(out.skips[2].path, tmp / "a/");
  EXPECT_EQ(out.skips[2].why.message(), "Not a directory (ENOTDIR)");
}

TEST(WalkTest, SkipHiddenSkipsDotEntriesButNotRoots) {
  TempDir tmp;
  WriteFile(tmp / "d/.hidden");
  WriteFile(tmp / "d/.hdir/inner");
  WriteFile(tmp / "d/visible");
  WriteFile(tmp / "d/sub/.h");
  WriteFile(tmp / "d/sub/v");
  ScopedChdir cd(tmp.path());
  WalkOptions options;
  options.skip_hidden = true;
  EXPECT_EQ(RunWalk({"d"}, options).files, (std::vector<std::string>{"d/sub/v", "d/visible"}));
  EXPECT_EQ(RunWalk({"d/.hdir", "d/.hidden"}, options).files,
            (std::vector<std::string>{"d/.hdir/inner", "d/.hidden"}));
  ScopedChdir cd_inner(tmp / "d/.hdir");
  EXPECT_EQ(RunWalk({"."}, options).files, std::vector<std::string>{"./inner"});
  // Without the option, hidden entries are files like any other.
  EXPECT_EQ(RunWalk({"../../d"}).files.size(), 5u);
}

TEST(WalkTest, OnHiddenReportsEachSkippedEntryOnceInWalkOrder) {
  TempDir tmp;
  WriteFile(tmp / "d/.hidden");
  WriteFile(tmp / "d/.hdir/inner");
  WriteFile(tmp / "d/.hdir/deeper/x");
  WriteFile(tmp / "d/visible");
  WriteFile(tmp / "d/sub/.h");
  ScopedChdir cd(tmp.path());
  WalkOptions options;
  options.skip_hidden = true;
  std::vector<std::string> hidden;
  options.on_hidden = [&](const std::string& path) { hidden.push_back(path); };
  EXPECT_EQ(RunWalk({"d"}, options).files, std::vector<std::string>{"d/visible"});
  // The hidden directory is reported once, not entered; ".." and "." are not entries.
  EXPECT_EQ(hidden, (std::vector<std::string>{"d/.hdir", "d/.hidden", "d/sub/.h"}));
}

TEST(WalkTest, NonRecursiveReportsDirectoryRoots) {
  TempDir tmp;
  WriteFile(tmp / "d/a");
  WalkOptions options;
  options.recursive = false;
  const Outcome out = RunWalk({tmp / "d", tmp / "d/a"}, options);
  EXPECT_EQ(out.files, std::vector<std::string>{tmp / "d/a"});
  ASSERT_EQ(out.skips.size(), 1u);
  EXPECT_EQ(out.skips[0].path, tmp / "d");
  EXPECT_EQ(out.skips[0].why.code(), ErrorCode::kIsDirectory);
  EXPECT_EQ(out.skips[0].why.message(), "Is a directory (EISDIR)");
}

TEST(WalkTest, SizeHintOnlyWhereStatWasDone) {
  TempDir tmp;
  WriteFile(tmp / "d/plain", "abc");
  const Outcome out = RunWalk({tmp / "d", tmp / "d/plain"});
  EXPECT_EQ(out.sizes, (std::vector<uint64_t>{kWalkNoSize, 3}));
}

TEST(WalkTest, EmptyCallbackIsInvalidArgument) {
  const Status status = Walk({"."}, {}, nullptr, [](const std::string&, const Error&) {});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
}

TEST(WalkTest, ClosesEveryDescriptor) {
  TempDir tmp;
  WriteFile(tmp / "t/a/b/c/d");
  Symlink("../..", tmp / "t/a/b/loop");
  Symlink("nowhere", tmp / "t/a/dangling");
  const size_t before = OpenDescriptorCount();
  const Outcome out = RunWalk({tmp / "t", tmp / "missing"});
  EXPECT_EQ(out.files.size(), 1u);
  EXPECT_EQ(out.skips.size(), 3u);
  EXPECT_EQ(OpenDescriptorCount(), before);
}

TEST(WalkTest, TreeDeeperThanTheDescriptorLimitIsWalkedWhole) {
  TempDir tmp;
  std::string relative = "deep";
  for (int level = 0; level < 100; ++level) relative += "/d";
  WriteFile(tmp / (relative + "/bottom"));
  WriteFile(tmp / "deep/top");
  const Outcome out = [&] {
    // Fewer descriptors than levels: deep frames must give theirs back.
    ScopedFdLimit limit(OpenDescriptorCount() + 40);
    return RunWalk({tmp / "deep"});
  }();
  EXPECT_EQ(out.files, (std::vector<std::string>{tmp / (relative + "/bottom"), tmp / "deep/top"}));
  EXPECT_TRUE(out.skips.empty());
}

TEST(WalkTest, HundredThousandFilesWithLowDescriptorLimit) {
  TempDir tmp;
  // 100 directories of 1,000 files: a spine ten levels deep with nine siblings at each level,
  // plus a chain 150 levels deep, under a descriptor limit of 256.
  size_t expected = 0;
  auto fill = [&](const std::string& dir, int files) {
    fs::create_directories(dir);
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd, 0);
    char name[32];
    for (int f = 0; f < files; ++f) {
      std::snprintf(name, sizeof name, "f%04d.log", f);
      TouchAt(dir_fd, name);
      ++expected;
    }
    ::close(dir_fd);
  };
  std::string spine = tmp / "big";
  for (int d = 0; d < 100; ++d) {
    if (d % 10 == 0) {
      spine += "/n" + std::to_string(d);
      fill(spine, 1000);
    } else {
      fill(spine + "/m" + std::to_string(d), 1000);
    }
  }
  std::string chain = tmp / "big/chain";
  for (int level = 0; level < 150; ++level) chain += "/c";
  fill(chain, 2);

  ScopedFdLimit limit(256);
  size_t found = 0;
  std::string last;
  bool increasing = true;  // no name here sorts below '/', so paths come in strcmp order
  const Status status = Walk(
      {tmp / "big"}, {},
      [&](WalkFile&& file) {
        ++found;
        if (file.path <= last) increasing = false;
        last = std::move(file.path);
      },
      [](const std::string& path, const Error& why) {
        ADD_FAILURE() << path << ": " << why.message();
      });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(found, expected);
  EXPECT_TRUE(increasing);
}

// 20,000 files over 650 nested directories, as `ringflow checksum` sees a log tree. Prints the
// warm walk time; the bound only catches gross regressions (sanitizer builds are slow).
// Root bypasses permission bits, so the check runs in a child that has become "nobody".
TEST(WalkTest, UnreadableDirectoryIsReportedAndWalkGoesOn) {
  TempDir tmp;
  WriteFile(tmp / "tree/a");
  WriteFile(tmp / "tree/locked/secret");
  WriteFile(tmp / "tree/z");
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod((tmp / "tree/locked").c_str(), 0), 0);
  auto check = [&]() -> int {
    const Outcome out = RunWalk({tmp / "tree"});
    if (out.files != std::vector<std::string>{tmp / "tree/a", tmp / "tree/z"}) return 10;
    if (out.skips.size() != 1 || out.skips[0].path != tmp / "tree/locked") return 11;
    if (out.skips[0].why.message() != "Permission denied (EACCES)") return 12;
    if (out.skips[0].why.code() != ErrorCode::kPermissionDenied) return 13;
    return 0;
  };
  if (::geteuid() != 0) {
    EXPECT_EQ(check(), 0);
    return;
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    constexpr uid_t kNobody = 65534;
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
      ::_exit(77);
    }
    ::_exit(check());
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  if (WEXITSTATUS(wait_status) == 77) GTEST_SKIP() << "cannot drop privileges to test EACCES";
  EXPECT_EQ(WEXITSTATUS(wait_status), 0);
}

}  // namespace
}  // namespace ringflow::run

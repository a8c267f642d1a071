#include "framework/core/path.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace ringflow {
namespace {

Error NotRegular(const char* kind) {
  std::string message = "not a regular file (";
  message += kind;
  message += ')';
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

// The kind named in the "not a regular file" reason.
const char* KindFromMode(mode_t mode) {
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISDIR(mode)) return "directory";
  return "unknown type";
}

}  // namespace

Result<ParentDirectory> OpenParentDirectory(int dir_fd, const std::string& path) {
  // Pieces of at most PATH_MAX - 1 bytes (the kernel counts the NUL), cut at a '/'.
  constexpr std::size_t kMaxPiece = PATH_MAX - 1;
  constexpr int kFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    const int fd = ::openat(dir_fd, ".", kFlags);
    if (fd < 0) return Error::FromErrno(errno, "open");
    return ParentDirectory{fd, 0};
  }
  const std::size_t end = slash == 0 ? 1 : slash;  // "/x": the parent is "/"
  int current = dir_fd;
  std::size_t start = 0;
  std::string piece;
  while (start < end) {
    if (start > 0 && path[start] == '/') {  // "a//b": an empty component
      ++start;
      continue;
    }
    std::size_t cut = end;
    if (end - start > kMaxPiece) {
      cut = path.rfind('/', start + kMaxPiece);
      if (cut == std::string::npos || cut <= start) {  // one component alone is too long
        if (current != dir_fd) ::close(current);
        return Error::FromErrno(ENAMETOOLONG, "open");
      }
    }
    piece.assign(path, start, cut - start);
    start = cut + 1;
    const int fd = ::openat(current, piece.c_str(), kFlags);
    const int err = errno;
    if (current != dir_fd) ::close(current);
    if (fd < 0) return Error::FromErrno(err, "open");
    current = fd;
  }
  return ParentDirectory{current, slash + 1};
}

int OpenAtAnyLength(int dir_fd, const char* path, int flags) {
  const std::size_t length = std::strlen(path);
  if (length < PATH_MAX) return ::openat(dir_fd, path, flags);
  auto parent = OpenParentDirectory(dir_fd, std::string(path, length));
  if (!parent.ok()) {
    errno = parent.error().sys_errno();
    return -1;
  }
  const int fd = ::openat(parent->fd, path + parent->leaf_offset, flags);
  const int err = errno;
  ::close(parent->fd);
  errno = err;
  return fd;
}

int StatAtAnyLength(int dir_fd, const char* path, struct stat* st, int flags) {
  const std::size_t length = std::strlen(path);
  if (length < PATH_MAX) return ::fstatat(dir_fd, path, st, flags);
  auto parent = OpenParentDirectory(dir_fd, std::string(path, length));
  if (!parent.ok()) {
    errno = parent.error().sys_errno();
    return -1;
  }
  const int ret = ::fstatat(parent->fd, path + parent->leaf_offset, st, flags);
  const int err = errno;
  ::close(parent->fd);
  errno = err;
  return ret;
}

Error NotRegularFileError(uint32_t mode) {
  return NotRegular(KindFromMode(static_cast<mode_t>(mode)));
}

}  // namespace ringflow

// Paths of any length and the reason for a file that is not regular: what the walker and the
// readers share. Thread-safe (no state).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "framework/core/error.h"
#include "framework/core/result.h"

namespace ringflow {

// Paths of any length. The kernel refuses a path of PATH_MAX bytes or more (ENAMETOOLONG)
// however few directories it names, though a tree may be that deep (`find -L` walks it with
// descriptors). These resolve such a path in pieces shorter than PATH_MAX, each relative to the
// directory the previous piece opened, following symlinks exactly as the one-call forms would.

// The parent directory of `path` (relative to dir_fd, or absolute) opened O_PATH|O_DIRECTORY,
// and where the last component starts in `path`: openat(fd, path + leaf_offset, ...) then opens
// what openat(dir_fd, path, ...) names. The caller closes fd. Errors: the errno of the piece that
// failed, with context "open" (ENAMETOOLONG when one component alone is too long).
struct ParentDirectory {
  int fd = -1;
  std::size_t leaf_offset = 0;
};
Result<ParentDirectory> OpenParentDirectory(int dir_fd, const std::string& path);

// openat() and fstatat() for a path of any length: the plain call below PATH_MAX, else through
// OpenParentDirectory. -1 with errno set on failure, as the plain calls.
int OpenAtAnyLength(int dir_fd, const char* path, int flags);
int StatAtAnyLength(int dir_fd, const char* path, struct stat* st, int flags);

// "not a regular file (fifo)", "(socket)", "(character device)", "(block device)", "(directory)":
// the walker's reason for a file that is not regular, from its st_mode (kInvalidArgument, no
// errno); a directory entry's d_type converts with DTTOIF. For the walker, and for readers that
// find a file changed type after the walk.
Error NotRegularFileError(uint32_t mode);

}  // namespace ringflow

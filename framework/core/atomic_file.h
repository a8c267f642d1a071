// Files replaced whole: written under a temporary name beside the target, then renamed over it,
// so that a reader (or the file system after a crash) sees the old file or the new one, never a
// part of either. The pieces are separate for writers that stream (the JSON sink) and one call
// does it all for a file written in one go. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "framework/core/result.h"

namespace ringflow {

// An open temporary file made by CreateTempFileBeside.
struct TempFile {
  int fd = -1;       // O_WRONLY | O_CLOEXEC; the caller closes it
  std::string path;  // "DIR/.BASE.tmp-PID-XXXXXX"
};

// The temporary name for `path` ending in `unique`: ".BASE.tmp-UNIQUE" in `path`'s directory
// ("logs/out.json", "7-00beef" -> "logs/.out.json.tmp-7-00beef"; "out.json" -> ".out.json.tmp-7-
// 00beef"). REQUIRES: `path` does not end in '/'.
std::string TempPathFor(std::string_view path, std::string_view unique);

// Creates TempPathFor(path, "PID-XXXXXX") (XXXXXX: 6 random hex digits, drawn again up to 16
// times while the name exists) with O_EXCL, mode 0666 & ~umask. Beside `path`, so that the rename
// stays within one file system and is atomic; random, as the process id alone is not unique (a
// run killed earlier may have left its file, and in a container every run may be process 1).
// Errors: open(2)'s errno as "create <path>", or "create <temporary path>" when every name
// drawn existed. REQUIRES: `path` does not end in '/'.
Result<TempFile> CreateTempFileBeside(const std::string& path);

// write(2)s all of `bytes` to `fd`, again after EINTR and short writes. Errors: "write <name>"
// with write's errno (EIO when it wrote nothing).
Status WriteAllToFd(int fd, std::string_view bytes, std::string_view name);

// fsyncs the directory that holds `path` ("." for a bare name): a rename or a new file in it
// survives a crash only after that. Errors: "open <dir>" or "fsync <dir>" with the errno.
Status FsyncDirectoryOf(const std::string& path);

// Renames `temp` over `path` (REQUIRES: the same directory), then, when `sync_directory`,
// fsyncs the directory so that the new name is durable. On failure `temp` is left where it is
// (the caller removes it). Errors: "rename <temp> to <path>" with rename's errno, then
// FsyncDirectoryOf's.
Status RenameIntoPlace(const std::string& temp, const std::string& path, bool sync_directory);

// Replaces `path` with `bytes`: CreateTempFileBeside, WriteAllToFd, then with `fsync` fsync of
// the file (the new name must never point at data still only in the page cache), close, and
// RenameIntoPlace (with a directory fsync when `fsync`). On failure the temporary file is
// removed and `path` is untouched. Errors: those of the steps, "fsync <temp>", "close <temp>".
Status WriteFileAtomically(const std::string& path, std::string_view bytes, bool fsync = true);

}  // namespace ringflow

#include "framework/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

#include "framework/core/error.h"

namespace ringflow {
namespace {

// A path in a message: escaped and cut (a path given on the command line may be megabytes long).
std::string Shown(std::string_view path) { return ShortenForMessage(path); }

}  // namespace

std::string TempPathFor(std::string_view path, std::string_view unique) {
  const std::size_t slash = path.rfind('/');
  const std::string_view dir = slash == std::string_view::npos ? "" : path.substr(0, slash + 1);
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string temp(dir);
  temp += '.';
  temp += base;
  temp += ".tmp-";
  temp += unique;
  return temp;
}

Result<TempFile> CreateTempFileBeside(const std::string& path) {
  TempFile file;
  for (int attempt = 0; file.fd < 0 && attempt < 16; ++attempt) {
    char unique[24];
    std::snprintf(unique, sizeof unique, "%d-%06x", static_cast<int>(::getpid()),
                  static_cast<unsigned>(std::random_device()() & 0xffffff));
    file.path = TempPathFor(path, unique);
    file.fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (file.fd < 0 && errno != EEXIST) break;
  }
  if (file.fd < 0) {
    // Name the file the caller asked for, unless the temporary name itself is the problem.
    const int err = errno;
    return Error::FromErrno(err, "create " + Shown(err == EEXIST ? file.path : path));
  }
  return file;
}

Status WriteAllToFd(int fd, std::string_view bytes, std::string_view name) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    // write(2) returns 0 for a non-empty buffer only on odd devices; do not spin on it.
    if (n <= 0) return Error::FromErrno(n < 0 ? errno : EIO, "write " + Shown(name));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

Status FsyncDirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno(errno, "open " + Shown(dir));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error::FromErrno(err, "fsync " + Shown(dir));
  return OkStatus();
}

Status RenameIntoPlace(const std::string& temp, const std::string& path, bool sync_directory) {
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Error::FromErrno(errno, "rename " + Shown(temp) + " to " + Shown(path));
  }
  return sync_directory ? FsyncDirectoryOf(path) : OkStatus();
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes, bool fsync) {
  RINGFLOW_ASSIGN_OR_RETURN(TempFile temp, CreateTempFileBeside(path));
  Status s = WriteAllToFd(temp.fd, bytes, temp.path);
  if (s.ok() && fsync && ::fsync(temp.fd) != 0) {
    s = Error::FromErrno(errno, "fsync " + Shown(temp.path));
  }
  // close(2) can report a deferred write error (NFS); the descriptor is gone either way.
  if (::close(temp.fd) != 0 && s.ok()) s = Error::FromErrno(errno, "close " + Shown(temp.path));
  if (s.ok()) s = RenameIntoPlace(temp.path, path, /*sync_directory=*/false);
  if (!s.ok()) {
    ::unlink(temp.path.c_str());
    return s;
  }
  return fsync ? FsyncDirectoryOf(path) : OkStatus();
}

}  // namespace ringflow

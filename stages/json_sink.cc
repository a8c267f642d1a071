#include "stages/json_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "framework/core/atomic_file.h"
#include "stages/internal/fsync_param.h"
#include "stages/json_writer.h"

namespace ringflow::stages {

namespace {

// A path in a message: escaped and cut (a path given on the command line may be megabytes long).
std::string Shown(const std::string& path) { return ShortenForMessage(path); }

}  // namespace

Status JsonSink::Check(const std::string& path, bool append) {
  if (path.empty() || path == "-") return OkStatus();
  // stat and access only: neither opens the file, so neither blocks on a FIFO nor creates it.
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return Error::FromErrno(EISDIR, "open " + Shown(path));
  if (exists && (append || !S_ISREG(st.st_mode))) {
    // Written in place (as Open does).
    if (::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) != 0) {
      return Error::FromErrno(errno, "open " + Shown(path));
    }
    return OkStatus();
  }
  const std::size_t slash = path.rfind('/');
  if (slash + 1 == path.size()) return Error::FromErrno(EISDIR, "open " + Shown(path));
  // Open creates a file in the directory (the temporary one, or `path` itself when appending):
  // the directory must exist, be one, and be writable and searchable. The trailing "/" makes
  // access(2) fail with ENOTDIR on anything but a directory.
  const std::string dir = slash == std::string::npos ? "./" : path.substr(0, slash + 1);
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    return Error::FromErrno(errno, (append ? "open " : "create ") + Shown(path));
  }
  return OkStatus();
}

Result<std::unique_ptr<JsonSink>> JsonSink::Open(const std::string& path, bool fsync, bool append) {
  if (path.empty() || path == "-") return OpenFd(STDOUT_FILENO, "stdout");
  // Refuse a directory now rather than at the rename, after the whole run.
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return Error::FromErrno(EISDIR, "open " + Shown(path));
  if (append || (exists && !S_ISREG(st.st_mode))) {
    const bool regular = !exists || S_ISREG(st.st_mode);
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (append ? O_CREAT | O_APPEND : 0), 0666);
    if (fd < 0) return Error::FromErrno(errno, "open " + Shown(path));
    // fsync means nothing for a device or a FIFO (and fails there with EINVAL).
    std::unique_ptr<JsonSink> sink(
        new JsonSink(fd, /*owns_fd=*/true, path, "", fsync && regular, regular));
    if (struct stat now{}; regular && ::fstat(fd, &now) == 0) {
      sink->file_base_ = static_cast<uint64_t>(now.st_size);  // appended after it
    }
    return sink;
  }
  if (path.back() == '/') return Error::FromErrno(EISDIR, "open " + Shown(path));
  RINGFLOW_ASSIGN_OR_RETURN(TempFile temp, CreateTempFileBeside(path));
  return std::unique_ptr<JsonSink>(
      new JsonSink(temp.fd, /*owns_fd=*/true, path, std::move(temp.path), fsync, /*regular=*/true));
}

Result<std::unique_ptr<JsonSink>> JsonSink::OpenFd(int fd, std::string name) {
  return std::unique_ptr<JsonSink>(
      new JsonSink(fd, /*owns_fd=*/false, std::move(name), "", false, /*regular=*/false));
}

JsonSink::JsonSink(int fd, bool owns_fd, std::string name, std::string temp_path, bool fsync,
                   bool regular)
    : fd_(fd),
      owns_fd_(owns_fd),
      fsync_(fsync),
      regular_(owns_fd && regular),
      name_(std::move(name)),
      temp_path_(std::move(temp_path)),
      temp_exists_(!temp_path_.empty()) {
  // Room for a full buffer plus one typical record, so the common case never reallocates.
  buffer_.reserve(kBufferBytes + 64 * 1024);
}

JsonSink::~JsonSink() { Discard(); }

Status JsonSink::Write(const flow::RecordBatch& batch) {
  if (!status_.ok()) return status_;
  if (closed_)
    return Fail(Error(ErrorCode::kInternal, "write " + Shown(name_) + ": sink is closed"));
  const std::size_t skip = Track(batch);
  for (std::size_t i = skip; i < batch.records.size(); ++i) {
    AppendRecordJson(buffer_, batch.records[i]);
    ++records_;
    if (buffer_.size() >= kBufferBytes) RINGFLOW_RETURN_IF_ERROR(Flush());
  }
  // batch.end: nothing to write; the per-file outcome belongs to the manifest sink.
  return OkStatus();
}

Status JsonSink::WriteRecord(const flow::Record& record) {
  if (!status_.ok()) return status_;
  if (closed_)
    return Fail(Error(ErrorCode::kInternal, "write " + Shown(name_) + ": sink is closed"));
  AppendRecordJson(buffer_, record);
  ++records_;
  if (buffer_.size() >= kBufferBytes) return Flush();
  return OkStatus();
}

void JsonSink::Format(std::size_t, const flow::RecordBatch& batch, std::string& out) const {
  for (const flow::Record& record : batch.records) AppendRecordJson(out, record);
}

Status JsonSink::WriteFormatted(std::size_t, const flow::RecordBatch& batch,
                                std::string_view bytes) {
  if (!status_.ok()) return status_;
  if (closed_)
    return Fail(Error(ErrorCode::kInternal, "write " + Shown(name_) + ": sink is closed"));
  if (skip_left_ > 0 && batch.file_id == skip_file_) {
    // A resumed file's first records are in the output already: format the rest one by one.
    return Write(batch);
  }
  Track(batch);
  records_ += batch.records.size();
  if (bytes.size() >= kBufferBytes / 4) {
    // Large enough to be written as it is, without the copy into the buffer.
    RINGFLOW_RETURN_IF_ERROR(Flush());
    return WriteAll(bytes);
  }
  buffer_.append(bytes);
  if (buffer_.size() >= kBufferBytes) return Flush();
  return OkStatus();
}

Status JsonSink::Flush() {
  RINGFLOW_RETURN_IF_ERROR(WriteAll(buffer_));
  buffer_.clear();
  if (regular_ && write_behind_window_ > 0 && bytes_ >= write_behind_start_ &&
      bytes_ - written_back_ >= write_behind_window_) {
    WriteBehind();
  }
  return OkStatus();
}

void JsonSink::WriteBehind() {
  // A large output would otherwise pile up as gigabytes of page cache, which cost this kind of
  // VM more system time than the disk writes themselves. The sink stays at most one window ahead
  // of the disk, and the file's pages are dropped once written. It starts only past
  // write_behind_start_: a smaller output fits the page cache well under the kernel's own
  // write-back threshold, and waiting for the disk only slowed it down (bench/NOTES.md has the
  // figures). Hints only: a write-back error surfaces in the fsync before the rename (or,
  // without fsync, nowhere, as with any buffered write).
  const auto at = static_cast<off_t>(file_base_ + written_back_);
  const auto len = static_cast<off_t>(bytes_ - written_back_);
  (void)::sync_file_range(fd_, at, len, SYNC_FILE_RANGE_WRITE);
  if (window_len_ > 0) {
    const auto before = static_cast<off_t>(window_at_);
    const auto before_len = static_cast<off_t>(window_len_);
    (void)::sync_file_range(
        fd_, before, before_len,
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    (void)::posix_fadvise(fd_, before, before_len, POSIX_FADV_DONTNEED);
  }
  window_at_ = static_cast<uint64_t>(at);
  window_len_ = static_cast<uint64_t>(len);
  written_back_ = bytes_;
}

Status JsonSink::WriteAll(std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // A non-blocking stdout (set by whoever shares the pipe): wait until it drains.
        pollfd pfd{fd_, POLLOUT, 0};
        if (::poll(&pfd, 1, -1) < 0 && errno != EINTR) {
          return Fail(Error::FromErrno(errno, "poll " + Shown(name_)));
        }
        continue;
      }
      return Fail(Error::FromErrno(errno, "write " + Shown(name_)));
    }
    // write(2) returns 0 for a non-empty buffer only on odd devices; do not spin on it.
    if (n == 0) return Fail(Error::FromErrno(EIO, "write " + Shown(name_)));
    const auto written = static_cast<std::size_t>(n);
    p += written;
    left -= written;
    bytes_ += written;
  }
  return OkStatus();
}

Status JsonSink::Fail(Error error) {
  if (status_.ok()) status_ = std::move(error);
  buffer_.clear();
  return status_;
}

Status JsonSink::Prepare() {
  if (closed_) return *closed_;
  if (!status_.ok()) return status_;
  RINGFLOW_RETURN_IF_ERROR(Flush());
  if (owns_fd_ && fsync_ && !synced_) {
    if (::fsync(fd_) != 0) return Fail(Error::FromErrno(errno, "fsync " + Shown(name_)));
    synced_ = true;
  }
  return OkStatus();
}

Status JsonSink::Close() {
  if (closed_) return *closed_;
  Status s = status_.ok() ? Flush() : status_;
  if (s.ok() && owns_fd_) {
    // fsync before rename: the final name must never point at data still only in page cache,
    // or a crash right after the run could leave an empty or partial file under it.
    if (fsync_ && !synced_ && ::fsync(fd_) != 0) {
      s = Fail(Error::FromErrno(errno, "fsync " + Shown(name_)));
    } else {
      const int fd = std::exchange(fd_, -1);
      // close(2) can report a deferred write error (NFS); the descriptor is gone either way.
      if (::close(fd) != 0) {
        s = Fail(Error::FromErrno(errno, "close " + Shown(name_)));
      } else if (!temp_path_.empty()) {  // else written in place: nothing to rename
        // No directory fsync: after a crash the name holds the old file or the whole new one
        // either way, which is all this sink promises.
        Status renamed = RenameIntoPlace(temp_path_, name_, /*sync_directory=*/false);
        if (renamed.ok()) {
          temp_exists_ = false;
        } else {
          s = Fail(std::move(renamed).error());
        }
      }
    }
  }
  if (!s.ok()) Discard();
  closed_ = s;
  return s;
}

std::size_t JsonSink::Track(const flow::RecordBatch& batch) {
  if (batch.file_id != file_id_) {
    file_id_ = batch.file_id;
    // A resumed file's records start with those in the output already (left out below, as the
    // file is read again): a checkpoint taken meanwhile must still count them.
    file_records_ = file_id_ == skip_file_ ? skip_total_ : 0;
  }
  uint64_t skip = 0;
  if (skip_left_ > 0 && batch.file_id == skip_file_) {
    skip = std::min<uint64_t>(skip_left_, batch.records.size());
    skip_left_ -= skip;
  }
  file_records_ += batch.records.size() - skip;
  return static_cast<std::size_t>(skip);
}

Result<flow::SinkPosition> JsonSink::Checkpoint() {
  if (!status_.ok()) return status_.error();
  if (closed_) {
    return Fail(Error(ErrorCode::kInternal, "checkpoint " + Shown(name_) + ": sink is closed"))
        .error();
  }
  RINGFLOW_RETURN_IF_ERROR(Flush());
  flow::SinkPosition at;
  at.file_id = file_id_;
  at.file_records = file_records_;
  if (!regular_) {
    at.length = bytes_;  // stdout, a pipe, a device: nothing to cut back or fsync
    return at;
  }
  at.file = temp_path_.empty() ? name_ : temp_path_;
  struct stat st {};
  if (::fstat(fd_, &st) != 0)
    return Fail(Error::FromErrno(errno, "stat " + Shown(at.file))).error();
  at.length = static_cast<uint64_t>(st.st_size);
  checkpointed_ = true;
  return at;
}

Status JsonSink::Resume(const flow::SinkPosition& at) {
  if (bytes_ > 0 || !buffer_.empty() || closed_) {
    return Error(ErrorCode::kInternal, "resume " + Shown(name_) + ": the sink has written already");
  }
  skip_file_ = at.file_id;
  skip_total_ = at.file_records;
  skip_left_ = at.file_records;
  if (!regular_ || at.file.empty()) return OkStatus();  // at least once: no cutting back
  const int fd = ::open(at.file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0)
    return Error::FromErrno(errno, "open " + Shown(at.file) + " (the interrupted run's output)");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::FromErrno(err, "stat " + Shown(at.file));
  }
  if (static_cast<uint64_t>(st.st_size) < at.length) {
    ::close(fd);
    return Error(ErrorCode::kInvalidArgument, Shown(at.file) + ": " + std::to_string(st.st_size) +
                                                  " bytes, shorter than the checkpoint's " +
                                                  std::to_string(at.length));
  }
  // Cut the output back to what the checkpoint vouches for (what came after it is written
  // again), then continue at its end.
  if (::ftruncate(fd, static_cast<off_t>(at.length)) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::FromErrno(err, "truncate " + Shown(at.file));
  }
  // This run's own (empty) temporary file is not needed.
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (temp_exists_ && temp_path_ != at.file) ::unlink(temp_path_.c_str());
  fd_ = fd;
  file_base_ = at.length;
  temp_path_ = at.file == name_ ? "" : at.file;
  temp_exists_ = !temp_path_.empty();
  checkpointed_ = true;
  return OkStatus();
}

void JsonSink::Abort() {
  if (status_.ok()) status_ = Error(ErrorCode::kCancelled, "output " + Shown(name_) + " discarded");
  Discard();
}

void JsonSink::Discard() {
  buffer_.clear();
  if (!owns_fd_) return;
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  // A checkpoint vouches for the temporary file: it stays for --resume.
  if (temp_exists_ && !checkpointed_) {
    ::unlink(temp_path_.c_str());
    temp_exists_ = false;
  }
}

Status RegisterJsonSink(run::StageRegistry& registry) {
  return registry.RegisterSink(
      {"json",
       "writes one JSON object per record; to a file (written to a temporary name and renamed "
       "into place when the run succeeds; a large file is written back as it grows and its "
       "written pages leave the page cache) or to stdout. With several inputs, each source "
       "message's records come input by input, in the order listed",
       {{"path",
         config::ParamType::kString,
         false,
         {},
         "the output file; \"-\": stdout",
         "-",
         INT64_MIN,
         INT64_MAX},
        internal::FsyncParam(),
        {"append",
         config::ParamType::kBool,
         false,
         {},
         "append to the file in place instead of replacing it through a temporary file (a run "
         "that fails leaves what it wrote appended)",
         "false",
         INT64_MIN,
         INT64_MAX}},
       /*takes_input=*/true,
       /*multiple_inputs=*/true},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::SinkStage>> {
        RINGFLOW_ASSIGN_OR_RETURN(
            auto sink,
            JsonSink::Open(*c.GetString("path"), *c.GetBool("fsync"), *c.GetBool("append")));
        return std::unique_ptr<flow::SinkStage>(std::move(sink));
      },
      [](const config::StageConfig& c) {
        return JsonSink::Check(*c.GetString("path"), *c.GetBool("append"));
      });
}

}  // namespace ringflow::stages

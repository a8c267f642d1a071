// JsonSink: writes every record as one JSON line (AppendRecordJson) to a file or to stdout.
// A file is written under a temporary name in the same directory and renamed into place by
// Close only when every write succeeded, so the final name never holds a half-written file.
// Output is buffered (~1 MiB) and written with write(2). Thread-compatible: the pipeline calls
// Write and Close from one thread at a time; the counters may be read after the run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"

namespace ringflow::stages {

class JsonSink final : public flow::SinkStage {
 public:
  // Output buffered before a write(2).
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
  // A file output is streamed to the disk in windows of this many bytes (see WriteBehind),
  // once it has passed kWriteBehindStart bytes.
  static constexpr uint64_t kWriteBackWindow = uint64_t{128} << 20;
  static constexpr uint64_t kWriteBehindStart = uint64_t{256} << 20;

  // `path` "-" or "" means stdout (see OpenFd). Otherwise creates ".<name>.tmp-<pid>-<random>"
  // beside `path` (O_EXCL, mode 0666 & ~umask) and writes there until Close renames it to `path`,
  // replacing any file of that name. Errors come from errno and name the operation and the path
  // (the temporary one for rename and when it already exists, `path` otherwise): the directory is
  // missing or not writable, `path` is a directory (kIsDirectory), the temporary name already
  // exists. `fsync`: Close fsyncs the file before renaming it (the default: after a crash the final
  // name holds the whole output or nothing). Without, the rename is still atomic, but after a power
  // loss the renamed file may be incomplete; for scratch output that must be fast.
  // Written in place instead, with no temporary file: a `path` that exists and is not a regular
  // file (/dev/null, a FIFO: nothing may be renamed over it), and with `append` (created if
  // missing, appended to; a failed run leaves what it wrote appended).
  static Result<std::unique_ptr<JsonSink>> Open(const std::string& path, bool fsync = true,
                                                bool append = false);

  // What Open(path, ..., append) would refuse, found without creating, opening or truncating
  // anything (for `ringflow validate`; a FIFO at `path` cannot block it): `path` is a directory
  // or ends in "/" (kIsDirectory), its directory is missing, not a directory or not writable, or
  // a file to be written in place is not writable. Errors read as Open's. Open may still fail
  // (the disk fills, the file system changes in between).
  static Status Check(const std::string& path, bool append = false);

  // Writes to the already-open descriptor `fd`, called `name` in error messages. The caller
  // keeps ownership: the sink never closes `fd`. REQUIRES: fd stays open until Close returns.
  // Never fails today; returns a Result to match Open.
  static Result<std::unique_ptr<JsonSink>> OpenFd(int fd, std::string name);

  // Removes the temporary file if Close did not rename it (the run failed or was abandoned).
  ~JsonSink() override;
  JsonSink(const JsonSink&) = delete;
  JsonSink& operator=(const JsonSink&) = delete;

  // Appends the batch's records (a file's end batch may have some too). Errors:
  // write(2) failures (ENOSPC -> kResourceExhausted, ...) with the path; after the first error
  // every later call returns it again and writes nothing.
  Status Write(const flow::RecordBatch& batch) override;

  // Appends one record (as Write does each of a batch's).
  Status WriteRecord(const flow::Record& record);

  // The parallel half of Write: appends the batch's records as JSON lines to `out`.
  bool formats() const override { return true; }
  void Format(std::size_t input, const flow::RecordBatch& batch, std::string& out) const override;
  // The serial half: writes what Format made of `batch` (errors as for Write).
  Status WriteFormatted(std::size_t input, const flow::RecordBatch& batch,
                        std::string_view bytes) override;

  // Writes what is buffered; for a file also fsyncs, closes and renames it into place. If any
  // write failed (now or earlier), removes the temporary file instead and returns the error.
  // Idempotent: a second call returns the first call's result.
  Status Close() override;

  // Drops the output: buffered bytes are discarded and the temporary file (if any) removed, so
  // nothing appears under the final name; later Write/Close calls fail with kCancelled. For a
  // caller that knows the run failed for reasons the sink cannot see (a source error).
  // REQUIRES: before Close (after a successful Close the file is in place and stays).
  void Abort() override;

  // Writes what is buffered (no fsync). Errors as for Write.
  Status Flush() override;
  // Checkpoints (see flow::SinkStage). For an owned regular file the position names the
  // temporary file (or the output when written in place) and its size, written through (the
  // observer fsyncs it, whatever `fsync` said). Stdout and devices: a position without a file (a
  // resumed run writes after what is there). After a Checkpoint, Abort and the destructor keep
  // the temporary file. Resume opens the position's file, cuts it back to its length and writes
  // on there (unlinking the temporary file Open made); kInvalidArgument when the file is shorter
  // than the position says, errno errors for open/ftruncate. REQUIRES: nothing written yet.
  bool checkpoints() const override { return true; }
  Result<flow::SinkPosition> Checkpoint() override;
  Status Resume(const flow::SinkPosition& at) override;
  // Writes what is buffered and, for a file with fsync, fsyncs it: after Prepare, Close only
  // closes and renames. Errors as for Write, and fsync's.
  Status Prepare() override;

  // Records formatted so far (all of them in the output once Close returned OK).
  uint64_t records_written() const { return records_; }
  // Bytes handed to write(2) successfully (the whole output once Close returned OK).
  uint64_t bytes_written() const { return bytes_; }
  const std::string& name() const { return name_; }
  // The temporary file written until Close renames it; empty when written in place.
  const std::string& temp_path() const { return temp_path_; }
  std::string temporary_file() const override { return temp_path_; }
  // Replaces kWriteBehindStart and kWriteBackWindow (window 0: never; the page cache keeps the
  // whole output until the kernel writes it back). For tests, which need small windows.
  void SetWriteBehind(uint64_t start, uint64_t window) {
    write_behind_start_ = start;
    write_behind_window_ = window;
  }

 private:
  JsonSink(int fd, bool owns_fd, std::string name, std::string temp_path, bool fsync, bool regular);
  // Notes the batch's file and returns how many of its first records to leave out (a resumed
  // file's records that are in the output already).
  std::size_t Track(const flow::RecordBatch& batch);

  // Streams the output to the disk (an owned regular file): starts write-back of what was
  // written since the last call, waits for the window before it and drops its clean pages.
  void WriteBehind();
  // Writes all of `bytes` (retrying partial writes and EINTR, waiting out EAGAIN).
  Status WriteAll(std::string_view bytes);
  // Records the first error; returns it.
  Status Fail(Error error);
  // Closes an owned descriptor and unlinks the temporary file (if still there).
  void Discard();

  int fd_;
  const bool owns_fd_;      // a temp file this sink created, closes and renames
  const bool fsync_;        // fsync before the rename
  const bool regular_;      // an owned regular file: checkpoints fsync and cut it back
  const std::string name_;  // the final path, or the name given to OpenFd
  std::string temp_path_;   // empty when written in place (Resume may adopt another)
  bool temp_exists_;        // temp_path_ is ours to rename or unlink
  bool synced_ = false;     // Prepare fsynced the file
  // Write-behind: when it starts and its window, the file offset of this sink's first byte (an
  // appended or resumed file's earlier length), bytes_ when the last window was handed to
  // write-back, and that window.
  uint64_t write_behind_start_ = kWriteBehindStart;
  uint64_t write_behind_window_ = kWriteBackWindow;
  uint64_t file_base_ = 0;
  uint64_t written_back_ = 0;
  uint64_t window_at_ = 0, window_len_ = 0;
  // Checkpoints.
  bool checkpointed_ = false;      // a checkpoint vouches for the file: never unlinked
  uint64_t file_id_ = UINT64_MAX;  // the input file of the last batch, and its records so far
  uint64_t file_records_ = 0;
  // Resume: the first skip_total_ records of input file skip_file_ are in the output already;
  // skip_left_ of them are still to be left out.
  uint64_t skip_file_ = UINT64_MAX;
  uint64_t skip_total_ = 0;
  uint64_t skip_left_ = 0;
  std::string buffer_;
  std::optional<Status> closed_;  // the first Close's result
  Status status_;                 // the first error; sticky
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
};

// Registers the "json" sink (path, fsync, append: JsonSink::Open's; checked by JsonSink::Check).
// Errors as run::StageRegistry::RegisterSink.
Status RegisterJsonSink(run::StageRegistry& registry);

}  // namespace ringflow::stages

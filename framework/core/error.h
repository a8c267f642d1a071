// Error: what went wrong, as a code, the raw errno where there is one, and a message with context
// (operation and path). Value type; cheap to move. Thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringflow {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // bad input from the caller or the user
  kNotFound,            // ENOENT, ENOTDIR
  kPermissionDenied,    // EACCES, EPERM
  kIsDirectory,         // EISDIR
  kResourceExhausted,   // ENOMEM, EMFILE, ENFILE, ENOSPC, RLIMIT_MEMLOCK
  kUnavailable,         // EAGAIN, EBUSY, EINTR: try later
  kUnsupported,         // ENOSYS, EOPNOTSUPP, EINVAL from a kernel feature
  kCancelled,           // ECANCELED
  kFailedPrecondition,  // refused: the state of the files named does not allow it
  kIo,                  // EIO and any other errno
  kInternal,            // a bug in ringflow
};

// "ENOENT" for ENOENT; "E<n>" for numbers it does not know. Never null.
const char* ErrnoName(int err);

// "not found", "permission denied", ...
std::string_view ErrorCodeName(ErrorCode code);

// The one errno mapping of the project.
ErrorCode ErrorCodeFromErrno(int err);

class Error {
 public:
  Error(ErrorCode code, std::string message, int sys_errno = 0)
      : code_(code), errno_(sys_errno), message_(std::move(message)) {}

  // From a (positive) errno: the message reads "<context>: <strerror> (ENAME)".
  // liburing never sets errno: pass -ret or -cqe->res.
  static Error FromErrno(int err, std::string_view context);

  ErrorCode code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& message() const { return message_; }

  // A copy with "<prefix>: " in front of the message.
  Error WithContext(std::string_view prefix) const;

  // The file the error is about, when there is one (set by WithPath). The message does not
  // repeat it, so a user-facing line is "<path>: <message>".
  const std::string& path() const { return path_; }
  Error WithPath(std::string path) && {
    path_ = std::move(path);
    return std::move(*this);
  }

  // "<path>: <message>", or the message alone when there is no path.
  std::string UserMessage() const { return path_.empty() ? message_ : path_ + ": " + message_; }

 private:
  ErrorCode code_;
  int errno_;
  std::string message_;
  std::string path_;
};

// "No such file or directory (ENOENT)": strerror text plus the errno's name.
std::string DescribeErrno(int err);

// `text` with every control byte (< 0x20, 0x7f) written as \xNN, so that a message that quotes
// user input (a path, a pattern, an exception's text) stays on one line.
std::string EscapeControl(std::string_view text);

// The most bytes of a user string (after escaping) that a message quotes: a value, a name or a
// path echoed whole could make one error line megabytes long.
inline constexpr std::size_t kMaxQuotedBytes = 200;

// `text` in double quotes for a one-line message: `"` and `\` as \" and \\, newline, tab and
// carriage return as \n \t \r, other control bytes, DEL and bytes that are not valid UTF-8 as
// \xNN. Past `max_bytes` of escaped text it is cut at a character boundary (never inside an
// escape) and "…" (U+2026) comes before the closing quote, so the result is at most
// max_bytes + 5 bytes. The one helper for quoting what a user wrote (paths, names, values).
std::string QuoteForMessage(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes);

// The same without quotes, for text shown bare (a file name after "open "): control bytes, DEL
// and bytes that are not valid UTF-8 as \xNN (as EscapeControl), cut after `max_bytes` with "…".
std::string ShortenForMessage(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes);

}  // namespace ringflow

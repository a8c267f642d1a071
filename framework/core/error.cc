#include "framework/core/error.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "framework/core/json_escape.h"
#include "framework/core/utf8.h"

namespace ringflow {

const char* ErrnoName(int err) {
  switch (err) {
#define RINGFLOW_ERRNO_CASE(e) \
  case e:                      \
    return #e;
    RINGFLOW_ERRNO_CASE(EPERM)
    RINGFLOW_ERRNO_CASE(ENOENT)
    RINGFLOW_ERRNO_CASE(ESRCH)
    RINGFLOW_ERRNO_CASE(EINTR)
    RINGFLOW_ERRNO_CASE(EIO)
    RINGFLOW_ERRNO_CASE(ENXIO)
    RINGFLOW_ERRNO_CASE(E2BIG)
    RINGFLOW_ERRNO_CASE(EBADF)
    RINGFLOW_ERRNO_CASE(EAGAIN)
    RINGFLOW_ERRNO_CASE(ENOMEM)
    RINGFLOW_ERRNO_CASE(EACCES)
    RINGFLOW_ERRNO_CASE(EFAULT)
    RINGFLOW_ERRNO_CASE(EBUSY)
    RINGFLOW_ERRNO_CASE(EEXIST)
    RINGFLOW_ERRNO_CASE(EXDEV)
    RINGFLOW_ERRNO_CASE(ENODEV)
    RINGFLOW_ERRNO_CASE(ENOTDIR)
    RINGFLOW_ERRNO_CASE(EISDIR)
    RINGFLOW_ERRNO_CASE(EINVAL)
    RINGFLOW_ERRNO_CASE(ENFILE)
    RINGFLOW_ERRNO_CASE(EMFILE)
    RINGFLOW_ERRNO_CASE(ETXTBSY)
    RINGFLOW_ERRNO_CASE(EFBIG)
    RINGFLOW_ERRNO_CASE(ENOSPC)
    RINGFLOW_ERRNO_CASE(ESPIPE)
    RINGFLOW_ERRNO_CASE(EROFS)
    RINGFLOW_ERRNO_CASE(EPIPE)
    RINGFLOW_ERRNO_CASE(ERANGE)
    RINGFLOW_ERRNO_CASE(ENAMETOOLONG)
    RINGFLOW_ERRNO_CASE(ENOSYS)
    RINGFLOW_ERRNO_CASE(ELOOP)
    RINGFLOW_ERRNO_CASE(EOVERFLOW)
    RINGFLOW_ERRNO_CASE(EBADFD)
    RINGFLOW_ERRNO_CASE(EOPNOTSUPP)
    RINGFLOW_ERRNO_CASE(ETIMEDOUT)
    RINGFLOW_ERRNO_CASE(ESTALE)
    RINGFLOW_ERRNO_CASE(ECANCELED)
    RINGFLOW_ERRNO_CASE(EDQUOT)
#undef RINGFLOW_ERRNO_CASE
    default:
      break;
  }
  thread_local char buf[16];
  std::snprintf(buf, sizeof buf, "E%d", err);
  return buf;
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kIsDirectory:
      return "is a directory";
    case ErrorCode::kResourceExhausted:
      return "resource exhausted";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kFailedPrecondition:
      return "failed precondition";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

ErrorCode ErrorCodeFromErrno(int err) {
  switch (err) {
    case 0:
      return ErrorCode::kOk;
    case ENOENT:
    case ENOTDIR:
      return ErrorCode::kNotFound;
    case EACCES:
    case EPERM:
      return ErrorCode::kPermissionDenied;
    case EISDIR:
      return ErrorCode::kIsDirectory;
    case ENOMEM:
    case EMFILE:
    case ENFILE:
    case ENOSPC:
    case EDQUOT:
      return ErrorCode::kResourceExhausted;
    case EAGAIN:
    case EBUSY:
    case EINTR:
      return ErrorCode::kUnavailable;
    case ENOSYS:
    case EOPNOTSUPP:
    case EINVAL:
      return ErrorCode::kUnsupported;
    case ECANCELED:
      return ErrorCode::kCancelled;
    case ELOOP:
    case ENAMETOOLONG:
      return ErrorCode::kInvalidArgument;
    default:
      return ErrorCode::kIo;
  }
}

std::string DescribeErrno(int err) {
  std::string text = std::strerror(err);
  text += " (";
  text += ErrnoName(err);
  text += ')';
  return text;
}

Error Error::FromErrno(int err, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += DescribeErrno(err);
  return Error(ErrorCodeFromErrno(err), std::move(message), err);
}

Error Error::WithContext(std::string_view prefix) const {
  std::string message(prefix);
  message += ": ";
  message += message_;
  Error out(code_, std::move(message), errno_);
  out.path_ = path_;
  return out;
}

std::string EscapeControl(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// QuoteForMessage (`quote`) and ShortenForMessage: escapes and cuts; see error.h.
std::string MessageText(std::string_view text, std::size_t max_bytes, bool quote) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  if (quote) out += '"';
  const std::size_t start = out.size();
  out.reserve(start + std::min(text.size(), max_bytes) + 8);
  std::size_t i = 0;
  char piece[8];
  while (i < text.size()) {
    const auto u = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;  // bytes of `text` this character takes
    std::string_view add;
    char letter = 0;
    if (quote && (letter = JsonShortEscape(u)) != 0) {  // the same short escapes as JSON's
      piece[0] = '\\';
      piece[1] = letter;
      add = {piece, 2};
      len = 1;
    } else if (u >= 0x20 && u != 0x7f && (len = Utf8SequenceLength(text.substr(i))) != 0) {
      add = text.substr(i, len);
    } else {
      piece[0] = '\\';
      piece[1] = 'x';
      piece[2] = kHex[u >> 4];
      piece[3] = kHex[u & 15];
      add = {piece, 4};
      len = 1;
    }
    if (out.size() - start + add.size() > max_bytes) {
      out += "\xE2\x80\xA6";  // "…"
      break;
    }
    out += add;
    i += len;
  }
  if (quote) out += '"';
  return out;
}

}  // namespace

std::string QuoteForMessage(std::string_view text, std::size_t max_bytes) {
  return MessageText(text, max_bytes, /*quote=*/true);
}

std::string ShortenForMessage(std::string_view text, std::size_t max_bytes) {
  return MessageText(text, max_bytes, /*quote=*/false);
}

}  // namespace ringflow

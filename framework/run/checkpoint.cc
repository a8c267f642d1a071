#include "framework/run/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <utility>
#include <variant>

#include "framework/core/atomic_file.h"
#include "framework/core/xxh3.h"

namespace ringflow::run {
namespace {

constexpr std::string_view kHeader = "ringflow-checkpoint ";
constexpr uint64_t kVersion = 2;
// Format 1 (one JSON object): recognised as ours, refused as another version.
constexpr std::string_view kHeaderV1 = "{\"format\":\"ringflow-checkpoint\"";
// "xxh3 " + 16 hex digits + "\n", after the newline that ends the body.
constexpr std::size_t kSumLine = 22;

std::string Hex(uint64_t v) { return HexDigest(v); }

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

void AppendNumber(std::string& out, uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  static_cast<void>(ec);  // 24 bytes hold every uint64_t
  out.append(buf, end);
}

void AppendSigned(std::string& out, int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  static_cast<void>(ec);
  out.append(buf, end);
}

// <byte count>:<bytes>: paths are bytes, kept as they are (newlines, quotes, invalid UTF-8).
void AppendBytes(std::string& out, std::string_view s) {
  AppendNumber(out, s.size());
  out += ':';
  out.append(s);
}

void AppendHex(std::string& out, uint64_t v) {
  char hex[16];
  HexDigest(v, hex);
  out.append(hex, sizeof hex);
}

void AppendHeader(std::string& out, std::string_view pipeline, bool complete,
                  const std::vector<CheckpointSink>& sinks) {
  out += kHeader;
  AppendNumber(out, kVersion);
  out += "\npipeline ";
  AppendBytes(out, pipeline);
  out += complete ? "\ncomplete 1\n" : "\ncomplete 0\n";
  for (const CheckpointSink& s : sinks) {
    out += "sink ";
    AppendBytes(out, s.name);
    out += ' ';
    AppendBytes(out, s.output);
    out += ' ';
    AppendBytes(out, s.at.file);
    out += ' ';
    AppendNumber(out, s.at.length);
    out += ' ';
    AppendNumber(out, s.at.file_records);
    out += '\n';
  }
}

// One file's line; `previous` is the path on the line before (its shared beginning is not
// written again: files come in walk order, so mostly only the name is).
void AppendFileLine(std::string& out, std::string_view previous, std::string_view path,
                    const FileIdentity& id, bool done, bool problem, uint64_t offset) {
  std::size_t shared = 0;
  const std::size_t most = std::min(previous.size(), path.size());
  while (shared < most && previous[shared] == path[shared]) ++shared;
  out += done ? (problem ? 'D' : 'd') : (problem ? 'P' : 'p');
  out += ' ';
  AppendNumber(out, shared);
  out += ' ';
  AppendBytes(out, path.substr(shared));
  out += ' ';
  AppendNumber(out, id.dev);
  out += ' ';
  AppendNumber(out, id.ino);
  out += ' ';
  AppendNumber(out, id.size);
  out += ' ';
  AppendSigned(out, id.mtime_ns);
  out += ' ';
  if (id.has_head) {
    AppendHex(out, id.head);
    out += '/';
    AppendNumber(out, id.head_bytes);
  } else {
    out += '-';
  }
  out += ' ';
  AppendNumber(out, done ? 0 : offset);
  out += '\n';
}

std::string SumLine(uint64_t digest) {
  std::string line = "xxh3 ";
  AppendHex(line, digest);
  line += '\n';
  return line;
}

// A strict reader of the text SerializeCheckpoint writes: numbers in their canonical form only,
// so that a text that parses is the one that would be written again.
class TextReader {
 public:
  explicit TextReader(std::string_view text) : rest_(text) {}
  bool AtEnd() const { return rest_.empty(); }
  char Peek() const { return rest_.empty() ? '\0' : rest_.front(); }
  bool Literal(std::string_view lit) {
    if (rest_.substr(0, lit.size()) != lit) return false;
    rest_.remove_prefix(lit.size());
    return true;
  }
  bool Char(char& c) {
    if (rest_.empty()) return false;
    c = rest_.front();
    rest_.remove_prefix(1);
    return true;
  }
  bool Number(uint64_t& v) {
    const char* begin = rest_.data();
    const char* end = begin + rest_.size();
    if (begin == end || *begin < '0' || *begin > '9') return false;
    if (*begin == '0' && end - begin > 1 && begin[1] >= '0' && begin[1] <= '9') return false;
    const auto [stop, ec] = std::from_chars(begin, end, v);
    if (ec != std::errc()) return false;
    rest_.remove_prefix(static_cast<std::size_t>(stop - begin));
    return true;
  }
  bool Signed(int64_t& v) {
    const bool negative = Literal("-");
    uint64_t magnitude = 0;
    if (!Number(magnitude)) return false;
    if (negative) {
      if (magnitude == 0 || magnitude > uint64_t{1} << 63) return false;
      v = static_cast<int64_t>(~magnitude + 1);  // (two's complement: INT64_MIN too)
    } else {
      if (magnitude > static_cast<uint64_t>(INT64_MAX)) return false;
      v = static_cast<int64_t>(magnitude);
    }
    return true;
  }
  bool Bytes(std::string_view& s) {
    uint64_t n = 0;
    if (!Number(n) || !Literal(":") || n > rest_.size()) return false;
    s = rest_.substr(0, static_cast<std::size_t>(n));
    rest_.remove_prefix(static_cast<std::size_t>(n));
    return true;
  }
  bool Hex16(uint64_t& v) {
    if (rest_.size() < 16) return false;
    v = 0;
    for (std::size_t i = 0; i < 16; ++i) {
      const char c = rest_[i];
      if (!IsHex(c)) return false;
      v = v << 4 | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    rest_.remove_prefix(16);
    return true;
  }

 private:
  std::string_view rest_;
};

Error NotACheckpoint(const std::string& name, std::string_view why) {
  return Error(ErrorCode::kUnsupported,
               ShortenForMessage(name) + ": not a ringflow checkpoint (" + std::string(why) +
                   "); it is left as it is: name another --checkpoint FILE");
}

// The temporary files of checkpoint `path` start with this (PATH.tmp-PID-RANDOM).
std::string TempPrefix(const std::string& path) { return path + ".tmp-"; }

// Whether `name` is PREFIX<pid>-<16 hex>, a temporary checkpoint of ReplaceFile's (and not, say,
// a user's file that happens to begin like one).
bool IsTempName(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix) return false;
  name.remove_prefix(prefix.size());
  const std::size_t dash = name.find('-');
  if (dash == 0 || dash == std::string_view::npos || name.size() - dash - 1 != 16) return false;
  return std::all_of(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(dash),
                     [](char c) { return c >= '0' && c <= '9'; }) &&
         std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dash) + 1, name.end(), IsHex);
}

// Writes `parts` one after another to a new temporary file beside `path` (its name unique to
// this process and call), fsyncs it, renames it over `path` and fsyncs the directory.
Status ReplaceFile(const std::string& path, std::initializer_list<std::string_view> parts) {
  static std::atomic<uint64_t> serial{0};
  static const uint64_t seed = [] {
    uint64_t s = 0;
    if (::getentropy(&s, sizeof s) != 0) s = static_cast<uint64_t>(::time(nullptr));
    return s;
  }();
  const uint64_t mix[2] = {seed, serial.fetch_add(1)};
  char suffix[48];
  std::snprintf(suffix, sizeof suffix, "%ld-%016llx", static_cast<long>(::getpid()),
                static_cast<unsigned long long>(Xxh3::Hash(mix, sizeof mix)));
  const std::string temp = TempPrefix(path) + suffix;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return Error::FromErrno(errno, "create " + temp);
  std::size_t total = 0;
  for (std::string_view part : parts) total += part.size();
  // The crash seam fires once half of the bytes are written (inside the part that holds the
  // middle).
  std::size_t before_half = total / 2;
  bool crashed_half = false;
  Status s = OkStatus();
  for (std::string_view part : parts) {
    if (!s.ok()) break;
    if (!crashed_half && part.size() >= before_half) {
      s = WriteAllToFd(fd, part.substr(0, before_half), temp);
      if (!s.ok()) break;
      CrashPoint("checkpoint-half");
      crashed_half = true;
      part.remove_prefix(before_half);
    } else if (!crashed_half) {
      before_half -= part.size();
    }
    s = WriteAllToFd(fd, part, temp);
  }
  if (s.ok() && ::fsync(fd) != 0) s = Error::FromErrno(errno, "fsync " + temp);
  if (::close(fd) != 0 && s.ok()) s = Error::FromErrno(errno, "close " + temp);
  if (!s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  CrashPoint("checkpoint-written");
  if (Status renamed = RenameIntoPlace(temp, path, /*sync_directory=*/false); !renamed.ok()) {
    ::unlink(temp.c_str());
    return renamed;
  }
  return FsyncDirectoryOf(path);
}

}  // namespace

bool LooksLikeCheckpoint(std::string_view head, std::string_view tail) {
  if (head.size() < kHeader.size() && kHeader.substr(0, head.size()) == head) return true;
  if (head.substr(0, kHeader.size()) == kHeader) return true;
  if (head.substr(0, kHeaderV1.size()) == kHeaderV1) return true;
  // The header damaged, the checksum line intact: "\nxxh3 <16 hex>\n" at the end.
  if (tail.size() < kSumLine + 1) return false;
  const std::string_view line = tail.substr(tail.size() - kSumLine - 1);
  if (line.substr(0, 6) != "\nxxh3 " || line.back() != '\n') return false;
  return std::all_of(line.begin() + 6, line.end() - 1, IsHex);
}

std::string SerializeCheckpoint(const CheckpointState& state) {
  std::string text;
  AppendHeader(text, state.pipeline, state.complete, state.sinks);
  std::string_view previous;
  for (const CheckpointEntry& f : state.files) {
    AppendFileLine(text, previous, f.path, f.identity, f.done, f.problem, f.offset);
    previous = f.path;
  }
  text += SumLine(Xxh3::Hash(text.data(), text.size()));
  return text;
}

Result<CheckpointState> ParseCheckpoint(std::string_view text, const std::string& name) {
  if (!LooksLikeCheckpoint(text, text)) {
    return NotACheckpoint(name, "no \"ringflow-checkpoint\" header, no checksum line");
  }
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument,
                 "checkpoint " + ShortenForMessage(name) + " is damaged: " + why +
                     " (run without --resume to start over, or restore the file)");
  };
  // The last line: "xxh3 <16 hex>" over everything before it.
  if (text.empty() || text.back() != '\n') return bad("cut short (no final line)");
  const std::size_t last = text.rfind('\n', text.size() - 2);
  if (last == std::string_view::npos) return bad("cut short (one line)");
  const std::string_view body = text.substr(0, last + 1);
  TextReader sum(text.substr(last + 1));
  uint64_t want = 0;
  if (!sum.Literal("xxh3 ")) return bad("no checksum line");
  if (!sum.Hex16(want) || !sum.Literal("\n") || !sum.AtEnd()) return bad("malformed checksum line");
  if (want != Xxh3::Hash(body.data(), body.size())) return bad("checksum mismatch");

  if (body.substr(0, kHeaderV1.size()) == kHeaderV1) {
    return bad("version is not " + std::to_string(kVersion) + " (format 1, an older ringflow's)");
  }
  TextReader in(body);
  uint64_t version = 0;
  if (!in.Literal(kHeader) || !in.Number(version)) return bad("no header");
  if (version != kVersion) {
    return bad("version is not " + std::to_string(kVersion) + " (" + std::to_string(version) + ")");
  }
  CheckpointState state;
  std::string_view pipeline;
  char complete = 0;
  if (!in.Literal("\npipeline ") || !in.Bytes(pipeline) || !in.Literal("\ncomplete ") ||
      !in.Char(complete) || (complete != '0' && complete != '1') || !in.Literal("\n")) {
    return bad("header lines");
  }
  state.pipeline = pipeline;
  state.complete = complete == '1';
  while (in.Literal("sink ")) {
    CheckpointSink sink;
    std::string_view sink_name, output, file;
    if (!in.Bytes(sink_name) || !in.Literal(" ") || !in.Bytes(output) || !in.Literal(" ") ||
        !in.Bytes(file) || !in.Literal(" ") || !in.Number(sink.at.length) || !in.Literal(" ") ||
        !in.Number(sink.at.file_records) || !in.Literal("\n")) {
      return bad("sinks: malformed line");
    }
    sink.name = sink_name;
    sink.output = output;
    sink.at.file = file;
    state.sinks.push_back(std::move(sink));
  }
  std::string_view previous;
  while (!in.AtEnd()) {
    CheckpointEntry e;
    char letter = 0;
    uint64_t shared = 0;
    std::string_view suffix;
    if (!in.Char(letter) || std::string_view("dDpP").find(letter) == std::string_view::npos) {
      return bad("files: unknown state");
    }
    e.done = letter == 'd' || letter == 'D';
    e.problem = letter == 'D' || letter == 'P';
    FileIdentity& id = e.identity;
    if (!in.Literal(" ") || !in.Number(shared) || shared > previous.size() || !in.Literal(" ") ||
        !in.Bytes(suffix) || !in.Literal(" ") || !in.Number(id.dev) || !in.Literal(" ") ||
        !in.Number(id.ino) || !in.Literal(" ") || !in.Number(id.size) || !in.Literal(" ") ||
        !in.Signed(id.mtime_ns) || !in.Literal(" ")) {
      return bad("files: malformed line");
    }
    if (!in.Literal("-")) {
      uint64_t bytes = 0;
      if (!in.Hex16(id.head) || !in.Literal("/") || !in.Number(bytes) || bytes > kHeadBytes) {
        return bad("files: bad head");
      }
      id.head_bytes = static_cast<uint32_t>(bytes);
      id.has_head = true;
    }
    if (!in.Literal(" ") || !in.Number(e.offset) || !in.Literal("\n")) {
      return bad("files: malformed line");
    }
    if (e.done && e.offset != 0) return bad("files: a done file with an offset");
    e.path.reserve(static_cast<std::size_t>(shared) + suffix.size());
    e.path.assign(previous.substr(0, static_cast<std::size_t>(shared)));
    e.path += suffix;
    state.files.push_back(std::move(e));
    previous = state.files.back().path;
  }
  return state;
}

Result<std::optional<CheckpointState>> LoadCheckpoint(const std::string& path) {
  // O_NONBLOCK: a FIFO must not block the open (it is refused below, never read).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<CheckpointState>();
    if (errno == ENXIO) return NotACheckpoint(path, "not a regular file");  // a socket
    return Error::FromErrno(errno, "open " + path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::FromErrno(err, "stat " + path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return NotACheckpoint(path, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
  }
  auto read_at = [&](std::string& out, std::size_t n, off_t at) -> Status {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd, out.data() + got, n - got, at + static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Error::FromErrno(errno, "read " + path);
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return OkStatus();
  };
  // Someone else's file (a log, a JSON document) is told from its first and last bytes, not
  // read whole: it may be large.
  const std::size_t size = static_cast<std::size_t>(st.st_size);
  std::string head, tail;
  Status s = read_at(head, std::min<std::size_t>(size, kHeaderV1.size()), 0);
  if (s.ok()) {
    const std::size_t n = std::min<std::size_t>(size, kSumLine + 1);
    s = read_at(tail, n, static_cast<off_t>(size - n));
  }
  if (s.ok() && !LooksLikeCheckpoint(head, tail)) {
    ::close(fd);
    return NotACheckpoint(path, "no \"ringflow-checkpoint\" header, no checksum line");
  }
  std::string text;
  if (s.ok()) s = read_at(text, size, 0);
  ::close(fd);
  RINGFLOW_RETURN_IF_ERROR(s);
  RINGFLOW_ASSIGN_OR_RETURN(CheckpointState state, ParseCheckpoint(text, path));
  return std::optional<CheckpointState>(std::move(state));
}

Status WriteCheckpoint(const std::string& path, const CheckpointState& state) {
  const std::string text = SerializeCheckpoint(state);
  return ReplaceFile(path, {text});
}

Result<CheckpointLock> CheckpointLock::Acquire(const std::string& path) {
  const std::string name = path + ".lock";
  for (int attempt = 0;; ++attempt) {
    bool created = true;
    int fd = ::open(name.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && errno == EEXIST) {
      created = false;
      fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      if (fd < 0 && errno == ENOENT && attempt < 100) continue;  // removed meanwhile
    }
    if (fd < 0) return Error::FromErrno(errno, "create " + name);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Error(ErrorCode::kUnavailable,
                     ShortenForMessage(path) +
                         ": in use by another ringflow run (it holds the lock on " +
                         ShortenForMessage(name) +
                         "); wait for it to end, or name another "
                         "--checkpoint FILE");
      }
      return Error::FromErrno(err, "lock " + name);
    }
    // The lock is good if the name still leads to the file locked: the run before may have
    // removed it between our open and our flock (it removes the name while holding the lock).
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && ::stat(name.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      CheckpointLock lock(path, fd, created);
      // Runs killed between creating their temporary checkpoint and renaming it left it behind.
      const std::size_t slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
      const std::string prefix =
          TempPrefix(slash == std::string::npos ? path : path.substr(slash + 1));
      if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* entry = ::readdir(d)) {
          if (IsTempName(entry->d_name, prefix)) {
            ::unlinkat(::dirfd(d), entry->d_name, 0);
          }
        }
        ::closedir(d);
      }
      return lock;
    }
    ::close(fd);
    if (attempt >= 100) return Error(ErrorCode::kUnavailable, "lock " + name + ": keeps changing");
  }
}

CheckpointLock::CheckpointLock(CheckpointLock&& other) noexcept
    : checkpoint_(std::move(other.checkpoint_)), fd_(other.fd_), created_(other.created_) {
  other.fd_ = -1;
}

CheckpointLock& CheckpointLock::operator=(CheckpointLock&& other) noexcept {
  if (this != &other) {
    this->~CheckpointLock();
    checkpoint_ = std::move(other.checkpoint_);
    fd_ = other.fd_;
    created_ = other.created_;
    other.fd_ = -1;
  }
  return *this;
}

CheckpointLock::~CheckpointLock() {
  if (fd_ < 0) return;
  // Removed while still held: a run that opened the name before sees, once it has the lock,
  // that the name leads elsewhere and starts again (see Acquire).
  struct stat st {};
  const bool empty = ::fstat(fd_, &st) == 0 && st.st_size == 0;
  struct stat ck {};
  const bool gone = ::lstat(checkpoint_.c_str(), &ck) != 0 && errno == ENOENT;
  if (created_ || (gone && empty)) ::unlink((checkpoint_ + ".lock").c_str());
  ::close(fd_);
  fd_ = -1;
}

std::string PipelineDigest(const config::PipelineConfig& pipeline) {
  // A canonical text of what decides the output; '\0' separates, so no two differ only in how
  // their parts are split.
  std::string text = "ringflow pipeline 1";
  auto add = [&](std::string_view s) {
    text += '\0';
    text += s;
  };
  auto add_list = [&](const std::vector<std::string>& list) {
    add(std::to_string(list.size()));
    for (const std::string& s : list) add(s);
  };
  add_list(pipeline.source.paths);
  add(pipeline.source.recursive ? "recursive" : "flat");
  // The order decides the output. "path" adds nothing: its digest stays the one of a document
  // without the field, which checkpoints of earlier releases recorded (they read in path order).
  if (pipeline.source.order != "path") add("order " + pipeline.source.order);
  add_list(pipeline.source.include);
  add_list(pipeline.source.exclude);
  // A shard reads other files than its siblings: a checkpoint of shard 1/3 is refused for 2/3.
  // No shard adds nothing (the digest of a document without the field).
  if (pipeline.source.shard.enabled()) add("shard " + config::FormatShard(pipeline.source.shard));
  add(pipeline.ordered ? "ordered" : "unordered");
  add_list(pipeline.plugins);
  for (const auto* list : {&pipeline.stages, &pipeline.sinks}) {
    add(std::to_string(list->size()));
    for (const config::StageConfig& stage : *list) {
      add(stage.name);
      add(stage.type);
      add_list(stage.inputs);
      for (const auto& [key, value] : stage.params) {
        add(key);
        std::visit(
            [&](const auto& v) {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, std::string>) {
                add("s:" + v);
              } else if constexpr (std::is_same_v<T, int64_t>) {
                add("i:" + std::to_string(v));
              } else if constexpr (std::is_same_v<T, bool>) {
                add(v ? "b:1" : "b:0");
              } else {
                add_list(v);
              }
            },
            value);
      }
    }
  }
  return Hex(Xxh3::Hash(text.data(), text.size()));
}

namespace {
FileIdentity FromStat(const struct stat& st) {
  FileIdentity id;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}
}  // namespace

Result<FileIdentity> StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::FromErrno(errno, "stat " + path);
  return FromStat(st);
}

DirectoryStat::~DirectoryStat() {
  if (fd_ >= 0) ::close(fd_);
}

Result<FileIdentity> DirectoryStat::Stat(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view dir = slash == std::string::npos
                                   ? std::string_view(".")
                                   : std::string_view(path).substr(0, slash + 1);
  if (fd_ < 0 || dir != dir_) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = dir;
    fd_ = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) return StatFile(path);
  }
  struct stat st {};
  const char* name = slash == std::string::npos ? path.c_str() : path.c_str() + slash + 1;
  if (::fstatat(fd_, name, &st, 0) != 0) return Error::FromErrno(errno, "stat " + path);
  return FromStat(st);
}

Result<FileIdentity> IdentifyFile(const std::string& path, uint32_t head_bytes) {
  RINGFLOW_ASSIGN_OR_RETURN(FileIdentity id, StatFile(path));
  // O_NONBLOCK: a FIFO put where a file was must not hang the check (it is no longer the file).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error::FromErrno(errno, "open " + path);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char head[kHeadBytes];
    const std::size_t want = std::min<std::size_t>(head_bytes, sizeof head);
    std::size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, head + got, want - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        return Error::FromErrno(err, "read " + path);
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    id.head = Xxh3::Hash(head, got);
    id.head_bytes = static_cast<uint32_t>(got);
    id.has_head = true;
  }
  ::close(fd);
  return id;
}

std::string FileChange(const FileIdentity& then, const FileIdentity& now, uint64_t min_size,
                       bool exact) {
  if (then.dev != now.dev || then.ino != now.ino) return "replaced (another inode)";
  if (then.has_head) {
    if (!now.has_head) return "no longer a regular file";
    if (now.head_bytes < then.head_bytes) return "truncated";
    if (now.head != then.head) return "first bytes changed";
  }
  if (now.size < min_size) return "truncated";
  if (exact && now.size != then.size) return "size changed";
  if (exact && now.mtime_ns != then.mtime_ns) return "modified";
  return "";
}

void CrashPoint(const char* name, std::size_t vouched) {
  struct Target {
    std::string name;
    long n = 0;
    bool by_vouched = false;  // NAME@N rather than NAME:N
  };
  static const Target target = []() -> Target {
    const char* env = std::getenv("RINGFLOW_CRASH_AT");
    if (env == nullptr) return {};
    const std::string_view spec(env);
    const std::size_t sep = spec.find_last_of(":@");
    if (sep == std::string_view::npos) return {std::string(spec), 1, false};
    return {std::string(spec.substr(0, sep)), std::atol(env + sep + 1), spec[sep] == '@'};
  }();
  static std::atomic<long> hits{0};
  if (target.name.empty() || target.name != name) return;
  const bool now = target.by_vouched ? vouched >= static_cast<std::size_t>(target.n) && target.n > 0
                                     : hits.fetch_add(1) + 1 == target.n;
  if (now) ::kill(::getpid(), SIGKILL);
}

Checkpointer::Checkpointer(std::string path, std::string pipeline_digest,
                           std::vector<CheckpointSink> sinks, const std::atomic<bool>* stop)
    : path_(std::move(path)),
      pipeline_(std::move(pipeline_digest)),
      stop_(stop),
      sinks_(std::move(sinks)) {}

Checkpointer::Checkpointer(std::string path, std::string pipeline_digest, std::vector<File> files,
                           std::vector<CheckpointSink> sinks, const std::atomic<bool>* stop)
    : Checkpointer(std::move(path), std::move(pipeline_digest), std::move(sinks), stop) {
  std::size_t path_bytes = 0;
  for (const File& f : files) path_bytes += f.entry.path.size();
  Reserve(files.size(), path_bytes);
  for (const File& f : files) {
    if (f.job) {
      AddJob(f.entry.path, *f.job, f.entry.identity);
      if (f.entry.problem) flags_.back() |= kProblem;
    } else {
      AddDone(f.entry);
    }
  }
  Start();
}

void Checkpointer::AddDone(const CheckpointEntry& entry) {
  if (path_end_.empty()) {
    AppendFileLine(done_lines_, last_path_, entry.path, entry.identity, true, entry.problem, 0);
    last_path_ = entry.path;
    return;
  }
  // (After a file of this run: a row, encoded in its turn.)
  paths_ += entry.path;
  path_end_.push_back(paths_.size());
  ids_.push_back(entry.identity);
  flags_.push_back(entry.problem ? kProblem : 0);
}

void Checkpointer::AddJob(std::string_view path, uint64_t job, const FileIdentity& identity) {
  const std::size_t row = path_end_.size();
  paths_ += path;
  path_end_.push_back(paths_.size());
  ids_.push_back(identity);
  flags_.push_back(kHasJob);
  if (by_job_.size() <= job) by_job_.resize(job + 1, SIZE_MAX);
  by_job_[job] = row;
}

void Checkpointer::Reserve(std::size_t files, std::size_t path_bytes) {
  paths_.reserve(paths_.size() + path_bytes);
  path_end_.reserve(path_end_.size() + files);
  ids_.reserve(ids_.size() + files);
  flags_.reserve(flags_.size() + files);
  // A line is some 70 bytes besides the part of its path not shared with the line before.
  done_lines_.reserve(done_lines_.size() + files * 80 + path_bytes);
}

void Checkpointer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Observe(const flow::Chunk& message) {
  // A file's first bytes give its head (a compressed file's first stored bytes, which its first
  // message carries beside the content); an end with an error (not a stop's) marks a problem.
  const bool first = message.stored_head != nullptr ||
                     (message.compression.empty() && message.offset == 0 && message.length > 0);
  const bool failed =
      message.end && message.error && message.error->code() != ErrorCode::kCancelled;
  if (!first && !failed) return;
  uint64_t head = 0;
  std::size_t n = 0;
  if (first) {
    const std::span<const std::byte> data =
        message.stored_head != nullptr ? std::as_bytes(std::span<const char>(*message.stored_head))
                                       : message.data();
    n = std::min<std::size_t>(data.size(), kHeadBytes);
    head = Xxh3::Hash(data.data(), n);
  }
  std::lock_guard lock(mu_);
  if (message.file_id >= by_job_.size() || by_job_[message.file_id] == SIZE_MAX) return;
  const std::size_t i = by_job_[message.file_id];
  if (first) {
    ids_[i].head = head;
    ids_[i].head_bytes = static_cast<uint32_t>(n);
    ids_[i].has_head = true;
  }
  if (failed) flags_[i] |= kProblem;
}

Status Checkpointer::Cut(const flow::Chunk& cut, const std::vector<flow::SinkPosition>& sinks) {
  // A stop ends the files being read as "interrupted": such a file is not finished, and the
  // sinks may have written its outcome. The last cut before the stop stands.
  if (stop_ != nullptr && stop_->load()) return OkStatus();
  if (cut.end && cut.error && cut.error->code() == ErrorCode::kCancelled) return OkStatus();
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
    // A position in the file as stored (a compressed file's content is longer).
    const uint64_t at = cut.compression.empty() ? cut.offset + cut.length : cut.stored_end;
    pending_ = Pending{cut.file_id, cut.end, at, false, sinks};
  }
  cv_.notify_all();
  return OkStatus();
}

Status Checkpointer::Complete(const std::vector<flow::SinkPosition>& sinks) {
  if (stop_ != nullptr && stop_->load()) return Error(ErrorCode::kCancelled, "interrupted");
  {
    // The cuts before it are superseded: wait for the one being written, drop one waiting.
    std::unique_lock lock(mu_);
    pending_.reset();
    cv_.wait(lock, [&] { return !busy_; });
    if (!error_.ok()) return error_;
    busy_ = true;  // the thread stays off while this one writes
  }
  const Status s = Write(Pending{UINT64_MAX, true, 0, true, sinks});
  {
    std::lock_guard lock(mu_);
    busy_ = false;
  }
  cv_.notify_all();
  RINGFLOW_RETURN_IF_ERROR(s);
  CrashPoint("complete");
  return OkStatus();
}

Status Checkpointer::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !pending_ && !busy_; });
  return error_;
}

void Checkpointer::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || (pending_ && !busy_); });
    if (quit_) return;
    Pending cut = std::move(*pending_);
    pending_.reset();
    busy_ = true;
    lock.unlock();
    const Status s = Write(cut);
    lock.lock();
    busy_ = false;
    if (!s.ok() && error_.ok()) error_ = s;
    cv_.notify_all();
  }
}

Status Checkpointer::Write(const Pending& cut) {
  // 1. What the cut vouches for becomes durable: fsync every sink's file (and its directory
  //    once, so that its name survives a crash too).
  for (const flow::SinkPosition& at : cut.sinks) {
    if (at.file.empty()) continue;
    const int fd = ::open(at.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::FromErrno(errno, "open " + at.file);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return Error::FromErrno(err, "fsync " + at.file);
    if (std::find(synced_dirs_.begin(), synced_dirs_.end(), at.file) == synced_dirs_.end()) {
      RINGFLOW_RETURN_IF_ERROR(FsyncDirectoryOf(at.file));
      synced_dirs_.push_back(at.file);
    }
  }
  CrashPoint("cut-synced", encoded_);
  std::vector<CheckpointSink> sinks;
  for (std::size_t k = 0; k < sinks_.size() && k < cut.sinks.size(); ++k) {
    CheckpointSink s = sinks_[k];
    s.at = cut.sinks[k];
    sinks.push_back(std::move(s));
  }
  std::string head;
  AppendHeader(head, pipeline_, cut.complete, sinks);
  if (cut.complete) {
    // All that is left to do is renaming the outputs into place: no file list needed.
    RINGFLOW_RETURN_IF_ERROR(
        ReplaceFile(path_, {head, SumLine(Xxh3::Hash(head.data(), head.size()))}));
    cuts_.fetch_add(1);
    return OkStatus();
  }
  // 2. The files finished since the last cut: their identity as they are now (stat'ed here,
  //    off the sinks' thread; their heads came from the run), encoded once for good.
  // The files are in the order the run reads them (done-before ones first): the files before
  // the cut's are finished, and the cut's too when the cut is its end.
  if (cut.job >= by_job_.size() || by_job_[cut.job] == SIZE_MAX) {
    return Error(ErrorCode::kInternal, "checkpoint: a cut in a file the run does not know");
  }
  const std::size_t at = by_job_[cut.job];
  const std::size_t finished = cut.end ? at + 1 : at;
  // The file's identity as it is now: a done-before file keeps the old checkpoint's; one that
  // is gone or unreadable keeps what it had (the run reported it).
  auto identify = [&](std::size_t i) {
    FileIdentity id;
    bool problem = false;
    bool job = false;
    {
      std::lock_guard lock(mu_);
      id = ids_[i];
      problem = (flags_[i] & kProblem) != 0;
      job = (flags_[i] & kHasJob) != 0;
    }
    if (job) {
      const std::string path(PathOf(i));
      if (Result<FileIdentity> now = stat_at_.Stat(path); now.ok()) {
        id.dev = now->dev;
        id.ino = now->ino;
        id.size = now->size;
        id.mtime_ns = now->mtime_ns;
      }
    }
    return std::pair(id, problem);
  };
  for (; encoded_ < finished; ++encoded_) {
    const auto [id, problem] = identify(encoded_);
    const std::string_view path = PathOf(encoded_);
    AppendFileLine(done_lines_, last_path_, path, id, true, problem, 0);
    last_path_.assign(path);
  }
  // The partial file too (again at its end: as it is when finished).
  std::string partial;
  if (!cut.end) {
    const auto [id, problem] = identify(at);
    AppendFileLine(partial, last_path_, PathOf(at), id, false, problem, cut.offset);
  }
  // 3. The checkpoint: the lines of the finished files are written as they were kept.
  Xxh3 sum;
  sum.Update(head.data(), head.size());
  sum.Update(done_lines_.data(), done_lines_.size());
  sum.Update(partial.data(), partial.size());
  RINGFLOW_RETURN_IF_ERROR(ReplaceFile(path_, {head, done_lines_, partial, SumLine(sum.Digest())}));
  cuts_.fetch_add(1);
  return OkStatus();
}

}  // namespace ringflow::run

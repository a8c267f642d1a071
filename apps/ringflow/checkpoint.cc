#include "apps/ringflow/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <variant>

#include "framework/core/xxh3.h"

namespace ringflow::app {
namespace {

constexpr std::string_view kFormat = "ringflow-checkpoint";
constexpr int kVersion = 1;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Key(Writer& w, const char* key) { w.Key(key); }
void String(Writer& w, std::string_view s) {
  // Paths are bytes: written as they are (no UTF-8 validation) and read back the same way.
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string Hex(uint64_t v) { return HexDigest(v); }

Result<uint64_t> ParseHex(std::string_view s) {
  if (s.size() != 16) return Error(ErrorCode::kInvalidArgument, "not 16 hex digits");
  uint64_t v = 0;
  for (char c : s) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return Error(ErrorCode::kInvalidArgument, "not 16 hex digits");
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

Status WriteAllFd(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::FromErrno(n < 0 ? errno : EIO, "write " + name);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

Status FsyncDirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno(errno, "open " + dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error::FromErrno(err, "fsync " + dir);
  return OkStatus();
}

}  // namespace

std::string SerializeCheckpoint(const CheckpointState& state) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Key(w, "format");
  String(w, kFormat);
  Key(w, "version");
  w.Int(kVersion);
  Key(w, "pipeline");
  String(w, state.pipeline);
  Key(w, "complete");
  w.Bool(state.complete);
  Key(w, "files");
  w.StartArray();
  for (const CheckpointEntry& f : state.files) {
    w.StartObject();
    Key(w, "path");
    String(w, f.path);
    Key(w, "dev");
    w.Uint64(f.identity.dev);
    Key(w, "ino");
    w.Uint64(f.identity.ino);
    Key(w, "size");
    w.Uint64(f.identity.size);
    Key(w, "mtime_ns");
    w.Int64(f.identity.mtime_ns);
    if (f.identity.has_head) {
      Key(w, "head");
      String(w, Hex(f.identity.head));
      Key(w, "head_bytes");
      w.Uint(f.identity.head_bytes);
    }
    Key(w, "state");
    String(w, f.done ? "done" : "partial");
    if (!f.done) {
      Key(w, "offset");
      w.Uint64(f.offset);
    }
    if (f.problem) {
      Key(w, "problem");
      w.Bool(true);
    }
    w.EndObject();
  }
  w.EndArray();
  Key(w, "sinks");
  w.StartArray();
  for (const CheckpointSink& s : state.sinks) {
    w.StartObject();
    Key(w, "name");
    String(w, s.name);
    Key(w, "output");
    String(w, s.output);
    Key(w, "file");
    String(w, s.at.file);
    Key(w, "length");
    w.Uint64(s.at.length);
    Key(w, "records");
    w.Uint64(s.at.file_records);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string text(buffer.GetString(), buffer.GetSize());
  text += '\n';
  text += "xxh3 " + Hex(Xxh3::Hash(text.data(), text.size())) + "\n";
  return text;
}

Result<CheckpointState> ParseCheckpoint(std::string_view text, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument,
                 "checkpoint " + name + " is damaged: " + why +
                     " (run without --resume to start over, or restore the file)");
  };
  // The last line: "xxh3 <16 hex>" over everything before it.
  if (text.empty() || text.back() != '\n') return bad("cut short (no final line)");
  const std::size_t last = text.rfind('\n', text.size() - 2);
  if (last == std::string_view::npos) return bad("cut short (one line)");
  const std::string_view body = text.substr(0, last + 1);
  const std::string_view sum = text.substr(last + 1, text.size() - last - 2);
  if (sum.substr(0, 5) != "xxh3 ") return bad("no checksum line");
  Result<uint64_t> want = ParseHex(sum.substr(5));
  if (!want.ok()) return bad("malformed checksum line");
  if (*want != Xxh3::Hash(body.data(), body.size())) return bad("checksum mismatch");

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return bad("not a JSON object");
  auto str = [](const rapidjson::Value& o, const char* key) -> std::optional<std::string> {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  auto u64 = [](const rapidjson::Value& o, const char* key) -> std::optional<uint64_t> {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsUint64()) return std::nullopt;
    return it->value.GetUint64();
  };
  if (str(doc, "format") != std::string(kFormat)) return bad("not a ringflow checkpoint");
  if (!doc.HasMember("version") || !doc["version"].IsInt() || doc["version"].GetInt() != kVersion) {
    return bad("version is not " + std::to_string(kVersion));
  }
  CheckpointState state;
  const auto pipeline = str(doc, "pipeline");
  if (!pipeline || !doc.HasMember("complete") || !doc["complete"].IsBool() ||
      !doc.HasMember("files") || !doc["files"].IsArray() || !doc.HasMember("sinks") ||
      !doc["sinks"].IsArray()) {
    return bad("keys missing");
  }
  state.pipeline = *pipeline;
  state.complete = doc["complete"].GetBool();
  for (const rapidjson::Value& f : doc["files"].GetArray()) {
    if (!f.IsObject()) return bad("files: not an object");
    CheckpointEntry e;
    const auto path = str(f, "path");
    const auto dev = u64(f, "dev"), ino = u64(f, "ino"), size = u64(f, "size");
    const auto st = str(f, "state");
    if (!path || !dev || !ino || !size || !st || !f.HasMember("mtime_ns") ||
        !f["mtime_ns"].IsInt64()) {
      return bad("files: keys missing");
    }
    e.path = *path;
    e.identity.dev = *dev;
    e.identity.ino = *ino;
    e.identity.size = *size;
    e.identity.mtime_ns = f["mtime_ns"].GetInt64();
    if (const auto head = str(f, "head")) {
      Result<uint64_t> h = ParseHex(*head);
      const auto bytes = u64(f, "head_bytes");
      if (!h.ok() || !bytes || *bytes > kHeadBytes) return bad("files: bad head");
      e.identity.head = *h;
      e.identity.head_bytes = static_cast<uint32_t>(*bytes);
      e.identity.has_head = true;
    }
    if (*st == "done") {
      e.done = true;
    } else if (*st == "partial") {
      const auto offset = u64(f, "offset");
      if (!offset) return bad("files: partial without offset");
      e.offset = *offset;
    } else {
      return bad("files: unknown state");
    }
    if (f.HasMember("problem")) {
      if (!f["problem"].IsBool()) return bad("files: bad problem");
      e.problem = f["problem"].GetBool();
    }
    state.files.push_back(std::move(e));
  }
  for (const rapidjson::Value& s : doc["sinks"].GetArray()) {
    if (!s.IsObject()) return bad("sinks: not an object");
    CheckpointSink sink;
    const auto sink_name = str(s, "name"), output = str(s, "output"), file = str(s, "file");
    const auto length = u64(s, "length"), records = u64(s, "records");
    if (!sink_name || !output || !file || !length || !records) return bad("sinks: keys missing");
    sink.name = *sink_name;
    sink.output = *output;
    sink.at.file = *file;
    sink.at.length = *length;
    sink.at.file_records = *records;
    state.sinks.push_back(std::move(sink));
  }
  return state;
}

Result<std::optional<CheckpointState>> LoadCheckpoint(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<CheckpointState>();
    return Error::FromErrno(errno, "open " + path);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error::FromErrno(err, "read " + path);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  RINGFLOW_ASSIGN_OR_RETURN(CheckpointState state, ParseCheckpoint(text, path));
  return std::optional<CheckpointState>(std::move(state));
}

Status WriteCheckpoint(const std::string& path, const CheckpointState& state) {
  const std::string text = SerializeCheckpoint(state);
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return Error::FromErrno(errno, "create " + temp);
  const std::size_t half = text.size() / 2;
  Status s = WriteAllFd(fd, std::string_view(text).substr(0, half), temp);
  if (s.ok()) {
    CrashPoint("checkpoint-half");
    s = WriteAllFd(fd, std::string_view(text).substr(half), temp);
  }
  if (s.ok() && ::fsync(fd) != 0) s = Error::FromErrno(errno, "fsync " + temp);
  if (::close(fd) != 0 && s.ok()) s = Error::FromErrno(errno, "close " + temp);
  if (!s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  CrashPoint("checkpoint-written");
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return Error::FromErrno(err, "rename " + temp + " to " + path);
  }
  return FsyncDirectoryOf(path);
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
  add_list(pipeline.source.include);
  add_list(pipeline.source.exclude);
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

void CrashPoint(const char* name) {
  static const auto target = []() -> std::pair<std::string, long> {
    const char* env = std::getenv("RINGFLOW_CRASH_AT");
    if (env == nullptr) return {"", 0};
    const std::string_view spec(env);
    const std::size_t colon = spec.rfind(':');
    if (colon == std::string_view::npos) return {std::string(spec), 1};
    return {std::string(spec.substr(0, colon)), std::atol(env + colon + 1)};
  }();
  static std::atomic<long> hits{0};
  if (target.first.empty() || target.first != name) return;
  if (hits.fetch_add(1) + 1 == target.second) ::kill(::getpid(), SIGKILL);
}

Checkpointer::Checkpointer(std::string path, std::string pipeline_digest, std::vector<File> files,
                           std::vector<CheckpointSink> sinks, const std::atomic<bool>* stop)
    : path_(std::move(path)),
      pipeline_(std::move(pipeline_digest)),
      stop_(stop),
      sinks_(std::move(sinks)),
      files_(std::move(files)) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (!files_[i].job) continue;
    const uint64_t job = *files_[i].job;
    if (by_job_.size() <= job) by_job_.resize(job + 1, SIZE_MAX);
    by_job_[job] = i;
  }
  thread_ = std::thread([this] { Loop(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Checkpointer::Observe(const flow::Chunk& message) {
  // A file's first bytes give its head; an end with an error (not a stop's) marks a problem.
  const bool first = message.offset == 0 && message.length > 0;
  const bool failed =
      message.end && message.error && message.error->code() != ErrorCode::kCancelled;
  if (!first && !failed) return;
  uint64_t head = 0;
  std::size_t n = 0;
  if (first) {
    const std::span<const std::byte> data = message.data();
    n = std::min<std::size_t>(data.size(), kHeadBytes);
    head = Xxh3::Hash(data.data(), n);
  }
  std::lock_guard lock(mu_);
  if (message.file_id >= by_job_.size() || by_job_[message.file_id] == SIZE_MAX) return;
  CheckpointEntry& entry = files_[by_job_[message.file_id]].entry;
  if (first) {
    entry.identity.head = head;
    entry.identity.head_bytes = static_cast<uint32_t>(n);
    entry.identity.has_head = true;
  }
  if (failed) entry.problem = true;
}

Status Checkpointer::Cut(const flow::Chunk& cut, const std::vector<flow::SinkPosition>& sinks) {
  // A stop ends the files being read as "interrupted": such a file is not finished, and the
  // sinks may have written its outcome. The last cut before the stop stands.
  if (stop_ != nullptr && stop_->load()) return OkStatus();
  if (cut.end && cut.error && cut.error->code() == ErrorCode::kCancelled) return OkStatus();
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
    pending_ = Pending{cut.file_id, cut.end, cut.offset + cut.length, false, sinks};
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
  CrashPoint("cut-synced");
  CheckpointState state;
  state.pipeline = pipeline_;
  state.complete = cut.complete;
  for (std::size_t k = 0; k < sinks_.size() && k < cut.sinks.size(); ++k) {
    CheckpointSink s = sinks_[k];
    s.at = cut.sinks[k];
    state.sinks.push_back(std::move(s));
  }
  if (cut.complete) {
    // All that is left to do is renaming the outputs into place: no file list needed.
    RINGFLOW_RETURN_IF_ERROR(WriteCheckpoint(path_, state));
    cuts_.fetch_add(1);
    return OkStatus();
  }
  // 2. The files finished since the last cut: their identity as they are now (stat'ed here,
  //    off the sinks' thread; their heads came from the run).
  // files_ is in the order the run reads its files (done-before ones first): the files before
  // the cut's are finished, and the cut's too when the cut is its end.
  if (cut.job >= by_job_.size() || by_job_[cut.job] == SIZE_MAX) {
    return Error(ErrorCode::kInternal, "checkpoint: a cut in a file the run does not know");
  }
  const std::size_t at = by_job_[cut.job];
  const std::size_t finished = cut.end ? at + 1 : at;
  auto identify = [&](std::size_t i) {
    std::string path;
    {
      std::lock_guard lock(mu_);
      if (!files_[i].job) return;  // done before: identity from the old checkpoint
      path = files_[i].entry.path;
    }
    Result<FileIdentity> now = stat_at_.Stat(path);
    if (!now.ok()) return;  // gone or unreadable: the run reported it; identity stays empty
    std::lock_guard lock(mu_);
    FileIdentity& id = files_[i].entry.identity;
    id.dev = now->dev;
    id.ino = now->ino;
    id.size = now->size;
    id.mtime_ns = now->mtime_ns;
  };
  for (; stat_next_ < finished; ++stat_next_) identify(stat_next_);
  // The partial file too (again at its end: as it is when finished).
  if (!cut.end) identify(at);
  // 3. The checkpoint.
  {
    std::lock_guard lock(mu_);
    state.files.reserve(at + 1);
    for (std::size_t i = 0; i <= at; ++i) {
      CheckpointEntry& e = state.files.emplace_back(files_[i].entry);
      e.done = i < finished;
      e.offset = e.done ? 0 : cut.offset;
    }
  }
  RINGFLOW_RETURN_IF_ERROR(WriteCheckpoint(path_, state));
  cuts_.fetch_add(1);
  return OkStatus();
}

}  // namespace ringflow::app

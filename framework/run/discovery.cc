#include "framework/run/discovery.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "framework/core/error.h"
#include "framework/run/shard.h"
#include "framework/run/walk.h"

namespace ringflow::run {
namespace {

// "zip" for "x.log.zip", ...: the archive formats a run does not decode (gzip, zstd, bzip2, xz
// and lz4 it reads in place, found by their bytes: flow::SourceOptions::decompress); empty
// otherwise.
std::string_view CompressionOf(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kSuffixes[] = {
      {".zip", "zip"},
      {".7z", "7z"},
      {".rar", "rar"},
  };
  for (const auto& [suffix, kind] : kSuffixes) {
    if (path.size() > suffix.size() && ::strncasecmp(path.data() + path.size() - suffix.size(),
                                                     suffix.data(), suffix.size()) == 0) {
      return kind;
    }
  }
  return {};
}

// ---- The run's own files.

// The extended attribute that marks a file as an output ringflow wrote (MarkOwnOutputs), so that
// a later run with the same output inside its inputs leaves it out instead of refusing it.
constexpr char kOwnOutputAttribute[] = "user.ringflow";
constexpr char kOwnOutputValue[] = "output";

bool HasOwnOutputMark(const std::string& path) {
  char value[sizeof(kOwnOutputValue)];
  const ssize_t n = ::getxattr(path.c_str(), kOwnOutputAttribute, value, sizeof(value));
  return n == static_cast<ssize_t>(sizeof(kOwnOutputValue) - 1) &&
         std::memcmp(value, kOwnOutputValue, sizeof(kOwnOutputValue) - 1) == 0;
}

}  // namespace

void MarkOwnOutputs(const std::vector<RunOutput>& outputs, const std::vector<bool>& appended) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const RunOutput& out = outputs[i];
    if (out.path == "-" || out.checkpoint || appended[i]) continue;
    // Best effort: the mark only spares the user an --exclude.
    static_cast<void>(::setxattr(out.path.c_str(), kOwnOutputAttribute, kOwnOutputValue,
                                 sizeof(kOwnOutputValue) - 1, 0));
  }
}

namespace {

// "dir/" for "dir/name", "" for "name"; and "name".
std::pair<std::string, std::string> SplitPath(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

// Tells which discovered files are the run's own (RunOutput), from a stat of each output at the
// start and, per discovered file, the walk's identity hints: a discovered file costs a compare,
// and a stat only when its inode or its name says it may be one of them.
class OwnFiles {
 public:
  explicit OwnFiles(const std::vector<RunOutput>& outputs) {
    for (const RunOutput& out : outputs) {
      Own own;
      own.output = &out;
      struct stat st;
      if (out.path == "-") {
        if (::fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        own.empty = st.st_size == 0;
      } else {
        auto [dir, name] = SplitPath(out.path);
        struct stat dir_st;
        if (!name.empty() && ::stat(dir.empty() ? "." : dir.c_str(), &dir_st) == 0) {
          // Temporary files as the sinks name them (".NAME.tmp-PID-RANDOM") and as the
          // checkpoint names its own ("NAME.tmp-PID-RANDOM", and its lock "NAME.lock").
          temps_.push_back(Temp{dir_st.st_dev, dir_st.st_ino,
                                out.checkpoint ? name + ".tmp-" : "." + name + ".tmp-", &out});
          if (out.checkpoint) {
            temps_.push_back(Temp{dir_st.st_dev, dir_st.st_ino, name + ".lock", &out});
          }
        }
        if (::stat(out.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        own.marked = !out.checkpoint && HasOwnOutputMark(out.path);
      }
      own.dev = st.st_dev;
      own.ino = st.st_ino;
      owns_.push_back(own);
    }
  }

  // Whether `file` is the run's own: if it is, the note to print ("" for none); if it is an input
  // the run would overwrite, nullopt with `refused` set to why the run must not start.
  std::optional<std::string> Check(const WalkFile& file, std::optional<std::string>& refused) {
    if (owns_.empty() && temps_.empty()) return std::nullopt;
    const std::size_t slash = file.path.rfind('/');
    const std::string_view name =
        std::string_view(file.path).substr(slash == std::string::npos ? 0 : slash + 1);
    for (const Temp& temp : temps_) {
      if (!name.starts_with(temp.prefix)) continue;
      const std::string dir = slash == std::string::npos ? "." : file.path.substr(0, slash + 1);
      struct stat dir_st;
      if (::stat(dir.c_str(), &dir_st) == 0 && dir_st.st_dev == temp.dev &&
          dir_st.st_ino == temp.ino) {
        // This process's own temporary files (".NAME.tmp-PID-...") go without a note; those of
        // a run killed before, or of another run at work, are worth one.
        if (name.compare(temp.prefix.size(), own_suffix_.size(), own_suffix_) == 0) return "";
        return "left out ringflow's own temporary file " + EscapeControl(file.path);
      }
    }
    // The walk's inode rules out all but the rare candidate; a stat confirms it.
    if (std::none_of(owns_.begin(), owns_.end(), [&](const Own& o) {
          return file.inode_hint == 0 || file.inode_hint == o.ino;
        })) {
      return std::nullopt;
    }
    struct stat st;
    if (::stat(file.path.c_str(), &st) != 0) return std::nullopt;
    const Own* own = nullptr;
    for (const Own& o : owns_) {
      if (o.dev == st.st_dev && o.ino == st.st_ino) own = &o;
    }
    if (own == nullptr) return std::nullopt;
    const RunOutput& out = *own->output;
    const std::string path = EscapeControl(file.path);
    if (out.checkpoint) return "left out ringflow's own checkpoint " + path;
    if (own->marked) return "left out ringflow's own output " + path;
    if (out.path == "-" && own->empty) return "left out ringflow's own output (stdout) " + path;
    if (!refused) {
      refused =
          (out.path == "-" ? std::string("stdout") : out.option + " " + EscapeControl(out.path)) +
          " is the input file " + path +
          ": an input is never overwritten (name an output outside the inputs)";
    }
    return std::nullopt;
  }

 private:
  struct Own {
    const RunOutput* output = nullptr;
    dev_t dev = 0;
    ino_t ino = 0;
    bool marked = false;  // carries ringflow's mark: an output of an earlier run
    bool empty = false;
  };
  // The temporary files of an output: names starting with `prefix` in the directory (dev, ino).
  struct Temp {
    dev_t dev;
    ino_t ino;
    std::string prefix;
    const RunOutput* output;
  };
  std::vector<Own> owns_;
  std::vector<Temp> temps_;
  const std::string own_suffix_ = std::to_string(::getpid()) + "-";
};

// Sorts found.jobs by modification time (DiscoveryOptions::order, kMtime) and numbers them
// again in their new order.
void SortByMtime(Discovered& found) {
  struct Place {
    bool stat_ok = false;
    int64_t sec = 0;
    int64_t nsec = 0;
    std::size_t index = 0;
  };
  std::vector<Place> places(found.jobs.size());
  for (std::size_t i = 0; i < found.jobs.size(); ++i) {
    places[i].index = i;
    struct stat st;
    if (!found.jobs[i].path.empty() && ::stat(found.jobs[i].path.c_str(), &st) == 0) {
      places[i].stat_ok = true;
      places[i].sec = st.st_mtim.tv_sec;
      places[i].nsec = st.st_mtim.tv_nsec;
    }
  }
  // Stable: jobs that could not be stat'ed keep their walk order among themselves.
  std::stable_sort(places.begin(), places.end(), [&](const Place& a, const Place& b) {
    if (a.stat_ok != b.stat_ok) return !a.stat_ok;
    if (!a.stat_ok) return false;
    if (a.sec != b.sec) return a.sec < b.sec;
    if (a.nsec != b.nsec) return a.nsec < b.nsec;
    return found.jobs[a.index].path < found.jobs[b.index].path;
  });
  std::vector<uring::ReadJob> jobs;
  std::vector<bool> note;
  jobs.reserve(found.jobs.size());
  note.reserve(found.jobs.size());
  for (const Place& place : places) {
    uring::ReadJob& job = found.jobs[place.index];
    job.id = jobs.size();
    jobs.push_back(std::move(job));
    note.push_back(found.note[place.index]);
  }
  found.jobs = std::move(jobs);
  found.note = std::move(note);
}

// Keeps the jobs of `shard` (in their order) and numbers them again.
void KeepShard(Discovered& found, const std::vector<std::string>& roots,
               const config::ShardSpec& shard) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < found.jobs.size(); ++i) {
    if (!InShard(found.jobs[i].path, roots, shard)) continue;
    if (kept != i) {
      found.jobs[kept] = std::move(found.jobs[i]);
      found.note[kept] = found.note[i];
    }
    found.jobs[kept].id = kept;
    ++kept;
  }
  found.jobs.erase(found.jobs.begin() + static_cast<std::ptrdiff_t>(kept), found.jobs.end());
  found.note.resize(kept);
}

}  // namespace

bool GlobMatches(const std::vector<std::string>& globs, const std::string& path) {
  for (const std::string& g : globs) {
    if (::fnmatch(g.c_str(), path.c_str(), 0) == 0) return true;
    if (g.starts_with("**/") && ::fnmatch(g.c_str() + 3, path.c_str(), 0) == 0) return true;
  }
  return false;
}

Discovered Discover(const DiscoveryOptions& options) {
  Discovered found;
  auto add = [&](std::string path, std::optional<Error> skip, bool note) {
    const uint64_t id = found.jobs.size();
    found.jobs.emplace_back(id, std::move(path), std::move(skip));
    found.note.push_back(note);
  };
  OwnFiles own(options.outputs);
  // A file of the run's own is left out (with a note), or refuses the run.
  auto is_own = [&](const WalkFile& file) {
    std::optional<std::string> note = own.Check(file, found.refused);
    if (!note) return false;
    if (!note->empty()) found.own_files.push_back(std::move(*note));
    return true;
  };
  WalkOptions walk;
  walk.recursive = options.recursive;
  walk.order = options.order == FileOrder::kRotation ? FileOrder::kRotation : FileOrder::kPath;
  walk.skip_hidden = options.skip_hidden;
  if (options.skip_hidden) {
    walk.on_hidden = [&](const std::string& path) {
      if (GlobMatches(options.exclude, path)) return;
      if (is_own(WalkFile{path})) return;
      add(path, Error(ErrorCode::kCancelled, "hidden (--hidden reads it)"), true);
    };
  }
  const Status walked = Walk(
      options.paths, walk,
      [&](WalkFile&& file) {
        // Stopped by a signal: the walk runs out without collecting (it cannot be cut short).
        if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) return;
        if (!options.include.empty() && !GlobMatches(options.include, file.path)) return;
        if (GlobMatches(options.exclude, file.path)) return;
        if (is_own(file)) return;
        if (options.skip_compressed) {
          if (const std::string_view kind = CompressionOf(file.path); !kind.empty()) {
            add(std::move(file.path),
                Error(ErrorCode::kUnsupported,
                      "compressed (" + std::string(kind) + "; decompress it first)"),
                true);
            return;
          }
        }
        add(std::move(file.path), std::nullopt, false);
      },
      [&](const std::string& path, const Error& why) {
        if (GlobMatches(options.exclude, path)) return;
        // A FIFO or socket the include globs do not ask for is none of the user's business;
        // a directory that cannot be read always is (it may hold matching files).
        const bool not_regular = why.code() == ErrorCode::kInvalidArgument && why.sys_errno() == 0;
        if (not_regular && !options.include.empty() && !GlobMatches(options.include, path)) return;
        add(path, why, false);
      });
  if (!walked.ok()) {  // only for an empty callback: a bug
    add("", walked.error(), false);
  }
  if (options.order == FileOrder::kMtime) SortByMtime(found);
  found.jobs_all_shards = found.jobs.size();
  if (options.shard.enabled()) KeepShard(found, options.paths, options.shard);
  // A stat per file is a real share of a replay of many small files (bench/NOTES.md). Past a
  // thousand files the ETA counts files instead (ProgressLine), which many files make a fair
  // measure.
  if (options.stat_sizes && found.jobs.size() <= kStatSizesMaxFiles) {
    uint64_t total = 0;
    for (const uring::ReadJob& job : found.jobs) {
      struct stat st;
      if (!job.skip && ::stat(job.path.c_str(), &st) == 0)
        total += static_cast<uint64_t>(st.st_size);
    }
    found.bytes_total = total;
  }
  return found;
}

}  // namespace ringflow::run

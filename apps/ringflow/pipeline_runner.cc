#include "apps/ringflow/pipeline_runner.h"

#include <fnmatch.h>
#include <oneapi/tbb/global_control.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>

#include "apps/ringflow/options.h"
#include "apps/ringflow/progress.h"
#include "framework/core/error.h"
#include "framework/flow/pipeline.h"
#include "framework/run/checkpoint.h"
#include "framework/run/plugin.h"
#include "framework/run/walk.h"
#include "stages/json_sink.h"
#include "stages/manifest_sink.h"

namespace ringflow::app {
namespace {

// ---- Signals. The handler only touches lock-free atomics and calls async-signal-safe
// functions (unlink, _exit).

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
// Temporary output files, unlinked when a second signal ends the process at once.
constexpr std::size_t kMaxTemps = 8;
std::array<std::array<char, 4096>, kMaxTemps> g_temps{};

// Ends the process at once as stopped by g_signal's signal: the temporary outputs go, nothing
// else runs (no atexit handler, no stdio flush that could block on a full pipe).
[[noreturn]] void QuitNow() {
  for (const auto& temp : g_temps) {
    if (temp[0] != '\0') ::unlink(temp.data());
  }
  ::_exit(128 + g_signal.load());
}

// The stop deadline ran out: the drain is stuck (a write to a pipe nobody reads blocks forever,
// and a blocked write cannot be cancelled from another thread), so do what a second signal does,
// saying why first: the summary will not come. Only when stderr can take the line without
// blocking (poll; a line under PIPE_BUF goes into a pipe whole or not at all): stderr may be
// the pipe nobody reads.
extern "C" void OnStopDeadline(int) {
  static constexpr std::string_view kInt =
      "ringflow: interrupted by SIGINT, and the run did not end within 2 s (an output blocked?): "
      "quit without finishing the outputs\n";
  static constexpr std::string_view kTerm =
      "ringflow: interrupted by SIGTERM, and the run did not end within 2 s (an output "
      "blocked?): quit without finishing the outputs\n";
  static_assert(kStopDeadlineSeconds == 2, "the messages say 2 s");
  const std::string_view line = g_signal.load() == SIGINT ? kInt : kTerm;
  pollfd err{STDERR_FILENO, POLLOUT, 0};
  if (::poll(&err, 1, 0) == 1 && (err.revents & POLLOUT) != 0) {
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  }
  QuitNow();
}

extern "C" void OnStopSignal(int sig) {
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig)) {
    // The second signal: the user does not want to wait for the drain.
    QuitNow();
  }
  g_stop.store(true);
  // The drain gets kStopDeadlineSeconds. SIGALRM is taken only now (sigaction and alarm are
  // async-signal-safe), so a run that is never stopped leaves SIGALRM alone.
  struct sigaction deadline {};
  deadline.sa_handler = OnStopDeadline;
  sigemptyset(&deadline.sa_mask);
  ::sigaction(SIGALRM, &deadline, nullptr);
  ::alarm(kStopDeadlineSeconds);
}

// ---- Discovery.

// "gzip" for "x.log.gz", ... ; empty when the name does not look compressed.
std::string_view CompressionOf(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kSuffixes[] = {
      {".gz", "gzip"}, {".tgz", "gzip"}, {".zst", "zstd"}, {".bz2", "bzip2"},
      {".xz", "xz"},   {".lz4", "lz4"},  {".zip", "zip"},  {".7z", "7z"},
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

// Marks the run's finished output files (not stdout, not the checkpoint, not files appended to)
// as ringflow's, so that a later run leaves them out of its inputs.
// File systems without extended attributes keep no mark: a later run then refuses the output
// as an input, which loses nothing.
void MarkOwnOutputs(const std::vector<RunOutput>& outputs, const std::vector<bool>& appended) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const RunOutput& out = outputs[i];
    if (out.path == "-" || out.checkpoint || appended[i]) continue;
    // Best effort: the mark only spares the user an --exclude.
    static_cast<void>(::setxattr(out.path.c_str(), kOwnOutputAttribute, kOwnOutputValue,
                                 sizeof(kOwnOutputValue) - 1, 0));
  }
}

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
  std::optional<std::string> Check(const run::WalkFile& file, std::optional<std::string>& refused) {
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

// ---- The sinks' wrappers.

// Counts the records a "lines" stage frames (the summary's and the progress line's lines).
class LineCounter final : public flow::FramingStage {
 public:
  LineCounter(flow::FramingStage* inner, RunCounters* counters)
      : inner_(inner), counters_(counters) {}
  void Frame(const flow::Chunk& chunk, flow::RecordBatch& out) override {
    const std::size_t before = out.records.size();
    inner_->Frame(chunk, out);
    counters_->lines.fetch_add(out.records.size() - before, std::memory_order_relaxed);
  }

 private:
  flow::FramingStage* inner_;
  RunCounters* counters_;
};

// What the first sink learns about files, for the summary.
struct FileReport {
  std::map<std::string, uint64_t> skipped;  // reason -> files
  uint64_t problems = 0;                    // skipped files that make the exit status 1
};

// Sleeps until `due` or until the run is stopped.
void SleepUntil(run::Pacer::Clock::time_point due) {
  while (!g_stop.load(std::memory_order_relaxed)) {
    const auto now = run::Pacer::Clock::now();
    if (now >= due) return;
    std::this_thread::sleep_for(
        std::min<run::Pacer::Clock::duration>(due - now, std::chrono::milliseconds(100)));
  }
}

// Passes batches on to the real sink, keeping the run's account, and paces records. The first
// sink also reports every file that could not be read (once, "ringflow: PATH: reason", or
// "ringflow: note: ..." for hidden and compressed files) and counts files and bytes: every input
// of every sink sees every file's end.
class RunSink final : public flow::SinkStage {
 public:
  RunSink(flow::SinkStage* inner, RunCounters* counters, FileReport* report,
          const std::vector<bool>* note, ProgressLine* progress, bool count_records,
          std::optional<run::PacingOptions> pacing)
      : inner_(inner),
        counters_(counters),
        report_(report),
        note_(note),
        progress_(progress),
        count_records_(count_records) {
    if (pacing) pacer_.emplace(*pacing);
  }

  Status Write(const flow::RecordBatch& batch) override { return WriteFrom(0, batch); }
  Status WriteFrom(std::size_t input, const flow::RecordBatch& batch) override {
    Count(input, batch);
    if (Paced()) {
      // A sink that does not format cannot be written record by record: the batch waits for
      // its last record's time.
      run::Pacer::Clock::time_point due{};
      for (const flow::Record& r : batch.records) due = Due(r);
      RINGFLOW_RETURN_IF_ERROR(inner_->Flush());
      SleepUntil(due);
    }
    return inner_->WriteFrom(input, batch);
  }
  bool formats() const override { return inner_->formats(); }
  void Format(std::size_t input, const flow::RecordBatch& batch, std::string& out) const override {
    inner_->Format(input, batch, out);
  }
  Status WriteFormatted(std::size_t input, const flow::RecordBatch& batch,
                        std::string_view bytes) override {
    Count(input, batch);
    if (!Paced() || batch.records.empty()) return inner_->WriteFormatted(input, batch, bytes);
    return WritePaced(input, batch, bytes);
  }
  Status Flush() override { return inner_->Flush(); }
  Status Prepare() override { return inner_->Prepare(); }
  Status Close() override { return inner_->Close(); }
  void Abort() override { inner_->Abort(); }
  bool checkpoints() const override { return inner_->checkpoints(); }
  Result<flow::SinkPosition> Checkpoint() override { return inner_->Checkpoint(); }
  Status Resume(const flow::SinkPosition& at) override { return inner_->Resume(at); }

  uint64_t records = 0, parse_errors = 0, truncated = 0;

 private:
  bool Paced() const {
    return pacer_ && pacer_->enabled() && !g_stop.load(std::memory_order_relaxed);
  }
  run::Pacer::Clock::time_point Due(const flow::Record& r) {
    return pacer_->Due(r.raw.size() + 1, run::RecordTimeMicros(r), run::Pacer::Clock::now());
  }

  // Formatted output holds one line per record (JSON lines): each record's line is written
  // when it is due. Slices before the last go with an empty batch, the last with `batch`, so
  // the sink counts the batch once.
  Status WritePaced(std::size_t input, const flow::RecordBatch& batch, std::string_view bytes) {
    std::size_t newlines = 0;
    for (char c : bytes) newlines += c == '\n' ? 1u : 0u;
    if (newlines != batch.records.size()) {
      run::Pacer::Clock::time_point due{};
      for (const flow::Record& r : batch.records) due = Due(r);
      RINGFLOW_RETURN_IF_ERROR(inner_->Flush());
      SleepUntil(due);
      return inner_->WriteFormatted(input, batch, bytes);
    }
    // (The slices' batch has the file but no records: a sink that keeps count per file, for
    // checkpoints, must not take it for another file.)
    flow::RecordBatch no_records(64);
    no_records.file_id = batch.file_id;
    std::size_t start = 0, end = 0;
    for (const flow::Record& r : batch.records) {
      const auto due = Due(r);
      if (due > run::Pacer::Clock::now() && end > start) {
        RINGFLOW_RETURN_IF_ERROR(
            inner_->WriteFormatted(input, no_records, bytes.substr(start, end - start)));
        RINGFLOW_RETURN_IF_ERROR(inner_->Flush());
        start = end;
      }
      SleepUntil(due);
      end = bytes.find('\n', end) + 1;
    }
    RINGFLOW_RETURN_IF_ERROR(inner_->WriteFormatted(input, batch, bytes.substr(start)));
    return inner_->Flush();
  }

  void Count(std::size_t input, const flow::RecordBatch& batch) {
    if (count_records_) {
      uint64_t errors = 0, cut = 0;
      for (const flow::Record& r : batch.records) {
        errors += r.ok() ? 0u : 1u;
        cut += r.truncated ? 1u : 0u;
      }
      records += batch.records.size();
      parse_errors += errors;
      truncated += cut;
      if (counters_ != nullptr) {
        counters_->records.fetch_add(batch.records.size(), std::memory_order_relaxed);
        counters_->parse_errors.fetch_add(errors, std::memory_order_relaxed);
      }
    }
    if (report_ == nullptr || input != 0) return;
    // Bytes as chunks pass (every chunk reaches every input as a batch), so the progress line
    // moves within a large file.
    if (batch.chunk) counters_->bytes.fetch_add(batch.chunk->length, std::memory_order_relaxed);
    if (!batch.end) return;
    counters_->files_done.fetch_add(1, std::memory_order_relaxed);
    if (batch.chunk && batch.chunk->shrank) {  // read to its end, which came early: a note
      progress_->Note("ringflow: note: " + EscapeControl(batch.chunk->path) +
                      ": shrank while being read (" + std::to_string(batch.file_bytes) + " of " +
                      std::to_string(batch.chunk->size_at_open) + " bytes)");
    }
    if (!batch.error) return;
    counters_->files_failed.fetch_add(1, std::memory_order_relaxed);
    const bool note = batch.file_id < note_->size() && (*note_)[batch.file_id];
    ++report_->skipped[batch.error->message()];
    if (!note) ++report_->problems;
    progress_->Note(std::string("ringflow: ") + (note ? "note: " : "") +
                    EscapeControl(batch.error->path()) + ": " + batch.error->message());
  }

  flow::SinkStage* inner_;
  RunCounters* counters_;
  FileReport* report_;  // the first sink's; null for the others
  const std::vector<bool>* note_;
  ProgressLine* progress_;
  const bool count_records_;
  std::optional<run::Pacer> pacer_;
};

constexpr std::size_t kPipelineBufferSize = 512 * 1024;
constexpr uint32_t kPipelineBuffers = 6;
constexpr std::size_t kSliceSize = 32 * 1024;

flow::SourceOptions MakeSourceOptions(const config::PipelineConfig& pipeline) {
  const config::EngineConfig& engine = pipeline.source.engine;
  flow::SourceOptions source;
  source.engine.queue_depth = engine.queue_depth;
  source.engine.sqpoll = engine.sqpoll;
  source.engine.file_slots = 48;
  source.reader.max_open_files = 48;
  source.reader.direct = engine.direct;
  source.reader.ordered = pipeline.ordered;
  source.reader.max_in_flight = 2 * engine.queue_depth;
  // Pipelines read larger chunks than `checksum` (fewer, larger batches: each message costs a
  // few tasks): 512 KiB measured best on the 2 GiB corpus (bench/run_pipeline_bench.sh). Every
  // batch in flight holds its chunk and its records, so memory is bounded by
  // buffers x (buffer_size + its records), however large the input. 6 buffers run as fast as 8
  // (JSON to a file: 4.73 against 4.88 s; 4 buffers: 5.46 s) with a lower peak (33 against
  // 41 MiB), which a sink waiting for the disk reaches.
  source.buffer_size = engine.buffer_size != 0 ? engine.buffer_size : kPipelineBufferSize;
  source.buffers = engine.buffers != 0 ? engine.buffers : kPipelineBuffers;
  // A file's first read takes a 32 KiB slice when buffers are larger: a tree of small files keeps
  // as many files in flight as there are slices (one per file the reader opens at once), not
  // as there are buffers.
  if (source.buffer_size > kSliceSize) {
    source.slice_size = kSliceSize;
    source.slices = source.reader.max_open_files;
  }
  // End messages without data hold no buffer: room for those, and for slices, beside the chunks.
  source.max_messages = source.buffers + source.slices + 64;
  source.reader.stop = &g_stop;
  return source;
}

// The temporary files `built`'s JSON and manifest sinks write until they are renamed.
std::vector<std::string> TempFiles(const run::BuiltPipeline& built) {
  std::vector<std::string> temps;
  for (const auto& sink : built.sinks) {
    std::string temp;
    if (const auto* json = dynamic_cast<const stages::JsonSink*>(sink.get())) {
      temp = json->temp_path();
    } else if (const auto* manifest = dynamic_cast<const stages::ManifestSink*>(sink.get())) {
      temp = manifest->temp_path();
    }
    if (!temp.empty()) temps.push_back(std::move(temp));
  }
  return temps;
}

// Writes `text` to `path` through a temporary file renamed into place.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  RINGFLOW_ASSIGN_OR_RETURN(auto sink, stages::JsonSink::Open(path));
  const flow::RecordBatch none(64);
  RINGFLOW_RETURN_IF_ERROR(sink->WriteFormatted(0, none, text));
  return sink->Close();
}

// "1 record", "2 records".
std::string Counted(uint64_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

const char* SignalName(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "a signal";
}

}  // namespace

StopSignals::StopSignals() {
  g_stop.store(false);
  g_signal.store(0);
  for (auto& temp : g_temps) temp[0] = '\0';
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  // Installed whatever the disposition was: a background job of a non-interactive shell starts
  // with SIGINT ignored, and `kill -INT` should still stop it cleanly.
  ::sigaction(SIGINT, &action, &old_int_);
  ::sigaction(SIGTERM, &action, &old_term_);
  // The stop deadline needs SIGALRM delivered; a blocked mask is inherited across exec. Threads
  // started from here on (the readers, oneTBB's workers) inherit the unblocked one.
  sigset_t alarm_set;
  sigemptyset(&alarm_set);
  sigaddset(&alarm_set, SIGALRM);
  ::pthread_sigmask(SIG_UNBLOCK, &alarm_set, nullptr);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  for (auto& temp : g_temps) temp[0] = '\0';
  // A stopped run keeps its deadline armed: the process is on its way out with 128 + N, and
  // what is left (the exit's flush of stdout) may block on the same full pipe.
}

void StopSignals::RemoveOnQuit(const run::BuiltPipeline& built) {
  const std::vector<std::string> temps = TempFiles(built);
  // The handler reads a name only once its first byte is set, which comes last: a signal in
  // between misses the newest name but never sees half of one.
  for (std::size_t i = 0; i < temps.size() && i < kMaxTemps; ++i) {
    if (temps[i].size() >= g_temps[i].size()) continue;
    std::memcpy(g_temps[i].data() + 1, temps[i].c_str() + 1, temps[i].size());
    std::atomic_thread_fence(std::memory_order_release);
    g_temps[i][0] = temps[i][0];
  }
}

std::optional<config::PipelineConfig> LoadDocument(run::StageRegistry& registry,
                                                   const std::string& config, std::string_view text,
                                                   const std::vector<std::string>& overrides) {
  // Plugins add types, so they are loaded before the document is validated; relative plugin
  // paths are relative to the document's directory. (A broken document lists no plugins here:
  // LoadPipeline reports it.)
  const std::vector<std::string> plugins = config.empty()
                                               ? config::ReadPluginList(text, overrides)
                                               : config::ReadPluginListFile(config, overrides);
  const Status loaded = run::LoadPlugins(
      registry, plugins,
      config.empty() ? std::filesystem::path() : std::filesystem::path(config).parent_path());
  if (!loaded.ok()) {
    PrintError((config.empty() ? "" : config + ": ") + loaded.error().message());
    return std::nullopt;
  }
  auto pipeline =
      config.empty()
          ? config::LoadPipeline(text, registry.stages(), registry.sinks(), overrides)
          : config::LoadPipelineFile(config, registry.stages(), registry.sinks(), overrides);
  if (!pipeline.ok()) {
    PrintError(pipeline.error().UserMessage());
    return std::nullopt;
  }
  return std::move(pipeline).value();
}

std::optional<run::BuiltPipeline> BuildDocument(const run::StageRegistry& registry,
                                                const config::PipelineConfig& pipeline,
                                                const std::string& what) {
  auto built = registry.Build(pipeline);
  if (!built.ok()) {
    PrintError(what + ": " + built.error().message());
    return std::nullopt;
  }
  return std::move(built).value();
}

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
  auto is_own = [&](const run::WalkFile& file) {
    std::optional<std::string> note = own.Check(file, found.refused);
    if (!note) return false;
    if (!note->empty()) found.own_files.push_back(std::move(*note));
    return true;
  };
  run::WalkOptions walk;
  walk.recursive = options.recursive;
  walk.skip_hidden = options.skip_hidden;
  if (options.skip_hidden) {
    walk.on_hidden = [&](const std::string& path) {
      if (GlobMatches(options.exclude, path)) return;
      if (is_own(run::WalkFile{path})) return;
      add(path, Error(ErrorCode::kCancelled, "hidden (--hidden reads it)"), true);
    };
  }
  const Status walked = run::Walk(
      options.paths, walk,
      [&](run::WalkFile&& file) {
        // Stopped by a signal: the walk runs out without collecting (it cannot be cut short).
        if (g_stop.load(std::memory_order_relaxed)) return;
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
  // A stat per file costs ~6 us here: on 20,000 files that was 10% of a replay. Past a thousand
  // files the ETA counts files instead (ProgressLine), which many files make a fair measure.
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

std::vector<RunOutput> RunOutputs(const config::PipelineConfig& pipeline,
                                  const FrontEndOptions& front,
                                  const std::vector<std::string>& labels) {
  std::vector<RunOutput> outputs;
  for (std::size_t k = 0; k < pipeline.sinks.size(); ++k) {
    const std::string* path = pipeline.sinks[k].GetString("path");
    if (path == nullptr || path->empty()) continue;
    outputs.push_back(
        {*path, k < labels.size() ? labels[k] : pipeline.sinks[k].json_path + ".path"});
  }
  if (!front.stats_json.empty()) outputs.push_back({front.stats_json, "--stats-json"});
  if (!front.checkpoint.empty()) outputs.push_back({front.checkpoint, "--checkpoint", true});
  return outputs;
}

std::optional<std::string> ApplyCheckpointArgs(const CheckpointArgs& args, FrontEndOptions& front) {
  if (args.file.empty()) {
    if (args.resume) return std::string("--resume needs --checkpoint FILE");
    return std::nullopt;
  }
  front.checkpoint = args.file;
  front.resume = args.resume;
  Result<int64_t> every = config::ParseSize(args.every);
  if (!every.ok() || *every <= 0) {
    return "--checkpoint-every: " +
           (every.ok() ? std::string("must be above 0") : every.error().message());
  }
  front.checkpoint_bytes = static_cast<uint64_t>(*every);
  Result<std::chrono::microseconds> interval = run::ParseDuration(args.interval);
  if (!interval.ok()) return "--checkpoint-interval: " + interval.error().message();
  front.checkpoint_interval = std::chrono::duration_cast<std::chrono::milliseconds>(*interval);
  return std::nullopt;
}

namespace {

// Puts a finished run's outputs in place: the run had written its final checkpoint
// ("complete") but was killed before (or while) renaming them.
int FinishCompleteRun(const run::CheckpointState& state, run::BuiltPipeline& built,
                      const FrontEndOptions& options) {
  for (auto& sink : built.sinks) sink->Abort();  // this run's empty temporary files
  // The outputs written under a temporary name (not appended to), for MarkOwnOutputs.
  std::vector<RunOutput> outputs;
  for (const run::CheckpointSink& s : state.sinks) {
    if (s.at.file.empty() || s.at.file == s.output) continue;
    outputs.push_back({s.output, s.name});
    struct stat st;
    if (::stat(s.at.file.c_str(), &st) != 0) continue;  // renamed already
    if (::rename(s.at.file.c_str(), s.output.c_str()) != 0) {
      PrintError(options.command + ": " +
                 Error::FromErrno(errno, "rename " + s.at.file + " to " + s.output).UserMessage());
      return 1;
    }
  }
  MarkOwnOutputs(outputs, std::vector<bool>(outputs.size(), false));
  if (::unlink(options.checkpoint.c_str()) != 0) {
    PrintError(options.command + ": " +
               Error::FromErrno(errno, "remove " + options.checkpoint).UserMessage());
    return 1;
  }
  std::fprintf(stderr, "ringflow: %s: the run had finished; its outputs are now in place\n",
               EscapeControl(options.checkpoint).c_str());
  return 0;
}

// Prepares --checkpoint: checks that the run can be checkpointed, and with --resume reads the
// checkpoint, leaves out of `discovered` the files finished before (unchanged), and tells every
// sink where to continue. Returns the checkpointer, or the exit status.
std::variant<std::unique_ptr<run::Checkpointer>, int> SetUpCheckpoint(
    const config::PipelineConfig& pipeline, run::BuiltPipeline& built, Discovered& discovered,
    const FrontEndOptions& options, uint64_t& gone, uint64_t& problems_before, bool& adopted) {
  auto refuse = [&](const std::string& why) {
    PrintError(options.command + ": --checkpoint: " + why);
    for (auto& sink : built.sinks) sink->Abort();
    return 1;
  };
  if (!pipeline.ordered) return refuse("needs ordered output (\"ordered\": false, --unordered)");
  for (std::size_t k = 0; k < built.sinks.size(); ++k) {
    if (!built.sinks[k]->checkpoints()) {
      return refuse("sink \"" + pipeline.sinks[k].name + "\" (" + pipeline.sinks[k].type +
                    ") does not support checkpoints");
    }
  }
  const std::string digest = run::PipelineDigest(pipeline);
  // One run at a time per checkpoint (held until the checkpointer goes).
  Result<run::CheckpointLock> lock = run::CheckpointLock::Acquire(options.checkpoint);
  if (!lock.ok()) return refuse(lock.error().UserMessage());
  Result<std::optional<run::CheckpointState>> loaded = run::LoadCheckpoint(options.checkpoint);
  if (!loaded.ok() && loaded.error().code() == ErrorCode::kUnsupported) {
    // Someone else's file (no header, no checksum line): never read as a damaged checkpoint,
    // overwritten or removed.
    PrintError(loaded.error().UserMessage());
    for (auto& sink : built.sinks) sink->Abort();
    return 2;
  }
  if (!loaded.ok()) {
    if (options.resume || loaded.error().code() != ErrorCode::kInvalidArgument) {
      return refuse(loaded.error().UserMessage());
    }
    // Starting over anyway (the old partial outputs stay: a damaged file's names are not
    // trusted for removing anything).
    std::fprintf(stderr, "ringflow: note: %s: damaged; starting over\n",
                 EscapeControl(options.checkpoint).c_str());
    loaded = std::optional<run::CheckpointState>();
  }
  std::optional<run::CheckpointState> previous = std::move(loaded).value();
  if (previous && !options.resume) {
    // Starting over: the old run's partial outputs go (not this run's own, should the old run
    // have had this process id).
    const std::vector<std::string> mine = TempFiles(built);
    for (const run::CheckpointSink& s : previous->sinks) {
      // Only what looks like a temporary file of ours (".NAME.tmp-..."), whatever the file says.
      const std::size_t slash = s.at.file.rfind('/');
      const std::string base = slash == std::string::npos ? s.at.file : s.at.file.substr(slash + 1);
      if (s.at.file == s.output || base.size() < 2 || base[0] != '.' ||
          base.find(".tmp-") == std::string::npos) {
        continue;
      }
      if (std::find(mine.begin(), mine.end(), s.at.file) == mine.end()) {
        ::unlink(s.at.file.c_str());
      }
    }
    std::fprintf(stderr, "ringflow: note: %s: starting over (--resume continues from it)\n",
                 EscapeControl(options.checkpoint).c_str());
    previous.reset();
  }
  if (options.resume && !previous) {
    std::fprintf(stderr, "ringflow: note: %s: no checkpoint yet: starting from the beginning\n",
                 EscapeControl(options.checkpoint).c_str());
  }
  if (previous && previous->pipeline != digest) {
    return refuse(options.checkpoint +
                  " was written by another pipeline (its stages, sinks or inputs differ); run "
                  "without --resume to start over");
  }
  if (previous && previous->complete) return FinishCompleteRun(*previous, built, options);

  std::vector<run::CheckpointSink> sinks;
  for (const config::StageConfig& s : pipeline.sinks) {
    const std::string* path = s.GetString("path");
    sinks.push_back({s.name, path != nullptr && *path != "-" ? *path : "", {}});
  }
  // (Keys: the paths in `previous`, which outlives the map.)
  std::unordered_map<std::string_view, const run::CheckpointEntry*> before;
  if (previous) {
    before.reserve(previous->files.size());
    for (const run::CheckpointEntry& e : previous->files) before.emplace(e.path, &e);
  }
  // The order of this run: the files done before (not read), then the partial file (its output
  // continues where the checkpoint's ends), then the others in discovery order (files that
  // changed since they were finished included). The jobs are reordered in place and the
  // checkpointer keeps a compact table: no copy of the file list (100,000 files: megabytes).
  std::vector<const run::CheckpointEntry*> done;  // the files done before, in discovery order
  std::optional<uint64_t> resumed;  // the job of the partial file, continued where it was
  std::size_t resumed_at = 0;       // its index among the jobs kept
  std::size_t kept = 0;
  for (std::size_t i = 0; i < discovered.jobs.size(); ++i) {
    uring::ReadJob& job = discovered.jobs[i];
    if (auto it = before.find(job.path); it != before.end()) {
      const run::CheckpointEntry& then = *it->second;
      before.erase(it);
      std::string change;
      if (job.skip) {
        // Skipped without being opened (a FIFO, a hidden file, ...): its one line is out.
        if (!then.done) change = "unreadable";
      } else {
        // A file the run never read (it could not: its failure is out) has no head.
        Result<run::FileIdentity> now = then.identity.has_head
                                            ? run::IdentifyFile(job.path, then.identity.head_bytes)
                                            : run::StatFile(job.path);
        change = !now.ok()
                     ? std::string("unreadable")
                     : run::FileChange(then.identity, *now, then.done ? 0 : then.offset, then.done);
      }
      if (change.empty() && then.done) {
        done.push_back(&then);  // finished before: not read again
        // (A note, e.g. a hidden file, is no problem; discovery says so again.)
        const bool note = job.id < discovered.note.size() && discovered.note[job.id];
        if (then.problem && !note) ++problems_before;
        continue;
      }
      if (change.empty()) {
        resumed = job.id;
        resumed_at = kept;
      } else if (!job.skip) {
        std::fprintf(stderr, "ringflow: %s: %s since the checkpoint: replayed from the start\n",
                     EscapeControl(job.path).c_str(), change.c_str());
      }
    }
    if (kept != i) discovered.jobs[kept] = std::move(job);
    ++kept;
  }
  discovered.jobs.erase(discovered.jobs.begin() + static_cast<std::ptrdiff_t>(kept),
                        discovered.jobs.end());
  if (resumed) {
    const auto first = discovered.jobs.begin();
    std::rotate(first, first + static_cast<std::ptrdiff_t>(resumed_at),
                first + static_cast<std::ptrdiff_t>(resumed_at) + 1);
  }
  const uint64_t done_before = done.size();
  for (const auto& [path, entry] : before) {
    std::fprintf(stderr, "ringflow: %s: gone since the checkpoint%s\n",
                 EscapeControl(std::string(path)).c_str(),
                 entry->done ? " (its records are in the output)" : "");
    ++gone;
  }
  adopted = previous.has_value();
  if (previous) {
    for (std::size_t k = 0; k < pipeline.sinks.size(); ++k) {
      auto it = std::find_if(
          previous->sinks.begin(), previous->sinks.end(),
          [&](const run::CheckpointSink& s) { return s.name == pipeline.sinks[k].name; });
      if (it == previous->sinks.end()) {
        return refuse(options.checkpoint + " has no sink \"" + pipeline.sinks[k].name + "\"");
      }
      flow::SinkPosition at = it->at;
      // Records of the partial file already out are left out when it is read again; a file
      // read from the start (changed) or a cut at a file's end leaves nothing out.
      at.file_id = resumed.value_or(UINT64_MAX);
      if (!resumed) at.file_records = 0;
      if (Status s = built.sinks[k]->Resume(at); !s.ok()) {
        return refuse("sink \"" + pipeline.sinks[k].name + "\": " + s.error().UserMessage());
      }
    }
    std::fprintf(stderr, "ringflow: resuming from %s: %llu files done before, %zu to go\n",
                 EscapeControl(options.checkpoint).c_str(),
                 static_cast<unsigned long long>(done_before), discovered.jobs.size());
    if (problems_before > 0) {
      std::fprintf(stderr,
                   "ringflow: %llu of the files done before could not be read (or not whole); "
                   "the run before the resume reported them, the outputs say why\n",
                   static_cast<unsigned long long>(problems_before));
    }
  }
  auto checkpointer =
      std::make_unique<run::Checkpointer>(options.checkpoint, digest, std::move(sinks), &g_stop);
  std::size_t path_bytes = 0;
  for (const run::CheckpointEntry* e : done) path_bytes += e->path.size();
  for (const uring::ReadJob& job : discovered.jobs) path_bytes += job.path.size();
  checkpointer->Reserve(done.size() + discovered.jobs.size(), path_bytes);
  for (const run::CheckpointEntry* e : done) checkpointer->AddDone(*e);
  for (const uring::ReadJob& job : discovered.jobs) checkpointer->AddJob(job.path, job.id);
  checkpointer->Start();
  checkpointer->Hold(std::move(*lock));
  return checkpointer;
}

}  // namespace

int ExecutePipeline(const config::PipelineConfig& pipeline, run::BuiltPipeline& built,
                    Discovered discovered, const FrontEndOptions& options) {
  if (discovered.refused) {
    PrintError(options.command + ": " + *discovered.refused);
    for (auto& sink : built.sinks) sink->Abort();
    return 2;
  }
  // Files appended to may hold more than ringflow's output: they stay unmarked (MarkOwnOutputs).
  const std::vector<RunOutput> outputs = RunOutputs(pipeline, options);
  std::vector<bool> appended(outputs.size(), false);
  for (std::size_t k = 0; k < pipeline.sinks.size(); ++k) {
    const std::optional<bool> append = pipeline.sinks[k].GetBool("append");
    const std::string* path = pipeline.sinks[k].GetString("path");
    if (!append || !*append || path == nullptr) continue;
    for (std::size_t i = 0; i < outputs.size(); ++i)
      appended[i] = appended[i] || outputs[i].path == *path;
  }
  std::unique_ptr<run::Checkpointer> checkpointer;
  uint64_t gone = 0;             // files of the checkpoint that are gone
  uint64_t problems_before = 0;  // files done before the resume that could not be read
  bool adopted = false;          // the sinks continue the outputs of a checkpoint
  if (!options.checkpoint.empty()) {
    auto set_up =
        SetUpCheckpoint(pipeline, built, discovered, options, gone, problems_before, adopted);
    if (const int* exit_code = std::get_if<int>(&set_up)) return *exit_code;
    checkpointer = std::move(std::get<0>(set_up));
  }
  const auto started = std::chrono::steady_clock::now();
  RunCounters counters;
  const uint64_t files_total = discovered.jobs.size();
  ProgressLine progress(stderr, options.progress, &counters, files_total, discovered.bytes_total);

  flow::PipelineGraph graph = built.graph;
  std::vector<std::unique_ptr<LineCounter>> line_counters;
  for (flow::PipelineGraph::Stage& stage : graph.stages) {
    if (stage.chunks == nullptr) continue;
    for (const config::StageConfig& c : pipeline.stages) {
      if (c.name == stage.name && c.type == "lines") {
        line_counters.push_back(std::make_unique<LineCounter>(stage.chunks, &counters));
        stage.chunks = line_counters.back().get();
      }
    }
  }
  // Every sink is wrapped; the first reports files, the first that is not a manifest counts
  // records for the summary, and every record sink is paced.
  FileReport report;
  std::vector<std::unique_ptr<RunSink>> sinks;
  bool counted = false;
  for (std::size_t k = 0; k < graph.sinks.size(); ++k) {
    const bool manifest = pipeline.sinks[k].type == "manifest";
    const bool primary = !manifest && !counted;
    counted = counted || primary;
    sinks.push_back(std::make_unique<RunSink>(
        graph.sinks[k].sink, primary || k == 0 ? &counters : nullptr, k == 0 ? &report : nullptr,
        &discovered.note, &progress, primary,
        manifest ? std::nullopt : std::optional<run::PacingOptions>(options.pacing)));
    graph.sinks[k].sink = sinks.back().get();
  }

  flow::SourceOptions source = MakeSourceOptions(pipeline);
  if (checkpointer) {
    graph.checkpoints = checkpointer.get();
    source.checkpoint_bytes = std::max<uint64_t>(options.checkpoint_bytes, 1);
    source.checkpoint_interval = options.checkpoint_interval;
  }
  // Parsing runs on oneTBB's workers; "threads" caps them (0: one per CPU).
  std::optional<tbb::global_control> cap;
  if (pipeline.source.engine.threads != 0) {
    cap.emplace(tbb::global_control::max_allowed_parallelism, pipeline.source.engine.threads);
  }
  uring::VectorSource files(std::move(discovered.jobs));
  std::optional<Result<flow::PipelineStats>> stats;
  int signal = 0;
  {
    progress.Start();
    stats.emplace(flow::RunPipeline(files, source, graph));
    progress.Stop();
    signal = g_signal.load();
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  // Stopped by a signal with a checkpoint: the partial outputs stay for --resume, and the
  // summary of what was done comes first.
  bool kept = false;
  auto resume_note = [&](const char* what) {
    std::fprintf(stderr,
                 "ringflow: %s; the output so far stays: continue with --resume (checkpoint %s)\n",
                 what, EscapeControl(options.checkpoint).c_str());
  };
  if (!stats->ok()) {
    // A cut may still be on its way to the checkpoint file (its error, if any, changes nothing:
    // the run has failed already).
    if (checkpointer) static_cast<void>(checkpointer->Drain());
    if (checkpointer && (checkpointer->cuts_written() > 0 || adopted)) {
      // The partial outputs stay, and the checkpoint says how far they go.
      if (signal == 0) {
        PrintError(options.command + ": " + stats->error().UserMessage());
        resume_note("the run failed");
        return 1;
      }
      kept = true;
    } else if (checkpointer) {
      // No checkpoint vouches for the partial outputs (the run ended before its first one was
      // written): nothing to resume, so they go like any failed run's.
      for (const std::string& temp : TempFiles(built)) ::unlink(temp.c_str());
    }
    if (!kept) {
      // The outputs were discarded (see RunPipeline): a summary of a run that left nothing
      // would only mislead.
      PrintError(options.command + ": " + stats->error().UserMessage());
      return signal != 0 ? 128 + signal : 1;
    }
  }
  if (checkpointer && !kept) {
    run::CrashPoint("renamed");
    if (::unlink(options.checkpoint.c_str()) != 0 && errno != ENOENT) {
      PrintError(options.command + ": " +
                 Error::FromErrno(errno, "remove " + options.checkpoint).UserMessage());
      return 1;
    }
  }

  RunSummary summary;
  summary.files_total = files_total;
  const uint64_t done = counters.files_done.load();
  summary.files_read = done - counters.files_failed.load();
  summary.skipped = report.skipped;
  if (done < files_total) summary.skipped["not reached: interrupted"] += files_total - done;
  summary.bytes = counters.bytes.load();
  summary.lines = counters.lines.load();
  summary.records = counters.records.load();
  summary.parse_errors = counters.parse_errors.load();
  summary.elapsed_seconds = took.count();
  summary.interrupted = signal != 0;
  if (signal != 0) summary.signal = SignalName(signal);

  std::string text = FormatSummary(summary);
  for (const std::string& note : discovered.own_files) text += "ringflow: note: " + note + "\n";
  for (std::size_t k = 0; k < sinks.size(); ++k) {
    const RunSink& s = *sinks[k];
    text += "ringflow: sink " + pipeline.sinks[k].name + ": ";
    if (pipeline.sinks[k].type == "manifest") {
      text += std::to_string(done) + " files\n";
    } else {
      text += Counted(s.records, "record") + ", " + Counted(s.parse_errors, "parse error") + ", " +
              Counted(s.truncated, "line") + " cut\n";
    }
  }
  std::fputs(text.c_str(), stderr);
  int exit_code = report.problems > 0 || gone > 0 || problems_before > 0 ? 1 : 0;
  if (!options.stats_json.empty()) {
    const Status written = WriteFileAtomically(options.stats_json, SummaryJson(summary) + "\n");
    if (!written.ok()) {
      PrintError(options.command + ": --stats-json: " + written.error().UserMessage());
      exit_code = 1;
    }
  }
  if (!kept) MarkOwnOutputs(outputs, appended);
  if (kept) resume_note("interrupted");
  return signal != 0 ? 128 + signal : exit_code;
}

}  // namespace ringflow::app

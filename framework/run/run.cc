#include "framework/run/run.h"

#include <oneapi/tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <thread>
#include <utility>

#include "framework/core/error.h"
#include "framework/flow/pipeline.h"
#include "framework/run/internal/resume.h"
#include "framework/run/plugin.h"

namespace ringflow::run {

Result<config::PipelineConfig> LoadDocument(StageRegistry& registry,
                                            const DocumentSource& document) {
  // Plugins add types, so they are loaded before the document is validated; relative plugin
  // paths are relative to the document's directory. The document is read and parsed once: the
  // plugins loaded are those of the text validated. (A broken document lists no plugins:
  // Validate reports it.)
  const bool file = !document.file.empty();
  const config::PipelineDocument parsed =
      file ? config::PipelineDocument::ReadFile(document.file, document.overrides)
           : config::PipelineDocument::Parse(document.text, document.overrides);
  const Status loaded = LoadPlugins(
      registry, parsed.plugins(),
      file ? std::filesystem::path(document.file).parent_path() : std::filesystem::path());
  if (!loaded.ok()) {
    return Error(loaded.error().code(),
                 (file ? document.file + ": " : "") + loaded.error().message());
  }
  auto pipeline = parsed.Validate(registry.stages(), registry.sinks());
  if (!pipeline.ok()) return Error(pipeline.error().code(), pipeline.error().UserMessage());
  return std::move(pipeline).value();
}

namespace {

// Counts the input lines a line framer frames (the summary's and the progress line's lines),
// which are more than its records when it joins lines (multiline).
class LineCounter final : public flow::FramingStage {
 public:
  LineCounter(flow::FramingStage* inner, RunCounters* counters)
      : inner_(inner), counters_(counters) {}
  void Frame(const flow::Chunk& chunk, flow::RecordBatch& out) override {
    // The inner stage is framed through this wrapper only, so the difference is this chunk's.
    const uint64_t before = inner_->lines_framed();
    inner_->Frame(chunk, out);
    counters_->lines.fetch_add(inner_->lines_framed() - before, std::memory_order_relaxed);
  }
  bool frames_lines() const override { return true; }
  uint64_t lines_framed() const override { return inner_->lines_framed(); }

 private:
  flow::FramingStage* inner_;
  RunCounters* counters_;
};

// What the first sink learns about files, for the summary.
struct FileReport {
  std::map<std::string, uint64_t> skipped;  // reason -> files
  uint64_t problems = 0;                    // skipped files that make the exit status 1
  std::map<std::string, uint64_t> formats;  // format -> files
  uint64_t format_seq = UINT64_MAX;         // the last end message whose format was counted
};

bool Stopped(const std::atomic<bool>* stop) {
  return stop != nullptr && stop->load(std::memory_order_relaxed);
}

// Sleeps until `due` or until the run is stopped.
void SleepUntil(Pacer::Clock::time_point due, const std::atomic<bool>* stop) {
  while (!Stopped(stop)) {
    const auto now = Pacer::Clock::now();
    if (now >= due) return;
    std::this_thread::sleep_for(
        std::min<Pacer::Clock::duration>(due - now, std::chrono::milliseconds(100)));
  }
}

// Passes batches on to the real sink, keeping the run's account, and paces records. The first
// sink also reports every file that could not be read (once, "PATH: reason", or "note: ..." for
// hidden and compressed files) and counts files and bytes: every input of every sink sees every
// file's end.
class RunSink final : public flow::SinkStage {
 public:
  RunSink(flow::SinkStage* inner, RunCounters* counters, FileReport* report,
          const std::vector<bool>* note, RunObserver* observer, bool count_records,
          std::optional<PacingOptions> pacing, const std::atomic<bool>* stop)
      : inner_(inner),
        counters_(counters),
        report_(report),
        note_(note),
        observer_(observer),
        count_records_(count_records),
        stop_(stop) {
    if (pacing) pacer_.emplace(*pacing);
  }

  Status Write(const flow::RecordBatch& batch) override { return WriteFrom(0, batch); }
  Status WriteFrom(std::size_t input, const flow::RecordBatch& batch) override {
    Count(input, batch);
    if (Paced()) {
      // A sink that does not format cannot be written record by record: the batch waits for
      // its last record's time.
      Pacer::Clock::time_point due{};
      for (const flow::Record& r : batch.records) due = Due(r);
      RINGFLOW_RETURN_IF_ERROR(inner_->Flush());
      SleepUntil(due, stop_);
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
  bool lists_files() const override { return inner_->lists_files(); }
  std::string temporary_file() const override { return inner_->temporary_file(); }

  uint64_t records = 0, parse_errors = 0, truncated = 0;

 private:
  bool Paced() const { return pacer_ && pacer_->enabled() && !Stopped(stop_); }
  Pacer::Clock::time_point Due(const flow::Record& r) {
    return pacer_->Due(r.raw.size() + 1, RecordTimeMicros(r), Pacer::Clock::now());
  }

  // Formatted output holds one line per record (JSON lines): each record's line is written
  // when it is due. Slices before the last go with an empty batch, the last with `batch`, so
  // the sink counts the batch once.
  Status WritePaced(std::size_t input, const flow::RecordBatch& batch, std::string_view bytes) {
    std::size_t newlines = 0;
    for (char c : bytes) newlines += c == '\n' ? 1u : 0u;
    if (newlines != batch.records.size()) {
      Pacer::Clock::time_point due{};
      for (const flow::Record& r : batch.records) due = Due(r);
      RINGFLOW_RETURN_IF_ERROR(inner_->Flush());
      SleepUntil(due, stop_);
      return inner_->WriteFormatted(input, batch, bytes);
    }
    // (The slices' batch has the file but no records: a sink that keeps count per file, for
    // checkpoints, must not take it for another file.)
    flow::RecordBatch no_records(64);
    no_records.file_id = batch.file_id;
    std::size_t start = 0, end = 0;
    for (const flow::Record& r : batch.records) {
      const auto due = Due(r);
      if (due > Pacer::Clock::now() && end > start) {
        RINGFLOW_RETURN_IF_ERROR(
            inner_->WriteFormatted(input, no_records, bytes.substr(start, end - start)));
        RINGFLOW_RETURN_IF_ERROR(inner_->Flush());
        start = end;
      }
      SleepUntil(due, stop_);
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
    if (report_ == nullptr) return;
    // A file's format: from the first input of its end message that has one (every batch of a
    // file says the same), with the note when detection fell back to raw.
    if (batch.end && !batch.format_hint.empty() && report_->format_seq != batch.seq) {
      report_->format_seq = batch.seq;
      ++report_->formats[std::string(batch.format_hint)];
      if (!batch.format_note.empty() && batch.chunk) {
        observer_->Report("note: " + EscapeControl(batch.chunk->path) + ": " +
                          std::string(batch.format_note));
      }
    }
    if (input != 0) return;
    // Bytes as chunks pass (every chunk reaches every input as a batch), so the progress line
    // moves within a large file.
    if (batch.chunk) counters_->bytes.fetch_add(batch.chunk->length, std::memory_order_relaxed);
    if (!batch.end) return;
    counters_->files_done.fetch_add(1, std::memory_order_relaxed);
    if (batch.chunk && batch.chunk->shrank) {  // read to its end, which came early: a note
      observer_->Report("note: " + EscapeControl(batch.chunk->path) +
                        ": shrank while being read (" + std::to_string(batch.file_bytes) + " of " +
                        std::to_string(batch.chunk->size_at_open) + " bytes)");
    }
    if (!batch.error) return;
    counters_->files_failed.fetch_add(1, std::memory_order_relaxed);
    const bool note = batch.file_id < note_->size() && (*note_)[batch.file_id];
    ++report_->skipped[batch.error->message()];
    if (!note) ++report_->problems;
    observer_->Report((note ? "note: " : "") + EscapeControl(batch.error->path()) + ": " +
                      batch.error->message());
  }

  flow::SinkStage* inner_;
  RunCounters* counters_;
  FileReport* report_;  // the first sink's; null for the others
  const std::vector<bool>* note_;
  RunObserver* observer_;
  const bool count_records_;
  const std::atomic<bool>* stop_;
  std::optional<Pacer> pacer_;
};

}  // namespace

namespace {

constexpr std::size_t kPipelineBufferSize = 512 * 1024;
constexpr uint32_t kPipelineBuffers = 6;
constexpr std::size_t kSliceSize = 32 * 1024;

}  // namespace

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
  // few tasks; bench/NOTES.md has the measurements behind 512 KiB and 6 buffers). Every batch in
  // flight holds its chunk and its records, so memory is bounded by
  // buffers x (buffer_size + its records), however large the input; 6 buffers run as fast as 8
  // with a lower peak, which a sink waiting for the disk reaches.
  source.buffer_size = engine.buffer_size != 0 ? engine.buffer_size : kPipelineBufferSize;
  source.buffers = engine.buffers != 0 ? engine.buffers : kPipelineBuffers;
  // A file's first read takes a 32 KiB slice when buffers are larger: a tree of small files keeps
  // as many files in flight as there are slices (one per file the reader opens at once), not
  // as there are buffers.
  if (source.buffer_size > kSliceSize) {
    source.slice_size = kSliceSize;
    source.slices = source.reader.max_open_files;
  }
  // Compressed files are read in place: decoded (by source.decode_threads threads, or on the I/O
  // thread) into content buffers of the pipeline's chunk size (flow::SourceOptions::decompress).
  source.decompress = true;
  source.decoder.max_ratio = pipeline.source.max_ratio;
  source.decode_threads = pipeline.source.decode_threads;
  source.content_buffer_size = kPipelineBufferSize;
  source.content_buffers = kPipelineBuffers + 2;
  // End messages without data hold no buffer: room for those, and for slices and content
  // buffers, beside the chunks.
  source.max_messages = source.buffers + source.slices + source.content_buffers + 64;
  return source;
}

namespace {

// What the run writes: each sink's "path" (labels[k], when given, names sink k's option in
// messages; otherwise "sinks[k].path"), the caller's extra outputs and the checkpoint.
std::vector<RunOutput> RunOutputs(const config::PipelineConfig& pipeline,
                                  const RunOptions& options) {
  std::vector<RunOutput> outputs;
  for (std::size_t k = 0; k < pipeline.sinks.size(); ++k) {
    const std::string* path = pipeline.sinks[k].GetString("path");
    if (path == nullptr || path->empty()) continue;
    outputs.push_back({*path, k < options.output_labels.size()
                                  ? options.output_labels[k]
                                  : pipeline.sinks[k].json_path + ".path"});
  }
  for (const RunOutput& extra : options.extra_outputs) outputs.push_back(extra);
  if (!options.checkpoint.empty()) outputs.push_back({options.checkpoint, "--checkpoint", true});
  return outputs;
}

DiscoveryOptions DiscoveryFor(const config::PipelineConfig& pipeline, const RunOptions& options,
                              const std::vector<RunOutput>& outputs) {
  DiscoveryOptions discovery;
  discovery.paths = pipeline.source.paths;
  discovery.recursive = pipeline.source.recursive;
  discovery.order = ParseFileOrder(pipeline.source.order).value_or(FileOrder::kRotation);
  discovery.include = pipeline.source.include;
  discovery.exclude = pipeline.source.exclude;
  discovery.stop = options.stop;
  discovery.skip_hidden = options.skip_hidden;
  discovery.skip_compressed = options.skip_compressed;
  discovery.stat_sizes = options.stat_sizes;
  discovery.shard = pipeline.source.shard;
  discovery.outputs = outputs;
  return discovery;
}

// The source of a run: the document's settings (MakeSourceOptions), the stop request, and
// checkpoint cuts when the run keeps a checkpoint.
flow::SourceOptions SourceFor(const config::PipelineConfig& pipeline, const RunOptions& options,
                              bool checkpoints) {
  flow::SourceOptions source = MakeSourceOptions(pipeline);
  source.reader.stop = options.stop;
  if (checkpoints) {
    source.checkpoint_bytes = std::max<uint64_t>(options.checkpoint_bytes, 1);
    source.checkpoint_interval = options.checkpoint_interval;
  }
  return source;
}

// Which of `outputs` the sinks append to: those may hold more than ringflow's output, so they
// stay unmarked (MarkOwnOutputs).
std::vector<bool> AppendedOutputs(const config::PipelineConfig& pipeline,
                                  const std::vector<RunOutput>& outputs) {
  std::vector<bool> appended(outputs.size(), false);
  for (const config::StageConfig& sink : pipeline.sinks) {
    const std::optional<bool> append = sink.GetBool("append");
    const std::string* path = sink.GetString("path");
    if (!append || !*append || path == nullptr) continue;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      appended[i] = appended[i] || outputs[i].path == *path;
    }
  }
  return appended;
}

// The graph as Execute runs it: every line framer counted, every sink wrapped. The first sink
// reports files, the first that does not list files counts records for the summary, and every
// record sink is paced.
struct Wrapped {
  flow::PipelineGraph graph;
  FileReport report;
  std::vector<std::unique_ptr<LineCounter>> line_counters;
  std::vector<std::unique_ptr<RunSink>> sinks;
};

std::unique_ptr<Wrapped> Wrap(const BuiltPipeline& built, const std::vector<bool>& note,
                              RunCounters& counters, RunObserver& observer,
                              const RunOptions& options) {
  auto w = std::make_unique<Wrapped>();
  w->graph = built.graph;
  for (flow::PipelineGraph::Stage& stage : w->graph.stages) {
    if (stage.chunks == nullptr || !stage.chunks->frames_lines()) continue;
    w->line_counters.push_back(std::make_unique<LineCounter>(stage.chunks, &counters));
    stage.chunks = w->line_counters.back().get();
  }
  bool counted = false;
  for (std::size_t k = 0; k < w->graph.sinks.size(); ++k) {
    flow::SinkStage* inner = w->graph.sinks[k].sink;
    const bool files = inner->lists_files();
    const bool primary = !files && !counted;
    counted = counted || primary;
    w->sinks.push_back(std::make_unique<RunSink>(
        inner, primary || k == 0 ? &counters : nullptr, k == 0 ? &w->report : nullptr, &note,
        &observer, primary, files ? std::nullopt : std::optional<PacingOptions>(options.pacing),
        options.stop));
    w->graph.sinks[k].sink = w->sinks.back().get();
  }
  return w;
}

// The statistics of a run that ended (completed or stopped).
RunStats Collect(const RunCounters& counters, const Wrapped& w, const Discovered& discovered,
                 uint64_t files_total, double seconds, bool stopped) {
  RunStats stats;
  RunSummary& summary = stats.summary;
  summary.files_total = files_total;
  const uint64_t done = counters.files_done.load();
  summary.files_read = done - counters.files_failed.load();
  summary.skipped = w.report.skipped;
  summary.formats = w.report.formats;
  if (done < files_total) summary.skipped["not reached: interrupted"] += files_total - done;
  summary.bytes = counters.bytes.load();
  summary.lines = counters.lines.load();
  summary.records = counters.records.load();
  summary.parse_errors = counters.parse_errors.load();
  summary.elapsed_seconds = seconds;
  summary.interrupted = stopped;
  for (const auto& sink : w.sinks) {
    SinkStats s;
    s.lists_files = sink->lists_files();
    s.files = s.lists_files ? done : 0;
    if (!s.lists_files) {
      s.records = sink->records;
      s.parse_errors = sink->parse_errors;
      s.truncated = sink->truncated;
    }
    stats.sinks.push_back(std::move(s));
  }
  stats.own_files = discovered.own_files;
  stats.problems = w.report.problems;
  return stats;
}

}  // namespace

namespace internal {

std::vector<std::string> TemporaryFilesOf(const BuiltPipeline& built) {
  std::vector<std::string> temps;
  for (const auto& sink : built.sinks) {
    std::string temp = sink->temporary_file();
    if (!temp.empty()) temps.push_back(std::move(temp));
  }
  return temps;
}

}  // namespace internal

Run::Run(config::PipelineConfig pipeline, RunOptions options, BuiltPipeline built)
    : pipeline_(std::move(pipeline)), options_(std::move(options)), built_(std::move(built)) {}

Run::~Run() {
  // A Run that never executed leaves no temporary output behind.
  if (!executed_) {
    for (auto& sink : built_.sinks) sink->Abort();
  }
}

Result<std::unique_ptr<Run>> Run::Open(config::PipelineConfig pipeline, RunOptions options) {
  if (options.registry == nullptr) {
    return Error(ErrorCode::kInvalidArgument, "Run::Open: RunOptions::registry is not set");
  }
  auto built = options.registry->Build(pipeline);
  if (!built.ok()) {
    if (options.document_name.empty()) return std::move(built).error();
    return Error(built.error().code(), options.document_name + ": " + built.error().message());
  }
  std::unique_ptr<Run> run(
      new Run(std::move(pipeline), std::move(options), std::move(built).value()));
  run->outputs_ = RunOutputs(run->pipeline_, run->options_);
  return run;
}

std::vector<std::string> Run::TemporaryFiles() const { return internal::TemporaryFilesOf(built_); }

Result<RunStats> Run::Execute(RunObserver* observer) {
  RunObserver ignore;
  RunObserver& report = observer != nullptr ? *observer : ignore;
  if (executed_) return Error(ErrorCode::kInvalidArgument, "Run::Execute: called twice");
  executed_ = true;
  discovered_ = Discover(DiscoveryFor(pipeline_, options_, outputs_));
  if (discovered_.refused) {
    for (auto& sink : built_.sinks) sink->Abort();
    return Error(ErrorCode::kFailedPrecondition, options_.label + ": " + *discovered_.refused);
  }
  if (pipeline_.source.shard.enabled()) {
    report.Report("shard " + config::FormatShard(pipeline_.source.shard) + ": " +
                  std::to_string(discovered_.jobs.size()) + " of the " +
                  std::to_string(discovered_.jobs_all_shards) + " files found");
  }
  const std::vector<bool> appended = AppendedOutputs(pipeline_, outputs_);
  internal::Resumption resumption;
  if (!options_.checkpoint.empty()) {
    RINGFLOW_ASSIGN_OR_RETURN(
        resumption, internal::SetUpCheckpoint(pipeline_, built_, discovered_, options_, report));
    if (resumption.finished_before) {
      RunStats stats;
      stats.finished_before = true;
      return stats;
    }
  }
  Checkpointer* checkpointer = resumption.checkpointer.get();
  const auto started = std::chrono::steady_clock::now();
  RunCounters counters;
  const uint64_t files_total = discovered_.jobs.size();
  std::unique_ptr<Wrapped> w = Wrap(built_, discovered_.note, counters, report, options_);
  w->graph.checkpoints = checkpointer;
  const flow::SourceOptions source = SourceFor(pipeline_, options_, checkpointer != nullptr);
  // Parsing runs on oneTBB's workers; "threads" caps them (0: one per CPU).
  std::optional<tbb::global_control> cap;
  if (pipeline_.source.engine.threads != 0) {
    cap.emplace(tbb::global_control::max_allowed_parallelism, pipeline_.source.engine.threads);
  }
  uring::VectorSource files(std::move(discovered_.jobs));
  report.Started(counters, files_total, discovered_.bytes_total);
  Result<flow::PipelineStats> ran = flow::RunPipeline(files, source, w->graph);
  report.Finished();
  const bool stopped = Stopped(options_.stop);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  if (!ran.ok()) {
    // A cut may still be on its way to the checkpoint file (its error, if any, changes nothing:
    // the run has failed already).
    if (checkpointer != nullptr) static_cast<void>(checkpointer->Drain());
    if (checkpointer != nullptr && (checkpointer->cuts_written() > 0 || resumption.adopted)) {
      // The partial outputs stay, and the checkpoint says how far they go.
      outputs_kept_ = true;
    } else if (checkpointer != nullptr) {
      // No checkpoint vouches for the partial outputs (the run ended before its first one was
      // written): nothing to resume, so they go like any failed run's.
      for (const std::string& temp : TemporaryFiles()) ::unlink(temp.c_str());
    }
    // A stopped run whose outputs stay ends with its statistics; any other failure discarded its
    // outputs (see RunPipeline), and statistics of a run that left nothing would only mislead.
    if (!(outputs_kept_ && stopped)) {
      return Error(ran.error().code(), options_.label + ": " + ran.error().UserMessage(),
                   ran.error().sys_errno());
    }
  }
  if (checkpointer != nullptr && !outputs_kept_) {
    CrashPoint("renamed");
    if (::unlink(options_.checkpoint.c_str()) != 0 && errno != ENOENT) {
      return Error::FromErrno(errno, options_.label + ": remove " + options_.checkpoint);
    }
  }
  RunStats stats = Collect(counters, *w, discovered_, files_total, took.count(), stopped);
  for (std::size_t k = 0; k < stats.sinks.size(); ++k) {
    stats.sinks[k].name = pipeline_.sinks[k].name;
  }
  stats.problems += resumption.gone + resumption.problems_before;
  stats.kept_for_resume = outputs_kept_;
  if (!outputs_kept_) MarkOwnOutputs(outputs_, appended);
  return stats;
}

Status ApplyCheckpointSettings(const CheckpointSettings& settings, RunOptions& options) {
  auto bad = [](const std::string& message) { return Error(ErrorCode::kInvalidArgument, message); };
  if (settings.file.empty()) {
    if (settings.resume) return bad("--resume needs --checkpoint FILE");
    return OkStatus();
  }
  Result<int64_t> every = config::ParseSize(settings.every);
  if (!every.ok()) return bad("--checkpoint-every: " + every.error().message());
  if (*every <= 0) return bad("--checkpoint-every: must be above 0");
  Result<std::chrono::microseconds> interval = ParseDuration(settings.interval);
  if (!interval.ok()) return bad("--checkpoint-interval: " + interval.error().message());
  options.checkpoint = settings.file;
  options.resume = settings.resume;
  options.checkpoint_bytes = static_cast<uint64_t>(*every);
  options.checkpoint_interval = std::chrono::duration_cast<std::chrono::milliseconds>(*interval);
  return OkStatus();
}

}  // namespace ringflow::run

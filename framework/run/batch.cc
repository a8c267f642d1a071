#include "framework/run/batch.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "framework/codec/codec.h"
#include "framework/config/pipeline_config.h"
#include "framework/core/error.h"

namespace ringflow::run {
namespace {

std::mutex stderr_mu;
bool progress_drawn = false;  // guarded by stderr_mu: a progress line is on the terminal now

// Erases the progress line, if one is drawn, so that a message starts on a clean line.
void ClearProgressLocked() {
  if (progress_drawn) std::fputs("\r\033[K", stderr);
  progress_drawn = false;
}

// One line whatever the name holds: a newline in a file name must not forge a second
// "ringflow:" line, nor an escape sequence repaint the terminal (the message may quote it too).
void Report(std::string_view path, const Error& error) {
  const std::string line =
      "ringflow: " + EscapeControl(path) + ": " + EscapeControl(error.message()) + "\n";
  std::lock_guard lock(stderr_mu);
  ClearProgressLocked();
  std::fputs(line.c_str(), stderr);
}

// What a reader thread learned about one file; merged into the BatchResult after the run, so
// that the walker (appending to the result) and the readers never share it.
struct Outcome {
  uint64_t id;
  uint64_t bytes;
  std::optional<Error> error;
};

// Adapts the reader's chunk callbacks to a FileConsumer and records each file's outcome. With
// `paths` (BatchOptions::decompress), a compressed file's consumer gets its content, decoded here
// on the reader's thread into a buffer of the handler's; `paths` holds the path of every file
// being read (for the decoder's errors).
class Handler final : public uring::ReadHandler {
 public:
  Handler(FileConsumer* consumer, std::vector<Outcome>* outcomes, std::atomic<uint64_t>* done,
          std::atomic<uint64_t>* bytes, std::unordered_map<uint64_t, std::string>* paths)
      : consumer_(consumer), outcomes_(outcomes), done_(done), bytes_(bytes), paths_(paths) {
    if (paths_ != nullptr) content_.resize(kContentBytes);
  }

  void OnChunk(uring::FileChunk&& chunk) override {
    if (chunk.offset == 0) consumer_->Begin(chunk.file_id);
    bytes_->fetch_add(chunk.length, std::memory_order_relaxed);
    if (paths_ != nullptr) {
      if (chunk.offset == 0) Classify(chunk.file_id, chunk.data());
      if (auto it = decoding_.find(chunk.file_id); it != decoding_.end()) {
        Decode(chunk.file_id, it->second, chunk.data());
        return;
      }
      if (refused_.count(chunk.file_id) != 0) return;
    }
    consumer_->Chunk(chunk.file_id, chunk.data());
  }

  void OnFileDone(uint64_t file_id, const Status& read, uint64_t bytes) override {
    if (bytes == 0) consumer_->Begin(file_id);  // empty (or failed before any byte)
    Status status = read;
    if (auto it = decoding_.find(file_id); it != decoding_.end()) {
      if (status.ok()) {
        Decode(file_id, it->second, {});
        if (!it->second.error) {
          if (Status end = it->second.decoder.Finish(); !end.ok()) it->second.error = end.error();
        }
        if (it->second.error) refused_.emplace(file_id, std::move(*it->second.error));
      }
      decoding_.erase(it);
    }
    if (auto it = refused_.find(file_id); it != refused_.end()) {
      if (status.ok()) status = std::move(it->second).WithPath(PathOf(file_id));
      refused_.erase(it);
    }
    if (paths_ != nullptr) paths_->erase(file_id);
    consumer_->End(file_id, status, bytes);
    if (status.ok()) {
      outcomes_->push_back({file_id, bytes, std::nullopt});
    } else {
      Report(status.error().path(), status.error());
      outcomes_->push_back({file_id, bytes, status.error()});
    }
    done_->fetch_add(1, std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t kContentBytes = 256 * 1024;

  struct Decoding {
    codec::Decoder decoder;
    std::optional<Error> error;
  };

  std::string PathOf(uint64_t file_id) const {
    auto it = paths_->find(file_id);
    return it != paths_->end() ? it->second : std::string();
  }

  // A file's first bytes: a decoder for gzip, zstd, bzip2, xz or lz4; a refusal for a format that
  // is not decoded, or for a name that promises one of those over bytes that are not.
  void Classify(uint64_t file_id, std::span<const std::byte> head) {
    const codec::Verdict verdict = codec::Judge(head, PathOf(file_id));
    if (!verdict.refusal.empty()) {
      refused_.emplace(file_id, Error(ErrorCode::kInvalidArgument, verdict.refusal));
      return;
    }
    if (verdict.compression == codec::Compression::kNone) return;
    Result<codec::Decoder> decoder = codec::Decoder::Create(verdict.compression);
    if (!decoder.ok()) {
      refused_.emplace(file_id, decoder.error());
      return;
    }
    decoding_.emplace(file_id, Decoding{std::move(decoder).value(), std::nullopt});
  }

  // Feeds `input` (nothing: drain) to the file's decoder and hands the content on.
  void Decode(uint64_t file_id, Decoding& d, std::span<const std::byte> input) {
    while (!d.error) {
      Result<codec::DecodeStep> step = d.decoder.Decode(input, content_);
      if (!step.ok()) {
        d.error = step.error();
        return;
      }
      input = input.subspan(step->consumed);
      if (step->produced > 0) {
        consumer_->Chunk(file_id, std::span<const std::byte>(content_).first(step->produced));
      }
      if (step->produced < content_.size() && input.empty()) return;
    }
  }

  FileConsumer* consumer_;
  std::vector<Outcome>* outcomes_;
  std::atomic<uint64_t>* done_;
  std::atomic<uint64_t>* bytes_;
  std::unordered_map<uint64_t, std::string>* paths_;
  std::vector<std::byte> content_;
  std::unordered_map<uint64_t, Decoding> decoding_;
  std::unordered_map<uint64_t, Error> refused_;
};

// Hands the files the walker finds to the reader threads while the walk goes on. Files are dealt
// round-robin (thread t owns ids t, t + T, t + 2T, ...) and a thread that has drained its own
// share steals from the others only when it is idle: a reader learns a file's size only after
// opening it, so a plain shared queue lets whichever thread starts first grab most of a few large
// files; dealing keeps equal files balanced.
class StreamingSource {
 public:
  explicit StreamingSource(uint32_t threads) : queues_(threads) {}

  // Walker side (one thread).
  void Add(uint64_t id, std::string_view path) {
    pending_.push_back({id, std::string(path)});
    if (pending_.size() >= kBatch) Publish();
  }
  void Finish() {
    Publish();
    std::lock_guard lock(mu_);
    finished_ = true;
    cv_.notify_all();
  }

  // Reader side.
  uring::FileSource::Pull Next(uint32_t thread, uring::ReadJob* job, bool idle) {
    std::unique_lock lock(mu_);
    for (;;) {
      std::deque<uring::ReadJob>& own = queues_[thread];
      if (!own.empty()) return Take(own, job);
      bool others_left = false;
      for (auto& queue : queues_) others_left |= !queue.empty();
      if (!idle) {
        // A busy reader comes back after its next completion.
        return finished_ && !others_left ? uring::FileSource::Pull::kDone
                                         : uring::FileSource::Pull::kLater;
      }
      if (others_left) {
        for (std::size_t k = 1; k < queues_.size(); ++k) {
          auto& queue = queues_[(thread + k) % queues_.size()];
          if (!queue.empty()) return Take(queue, job);
        }
      }
      if (finished_) return uring::FileSource::Pull::kDone;
      cv_.wait(lock);  // idle, and the walker has not found more yet
    }
  }

 private:
  static constexpr std::size_t kBatch = 16;

  void Publish() {
    if (pending_.empty()) return;
    {
      std::lock_guard lock(mu_);
      for (uring::ReadJob& j : pending_) {
        queues_[j.id % queues_.size()].push_back(std::move(j));
      }
    }
    pending_.clear();
    cv_.notify_all();
  }

  static uring::FileSource::Pull Take(std::deque<uring::ReadJob>& queue, uring::ReadJob* job) {
    *job = std::move(queue.front());
    queue.pop_front();
    return uring::FileSource::Pull::kJob;
  }

  std::vector<uring::ReadJob> pending_;  // walker-local, published in batches
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::deque<uring::ReadJob>> queues_;  // guarded by mu_
  bool finished_ = false;                           // guarded by mu_
};

class ThreadSource final : public uring::FileSource {
 public:
  // `paths`: when set, the path of every file taken, by id (the Handler's).
  ThreadSource(StreamingSource* source, uint32_t thread,
               std::unordered_map<uint64_t, std::string>* paths)
      : source_(source), thread_(thread), paths_(paths) {}
  Pull Next(uring::ReadJob* job, bool idle) override {
    const Pull pull = source_->Next(thread_, job, idle);
    if (pull == Pull::kJob && paths_ != nullptr) (*paths_)[job->id] = job->path;
    return pull;
  }

 private:
  StreamingSource* source_;
  uint32_t thread_;
  std::unordered_map<uint64_t, std::string>* paths_;
};

void PrintProgress(uint64_t done, uint64_t total, uint64_t bytes, double seconds) {
  std::lock_guard lock(stderr_mu);
  progress_drawn = true;
  std::fprintf(stderr, "\r%llu/%llu files, %.1f MiB, %.0f MiB/s   ",
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
               static_cast<double>(bytes) / (1 << 20),
               seconds > 0 ? static_cast<double>(bytes) / (1 << 20) / seconds : 0.0);
  std::fflush(stderr);
}

}  // namespace

uint32_t ResolveThreads(const BatchOptions& options) {
  return options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
}

Result<BatchResult> RunBatch(const BatchOptions& options,
                             const std::vector<FileConsumer*>& consumers) {
  const auto threads = static_cast<uint32_t>(consumers.size());
  if (threads == 0) return Error(ErrorCode::kInvalidArgument, "batch: no consumer");
  const bool direct = options.reader.direct;
  const std::size_t buffer_size =
      options.buffer_size != 0 ? options.buffer_size : DefaultBufferSize(direct);
  uring::ReaderOptions reader = options.reader;
  if (direct && options.buffers == 0) reader.max_large_files = 1;
  const uint32_t buffers =
      options.buffers != 0
          ? options.buffers
          // O_DIRECT: the reads in flight plus one chunk being hashed. Every buffer costs page
          // faults up front (and, on a VM that returns free memory to its host, host faults).
          : (direct ? reader.reads_per_file * reader.max_large_files + 1
                    : reader.max_open_files + reader.reads_per_file * reader.max_large_files);

  StreamingSource source(threads);
  std::atomic<uint64_t> done{0}, bytes{0};
  // The main thread walks, then waits (drawing the progress line): readers signal when done.
  std::mutex running_mu;
  std::condition_variable running_cv;
  uint32_t running = threads;  // guarded by running_mu
  std::vector<std::optional<Error>> thread_errors(threads);
  std::vector<std::vector<Outcome>> outcomes(threads);
  std::vector<std::thread> workers;
  std::once_flag registration_note;
  for (uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      // Built on this thread: the ring's single issuer and registered fd belong to it.
      // Destruction order matters: the reader goes first, then the engine (which may still
      // reference the pool's memory), then the pool.
      auto pool = uring::BufferPool::Create(buffer_size, buffers);
      if (!pool.ok()) {
        thread_errors[t] = pool.error();
      } else {
        auto engine = uring::Engine::Create(options.engine, pool->get());
        if (!engine.ok()) {
          thread_errors[t] = engine.error();
        } else {
          for (const uring::Feature& f : (*engine)->features()) {
            if (f.name.rfind("registered buffers", 0) == 0 && !f.used && (*pool) &&
                f.note.rfind("refused", 0) == 0) {
              std::call_once(registration_note, [&] {
                std::lock_guard lock(stderr_mu);
                ClearProgressLocked();
                std::fprintf(stderr, "ringflow: note: buffer registration %s\n", f.note.c_str());
              });
            }
          }
          std::unordered_map<uint64_t, std::string> paths;
          std::unordered_map<uint64_t, std::string>* decoding =
              options.decompress ? &paths : nullptr;
          Handler handler(consumers[t], &outcomes[t], &done, &bytes, decoding);
          uring::FileReader file_reader(engine->get(), pool->get(), reader);
          const auto started = std::chrono::steady_clock::now();
          ThreadSource thread_source(&source, t, decoding);
          const Status status = file_reader.Run(thread_source, handler);
          if (!status.ok()) thread_errors[t] = status.error();
          if (options.stats) {
            const uring::ReaderStats& st = file_reader.stats();
            const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
            std::lock_guard lock(stderr_mu);
            ClearProgressLocked();
            std::fprintf(stderr,
                         "ringflow: thread %u (%s): %llu files ok, %llu failed, %llu bytes, "
                         "%llu reads, %llu submits, %llu buffer waits, %llu direct refused, "
                         "%.3f s\n",
                         t, uring::BackendName((*engine)->kind()),
                         static_cast<unsigned long long>(st.files_ok),
                         static_cast<unsigned long long>(st.files_failed),
                         static_cast<unsigned long long>(st.bytes),
                         static_cast<unsigned long long>(st.reads),
                         static_cast<unsigned long long>(st.submits),
                         static_cast<unsigned long long>(st.buffer_waits),
                         static_cast<unsigned long long>(st.direct_refused), took.count());
          }
        }
      }
      {
        std::lock_guard lock(running_mu);
        --running;
      }
      running_cv.notify_one();
    });
  }

  // Walk on this thread while the readers read what is already found.
  BatchResult result;
  const Status walked = Walk(
      options.paths, options.walk,
      [&](WalkFile&& file) {
        if (options.keep && !options.keep(file.path)) return;
        const uint64_t id = result.files.size();
        BatchFile entry;
        entry.path_offset = result.paths.size();
        entry.path_length = static_cast<uint32_t>(file.path.size());
        result.paths += file.path;
        result.files.push_back(entry);
        source.Add(id, file.path);
      },
      [&](const std::string& path, const Error& why) {
        if (options.keep && !options.keep(path)) return;
        ++result.skipped;
        Report(path, why);
      });
  source.Finish();

  const bool show_progress = options.progress && ::isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  auto next_update = start + std::chrono::milliseconds(500);
  {
    std::unique_lock lock(running_mu);
    while (running > 0) {
      if (!show_progress) {
        running_cv.wait(lock, [&] { return running == 0; });
        break;
      }
      running_cv.wait_until(lock, next_update, [&] { return running == 0; });
      if (running > 0) {
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        PrintProgress(done.load(), result.files.size(), bytes.load(), elapsed.count());
        next_update += std::chrono::milliseconds(250);
      }
    }
  }
  for (auto& w : workers) w.join();
  {
    std::lock_guard lock(stderr_mu);
    ClearProgressLocked();
  }
  RINGFLOW_RETURN_IF_ERROR(walked);
  // A thread whose engine could not start read nothing; if none could, the run failed.
  uint32_t failed_threads = 0;
  for (const auto& e : thread_errors) failed_threads += e.has_value() ? 1u : 0u;
  if (failed_threads == threads && !result.files.empty()) return *thread_errors[0];
  for (const auto& e : thread_errors) {
    if (e) Report("engine", *e);
  }
  for (std::vector<Outcome>& list : outcomes) {
    for (Outcome& o : list) {
      BatchFile& f = result.files[o.id];
      f.done = true;
      f.bytes = o.bytes;
      if (o.error) {
        f.failed = true;
        result.errors.emplace_back(o.id, std::move(*o.error));
      }
    }
  }
  // Files no reader reached (every thread that could have read them failed) are failures too:
  // nothing is lost silently.
  for (std::size_t id = 0; id < result.files.size(); ++id) {
    BatchFile& f = result.files[id];
    if (!f.done) {
      Error error(ErrorCode::kCancelled, "not read: the engine failed before this file");
      Report(result.path(id), error);
      result.errors.emplace_back(id, std::move(error));
      f.failed = true;
    }
    result.bytes += f.bytes;
    if (f.failed) ++result.skipped;
  }
  return result;
}

std::vector<uint32_t> BatchResult::OkFilesByPath() const {
  std::vector<uint32_t> order;
  order.reserve(files.size());
  for (uint32_t i = 0; i < files.size(); ++i) {
    if (!files[i].failed) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return path(a) < path(b); });
  return order;
}

namespace {

// kInvalidArgument unless `value` lies in [lo, hi].
Status CheckRange(const char* name, int64_t value, int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return OkStatus();
  return Error(ErrorCode::kInvalidArgument, std::string("--") + name + " must be between " +
                                                std::to_string(lo) + " and " + std::to_string(hi) +
                                                ", not " + std::to_string(value));
}

}  // namespace

Result<BatchOptions> MakeBatchOptions(const ReadSettings& settings,
                                      std::vector<std::string> paths) {
  BatchOptions o;
  o.paths = std::move(paths);
  o.walk.recursive = settings.recursive;
  o.walk.skip_hidden = settings.skip_hidden;
  RINGFLOW_ASSIGN_OR_RETURN(o.engine.backend, uring::ParseBackend(settings.backend));
  if (settings.threads) RINGFLOW_RETURN_IF_ERROR(CheckRange("threads", *settings.threads, 1, 256));
  RINGFLOW_RETURN_IF_ERROR(CheckRange("queue-depth", settings.queue_depth, 1, 4096));
  RINGFLOW_RETURN_IF_ERROR(CheckRange("open-files", settings.open_files, 1, 65536));
  RINGFLOW_RETURN_IF_ERROR(CheckRange("reads-per-file", settings.reads_per_file, 1, 64));
  if (settings.buffers)
    RINGFLOW_RETURN_IF_ERROR(CheckRange("buffers", *settings.buffers, 2, 65536));
  o.engine.queue_depth = static_cast<uint32_t>(settings.queue_depth);
  o.engine.file_slots = static_cast<uint32_t>(settings.open_files);
  o.engine.sqpoll = settings.sqpoll;
  o.reader.max_open_files = static_cast<uint32_t>(settings.open_files);
  o.reader.reads_per_file = static_cast<uint32_t>(settings.reads_per_file);
  o.reader.max_in_flight = 2 * static_cast<uint32_t>(settings.queue_depth);
  o.reader.direct = settings.direct;
  o.threads = static_cast<uint32_t>(settings.threads.value_or(0));
  o.buffers = static_cast<uint32_t>(settings.buffers.value_or(0));
  if (!settings.buffer_size.empty()) {
    RINGFLOW_ASSIGN_OR_RETURN(const int64_t size, config::ParseSize(settings.buffer_size));
    o.buffer_size = static_cast<std::size_t>(size);
    if (o.buffer_size < 4096 || o.buffer_size % 4096 != 0 || o.buffer_size > (1u << 30)) {
      return Error(ErrorCode::kInvalidArgument,
                   "--buffer-size must be a multiple of 4K between 4K and 1G");
    }
  }
  // One pool is registered as one region, which the kernel caps at 1 GiB.
  const std::size_t size = o.buffer_size != 0 ? o.buffer_size : DefaultBufferSize(settings.direct);
  if (o.buffers != 0 && size * o.buffers > (std::size_t{1} << 30)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--buffers x --buffer-size must stay within 1G per thread");
  }
  o.progress = settings.progress;
  o.stats = settings.stats;
  return o;
}

}  // namespace ringflow::run

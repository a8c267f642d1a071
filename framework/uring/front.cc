#include "framework/uring/front.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <string>
#include <thread>
#include <utility>

namespace ringflow::uring {
namespace internal {

struct FrontRequest {
  ProducerState* producer = nullptr;
  FileRef file;
  std::byte* buf = nullptr;
  uint32_t len = 0;
  uint64_t offset = 0;
  uint64_t user_data = 0;
  std::string_view path;
};

struct ProducerState {
  explicit ProducerState(uint32_t capacity) : ring(capacity) {}

  std::mutex mu;
  std::condition_variable cv;  // the producer waits here for completions (or, dying, delivery)
  // Guarded by mu. The ring holds at most `capacity` completions: a producer never has more
  // requests outstanding, so a delivery always finds room.
  std::vector<ReadCompletion> ring;
  std::size_t head = 0;
  std::size_t size = 0;
  uint64_t delivered = 0;  // requests handed back (completed or cancelled)
  bool waiting = false;

  uint64_t submitted = 0;  // the producer's thread only

  // The I/O thread only: completions reaped in this round, delivered together under one lock.
  std::vector<ReadCompletion> staged;
  bool listed = false;
};

namespace {

// What one read(2) returns at most (MAX_RW_COUNT); a larger buffer gets a short read.
constexpr std::size_t kMaxRead = 0x7ffff000;

// A thread about to sleep for work (the I/O thread for requests, a producer for completions)
// yields this many times first: the other side is usually about to hand it some, and a sleep
// costs a futex wait here and a wake-up there, which profiles showed as the front's main cost.
constexpr int kYields = 2;

std::string Describe(const FrontRequest& r) {
  return "read " + std::to_string(r.len) + " bytes at offset " + std::to_string(r.offset);
}

ReadCompletion Complete(const FrontRequest& r, int32_t res) {
  if (res >= 0) return {r.user_data, static_cast<uint32_t>(res)};
  return {r.user_data, Error::FromErrno(-res, Describe(r)).WithPath(std::string(r.path))};
}

// Moves `completions` into the producer's queue and wakes it if it waits. Everything happens
// under the producer's lock, the notification too: once the lock is released the producer may
// see its last request delivered and destroy its state.
void Deliver(ProducerState* p, std::vector<ReadCompletion>& completions) {
  std::lock_guard lock(p->mu);
  for (ReadCompletion& c : completions) {
    assert(p->size < p->ring.size());
    p->ring[(p->head + p->size) % p->ring.size()] = std::move(c);
    ++p->size;
  }
  p->delivered += completions.size();
  completions.clear();
  p->listed = false;
  if (p->waiting) p->cv.notify_one();
}

}  // namespace
}  // namespace internal

using internal::FrontRequest;
using internal::kMaxRead;
using internal::kYields;
using internal::ProducerState;

// ---- Producer

Producer::Producer(EngineFront* front, uint32_t capacity)
    : front_(front), capacity_(capacity), state_(std::make_unique<ProducerState>(capacity)) {}

Producer::~Producer() {
  std::unique_lock lock(state_->mu);
  state_->waiting = true;
  state_->cv.wait(lock, [&] { return state_->delivered == state_->submitted; });
}

SubmitOutcome Producer::TrySubmit(const ReadRequest& request) { return TrySubmit({&request, 1}); }

Status Producer::Submit(const ReadRequest& request) { return Submit({&request, 1}); }

SubmitOutcome Producer::TrySubmit(std::span<const ReadRequest> requests) {
  if (requests.size() > capacity_ - outstanding_) return SubmitOutcome::kProducerFull;
  EngineFront& f = *front_;
  int wake_fd = -1;
  {
    std::lock_guard lock(f.mu_);
    if (f.shutdown_) return SubmitOutcome::kShutDown;
    if (requests.size() > f.queue_capacity_ - f.size_) return SubmitOutcome::kQueueFull;
    wake_fd = f.EnqueueLocked(state_.get(), requests);
  }
  EngineFront::Wake(wake_fd);
  outstanding_ += static_cast<uint32_t>(requests.size());
  state_->submitted += requests.size();
  return SubmitOutcome::kQueued;
}

Status Producer::Submit(std::span<const ReadRequest> requests) {
  if (requests.size() > capacity_ - outstanding_) {
    return Error(ErrorCode::kResourceExhausted,
                 "front: " + std::to_string(requests.size()) +
                     " more requests would exceed this "
                     "producer's " +
                     std::to_string(capacity_) +
                     " outstanding; receive completions before submitting more");
  }
  EngineFront& f = *front_;
  if (requests.size() > f.queue_capacity_) {
    return Error(ErrorCode::kInvalidArgument, "front: " + std::to_string(requests.size()) +
                                                  " requests at once exceed the queue capacity (" +
                                                  std::to_string(f.queue_capacity_) + ")");
  }
  int wake_fd = -1;
  {
    std::unique_lock lock(f.mu_);
    while (!f.shutdown_ && requests.size() > f.queue_capacity_ - f.size_) {
      ++f.space_waiters_;
      f.space_cv_.wait(lock);
      --f.space_waiters_;
    }
    if (f.shutdown_) return Error(ErrorCode::kCancelled, "front: shut down", ECANCELED);
    wake_fd = f.EnqueueLocked(state_.get(), requests);
  }
  EngineFront::Wake(wake_fd);
  outstanding_ += static_cast<uint32_t>(requests.size());
  state_->submitted += requests.size();
  return OkStatus();
}

std::size_t Producer::Take(std::span<ReadCompletion> out, bool wait) {
  if (outstanding_ == 0 || out.empty()) return 0;
  ProducerState& s = *state_;
  std::unique_lock lock(s.mu);
  if (wait) {
    for (int spin = 0; spin < kYields && s.size == 0; ++spin) {
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
    }
    while (s.size == 0) {
      s.waiting = true;
      s.cv.wait(lock);
    }
    s.waiting = false;
  }
  const std::size_t n = std::min(s.size, out.size());
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = std::move(s.ring[s.head]);
    s.head = (s.head + 1) % s.ring.size();
  }
  s.size -= n;
  outstanding_ -= static_cast<uint32_t>(n);
  return n;
}

std::optional<ReadCompletion> Producer::Receive() {
  ReadCompletion c;
  if (Take({&c, 1}, true) == 0) return std::nullopt;
  return c;
}

std::optional<ReadCompletion> Producer::TryReceive() {
  ReadCompletion c;
  if (Take({&c, 1}, false) == 0) return std::nullopt;
  return c;
}

std::size_t Producer::ReceiveSome(std::span<ReadCompletion> out) { return Take(out, true); }

// ---- EngineFront

Result<std::unique_ptr<EngineFront>> EngineFront::Create(const FrontOptions& options) {
  if (options.queue_capacity == 0) {
    return Error(ErrorCode::kInvalidArgument, "front: the queue capacity must be > 0");
  }
  return std::unique_ptr<EngineFront>(new EngineFront(options.queue_capacity));
}

EngineFront::EngineFront(uint32_t queue_capacity)
    : queue_capacity_(queue_capacity), queue_(queue_capacity) {}

EngineFront::~EngineFront() { assert(state_ != State::kRunning); }

std::unique_ptr<Producer> EngineFront::AddProducer(uint32_t capacity) {
  return std::unique_ptr<Producer>(new Producer(this, std::max<uint32_t>(capacity, 1)));
}

void EngineFront::CancelAll(std::vector<FrontRequest>& requests) {
  std::vector<ReadCompletion> one(1);
  for (const FrontRequest& r : requests) {
    one.resize(1);
    one[0] = {r.user_data,
              Error::FromErrno(ECANCELED, internal::Describe(r) + " (the front shut down first)")
                  .WithPath(std::string(r.path))};
    internal::Deliver(r.producer, one);
  }
  requests.clear();
}

int EngineFront::EnqueueLocked(ProducerState* producer, std::span<const ReadRequest> requests) {
  for (const ReadRequest& r : requests) {
    queue_[(head_ + size_) % queue_capacity_] = {
        producer,        r.file,
        r.buffer.data(), static_cast<uint32_t>(std::min<std::size_t>(r.buffer.size(), kMaxRead)),
        r.offset,        r.user_data,
        r.path};
    ++size_;
  }
  // One wake-up per wait is enough: the first producer to queue clears the flag.
  if (io_waiting_) {
    io_waiting_ = false;
    work_cv_.notify_one();
  }
  if (!io_in_kernel_) return -1;
  io_in_kernel_ = false;
  return wake_fd_;
}

void EngineFront::Wake(int wake_fd) {
  // The counter only grows, so a write that comes before the wait still ends it; EAGAIN (the
  // counter at its maximum) means a wake-up is pending anyway.
  if (wake_fd >= 0) (void)::eventfd_write(wake_fd, 1);
}

void EngineFront::Shutdown() {
  std::vector<FrontRequest> cancel;
  int wake_fd = -1;
  {
    std::lock_guard lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    if (state_ == State::kIdle) {
      // No I/O thread will ever take these: cancel them here.
      state_ = State::kStopped;
      for (; size_ > 0; --size_, head_ = (head_ + 1) % queue_capacity_) {
        cancel.push_back(queue_[head_]);
      }
    }
    work_cv_.notify_one();
    space_cv_.notify_all();
    if (io_in_kernel_) {
      io_in_kernel_ = false;
      wake_fd = wake_fd_;
    }
  }
  Wake(wake_fd);
  CancelAll(cancel);
}

Status EngineFront::Run(Engine& engine) {
  // Only io_uring waits in the kernel for completions (the pread backend runs every request
  // inside Submit); there a read of an eventfd stays in flight so that a producer can end the
  // wait (see EnqueueLocked), and it takes one submission entry.
  const bool waits_in_kernel = engine.kind() == BackendKind::kUring;
  const uint32_t entries = engine.sq_space();
  int wake_fd = -1;
  bool started = false;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kStopped) return OkStatus();
    if (state_ == State::kRunning) {
      return Error(ErrorCode::kInvalidArgument, "front: Run is already running");
    }
    if (entries >= (waits_in_kernel ? 2u : 1u)) {
      wake_fd = waits_in_kernel ? ::eventfd(0, EFD_CLOEXEC) : -1;
      if (!waits_in_kernel || wake_fd >= 0) {
        state_ = State::kRunning;
        wake_fd_ = wake_fd;
        started = true;
      }
    }
  }
  if (!started) {
    // The loop cannot run: hand back what is queued and refuse more, as after a Shutdown.
    Error error = entries < (waits_in_kernel ? 2u : 1u)
                      ? Error(ErrorCode::kInvalidArgument,
                              "front: the engine has " + std::to_string(entries) +
                                  " free submission entries; it needs 2 (1 for the pread backend)")
                      : Error::FromErrno(errno, "front: eventfd");
    Shutdown();
    return error;
  }
  // Every request the engine holds has a slot here; its number is the engine's user_data.
  const uint32_t depth = entries - (waits_in_kernel ? 1 : 0);
  constexpr uint64_t kWakeTag = ~uint64_t{0};
  std::vector<FrontRequest> slots(depth);
  std::vector<uint32_t> free_slots(depth);
  for (uint32_t i = 0; i < depth; ++i) free_slots[i] = depth - 1 - i;
  uint32_t in_flight = 0;  // requests, not counting the wake-up read
  bool wake_armed = false;
  bool rearm = waits_in_kernel;
  std::vector<FrontRequest> batch;
  batch.reserve(depth);
  std::vector<Completion> done(depth + 1);
  std::vector<ProducerState*> touched;

  auto reap_and_deliver = [&] {
    for (std::size_t n; (n = engine.Reap(done)) > 0;) {
      for (std::size_t i = 0; i < n; ++i) {
        if (done[i].user_data == kWakeTag) {
          wake_armed = false;
          continue;
        }
        const auto slot = static_cast<uint32_t>(done[i].user_data);
        const FrontRequest& r = slots[slot];
        if (!r.producer->listed) {
          r.producer->listed = true;
          touched.push_back(r.producer);
        }
        r.producer->staged.push_back(internal::Complete(r, done[i].res));
        free_slots.push_back(slot);
        --in_flight;
      }
    }
    for (ProducerState* p : touched) internal::Deliver(p, p->staged);
    touched.clear();
  };

  Status failure = OkStatus();
  for (;;) {
    if (rearm && !wake_armed) {
      // Safe: wake_value_ lives in the front, which outlives Run, and Run reaps this read's
      // completion before it returns (or, failing, leaves it to the engine's teardown).
      [[maybe_unused]] const bool queued =
          engine.PrepRead(FileRef::Fd(wake_fd), &wake_value_, sizeof wake_value_, 0, kWakeTag);
      assert(queued);
      wake_armed = true;
    }
    bool stop = false;
    bool took = false;
    {
      std::unique_lock lock(mu_);
      io_in_kernel_ = false;
      for (int spin = 0; spin < kYields && in_flight == 0 && size_ == 0 && !shutdown_; ++spin) {
        lock.unlock();
        std::this_thread::yield();
        lock.lock();
      }
      while (in_flight == 0 && size_ == 0 && !shutdown_) {
        io_waiting_ = true;
        work_cv_.wait(lock);
      }
      io_waiting_ = false;  // (a spurious wake-up leaves it set)
      stop = shutdown_;
      if (!stop) {
        const std::size_t take = std::min<std::size_t>(size_, depth - in_flight);
        for (std::size_t i = 0; i < take; ++i) {
          batch.push_back(queue_[head_]);
          head_ = (head_ + 1) % queue_capacity_;
        }
        size_ -= take;
        took = take > 0;
        if (took && space_waiters_ > 0) space_cv_.notify_all();
        // About to wait in the kernel: a producer that queues from now on writes to wake_fd.
        if (!took && waits_in_kernel) io_in_kernel_ = true;
      }
    }
    if (stop) break;
    for (const FrontRequest& r : batch) {
      const uint32_t slot = free_slots.back();
      free_slots.pop_back();
      slots[slot] = r;
      // Cannot fail: at most `depth` requests (and the wake-up read) are in the engine. Safe: the
      // producer keeps r.buf until it receives this request's completion, which is delivered only
      // from the engine's completion of it (or the engine's failure, see Run's contract).
      [[maybe_unused]] const bool queued = engine.PrepRead(r.file, r.buf, r.len, r.offset, slot);
      assert(queued);
    }
    in_flight += static_cast<uint32_t>(batch.size());
    batch.clear();
    // Nothing new: every slot is busy or the queue is empty, so wait for a completion.
    auto submitted = engine.Submit(took ? 0 : 1);
    if (!submitted.ok()) {
      failure = std::move(submitted).error();
      break;
    }
    reap_and_deliver();
  }

  // Shut down (or failed): what is still queued never reaches the kernel.
  std::vector<FrontRequest> left;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    io_in_kernel_ = false;
    for (; size_ > 0; --size_, head_ = (head_ + 1) % queue_capacity_) left.push_back(queue_[head_]);
    space_cv_.notify_all();
  }
  CancelAll(left);
  // What is in the kernel completes; then the wake-up read is ended by a write of our own.
  rearm = false;
  while (failure.ok() && (in_flight > 0 || wake_armed)) {
    if (in_flight == 0) Wake(wake_fd);
    auto submitted = engine.Submit(1);
    if (!submitted.ok()) {
      failure = std::move(submitted).error();
      break;
    }
    reap_and_deliver();
  }
  if (!failure.ok()) {
    // The ring is unusable: every request it held gets the error (see Run's contract).
    std::vector<bool> free(depth, false);
    for (uint32_t slot : free_slots) free[slot] = true;
    for (uint32_t slot = 0; slot < depth; ++slot) {
      if (free[slot]) continue;
      const FrontRequest& r = slots[slot];
      std::vector<ReadCompletion> one;
      one.push_back({r.user_data, Error(failure.error()).WithPath(std::string(r.path))});
      internal::Deliver(r.producer, one);
    }
  }
  {
    std::lock_guard lock(mu_);
    state_ = State::kStopped;
    wake_fd_ = -1;
  }
  if (wake_fd >= 0) ::close(wake_fd);
  return failure;
}

}  // namespace ringflow::uring

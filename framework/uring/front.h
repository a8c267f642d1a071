// EngineFront: many producer threads reading through one Engine, on one I/O thread that the
// caller creates and that runs the front (Run) with the engine it owns. Producers queue reads in
// one bounded queue; each completion goes to the bounded queue of the Producer that submitted it.
// The caller owns the front, the engine, the thread, every Producer and every read's memory (the
// front owns no buffers; leases of the engine's registered pool are read with READ_FIXED).
// Thread-safety: the front and distinct Producers from any threads; one Producer, one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "framework/core/result.h"
#include "framework/uring/engine.h"

namespace ringflow::uring {

class EngineFront;
namespace internal {
struct FrontRequest;
struct ProducerState;
}  // namespace internal

// One read. The caller keeps `buffer`, the bytes of `path` and the file open until it has
// received this request's completion. A buffer inside the engine's BufferPool (a Lease's
// memory) is read with READ_FIXED; any other memory with a plain read.
struct ReadRequest {
  FileRef file;                 // a plain descriptor, or a slot registered on the I/O thread
  std::span<std::byte> buffer;  // at most 2 GiB - 4 KiB are read at once (Linux's cap)
  uint64_t offset = 0;          // where in the file
  uint64_t user_data = 0;       // the caller's; comes back unchanged in the completion
  std::string_view path;        // names the file in errors
};

struct ReadCompletion {
  uint64_t user_data = 0;
  // Bytes read (0 at or past the end of the file; fewer than asked is not an error), or the
  // request's Error: sys_errno() the kernel's errno, the message "read N bytes at offset M: ...",
  // path() the request's path. ECANCELED (kCancelled) for a request the front cancelled at
  // Shutdown before it reached the kernel.
  Result<uint32_t> bytes = 0u;
};

// What TrySubmit did.
enum class SubmitOutcome {
  kQueued,
  kQueueFull,     // the front's request queue is full: try again later
  kProducerFull,  // this producer has `capacity` requests outstanding: receive some first
  kShutDown,      // the front was shut down: nothing more is accepted
};

// A producer's handle: submits requests and receives their completions, in the order the engine
// completed them (not necessarily the order submitted). Pinned (the I/O thread points at it).
// Destroying it waits until the I/O thread has handed back every request it submitted; its
// completions not yet received are dropped. REQUIRES: the front outlives the Producer.
class Producer {
 public:
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `request` without waiting.
  [[nodiscard]] SubmitOutcome TrySubmit(const ReadRequest& request);
  // Queues `request`, waiting while the request queue is full. Errors: kCancelled when the front
  // is (or while waiting becomes) shut down; kResourceExhausted when this producer already has
  // capacity() requests outstanding (waiting could never end: only this producer receives).
  Status Submit(const ReadRequest& request);
  // The same for several requests at once (one lock, one wake-up of the I/O thread), all or
  // none: kQueued only when all fit. Submit waits until the queue has room for all of them;
  // kInvalidArgument when they are more than the queue's capacity.
  [[nodiscard]] SubmitOutcome TrySubmit(std::span<const ReadRequest> requests);
  Status Submit(std::span<const ReadRequest> requests);

  // The next completion; waits for one when a request is outstanding. nullopt when none is.
  std::optional<ReadCompletion> Receive();
  // The next completion if one is ready, else nullopt.
  std::optional<ReadCompletion> TryReceive();
  // Moves up to out.size() ready completions into `out`, waiting for the first one when a request
  // is outstanding; returns how many (0 when none is outstanding or `out` is empty).
  std::size_t ReceiveSome(std::span<ReadCompletion> out);

  // Requests submitted and not yet received.
  uint32_t outstanding() const { return outstanding_; }
  uint32_t capacity() const { return capacity_; }

 private:
  friend class EngineFront;
  Producer(EngineFront* front, uint32_t capacity);
  std::size_t Take(std::span<ReadCompletion> out, bool wait);

  EngineFront* const front_;
  const uint32_t capacity_;
  uint32_t outstanding_ = 0;  // used by the producer's thread only
  const std::unique_ptr<internal::ProducerState> state_;
};

struct FrontOptions {
  // Requests queued for the I/O thread, from all producers together.
  uint32_t queue_capacity = 256;
};

// Backpressure is bounded everywhere: the request queue holds at most `queue_capacity` requests,
// and a Producer has at most its `capacity` requests outstanding (submitted and not yet
// received), so its completion queue never overflows and the I/O thread never waits for a
// producer. No hidden threads, no retries: each negative result reaches its producer as an Error.
class EngineFront {
 public:
  // kInvalidArgument for a zero queue capacity.
  static Result<std::unique_ptr<EngineFront>> Create(const FrontOptions& options);
  // REQUIRES: every Producer is gone, and Run is not running (it returned or never ran).
  ~EngineFront();
  EngineFront(const EngineFront&) = delete;
  EngineFront& operator=(const EngineFront&) = delete;

  // A new producer that may have up to `capacity` (>= 1) requests outstanding.
  std::unique_ptr<Producer> AddProducer(uint32_t capacity);

  // The I/O loop: takes queued requests (at most as many as `engine` has submission entries,
  // counted when Run starts, less one on io_uring for its wake-up read), submits them in one
  // batch, and delivers completions, until Shutdown. With requests in the kernel and none queued
  // it waits in the kernel; a producer that queues then ends the wait (a write to an eventfd that
  // the ring is reading), so a slow read never holds up new ones. At Shutdown it cancels the
  // requests still queued (ECANCELED to their producers), waits for those already in the kernel
  // to complete (a read that never completes, e.g. of an empty pipe, holds it), delivers them
  // and returns. Runs once; a later call (or one after Shutdown) returns at once.
  // REQUIRES: called on the engine's owner thread (the thread that created it), with nothing
  // queued in the engine; the engine outlives Run. Errors: kInvalidArgument while another Run
  // runs. These end the front as Shutdown does: kInvalidArgument when the engine has fewer than
  // 2 free submission entries (1 for pread); the eventfd's creation error; the engine's Submit
  // error, which ends the loop (every request the front still held gets that error; then destroy
  // the engine before the front and before reusing any read's memory: its teardown ends the
  // requests still in the kernel).
  Status Run(Engine& engine);

  // Stops accepting requests and tells Run to finish (see Run); returns at once. If Run has not
  // started, the requests queued so far are cancelled here and Run will return at once.
  // Idempotent; callable from any thread.
  void Shutdown();

  uint32_t queue_capacity() const { return queue_capacity_; }

 private:
  friend class Producer;
  enum class State { kIdle, kRunning, kStopped };
  explicit EngineFront(uint32_t queue_capacity);
  // Delivers ECANCELED for every request in `requests`.
  static void CancelAll(std::vector<internal::FrontRequest>& requests);
  // Queues requests; returns the descriptor to Wake after unlocking (or -1). REQUIRES: mu_
  // held, room in the queue for all of them.
  int EnqueueLocked(internal::ProducerState* producer, std::span<const ReadRequest> requests);
  // Ends the I/O thread's wait in the kernel (a write to its eventfd); nothing for -1.
  static void Wake(int wake_fd);

  const uint32_t queue_capacity_;

  std::mutex mu_;
  std::condition_variable work_cv_;   // the I/O thread waits here for requests or Shutdown
  std::condition_variable space_cv_;  // blocked Submit calls wait here for queue room
  // Guarded by mu_: a ring of queue_capacity_ requests (head_, size_), the state, and whether
  // anyone waits on a condition variable (so that the hot path notifies only when needed).
  std::vector<internal::FrontRequest> queue_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  State state_ = State::kIdle;
  bool shutdown_ = false;
  bool io_waiting_ = false;    // the I/O thread waits on work_cv_
  bool io_in_kernel_ = false;  // the I/O thread waits in the kernel: write to wake_fd_
  int wake_fd_ = -1;           // an eventfd while Run runs on io_uring
  uint32_t space_waiters_ = 0;
  // The I/O thread's: what its wake-up read (of wake_fd_) writes.
  uint64_t wake_value_ = 0;
};

}  // namespace ringflow::uring

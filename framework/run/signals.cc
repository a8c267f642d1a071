#include "framework/run/signals.h"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <string_view>
#include <utility>

namespace ringflow::run {
namespace {

// The handlers only touches lock-free atomics and calls async-signal-safe
// functions (unlink, _exit).

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
// Temporary output files, unlinked when a second signal ends the process at once.
constexpr std::size_t kMaxTemps = 8;
std::array<std::array<char, 4096>, kMaxTemps> g_temps{};
// g_temps[i] holds a whole name (published with release, read with acquire).
std::array<std::atomic<bool>, kMaxTemps> g_temp_set{};
// The deadline's lines ("PROGRAM: interrupted by SIGINT, ..."), made before any signal.
std::string g_deadline_int;
std::string g_deadline_term;

// Ends the process at once as stopped by g_signal's signal: the temporary outputs go, nothing
// else runs (no atexit handler, no stdio flush that could block on a full pipe).
[[noreturn]] void QuitNow() {
  for (std::size_t i = 0; i < kMaxTemps; ++i) {
    if (g_temp_set[i].load(std::memory_order_acquire)) ::unlink(g_temps[i].data());
  }
  ::_exit(128 + g_signal.load());
}

// The stop deadline ran out: the drain is stuck (a write to a pipe nobody reads blocks forever,
// and a blocked write cannot be cancelled from another thread), so do what a second signal does,
// saying why first: the summary will not come. Only when stderr can take the line without
// blocking (poll; a line under PIPE_BUF goes into a pipe whole or not at all): stderr may be
// the pipe nobody reads.
extern "C" void OnStopDeadline(int) {
  const std::string_view line = g_signal.load() == SIGINT ? g_deadline_int : g_deadline_term;
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

}  // namespace

StopSignals::StopSignals(std::string_view program) {
  for (auto [line, name] : {std::pair{&g_deadline_int, "SIGINT"}, {&g_deadline_term, "SIGTERM"}}) {
    *line = std::string(program) + ": interrupted by " + name +
            ", and the run did not end within " + std::to_string(kStopDeadlineSeconds) +
            " s (an output blocked?): quit without finishing the outputs\n";
  }
  g_stop.store(false);
  g_signal.store(0);
  for (auto& set : g_temp_set) set.store(false, std::memory_order_release);
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
  for (auto& set : g_temp_set) set.store(false, std::memory_order_release);
  // A stopped run keeps its deadline armed: the process is on its way out with 128 + N, and
  // what is left (the exit's flush of stdout) may block on the same full pipe.
}

const std::atomic<bool>* StopSignals::token() { return &g_stop; }

int StopSignals::caught() { return g_signal.load(); }

void StopSignals::RemoveOnQuit(const std::vector<std::string>& temps) {
  // The handler reads a name only once it is marked whole, which comes last: a signal in
  // between misses the newest name but never sees half of one. (Lock-free atomics are
  // async-signal-safe.)
  static_assert(std::atomic<bool>::is_always_lock_free);
  for (std::size_t i = 0; i < temps.size() && i < kMaxTemps; ++i) {
    if (temps[i].size() >= g_temps[i].size()) continue;
    g_temp_set[i].store(false, std::memory_order_release);
    std::memcpy(g_temps[i].data(), temps[i].c_str(), temps[i].size() + 1);
    g_temp_set[i].store(true, std::memory_order_release);
  }
}

}  // namespace ringflow::run

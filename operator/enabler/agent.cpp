#include "enabler/agent.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <variant>

#include "enabler/haproxy.h"
#include "enabler/material.h"
#include "enabler/reload_policy.h"

namespace secprov::enabler {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string join(const std::vector<pid_t>& pids) {
  std::string text;
  for (const auto pid : pids) text += (text.empty() ? "" : ",") + std::to_string(pid);
  return text.empty() ? "none" : text;
}

// The last lines of a command's output, for the log (haproxy -c names files and lines).
std::string tail(const std::string& text, std::size_t max_lines = 12) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::string out;
  const auto first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (auto i = first; i < lines.size(); ++i) out += "\n  " + lines[i];
  return out;
}

class Agent {
 public:
  Agent(const AgentOptions& options, const LogSink& log) : options_(options), log_(log) {
    paths_ = options_.watch;
    paths_.push_back(options_.config);
  }

  int run() {
    sigset_t waited;
    sigemptyset(&waited);
    for (const int s : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) sigaddset(&waited, s);
    ::pthread_sigmask(SIG_BLOCK, &waited, nullptr);

    const auto initial = observe();
    ReloadGate gate(initial.value_or(""), options_.min_reload_interval);
    const auto argv = master_argv(options_.haproxy, options_.config, options_.master_socket);
    std::error_code ignored;  // HAProxy names what it cannot bind
    std::filesystem::create_directories(options_.master_socket.parent_path(), ignored);
    try {
      master_ = spawn(argv);
    } catch (const std::system_error& e) {
      log_(LogLevel::Error, std::string("cannot start HAProxy: ") + e.what());
      return 127;
    }
    log_(LogLevel::Info,
         "started HAProxy master pid " + std::to_string(master_) + ", serving " + gate.served());

    int stop_signals = 0;
    auto next_poll = Clock::now() + options_.poll_interval;
    for (;;) {
      // Polls on schedule, however often children exit (SIGCHLD).
      const auto left = std::max(
          milliseconds(0), std::chrono::duration_cast<milliseconds>(next_poll - Clock::now()));
      const timespec wait{static_cast<time_t>(left.count() / 1000),
                          static_cast<long>((left.count() % 1000) * 1000000)};
      siginfo_t info{};
      const int signo = ::sigtimedwait(&waited, &info, &wait);
      if (signo == SIGCHLD) {
        if (const auto code = reap()) {
          log_(LogLevel::Info, "HAProxy master exited with " + std::to_string(*code));
          return *code;
        }
        continue;
      }
      if (signo == SIGTERM || signo == SIGINT) {
        // First: soft stop (workers close listeners, finish established connections);
        // then: hard stop.
        const int forward = stop_signals++ == 0 ? SIGUSR1 : SIGTERM;
        log_(LogLevel::Info, std::string(forward == SIGUSR1 ? "soft" : "hard") +
                                 "-stopping HAProxy on signal " + std::to_string(signo));
        ::kill(master_, forward);
        continue;
      }
      if (signo < 0 && errno != EAGAIN && errno != EINTR) {
        log_(LogLevel::Error, std::string("sigtimedwait: ") + std::strerror(errno));
      }
      if (signo == SIGHUP || Clock::now() >= next_poll) {  // SIGHUP: look at the files now
        if (stop_signals == 0) poll_once(gate);
        next_poll = Clock::now() + options_.poll_interval;
      }
    }
  }

 private:
  // The digest of the watched files, nullopt while they cannot be read (a swap in progress).
  std::optional<std::string> observe(Snapshot* out = nullptr) {
    auto read = read_snapshot(paths_);
    if (const auto* error = std::get_if<ReadError>(&read)) {
      log_(LogLevel::Debug, "cannot read " + error->path + ": " + error->reason);
      return std::nullopt;
    }
    auto& snapshot = std::get<Snapshot>(read);
    auto result = digest(snapshot);
    if (out != nullptr) *out = std::move(snapshot);
    return result;
  }

  void poll_once(ReloadGate& gate) {
    Snapshot snapshot;
    const auto observed = observe(&snapshot);
    if (!observed) return;
    const auto now = Clock::now();
    const auto action = gate.on_observed(*observed, now);
    if (action == ReloadGate::Action::None) return;
    if (action == ReloadGate::Action::Wait) {
      log_(LogLevel::Debug, "change " + *observed + " waits for the reload interval");
      return;
    }
    log_(LogLevel::Info, "files changed: " + gate.served() + " -> " + *observed);
    const auto problems = check_tls_material(snapshot);
    if (!problems.empty()) {
      std::string text;
      for (const auto& p : problems) {
        text += "\n  " + std::string(to_string(p.kind)) + " " + p.file + ": " + p.detail;
      }
      log_(LogLevel::Error,
           "rejected " + *observed + " (HAProxy keeps serving " + gate.served() + "):" + text);
      gate.rejected(*observed);
      return;
    }
    const auto check = check_config(options_.haproxy, options_.config);
    if (check.exit_code != 0) {
      log_(LogLevel::Error, "rejected " + *observed + ": haproxy -c exited with " +
                                std::to_string(check.exit_code) + " (HAProxy keeps serving " +
                                gate.served() + "):" + tail(check.output));
      gate.rejected(*observed);
      return;
    }
    if (reload()) {
      gate.reloaded(*observed, Clock::now());
    } else {
      gate.reload_failed(Clock::now());
    }
  }

  std::vector<pid_t> workers() {
    const auto answer = master_command(options_.master_socket, "show proc", milliseconds(2000));
    return answer ? current_workers(*answer) : std::vector<pid_t>{};
  }

  // `reload` on the master CLI (SIGUSR2 when the socket does not answer), then waits for a
  // worker that was not there before.
  bool reload() {
    const auto before = workers();
    const bool sent =
        master_command(options_.master_socket, "reload", milliseconds(5000)).has_value();
    if (!sent) {
      log_(LogLevel::Warn, "master CLI " + options_.master_socket.string() +
                               " did not answer; reloading with SIGUSR2");
      ::kill(master_, SIGUSR2);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      const auto now_workers = workers();
      for (const auto pid : now_workers) {
        if (std::find(before.begin(), before.end(), pid) == before.end()) {
          log_(LogLevel::Info, "reloaded: new worker " + join(now_workers) +
                                   ", old workers finishing their connections " + join(before));
          return true;
        }
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    log_(LogLevel::Error, "reload did not start a new worker; the old ones keep serving");
    return false;
  }

  // Reaps exited children (the agent may be pid 1: orphans come to it); the master's exit
  // code once it has exited.
  std::optional<int> reap() {
    std::optional<int> master_code;
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == master_) master_code = exit_code_of(status);
    }
    return master_code;
  }

  const AgentOptions& options_;
  const LogSink& log_;
  std::vector<std::filesystem::path> paths_;
  pid_t master_ = -1;
};

}  // namespace

int run_agent(const AgentOptions& options, const LogSink& log) {
  return Agent(options, log).run();
}

}  // namespace secprov::enabler

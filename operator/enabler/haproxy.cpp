#include "enabler/haproxy.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <system_error>
#include <utility>

extern char** environ;

namespace secprov::enabler {

namespace {

// Closes the descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// posix_spawn attributes and file actions, released on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_init(&actions_);
    // The agent blocks the signals it waits for; the child starts with none blocked and
    // with default dispositions.
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t all;
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr_, &empty);
    ::posix_spawnattr_setsigdefault(&attr_, &all);
    ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  posix_spawn_file_actions_t* actions() { return &actions_; }

  pid_t spawn(const std::vector<std::string>& argv) {
    if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty argv");
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions_, &attr_, args.data(), environ);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "starting " + argv[0]);
    return pid;
  }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return exit_code_of(status);
}

}  // namespace

std::vector<std::string> master_argv(const std::string& haproxy,
                                     const std::filesystem::path& config,
                                     const std::filesystem::path& master_socket) {
  return {haproxy, "-W", "-db", "-S", master_socket.string(), "-f", config.string()};
}

pid_t spawn(const std::vector<std::string>& argv) {
  return SpawnSetup{}.spawn(argv);
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

CommandResult run_capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {-1, std::strerror(errno)};
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  SpawnSetup setup;
  ::posix_spawn_file_actions_adddup2(setup.actions(), write_end.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(setup.actions(), write_end.get(), STDERR_FILENO);
  pid_t pid = -1;
  try {
    pid = setup.spawn(argv);
  } catch (const std::system_error& e) {
    return {-1, e.what()};
  }
  write_end.reset();
  CommandResult result;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n > 0) {
      result.output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  result.exit_code = wait_child(pid);
  return result;
}

CommandResult check_config(const std::string& haproxy, const std::filesystem::path& config) {
  return run_capture({haproxy, "-c", "-f", config.string()});
}

std::optional<std::string> master_command(const std::filesystem::path& socket_path,
                                          const std::string& command,
                                          std::chrono::milliseconds timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto path = socket_path.string();
  if (path.size() >= sizeof address.sun_path) return std::nullopt;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return std::nullopt;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return std::nullopt;
  }
  const std::string line = command + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(line.size())) {
    return std::nullopt;
  }
  // One command: without our end of the stream the master would wait for more until its
  // client timeout; with it, it answers and closes.
  ::shutdown(fd.get(), SHUT_WR);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      answer.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return answer;  // EOF (or a reset when the master re-executes)
  }
}

std::vector<pid_t> current_workers(const std::string& show_proc) {
  // #<PID>  <type>  <reloads>  <uptime>  <version>
  // 1       master  0          ...
  // # workers
  // 42      worker  0          ...
  // # old workers
  // 17      worker  1          ...
  std::vector<pid_t> workers;
  std::istringstream lines(show_proc);
  bool in_workers = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '#') {
      in_workers = line.rfind("# workers", 0) == 0;
      continue;
    }
    if (!in_workers) continue;
    std::istringstream fields(line);
    long pid = 0;
    std::string type;
    if (fields >> pid >> type && type == "worker" && pid > 0) {
      workers.push_back(static_cast<pid_t>(pid));
    }
  }
  return workers;
}

}  // namespace secprov::enabler

#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace secprov::testing {

// A child process (fork/exec) whose output goes to a log file. The destructor kills it
// (SIGKILL) if it is still running, so a failing test leaves nothing behind.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& log_file,
               const std::vector<std::string>& extra_env = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // The exit code (or 128+signal), or nullopt if still running after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  bool running();
  const std::filesystem::path& log_file() const { return log_file_; }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path log_file_;
};

// Runs a command to completion; returns exit code, output captured in `output`.
int run_command(const std::string& command, std::string* output = nullptr);

// A command's exit code, and its stdout and stderr apart.
struct CommandOutput {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command to completion with stderr apart from stdout (run_command merges them),
// for tools that print warnings or notes on stderr; stderr passes through `err_file`.
CommandOutput run_command_apart(const std::string& command, const std::filesystem::path& err_file);

}  // namespace secprov::testing

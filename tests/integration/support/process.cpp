#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "support/samples.h"

namespace secprov::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::filesystem::path& log_file,
                           const std::vector<std::string>& extra_env)
    : log_file_(log_file) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess needs a program");
  std::filesystem::create_directories(log_file.parent_path());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::setpgid(0, 0);
    for (const auto& assignment : extra_env) ::putenv(const_cast<char*>(assignment.c_str()));
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::perror("execv");
    ::_exit(127);
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), exit_code_(other.exit_code_), log_file_(std::move(other.log_file_)) {
  other.pid_ = -1;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && running()) {
    ::kill(pid_, SIGKILL);
    wait_for(std::chrono::seconds(10));
  }
}

void ChildProcess::signal(int signo) const {
  if (pid_ > 0) ::kill(pid_, signo);
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool ChildProcess::running() {
  return !wait_for(std::chrono::milliseconds(0)).has_value();
}

std::string ChildProcess::log() const {
  return read_text(log_file_);
}

int run_command(const std::string& command, std::string* output) {
  const std::string redirected = command + " 2>&1";
  FILE* pipe = ::popen(redirected.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer{};
  std::string text;
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) text += buffer.data();
  const int status = ::pclose(pipe);
  if (output != nullptr) *output = std::move(text);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CommandOutput run_command_apart(const std::string& command, const std::filesystem::path& err_file) {
  CommandOutput result;
  result.code = run_command("{ " + command + " 2>'" + err_file.string() + "'; }", &result.out);
  result.err = read_text(err_file);
  return result;
}

}  // namespace secprov::testing

#pragma once
// HAProxy in master-worker mode, as the agent drives it: the master process, `haproxy -c`,
// and the master CLI (`reload`, `show proc`) on its unix socket.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace secprov::enabler {

// `haproxy -W -db -S <socket> -f <config>`: master-worker, in the foreground, with its CLI.
std::vector<std::string> master_argv(const std::string& haproxy,
                                     const std::filesystem::path& config,
                                     const std::filesystem::path& master_socket);

// Starts argv (PATH lookup for a bare name) with the default signal mask and dispositions,
// stdout/stderr inherited. Returns the pid; throws std::system_error when it cannot start.
pid_t spawn(const std::vector<std::string>& argv);

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed, -1 when it could not start
  std::string output;  // stdout and stderr
};
// Runs argv to completion, capturing its output.
CommandResult run_capture(const std::vector<std::string>& argv);

// `haproxy -c -f <config>`: parses the configuration and loads every file it names.
CommandResult check_config(const std::string& haproxy, const std::filesystem::path& config);

// Sends one command to the master CLI and returns what it answered before closing, or
// nullopt when the socket does not answer (a re-exec in progress) within `timeout`.
std::optional<std::string> master_command(const std::filesystem::path& socket,
                                          const std::string& command,
                                          std::chrono::milliseconds timeout);

// The current (not old) worker pids in a `show proc` answer.
std::vector<pid_t> current_workers(const std::string& show_proc);

// The exit code of a wait status: the code, or 128 + signal.
int exit_code_of(int wait_status);

}  // namespace secprov::enabler

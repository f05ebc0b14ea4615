#pragma once
// The enabler agent: supervises HAProxy (master-worker) in the enabler container and makes it
// serve the kubelet's updates of the mounted Secret and ConfigMap without a restart. Each
// poll reads the watched files; a new digest is validated (certificate and key parse and
// match; `haproxy -c`) and then loaded with the master CLI's `reload`: the master keeps its
// pid, a new worker takes new connections, old workers soft-stop and finish the established
// ones (bounded by `hard-stop-after` in the configuration). An invalid set is logged (names
// and reasons, never content) and the running workers keep serving.

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace secprov::enabler {

struct AgentOptions {
  std::filesystem::path config;               // haproxy.cfg (always watched too)
  std::vector<std::filesystem::path> watch;   // mounted volume directories (or files)
  std::string haproxy = "/usr/sbin/haproxy";  // path, or a name looked up in PATH
  std::filesystem::path master_socket = "/run/secprov-enabler/master.sock";
  std::chrono::milliseconds poll_interval{2000};
  std::chrono::milliseconds min_reload_interval{10000};
};

enum class LogLevel { Debug, Info, Warn, Error };
using LogSink = std::function<void(LogLevel, const std::string&)>;

// Runs until HAProxy's master exits and returns its exit code (128 + signal when killed).
// SIGTERM/SIGINT become a soft stop of HAProxy (SIGUSR1 to the master: established
// connections finish); a second one a hard stop (SIGTERM). Blocks these signals and SIGCHLD
// in the calling thread, which must be the only thread.
int run_agent(const AgentOptions& options, const LogSink& log);

}  // namespace secprov::enabler

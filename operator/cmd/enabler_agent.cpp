// secprov-enabler-agent: runs HAProxy (master-worker) in the enabler container and reloads it
// when the kubelet updates the mounted certificate, trust bundle or configuration.
// GCC 12 reports a false "potential null pointer dereference" inside CLI11 2.1's
// detail::split (std::vector<std::string> growth) in this translation unit.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "enabler/agent.h"

namespace {

using secprov::enabler::AgentOptions;
using secprov::enabler::LogLevel;

struct Flags {
  std::string config;
  std::vector<std::string> watch;
  std::string haproxy = AgentOptions{}.haproxy;
  std::string master_socket = AgentOptions{}.master_socket.string();
  double poll_interval = 2;
  double min_reload_interval = 10;
  std::string log_level = "info";
};

void add_flags(CLI::App& app, Flags& flags) {
  app.add_option("--config", flags.config, "HAProxy configuration file (always watched)")
      ->required();
  app.add_option("--watch", flags.watch, "Mounted directory (or file) to watch; repeatable");
  app.add_option("--haproxy", flags.haproxy, "HAProxy binary")->capture_default_str();
  app.add_option("--master-socket", flags.master_socket, "HAProxy master CLI socket")
      ->capture_default_str();
  app.add_option("--poll-interval", flags.poll_interval, "Seconds between looks at the files")
      ->check(CLI::Range(0.1, 60.0))
      ->capture_default_str();
  app.add_option("--min-reload-interval", flags.min_reload_interval,
                 "At most one reload per this many seconds")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "debug|info|warn|error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
}

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

AgentOptions options_of(const Flags& flags) {
  AgentOptions options;
  options.config = flags.config;
  for (const auto& path : flags.watch) options.watch.emplace_back(path);
  options.haproxy = flags.haproxy;
  options.master_socket = flags.master_socket;
  options.poll_interval = milliseconds(flags.poll_interval);
  options.min_reload_interval = milliseconds(flags.min_reload_interval);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"secprov-enabler-agent: runs HAProxy and reloads it when its files change"};
  Flags flags;
  add_flags(app, flags);
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_logger_st("enabler-agent");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(flags.log_level));
  const secprov::enabler::LogSink sink = [&](LogLevel level, const std::string& message) {
    switch (level) {
      case LogLevel::Debug:
        logger->debug(message);
        break;
      case LogLevel::Info:
        logger->info(message);
        break;
      case LogLevel::Warn:
        logger->warn(message);
        break;
      case LogLevel::Error:
        logger->error(message);
        break;
    }
    logger->flush();
  };
  try {
    return secprov::enabler::run_agent(options_of(flags), sink);
  } catch (const std::exception& e) {
    logger->error(std::string("enabler agent failed: ") + e.what());
    return 1;
  }
}

#include "support/haproxy.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "support/cluster.h"
#include "support/samples.h"

namespace secprov::testing {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kHaproxy = "/usr/sbin/haproxy";
constexpr const char* kNghttpd = "/usr/sbin/nghttpd";
constexpr const char* kNsenter = "/usr/bin/nsenter";
constexpr const char* kUnshare = "/usr/bin/unshare";

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void stop(std::unique_ptr<ChildProcess>& process) {
  if (!process) return;
  process->signal(SIGTERM);
  if (!process->wait_for(5s)) process->signal(SIGKILL);
  process->wait_for(5s);
  process.reset();
}

}  // namespace

std::optional<std::string> haproxy_lab_unavailable() {
  if (::geteuid() != 0) return "the HAProxy wire tests need root (network and mount namespaces)";
  return std::nullopt;
}

std::vector<std::string> haproxy_lab_missing_programs() {
  std::vector<std::string> missing;
  for (const char* program : {kHaproxy, kNghttpd, "/usr/bin/nghttp", "/usr/bin/curl",
                              "/usr/sbin/ip", kNsenter, kUnshare}) {
    if (::access(program, X_OK) != 0) missing.emplace_back(program);
  }
  return missing;
}

HaproxyLab::HaproxyLab(fs::path work_dir, const std::map<std::string, File>& files)
    : work_dir_(std::move(work_dir)) {
  fs::remove_all(work_dir_);
  fs::create_directories(work_dir_);
  fs::permissions(work_dir_, fs::perms::owner_all);
  const auto mounted = work_dir_ / "secprov";  // bind-mounted at /etc/secprov
  for (const auto& [path, file] : files) {
    const std::string root = "/etc/secprov/";
    if (path.rfind(root, 0) != 0 || path.find("..") != std::string::npos) {
      throw std::invalid_argument("lab file outside /etc/secprov: " + path);
    }
    const auto target = mounted / path.substr(root.size());
    write_text(target, file.content);
    fs::permissions(target, file.mode);
  }
  // unshare execs in place: the holder's pid is the namespaces' handle for nsenter. The
  // overlay's upper layer lives in a private /run (tmpfs), never on the host's /etc.
  const std::string script =
      "set -e; ip link set lo up; mount -t tmpfs tmpfs /run; "
      "mkdir -p /run/etc-upper/secprov /run/etc-work; "
      "mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/etc-upper,workdir=/run/etc-work "
      "/etc; mount --bind " +
      mounted.string() + " /etc/secprov; touch /run/ready; exec sleep infinity";
  holder_ =
      std::make_unique<ChildProcess>(std::vector<std::string>{kUnshare, "-m", "-n", "--propagation",
                                                              "private", "/bin/sh", "-c", script},
                                     work_dir_ / "holder.log");
  if (!eventually([&] { return holder_->running() && exec("test -e /run/ready") == 0; }, 20s)) {
    throw std::runtime_error("the namespaces did not come up: " + holder_->log());
  }
}

HaproxyLab::~HaproxyLab() {
  stop(haproxy_);
  stop(server_);
  stop(holder_);  // exec() commands ran to completion: nothing else is left inside
  std::error_code ignored;
  fs::remove_all(work_dir_, ignored);  // test keys never outlive the test
}

std::unique_ptr<ChildProcess> HaproxyLab::spawn(std::vector<std::string> argv,
                                                const std::string& log) {
  // nsenter without --fork execs in place: the child's pid is the program's.
  std::vector<std::string> full = {kNsenter, "-t", std::to_string(holder_->pid()), "-m", "-n"};
  full.insert(full.end(), argv.begin(), argv.end());
  return std::make_unique<ChildProcess>(std::move(full), work_dir_ / log);
}

void HaproxyLab::start_h2c_server(int port, const fs::path& docroot) {
  stop(server_);
  server_ = spawn(
      {kNghttpd, "--no-tls", "--address=127.0.0.1", "-d", docroot.string(), std::to_string(port)},
      "nghttpd.log");
  if (!eventually([&] { return listening(port); }, 20s)) {
    throw std::runtime_error("nghttpd did not listen: " + server_->log());
  }
}

void HaproxyLab::start_haproxy(const std::string& config, int port,
                               const std::vector<std::string>& env) {
  stop(haproxy_);
  std::vector<std::string> argv = {"/usr/bin/env"};  // execs in place: the pid stays HAProxy's
  std::string prefix = "/usr/bin/env";
  for (const auto& e : env) {
    argv.push_back(e);
    prefix += " " + quoted(e);
  }
  std::string check;
  if (exec(prefix + " " + kHaproxy + " -c -f " + quoted(config), &check) != 0) {
    throw std::runtime_error("haproxy -c refused " + config + ":\n" + check);
  }
  argv.insert(argv.end(), {kHaproxy, "-W", "-db", "-f", config});
  haproxy_ = spawn(std::move(argv), "haproxy.log");
  if (!eventually([&] { return !haproxy_->running() || listening(port); }, 20s) ||
      !haproxy_->running()) {
    throw std::runtime_error("haproxy did not start:\n" + haproxy_->log());
  }
}

int HaproxyLab::exec(const std::string& command, std::string* output) const {
  return run_command(std::string(kNsenter) + " -t " + std::to_string(holder_->pid()) +
                         " -m -n /bin/bash -c " + quoted(command),
                     output);
}

bool HaproxyLab::listening(int port) const {
  return exec("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port)) == 0;
}

std::string HaproxyLab::haproxy_log() const {
  return haproxy_ ? haproxy_->log() : std::string();
}

}  // namespace secprov::testing

#pragma once
// HAProxy on the wire, on one machine: a private network namespace (only lo) and a private
// mount namespace where the files of a Pod's volumes are bind-mounted at the paths the
// rendered configuration names (under /etc/secprov, over an overlay of /etc, so the host's
// /etc is never written). HAProxy (Debian 12's 2.6), the plaintext server behind it and the
// clients all run in these namespaces, so the fixed ports of a rendered configuration never
// meet another test's. Needs root.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"

namespace secprov::testing {

// Why the HAProxy wire tests cannot run here (not root), or nullopt.
std::optional<std::string> haproxy_lab_unavailable();
// Programs the tests need that are missing (Debian: haproxy, nghttp2-server, nghttp2-client,
// curl, iproute2, util-linux): a failure, not a skip, since CI installs them.
std::vector<std::string> haproxy_lab_missing_programs();

class HaproxyLab {
 public:
  // `files`: absolute paths under /etc/secprov -> (content, mode), as the Pod's volumes hold
  // them. State and logs go under `work_dir` (deleted by the destructor).
  struct File {
    std::string content;
    std::filesystem::perms mode = std::filesystem::perms::owner_read;
  };
  HaproxyLab(std::filesystem::path work_dir, const std::map<std::string, File>& files);
  HaproxyLab(const HaproxyLab&) = delete;
  HaproxyLab& operator=(const HaproxyLab&) = delete;
  ~HaproxyLab();

  // `haproxy -W -db -f <config>` in the namespaces. Throws std::runtime_error (with its
  // output) when it exits or does not listen on `port` of 127.0.0.1 in time. `env`: "NAME=value"
  // set for it (and its check), as the enabler container's env sets them.
  void start_haproxy(const std::string& config, int port, const std::vector<std::string>& env = {});
  // `nghttpd --no-tls <port>` serving `docroot` (a host path) on 127.0.0.1 in the namespaces.
  void start_h2c_server(int port, const std::filesystem::path& docroot);
  // A shell command in the namespaces.
  int exec(const std::string& command, std::string* output = nullptr) const;
  // Whether something listens on 127.0.0.1:<port> in the namespaces.
  bool listening(int port) const;
  std::string haproxy_log() const;
  const std::filesystem::path& work_dir() const { return work_dir_; }

 private:
  std::unique_ptr<ChildProcess> spawn(std::vector<std::string> argv, const std::string& log);

  std::filesystem::path work_dir_;
  std::unique_ptr<ChildProcess> holder_;  // keeps the namespaces alive
  std::unique_ptr<ChildProcess> server_;
  std::unique_ptr<ChildProcess> haproxy_;
};

}  // namespace secprov::testing

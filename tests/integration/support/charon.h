#pragma once
// strongSwan on the wire, on one machine: each node is a charon daemon (Debian's
// /usr/lib/ipsec/charon) in its own network namespace, all joined to one segment (a bridge in
// a namespace of its own, one veth pair a node), and in a private mount namespace where the
// node's files are bind-mounted at /etc/secprov (over an overlay of /etc, so the host's /etc
// is never written). Each daemon has its own strongswan.conf (STRONGSWAN_CONF), vici socket,
// log and /run (charon's pid file path is fixed). Needs root.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"

namespace secprov::testing {

// Which kernel interface charon uses for SAs and policies.
enum class IpsecKernel {
  // kernel-netlink: XFRM policies and SAs in the kernel (`ip xfrm policy` shows them).
  Netlink,
  // kernel-libipsec: ESP in userspace over a TUN device (tunnel mode only), for kernels
  // without the ESP transforms the proposals name. No XFRM policies; IKE and ESP-in-UDP
  // bypass the TUN routes by a firewall mark.
  Libipsec,
};

// Why the wire tests cannot run here (not root, charon/swanctl/ip missing), or nullopt.
std::optional<std::string> charon_unavailable();
// charon plugins the tests need that are not installed (Debian: libstrongswan-standard-plugins,
// libcharon-extra-plugins): a failure, not a skip, since CI installs them.
std::vector<std::string> charon_missing_plugins();

struct CharonNodeConfig {
  std::string name;                    // [a-z0-9-], at most 12 characters
  std::vector<std::string> addresses;  // "10.10.3.1/24", on the node's link to the segment
  // Absolute paths under /etc/secprov -> content, as a pod's Secret volumes would hold them.
  std::map<std::string, std::string> files;
  IpsecKernel kernel = IpsecKernel::Netlink;
};

// The namespaces and daemons of one test. The destructor stops every daemon and deletes
// every namespace and file it made, also when the test failed; namespaces left by a killed
// test process are deleted by the next CharonLab.
class CharonLab {
 public:
  // Node state (configs, logs, sockets) goes under `work_dir`.
  explicit CharonLab(std::filesystem::path work_dir);
  CharonLab(const CharonLab&) = delete;
  CharonLab& operator=(const CharonLab&) = delete;
  ~CharonLab();

  // Creates the node's namespaces and link, starts charon and waits until its vici socket
  // answers. Throws std::runtime_error (with charon's output) when it does not.
  void add(const CharonNodeConfig& config);
  // swanctl (with the node's strongswan.conf and --uri) inside the node's namespaces.
  int swanctl(const std::string& node, const std::string& args, std::string* output = nullptr);
  // A shell command inside the node's network and mount namespaces.
  int exec(const std::string& node, const std::string& command, std::string* output = nullptr);
  // The daemon's log (charon's filelog and its stdout/stderr).
  std::string log(const std::string& node) const;
  // Stops the node's daemon (SIGTERM, then SIGKILL) and deletes its namespace.
  void remove(const std::string& node);

 private:
  struct Node {
    std::filesystem::path dir;
    std::string netns;
    std::unique_ptr<ChildProcess> charon;
  };
  Node& node(const std::string& name);
  void stop(Node& node);

  std::filesystem::path work_dir_;
  std::string prefix_;   // "spw<pid>-", unique to this process
  std::string segment_;  // netns holding the bridge
  std::map<std::string, Node> nodes_;
  int next_port_ = 0;
};

}  // namespace secprov::testing

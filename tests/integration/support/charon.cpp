#include "support/charon.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/cluster.h"
#include "support/samples.h"

namespace secprov::testing {

namespace {

constexpr const char* kIp = "/usr/sbin/ip";
constexpr const char* kCharon = "/usr/lib/ipsec/charon";
constexpr const char* kSwanctl = "/usr/sbin/swanctl";
constexpr const char* kNamespacePrefix = "spw";  // "spw<pid>-<node>"
// Marks IKE and ESP-in-UDP packets so that they bypass libipsec's TUN routes (table 220).
constexpr const char* kBypassMark = "0x5eca";
// In the node's private /run: per daemon, and short (a unix socket path has 107 bytes at
// most, which a path under a deep build directory can exceed). swanctl runs in that mount
// namespace too.
constexpr const char* kViciUri = "unix:///run/charon.vici";

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void must(const std::string& command) {
  std::string output;
  if (run_command(command, &output) != 0) {
    throw std::runtime_error("`" + command + "` failed: " + output);
  }
}

// Namespaces of earlier test processes that died before their CharonLab's destructor ran.
void delete_stale_namespaces() {
  std::string list;
  if (run_command(std::string(kIp) + " netns list", &list) != 0) return;
  std::istringstream lines(list);
  for (std::string line; std::getline(lines, line);) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kNamespacePrefix, 0) != 0) continue;
    const auto dash = name.find('-');
    if (dash == std::string::npos) continue;
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stoi(name.substr(3, dash - 3)));
    } catch (const std::exception&) {
      continue;
    }
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) {
      run_command(std::string(kIp) + " netns pids " + name + " | xargs -r kill -9");
      run_command(std::string(kIp) + " netns del " + name);
    }
  }
}

std::string strongswan_conf(const std::filesystem::path& dir, IpsecKernel kernel) {
  const bool libipsec = kernel == IpsecKernel::Libipsec;
  std::string conf =
      "charon {\n"
      "  load_modular = yes\n"
      "  plugins {\n"
      "    include /etc/strongswan.d/charon/*.conf\n"
      "    vici {\n"
      "      socket = " +
      std::string(kViciUri) +
      "\n"
      "    }\n"
      "    kernel-libipsec {\n"
      "      load = " +
      std::string(libipsec ? "yes" : "no") + "\n";
  if (libipsec) {
    // A host-to-host child (remote selector = the IKE peer) is allowed; IKE and ESP-in-UDP
    // carry the mark and skip the routes into the TUN device.
    conf += std::string("      allow_peer_ts = yes\n      fwmark = ") + kBypassMark +
            "\n"
            "    }\n"
            "    socket-default {\n"
            "      fwmark = " +
            kBypassMark +
            "\n"
            "    }\n"
            "    kernel-netlink {\n"
            "      fwmark = !" +
            kBypassMark + "\n";
  }
  conf +=
      "    }\n"
      "  }\n"
      "  filelog {\n"
      "    charon {\n"
      "      path = " +
      (dir / "charon.log").string() +
      "\n"
      "      flush_line = yes\n"
      "      default = 1\n"
      "      ike = 2\n"
      "      cfg = 2\n"
      "      knl = 2\n"
      "      esp = 2\n"
      "    }\n"
      "  }\n"
      "}\n";
  return conf;
}

}  // namespace

std::optional<std::string> charon_unavailable() {
  if (::geteuid() != 0) return "the strongSwan wire tests need root (network namespaces)";
  for (const char* program : {kIp, kCharon, kSwanctl}) {
    if (::access(program, X_OK) != 0) {
      return std::string(program) +
             " is missing (Debian: strongswan-charon strongswan-swanctl "
             "libstrongswan-standard-plugins libcharon-extra-plugins iproute2)";
    }
  }
  return std::nullopt;
}

std::vector<std::string> charon_missing_plugins() {
  std::vector<std::string> missing;
  // openssl: ECDSA keys and ECP groups; gcm: AES-GCM; kernel-libipsec: userspace ESP.
  for (const char* plugin : {"openssl", "gcm", "kernel-libipsec", "kernel-netlink"}) {
    const std::string file = std::string("/usr/lib/ipsec/plugins/libstrongswan-") + plugin + ".so";
    if (::access(file.c_str(), R_OK) != 0) missing.push_back(file);
  }
  return missing;
}

CharonLab::CharonLab(std::filesystem::path work_dir)
    : work_dir_(std::move(work_dir)),
      prefix_(std::string(kNamespacePrefix) + std::to_string(::getpid()) + "-"),
      segment_(prefix_ + "seg") {
  delete_stale_namespaces();
  std::filesystem::remove_all(work_dir_);
  std::filesystem::create_directories(work_dir_);
  run_command(std::string(kIp) + " netns del " + segment_);
  must(std::string(kIp) + " netns add " + segment_);
  must(std::string(kIp) + " -n " + segment_ + " link add br0 type bridge");
  must(std::string(kIp) + " -n " + segment_ + " link set br0 up");
}

CharonLab::~CharonLab() {
  for (auto& [name, n] : nodes_) stop(n);
  nodes_.clear();
  run_command(std::string(kIp) + " netns del " + segment_);
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

void CharonLab::stop(Node& n) {
  if (n.charon) {
    n.charon->signal(SIGTERM);
    if (!n.charon->wait_for(std::chrono::seconds(5))) n.charon->signal(SIGKILL);
    n.charon->wait_for(std::chrono::seconds(5));
  }
  // Anything else still in the namespace (a command of exec()) goes with it.
  run_command(std::string(kIp) + " netns pids " + n.netns + " | xargs -r kill -9");
  run_command(std::string(kIp) + " netns del " + n.netns);
}

void CharonLab::remove(const std::string& name) {
  stop(node(name));
  nodes_.erase(name);
}

CharonLab::Node& CharonLab::node(const std::string& name) {
  const auto it = nodes_.find(name);
  if (it == nodes_.end()) throw std::invalid_argument("no charon node " + name);
  return it->second;
}

void CharonLab::add(const CharonNodeConfig& config) {
  if (config.name.empty() || config.name.size() > 12 ||
      config.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    throw std::invalid_argument("charon node name: " + config.name);
  }
  if (nodes_.count(config.name) != 0) throw std::invalid_argument("node exists: " + config.name);
  Node n;
  n.dir = work_dir_ / config.name;
  n.netns = prefix_ + config.name;
  std::filesystem::remove_all(n.dir);
  const auto mounted = n.dir / "secprov";  // bind-mounted at /etc/secprov
  std::filesystem::create_directories(mounted);
  for (const auto& [path, content] : config.files) {
    const std::string root = "/etc/secprov/";
    if (path.rfind(root, 0) != 0 || path.find("..") != std::string::npos) {
      throw std::invalid_argument("node file outside /etc/secprov: " + path);
    }
    const auto file = mounted / path.substr(root.size());
    write_file(file, content);
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  write_file(n.dir / "strongswan.conf", strongswan_conf(n.dir, config.kernel));

  // Registered before the first command so that the destructor removes what exists.
  auto& added = nodes_.emplace(config.name, std::move(n)).first->second;
  const std::string ip = kIp;
  must(ip + " netns add " + added.netns);
  const std::string port = "p" + std::to_string(next_port_++);
  must(ip + " link add eth0 netns " + added.netns + " type veth peer name " + port + " netns " +
       segment_);
  must(ip + " -n " + segment_ + " link set " + port + " master br0 up");
  must(ip + " -n " + added.netns + " link set lo up");
  for (const auto& address : config.addresses) {
    // nodad: the address is usable at once (IPv6 would otherwise be tentative).
    must(ip + " -n " + added.netns + " addr add " + address + " dev eth0" +
         (address.find(':') != std::string::npos ? " nodad" : ""));
  }
  must(ip + " -n " + added.netns + " link set eth0 up");

  // ip netns exec and unshare exec in place: the child's pid is charon's.
  // A private /run (charon's pid file) also holds the overlay's upper layer, which creates
  // the /etc/secprov mount point without touching the host's /etc or the work dir's file
  // system (an overlay's upper layer cannot be on every file system).
  const std::string script =
      "set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/etc-upper/secprov /run/etc-work; "
      "mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/etc-upper,workdir=/run/etc-work "
      "/etc; mount --bind " +
      mounted.string() + " /etc/secprov; exec " + kCharon;
  added.charon = std::make_unique<ChildProcess>(
      std::vector<std::string>{ip, "netns", "exec", added.netns, "/usr/bin/unshare", "-m",
                               "--propagation", "private", "/bin/sh", "-c", script},
      added.dir / "charon.out",
      std::vector<std::string>{"STRONGSWAN_CONF=" + (added.dir / "strongswan.conf").string()});
  const bool up = eventually(
      [&] {
        if (!added.charon->running()) return false;
        return swanctl(config.name, "--stats") == 0;
      },
      std::chrono::seconds(20));
  if (!up)
    throw std::runtime_error("charon " + config.name + " did not start:\n" + log(config.name));
}

int CharonLab::exec(const std::string& name, const std::string& command, std::string* output) {
  auto& n = node(name);
  if (!n.charon || !n.charon->running()) {
    if (output != nullptr) *output = "charon of " + name + " is not running";
    return -1;
  }
  return run_command("/usr/bin/nsenter -t " + std::to_string(n.charon->pid()) + " -m -n " +
                         "/bin/sh -c " + quoted(command),
                     output);
}

int CharonLab::swanctl(const std::string& name, const std::string& args, std::string* output) {
  const auto& n = node(name);
  return exec(name,
              "STRONGSWAN_CONF=" + (n.dir / "strongswan.conf").string() + " " + kSwanctl + " " +
                  args + " --uri " + kViciUri,
              output);
}

std::string CharonLab::log(const std::string& name) const {
  const auto it = nodes_.find(name);
  if (it == nodes_.end()) return {};
  return read_text(it->second.dir / "charon.log") + read_text(it->second.dir / "charon.out");
}

}  // namespace secprov::testing

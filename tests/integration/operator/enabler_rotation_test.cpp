// Issue 9, "rotation without restarts", on the wire: secprov-enabler-agent supervises a real
// Debian HAProxy (master-worker) in a private mount namespace, where the profile's Secret is
// laid out at /etc/secprov/enabler as the kubelet does (files behind a `..data` symlink that
// is swapped atomically). HAProxy terminates TLS (ALPN h2, client certificate required) in
// front of an h2c backend (`nghttpd --no-tls`). The certificate is reissued by the operator
// (a spec change) while `curl --http2 --parallel` has streams in flight on one connection;
// after the swap new connections see the new serial, the old connection completes all its
// requests, and HAProxy's master keeps its pid (a reload, not a restart). A swap whose key
// does not match is refused and the served certificate stays.
//
// The configuration is a minimal hand-written haproxy.cfg with the paths of render/enabler.h
// (tls/tls.pem + tls.pem.key, ca/ca.crt, config/haproxy.cfg); the rendered one is proven on
// the wire by the enabler test of issue 9.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/errors.h"
#include "operator_fixture.h"
#include "support/process.h"

namespace secprov::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kHaproxy = "/usr/sbin/haproxy";
constexpr const char* kNghttpd = "/usr/sbin/nghttpd";
constexpr const char* kCurl = "/usr/bin/curl";
constexpr const char* kOpenssl = "/usr/bin/openssl";
constexpr const char* kEnablerDir = "/etc/secprov/enabler";  // render::kEnablerDir
constexpr std::size_t kBodySize = 2 * 1024 * 1024;
constexpr int kParallelRequests = 3;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A port the kernel just handed out on 127.0.0.1 (closed again for the server to take).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Children of a process (Linux /proc/<pid>/task/<pid>/children).
std::set<pid_t> children_of(pid_t pid) {
  std::set<pid_t> children;
  std::istringstream in(
      read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  for (long child = 0; in >> child;) children.insert(static_cast<pid_t>(child));
  return children;
}

// A Secret volume as the kubelet writes it: each version in a "..<timestamp>" directory,
// "..data" pointing at the current one (swapped with a rename), one symlink per key.
class KubeletVolume {
 public:
  explicit KubeletVolume(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

  void publish(const std::map<std::string, std::string>& files) {
    const auto version = "..2026_11_30_00_00_" + std::to_string(next_++);
    for (const auto& [name, content] : files) {
      write_text(dir_ / version / name, content);
      fs::permissions(dir_ / version / name, fs::perms::owner_read | fs::perms::owner_write);
    }
    fs::remove(dir_ / "..data_tmp");
    fs::create_directory_symlink(version, dir_ / "..data_tmp");
    fs::rename(dir_ / "..data_tmp", dir_ / "..data");
    for (const auto& [name, content] : files) {
      if (!fs::is_symlink(dir_ / name)) fs::create_symlink(fs::path("..data") / name, dir_ / name);
    }
  }

 private:
  fs::path dir_;
  int next_ = 0;
};

// The agent in a private mount namespace (with a private /run for its master socket, and
// `volume` bind-mounted at /etc/secprov/enabler over an overlay of /etc). Stopped with
// SIGTERM at the end; if it does not stop, it and HAProxy are killed by pid.
class AgentRun {
 public:
  AgentRun(const fs::path& agent, const fs::path& volume, const fs::path& log) {
    const std::string enabler = kEnablerDir;
    const std::string script =
        "set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/etc-upper/secprov/enabler "
        "/run/etc-work /run/secprov-enabler; mount -t overlay overlay -o "
        "lowerdir=/etc,upperdir=/run/etc-upper,workdir=/run/etc-work /etc; mount --bind " +
        shell_quote(volume.string()) + " " + enabler + "; exec " + shell_quote(agent.string()) +
        " --config " + enabler + "/config/haproxy.cfg --watch " + enabler + "/tls --watch " +
        enabler + "/ca --haproxy " + kHaproxy +
        " --master-socket /run/secprov-enabler/master.sock --poll-interval 0.2"
        " --min-reload-interval 1";
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh",
                                 "-c", script},
        log);
  }
  AgentRun(const AgentRun&) = delete;
  AgentRun& operator=(const AgentRun&) = delete;
  ~AgentRun() {
    if (!process_->running()) return;
    std::set<pid_t> haproxy;
    for (const auto master : children_of(process_->pid())) {
      haproxy.insert(master);
      for (const auto worker : children_of(master)) haproxy.insert(worker);
    }
    process_->signal(SIGTERM);
    if (!process_->wait_for(20s)) {
      for (const auto pid : haproxy) ::kill(pid, SIGKILL);
    }
  }

  ChildProcess& process() { return *process_; }
  // HAProxy's master: the agent's one child.
  std::optional<pid_t> master() const {
    const auto children = children_of(process_->pid());
    if (children.size() != 1) return std::nullopt;
    return *children.begin();
  }

 private:
  std::unique_ptr<ChildProcess> process_;
};

class EnablerRotationTest : public OperatorTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (a private mount namespace)";
    OperatorTest::SetUp();
    for (const auto* tool : {kHaproxy, kNghttpd, kCurl, kOpenssl}) {
      // Installed by scripts/install-deps.sh (haproxy, nghttp2-server, curl, openssl).
      ASSERT_TRUE(fs::exists(tool)) << tool << " is missing";
    }
    agent_ = cluster_paths().binary_dir / "operator" / "cmd" / "secprov-enabler-agent";
    ASSERT_TRUE(fs::exists(agent_)) << agent_;
    work_ = cluster_paths().binary_dir / "it" / (namespace_ + "-enabler");
    fs::remove_all(work_);
    fs::create_directories(work_);
  }

  std::string profile_yaml(const std::string& extra_dns) const {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: amf\n"
           "spec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: amf}\n"
           "  nfInstanceId: 6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31\n"
           "  trustDomainRef:\n    name: " +
           trust_domain_ + "\n  sbi:\n    tls:\n      certificate:\n        extraDnsNames: [" +
           extra_dns + "]\n";
  }

  // The leaf HAProxy presents to a new connection (with a client certificate), or nullopt.
  std::optional<crypto::Certificate> served_leaf() const {
    std::string output;
    run_command(std::string(kOpenssl) +
                    " s_client -connect 127.0.0.1:" + std::to_string(frontend_port_) +
                    " -alpn h2 -cert " + shell_quote((work_ / "client.crt").string()) + " -key " +
                    shell_quote((work_ / "client.key").string()) + " </dev/null 2>&1",
                &output);
    try {
      return crypto::Certificate::from_pem(output);
    } catch (const crypto::CryptoError&) {
      return std::nullopt;
    }
  }

  std::string haproxy_cfg() const {
    const std::string dir = kEnablerDir;
    return "global\n"
           "  log stderr format short local0 info\n"
           // Old workers finish their connections, for at most this long.
           "  hard-stop-after 120s\n"
           "defaults\n"
           "  mode http\n"
           "  log global\n"
           "  timeout connect 5s\n"
           "  timeout client 60s\n"
           "  timeout server 60s\n"
           "frontend sbi\n"
           // tls.pem.key is found next to tls.pem (ssl-load-extra-files, default all).
           "  bind 127.0.0.1:" +
           std::to_string(frontend_port_) + " ssl crt " + dir + "/tls/tls.pem ca-file " + dir +
           "/ca/ca.crt verify required alpn h2 ssl-min-ver TLSv1.2\n"
           "  default_backend nf\n"
           "backend nf\n"
           "  server nf 127.0.0.1:" +
           std::to_string(backend_port_) + " proto h2\n";
  }

  fs::path agent_;
  fs::path work_;
  int frontend_port_ = 0;
  int backend_port_ = 0;
};

TEST_F(EnablerRotationTest, RotatedCertificateIsServedWithoutRestartOrDroppedConnection) {
  create_trust_domain();
  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("amf-a.example.org")), 0);
  const auto serial_of_status = [&] {
    const auto p = profile("amf");
    const auto& status = p.value("status", kube::Json::object());
    return status.value("certificate", kube::Json::object()).value("serialNumber", std::string{});
  };
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); }, 60s))
      << operators_[0]->log();
  const auto first = secret("amf-tls");
  const auto first_leaf = crypto::Certificate::parse_chain(decode(first, "tls.crt")).front();

  // The client: the first issued certificate (clientAuth), kept for the whole test.
  write_text(work_ / "client.crt", decode(first, "tls.crt"));
  write_text(work_ / "client.key", decode(first, "tls.key"));
  write_text(work_ / "ca.crt", decode(first, "ca.crt"));

  // The backend: plaintext HTTP/2 serving one large body.
  backend_port_ = free_port();
  write_text(work_ / "www" / "big", std::string(kBodySize, 'x'));
  ChildProcess backend(
      {kNghttpd, "--no-tls", "-d", (work_ / "www").string(), std::to_string(backend_port_)},
      work_ / "nghttpd.log");

  // The Pod's volumes: tls (the Secret, as render/enabler.h projects it), ca, config.
  frontend_port_ = free_port();
  const auto volume = work_ / "volume";
  KubeletVolume tls(volume / "tls");
  KubeletVolume ca(volume / "ca");
  KubeletVolume config(volume / "config");
  tls.publish({{"tls.pem", decode(first, "tls.crt")}, {"tls.pem.key", decode(first, "tls.key")}});
  ca.publish({{"ca.crt", decode(first, "ca.crt")}});
  config.publish({{"haproxy.cfg", haproxy_cfg()}});

  AgentRun agent(agent_, volume, work_ / "agent.log");
  std::optional<pid_t> master;
  ASSERT_TRUE(eventually(
      [&] {
        master = agent.master();
        const auto leaf = served_leaf();
        return master && leaf && leaf->serial_hex() == first_leaf.serial_hex();
      },
      30s))
      << agent.process().log();
  const auto first_workers = children_of(*master);
  ASSERT_EQ(first_workers.size(), 1u) << agent.process().log();

  // The operator reissues on a spec change; the kubelet has not updated the volume yet.
  ASSERT_EQ(apply_yaml(profile_yaml("amf-b.example.org")), 0);
  ASSERT_TRUE(eventually(
      [&] {
        return serial_of_status() != first_leaf.serial_hex() &&
               profile_condition("amf", "Ready", "True");
      },
      60s))
      << operators_[0]->log();
  const auto second = secret("amf-tls");
  const auto second_leaf = crypto::Certificate::parse_chain(decode(second, "tls.crt")).front();
  ASSERT_NE(second_leaf.serial_hex(), first_leaf.serial_hex());

  // A long-lived HTTP/2 connection: several streams in flight on one connection, each read
  // slowly, so that they span the rotation.
  const auto host = first_leaf.dns_names().front();
  const auto url = "https://" + host + ":" + std::to_string(frontend_port_) + "/big";
  std::vector<std::string> curl_argv = {kCurl,
                                        "--http2",
                                        "-v",
                                        "-sS",
                                        "--parallel",
                                        "--limit-rate",
                                        "100k",
                                        "--resolve",
                                        host + ":" + std::to_string(frontend_port_) + ":127.0.0.1",
                                        "--cacert",
                                        (work_ / "ca.crt").string(),
                                        "--cert",
                                        (work_ / "client.crt").string(),
                                        "--key",
                                        (work_ / "client.key").string(),
                                        "-w",
                                        "RESULT %{http_code} %{local_port} %{size_download}\\n"};
  for (int i = 0; i < kParallelRequests; ++i)
    curl_argv.insert(curl_argv.end(), {url, "-o", "/dev/null"});
  ChildProcess curl(curl_argv, work_ / "curl.log");
  const auto responses_started = [&] {
    const auto text = curl.log();
    std::size_t count = 0;
    for (auto at = text.find("< HTTP/2 200"); at != std::string::npos;
         at = text.find("< HTTP/2 200", at + 1)) {
      ++count;
    }
    return count == static_cast<std::size_t>(kParallelRequests);
  };
  ASSERT_TRUE(eventually(responses_started, 30s)) << curl.log();

  // The kubelet's update: the new certificate and key behind a swapped ..data.
  tls.publish({{"tls.pem", decode(second, "tls.crt")}, {"tls.pem.key", decode(second, "tls.key")}});
  ASSERT_TRUE(eventually(
      [&] {
        const auto leaf = served_leaf();
        return leaf && leaf->serial_hex() == second_leaf.serial_hex();
      },
      30s))
      << agent.process().log();
  // The old connection was open across the reload: its transfers are still running.
  EXPECT_TRUE(curl.running()) << "the transfers ended before the rotation was served; the test "
                                 "proved nothing about the old connection\n"
                              << curl.log();
  EXPECT_EQ(agent.master(), master) << "HAProxy was restarted, not reloaded";
  const auto second_workers = children_of(*master);
  EXPECT_TRUE(std::any_of(second_workers.begin(), second_workers.end(), [&](pid_t pid) {
    return first_workers.count(pid) == 0;
  })) << "no new worker";

  // Every request of the old connection completed, on that one connection.
  ASSERT_EQ(curl.wait_for(120s), std::optional<int>(0)) << curl.log();
  const std::regex result_line(R"(RESULT (\d+) (\d+) (\d+))");
  std::set<std::string> local_ports;
  int results = 0;
  const auto curl_log = curl.log();
  for (std::sregex_iterator it(curl_log.begin(), curl_log.end(), result_line), end; it != end;
       ++it) {
    ++results;
    EXPECT_EQ((*it)[1], "200");
    EXPECT_EQ((*it)[3], std::to_string(kBodySize));
    local_ports.insert((*it)[2]);
  }
  EXPECT_EQ(results, kParallelRequests) << curl_log;
  EXPECT_EQ(local_ports.size(), 1u) << "the requests used more than one connection\n" << curl_log;
  // The old worker is gone once its connection is.
  EXPECT_TRUE(eventually([&] {
    for (const auto pid : first_workers) {
      if (children_of(*master).count(pid) != 0) return false;
    }
    return true;
  }));

  // A broken swap (a certificate with another certificate's key) is refused: the running
  // worker keeps serving the certificate it has, and nothing reloads.
  const auto workers_before_broken = children_of(*master);
  tls.publish({{"tls.pem", decode(first, "tls.crt")}, {"tls.pem.key", decode(second, "tls.key")}});
  ASSERT_TRUE(eventually(
      [&] { return agent.process().log().find("KeyMismatch") != std::string::npos; }, 30s))
      << agent.process().log();
  const auto leaf = served_leaf();
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(leaf->serial_hex(), second_leaf.serial_hex());
  EXPECT_EQ(children_of(*master), workers_before_broken) << "a refused set was loaded";
  EXPECT_EQ(agent.process().log().find("PRIVATE KEY"), std::string::npos)
      << "the agent logged key material";

  // SIGTERM: a soft stop; the agent exits with HAProxy's status.
  agent.process().signal(SIGTERM);
  EXPECT_EQ(agent.process().wait_for(30s), std::optional<int>(0)) << agent.process().log();
}

}  // namespace
}  // namespace secprov::testing

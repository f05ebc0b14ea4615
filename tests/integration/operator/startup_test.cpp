// Bad input and faults at the operator's edges: configuration, an unreachable API server,
// and what its logs may contain.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "crypto/encoding.h"
#include "operator_fixture.h"
#include "support/free_port.h"

namespace secprov::testing {
namespace {

int run_operator_with(const std::filesystem::path& kubeconfig, std::string* output) {
  return run_command(cluster_paths().operator_binary.string() + " --kubeconfig " +
                         kubeconfig.string() + " --probe-port " +
                         std::to_string(free_loopback_port()),
                     output);
}

TEST(OperatorStartup, AMalformedKubeconfigFailsNamingTheField) {
  const auto file = cluster_paths().binary_dir / "it" / "broken.kubeconfig";
  std::filesystem::create_directories(file.parent_path());
  {
    std::ofstream out(file);
    out << "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
           "contexts:\n- name: dev\n  context: {cluster: c, user: u}\n"
           "clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n"
           "users:\n- name: u\n  user: {client-certificate-data: '!!not base64!!', "
           "client-key-data: eA==}\n";
  }
  std::string output;
  EXPECT_EQ(run_operator_with(file, &output), 2) << output;
  EXPECT_NE(output.find("client-certificate-data"), std::string::npos) << output;
}

TEST(OperatorStartup, AMissingKubeconfigFailsClearly) {
  std::string output;
  EXPECT_EQ(run_operator_with("/nonexistent/kubeconfig", &output), 2) << output;
  EXPECT_NE(output.find("/nonexistent/kubeconfig"), std::string::npos) << output;
}

TEST(OperatorStartup, AnUnreachableApiServerIsRetriedWithoutCrashing) {
  ensure_control_plane();
  // The admin kubeconfig pointed at a port nobody listens on.
  std::ifstream in(cluster_paths().admin_kubeconfig);
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  const auto server = text.find("server: https://127.0.0.1:");
  ASSERT_NE(server, std::string::npos);
  const auto end = text.find('\n', server);
  text.replace(server, end - server,
               "server: https://127.0.0.1:" + std::to_string(free_loopback_port()));
  const auto file = cluster_paths().binary_dir / "it" / "unreachable.kubeconfig";
  {
    std::ofstream out(file);
    out << text;
  }
  const auto port = free_loopback_port();
  // The log is appended to; the warnings below are counted for this run only.
  const auto log_file = cluster_paths().binary_dir / "it" / "logs" / "unreachable.log";
  std::filesystem::remove(log_file);
  ChildProcess op({cluster_paths().operator_binary.string(), "--kubeconfig", file.string(),
                   "--probe-address", "127.0.0.1", "--probe-port", std::to_string(port)},
                  log_file);
  std::this_thread::sleep_for(std::chrono::seconds(8));
  EXPECT_TRUE(op.running()) << "the operator exited:\n" << op.log();
  std::string health, ready;
  run_command("curl -s http://127.0.0.1:" + std::to_string(port) + "/healthz", &health);
  run_command("curl -s http://127.0.0.1:" + std::to_string(port) + "/readyz", &ready);
  EXPECT_NE(health.find("ok"), std::string::npos) << health;
  EXPECT_NE(ready.find("[-]informers failed"), std::string::npos) << ready;
  // Every reflector (and the webhook certificate loop) retries with a backoff from 200 ms:
  // over 8 s each warns a few times (about log2(8 s / 200 ms) + 1), not once per attempt per
  // millisecond. Counted per source, since their number grows with the caches.
  const auto log = op.log();
  std::map<std::string, std::size_t> warnings;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const auto at = line.find(" warning ");
    if (at == std::string::npos) continue;
    const auto source = line.substr(at, line.find(':', at) - at);
    ++warnings[source];
  }
  EXPECT_FALSE(warnings.empty()) << "the failure should be logged";
  for (const auto& [source, count] : warnings) EXPECT_LE(count, 12u) << source << "\n" << log;
  op.signal(SIGTERM);
  EXPECT_EQ(op.wait_for(std::chrono::seconds(15)), 0) << op.log();
}

using OperatorLogTest = OperatorTest;

TEST_F(OperatorLogTest, NoKeyMaterialInTraceLogs) {
  create_trust_domain();
  const auto index = start_operator("op", {"--log-level", "trace"});
  ASSERT_EQ(
      apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: amf\n"
                 "spec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: amf}\n"
                 "  trustDomainRef:\n    name: " +
                 trust_domain_ +
                 "\n  ipsec:\n    interfaces:\n      - name: N2\n        peers:\n"
                 "          - name: gnb\n            address: 10.0.0.1\n"
                 "        authentication: PreSharedKey\n"
                 "        allowPreSharedKey: true\n"),
      0);
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); },
                         std::chrono::seconds(60)));
  const auto tls = client_->get(kube::resources::secrets(), namespace_, "amf-tls");
  const auto ipsec = client_->get(kube::resources::secrets(), namespace_, "amf-ipsec");
  operators_[index]->signal(SIGTERM);
  operators_[index]->wait_for(std::chrono::seconds(15));
  const auto log = operators_[index]->log();
  EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos);
  const std::string key_b64 = tls["data"]["tls.key"];
  EXPECT_EQ(log.find(key_b64.substr(0, 40)), std::string::npos) << "tls.key appears in the log";
  for (const auto& [name, value] : ipsec["data"].items()) {
    if (name.rfind("psk-", 0) != 0) continue;
    const auto psk = crypto::base64_decode(value.get<std::string>()).value();
    EXPECT_EQ(log.find(psk), std::string::npos) << name << " appears in the log";
  }
}

}  // namespace
}  // namespace secprov::testing

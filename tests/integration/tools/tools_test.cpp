// The project's tooling, run for real: the bundled kubectl and control plane report the
// Kubernetes release they are built from, a restarted control plane keeps its port (so
// kubeconfigs and a running operator keep working), and the demo keeps the operator log
// of earlier runs.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "kube/config.h"
#include "kube/errors.h"
#include "kube/resource.h"
#include "support/cluster.h"
#include "support/free_port.h"
#include "support/process.h"

namespace secprov::testing {
namespace {

namespace fs = std::filesystem;
using kube::Json;
namespace resources = kube::resources;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "v1.35.4": the k8s.io/kubernetes version that tests/controlplane/go.mod requires.
std::string kubernetes_release() {
  std::istringstream lines(read_file(cluster_paths().source_dir / "tests/controlplane/go.mod"));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string module, version;
    if (words >> module >> version && module == "k8s.io/kubernetes") return version;
  }
  return {};
}

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

// Runs `command` with stderr discarded (run_command merges it into the output).
int run_stdout(const std::string& command, std::string* output) {
  return run_command("{ " + command + " 2>/dev/null; }", output);
}

int port_of(const fs::path& kubeconfig) {
  const std::string server = kube::load_kubeconfig(kubeconfig).server;
  return std::stoi(server.substr(server.rfind(':') + 1));
}

// --- kubectl and control plane versions -------------------------------------------------

TEST(KubectlVersion, ClientReportsTheControlPlaneRelease) {
  const std::string release = kubernetes_release();
  ASSERT_FALSE(release.empty());
  std::string output;
  ASSERT_EQ(run_stdout(quoted(cluster_paths().kubectl) + " version --client -o json", &output), 0)
      << output;
  const Json client = Json::parse(output)["clientVersion"];
  EXPECT_EQ(client["gitVersion"], release) << output;
  EXPECT_EQ(client["major"], "1") << output;
  EXPECT_EQ(client["minor"], release.substr(3, release.find('.', 3) - 3)) << output;
  EXPECT_EQ(client["gitTreeState"], "clean") << output;
  EXPECT_NE(client["buildDate"], "1970-01-01T00:00:00Z") << output;
}

TEST(KubectlVersion, AgainstTheControlPlaneSucceedsAndReportsBothReleases) {
  ensure_control_plane();
  const std::string release = kubernetes_release();
  std::string output;
  ASSERT_EQ(kubectl("version", &output), 0) << output;
  EXPECT_NE(output.find("Client Version: " + release + "\n"), std::string::npos) << output;
  EXPECT_NE(output.find("Server Version: " + release + "\n"), std::string::npos) << output;
  EXPECT_EQ(output.find("rror"), std::string::npos) << output;
}

TEST(ControlPlaneVersion, BinaryAndServerReportTheRelease) {
  ensure_control_plane();
  const std::string release = kubernetes_release();
  const fs::path binary = cluster_paths().source_dir / "build/bin/secprov-controlplane";
  std::string output;
  ASSERT_EQ(run_command(quoted(binary) + " version", &output), 0) << output;
  EXPECT_EQ(output, "secprov-controlplane, Kubernetes " + release + "\n");
  ASSERT_EQ(run_stdout(quoted(cluster_paths().kubectl) + " --kubeconfig " +
                           quoted(cluster_paths().admin_kubeconfig) + " get --raw /version",
                       &output),
            0)
      << output;
  const Json server = Json::parse(output);
  EXPECT_EQ(server["gitVersion"], release) << output;
  EXPECT_EQ(server["gitTreeState"], "clean") << output;
}

// --- control plane restarts -------------------------------------------------------------

// A control plane of its own (not the suite's), so that its first start, its port record
// and a stop while clients are connected are under the test's control.
class ControlPlaneRestartTest : public ::testing::Test {
 protected:
  static fs::path dir() { return cluster_paths().binary_dir / "it" / "tools-controlplane"; }
  static fs::path kubeconfig() { return dir() / "admin.kubeconfig"; }
  static int start(std::string* output) {
    return run_command(
        quoted(cluster_paths().source_dir / "tests/controlplane/start.sh") + " " + quoted(dir()),
        output);
  }
  static void stop() {
    run_command(quoted(cluster_paths().source_dir / "tests/controlplane/stop.sh") + " " +
                quoted(dir()));
  }
  static int kubectl_with(const fs::path& config, const std::string& args, std::string* output) {
    return run_command(
        quoted(cluster_paths().kubectl) + " --kubeconfig " + quoted(config) + " " + args, output);
  }

  static void SetUpTestSuite() {
    stop();
    fs::remove_all(dir());
  }
  static void TearDownTestSuite() { stop(); }
  void TearDown() override {
    if (operator_ && operator_->running()) {
      operator_->signal(SIGTERM);
      operator_->wait_for(std::chrono::seconds(15));
    }
  }

  std::unique_ptr<ChildProcess> operator_;
};

TEST_F(ControlPlaneRestartTest, KeepsItsPortSoKubeconfigsAndARunningOperatorKeepWorking) {
  std::string output;
  ASSERT_EQ(start(&output), 0) << output;
  const int port = port_of(kubeconfig());
  const std::string admin_before = read_file(kubeconfig());
  EXPECT_EQ(read_file(dir() / "apiserver.port"), std::to_string(port) + "\n");

  // Before the restart: a client, a ServiceAccount token kubeconfig and a running operator.
  auto client = kube::Client::connect(kube::load_kubeconfig(kubeconfig()));
  client->create(
      resources::config_maps(), "default",
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "before-restart"}}}});
  const fs::path sa_kubeconfig = dir().parent_path() / "tools-sa.kubeconfig";
  ASSERT_EQ(
      run_command(quoted(cluster_paths().source_dir / "build/bin/secprov-controlplane") +
                      " sa-kubeconfig --kubeconfig " + quoted(kubeconfig()) +
                      " --namespace default --service-account tools --out " + quoted(sa_kubeconfig),
                  &output),
      0)
      << output;
  ASSERT_EQ(kubectl_with(kubeconfig(),
                         "apply --server-side -f " + quoted(cluster_paths().source_dir / "crds") +
                             " -f " +
                             quoted(cluster_paths().source_dir / "deploy/operator/namespace.yaml"),
                         &output),
            0)
      << output;
  ASSERT_EQ(kubectl_with(kubeconfig(),
                         "wait --for=condition=Established --timeout=60s "
                         "crd/trustdomains.secprov.io crd/securityprofiles.secprov.io",
                         &output),
            0)
      << output;
  const int probe_port = free_loopback_port();
  operator_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{cluster_paths().operator_binary.string(), "--kubeconfig",
                               kubeconfig().string(), "--namespace", "secprov-system", "--identity",
                               "tools", "--probe-address", "127.0.0.1", "--probe-port",
                               std::to_string(probe_port)},
      dir().parent_path() / "logs" / "tools-operator.log");
  const auto ready = [&] {
    std::string body;
    run_command("curl -s --max-time 5 http://127.0.0.1:" + std::to_string(probe_port) + "/readyz",
                &body);
    return body.find("ok") != std::string::npos;
  };
  ASSERT_TRUE(eventually(ready, std::chrono::seconds(30))) << operator_->log();

  stop();
  ASSERT_EQ(start(&output), 0) << output;  // no port given: the recorded one

  EXPECT_EQ(port_of(kubeconfig()), port);
  // Compared, never printed: it holds the admin client key.
  EXPECT_TRUE(read_file(kubeconfig()) == admin_before) << "the admin kubeconfig changed";

  // The client made before the restart reaches the new process.
  EXPECT_TRUE(eventually(
      [&] {
        try {
          client->get(resources::config_maps(), "default", "before-restart");
          return true;
        } catch (const kube::ApiError&) {
          return false;
        }
      },
      std::chrono::seconds(30)));
  // So does the token kubeconfig written before it.
  ASSERT_EQ(
      kubectl_with(sa_kubeconfig, "auth whoami -o jsonpath={.status.userInfo.username}", &output),
      0)
      << output;
  EXPECT_EQ(output, "system:serviceaccount:default:tools");

  // And the operator started before it, not restarted, reconciles what is created after.
  ASSERT_TRUE(operator_->running()) << operator_->log();
  const std::string domain = "tools-restart";
  const fs::path domain_yaml = dir().parent_path() / "tools-trustdomain.yaml";
  std::ofstream(domain_yaml) << "apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\n"
                                "metadata:\n  name: "
                             << domain
                             << "\nspec:\n  domain: 5gc.mnc001.mcc001.3gppnetwork.org\n"
                                "  country: FR\n  ca:\n    generate:\n"
                                "      keyAlgorithm: ECDSA-P256\n";
  ASSERT_EQ(kubectl_with(kubeconfig(), "apply -f " + quoted(domain_yaml), &output), 0) << output;
  EXPECT_TRUE(eventually(
      [&] {
        try {
          const Json td = client->get(resources::trust_domains(), "", domain);
          for (const auto& c :
               td.value("status", Json::object()).value("conditions", Json::array())) {
            if (c["type"] == "Ready") return c["status"] == "True";
          }
        } catch (const kube::ApiError&) {
        }
        return false;
      },
      std::chrono::seconds(60)))
      << "the operator did not reconcile after the restart:\n"
      << operator_->log();
}

TEST_F(ControlPlaneRestartTest, RecordedPortTakenFailsTheStartAndNamesThePort) {
  std::string output;
  ASSERT_EQ(start(&output), 0) << output;  // the first start, or the one the test above left
  const int port = port_of(kubeconfig());
  stop();

  // Something else holds the recorded port: the start must fail, not move elsewhere.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const int one = 1;
  ::setsockopt(holder, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(::bind(holder, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  const int rc = start(&output);
  ::close(holder);

  EXPECT_NE(rc, 0) << output;
  EXPECT_NE(output.find("apiserver port " + std::to_string(port)), std::string::npos) << output;
  EXPECT_EQ(port_of(kubeconfig()), port) << "the kubeconfig moved to another port";

  // Once it is free again, the same data dir starts on it.
  ASSERT_EQ(start(&output), 0) << output;
  EXPECT_EQ(port_of(kubeconfig()), port);
}

// --- demo script ------------------------------------------------------------------------

// scripts/demo.sh's start_logged, the way the demo starts the operator, run twice on one
// log: the first run's output and both dated separators must remain.
TEST(DemoScript, OperatorLogOfAnEarlierRunIsKept) {
  const fs::path dir = cluster_paths().binary_dir / "it" / "demo-log";
  fs::remove_all(dir);
  const fs::path log = dir / "operator.log";
  const std::string demo = quoted(cluster_paths().source_dir / "scripts/demo.sh");
  for (const std::string run : {"first", "second"}) {
    std::string output;
    // Waits for the background process so its output is in the log.
    ASSERT_EQ(
        run_command("bash -c 'source " + demo + " && start_logged \"$0\" \"$0.pid\" " +
                        "echo operator output of the " + run + " run && " +
                        "while kill -0 \"$(cat \"$0.pid\")\" 2>/dev/null; do sleep 0.05; done'" +
                        " " + quoted(log),
                    &output),
        0)
        << output;
  }
  const std::string text = read_file(log);
  EXPECT_NE(text.find("operator output of the first run\n"), std::string::npos) << text;
  EXPECT_NE(text.find("operator output of the second run\n"), std::string::npos) << text;
  EXPECT_LT(text.find("first run"), text.find("second run")) << text;
  std::size_t separators = 0;
  for (auto at = text.find("===== "); at != std::string::npos; at = text.find("===== ", at + 1)) {
    ++separators;
  }
  EXPECT_EQ(separators, 2u) << text;
  // Dated: "===== 2026-01-31T12:00:00Z demo run: echo ====="
  EXPECT_NE(text.find("Z demo run: echo ====="), std::string::npos) << text;
}

}  // namespace
}  // namespace secprov::testing

#include "support/cluster.h"

#include <algorithm>
#include <random>
#include <thread>

#include "support/process.h"

namespace secprov::testing {
namespace {

std::string random_suffix() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  std::uniform_int_distribution<int> digit(0, 35);
  std::string suffix;
  for (int i = 0; i < 6; ++i) {
    const int d = digit(generator);
    suffix += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
  }
  return suffix;
}

std::string lowercase_dns_label(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '-';
  });
  return text.substr(0, 40);
}

void run_or_throw(const std::string& command) {
  std::string output;
  if (run_command(command, &output) != 0) {
    throw std::runtime_error("command failed: " + command + "\n" + output);
  }
}

}  // namespace

const ClusterPaths& cluster_paths() {
  static const ClusterPaths paths = [] {
    ClusterPaths p;
    p.source_dir = SECPROV_SOURCE_DIR;
    p.binary_dir = SECPROV_BINARY_DIR;
    p.data_dir = p.binary_dir / "it" / "controlplane";
    p.admin_kubeconfig = p.data_dir / "admin.kubeconfig";
    const auto built_kubectl = p.source_dir / "build" / "bin" / "kubectl";
    p.kubectl =
        std::filesystem::exists(built_kubectl) ? built_kubectl : std::filesystem::path("kubectl");
    p.operator_binary = p.binary_dir / "operator" / "cmd" / "secprov-operator";
    return p;
  }();
  return paths;
}

namespace {
void start_control_plane_on(const std::string& port) {
  run_or_throw((cluster_paths().source_dir / "tests/controlplane/start.sh").string() + " " +
               cluster_paths().data_dir.string() + " " + port);
}
}  // namespace

void start_control_plane() {
  start_control_plane_on("");
}

void stop_control_plane() {
  run_or_throw((cluster_paths().source_dir / "tests/controlplane/stop.sh").string() + " " +
               cluster_paths().data_dir.string());
}

void ensure_control_plane() {
  start_control_plane();
}

void restart_control_plane() {
  // Same port, so clients that hold the old address reconnect to the new process.
  std::string port;
  run_command("cat " + (cluster_paths().data_dir / "ready").string(), &port);
  while (!port.empty() && std::isspace(static_cast<unsigned char>(port.back()))) port.pop_back();
  stop_control_plane();
  start_control_plane_on(port);
}

std::shared_ptr<kube::Client> admin_client() {
  ensure_control_plane();
  return kube::Client::connect(kube::load_kubeconfig(cluster_paths().admin_kubeconfig));
}

int kubectl(const std::string& args, std::string* output) {
  return run_command(cluster_paths().kubectl.string() + " --kubeconfig " +
                         cluster_paths().admin_kubeconfig.string() + " " + args,
                     output);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::string compacted_resource_version(kube::Client& client, const std::string& ns,
                                       std::chrono::seconds timeout) {
  const auto marker = [&](const std::string& name) {
    return client
        .create(kube::resources::config_maps(), ns,
                {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", name}}}})["metadata"]["resourceVersion"]
        .get<std::string>();
  };
  const std::string old_version = marker("compaction-marker-0");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int round = 1; std::chrono::steady_clock::now() < deadline; ++round) {
    // Newer revisions, so the compaction point moves past the old one.
    marker("compaction-marker-" + std::to_string(round));
    try {
      kube::WatchOptions options;
      options.resource_version = old_version;
      options.timeout = std::chrono::seconds(2);
      auto stream = client.watch(kube::resources::config_maps(), ns, options);
      while (auto event = stream->next()) {
        if (event->type != kube::WatchEventType::Bookmark) break;  // still served: not yet
      }
      stream->cancel();
    } catch (const kube::ApiError& e) {
      if (kube::is_gone(e)) return old_version;
      throw;
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));
  }
  return {};
}

void ClusterTest::SetUp() {
  client_ = admin_client();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  namespace_ = lowercase_dns_label(std::string("it-") + info->name()) + "-" + random_suffix();
  client_->create(
      kube::resources::namespaces(), "",
      {{"apiVersion", "v1"},
       {"kind", "Namespace"},
       {"metadata", {{"name", namespace_}, {"labels", {{"secprov.io/test", "true"}}}}}});
}

void ClusterTest::TearDown() {
  if (!client_ || namespace_.empty()) return;
  try {
    client_->remove(kube::resources::namespaces(), "", namespace_);
  } catch (const kube::ApiError&) {
    // Best effort: a restarted or stopped control plane may refuse; the data dir is per build.
  }
}

}  // namespace secprov::testing

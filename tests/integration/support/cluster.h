#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"

namespace secprov::testing {

// Where the real control plane of the integration tests lives (build/it/controlplane),
// started by tests/controlplane/start.sh once per suite, or reused when already running.
struct ClusterPaths {
  std::filesystem::path source_dir;
  std::filesystem::path binary_dir;
  std::filesystem::path data_dir;
  std::filesystem::path admin_kubeconfig;
  std::filesystem::path kubectl;
  std::filesystem::path operator_binary;
};

const ClusterPaths& cluster_paths();

// Starts the control plane if it is not running; returns once it is ready.
void ensure_control_plane();
// Stops it (SIGTERM, waits) and starts it again on the same port and data.
void restart_control_plane();
void stop_control_plane();
void start_control_plane();

std::shared_ptr<kube::Client> admin_client();

// Runs the real kubectl against the control plane; returns its exit code.
int kubectl(const std::string& args, std::string* output = nullptr);

// Polls `condition` every 50 ms until true or the timeout; returns its last value.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A resourceVersion of ConfigMaps in `ns` that etcd has compacted away: a watch from it
// gets a real 410 Gone. Waits for the control plane's compaction (every 20 s). Empty if
// none came within `timeout`.
std::string compacted_resource_version(kube::Client& client, const std::string& ns,
                                       std::chrono::seconds timeout = std::chrono::seconds(120));

// Each test gets a fresh namespace, deleted afterwards.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::shared_ptr<kube::Client> client_;
  std::string namespace_;
};

}  // namespace secprov::testing

#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kube/http.h"

namespace secprov::kube {

// Supplies the bearer token for each request. File-backed sources re-read the file
// when it changes, so a rotated service account token is picked up without a restart.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual std::string token() = 0;
};

std::shared_ptr<TokenSource> static_token(std::string token);
std::shared_ptr<TokenSource> file_token(std::filesystem::path path);

// Everything needed to reach one API server as one user.
struct ClusterConfig {
  std::string server;  // https://host:port
  TlsSettings tls;
  std::shared_ptr<TokenSource> token;  // null: no bearer token (client certificates)
  std::string default_namespace = "default";
  std::string source;  // where it came from, for logs ("kubeconfig /x (context y)", "in-cluster")
};

// Reads a kubeconfig file. Uses `context` when given, else current-context.
// Throws ConfigError naming the field (e.g. "users[admin].user.client-key-data") and why.
ClusterConfig load_kubeconfig(const std::filesystem::path& path,
                              const std::optional<std::string>& context = std::nullopt);

// Parses kubeconfig text; relative file paths resolve against `base_dir`.
ClusterConfig parse_kubeconfig(const std::string& yaml_text, const std::filesystem::path& base_dir,
                               const std::optional<std::string>& context = std::nullopt);

struct InClusterPaths {
  std::filesystem::path token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::filesystem::path ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::filesystem::path namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// KUBERNETES_SERVICE_HOST/PORT plus the mounted service account. Throws ConfigError.
ClusterConfig in_cluster_config(const InClusterPaths& paths = {});

// The usual order: explicit path, $KUBECONFIG, in-cluster, ~/.kube/config.
ClusterConfig load_default_config(const std::optional<std::filesystem::path>& explicit_path,
                                  const std::optional<std::string>& context = std::nullopt);

}  // namespace secprov::kube

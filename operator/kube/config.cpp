#include "kube/config.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "kube/errors.h"

namespace secprov::kube {
namespace {

namespace fs = std::filesystem;

// A token file is re-read at least this often even if its mtime looks unchanged (coarse
// mtime resolution, clock skew on network volumes).
constexpr std::chrono::minutes kTokenRecheck{1};

std::string trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return std::string(text.substr(first, last - first + 1));
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(content).str();
}

std::string not_readable(const fs::path& path) {
  return "file " + path.string() + " not readable";
}

std::string get_env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once at startup
  return value != nullptr ? std::string(value) : std::string{};
}

// Standard alphabet with padding (Go's base64.StdEncoding, which kubectl writes); line breaks
// are tolerated because YAML folding may introduce them.
std::optional<std::string> base64_decode(std::string_view text) {
  constexpr auto kTable = [] {
    std::array<int, 256> table{};
    table.fill(-1);
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
      table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    }
    return table;
  }();

  std::string compact;
  compact.reserve(text.size());
  for (const char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
  }
  if (compact.empty() || compact.size() % 4 != 0) return std::nullopt;

  std::string out;
  out.reserve(compact.size() / 4 * 3);
  for (std::size_t i = 0; i < compact.size(); i += 4) {
    const bool last_group = i + 4 == compact.size();
    std::array<int, 4> sextets{};
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = compact[i + j];
      if (c == '=') {
        // Padding only at the end of the last group, at most two characters.
        if (!last_group || j < 2) return std::nullopt;
        ++padding;
        sextets[j] = 0;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after padding
      sextets[j] = kTable[static_cast<unsigned char>(c)];
      if (sextets[j] < 0) return std::nullopt;
    }
    const auto triple = static_cast<unsigned>((sextets[0] << 18) | (sextets[1] << 12) |
                                              (sextets[2] << 6) | sextets[3]);
    out += static_cast<char>((triple >> 16) & 0xff);
    if (padding < 2) out += static_cast<char>((triple >> 8) & 0xff);
    if (padding < 1) out += static_cast<char>(triple & 0xff);
  }
  return out;
}

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  std::string token() override { return token_; }

 private:
  const std::string token_;
};

// Kubelet rotates projected service account tokens by swapping a symlink; last_write_time
// follows it, so a changed mtime means a new token.
class FileTokenSource final : public TokenSource {
 public:
  explicit FileTokenSource(fs::path path) : path_(std::move(path)) {}

  std::string token() override {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    std::error_code ec;
    const auto mtime = fs::last_write_time(path_, ec);
    const bool changed = !ec && mtime != mtime_;
    const bool stale = !read_at_ || now - *read_at_ >= kTokenRecheck;
    if (token_.empty() || changed || stale) {
      read_at_ = now;
      mtime_ = ec ? fs::file_time_type{} : mtime;
      const auto text = read_file(path_);
      std::string fresh = text ? trim(*text) : std::string{};
      if (!fresh.empty()) {
        token_ = std::move(fresh);
      } else if (!token_.empty()) {
        // Keep serving the last good token: a rotation may be half-way through.
        spdlog::warn("token file {} unreadable or empty; keeping the previous token",
                     path_.string());
      }
    }
    if (token_.empty()) throw ConfigError("token file", not_readable(path_) + " or empty");
    return token_;
  }

 private:
  const fs::path path_;
  std::mutex mutex_;
  std::string token_;
  fs::file_time_type mtime_{};
  std::optional<std::chrono::steady_clock::time_point> read_at_;
};

// --- kubeconfig helpers -------------------------------------------------------------------

// yaml-cpp throws InvalidNode when asking the type of a missing key: check IsDefined first.
bool is_map(const YAML::Node& node) {
  return node.IsDefined() && node.IsMap();
}
bool is_sequence(const YAML::Node& node) {
  return node.IsDefined() && node.IsSequence();
}
bool is_scalar(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar();
}

// Returns a non-empty string value, nullopt when absent/null/empty.
std::optional<std::string> optional_string(const YAML::Node& map, const std::string& key,
                                           const std::string& field) {
  const YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) throw ConfigError(field, "must be a string");
  std::string value = node.Scalar();
  if (value.empty()) return std::nullopt;
  return value;
}

std::string required_string(const YAML::Node& map, const std::string& key,
                            const std::string& field) {
  auto value = optional_string(map, key, field);
  if (!value) throw ConfigError(field, "is not set");
  return std::move(*value);
}

bool optional_bool(const YAML::Node& map, const std::string& key, const std::string& field) {
  const YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) return false;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    throw ConfigError(field, "must be true or false");
  }
  return value;
}

// Finds `list[name].<entry_key>` (clusters[x].cluster, users[y].user, contexts[z].context).
YAML::Node find_entry(const YAML::Node& root, const std::string& list, const std::string& name,
                      const std::string& entry_key) {
  const YAML::Node entries = root[list];
  const std::string field = list + "[" + name + "]";
  if (entries.IsDefined() && !entries.IsNull() && !entries.IsSequence()) {
    throw ConfigError(list, "must be a list");
  }
  if (is_sequence(entries)) {
    for (const YAML::Node& entry : entries) {
      if (!is_map(entry)) continue;
      const YAML::Node entry_name = entry["name"];
      if (!is_scalar(entry_name) || entry_name.Scalar() != name) continue;
      const YAML::Node body = entry[entry_key];
      if (!is_map(body)) throw ConfigError(field + "." + entry_key, "is not set");
      return body;
    }
  }
  throw ConfigError(field, "not found");
}

fs::path resolve(const fs::path& base_dir, const std::string& file) {
  const fs::path path(file);
  return path.is_absolute() ? path : base_dir / path;
}

// `<key>-data` (base64) wins over `<key>` (a file), as in kubectl. Empty: neither set.
std::string inline_or_file(const YAML::Node& map, const std::string& key,
                           const std::string& field_prefix, const fs::path& base_dir) {
  const std::string data_field = field_prefix + "." + key + "-data";
  if (const auto data = optional_string(map, key + "-data", data_field)) {
    auto decoded = base64_decode(*data);
    if (!decoded) throw ConfigError(data_field, "not valid base64");
    return std::move(*decoded);
  }
  const std::string file_field = field_prefix + "." + key;
  if (const auto file = optional_string(map, key, file_field)) {
    const fs::path path = resolve(base_dir, *file);
    auto content = read_file(path);
    if (!content) throw ConfigError(file_field, not_readable(path));
    return std::move(*content);
  }
  return {};
}

// Cheap shape checks so a wrong field fails here, naming it, and not as a TLS handshake error.
void check_pem(const std::string& pem, std::string_view label, const std::string& field) {
  if (pem.find("-----BEGIN " + std::string(label) + "-----") == std::string::npos) {
    throw ConfigError(field, "not a PEM " + std::string(label) + " block");
  }
}

void check_private_key_pem(const std::string& pem, const std::string& field) {
  const auto begin = pem.find("-----BEGIN ");
  if (begin == std::string::npos || pem.find("PRIVATE KEY-----", begin) == std::string::npos) {
    throw ConfigError(field, "not a PEM private key");
  }
}

std::string data_or_file_field(const YAML::Node& map, const std::string& prefix,
                               const std::string& key) {
  return map[key + "-data"].IsDefined() ? prefix + "." + key + "-data" : prefix + "." + key;
}

void read_cluster(const YAML::Node& root, const std::string& name, const fs::path& base_dir,
                  ClusterConfig& config) {
  const std::string prefix = "clusters[" + name + "].cluster";
  const YAML::Node cluster = find_entry(root, "clusters", name, "cluster");

  std::string server = required_string(cluster, "server", prefix + ".server");
  if (server.rfind("https://", 0) != 0) {
    throw ConfigError(prefix + ".server", "cluster server must be https://...");
  }
  while (server.size() > std::string_view("https://").size() && server.back() == '/') {
    server.pop_back();
  }
  config.server = std::move(server);

  config.tls.ca_pem = inline_or_file(cluster, "certificate-authority", prefix, base_dir);
  if (!config.tls.ca_pem.empty()) {
    check_pem(config.tls.ca_pem, "CERTIFICATE",
              data_or_file_field(cluster, prefix, "certificate-authority"));
  }
  config.tls.insecure_skip_verify =
      optional_bool(cluster, "insecure-skip-tls-verify", prefix + ".insecure-skip-tls-verify");
  if (config.tls.insecure_skip_verify) {
    // Same rule as client-go: a CA with the insecure flag is a contradiction, not a choice.
    if (!config.tls.ca_pem.empty()) {
      throw ConfigError(prefix + ".insecure-skip-tls-verify",
                        "cannot be combined with a certificate authority");
    }
    spdlog::warn(
        "cluster {}: insecure-skip-tls-verify is set, the API server's certificate "
        "is NOT verified",
        name);
  }
  if (cluster["tls-server-name"].IsDefined()) {
    spdlog::warn("cluster {}: tls-server-name is not supported; verifying the server URL's host",
                 name);
  }
}

void read_user(const YAML::Node& root, const std::string& name, const fs::path& base_dir,
               ClusterConfig& config) {
  const std::string prefix = "users[" + name + "].user";
  const YAML::Node user = find_entry(root, "users", name, "user");

  config.tls.client_cert_pem = inline_or_file(user, "client-certificate", prefix, base_dir);
  config.tls.client_key_pem = inline_or_file(user, "client-key", prefix, base_dir);
  const bool has_cert = !config.tls.client_cert_pem.empty();
  const bool has_key = !config.tls.client_key_pem.empty();
  if (has_cert != has_key) {
    const std::string missing = has_cert ? "client-key" : "client-certificate";
    throw ConfigError(prefix + "." + missing + "-data",
                      std::string("is not set (needed with ") +
                          (has_cert ? "client-certificate" : "client-key") + ")");
  }
  if (has_cert) {
    check_pem(config.tls.client_cert_pem, "CERTIFICATE",
              data_or_file_field(user, prefix, "client-certificate"));
    check_private_key_pem(config.tls.client_key_pem,
                          data_or_file_field(user, prefix, "client-key"));
  }

  // A token wins over tokenFile, as documented for kubeconfig's AuthInfo.
  if (auto token = optional_string(user, "token", prefix + ".token")) {
    config.token = static_token(std::move(*token));
  } else if (const auto file = optional_string(user, "tokenFile", prefix + ".tokenFile")) {
    const fs::path path = resolve(base_dir, *file);
    const auto content = read_file(path);
    if (!content) throw ConfigError(prefix + ".tokenFile", not_readable(path));
    if (trim(*content).empty())
      throw ConfigError(prefix + ".tokenFile", "file " + path.string() + " is empty");
    config.token = file_token(path);
  }

  if (!has_cert && !config.token) {
    for (const char* plugin : {"exec", "auth-provider", "username"}) {
      if (user[plugin].IsDefined()) {
        throw ConfigError(prefix + "." + plugin,
                          "is not supported; use a token, tokenFile or client certificate");
      }
    }
  }
}

}  // namespace

std::shared_ptr<TokenSource> static_token(std::string token) {
  return std::make_shared<StaticTokenSource>(std::move(token));
}

std::shared_ptr<TokenSource> file_token(std::filesystem::path path) {
  return std::make_shared<FileTokenSource>(std::move(path));
}

namespace {

// `origin` prefixes ClusterConfig::source ("kubeconfig" or "kubeconfig /path").
ClusterConfig parse(const std::string& yaml_text, const fs::path& base_dir,
                    const std::optional<std::string>& context, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    // e.msg names the syntax problem only; the offending text (maybe a key) is not quoted.
    throw ConfigError("kubeconfig",
                      "not valid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) throw ConfigError("kubeconfig", "is not a YAML mapping");

  std::string context_name;
  if (context && !context->empty()) {
    context_name = *context;
  } else {
    auto current = optional_string(root, "current-context", "current-context");
    if (!current) throw ConfigError("current-context", "is not set and no context was given");
    context_name = std::move(*current);
  }

  const std::string context_prefix = "contexts[" + context_name + "].context";
  const YAML::Node ctx = find_entry(root, "contexts", context_name, "context");
  const std::string cluster_name = required_string(ctx, "cluster", context_prefix + ".cluster");
  const auto user_name = optional_string(ctx, "user", context_prefix + ".user");

  ClusterConfig config;
  read_cluster(root, cluster_name, base_dir, config);
  if (user_name) read_user(root, *user_name, base_dir, config);
  if (auto ns = optional_string(ctx, "namespace", context_prefix + ".namespace")) {
    config.default_namespace = std::move(*ns);
  }
  config.source = origin + " (context " + context_name + ")";
  return config;
}

// A structure this file did not anticipate still ends as a ConfigError. yaml-cpp messages
// name keys, never values.
ClusterConfig parse_guarded(const std::string& yaml_text, const fs::path& base_dir,
                            const std::optional<std::string>& context, const std::string& origin) {
  try {
    return parse(yaml_text, base_dir, context, origin);
  } catch (const YAML::Exception& e) {
    throw ConfigError("kubeconfig", "unexpected structure: " + e.msg);
  }
}

}  // namespace

ClusterConfig parse_kubeconfig(const std::string& yaml_text, const std::filesystem::path& base_dir,
                               const std::optional<std::string>& context) {
  return parse_guarded(yaml_text, base_dir, context, "kubeconfig");
}

ClusterConfig load_kubeconfig(const std::filesystem::path& path,
                              const std::optional<std::string>& context) {
  const auto text = read_file(path);
  if (!text) throw ConfigError("kubeconfig", not_readable(path));
  const fs::path base_dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  return parse_guarded(*text, base_dir, context, "kubeconfig " + path.string());
}

ClusterConfig in_cluster_config(const InClusterPaths& paths) {
  const std::string host = get_env("KUBERNETES_SERVICE_HOST");
  const std::string port = get_env("KUBERNETES_SERVICE_PORT");
  if (host.empty()) throw ConfigError("KUBERNETES_SERVICE_HOST", "is not set");
  if (port.empty()) throw ConfigError("KUBERNETES_SERVICE_PORT", "is not set");
  if (port.find_first_not_of("0123456789") != std::string::npos) {
    throw ConfigError("KUBERNETES_SERVICE_PORT", "is not a port number");
  }

  ClusterConfig config;
  // An IPv6 literal needs brackets in a URL.
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;

  const auto token = read_file(paths.token);
  if (!token) throw ConfigError("in-cluster token", not_readable(paths.token));
  if (trim(*token).empty())
    throw ConfigError("in-cluster token", "file " + paths.token.string() + " is empty");
  config.token = file_token(paths.token);

  auto ca = read_file(paths.ca);
  if (!ca) throw ConfigError("in-cluster ca.crt", not_readable(paths.ca));
  check_pem(*ca, "CERTIFICATE", "in-cluster ca.crt");
  config.tls.ca_pem = std::move(*ca);

  // The namespace file is optional (older or customised mounts).
  if (const auto ns = read_file(paths.namespace_file)) {
    if (auto trimmed = trim(*ns); !trimmed.empty()) config.default_namespace = std::move(trimmed);
  }
  config.source = "in-cluster";
  return config;
}

ClusterConfig load_default_config(const std::optional<std::filesystem::path>& explicit_path,
                                  const std::optional<std::string>& context) {
  if (explicit_path && !explicit_path->empty()) return load_kubeconfig(*explicit_path, context);

  // Only the first entry of a KUBECONFIG list is used; kubectl merges them.
  const std::string kubeconfig_env = get_env("KUBECONFIG");
  const std::string first = kubeconfig_env.substr(0, kubeconfig_env.find(':'));
  if (!first.empty()) return load_kubeconfig(first, context);

  if (!get_env("KUBERNETES_SERVICE_HOST").empty()) {
    if (context) spdlog::warn("running in-cluster: kube context {} is ignored", *context);
    return in_cluster_config();
  }

  if (const std::string home = get_env("HOME"); !home.empty()) {
    const fs::path path = fs::path(home) / ".kube" / "config";
    std::error_code ec;
    if (fs::exists(path, ec)) return load_kubeconfig(path, context);
  }
  throw ConfigError("kubeconfig",
                    "none found: pass a kubeconfig path, set KUBECONFIG, run in a cluster or "
                    "create ~/.kube/config");
}

}  // namespace secprov::kube

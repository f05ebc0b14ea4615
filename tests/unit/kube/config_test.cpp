#include "kube/config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "kube/errors.h"
#include "test_support.h"

namespace secprov::kube {
namespace {

using testing::base64;
using testing::EnvGuard;
using testing::kFakeCertPem;
using testing::kFakeKeyPem;
using testing::TempDir;

// Two contexts over one cluster: dev (client certificate, namespace ops) and ci (token).
std::string kubeconfig(const std::string& cluster_extra = {}, const std::string& admin_extra = {}) {
  return R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: )" +
         base64(kFakeCertPem) + "\n" + cluster_extra + R"(
contexts:
- name: dev
  context:
    cluster: local
    user: admin
    namespace: ops
- name: ci
  context:
    cluster: local
    user: robot
users:
- name: admin
  user:
    client-certificate-data: )" +
         base64(kFakeCertPem) + R"(
    client-key-data: )" +
         base64(kFakeKeyPem) + "\n" + admin_extra + R"(
- name: robot
  user:
    token: s3cr3t-token-value
)";
}

// Expects parse_kubeconfig to throw ConfigError naming `field` with `reason_part` in the reason.
void expect_config_error(const std::string& yaml, const std::string& field,
                         const std::string& reason_part,
                         const std::optional<std::string>& context = std::nullopt,
                         const std::filesystem::path& base_dir = "/nonexistent") {
  try {
    (void)parse_kubeconfig(yaml, base_dir, context);
    ADD_FAILURE() << "expected ConfigError for " << field;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
  }
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::logic_error("test bug: no " + from);
  return text.replace(at, from.size(), to);
}

TEST(Kubeconfig, CurrentContextWithInlineData) {
  const ClusterConfig config = parse_kubeconfig(kubeconfig(), "/nonexistent");
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(config.tls.ca_pem, kFakeCertPem);
  EXPECT_EQ(config.tls.client_cert_pem, kFakeCertPem);
  EXPECT_EQ(config.tls.client_key_pem, kFakeKeyPem);
  EXPECT_FALSE(config.tls.insecure_skip_verify);
  EXPECT_EQ(config.token, nullptr);
  EXPECT_EQ(config.default_namespace, "ops");
  EXPECT_EQ(config.source, "kubeconfig (context dev)");
}

TEST(Kubeconfig, NamedContextWithToken) {
  const ClusterConfig config = parse_kubeconfig(kubeconfig(), "/nonexistent", "ci");
  ASSERT_NE(config.token, nullptr);
  EXPECT_EQ(config.token->token(), "s3cr3t-token-value");
  EXPECT_TRUE(config.tls.client_cert_pem.empty());
  EXPECT_EQ(config.default_namespace, "default");
  EXPECT_EQ(config.source, "kubeconfig (context ci)");
}

TEST(Kubeconfig, FilesResolveAgainstTheKubeconfigDirectory) {
  const TempDir dir;
  dir.write("pki/ca.crt", kFakeCertPem);
  dir.write("pki/admin.crt", kFakeCertPem);
  dir.write("pki/admin.key", kFakeKeyPem);
  dir.write("robot.token", "file-token\n");
  const std::string yaml = R"(current-context: dev
clusters:
- name: local
  cluster:
    server: https://10.0.0.1:443
    certificate-authority: pki/ca.crt
contexts:
- name: dev
  context: {cluster: local, user: admin}
- name: ci
  context: {cluster: local, user: robot}
users:
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key: )" + (dir.path() / "pki/admin.key").string() +
                           R"(
- name: robot
  user:
    tokenFile: robot.token
)";
  const auto path = dir.write("config", yaml);

  const ClusterConfig dev = load_kubeconfig(path);
  EXPECT_EQ(dev.tls.ca_pem, kFakeCertPem);
  EXPECT_EQ(dev.tls.client_cert_pem, kFakeCertPem);
  EXPECT_EQ(dev.tls.client_key_pem, kFakeKeyPem);
  EXPECT_EQ(dev.source, "kubeconfig " + path.string() + " (context dev)");

  const ClusterConfig ci = load_kubeconfig(path, "ci");
  ASSERT_NE(ci.token, nullptr);
  EXPECT_EQ(ci.token->token(), "file-token");
}

TEST(Kubeconfig, MissingPiecesNameTheField) {
  const std::string good = kubeconfig();
  expect_config_error(replace(good, "current-context: dev\n", ""), "current-context", "is not set");
  expect_config_error(good, "contexts[nope]", "not found", "nope");
  expect_config_error(replace(good, "    cluster: local\n    user: admin\n", "    user: admin\n"),
                      "contexts[dev].context.cluster", "is not set");
  expect_config_error(
      replace(good, "    cluster: local\n    user: admin", "    cluster: other\n    user: admin"),
      "clusters[other]", "not found");
  expect_config_error(replace(good, "user: admin", "user: nobody"), "users[nobody]", "not found");
  expect_config_error(replace(good, "    server: https://127.0.0.1:6443/\n", ""),
                      "clusters[local].cluster.server", "is not set");
  expect_config_error(replace(good, "https://127.0.0.1:6443/", "http://127.0.0.1:8080"),
                      "clusters[local].cluster.server", "must be https://");
  expect_config_error(replace(good, "    client-key-data: " + base64(kFakeKeyPem) + "\n", ""),
                      "users[admin].user.client-key-data", "is not set");
  expect_config_error(replace(good, "- name: dev\n  context:\n", "- name: dev\n  contextx:\n"),
                      "contexts[dev].context", "is not set");
  expect_config_error("clusters: [", "kubeconfig", "not valid YAML");
  expect_config_error("- just\n- a list\n", "kubeconfig", "not a YAML mapping");
  expect_config_error(replace(good, "clusters:\n", "clusters: {}\nignored:\n"), "clusters",
                      "must be a list");
}

TEST(Kubeconfig, MissingFileNamesFieldAndPath) {
  const std::string yaml =
      replace(kubeconfig(), "certificate-authority-data: " + base64(kFakeCertPem),
              "certificate-authority: ca.crt");
  expect_config_error(yaml, "clusters[local].cluster.certificate-authority",
                      "file /nonexistent/ca.crt not readable");
}

TEST(Kubeconfig, BadBase64NeverEchoesTheData) {
  const std::string secret_looking = "c2VjcmV0!!notbase64";
  const std::string yaml = replace(kubeconfig(), "client-key-data: " + base64(kFakeKeyPem),
                                   "client-key-data: " + secret_looking);
  try {
    (void)parse_kubeconfig(yaml, "/nonexistent");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "users[admin].user.client-key-data");
    EXPECT_EQ(e.reason(), "not valid base64");
    EXPECT_EQ(std::string(e.what()).find("c2VjcmV0"), std::string::npos);
  }
}

TEST(Kubeconfig, DecodedDataMustBePem) {
  const std::string yaml = replace(kubeconfig(), "client-key-data: " + base64(kFakeKeyPem),
                                   "client-key-data: " + base64("just some bytes"));
  expect_config_error(yaml, "users[admin].user.client-key-data", "not a PEM private key");
  const std::string ca =
      replace(kubeconfig(), "certificate-authority-data: " + base64(kFakeCertPem),
              "certificate-authority-data: " + base64("nope"));
  expect_config_error(ca, "clusters[local].cluster.certificate-authority-data", "not a PEM");
}

TEST(Kubeconfig, ErrorsNeverIncludeTheToken) {
  // The robot user has a token; break the cluster so parsing fails after reading it.
  const std::string yaml = replace(kubeconfig(), "https://127.0.0.1:6443/", "ftp://x");
  try {
    (void)parse_kubeconfig(yaml, "/nonexistent", "ci");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos);
  }
}

TEST(Kubeconfig, InsecureSkipVerify) {
  const std::string yaml =
      replace(kubeconfig(), "    certificate-authority-data: " + base64(kFakeCertPem),
              "    insecure-skip-tls-verify: true");
  const ClusterConfig config = parse_kubeconfig(yaml, "/nonexistent");
  EXPECT_TRUE(config.tls.insecure_skip_verify);
  EXPECT_TRUE(config.tls.ca_pem.empty());

  // client-go refuses a CA together with the insecure flag; so do we.
  expect_config_error(kubeconfig("    insecure-skip-tls-verify: true"),
                      "clusters[local].cluster.insecure-skip-tls-verify", "cannot be combined");
  expect_config_error(kubeconfig("    insecure-skip-tls-verify: maybe"),
                      "clusters[local].cluster.insecure-skip-tls-verify", "true or false");
}

TEST(Kubeconfig, UnsupportedCredentialPluginsAreNamed) {
  const std::string yaml =
      replace(kubeconfig(), "    token: s3cr3t-token-value\n", "    exec:\n      command: aws\n");
  expect_config_error(yaml, "users[robot].user.exec", "not supported", "ci");
}

TEST(Kubeconfig, UnreadableTokenFile) {
  const std::string yaml = replace(kubeconfig(), "    token: s3cr3t-token-value\n",
                                   "    tokenFile: /nonexistent/token\n");
  expect_config_error(yaml, "users[robot].user.tokenFile", "file /nonexistent/token not readable",
                      "ci");
}

TEST(Kubeconfig, LoadMissingFile) {
  try {
    (void)load_kubeconfig("/nonexistent/kubeconfig");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "kubeconfig");
    EXPECT_EQ(e.reason(), "file /nonexistent/kubeconfig not readable");
  }
}

TEST(FileToken, PicksUpARotatedToken) {
  const TempDir dir;
  const auto path = dir.write("token", "first\n");
  const auto source = file_token(path);
  EXPECT_EQ(source->token(), "first");

  dir.write("token", "second\n");
  // Make the change visible even on file systems with coarse timestamps.
  std::filesystem::last_write_time(
      path, std::filesystem::last_write_time(path) + std::chrono::seconds(5));
  EXPECT_EQ(source->token(), "second");
}

TEST(FileToken, KeepsTheLastGoodTokenWhileTheFileIsMissing) {
  const TempDir dir;
  const auto path = dir.write("token", "only\n");
  const auto source = file_token(path);
  EXPECT_EQ(source->token(), "only");
  std::filesystem::remove(path);
  EXPECT_EQ(source->token(), "only");
}

TEST(FileToken, ThrowsWhenNeverReadable) {
  const auto source = file_token("/nonexistent/token");
  EXPECT_THROW((void)source->token(), ConfigError);
}

TEST(StaticToken, ReturnsTheToken) {
  EXPECT_EQ(static_token("abc")->token(), "abc");
}

class InCluster : public ::testing::Test {
 protected:
  InClusterPaths paths() const {
    return InClusterPaths{dir.path() / "token", dir.path() / "ca.crt", dir.path() / "namespace"};
  }
  TempDir dir;
};

TEST_F(InCluster, ReadsEnvironmentAndMountedFiles) {
  dir.write("token", "sa-token\n");
  dir.write("ca.crt", kFakeCertPem);
  dir.write("namespace", "secprov-system\n");
  const EnvGuard host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  const EnvGuard port("KUBERNETES_SERVICE_PORT", "443");

  const ClusterConfig config = in_cluster_config(paths());
  EXPECT_EQ(config.server, "https://10.96.0.1:443");
  ASSERT_NE(config.token, nullptr);
  EXPECT_EQ(config.token->token(), "sa-token");
  EXPECT_EQ(config.tls.ca_pem, kFakeCertPem);
  EXPECT_EQ(config.default_namespace, "secprov-system");
  EXPECT_EQ(config.source, "in-cluster");
}

TEST_F(InCluster, BracketsAnIpv6HostAndDefaultsTheNamespace) {
  dir.write("token", "sa-token");
  dir.write("ca.crt", kFakeCertPem);
  const EnvGuard host("KUBERNETES_SERVICE_HOST", "fd00:10:96::1");
  const EnvGuard port("KUBERNETES_SERVICE_PORT", "6443");

  const ClusterConfig config = in_cluster_config(paths());
  EXPECT_EQ(config.server, "https://[fd00:10:96::1]:6443");
  EXPECT_EQ(config.default_namespace, "default");
}

TEST_F(InCluster, MissingPiecesNameTheField) {
  {
    const EnvGuard host("KUBERNETES_SERVICE_HOST", std::nullopt);
    try {
      (void)in_cluster_config(paths());
      FAIL();
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.field(), "KUBERNETES_SERVICE_HOST");
    }
  }
  const EnvGuard host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  const EnvGuard port("KUBERNETES_SERVICE_PORT", "443");
  try {
    (void)in_cluster_config(paths());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "in-cluster token");
    EXPECT_NE(e.reason().find("not readable"), std::string::npos);
  }
  dir.write("token", "sa-token");
  try {
    (void)in_cluster_config(paths());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "in-cluster ca.crt");
  }
}

class DefaultConfig : public ::testing::Test {
 protected:
  TempDir dir;
  const EnvGuard kubeconfig_env{"KUBECONFIG", std::nullopt};
  const EnvGuard host{"KUBERNETES_SERVICE_HOST", std::nullopt};
  const EnvGuard home{"HOME", dir.path().string()};
};

TEST_F(DefaultConfig, ExplicitPathWins) {
  const auto explicit_path = dir.write("explicit", kubeconfig());
  const EnvGuard env("KUBECONFIG", "/nonexistent/a");
  EXPECT_EQ(load_default_config(explicit_path).source,
            "kubeconfig " + explicit_path.string() + " (context dev)");
}

TEST_F(DefaultConfig, FirstKubeconfigEntryThenHome) {
  const auto first = dir.write("first", kubeconfig());
  {
    const EnvGuard env("KUBECONFIG", first.string() + ":/nonexistent/second");
    EXPECT_EQ(load_default_config(std::nullopt, "ci").source,
              "kubeconfig " + first.string() + " (context ci)");
  }
  EXPECT_THROW((void)load_default_config(std::nullopt), ConfigError);
  const auto home_config = dir.write(".kube/config", kubeconfig());
  EXPECT_EQ(load_default_config(std::nullopt).source,
            "kubeconfig " + home_config.string() + " (context dev)");
}

TEST_F(DefaultConfig, InClusterBeforeHome) {
  dir.write(".kube/config", kubeconfig());
  const EnvGuard in_cluster("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  const EnvGuard no_port("KUBERNETES_SERVICE_PORT", std::nullopt);
  // In-cluster loading is tried (and fails on the missing port) although ~/.kube/config exists.
  try {
    (void)load_default_config(std::nullopt);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "KUBERNETES_SERVICE_PORT");
  }
}

TEST_F(DefaultConfig, NothingFound) {
  try {
    (void)load_default_config(std::nullopt);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "kubeconfig");
  }
}

}  // namespace
}  // namespace secprov::kube

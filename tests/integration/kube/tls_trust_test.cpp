// The transport trusts the CA of its configuration only, as client-go does: a server whose
// certificate chains to a root of the system store (here OpenSSL's default CA file, pointed at
// a test CA through SSL_CERT_FILE) but not to the configured CA is refused, and so is a
// certificate of the configured CA for another host. The peer is a real `openssl s_server`.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "crypto/authority.h"
#include "crypto/key.h"
#include "kube/errors.h"
#include "kube/http.h"
#include "support/cluster.h"
#include "support/process.h"

namespace secprov::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

crypto::DistinguishedName organization(const std::string& name) {
  crypto::DistinguishedName dn;
  dn.country = "FR";
  dn.organization = name;
  return dn;
}

kube::TlsSettings trusting_only(const crypto::CertificateAuthority& ca) {
  kube::TlsSettings tls;
  tls.ca_pem = ca.certificate().to_pem();
  return tls;
}

// Points OpenSSL's default verify paths at one file for the test's lifetime.
class SystemStoreOverride {
 public:
  explicit SystemStoreOverride(const fs::path& ca_file) {
    if (const char* old = std::getenv("SSL_CERT_FILE")) previous_ = old;
    ::setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
  }
  SystemStoreOverride(const SystemStoreOverride&) = delete;
  SystemStoreOverride& operator=(const SystemStoreOverride&) = delete;
  ~SystemStoreOverride() {
    if (previous_) {
      ::setenv("SSL_CERT_FILE", previous_->c_str(), 1);
    } else {
      ::unsetenv("SSL_CERT_FILE");
    }
  }

 private:
  std::optional<std::string> previous_;
};

// `openssl s_server -www` with dir/server.pem and dir/server.key, on a port the kernel picks.
ChildProcess serve_www(const fs::path& dir) {
  return ChildProcess(
      {"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
       (dir / "server.pem").string(), "-key", (dir / "server.key").string(), "-www"},
      dir / "s_server.log");
}

// The port s_server prints once it accepts connections; 0 when it never does.
int accepting_port(const ChildProcess& server) {
  int port = 0;
  eventually([&] {
    const auto text = server.log();
    const auto at = text.find("ACCEPT 127.0.0.1:");
    if (at == std::string::npos) return false;
    port = std::stoi(text.substr(at + 17));
    return true;
  });
  return port;
}

TEST(TransportTrust, OnlyTheConfiguredCaIsTrustedNotTheSystemStore) {
  const auto dir = fs::temp_directory_path() / ("secprov-tls-trust-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto now = std::chrono::system_clock::now();
  const auto system_ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, organization("system root"), 24h, now - 1h);
  const auto cluster_ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, organization("cluster"), 24h, now - 1h);
  const auto server_key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  crypto::CertificateTemplate request;
  request.subject = organization("apiserver");
  request.ip_addresses = {"127.0.0.1"};
  request.not_before = now - 1h;
  request.not_after = now + 1h;
  const auto server_certificate = system_ca.issue(server_key, request, now);
  write(dir / "server.pem", server_certificate.to_pem());
  write(dir / "server.key", server_key.to_pkcs8_pem());
  write(dir / "system-roots.pem", system_ca.certificate().to_pem());

  const ChildProcess server = serve_www(dir);
  const int port = accepting_port(server);
  ASSERT_NE(port, 0) << server.log();

  const SystemStoreOverride system_store(dir / "system-roots.pem");
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  const kube::HttpRequest get{.method = "GET", .target = "/", .headers = {}, .body = {}};

  // The control: with the server's CA configured the same server answers, so a refusal
  // below is about trust, not about the server.
  const auto trusting = kube::make_http_transport(url, trusting_only(system_ca), 10s);
  EXPECT_EQ(trusting->send(get).status, 200);

  const auto cluster_only = kube::make_http_transport(url, trusting_only(cluster_ca), 10s);
  try {
    const auto response = cluster_only->send(get);
    ADD_FAILURE() << "a server certificate from a root outside the configured CA was accepted "
                     "(status "
                  << response.status << ")";
  } catch (const kube::ApiError& e) {
    EXPECT_EQ(e.kind(), kube::ErrorKind::Transport) << e.what();
  }
  fs::remove_all(dir);
}

TEST(TransportTrust, TheServersAddressOrNameMustBeInItsCertificate) {
  // The transport checks the URL's host against the certificate's SANs itself (an IP address
  // as an iPAddress entry, a name as a dNSName entry): a certificate of the trusted CA for
  // another host is refused, unless verification is switched off.
  const auto dir = fs::temp_directory_path() / ("secprov-tls-host-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto now = std::chrono::system_clock::now();
  const auto ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, organization("cluster"), 24h, now - 1h);
  const auto server_key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  crypto::CertificateTemplate request;
  request.subject = organization("apiserver");
  request.dns_names = {"apiserver.invalid"};
  request.ip_addresses = {"127.0.0.2"};
  request.not_before = now - 1h;
  request.not_after = now + 1h;
  write(dir / "server.pem", ca.issue(server_key, request, now).to_pem());
  write(dir / "server.key", server_key.to_pkcs8_pem());

  const ChildProcess server = serve_www(dir);
  const int port = accepting_port(server);
  ASSERT_NE(port, 0) << server.log();
  const kube::HttpRequest get{.method = "GET", .target = "/", .headers = {}, .body = {}};

  for (const std::string host : {"127.0.0.1", "localhost"}) {
    const auto transport = kube::make_http_transport("https://" + host + ":" + std::to_string(port),
                                                     trusting_only(ca), 10s);
    try {
      const auto response = transport->send(get);
      ADD_FAILURE() << "a certificate for apiserver.invalid / 127.0.0.2 was accepted for " << host
                    << " (status " << response.status << ")";
    } catch (const kube::ApiError& e) {
      EXPECT_EQ(e.kind(), kube::ErrorKind::Transport) << e.what();
      EXPECT_NE(std::string(e.what()).find("not accepted"), std::string::npos) << e.what();
    }
  }
  // The control: the same server answers when verification is off, so the refusals above are
  // about the host, not about the server.
  kube::TlsSettings unverified = trusting_only(ca);
  unverified.insecure_skip_verify = true;
  const auto insecure =
      kube::make_http_transport("https://127.0.0.1:" + std::to_string(port), unverified, 10s);
  EXPECT_EQ(insecure->send(get).status, 200);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace secprov::testing

#include "webhook/serving.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "crypto/csr.h"
#include "crypto/encoding.h"
#include "support/free_port.h"

namespace secprov::webhook {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::system_clock;

const auto kNow = system_clock::time_point(std::chrono::seconds(1'800'000'000));

ServingOptions options() {
  ServingOptions o;
  o.operator_namespace = "secprov-system";
  o.service_name = "secprov-webhook";
  o.extra_dns_names = {"webhook.example.org"};
  o.extra_ip_addresses = {"127.0.0.1"};
  return o;
}

crypto::CertificateAuthority make_ca(system_clock::time_point now = kNow) {
  crypto::DistinguishedName subject;
  subject.common_name = "test-ca";
  return crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256, subject,
                                                          hours(24 * 3650), now - hours(1));
}

crypto::Certificate issue(const crypto::CertificateAuthority& ca, crypto::CertificateTemplate t,
                          const crypto::PrivateKey& key, system_clock::time_point now) {
  return ca.sign(crypto::CertificateSigningRequest::create(key, t), t, now);
}

TEST(ServingTemplate, ServiceNameThenExtras) {
  const auto t = serving_template(options(), kNow);
  EXPECT_EQ(t.dns_names, (std::vector<std::string>{"secprov-webhook.secprov-system.svc",
                                                   "webhook.example.org"}));
  EXPECT_EQ(t.ip_addresses, (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_TRUE(t.server_auth);
  EXPECT_FALSE(t.client_auth);
  EXPECT_EQ(t.not_after, kNow + options().certificate_validity);
}

// A regression: a long namespace made the CN longer than X.520's 64 characters and nothing
// could be issued. The name stays in the SAN; the CN is left out.
TEST(ServingTemplate, LongServiceNameOnlyInTheSan) {
  auto long_ns = options();
  long_ns.operator_namespace = "it-apiservercallsthevalidatingwebhookove-zccopr";
  const auto t = serving_template(long_ns, kNow);
  EXPECT_EQ(t.dns_names.front(),
            "secprov-webhook.it-apiservercallsthevalidatingwebhookove-zccopr.svc");
  EXPECT_TRUE(t.subject.common_name.empty());
  EXPECT_EQ(t.subject.organization, "secprov");
  const auto ca = make_ca();
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  const auto cert = issue(ca, t, key, kNow);
  EXPECT_EQ(cert.dns_names(), t.dns_names);
  EXPECT_EQ(serving_template(options(), kNow).subject.common_name,
            "secprov-webhook.secprov-system.svc");
}

TEST(ServingReissueReason, Table) {
  const auto ca = make_ca();
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  const auto good = issue(ca, serving_template(options(), kNow), key, kNow);
  EXPECT_EQ(serving_reissue_reason(nullptr, ca.certificate(), options(), kNow), "Missing");
  EXPECT_EQ(serving_reissue_reason(&good, ca.certificate(), options(), kNow), std::nullopt);
  EXPECT_EQ(serving_reissue_reason(&good, make_ca().certificate(), options(), kNow),
            "IssuerChanged");
  auto more = options();
  more.extra_ip_addresses.push_back("::1");
  EXPECT_EQ(serving_reissue_reason(&good, ca.certificate(), more, kNow), "SansChanged");
  // 90 days valid, renewed 30 days before: fine at day 59, due at day 60.
  EXPECT_EQ(serving_reissue_reason(&good, ca.certificate(), options(), kNow + hours(24 * 59)),
            std::nullopt);
  EXPECT_EQ(serving_reissue_reason(&good, ca.certificate(), options(), kNow + hours(24 * 61)),
            "RenewalDue");
}

TEST(CaBundleApply, SetsOnlyCaBundleOfEveryWebhook) {
  const json config = json::parse(R"({
    "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
    "metadata": {"name": "secprov", "labels": {"app.kubernetes.io/managed-by": "secprov"},
                 "resourceVersion": "12"},
    "webhooks": [
      {"name": "profiles.secprov.io", "sideEffects": "None", "admissionReviewVersions": ["v1"],
       "clientConfig": {"url": "https://127.0.0.1:9443/validate-securityprofile"}},
      {"name": "other.secprov.io", "sideEffects": "None", "admissionReviewVersions": ["v1"],
       "clientConfig": {"service": {"name": "s", "namespace": "n"}, "caBundle": "b2xk"}}]})");
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n";
  const auto body = ca_bundle_apply(config, pem);
  ASSERT_TRUE(body);
  const json expected = {{"apiVersion", "admissionregistration.k8s.io/v1"},
                         {"kind", "ValidatingWebhookConfiguration"},
                         {"metadata", {{"name", "secprov"}}},
                         {"webhooks",
                          {{{"name", "profiles.secprov.io"},
                            {"clientConfig", {{"caBundle", crypto::base64_encode(pem)}}}},
                           {{"name", "other.secprov.io"},
                            {"clientConfig", {{"caBundle", crypto::base64_encode(pem)}}}}}}};
  EXPECT_EQ(*body, expected);

  auto injected = config;
  for (auto& webhook : injected["webhooks"])
    webhook["clientConfig"]["caBundle"] = crypto::base64_encode(pem);
  EXPECT_EQ(ca_bundle_apply(injected, pem), std::nullopt) << "nothing to write twice";
}

TEST(ManagedBySecprov, OnlyTheExactLabel) {
  EXPECT_TRUE(managed_by_secprov(
      {{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", "secprov"}}}}}}));
  EXPECT_FALSE(
      managed_by_secprov({{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", "helm"}}}}}}));
  EXPECT_FALSE(managed_by_secprov({{"metadata", {{"name", "x"}}}}));
  EXPECT_FALSE(managed_by_secprov(json::object()));
}

// Helm relabels what it installs app.kubernetes.io/managed-by=Helm: the chart's webhook
// configurations are recognised by secprov.io/inject-ca-bundle=true instead.
TEST(CaBundleInjectable, ManagedByOrTheInjectLabel) {
  EXPECT_TRUE(ca_bundle_injectable(
      {{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", "secprov"}}}}}}));
  EXPECT_TRUE(ca_bundle_injectable(
      {{"metadata",
        {{"labels",
          {{"app.kubernetes.io/managed-by", "Helm"}, {"secprov.io/inject-ca-bundle", "true"}}}}}}));
  EXPECT_FALSE(ca_bundle_injectable(
      {{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", "Helm"}}}}}}));
  EXPECT_FALSE(ca_bundle_injectable(
      {{"metadata", {{"labels", {{"secprov.io/inject-ca-bundle", "false"}}}}}}));
  EXPECT_FALSE(ca_bundle_injectable({{"metadata", {{"labels", "not a map"}}}}));
  EXPECT_FALSE(ca_bundle_injectable(json::object()));
}

// The serial the server presents, through `openssl s_client` verifying against `ca_file`;
// empty when the handshake or the verification failed.
std::string served_serial(std::uint16_t port, const std::filesystem::path& ca_file) {
  const std::string command =
      "openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " +
      ca_file.string() +
      " -verify_return_error -verify_ip 127.0.0.1 </dev/null 2>/dev/null | openssl x509 "
      "-noout -serial 2>/dev/null";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  const auto eq = out.find('=');
  if (eq == std::string::npos) return {};
  std::string serial = out.substr(eq + 1);
  serial.erase(std::remove(serial.begin(), serial.end(), '\n'), serial.end());
  std::ranges::transform(serial, serial.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return serial;
}

void write(const std::filesystem::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// http/cpprest_server.cpp: the files are read again per connection when they changed, so a
// rotated certificate is served without a restart, and a half-rotated pair (the certificate
// written, its key not yet) keeps the previous pair in service.
TEST(ServingRotation, NewCertificateServedWithoutRestart) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("secprov-unit-webhook-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto now = system_clock::now();
  const auto ca = make_ca(now);
  write(dir / "ca.crt", ca.certificate().to_pem());
  const auto key1 = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  const auto cert1 = issue(ca, serving_template(options(), now), key1, now);
  write(dir / "tls.crt", cert1.to_pem());
  write(dir / "tls.key", key1.to_pkcs8_pem());

  const auto port = secprov::testing::free_loopback_port();
  auto server = http::start_server({.address = "127.0.0.1",
                                    .port = port,
                                    .tls = http::ServerTls{dir / "tls.crt", dir / "tls.key"}},
                                   {{"/x", [](const http::Request&) { return http::Response{}; }}});
  EXPECT_EQ(served_serial(port, dir / "ca.crt"), cert1.serial_hex());

  // Half a rotation: a new certificate whose key is not written yet.
  const auto key2 = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  const auto cert2 = issue(ca, serving_template(options(), now), key2, now);
  write(dir / "tls.crt", cert2.to_pem());
  EXPECT_EQ(served_serial(port, dir / "ca.crt"), cert1.serial_hex());

  write(dir / "tls.key", key2.to_pkcs8_pem());
  EXPECT_EQ(served_serial(port, dir / "ca.crt"), cert2.serial_hex());
  server->stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace secprov::webhook

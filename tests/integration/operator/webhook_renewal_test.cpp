// Issue 9, "Webhook serving": the operator rotates its webhook serving certificate before
// expiry without a restart, end to end. The test overwrites Secret secprov-webhook-tls with a
// certificate it signs with the operator's bootstrap CA (Secret secprov-webhook-ca), with the
// right SANs but valid for less than the renew window (ServingOptions::renew_before, 30 days).
// Then: the operator replaces it (reason RenewalDue), the webhook port serves the new serial
// from the same process, and the real kube-apiserver still calls the webhook over the
// injected caBundle (kubectl shows the webhook's refusal).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/encoding.h"
#include "crypto/key.h"
#include "operator_fixture.h"
#include "support/webhook_fixture.h"

namespace secprov::testing {
namespace {

using namespace std::chrono_literals;

using WebhookRenewalTest = OperatorTest;

TEST_F(WebhookRenewalTest, NearExpiryServingCertificateIsReplacedAndServedWithoutRestart) {
  const auto domain = create_trust_domain();
  const LoopbackWebhook webhook(namespace_);
  const auto port = webhook.port();
  start_operator("webhooks", webhook.operator_flags());
  std::string output;
  ASSERT_EQ(apply_yaml(webhook.configuration_yaml(), &output), 0) << output;
  const auto bundle_pem = webhook.await_bundle(*client_, 60s);
  ASSERT_FALSE(bundle_pem.empty()) << operators_[0]->log();
  const auto original =
      crypto::Certificate::from_pem(decode(secret("secprov-webhook-tls"), "tls.crt"));
  ASSERT_TRUE(eventually([&] {
    return webhook.served_fingerprint(port, bundle_pem) == original.sha256_fingerprint();
  })) << operators_[0]->log();
  const auto pid = operators_[0]->pid();

  // 1. A serving certificate near expiry: signed by the bootstrap CA, the same SANs, valid
  // for two more days (inside the 30-day renew window), over a fresh key.
  const auto now = std::chrono::system_clock::now();
  const auto ca_secret = secret("secprov-webhook-ca");
  const auto ca = crypto::CertificateAuthority::load(decode(ca_secret, "tls.crt"),
                                                     decode(ca_secret, "tls.key"), now);
  crypto::CertificateTemplate near_expiry;
  near_expiry.subject = original.subject();
  near_expiry.dns_names = original.dns_names();
  near_expiry.ip_addresses = original.ip_addresses();
  near_expiry.not_before = now - 1h;
  near_expiry.not_after = now + 48h;
  near_expiry.server_auth = true;
  near_expiry.client_auth = false;
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  const auto near =
      ca.sign(crypto::CertificateSigningRequest::create(key, near_expiry), near_expiry, now);
  ASSERT_TRUE(near.issued_by(ca.certificate()));
  client_->merge_patch(kube::resources::secrets(), namespace_, "secprov-webhook-tls",
                       {{"data",
                         {{"tls.crt", crypto::base64_encode(near.to_pem())},
                          {"tls.key", crypto::base64_encode(key.to_pkcs8_pem())}}}});

  // 2. The operator replaces it while it is still valid, with a full-validity certificate
  // for the reason RenewalDue (not a SAN or issuer change).
  std::optional<crypto::Certificate> renewed;
  ASSERT_TRUE(eventually(
      [&] {
        const auto cert =
            crypto::Certificate::from_pem(decode(secret("secprov-webhook-tls"), "tls.crt"));
        if (cert.serial_hex() == near.serial_hex() || cert.serial_hex() == original.serial_hex()) {
          return false;
        }
        renewed = cert;
        return true;
      },
      150s))
      << operators_[0]->log();
  EXPECT_LT(std::chrono::system_clock::now(), near.not_after());
  EXPECT_GT(renewed->not_after(), near.not_after() + 24h * 30);
  EXPECT_TRUE(renewed->issued_by(ca.certificate()));
  EXPECT_EQ(renewed->dns_names(), original.dns_names());
  EXPECT_EQ(renewed->ip_addresses(), original.ip_addresses());
  EXPECT_NE(operators_[0]->log().find("(RenewalDue)"), std::string::npos) << operators_[0]->log();

  // 3. The same process serves the new serial on the webhook port (no restart).
  EXPECT_TRUE(eventually([&] {
    return webhook.served_fingerprint(port, bundle_pem) == renewed->sha256_fingerprint();
  })) << operators_[0]->log();
  EXPECT_TRUE(operators_[0]->running());
  EXPECT_EQ(operators_[0]->pid(), pid);
  EXPECT_EQ(webhook.injected_bundle(*client_), bundle_pem);  // the same CA: nothing to re-inject

  // 4. The real apiserver still calls the webhook: a profile only the webhook refuses (the
  // CRD admits it) is refused with its message in kubectl's output. TLS 1.2 allowed with an
  // ECDSA P-256 certificate and groups without secp256r1 (rule Tls12EcdsaCurveInGroups).
  const std::string refused =
      "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: amf-x25519\n"
      "spec:\n  nfType: AMF\n  selector:\n    matchLabels:\n      app: amf-x25519\n"
      "  trustDomainRef:\n    name: " +
      domain +
      "\n  sbi:\n    tls:\n      minVersion: \"1.2\"\n      groups: [X25519]\n"
      "      certificate:\n        keyAlgorithm: ECDSA-P256\n";
  EXPECT_NE(apply_yaml(refused, &output), 0) << output;
  EXPECT_NE(output.find("denied the request"), std::string::npos) << output;
  EXPECT_NE(output.find("spec.sbi.tls.groups: must contain secp256r1"), std::string::npos)
      << output;
  EXPECT_TRUE(gone(kube::resources::security_profiles(), "amf-x25519"));
  // A valid one is admitted over the renewed certificate.
  EXPECT_EQ(apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n"
                       "  name: amf-ok\nspec:\n  nfType: AMF\n  selector:\n    matchLabels:\n"
                       "      app: amf-ok\n  trustDomainRef:\n    name: " +
                           domain + "\n",
                       &output),
            0)
      << output;
  EXPECT_TRUE(operators_[0]->running());
  EXPECT_EQ(operators_[0]->pid(), pid);
}

}  // namespace
}  // namespace secprov::testing

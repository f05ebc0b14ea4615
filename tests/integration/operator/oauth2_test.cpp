// Issue 8 defect 6: the NRF is the OAuth2 authorization server. It gets an access-token
// signing certificate of its own (RFC 9509 id-kp-oauthAccessTokenSigning, no serverAuth or
// clientAuth, the key of the algorithm it signs with) in "<nrf>-oauth2-signing"; producers
// that name it get that certificate as nrf.crt in their ConfigMap, follow it when it is
// replaced, and are not Ready while they cannot verify its tokens.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "crypto/certificate.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

constexpr const char* kNrfId = "6f1a4c2e-8b3d-4e5f-9a0b-1c2d3e4f5a6b";

class OAuth2Test : public OperatorTest {
 protected:
  Json document(const std::string& name, const std::string& nf_type, Json oauth2,
                std::optional<std::string> nf_instance_id = std::nullopt) const {
    Json spec = {{"sbi", {{"tls", {{"mode", "MutualTLS"}}}, {"oauth2", std::move(oauth2)}}}};
    if (nf_instance_id) spec["nfInstanceId"] = *nf_instance_id;
    return profile_document(name, nf_type, spec);
  }
  Json oauth2(const std::string& role, Json algorithms) const {
    return {{"enabled", true},
            {"nrfApiRoot", "https://nrf." + namespace_ + ".svc"},
            {"nrfInstanceId", kNrfId},
            {"role", role},
            {"acceptedAlgorithms", std::move(algorithms)}};
  }
  void apply(const Json& document) {
    std::string output;
    ASSERT_EQ(apply_yaml(document.dump(2), &output), 0) << output;
  }
  std::string ready_reason(const std::string& name) {
    const auto status = profile(name).value("status", Json::object());
    for (const auto& c : status.value("conditions", Json::array())) {
      if (c.value("type", "") == "Ready")
        return c.value("status", "") + "/" + c.value("reason", "");
    }
    return {};
  }
  // The signing Secret's leaf, once written.
  std::optional<crypto::Certificate> signing_leaf() {
    try {
      return crypto::Certificate::from_pem(decode(secret("nrf-oauth2-signing"), "tls.crt"));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  std::string nrf_crt(const std::string& producer) {
    try {
      return config_map(producer + "-security")["data"].value("nrf.crt", std::string{});
    } catch (const std::exception&) {
      return {};
    }
  }
};

TEST_F(OAuth2Test, NrfSigningCertificateReachesProducersAndFollowsItsReplacement) {
  create_trust_domain();
  start_operator("op");
  // The producer first: its NRF does not exist yet, so it cannot verify tokens.
  apply(document("smf", "SMF", oauth2("Producer", {"ES256", "RS256"})));
  ASSERT_TRUE(eventually([&] { return ready_reason("smf") == "False/OAuth2NrfNotFound"; },
                         std::chrono::seconds(60)))
      << ready_reason("smf") << operators_[0]->log();
  EXPECT_EQ(nrf_crt("smf"), "");

  apply(document("nrf", "NRF", oauth2("Producer", {"ES256"}), std::string(kNrfId)));
  ASSERT_TRUE(eventually([&] { return signing_leaf().has_value(); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto leaf = *signing_leaf();
  // RFC 9509: the access-token signing purpose alone, digitalSignature only, ES256's key.
  ASSERT_TRUE(leaf.extended_key_usage().has_value());
  EXPECT_TRUE(leaf.extended_key_usage()->oauth_access_token_signing);
  EXPECT_FALSE(leaf.extended_key_usage()->server_auth);
  EXPECT_FALSE(leaf.extended_key_usage()->client_auth);
  ASSERT_TRUE(leaf.key_usage().has_value());
  EXPECT_TRUE(leaf.key_usage()->digital_signature);
  EXPECT_FALSE(leaf.key_usage()->key_encipherment);
  EXPECT_EQ(leaf.key_algorithm(), crypto::KeyAlgorithm::EcdsaP256);
  // A second certificate: not the NRF's TLS one.
  const auto tls = crypto::Certificate::from_pem(decode(secret("nrf-tls"), "tls.crt"));
  EXPECT_NE(tls.sha256_fingerprint(), leaf.sha256_fingerprint());
  EXPECT_FALSE(tls.extended_key_usage()->oauth_access_token_signing);

  // The producer's ConfigMap carries exactly the NRF's signing certificate, and it is Ready.
  ASSERT_TRUE(eventually([&] { return nrf_crt("smf") == leaf.to_pem(); }, std::chrono::seconds(60)))
      << nrf_crt("smf") << operators_[0]->log();
  ASSERT_TRUE(eventually([&] { return profile_condition("smf", "Ready", "True"); },
                         std::chrono::seconds(60)))
      << ready_reason("smf");
  // Public material only: no private key reaches the ConfigMap.
  EXPECT_EQ(nrf_crt("smf").find("PRIVATE KEY"), std::string::npos);

  // A replaced signing certificate (the Secret deleted) reaches the producer.
  client_->remove(kube::resources::secrets(), namespace_, "nrf-oauth2-signing");
  ASSERT_TRUE(eventually(
      [&] {
        const auto now = signing_leaf();
        return now && now->sha256_fingerprint() != leaf.sha256_fingerprint() &&
               nrf_crt("smf") == now->to_pem();
      },
      std::chrono::seconds(60)))
      << operators_[0]->log();
}

TEST_F(OAuth2Test, ProducerNotAcceptingTheNrfAlgorithmIsReported) {
  create_trust_domain();
  start_operator("op");
  apply(document("nrf", "NRF", oauth2("Producer", {"ES256"}), std::string(kNrfId)));
  apply(document("udm", "UDM", oauth2("Producer", {"RS256"})));
  ASSERT_TRUE(eventually([&] { return ready_reason("udm") == "False/OAuth2AlgorithmNotAccepted"; },
                         std::chrono::seconds(60)))
      << ready_reason("udm") << operators_[0]->log();
  std::string message;
  const Json udm = profile("udm");
  for (const auto& c : udm["status"]["conditions"]) {
    if (c.value("type", "") == "Ready") message = c.value("message", "");
  }
  EXPECT_NE(message.find("ES256"), std::string::npos) << message;
  EXPECT_NE(message.find("RS256"), std::string::npos) << message;

  // Accepting ES256 as well makes it Ready.
  apply(document("udm", "UDM", oauth2("Producer", {"RS256", "ES256"})));
  ASSERT_TRUE(eventually([&] { return profile_condition("udm", "Ready", "True"); },
                         std::chrono::seconds(60)))
      << ready_reason("udm");
  EXPECT_NE(nrf_crt("udm"), "");
}

// The signing Secret follows the profile's deletionPolicy like its other objects: Retain
// keeps it (released, no ownerReference), so the garbage collector does not take it.
TEST_F(OAuth2Test, RetainKeepsTheSigningSecretAfterTheNrfIsDeleted) {
  create_trust_domain();
  start_operator("op");
  auto nrf = document("nrf", "NRF", oauth2("Producer", {"RS512"}), std::string(kNrfId));
  nrf["spec"]["deletionPolicy"] = "Retain";
  apply(nrf);
  ASSERT_TRUE(eventually([&] { return signing_leaf().has_value(); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  // RS512: an RSA key.
  EXPECT_EQ(signing_leaf()->key_algorithm(), crypto::KeyAlgorithm::Rsa2048);
  client_->remove(kube::resources::security_profiles(), namespace_, "nrf");
  ASSERT_TRUE(eventually([&] { return gone(kube::resources::security_profiles(), "nrf"); },
                         std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto kept = secret("nrf-oauth2-signing");
  EXPECT_TRUE(kept["metadata"].value("ownerReferences", Json::array()).empty()) << kept.dump(2);
}

}  // namespace
}  // namespace secprov::testing

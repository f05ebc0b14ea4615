#include "render/oauth2.h"

#include <gtest/gtest.h>

#include "render/names.h"
#include "test_support.h"

namespace secprov::render {
namespace {

api::TrustDomain domain() {
  api::TrustDomain d;
  d.metadata.name = "operator-a";
  d.spec.domain = "5gc.mnc001.mcc001.3gppnetwork.org";
  d.spec.country = "FR";
  return d;
}

nlohmann::json oauth2_doc(const std::string& nf_type, const std::string& role,
                          nlohmann::json algorithms) {
  auto doc = testing::profile_doc(nf_type);
  doc["spec"]["sbi"]["tls"]["mode"] = "MutualTLS";
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true},
                                  {"nrfApiRoot", "https://nrf.5gc.svc"},
                                  {"nrfInstanceId", testing::kNfInstanceId},
                                  {"role", role},
                                  {"acceptedAlgorithms", std::move(algorithms)}};
  return doc;
}

TEST(OAuth2Roles, TheNrfIsTheAuthorizationServerAndOtherNfsProduce) {
  EXPECT_TRUE(is_authorization_server(testing::parse(oauth2_doc("NRF", "Producer", {"ES256"}))));
  EXPECT_FALSE(is_oauth2_producer(testing::parse(oauth2_doc("NRF", "Producer", {"ES256"}))));
  EXPECT_FALSE(is_authorization_server(testing::parse(oauth2_doc("NRF", "Consumer", {"ES256"}))));
  EXPECT_TRUE(is_oauth2_producer(testing::parse(oauth2_doc("SMF", "Both", {"ES256"}))));
  EXPECT_FALSE(is_oauth2_producer(testing::parse(oauth2_doc("AMF", "Consumer", {"ES256"}))));
  EXPECT_FALSE(is_authorization_server(testing::parse(testing::profile_doc("NRF"))));
}

TEST(OAuth2SigningKey, FollowsTheAlgorithmItSigns) {
  EXPECT_EQ(signing_key_algorithm(api::JwsAlgorithm::ES256), api::KeyAlgorithm::EcdsaP256);
  EXPECT_EQ(signing_key_algorithm(api::JwsAlgorithm::ES384), api::KeyAlgorithm::EcdsaP384);
  EXPECT_EQ(signing_key_algorithm(api::JwsAlgorithm::RS512), api::KeyAlgorithm::Rsa2048);
  EXPECT_EQ(signing_key_algorithm(api::JwsAlgorithm::PS256), api::KeyAlgorithm::Rsa2048);
  EXPECT_EQ(signing_key_algorithm(api::JwsAlgorithm::ES512), std::nullopt);
  EXPECT_EQ(signing_key_algorithm(api::JwsAlgorithm::EdDSA), std::nullopt);
  // The first accepted algorithm with a key type is the one signed with.
  const auto nrf = testing::parse(oauth2_doc("NRF", "Producer", {"EdDSA", "RS512", "ES256"}));
  EXPECT_EQ(oauth2_signing_algorithm(nrf), api::JwsAlgorithm::RS512);
  EXPECT_EQ(oauth2_signing_algorithm(testing::parse(oauth2_doc("NRF", "Producer", {"EdDSA"}))),
            std::nullopt);
}

TEST(OAuth2SigningRequest, IsForSigningTokensOnlyWithTheNfIdentity) {
  const auto nrf = testing::parse(oauth2_doc("NRF", "Producer", {"ES384"}));
  const auto request = oauth2_signing_request(nrf, domain(), testing::kNfInstanceId);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->key_algorithm, crypto::KeyAlgorithm::EcdsaP384);
  EXPECT_TRUE(request->certificate.oauth_access_token_signing);
  EXPECT_FALSE(request->certificate.server_auth);
  EXPECT_FALSE(request->certificate.client_auth);
  EXPECT_EQ(request->certificate.uris,
            std::vector<std::string>{nf_instance_uri(testing::kNfInstanceId)});
  EXPECT_EQ(request->certificate.nf_types, std::vector<std::string>{"NRF"});
  // Not an authorization server: nothing to issue.
  EXPECT_FALSE(oauth2_signing_request(testing::parse(oauth2_doc("SMF", "Producer", {"ES256"})),
                                      domain(), testing::kNfInstanceId));
  // The algorithm is an input: another one re-issues.
  const auto rsa = oauth2_signing_request(testing::parse(oauth2_doc("NRF", "Producer", {"RS512"})),
                                          domain(), testing::kNfInstanceId);
  EXPECT_NE(oauth2_signing_input_digest(*request, api::JwsAlgorithm::ES384, "ca", {}),
            oauth2_signing_input_digest(*rsa, api::JwsAlgorithm::RS512, "ca", {}));
}

TEST(OAuth2SigningSecret, IsNamedAfterTheProfileAndHoldsTheMaterial) {
  const auto nrf = testing::parse(oauth2_doc("NRF", "Producer", {"ES256"}));
  EXPECT_EQ(oauth2_signing_secret_name(nrf), "amf-oauth2-signing");
  const auto secret = oauth2_signing_secret(nrf, "CERT", "KEY", "sha256:x");
  EXPECT_EQ(secret["metadata"]["name"], "amf-oauth2-signing");
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  EXPECT_TRUE(secret["data"].contains("tls.crt"));
  EXPECT_TRUE(secret["data"].contains("tls.key"));
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_THROW(oauth2_signing_secret(nrf, "", "KEY", "d"), std::invalid_argument);
}

TEST(NrfCertificate, IsAddedToTheConfigMapAndChangesItsInputDigest) {
  const auto smf = testing::parse(oauth2_doc("SMF", "Producer", {"ES256"}));
  auto plan = plan_profile(smf, domain(), testing::kNfInstanceId, IssuerInputs{"fp", "CA"});
  const auto before = plan.config.input_digest;
  add_nrf_certificate(plan, "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(plan.config_map["data"]["nrf.crt"],
            "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n");
  EXPECT_NE(plan.config.input_digest, before);
  EXPECT_EQ(plan.config_map["metadata"]["annotations"]["secprov.io/input-digest"],
            plan.config.input_digest);
  auto other = plan_profile(smf, domain(), testing::kNfInstanceId, IssuerInputs{"fp", "CA"});
  add_nrf_certificate(other, "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n");
  EXPECT_NE(other.config.input_digest, plan.config.input_digest);
}

}  // namespace
}  // namespace secprov::render

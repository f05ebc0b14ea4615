#include "render/profile.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "render/digest.h"
#include "render/names.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;

api::TrustDomain domain() {
  api::TrustDomain d;
  d.metadata.name = "operator-a";
  d.spec.domain = "5gc.mnc001.mcc001.3gppnetwork.org";
  d.spec.country = "FR";
  return d;
}

const IssuerInputs kIssuer{"ca-fingerprint-1", "-----BEGIN CERTIFICATE-----\nCA\n"};

json with_ipsec(json doc, const std::string& authentication, const std::string& remote_id) {
  doc["spec"]["ipsec"] = {
      {"interfaces",
       {{{"name", "N2"},
         {"authentication", authentication},
         {"allowPreSharedKey", true},  // a PSK on N2 only when the interface accepts it
         {"peers", {{{"name", "gnb-1"}, {"address", "10.10.2.11"}, {"remoteId", remote_id}}}}}}}};
  return doc;
}

TEST(PlanProfile, PlansEveryGeneratedNameWithWhetherItIsWanted) {
  const auto plan = plan_profile(testing::parse(testing::profile_doc()), domain(),
                                 testing::kNfInstanceId, kIssuer);
  ASSERT_EQ(plan.objects().size(), 3u);
  EXPECT_EQ(plan.tls.name, "amf-tls");
  EXPECT_TRUE(plan.tls.wanted);
  EXPECT_TRUE(plan.certificate.has_value());
  EXPECT_EQ(plan.config.name, "amf-security");
  EXPECT_TRUE(plan.config.wanted);
  EXPECT_EQ(plan.ipsec.name, "amf-ipsec");
  EXPECT_FALSE(plan.ipsec.wanted);
  EXPECT_TRUE(plan.ipsec.input_digest.empty());
  EXPECT_TRUE(plan.pre_shared_keys.empty());
  EXPECT_THROW(plan.ipsec_secret({}), std::logic_error);
}

TEST(PlanProfile, TlsDisabledWithIpsecCertificateStillPlansTheCertificate) {
  auto doc = with_ipsec(testing::profile_doc(), "Certificate", "gnb-1.ran.example.org");
  doc["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  const auto plan = plan_profile(testing::parse(doc), domain(), testing::kNfInstanceId, kIssuer);
  EXPECT_TRUE(plan.tls.wanted);
  ASSERT_TRUE(plan.certificate.has_value());
  EXPECT_TRUE(plan.ipsec.wanted);
  EXPECT_TRUE(plan.pre_shared_keys.empty());  // certificates, no PSK

  doc = testing::profile_doc();
  doc["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  const auto without = plan_profile(testing::parse(doc), domain(), testing::kNfInstanceId, kIssuer);
  EXPECT_FALSE(without.tls.wanted);
  EXPECT_FALSE(without.certificate.has_value());
  EXPECT_THROW(without.tls_secret("chain", "key"), std::logic_error);
}

TEST(PlanProfile, TheNfInstanceIdIsNormalisedOnceForSanStatusAndConfig) {
  const auto plan = plan_profile(testing::parse(testing::profile_doc()), domain(),
                                 "5F1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F", kIssuer);
  EXPECT_EQ(plan.nf_instance_id, testing::kNfInstanceId);
  EXPECT_EQ(plan.certificate->certificate.uris,
            std::vector<std::string>{std::string("urn:uuid:") + testing::kNfInstanceId});
  const auto yaml = plan.config_map["data"][std::string(kSecurityYamlKey)].get<std::string>();
  EXPECT_NE(yaml.find(testing::kNfInstanceId), std::string::npos);
  EXPECT_EQ(yaml.find("5F1C2D3E"), std::string::npos);
}

TEST(PlanProfile, ARenderErrorNamesTheField) {
  const auto doc = with_ipsec(testing::profile_doc(), "PreSharedKey", "gnb\x01.example.org");
  try {
    // The API layer lets some of these through; the renderer is the last word.
    auto parsed = api::parse_security_profile(doc);
    ASSERT_TRUE(parsed.ok());
    plan_profile(parsed.value(), domain(), testing::kNfInstanceId, kIssuer);
    ADD_FAILURE() << "rendered a remoteId with a control character";
  } catch (const RenderError& e) {
    EXPECT_EQ(e.field().rfind("spec.ipsec.interfaces[0].peers[0]", 0), 0u) << e.field();
  }
}

TEST(PlanProfile, InputDigestsFollowTheSpecAndTheIssuerNotTheBundle) {
  const auto profile = testing::parse(testing::profile_doc());
  const auto base = plan_profile(profile, domain(), testing::kNfInstanceId, kIssuer);
  const auto again = plan_profile(profile, domain(), testing::kNfInstanceId, kIssuer);
  EXPECT_EQ(base.tls.input_digest, again.tls.input_digest);
  EXPECT_EQ(base.config.input_digest, again.config.input_digest);

  const auto other_ca = plan_profile(profile, domain(), testing::kNfInstanceId,
                                     IssuerInputs{"ca-fingerprint-2", kIssuer.trust_bundle_pem});
  EXPECT_NE(other_ca.tls.input_digest, base.tls.input_digest);
  const auto other_bundle = plan_profile(profile, domain(), testing::kNfInstanceId,
                                         IssuerInputs{kIssuer.ca_fingerprint, "other bundle"});
  EXPECT_EQ(other_bundle.tls.input_digest, base.tls.input_digest);  // ca.crt follows alone

  auto doc = testing::profile_doc();
  doc["spec"]["sbi"]["tls"]["certificate"]["keyAlgorithm"] = "RSA-3072";
  const auto rsa = plan_profile(testing::parse(doc), domain(), testing::kNfInstanceId, kIssuer);
  EXPECT_NE(rsa.tls.input_digest, base.tls.input_digest);
  EXPECT_EQ(rsa.certificate->key_algorithm, crypto::KeyAlgorithm::Rsa3072);
}

TEST(PlanProfile, ObjectsCarryTheirInputAndDataDigests) {
  const auto plan = plan_profile(testing::parse(testing::profile_doc()), domain(),
                                 testing::kNfInstanceId, kIssuer);
  const auto& annotations = plan.config_map["metadata"]["annotations"];
  EXPECT_EQ(annotations[std::string(kInputDigestAnnotation)], plan.config.input_digest);
  EXPECT_EQ(recorded_data_digests(plan.config_map),
            data_digests(plan.config_map["data"], DataEncoding::Plain));

  const auto secret = plan.tls_secret("CHAIN", "KEY");
  EXPECT_EQ(secret["metadata"]["annotations"][std::string(kInputDigestAnnotation)],
            plan.tls.input_digest);
  EXPECT_EQ(crypto::base64_decode(secret["data"]["ca.crt"].get<std::string>()),
            kIssuer.trust_bundle_pem);
  EXPECT_EQ(recorded_data_digests(secret).at("tls.key"), crypto::sha256_hex("KEY"));
}

TEST(PlanProfile, IpsecSecretNeedsEveryPlannedKey) {
  const auto doc = with_ipsec(testing::profile_doc(), "PreSharedKey", "gnb-1.ran.example.org");
  const auto plan = plan_profile(testing::parse(doc), domain(), testing::kNfInstanceId, kIssuer);
  ASSERT_EQ(plan.pre_shared_keys, std::vector<std::string>{"psk-n2-gnb-1"});
  EXPECT_THROW(plan.ipsec_secret({}), std::invalid_argument);
  const auto secret = plan.ipsec_secret(IpsecMaterial{{{"psk-n2-gnb-1", "k"}}});
  EXPECT_EQ(secret["metadata"]["annotations"][std::string(kInputDigestAnnotation)],
            plan.ipsec.input_digest);
  // The PSK value is material, not input: another PSK leaves the input digest alone.
  EXPECT_EQ(plan_profile(testing::parse(doc), domain(), testing::kNfInstanceId, kIssuer)
                .ipsec.input_digest,
            plan.ipsec.input_digest);
}

}  // namespace
}  // namespace secprov::render

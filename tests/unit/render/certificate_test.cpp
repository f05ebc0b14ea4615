#include "render/certificate.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "api/constants.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using namespace std::chrono_literals;

api::TrustDomain domain() {
  api::TrustDomain d;
  d.metadata.name = "operator-a";
  d.spec.domain = "5gc.mnc001.mcc001.3gppnetwork.org";
  d.spec.country = "FR";
  return d;
}

TEST(KeyAlgorithm, EveryApiAlgorithmMapsToTheSameCryptoAlgorithm) {
  for (const auto algorithm :
       {api::KeyAlgorithm::EcdsaP256, api::KeyAlgorithm::EcdsaP384, api::KeyAlgorithm::Rsa2048,
        api::KeyAlgorithm::Rsa3072, api::KeyAlgorithm::Rsa4096}) {
    EXPECT_EQ(crypto::to_string(key_algorithm(algorithm)), api::to_string(algorithm));
  }
}

TEST(CertificateRequest, CarriesTheSpecsIdentityWithTheIdInLowerCase) {
  auto doc = testing::profile_doc();
  doc["spec"]["sbi"]["tls"]["certificate"]["keyAlgorithm"] = "RSA-3072";
  const auto request =
      certificate_request(testing::parse(doc), domain(), "5F1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F");
  EXPECT_EQ(request.key_algorithm, crypto::KeyAlgorithm::Rsa3072);
  EXPECT_EQ(request.certificate.uris,
            std::vector<std::string>{"urn:uuid:5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"});
  EXPECT_EQ(request.certificate.subject.country, "FR");
  EXPECT_EQ(request.certificate.nf_types, std::vector<std::string>{"AMF"});
  EXPECT_EQ(request.renew_before, 720h);
  EXPECT_EQ(request.duration, 2160h);
}

TEST(CertificateRequest, ASeppCoversItsTelescopicFqdnsWithAWildcard) {
  auto doc = testing::profile_doc("SEPP");
  doc["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"] = {
      "sepp.5gc.mnc001.mcc001.3gppnetwork.org"};
  const auto names = certificate_request(testing::parse(doc), domain(), testing::kNfInstanceId)
                         .certificate.dns_names;
  EXPECT_NE(std::find(names.begin(), names.end(), "*.sepp.5gc.mnc001.mcc001.3gppnetwork.org"),
            names.end());
  // Only a SEPP (TS 33.501 13.1.1.0): an AMF keeps exact names.
  const auto amf =
      certificate_request(testing::parse(testing::profile_doc()), domain(), testing::kNfInstanceId)
          .certificate.dns_names;
  EXPECT_TRUE(
      std::none_of(amf.begin(), amf.end(), [](const auto& n) { return n.starts_with("*."); }));
}

TEST(CertificateRequest, AServiceNameThatNoServiceCanHaveIsARenderErrorOnTheField) {
  // The API layer refuses it; the renderer refuses it on its own too.
  auto profile = testing::parse(testing::profile_doc());
  profile.metadata.name = "amf.v2";
  try {
    certificate_request(profile, domain(), testing::kNfInstanceId);
    ADD_FAILURE() << "rendered a SAN no Service can have";
  } catch (const RenderError& e) {
    EXPECT_EQ(e.field(), "metadata.name");
  }
  profile = testing::parse(testing::profile_doc());
  profile.spec.sbi.tls.certificate.extra_dns_names = {"ok.example.org",
                                                      std::string(64, 'a') + ".example.org"};
  try {
    certificate_request(profile, domain(), testing::kNfInstanceId);
    ADD_FAILURE() << "rendered a DNS label over 63 characters";
  } catch (const RenderError& e) {
    EXPECT_EQ(e.field(), "spec.sbi.tls.certificate.extraDnsNames[1]");
  }
}

TEST(CertificateValidity, ALeafNeverOutlivesItsCa) {
  crypto::CertificateTemplate t;
  const auto now = std::chrono::system_clock::now();
  set_validity(t, 2160h, now, now + 48h);
  EXPECT_EQ(t.not_after, now + 48h);
  set_validity(t, 24h, now, now + 48h);
  EXPECT_EQ(t.not_after, now + 24h);
  EXPECT_LT(t.not_before, now);
}

}  // namespace
}  // namespace secprov::render

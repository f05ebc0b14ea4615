// spec.n32.trustDomainRef: the SEPP's N32 certificate request and Secret, the Open5GS n32
// paths and security.yaml, the Open5GS SEPP native-limit rows, and the API's parse/validate.
#include "render/n32.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/encoding.h"
#include "render/config.h"
#include "render/digest.h"
#include "render/names.h"
#include "render/native_limits.h"
#include "test_support.h"

namespace secprov::render {
namespace {

constexpr const char* kFqdn = "sepp.5gc.mnc001.mcc001.3gppnetwork.org";

api::TrustDomain interconnect() {
  api::TrustDomain d;
  d.metadata.name = "ipx";
  d.spec.domain = "ipx.mnc001.mcc001.3gppnetwork.org";
  d.spec.country = "DE";
  return d;
}

nlohmann::json sepp_doc(bool with_interconnect, std::size_t peers = 1, std::size_t plmns = 1) {
  auto doc = testing::profile_doc("SEPP");
  doc["metadata"]["name"] = "sepp";
  doc["spec"]["sbi"]["tls"] = {
      {"mode", "MutualTLS"},
      {"certificate", {{"keyAlgorithm", "ECDSA-P384"}, {"extraDnsNames", {kFqdn}}}}};
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < peers; ++i) {
    nlohmann::json ids = nlohmann::json::array();
    for (std::size_t k = 0; k < plmns; ++k) {
      ids.push_back({{"mcc", "00" + std::to_string(i + 2)}, {"mnc", "0" + std::to_string(k + 2)}});
    }
    list.push_back({{"name", "p" + std::to_string(i)},
                    {"fqdn", "sepp.p" + std::to_string(i) + ".example.org"},
                    {"plmns", ids},
                    {"trustAnchorRef", {{"name", "roots-" + std::to_string(i)}}}});
  }
  doc["spec"]["n32"] = {{"capability", "TLS"}, {"peers", list}};
  if (with_interconnect) doc["spec"]["n32"]["trustDomainRef"] = {{"name", "ipx"}};
  doc["spec"]["outputs"] = {{"open5gs", true}};
  return doc;
}

TEST(N32Certificate, IsRequestedOnlyWithAnInterconnectTrustDomain) {
  const auto without = testing::parse(sepp_doc(false));
  EXPECT_EQ(n32_trust_domain(without), std::nullopt);
  EXPECT_FALSE(n32_certificate_request(without, interconnect(), testing::kNfInstanceId));
  const auto sepp = testing::parse(sepp_doc(true));
  EXPECT_EQ(n32_trust_domain(sepp), "ipx");
  EXPECT_EQ(n32_secret_name(sepp), "sepp-n32");
}

TEST(N32Certificate, CarriesTheN32NamesTheSbiKeyAlgorithmAndTheInterconnectSubject) {
  const auto sepp = testing::parse(sepp_doc(true));
  const auto request = n32_certificate_request(sepp, interconnect(), testing::kNfInstanceId);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->certificate.dns_names,
            (std::vector<std::string>{kFqdn, std::string("*.") + kFqdn}));
  EXPECT_EQ(request->key_algorithm, crypto::KeyAlgorithm::EcdsaP384);
  EXPECT_EQ(request->certificate.subject.country, "DE");
  EXPECT_TRUE(request->certificate.server_auth);
  EXPECT_TRUE(request->certificate.client_auth);
  EXPECT_EQ(request->certificate.uris,
            (std::vector<std::string>{nf_instance_uri(testing::kNfInstanceId)}));
  const auto sbi = certificate_request(sepp, interconnect(), testing::kNfInstanceId);
  EXPECT_EQ(request->duration, sbi.duration);
  EXPECT_EQ(request->renew_before, sbi.renew_before);
}

TEST(N32Certificate, DigestFollowsTheCaAndTheNames) {
  const auto sepp = testing::parse(sepp_doc(true));
  const auto request = *n32_certificate_request(sepp, interconnect(), testing::kNfInstanceId);
  const std::map<std::string, std::string> labels{{"a", "b"}};
  const auto base = n32_input_digest(request, "ca-1", labels);
  EXPECT_EQ(base, n32_input_digest(request, "ca-1", labels));
  EXPECT_NE(base, n32_input_digest(request, "ca-2", labels));
  auto renamed = request;
  renamed.certificate.dns_names.pop_back();
  EXPECT_NE(base, n32_input_digest(renamed, "ca-1", labels));
}

TEST(N32Secret, HoldsChainKeyAndTheInterconnectBundleWithDigestAndOwner) {
  const auto sepp = testing::parse(sepp_doc(true));
  const auto secret = n32_secret(sepp, "CHAIN", "KEY", "BUNDLE", "sha256:abc");
  EXPECT_EQ(secret["metadata"]["name"], "sepp-n32");
  EXPECT_EQ(secret["metadata"]["namespace"], "5gc");
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  EXPECT_EQ(secret["data"]["tls.crt"], crypto::base64_encode("CHAIN"));
  EXPECT_EQ(secret["data"]["tls.key"], crypto::base64_encode("KEY"));
  EXPECT_EQ(secret["data"]["ca.crt"], crypto::base64_encode("BUNDLE"));
  EXPECT_EQ(secret["metadata"]["annotations"][std::string(kInputDigestAnnotation)], "sha256:abc");
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_THROW(n32_secret(sepp, "CHAIN", "KEY", "", "d"), std::invalid_argument);
}

TEST(N32Config, Open5gsUsesTheN32FilesAndSecurityYamlExportsTheInterconnectBundle) {
  const auto sepp = testing::parse(sepp_doc(true));
  const auto open5gs = testing::load_yaml(*open5gs_yaml(sepp));
  const auto n32 = open5gs["sepp"]["n32"];
  EXPECT_EQ(n32["server"][0]["cert"].as<std::string>(), kN32CertificateFile);
  EXPECT_EQ(n32["server"][0]["private_key"].as<std::string>(), kN32PrivateKeyFile);
  EXPECT_EQ(n32["server"][0]["n32f"]["cert"].as<std::string>(), kN32CertificateFile);
  EXPECT_EQ(n32["client"]["sepp"][0]["client_cert"].as<std::string>(), kN32CertificateFile);
  EXPECT_EQ(n32["client"]["sepp"][0]["client_private_key"].as<std::string>(), kN32PrivateKeyFile);
  EXPECT_EQ(n32["client"]["sepp"][0]["n32f"]["client_cert"].as<std::string>(), kN32CertificateFile);
  // The SBI keeps the home certificate.
  EXPECT_EQ(open5gs["sepp"]["default"]["tls"]["server"]["cert"].as<std::string>(),
            kTlsCertificateFile);
  const auto security = testing::load_yaml(security_yaml(sepp, testing::kNfInstanceId));
  EXPECT_EQ(security["n32"]["homeTrustAnchor"]["configMap"].as<std::string>(), "ipx-ca");
  EXPECT_EQ(security["n32"]["certificate"]["secret"].as<std::string>(), "sepp-n32");
  EXPECT_EQ(security["n32"]["certificate"]["mountPath"].as<std::string>(), "/etc/secprov/n32/tls");

  const auto home = testing::parse(sepp_doc(false));
  const auto home_open5gs = testing::load_yaml(*open5gs_yaml(home));
  EXPECT_EQ(home_open5gs["sepp"]["n32"]["server"][0]["cert"].as<std::string>(),
            kTlsCertificateFile);
  const auto home_security = testing::load_yaml(security_yaml(home, testing::kNfInstanceId));
  EXPECT_EQ(home_security["n32"]["homeTrustAnchor"]["configMap"].as<std::string>(),
            "operator-a-ca");
  EXPECT_FALSE(home_security["n32"]["certificate"]);
}

bool has_gap(const api::SecurityProfile& p, const std::string& code) {
  const auto gaps = enforcement_gaps(p);
  return std::any_of(gaps.begin(), gaps.end(), [&](const auto& g) { return g.code == code; });
}

TEST(N32NativeLimits, Open5gsSeppRowsNameTheirSourceAndApplyOnlyWithN32) {
  for (const auto code : {"N32OneClientCA", "N32OneTargetPLMN"}) {
    const auto rows = native_limits();
    const auto row = std::find_if(rows.begin(), rows.end(),
                                  [&](const NativeLimit& r) { return r.code == code; });
    ASSERT_NE(row, rows.end()) << code;
    EXPECT_EQ(row->output, api::NfImplementation::Open5GS);
    EXPECT_EQ(row->source, "Open5GS v2.7.7 src/sepp/context.c");
  }
  EXPECT_FALSE(has_gap(testing::parse(sepp_doc(true, 1, 1)), "N32OneClientCA"));
  EXPECT_FALSE(has_gap(testing::parse(sepp_doc(true, 1, 1)), "N32OneTargetPLMN"));
  EXPECT_TRUE(has_gap(testing::parse(sepp_doc(true, 2, 1)), "N32OneClientCA"));
  EXPECT_TRUE(has_gap(testing::parse(sepp_doc(true, 1, 2)), "N32OneTargetPLMN"));
  // No n32: no N32 row.
  auto doc = sepp_doc(false, 2, 2);
  doc["spec"].erase("n32");
  EXPECT_FALSE(has_gap(testing::parse(doc), "N32OneClientCA"));
  EXPECT_FALSE(has_gap(testing::parse(doc), "N32OneTargetPLMN"));
}

TEST(N32Api, TrustDomainRefParsesRoundTripsAndIsValidated) {
  const auto sepp = testing::parse(sepp_doc(true));
  ASSERT_TRUE(sepp.spec.n32->trust_domain_ref);
  EXPECT_EQ(sepp.spec.n32->trust_domain_ref->name, "ipx");
  EXPECT_EQ(api::to_json(sepp.spec)["n32"]["trustDomainRef"]["name"], "ipx");
  const auto invalid = [](nlohmann::json doc) {
    const auto parsed = api::parse_security_profile(doc);
    return !parsed.ok() || !api::validate(parsed.value()).empty();
  };
  auto same = sepp_doc(true);
  same["spec"]["n32"]["trustDomainRef"]["name"] = "operator-a";  // the home one
  EXPECT_TRUE(invalid(same));
  auto tls_peer = sepp_doc(true);
  tls_peer["spec"]["n32"]["peers"][0]["name"] = "tls";  // collides with /etc/secprov/n32/tls
  EXPECT_TRUE(invalid(tls_peer));
  auto tls_peer_home = sepp_doc(false);
  tls_peer_home["spec"]["n32"]["peers"][0]["name"] = "tls";
  EXPECT_FALSE(invalid(tls_peer_home));
  auto bad_name = sepp_doc(true);
  bad_name["spec"]["n32"]["trustDomainRef"]["name"] = "Not_A_Name";
  EXPECT_TRUE(invalid(bad_name));
}

}  // namespace
}  // namespace secprov::render

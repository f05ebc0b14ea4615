// The trust domain's CA key-pair Secret and CA request, as render/ computes them.
#include "render/trust_domain.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/crl.h"
#include "crypto/encoding.h"
#include "render/errors.h"
#include "render/labels.h"
#include "render/names.h"

namespace secprov::render {
namespace {

const std::string kHomeDomain = "5gc.mnc001.mcc001.3gppnetwork.org";
const nlohmann::json kGenerate = {
    {"generate", {{"keyAlgorithm", "RSA-3072"}, {"duration", "43800h"}}}};

api::TrustDomain parse_domain(const nlohmann::json& ca, const std::string& name = "operator-a",
                              const std::string& home_domain = kHomeDomain,
                              const std::optional<std::string>& organization = std::nullopt) {
  nlohmann::json doc = {
      {"apiVersion", "secprov.io/v1alpha1"},
      {"kind", "TrustDomain"},
      {"metadata", {{"name", name}, {"uid", "uid-td"}}},
      {"spec", {{"domain", home_domain}, {"country", "DE"}, {"ca", ca}}},
  };
  if (organization) doc["spec"]["organization"] = *organization;
  auto parsed = api::parse_trust_domain(doc);
  if (!parsed.ok()) throw std::runtime_error("test trust domain does not parse");
  if (!api::validate(parsed.value()).empty()) throw std::runtime_error("test domain invalid");
  return parsed.value();
}

api::TrustDomain generated(const std::string& name = "operator-a") {
  return parse_domain(kGenerate, name);
}

// Not key material: stand-ins, so a failing assertion prints nothing secret.
const CaMaterial kMaterial{"CERT PEM", "KEY PEM"};

TEST(CaSecretName, GeneratedImportedAndLong) {
  EXPECT_EQ(ca_secret_name(generated()), "operator-a-ca-keypair");
  EXPECT_EQ(ca_secret_name(parse_domain({{"secretRef", {{"name", "my-ca"}}}})), "my-ca");
  // A DNS-subdomain name of 253 characters: the suffix still fits, the name stays unique.
  const std::string long_a(253, 'a');
  const std::string long_b = std::string(252, 'a') + "b";
  const auto name_a = ca_secret_name(generated(long_a));
  EXPECT_LE(name_a.size(), 253U);
  EXPECT_TRUE(name_a.ends_with("-ca-keypair"));
  EXPECT_NE(name_a, ca_secret_name(generated(long_b)));
}

TEST(CaSecretSelector, CaKeyPairsOnly) {
  EXPECT_EQ(ca_secret_selector(), "secprov.io/trust-domain,!secprov.io/profile");
}

TEST(CaRequest, FromTheSpec) {
  const auto request = ca_request(generated());
  EXPECT_EQ(request.key_algorithm, crypto::KeyAlgorithm::Rsa3072);
  EXPECT_EQ(request.validity, std::chrono::hours(43800));
  EXPECT_EQ(request.subject, ca_subject(generated()));
  EXPECT_EQ(request.subject.country, "DE");
  EXPECT_EQ(request.subject.organization, "5gc.mnc001.mcc001.3gppnetwork.org");
  EXPECT_EQ(request.subject.common_name, "5gc.mnc001.mcc001.3gppnetwork.org CA");
}

TEST(CaRequest, ImportedOrInvalidDurationIsARenderError) {
  try {
    ca_request(parse_domain({{"secretRef", {{"name", "my-ca"}}}}));
    FAIL() << "no RenderError";
  } catch (const RenderError& e) {
    EXPECT_EQ(e.field(), "spec.ca.generate");
  }
  auto domain = generated();
  domain.spec.ca.generate->duration = "ten years";  // the CRD and api::validate reject it
  try {
    ca_request(domain);
    FAIL() << "no RenderError";
  } catch (const RenderError& e) {
    EXPECT_EQ(e.field(), "spec.ca.generate.duration");
  }
}

// spec.domain may be a DNS name of 253 characters; X.509 holds 64 in a CN or an O. Before,
// generating such a domain's CA failed in crypto on every retry.
TEST(CaRequest, LongHomeDomainFitsTheSubjectOrNamesTheField) {
  const std::string long_domain = std::string(60, 'x') + "." + kHomeDomain;  // 94 characters
  const auto request = ca_request(parse_domain(kGenerate, "operator-a", long_domain, "Operator A"));
  EXPECT_LE(request.subject.common_name.size(), 64U);
  EXPECT_TRUE(request.subject.common_name.ends_with(" CA")) << request.subject.common_name;
  EXPECT_NE(
      request.subject.common_name,
      ca_subject(parse_domain(kGenerate, "operator-a", "y" + long_domain.substr(1))).common_name);
  EXPECT_EQ(request.subject.organization, "Operator A");
  const auto ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, request.subject, request.validity,
      std::chrono::system_clock::now());
  EXPECT_EQ(ca.certificate().subject(), request.subject);

  try {
    ca_request(parse_domain(kGenerate, "operator-a", long_domain));
    FAIL() << "no RenderError";
  } catch (const RenderError& e) {
    EXPECT_EQ(e.field(), "spec.organization");
  }
}

TEST(CaKeyPairSecret, NewSecret) {
  const auto secret =
      ca_key_pair_secret(generated(), "secprov-system", kMaterial, std::nullopt, nullptr);
  EXPECT_EQ(secret["apiVersion"], "v1");
  EXPECT_EQ(secret["kind"], "Secret");
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  const auto& metadata = secret["metadata"];
  EXPECT_EQ(metadata["name"], "operator-a-ca-keypair");
  EXPECT_EQ(metadata["namespace"], "secprov-system");
  EXPECT_EQ(metadata["labels"], nlohmann::json({{"app.kubernetes.io/part-of", "secprov"},
                                                {"secprov.io/trust-domain", "operator-a"}}));
  // No managed-by label: the profile Secret cache (managed-by=secprov) must not list it,
  // while the CA cache's selector does.
  EXPECT_FALSE(metadata["labels"].contains(std::string(kManagedByLabel)));
  EXPECT_EQ(metadata["annotations"], nlohmann::json({{"secprov.io/generated-for", "operator-a"}}));
  EXPECT_FALSE(metadata.contains("resourceVersion"));
  ASSERT_EQ(secret["data"].size(), 2U);
  EXPECT_TRUE(secret["data"]["tls.crt"] == crypto::base64_encode(kMaterial.certificate_pem));
  EXPECT_TRUE(secret["data"]["tls.key"] == crypto::base64_encode(kMaterial.private_key_pem));
}

TEST(CaKeyPairSecret, ReplacementKeepsExistingMetadataLessManagedFields) {
  const nlohmann::json existing = {
      {"name", "operator-a-ca-keypair"},
      {"namespace", "secprov-system"},
      {"resourceVersion", "42"},
      {"uid", "uid-secret"},
      {"labels", {{"team", "pki"}, {"secprov.io/trust-domain", "stale"}}},
      {"annotations", {{"note", "kept"}, {"secprov.io/replace-ca", "t0"}}},
      {"managedFields", nlohmann::json::array({{{"manager", "kubectl"}}})},
  };
  const auto secret =
      ca_key_pair_secret(generated(), "secprov-system", kMaterial, std::string("t1"), &existing);
  const auto& metadata = secret["metadata"];
  EXPECT_EQ(metadata["resourceVersion"], "42");  // the write stays conditional
  EXPECT_EQ(metadata["uid"], "uid-secret");
  EXPECT_FALSE(metadata.contains("managedFields"));
  EXPECT_EQ(metadata["labels"]["team"], "pki");
  EXPECT_EQ(metadata["labels"]["secprov.io/trust-domain"], "operator-a");
  EXPECT_EQ(metadata["labels"]["app.kubernetes.io/part-of"], "secprov");
  EXPECT_EQ(metadata["annotations"]["note"], "kept");
  EXPECT_EQ(metadata["annotations"]["secprov.io/replace-ca"], "t1");
  EXPECT_EQ(metadata["annotations"]["secprov.io/generated-for"], "operator-a");
  EXPECT_EQ(secret["data"].size(), 2U);
}

TEST(CaKeyPairSecret, LongDomainNameLabelIsShortened) {
  const std::string name(253, 'a');
  const auto secret =
      ca_key_pair_secret(generated(name), "secprov-system", kMaterial, std::nullopt, nullptr);
  EXPECT_EQ(secret["metadata"]["name"], ca_secret_name(generated(name)));
  EXPECT_EQ(secret["metadata"]["labels"]["secprov.io/trust-domain"], label_value(name));
  EXPECT_EQ(secret["metadata"]["annotations"]["secprov.io/generated-for"], name);
}

}  // namespace
}  // namespace secprov::render

namespace secprov::render {
namespace {

using namespace std::chrono_literals;
const auto kNow = std::chrono::sys_days{std::chrono::year{2026} / 5 / 1} + 12h;

TEST(CrlRequest, ListsUnexpiredRevocationsOncePerSerialOldestFirst) {
  const std::vector<Revocation> revocations = {
      {"0b", kNow - 1h, kNow + 30 * 24h},
      {"0a", kNow - 2h, kNow + 10 * 24h},
      {"0c", kNow - 3h, kNow - 1s},           // expired: dropped
      {"0a", kNow - 30min, kNow + 10 * 24h},  // recorded twice: the first time counts
  };
  const auto request = crl_request(revocations, kNow, 42);
  ASSERT_EQ(request.revoked.size(), 2u);
  EXPECT_EQ(request.revoked[0], (crypto::RevokedCertificate{"0a", kNow - 2h}));
  EXPECT_EQ(request.revoked[1], (crypto::RevokedCertificate{"0b", kNow - 1h}));
  EXPECT_EQ(request.this_update, kNow);
  EXPECT_EQ(request.next_update, kNow + kCrlValidity);
  EXPECT_EQ(request.number, 42u);
}

TEST(CrlRefresh, DueWhenNoneOrInTheLastStretchBeforeNextUpdate) {
  EXPECT_TRUE(crl_refresh_due(std::nullopt, kNow));
  const auto next_update = kNow + kCrlValidity;
  EXPECT_FALSE(crl_refresh_due(next_update, kNow));
  EXPECT_FALSE(crl_refresh_due(next_update, next_update - kCrlRefreshBefore - 1s));
  EXPECT_TRUE(crl_refresh_due(next_update, next_update - kCrlRefreshBefore));
  EXPECT_TRUE(crl_refresh_due(next_update, next_update + 1h));
  EXPECT_LT(crl_refresh_at(next_update), next_update);
}

TEST(CrlConfigMap, PublishesTheSignedCrlUnderTheDomainsName) {
  const auto domain = generated("operator-a");
  const auto ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256, ca_subject(domain), 24h * 365, kNow);
  const auto crl = crypto::issue_crl(ca, crl_request({{"4f01", kNow, kNow + 24h}}, kNow, 1));
  const auto config_map = crl_config_map(domain, "secprov-system", crl.to_pem());
  EXPECT_EQ(config_map["kind"], "ConfigMap");
  EXPECT_EQ(config_map["metadata"]["name"], "operator-a-crl");
  EXPECT_EQ(config_map["metadata"]["namespace"], "secprov-system");
  EXPECT_EQ(config_map["metadata"]["labels"][std::string(kTrustDomainLabel)], "operator-a");
  const auto published =
      crypto::CertificateRevocationList::from_pem(config_map["data"]["ca.crl"].get<std::string>());
  EXPECT_TRUE(published.issued_by(ca.certificate()));
  ASSERT_EQ(published.revoked().size(), 1u);
  EXPECT_EQ(published.revoked()[0].serial_hex, "4f01");
  EXPECT_EQ(published.next_update(), kNow + kCrlValidity);
  EXPECT_EQ(crl_config_map_name(std::string(300, 'a')).size(), 253u);
}

}  // namespace
}  // namespace secprov::render

namespace secprov::render {
namespace {

using namespace std::chrono_literals;
const auto kAt = std::chrono::sys_days{std::chrono::year{2026} / 5 / 1} + 12h;

TEST(CrlRevocations, RoundTripOnePerSerialAndExpiredLeave) {
  const std::vector<Revocation> revocations = {
      {"0b", kAt - 1h, kAt + 30 * 24h},
      {"0a", kAt - 2h, kAt + 10 * 24h},
      {"0c", kAt - 3h, kAt - 1s},           // expired at kAt: leaves
      {"0a", kAt - 30min, kAt + 10 * 24h},  // twice: the first time counts
  };
  const nlohmann::json config_map = {
      {"data", {{std::string(kRevocationsKey), revocations_value(revocations, kAt)}}}};
  const auto read = recorded_revocations(config_map);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0], (Revocation{"0a", kAt - 2h, kAt + 10 * 24h}));
  EXPECT_EQ(read[1], (Revocation{"0b", kAt - 1h, kAt + 30 * 24h}));
  // Unparseable entries and values are skipped, never thrown.
  EXPECT_TRUE(recorded_revocations(nullptr).empty());
  EXPECT_TRUE(recorded_revocations({{"data", {{"revocations", "not json"}}}}).empty());
  EXPECT_TRUE(
      recorded_revocations({{"data", {{"revocations", R"([{"serial":"-1","revokedAt":"x"}])"}}}})
          .empty());
}

TEST(CrlConfigMap, OwnedByItsTrustDomainAndSelectedByItsOwnLabel) {
  const auto domain = generated("operator-a");
  const nlohmann::json owner = trust_domain_owner_reference("operator-a", "uid-1");
  const auto config_map =
      crl_config_map(domain, "secprov-system", "pem", {{"0a", kAt, kAt + 1h}}, owner);
  EXPECT_EQ(config_map["metadata"]["ownerReferences"], nlohmann::json::array({owner}));
  EXPECT_EQ(config_map["metadata"]["labels"][std::string(kComponentLabel)], "crl");
  EXPECT_FALSE(config_map["metadata"]["labels"].contains(std::string(kManagedByLabel)));
  EXPECT_EQ(recorded_revocations(config_map).size(), 1u);
  EXPECT_EQ(crl_config_map_selector(), "app.kubernetes.io/component=crl,secprov.io/trust-domain");
}

TEST(CrlDistributionPoint, BaseUrlAndDomainOrNone) {
  EXPECT_EQ(crl_distribution_point("", "td"), std::nullopt);
  EXPECT_EQ(crl_distribution_point("http://op.ns.svc:8081", "td"),
            "http://op.ns.svc:8081/crl/td.crl");
  EXPECT_EQ(crl_distribution_point("http://op.ns.svc:8081/", "td"),
            "http://op.ns.svc:8081/crl/td.crl");
}

}  // namespace
}  // namespace secprov::render

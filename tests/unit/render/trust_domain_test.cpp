// The trust domain's CA key-pair Secret and CA request, as render/ computes them.
#include "render/trust_domain.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "crypto/authority.h"
#include "crypto/certificate.h"
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
  EXPECT_EQ(ca_secret_selector(), "secprov.io/trust-domain,app.kubernetes.io/managed-by!=secprov");
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

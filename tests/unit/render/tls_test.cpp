#include "render/tls.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "render/digest.h"
#include "render/labels.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::parse;
using testing::profile_doc;
using testing::with;

const TlsMaterial kMaterial{
    "-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\nintermediate\n-----END CERTIFICATE-----\n",
    "-----BEGIN "
    "PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n",
    "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"};

std::string decode(const json& value) {
  auto decoded = crypto::base64_decode(value.get<std::string>());
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or("");
}

TEST(TlsSecret, KubernetesTlsSecretWithBase64Data) {
  const auto p = parse(profile_doc());
  const json s = tls_secret(p, kMaterial);
  EXPECT_EQ(s["apiVersion"], "v1");
  EXPECT_EQ(s["kind"], "Secret");
  EXPECT_EQ(s["type"], "kubernetes.io/tls");
  EXPECT_EQ(s["metadata"]["name"], "amf-tls");
  EXPECT_EQ(s["metadata"]["namespace"], "5gc");
  EXPECT_EQ(s["metadata"]["labels"], json(managed_labels(p)));
  EXPECT_EQ(s["metadata"]["ownerReferences"], json::array({owner_reference(p)}));
  ASSERT_EQ(s["data"].size(), 3u);
  EXPECT_EQ(decode(s["data"]["tls.crt"]), kMaterial.certificate_chain_pem);
  EXPECT_EQ(decode(s["data"]["tls.key"]), kMaterial.private_key_pem);
  EXPECT_EQ(decode(s["data"]["ca.crt"]), kMaterial.ca_bundle_pem);
}

TEST(TlsSecret, OnlyOwnedFields) {
  const json s = tls_secret(parse(profile_doc()), kMaterial);
  std::vector<std::string> top, meta;
  for (const auto& [k, v] : s.items()) top.push_back(k);
  for (const auto& [k, v] : s["metadata"].items()) meta.push_back(k);
  EXPECT_EQ(top, (std::vector<std::string>{"apiVersion", "data", "kind", "metadata", "type"}));
  // Digest annotations are added by ProfilePlan (render/profile.h).
  EXPECT_EQ(meta, (std::vector<std::string>{"annotations", "finalizers", "labels", "name",
                                            "namespace", "ownerReferences"}));
}

// A patch of a Secret that lists other finalizers keeps them.
TEST(MarkRevocable, AddsItsFinalizerOnceKeepingOthers) {
  json patch = {{"metadata", {{"finalizers", {"someone.else/hold"}}}}};
  mark_revocable(patch, "td");
  mark_revocable(patch, "td");
  EXPECT_EQ(patch["metadata"]["finalizers"],
            json({"someone.else/hold", std::string(kRevocationFinalizer)}));
  EXPECT_EQ(patch["metadata"]["annotations"][std::string(kIssuerAnnotation)], "td");
}

// Its deletion waits for the operator, which revokes the certificate in the issuing domain
// when the profile is gone (controllers: release_deleted_certificates).
TEST(TlsSecret, IsHeldForRevocationAndNamesItsIssuer) {
  const auto p = parse(profile_doc());
  const json s = tls_secret(p, kMaterial);
  EXPECT_EQ(s["metadata"]["finalizers"], json::array({std::string(kRevocationFinalizer)}));
  EXPECT_EQ(s["metadata"]["annotations"],
            json({{std::string(kIssuerAnnotation), p.spec.trust_domain_ref.name}}));
}

TEST(TlsSecret, DataFollowsTheMaterial) {
  const auto p = parse(profile_doc());
  TlsMaterial renewed = kMaterial;
  renewed.certificate_chain_pem += "\n";
  EXPECT_EQ(tls_secret(p, kMaterial).dump(), tls_secret(p, kMaterial).dump());
  EXPECT_NE(tls_secret(p, kMaterial)["data"], tls_secret(p, renewed)["data"]);
}

TEST(TlsSecret, RejectsMissingIdentityOrMaterial) {
  json doc = profile_doc();
  doc["metadata"].erase("uid");
  EXPECT_THROW(tls_secret(parse(doc), kMaterial), std::invalid_argument);
  TlsMaterial no_key = kMaterial;
  no_key.private_key_pem.clear();
  EXPECT_THROW(tls_secret(parse(profile_doc()), no_key), std::invalid_argument);
}

TEST(NeedsCertificate, SbiTlsOrCertificateIpsec) {
  EXPECT_TRUE(needs_certificate(parse(profile_doc())));
  EXPECT_TRUE(needs_certificate(with(profile_doc(), "/spec/sbi/tls/mode", "TLS")));
  EXPECT_FALSE(needs_certificate(with(profile_doc(), "/spec/sbi/tls/mode", "Disabled")));
  json doc = profile_doc();
  doc["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  doc["spec"]["ipsec"]["interfaces"] = {
      {{"name", "N2"}, {"peers", {{{"name", "gnb-1"}, {"address", "10.0.0.1"}}}}}};
  EXPECT_TRUE(needs_certificate(parse(doc)));
  doc["spec"]["ipsec"]["interfaces"][0]["authentication"] = "PreSharedKey";
  doc["spec"]["ipsec"]["interfaces"][0]["allowPreSharedKey"] = true;
  EXPECT_FALSE(needs_certificate(parse(doc)));
}

TEST(TrustBundle, SharedConfigMapWithoutOwner) {
  const std::string ca = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
  const json cm = trust_bundle_config_map("operator-a", "5gc", ca);
  EXPECT_EQ(cm["apiVersion"], "v1");
  EXPECT_EQ(cm["kind"], "ConfigMap");
  EXPECT_EQ(cm["metadata"]["name"], "operator-a-ca");
  EXPECT_EQ(cm["metadata"]["namespace"], "5gc");
  EXPECT_EQ(cm["metadata"]["labels"], json::parse(R"({
    "app.kubernetes.io/managed-by": "secprov", "app.kubernetes.io/part-of": "secprov",
    "secprov.io/trust-domain": "operator-a"})"));
  EXPECT_FALSE(cm["metadata"].contains("ownerReferences"));
  EXPECT_FALSE(cm.contains("type"));
  EXPECT_EQ(cm["data"], json({{"ca.crt", ca}}));
  EXPECT_NE(trust_bundle_config_map("operator-a", "5gc", ca + ca)["data"], cm["data"]);
  EXPECT_THROW(trust_bundle_config_map("", "5gc", ca), std::invalid_argument);
  // The domain's CRL rides along when there is one (for the enabler's crl-file).
  EXPECT_FALSE(cm["data"].contains("ca.crl"));
  const json with_crl = trust_bundle_config_map("operator-a", "5gc", ca, nullptr, "CRL PEM");
  EXPECT_EQ(with_crl["data"]["ca.crl"], "CRL PEM");
  EXPECT_EQ(with_crl["data"]["ca.crt"], cm["data"]["ca.crt"]);
}

}  // namespace
}  // namespace secprov::render

#include "api/trustdomain.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace secprov::api {
namespace {

using nlohmann::json;
using testing::HasError;
using testing::NoErrors;
using namespace std::chrono;

json minimal() {
  return json::parse(R"({
    "apiVersion": "secprov.io/v1alpha1",
    "kind": "TrustDomain",
    "metadata": {"name": "mnc001-mcc001", "generation": 2},
    "spec": {
      "domain": "5gc.mnc001.mcc001.3gppnetwork.org",
      "country": "FR",
      "ca": {"generate": {}}
    }
  })");
}

json with(const std::string& ptr, json value) {
  json j = minimal();
  j[json::json_pointer(ptr)] = std::move(value);
  return j;
}

TEST(TrustDomainParse, MinimalGetsDefaults) {
  auto r = parse_trust_domain(minimal());
  ASSERT_TRUE(r.ok()) << testing::dump(r.errors());
  EXPECT_EQ(r->metadata.name, "mnc001-mcc001");
  EXPECT_TRUE(r->metadata.namespace_.empty());
  EXPECT_EQ(r->metadata.generation, 2);
  EXPECT_EQ(r->spec.domain, "5gc.mnc001.mcc001.3gppnetwork.org");
  EXPECT_EQ(r->spec.country, "FR");
  EXPECT_FALSE(r->spec.organization.has_value());
  ASSERT_TRUE(r->spec.ca.generate.has_value());
  EXPECT_EQ(r->spec.ca.generate->key_algorithm, KeyAlgorithm::EcdsaP384);
  EXPECT_EQ(r->spec.ca.generate->duration, "87600h");
  EXPECT_FALSE(r->spec.ca.secret_ref.has_value());
  EXPECT_TRUE(NoErrors(validate(r.value())));
  EXPECT_EQ(effective_organization(r.value()), "5gc.mnc001.mcc001.3gppnetwork.org");
  EXPECT_EQ(ca_duration(r.value()), hours(87600));
}

TEST(TrustDomainParse, ImportedCa) {
  json j = minimal();
  j["spec"]["ca"] = {{"secretRef", {{"name", "operator-ca"}}}};
  j["spec"]["organization"] = "Example Mobile";
  auto r = parse_trust_domain(j);
  ASSERT_TRUE(r.ok()) << testing::dump(r.errors());
  EXPECT_EQ(r->spec.ca.secret_ref->name, "operator-ca");
  EXPECT_EQ(effective_organization(r.value()), "Example Mobile");
  EXPECT_FALSE(ca_duration(r.value()).has_value());
  EXPECT_TRUE(NoErrors(validate(r.value())));
}

TEST(TrustDomainRules, ExactlyOneCaSource) {
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca", json::object())), "spec.ca",
                       "exactly one of generate or secretRef"));
  json both = minimal();
  both["spec"]["ca"]["secretRef"] = {{"name", "x"}};
  EXPECT_TRUE(HasError(check_trust_domain(both), "spec.ca", "exactly one"));
  json missing = minimal();
  missing["spec"].erase("ca");
  EXPECT_TRUE(HasError(check_trust_domain(missing), "spec.ca", "Required"));
}

TEST(TrustDomainRules, DomainCountryOrganization) {
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/domain", "5GC.Example")), "spec.domain"));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/country", "fr")), "spec.country"));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/country", "FRA")), "spec.country"));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/organization", std::string(65, 'o'))),
                       "spec.organization", "Too long"));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/organization", "")), "spec.organization"));
}

TEST(TrustDomainRules, CaKeyAndDuration) {
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca/generate/keyAlgorithm", "RSA-1024")),
                       "spec.ca.generate.keyAlgorithm", "at least 2048 bits"));
  EXPECT_TRUE(NoErrors(check_trust_domain(with("/spec/ca/generate/keyAlgorithm", "RSA-4096"))));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca/generate/duration", "23h")),
                       "spec.ca.generate.duration", "at least 24h"));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca/generate/duration", "10y")),
                       "spec.ca.generate.duration", "should match"));
  EXPECT_TRUE(NoErrors(check_trust_domain(with("/spec/ca/generate/duration", "175200h"))));
}

TEST(TrustDomainRules, UnknownFields) {
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca/generate/keySize", 4096)),
                       "spec.ca.generate.keySize", "unknown field"));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca/secretRef/namespace", "x")),
                       "spec.ca.secretRef.namespace", "unknown field"));
  EXPECT_TRUE(
      HasError(check_trust_domain(with("/spec/caKey", "x")), "spec.caKey", "unknown field"));
}

TEST(TrustDomainStatusJson, RoundTrips) {
  TrustDomainStatus s;
  s.observed_generation = 2;
  s.conditions = {{"Ready", ConditionStatus::True, 2, sys_days{2025y / May / 5}, "CAReady", ""}};
  s.ca_fingerprint = std::string(64, 'a');
  s.ca_not_after = sys_days{2035y / May / 3};
  s.ca_secret_name = "secprov-ca-mnc001-mcc001";
  const json j = to_json(s);
  EXPECT_EQ(j.at("caNotAfter"), "2035-05-03T00:00:00Z");
  EXPECT_EQ(j.at("caSecretName"), "secprov-ca-mnc001-mcc001");
  auto back = parse_trust_domain_status(j);
  ASSERT_TRUE(back.ok()) << testing::dump(back.errors());
  EXPECT_EQ(back.value(), s);
  EXPECT_EQ(to_json(TrustDomainStatus{}), (json{{"observedGeneration", 0}}));
}

}  // namespace
}  // namespace secprov::api

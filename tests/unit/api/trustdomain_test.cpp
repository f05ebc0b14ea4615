#include "api/trustdomain.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/duration.h"
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
  // The floor is 3 x the 720h renewBefore: a CA of 24h made every leaf due at once.
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca/generate/duration", "24h")),
                       "spec.ca.generate.duration", "at least 2160h"));
  EXPECT_TRUE(HasError(check_trust_domain(with("/spec/ca/generate/duration", "2159h59m59s")),
                       "spec.ca.generate.duration", "at least 2160h"));
  EXPECT_TRUE(NoErrors(check_trust_domain(with("/spec/ca/generate/duration", "2160h"))));
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

TEST(TrustDomainStatusJson, PreviousCasAndReplacementTokenRoundTrip) {
  TrustDomainStatus s;
  s.ca_fingerprint = "new";
  s.previous_cas = {{"old", "-----BEGIN CERTIFICATE-----\nold\n-----END CERTIFICATE-----\n",
                     sys_days{2030y / January / 1}},
                    {"older", "older-pem", std::nullopt}};
  s.ca_replacement_token = "2025-05-05";
  const json j = to_json(s);
  EXPECT_EQ(j.at("previousCAs").at(0).at("notAfter"), "2030-01-01T00:00:00Z");
  EXPECT_FALSE(j.at("previousCAs").at(1).contains("notAfter"));
  EXPECT_EQ(j.at("caReplacementToken"), "2025-05-05");
  auto back = parse_trust_domain_status(j);
  ASSERT_TRUE(back.ok()) << testing::dump(back.errors());
  EXPECT_EQ(back.value(), s);
}

TEST(TrustDomainConstants, CaRenewBeforeIsTheDefaultRenewBefore) {
  EXPECT_EQ(parse_go_duration(kDefaultRenewBefore), kCaRenewBefore);
  EXPECT_EQ(kMinGeneratedCaDuration, hours(2160));
}

TEST(PendingCaReplacement, OnlyANewNonEmptyTokenIsPending) {
  TrustDomainStatus status;
  json object = minimal();
  EXPECT_EQ(pending_ca_replacement(object, status), std::nullopt);
  object["metadata"]["annotations"] = {{"secprov.io/replace-ca", ""}};
  EXPECT_EQ(pending_ca_replacement(object, status), std::nullopt);
  object["metadata"]["annotations"] = {{"secprov.io/replace-ca", "t1"}};
  EXPECT_EQ(pending_ca_replacement(object, status), "t1");
  status.ca_replacement_token = "t1";
  EXPECT_EQ(pending_ca_replacement(object, status), std::nullopt) << "processed once";
  object["metadata"]["annotations"]["secprov.io/replace-ca"] = "t2";
  EXPECT_EQ(pending_ca_replacement(object, status), "t2");
  object["metadata"]["annotations"]["secprov.io/replace-ca"] = std::string(254, 'x');
  EXPECT_EQ(pending_ca_replacement(object, status), std::nullopt) << "cannot be recorded";
}

TEST(TrustBundlePem, CurrentThenPreviousCasInOverlapUntilTheyExpire) {
  const Timestamp now = sys_days{2026y / March / 1};
  TrustDomainStatus status;
  status.ca_fingerprint = "cur";
  EXPECT_EQ(trust_bundle_pem("CUR\n", status, now), "CUR\n") << "no overlap: the CA alone";
  status.previous_cas = {{"old", "OLD\n", sys_days{2027y / January / 1}},
                         {"cur", "CUR\n", std::nullopt},  // never twice
                         {"expired", "EXPIRED\n", sys_days{2026y / February / 1}},
                         {"unbounded", "NOEOL", std::nullopt}};
  EXPECT_EQ(trust_bundle_pem("CUR\n", status, now), "CUR\nOLD\nNOEOL\n");
  EXPECT_EQ(trust_bundle_pem("CUR", status, sys_days{2027y / January / 1}), "CUR\nNOEOL\n");
}

}  // namespace
}  // namespace secprov::api

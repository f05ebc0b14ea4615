// OAuth2 producers and their NRF: the readiness policy and the index join that re-maps an
// NRF's events to the producers naming it.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "controllers/mappers.h"
#include "controllers/policies.h"

namespace secprov::controllers {
namespace {

using Json = nlohmann::json;
constexpr const char* kNrfId = "6F1A4C2E-8B3D-4E5F-9A0B-1C2D3E4F5A6B";  // upper case on purpose

Json document(const std::string& ns, const std::string& name, const std::string& nf_type,
              Json algorithms, const std::string& role = "Producer") {
  Json doc = {
      {"apiVersion", "secprov.io/v1alpha1"},
      {"kind", "SecurityProfile"},
      {"metadata",
       {{"name", name}, {"namespace", ns}, {"uid", name + "-uid"}, {"resourceVersion", "1"}}},
      {"spec",
       {{"nfType", nf_type},
        {"selector", {{"matchLabels", {{"app", name}}}}},
        {"trustDomainRef", {{"name", "td"}}},
        {"sbi",
         {{"tls", {{"mode", "MutualTLS"}}},
          {"oauth2",
           {{"enabled", true},
            {"nrfApiRoot", "https://nrf.5gc.svc"},
            {"nrfInstanceId", kNrfId},
            {"role", role},
            {"acceptedAlgorithms", std::move(algorithms)}}}}}}}};
  if (nf_type == "NRF") doc["spec"]["nfInstanceId"] = kNrfId;
  return doc;
}

api::SecurityProfile parse(const Json& doc) {
  auto parsed = api::parse_security_profile(doc);
  if (!parsed) throw std::runtime_error(parsed.errors().front().message());
  return parsed.value();
}

TEST(OAuth2Policy, ProducerIsReadyOnlyWhenItCanVerifyTheNrfTokens) {
  const auto smf = parse(document("5gc", "smf", "SMF", {"ES256", "RS256"}));
  const auto nrf = parse(document("5gc", "nrf", "NRF", {"ES256"}));
  EXPECT_EQ(policies::oauth2_verification_gap(smf, nullptr, false)->reason, "OAuth2NrfNotFound");
  EXPECT_EQ(policies::oauth2_verification_gap(smf, &nrf, false)->reason, "OAuth2NrfSigningPending");
  EXPECT_EQ(policies::oauth2_verification_gap(smf, &nrf, true), std::nullopt);
  // A consumer NRF is no authorization server.
  const auto consumer_nrf = parse(document("5gc", "nrf", "NRF", {"ES256"}, "Consumer"));
  EXPECT_EQ(policies::oauth2_verification_gap(smf, &consumer_nrf, true)->reason,
            "OAuth2NrfNotFound");
  // Not a producer: nothing to verify.
  const auto amf = parse(document("5gc", "amf", "AMF", {"ES256"}, "Consumer"));
  EXPECT_EQ(policies::oauth2_verification_gap(amf, nullptr, false), std::nullopt);
  auto no_id = document("5gc", "udm", "UDM", {"ES256"});
  no_id["spec"]["sbi"]["oauth2"].erase("nrfInstanceId");
  EXPECT_EQ(policies::oauth2_verification_gap(parse(no_id), &nrf, true)->reason,
            "OAuth2NrfUnknown");
}

TEST(OAuth2Policy, ProducerNotAcceptingTheNrfAlgorithmIsReported) {
  const auto udm = parse(document("5gc", "udm", "UDM", {"RS256", "PS256"}));
  const auto nrf = parse(document("5gc", "nrf", "NRF", {"ES256"}));
  const auto why = policies::oauth2_verification_gap(udm, &nrf, true);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->reason, "OAuth2AlgorithmNotAccepted");
  EXPECT_NE(why->message.find("ES256"), std::string::npos) << why->message;
  EXPECT_NE(why->message.find("RS256, PS256"), std::string::npos) << why->message;
  EXPECT_EQ(policies::oauth2_algorithm_not_accepted(udm, api::JwsAlgorithm::RS256), std::nullopt);
}

runtime::ObjectPtr ptr(Json j) {
  return std::make_shared<const Json>(std::move(j));
}

TEST(OAuth2Mappers, NrfAndItsSigningSecretReachTheProducersOfTheirNamespace) {
  const auto profiles = make_profile_store();
  profiles->upsert(ptr(document("5gc", "nrf", "NRF", {"ES256"})));
  profiles->upsert(ptr(document("5gc", "smf", "SMF", {"ES256"})));
  profiles->upsert(ptr(document("5gc", "amf", "AMF", {"ES256"}, "Consumer")));
  profiles->upsert(ptr(document("other", "smf", "SMF", {"ES256"})));
  const auto names = [](const std::vector<runtime::ObjectKey>& keys) {
    std::vector<std::string> out;
    for (const auto& k : keys) out.push_back(k.ns + "/" + k.name);
    return out;
  };
  EXPECT_EQ(names(producers_of_nrf(*profiles, document("5gc", "nrf", "NRF", {"ES256"}))),
            std::vector<std::string>{"5gc/smf"});
  EXPECT_TRUE(producers_of_nrf(*profiles, document("5gc", "smf", "SMF", {"ES256"})).empty());

  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata",
                  {{"name", "nrf-oauth2-signing"},
                   {"namespace", "5gc"},
                   {"ownerReferences",
                    {{{"apiVersion", "secprov.io/v1alpha1"},
                      {"kind", "SecurityProfile"},
                      {"name", "nrf"},
                      {"uid", "nrf-uid"},
                      {"controller", true}}}}}}};
  EXPECT_EQ(names(producers_of_signing_secret(*profiles, secret)),
            std::vector<std::string>{"5gc/smf"});
  secret["metadata"]["name"] = "nrf-tls";  // the NRF's other Secrets are not its signing one
  EXPECT_TRUE(producers_of_signing_secret(*profiles, secret).empty());
  // The NRF lookup of a producer.
  EXPECT_EQ(names(profiles->keys_by_index(index::kProfileAuthorizationServer,
                                          "5gc/6f1a4c2e-8b3d-4e5f-9a0b-1c2d3e4f5a6b")),
            std::vector<std::string>{"5gc/nrf"});
}

}  // namespace
}  // namespace secprov::controllers

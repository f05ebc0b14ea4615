// OAuth2 checks of an SBI consumer -> producer pair (AMF -> AUSF) with the NRF in scope.

#include "check/oauth2.h"

#include <gtest/gtest.h>

#include "builders.h"

namespace secprov::check {
namespace {

using nlohmann::json;
using testing::find_pair;
using testing::profile;
using testing::reasons;
using Reasons = std::vector<std::string>;

constexpr const char* kNrfId = "0c8a3c3e-5f0e-4b1a-8e0d-8f4f6a2b7c11";

json oauth2(const json& fields) {
  json o = {{"enabled", true},
            {"nrfApiRoot", "https://nrf.5gc.svc.cluster.local"},
            {"nrfInstanceId", kNrfId}};
  o.merge_patch(fields);
  return {{"sbi", {{"oauth2", o}}}};
}

json merged(json a, const json& b) {
  a.merge_patch(b);
  return a;
}

api::SecurityProfile nrf(const json& patch = json::object()) {
  return profile(
      "nrf", "NRF",
      merged(merged({{"nfInstanceId", kNrfId}}, oauth2({{"role", "Producer"},
                                                        {"scopes", {"nnrf-nfm", "nnrf-disc"}},
                                                        {"acceptedAlgorithms", {"ES256"}}})),
             patch));
}

const json kConsumer = oauth2({{"role", "Consumer"}, {"scopes", {"nnrf-disc", "nausf-auth"}}});
const json kProducer =
    oauth2({{"role", "Producer"}, {"scopes", {"nausf-auth"}}, {"acceptedAlgorithms", {"ES256"}}});

struct Case {
  const char* name;
  json consumer;
  json producer;
  Reasons expected;
  friend void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }
};

const Case kCases[] = {
    {"Consistent", kConsumer, kProducer, {}},
    {"NoOAuth2Anywhere", json::object(), json::object(), {}},
    {"DifferentNrf",
     merged(kConsumer, oauth2({{"nrfApiRoot", "https://nrf2.5gc.svc"}})),
     kProducer,
     {"OAuth2DifferentNrf", "NrfApiRootNotInSan"}},
    {"AlgorithmNotAccepted",
     kConsumer,
     merged(kProducer, oauth2({{"acceptedAlgorithms", {"RS256"}}})),
     {"OAuth2AlgorithmNotAccepted"}},
    {"ScopeNotOffered",
     merged(kConsumer, oauth2({{"scopes", {"nausf-auth", "nausf-sorprotection"}}})),
     kProducer,
     {"OAuth2ScopeNotOffered"}},
    {"NoScopeForProducer",
     merged(kConsumer, oauth2({{"scopes", {"nnrf-disc"}}})),
     kProducer,
     {"OAuth2NoScopeForProducer"}},
    {"ConsumerWithoutToken", json::object(), kProducer, {"OAuth2ConsumerWithoutToken"}},
    {"ProducerDoesNotCheck", kConsumer, json::object(), {"OAuth2NotChecked"}},
    // Effective: Open5GS has no OAuth2, whatever the profile says.
    {"Open5gsProducerHasNoOAuth2",
     kConsumer,
     merged(kProducer, {{"outputs", {{"open5gs", true}}}}),
     {"OAuth2NotChecked"}},
    {"Free5gcConsumerRequestsNoToken",
     merged(kConsumer, {{"outputs", {{"free5gc", true}}}}),
     merged(kProducer, {{"sbi", {{"tls", {{"mode", "TLS"}}}}}}),
     {"ServerNotVerified", "OAuth2ConsumerWithoutToken"}},
    {"ProducerNamesNoNrf",
     kConsumer,
     merged(kProducer, {{"sbi", {{"oauth2", {{"nrfInstanceId", nullptr}}}}}}),
     {"OAuth2DifferentNrf", "OAuth2NrfNotFound"}},
};

class OAuth2Cases : public ::testing::TestWithParam<Case> {};

TEST_P(OAuth2Cases, Reasons) {
  const auto& c = GetParam();
  Scope scope;
  scope.profiles = {profile("amf", "AMF", c.consumer), profile("ausf", "AUSF", c.producer), nrf()};
  const auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf")), c.expected)
      << testing::dump(report);
}

INSTANTIATE_TEST_SUITE_P(Sbi, OAuth2Cases, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(OAuth2, NrfThatIssuesNoTokens) {
  Scope scope;
  // An NRF rendered for free5GC gets oauth: false (native limit NoOAuth2): it issues nothing.
  scope.profiles = {profile("amf", "AMF", kConsumer), profile("ausf", "AUSF", kProducer),
                    nrf({{"outputs", {{"free5gc", true}}}})};
  const auto report = evaluate(scope);
  EXPECT_EQ(reasons(find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf")),
            (Reasons{"OAuth2NrfNotAuthorizationServer"}))
      << testing::dump(report);
}

TEST(OAuth2, NrfNotInScopeIsNotAPass) {
  Scope scope;
  scope.profiles = {profile("amf", "AMF", kConsumer), profile("ausf", "AUSF", kProducer)};
  const auto report = evaluate(scope);
  const auto* pair = find_pair(report, Interface::Sbi, "5gc/amf", "5gc/ausf");
  EXPECT_EQ(reasons(pair), (Reasons{"OAuth2NrfNotInScope"}));
  ASSERT_NE(pair, nullptr);
  EXPECT_EQ(pair->findings.front().severity, Severity::Info);
}

TEST(OAuth2, TlsOnWhereverOAuth2IsOn) {
  OAuth2End consumer;
  consumer.id = "5gc/amf";
  consumer.enabled = true;
  consumer.role = api::OAuth2Role::Consumer;
  consumer.tls = false;
  OAuth2End producer = consumer;
  producer.id = "5gc/ausf";
  producer.tls = true;
  const auto f = oauth2_requires_tls({consumer, producer, nullptr});
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "OAuth2WithoutTls");
  EXPECT_EQ(f->message,
            "SBI 5gc/amf -> 5gc/ausf: 5gc/amf has OAuth2 on and TLS off (TS 33.501 13.3.2.1)");
}

TEST(OAuth2, UriHost) {
  EXPECT_EQ(uri_host("https://nrf.5gc.svc.cluster.local"), "nrf.5gc.svc.cluster.local");
  EXPECT_EQ(uri_host("https://nrf.example:8443/nnrf"), "nrf.example");
  EXPECT_EQ(uri_host("https://[fd00::1]:443/"), "fd00::1");
}

}  // namespace
}  // namespace secprov::check

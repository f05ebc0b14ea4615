// policies::enforcement(): the Enforced condition from the native-limits table.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "controllers/policies.h"

namespace secprov::controllers::policies {
namespace {

using nlohmann::json;

api::SecurityProfile profile(json sbi, json outputs) {
  json doc = {{"apiVersion", "secprov.io/v1alpha1"},
              {"kind", "SecurityProfile"},
              {"metadata", {{"name", "amf"}, {"namespace", "5gc"}, {"uid", "u"}}},
              {"spec",
               {{"nfType", "AMF"},
                {"selector", {{"matchLabels", {{"app", "amf"}}}}},
                {"trustDomainRef", {{"name", "td"}}},
                {"sbi", std::move(sbi)},
                {"outputs", std::move(outputs)}}}};
  auto parsed = api::parse_security_profile(doc);
  if (!parsed) throw std::runtime_error(parsed.errors().front().message());
  return parsed.value();
}

const json kAmfSbi = {{"tls", {{"mode", "MutualTLS"}, {"minVersion", "1.2"}}},
                      {"oauth2",
                       {{"enabled", true},
                        {"nrfApiRoot", "https://nrf.5gc.svc.cluster.local"},
                        {"role", "Consumer"}}}};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(EnforcementTest, NoNativeOutputIsUnknownSayingTheConsumerIsNotKnown) {
  const auto verdict = enforcement(profile(kAmfSbi, json::object()));
  EXPECT_EQ(verdict.status, api::ConditionStatus::Unknown);
  EXPECT_EQ(verdict.reason.reason, "ConsumerUnknown");
  EXPECT_EQ(lines(verdict.reason.message).front(), "consumer unknown (no spec.outputs)");
  EXPECT_NE(verdict.reason.message.find("spec.enabler"), std::string::npos);
}

TEST(EnforcementTest, GapsAreFalseWithASummaryLineOneLineEachAndTheRemedy) {
  const auto verdict = enforcement(profile(kAmfSbi, {{"open5gs", true}}));
  EXPECT_EQ(verdict.status, api::ConditionStatus::False);
  EXPECT_EQ(verdict.reason.reason, "EnforcementGaps");
  const auto text = lines(verdict.reason.message);
  ASSERT_EQ(text.size(), 7u) << verdict.reason.message;
  EXPECT_EQ(text[0],
            "open5gs: TLSVersions, CipherSuites, KeyExchangeGroups, ExpiredClientCertAccepted, "
            "NoOAuth2");
  EXPECT_EQ(text[1].rfind("open5gs TLSVersions: Open5GS accepts TLS 1.0 to 1.3", 0), 0u) << text[1];
  EXPECT_EQ(text[5].rfind("open5gs NoOAuth2: Open5GS has no OAuth2", 0), 0u) << text[5];
  EXPECT_EQ(text[6].rfind("remedy: enable the enabler sidecar (spec.enabler, coming)", 0), 0u)
      << text[6];
}

TEST(EnforcementTest, TwoOutputsAreSummarisedPerOutput) {
  const auto verdict =
      enforcement(profile({{"tls", {{"mode", "TLS"}}}}, {{"open5gs", true}, {"free5gc", true}}));
  EXPECT_EQ(lines(verdict.reason.message).front(),
            "open5gs: TLSVersions, CipherSuites, KeyExchangeGroups; free5gc: "
            "NoServerVerification");
}

TEST(EnforcementTest, NothingAskedBeyondTheNfIsNativelyEnforced) {
  const auto verdict = enforcement(profile({{"tls", {{"mode", "Disabled"}}}}, {{"free5gc", true}}));
  EXPECT_EQ(verdict.status, api::ConditionStatus::True);
  EXPECT_EQ(verdict.reason.reason, "NativelyEnforced");
  EXPECT_EQ(verdict.reason.message.rfind("free5gc: no gap", 0), 0u) << verdict.reason.message;
}

}  // namespace
}  // namespace secprov::controllers::policies

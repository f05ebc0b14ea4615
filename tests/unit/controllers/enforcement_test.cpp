// policies::enforcement(): the Enforced condition from the native-limits table and the
// enabler sidecar.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "controllers/policies.h"

namespace secprov::controllers::policies {
namespace {

using nlohmann::json;

api::SecurityProfile profile(json sbi, json outputs, json enabler = nullptr) {
  json doc = {{"apiVersion", "secprov.io/v1alpha1"},
              {"kind", "SecurityProfile"},
              {"metadata", {{"name", "amf"}, {"namespace", "5gc"}, {"uid", "u"}}},
              {"spec",
               {{"nfType", "AMF"},
                {"selector", {{"matchLabels", {{"app", "amf"}}}}},
                {"trustDomainRef", {{"name", "td"}}},
                {"sbi", std::move(sbi)},
                {"outputs", std::move(outputs)}}}};
  if (!enabler.is_null()) doc["spec"]["enabler"] = std::move(enabler);
  auto parsed = api::parse_security_profile(doc);
  if (!parsed) throw std::runtime_error(parsed.errors().front().message());
  return parsed.value();
}

const json kAmfSbi = {{"tls", {{"mode", "MutualTLS"}, {"minVersion", "1.2"}}},
                      {"oauth2",
                       {{"enabled", true},
                        {"nrfApiRoot", "https://nrf.5gc.svc.cluster.local"},
                        {"role", "Consumer"}}}};

// The sidecar in front of the NF (inbound), for its peers (outbound), or both.
const json kInbound = {{"port", 8000}, {"tlsPort", 8443}};
const json kOutbound = json::array(
    {{{"name", "nrf"}, {"localPort", 9002}, {"host", "nrf.5gc.svc.cluster.local"}, {"port", 443}}});
json sidecar(bool inbound, bool outbound) {
  json enabler = {{"mode", "Sidecar"}};
  if (inbound) enabler["inbound"] = kInbound;
  if (outbound) enabler["outbound"] = kOutbound;
  return enabler;
}

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
  ASSERT_EQ(text.size(), 8u) << verdict.reason.message;
  EXPECT_EQ(text[0],
            "open5gs: TLSVersions, CipherSuites, KeyExchangeGroups, ExpiredClientCertAccepted, "
            "NoOAuth2");
  EXPECT_EQ(text[1].rfind("open5gs TLSVersions: Open5GS accepts TLS 1.0 to 1.3", 0), 0u) << text[1];
  EXPECT_EQ(text[5].rfind("open5gs NoOAuth2: Open5GS has no OAuth2", 0), 0u) << text[5];
  // The sidecar would close the server rows; OAuth2 is not its to close.
  EXPECT_EQ(text[6],
            "remedy: the enabler sidecar (spec.enabler.mode: Sidecar) closes open5gs TLSVersions, "
            "open5gs CipherSuites, open5gs KeyExchangeGroups, open5gs ExpiredClientCertAccepted "
            "with spec.enabler.inbound (it terminates the NF's inbound TLS)");
  EXPECT_EQ(text[7],
            "not closed by the enabler, which terminates and originates TLS only: open5gs "
            "NoOAuth2");
}

TEST(EnforcementTest, TheSidecarClosesTheServerRowsWithInboundAndNeverOAuth2) {
  const auto verdict = enforcement(profile(kAmfSbi, {{"open5gs", true}}, sidecar(true, false)));
  EXPECT_EQ(verdict.status, api::ConditionStatus::False);
  EXPECT_EQ(verdict.reason.reason, "EnforcementGaps");
  const auto text = lines(verdict.reason.message);
  ASSERT_EQ(text.size(), 4u) << verdict.reason.message;
  EXPECT_EQ(text[0], "open5gs: NoOAuth2");
  EXPECT_EQ(text[1].rfind("open5gs NoOAuth2: ", 0), 0u) << text[1];
  EXPECT_EQ(text[2],
            "closed by the enabler sidecar (spec.enabler): open5gs TLSVersions, open5gs "
            "CipherSuites, open5gs KeyExchangeGroups, open5gs ExpiredClientCertAccepted");
  EXPECT_EQ(text[3].rfind("not closed by the enabler", 0), 0u) << text[3];
}

TEST(EnforcementTest, EverySideTheSidecarTakesOverMakesItEnforcedByTheEnabler) {
  const json mutual = {{"tls", {{"mode", "MutualTLS"}}}};
  // free5GC's gaps are its client's: only outbound peers close them.
  const auto inbound_only = enforcement(profile(mutual, {{"free5gc", true}}, sidecar(true, false)));
  EXPECT_EQ(inbound_only.status, api::ConditionStatus::False);
  EXPECT_EQ(lines(inbound_only.reason.message).front(),
            "free5gc: NoServerVerification, NoClientCertificate");
  EXPECT_NE(inbound_only.reason.message.find("with spec.enabler.outbound (it originates TLS to "
                                             "the NF's peers)"),
            std::string::npos)
      << inbound_only.reason.message;

  const auto both = enforcement(profile(mutual, {{"free5gc", true}}, sidecar(true, true)));
  EXPECT_EQ(both.status, api::ConditionStatus::True);
  EXPECT_EQ(both.reason.reason, "EnforcedByEnabler");
  const auto text = lines(both.reason.message);
  ASSERT_EQ(text.size(), 3u) << both.reason.message;
  EXPECT_EQ(text[0], "free5gc + enabler: no gap");
  EXPECT_EQ(text[1],
            "closed by the enabler sidecar (spec.enabler): free5gc NoServerVerification, "
            "free5gc NoClientCertificate");

  // The same profile and outputs without a sidecar are the native verdict.
  EXPECT_EQ(enforcement(profile(mutual, {{"free5gc", true}})).status, api::ConditionStatus::False);
}

TEST(EnforcementTest, WithoutNativeOutputTheSidecarAloneSaysWhatIsEnforced) {
  const json mutual = {{"tls", {{"mode", "MutualTLS"}}}};
  const auto both = enforcement(profile(mutual, json::object(), sidecar(true, true)));
  EXPECT_EQ(both.status, api::ConditionStatus::True);
  EXPECT_EQ(both.reason.reason, "EnforcedByEnabler");
  EXPECT_EQ(lines(both.reason.message).front(), "enabler: no gap");

  // The NF's own client, with no outbound peer, is still the unknown consumer's.
  const auto inbound_only = enforcement(profile(mutual, json::object(), sidecar(true, false)));
  EXPECT_EQ(inbound_only.status, api::ConditionStatus::Unknown);
  EXPECT_EQ(inbound_only.reason.reason, "ConsumerUnknown");
  EXPECT_EQ(lines(inbound_only.reason.message).front(),
            "consumer unknown for outbound TLS (no spec.outputs)");
  EXPECT_NE(inbound_only.reason.message.find("spec.enabler.outbound"), std::string::npos);

  // OAuth2 is never the sidecar's.
  const auto oauth2 = enforcement(profile(kAmfSbi, json::object(), sidecar(true, true)));
  EXPECT_EQ(oauth2.status, api::ConditionStatus::Unknown);
  EXPECT_EQ(lines(oauth2.reason.message).front(), "consumer unknown for OAuth2 (no spec.outputs)");
  EXPECT_EQ(oauth2.reason.message.find("spec.enabler.outbound"), std::string::npos)
      << oauth2.reason.message;
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

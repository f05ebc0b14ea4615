// The native-limits table (render/native_limits.h): every row names its source, and the gaps
// are exactly the parts of a profile the selected NFs do not enforce by themselves.
#include "render/native_limits.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::parse;
using testing::profile_doc;

std::vector<std::string> codes(const std::vector<EnforcementGap>& gaps) {
  std::vector<std::string> out;
  for (const auto& gap : gaps) out.push_back(std::string(output_name(gap.output)) + "/" + gap.code);
  return out;
}

const EnforcementGap& gap(const std::vector<EnforcementGap>& gaps, const std::string& code) {
  for (const auto& g : gaps) {
    if (g.code == code) return g;
  }
  throw std::runtime_error("no gap " + code);
}

// The AMF sample's SBI: mutual TLS from 1.2, the default groups, OAuth2 as a consumer.
json amf_style(json outputs) {
  auto doc = profile_doc();
  doc["spec"]["sbi"] = {{"tls", {{"mode", "MutualTLS"}, {"minVersion", "1.2"}}},
                        {"oauth2",
                         {{"enabled", true},
                          {"nrfApiRoot", "https://nrf.5gc.svc.cluster.local"},
                          {"role", "Consumer"},
                          {"acceptedAlgorithms", {"ES256"}}}}};
  doc["spec"]["outputs"] = std::move(outputs);
  return doc;
}

TEST(NativeLimitsTest, EveryRowNamesItsSourceAndACheck) {
  std::set<std::pair<api::NfImplementation, std::string_view>> seen;
  std::set<api::NfImplementation> outputs;
  for (const auto& row : native_limits()) {
    SCOPED_TRACE(row.code);
    EXPECT_TRUE(seen.insert({row.output, row.code}).second) << "code repeated for one output";
    outputs.insert(row.output);
    EXPECT_FALSE(row.limit.empty());
    EXPECT_NE(row.exceeded_by, nullptr);
    // "<project> <version> <file>"
    const std::string prefix =
        std::string(api::to_string(row.output)) +
        (row.output == api::NfImplementation::Open5GS ? " v2.7.7 " : " v1.4.5 ");
    EXPECT_EQ(row.source.substr(0, prefix.size()), prefix) << row.source;
    EXPECT_NE(row.source.find('/'), std::string_view::npos) << "no file in " << row.source;
  }
  EXPECT_EQ(outputs, (std::set{api::NfImplementation::Open5GS, api::NfImplementation::Free5GC}));
}

// One enum names both the output and the project: output_name is the key spec.outputs parses,
// api::to_string the project's own spelling.
TEST(NativeLimitsTest, OutputNameIsTheKeyOfSpecOutputs) {
  for (const auto& [output, project] : api::EnumTraits<api::NfImplementation>::entries) {
    SCOPED_TRACE(project);
    const auto profile = parse(amf_style({{std::string(output_name(output)), true}}));
    EXPECT_EQ(native_outputs(profile.spec.outputs), std::vector{output});
  }
  EXPECT_EQ(output_name(api::NfImplementation::Open5GS), "open5gs");
  EXPECT_EQ(output_name(api::NfImplementation::Free5GC), "free5gc");
  EXPECT_EQ(api::to_string(api::NfImplementation::Free5GC), "free5GC");
}

TEST(NativeLimitsTest, NoOutputSelectedIsNoKnowledge) {
  const auto profile = parse(amf_style(json::object()));
  EXPECT_TRUE(native_outputs(profile.spec.outputs).empty());
  EXPECT_TRUE(enforcement_gaps(profile).empty());
}

TEST(NativeLimitsTest, Open5gsAmfStyleProfileHasEveryOpen5gsGap) {
  const auto gaps = enforcement_gaps(parse(amf_style({{"open5gs", true}})));
  EXPECT_EQ(codes(gaps),
            (std::vector<std::string>{"open5gs/TLSVersions", "open5gs/CipherSuites",
                                      "open5gs/KeyExchangeGroups",
                                      "open5gs/ExpiredClientCertAccepted", "open5gs/NoOAuth2"}));
  for (const auto& g : gaps) {
    EXPECT_EQ(g.message.find('\n'), std::string::npos) << g.message;
    EXPECT_NE(g.message.find("(Open5GS v2.7.7 "), std::string::npos) << g.message;
  }
  const auto& versions = gap(gaps, "TLSVersions").message;
  EXPECT_NE(versions.find("accepts TLS 1.0 to 1.3"), std::string::npos) << versions;
  EXPECT_NE(versions.find("allows TLS 1.2 to 1.3 only"), std::string::npos) << versions;
  const auto& suites = gap(gaps, "CipherSuites").message;
  EXPECT_NE(suites.find("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), std::string::npos) << suites;
  EXPECT_NE(suites.find("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"), std::string::npos) << suites;
  // The CHACHA20 TLS 1.2 suites are not among the profile's defaults either.
  EXPECT_NE(suites.find("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"), std::string::npos);
  // The profile allows every TLS 1.3 suite OpenSSL offers by default: none is named.
  EXPECT_EQ(suites.find("TLS_AES_"), std::string::npos) << suites;
  const auto& groups = gap(gaps, "KeyExchangeGroups").message;
  EXPECT_NE(groups.find("also asks for X25519, secp384r1"), std::string::npos) << groups;
  EXPECT_NE(gap(gaps, "NoOAuth2").message.find("role Consumer"), std::string::npos);
}

TEST(NativeLimitsTest, Open5gsGroupsGapOnlyWhenTheProfileAsksForOtherThanP256) {
  auto doc = amf_style({{"open5gs", true}});
  doc["spec"]["sbi"] = {{"tls", {{"mode", "TLS"}, {"groups", {"secp256r1"}}}}};
  EXPECT_EQ(codes(enforcement_gaps(parse(doc))),
            (std::vector<std::string>{"open5gs/TLSVersions", "open5gs/CipherSuites"}));

  doc["spec"]["sbi"]["tls"]["groups"] = {"X25519"};
  doc["spec"]["sbi"]["tls"]["minVersion"] = "1.3";
  const auto gaps = enforcement_gaps(parse(doc));
  EXPECT_NE(gap(gaps, "KeyExchangeGroups").message.find("X25519 and does not allow secp256r1"),
            std::string::npos);
  EXPECT_NE(gap(gaps, "TLSVersions").message.find("allows TLS 1.3 only"), std::string::npos);
}

TEST(NativeLimitsTest, Open5gsCipherGapNamesTls13SuitesTheProfileLeavesOut) {
  auto doc = amf_style({{"open5gs", true}});
  doc["spec"]["sbi"]["tls"]["tls13CipherSuites"] = {"TLS_AES_256_GCM_SHA384"};
  const auto gaps = enforcement_gaps(parse(doc));
  const auto& suites = gap(gaps, "CipherSuites").message;
  EXPECT_NE(suites.find("TLS_CHACHA20_POLY1305_SHA256"), std::string::npos) << suites;
  EXPECT_NE(suites.find("TLS_AES_128_GCM_SHA256"), std::string::npos) << suites;
  EXPECT_EQ(suites.find("TLS_AES_256_GCM_SHA384"), std::string::npos) << suites;
}

TEST(NativeLimitsTest, Free5gcClientsVerifyNothingAndSendNoCertificate) {
  EXPECT_EQ(codes(enforcement_gaps(parse(amf_style({{"free5gc", true}})))),
            (std::vector<std::string>{"free5gc/NoServerVerification", "free5gc/NoClientCertificate",
                                      "free5gc/NoOAuth2"}));
  auto doc = amf_style({{"free5gc", true}});
  doc["spec"]["sbi"] = {{"tls", {{"mode", "TLS"}}}};
  const auto gaps = enforcement_gaps(parse(doc));
  EXPECT_EQ(codes(gaps), std::vector<std::string>{"free5gc/NoServerVerification"});
  EXPECT_NE(gaps[0].message.find("InsecureSkipVerify"), std::string::npos) << gaps[0].message;
  EXPECT_NE(gaps[0].message.find("(free5GC v1.4.5 "), std::string::npos) << gaps[0].message;
}

TEST(NativeLimitsTest, BothOutputsListBothInTableOrder) {
  const auto gaps = enforcement_gaps(parse(amf_style({{"open5gs", true}, {"free5gc", true}})));
  ASSERT_EQ(gaps.size(), 8u);
  EXPECT_EQ(gaps.front().output, api::NfImplementation::Open5GS);
  EXPECT_EQ(gaps.back().output, api::NfImplementation::Free5GC);
}

TEST(NativeLimitsTest, NothingAskedOnTheSbiIsNoGap) {
  auto doc = profile_doc();
  doc["spec"]["sbi"] = {{"tls", {{"mode", "Disabled"}}}};
  doc["spec"]["outputs"] = {{"open5gs", true}, {"free5gc", true}};
  EXPECT_TRUE(enforcement_gaps(parse(doc)).empty());
}

TEST(NativeLimitsTest, UpfHasNoSbiSoNoSbiGap) {
  auto doc = profile_doc("UPF");
  doc["spec"]["sbi"] = {{"tls", {{"mode", "MutualTLS"}}}};
  doc["spec"]["outputs"] = {{"open5gs", true}, {"free5gc", true}};
  EXPECT_TRUE(enforcement_gaps(parse(doc)).empty());
}

// The side of each row decides what the enabler sidecar closes: the NF's TLS server (what it
// accepts) behind inbound, its client (what it verifies and presents) behind outbound, and
// neither OAuth2 nor N32.
TEST(NativeLimitsTest, EachRowSaysWhichSideOfTheNfItIsAbout) {
  std::map<std::string, TlsSide> sides;
  for (const auto& row : native_limits()) {
    sides[std::string(output_name(row.output)) + "/" + std::string(row.code)] = row.side;
  }
  EXPECT_EQ(sides,
            (std::map<std::string, TlsSide>{{"open5gs/TLSVersions", TlsSide::Server},
                                            {"open5gs/CipherSuites", TlsSide::Server},
                                            {"open5gs/KeyExchangeGroups", TlsSide::Server},
                                            {"open5gs/ExpiredClientCertAccepted", TlsSide::Server},
                                            {"open5gs/NoOAuth2", TlsSide::None},
                                            {"open5gs/N32OneClientCA", TlsSide::None},
                                            {"open5gs/N32OneTargetPLMN", TlsSide::None},
                                            {"free5gc/NoServerVerification", TlsSide::Client},
                                            {"free5gc/NoClientCertificate", TlsSide::Client},
                                            {"free5gc/NoOAuth2", TlsSide::None}}));
  const auto gaps = enforcement_gaps(parse(amf_style({{"free5gc", true}})));
  EXPECT_EQ(gap(gaps, "NoServerVerification").side, TlsSide::Client);
  EXPECT_EQ(gap(gaps, "NoOAuth2").side, TlsSide::None);
}

TEST(NativeLimitsTest, TheEnablerTakesOverTheSidesItIsGiven) {
  auto doc = amf_style({{"open5gs", true}});
  const auto none = parse(doc);
  for (const auto side : {TlsSide::Server, TlsSide::Client, TlsSide::None}) {
    EXPECT_FALSE(enabler_takes_over(none, side));
  }
  doc["spec"]["enabler"] = {{"mode", "Sidecar"}, {"inbound", {{"port", 8000}, {"tlsPort", 8443}}}};
  const auto inbound = parse(doc);
  EXPECT_TRUE(enabler_takes_over(inbound, TlsSide::Server));
  EXPECT_FALSE(enabler_takes_over(inbound, TlsSide::Client));
  EXPECT_FALSE(enabler_takes_over(inbound, TlsSide::None));
  EXPECT_EQ(asked_of_unknown_nf(inbound), (std::vector<std::string>{"outbound TLS", "OAuth2"}));
  doc["spec"]["enabler"]["outbound"] = json::array({{{"name", "nrf"},
                                                     {"localPort", 9002},
                                                     {"host", "nrf.5gc.svc.cluster.local"},
                                                     {"port", 443}}});
  const auto both = parse(doc);
  EXPECT_TRUE(enabler_takes_over(both, TlsSide::Client));
  EXPECT_EQ(asked_of_unknown_nf(both), std::vector<std::string>{"OAuth2"});
  // Native mode is no sidecar, whatever else the enabler says.
  doc["spec"]["enabler"]["mode"] = "Native";
  EXPECT_FALSE(enabler_takes_over(parse(doc), TlsSide::Server));
  EXPECT_EQ(asked_of_unknown_nf(parse(doc)),
            (std::vector<std::string>{"inbound TLS", "outbound TLS", "OAuth2"}));
}

}  // namespace
}  // namespace secprov::render

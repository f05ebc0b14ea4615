// Issue 8 defect 8: Ready says the objects are written, not that the NF enforces them. Each
// profile gets an Enforced condition per spec.outputs and its enabler sidecar: False naming
// every gap of the NF's native limits the sidecar does not close (with the remedy), True when
// the NF, with its sidecar, enforces all the profile asks, Unknown when no native output says
// what the consumer is; and `kubectl get securityprofile` shows it at a glance.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

class EnforcedTest : public OperatorTest {
 protected:
  Json document(const std::string& name, const std::string& nf_type, Json sbi, Json outputs) const {
    return profile_document(name, nf_type,
                            {{"sbi", std::move(sbi)}, {"outputs", std::move(outputs)}});
  }
  // Ready, and Enforced with `status`, both for the profile's current generation.
  void expect_settled(const std::string& name, const std::string& enforced) {
    ASSERT_TRUE(eventually(
        [&] {
          return profile_condition(name, "Ready", "True") &&
                 profile_condition(name, "Enforced", enforced);
        },
        std::chrono::seconds(60)))
        << operators_[0]->log() << profile(name)["status"].dump(2);
  }
};

// The AMF sample's SBI: mutual TLS from 1.2 to 1.3, OAuth2 consumer of the NRF.
const Json kAmfSbi = {{"tls",
                       {{"mode", "MutualTLS"},
                        {"minVersion", "1.2"},
                        {"maxVersion", "1.3"},
                        {"certificate",
                         {{"keyAlgorithm", "ECDSA-P256"},
                          {"extraDnsNames", {"amf.5gc.mnc001.mcc001.3gppnetwork.org"}}}}}},
                      {"oauth2",
                       {{"enabled", true},
                        {"nrfApiRoot", "https://nrf.5gc.svc.cluster.local"},
                        {"nrfInstanceId", "0c8a3c3e-5f0e-4b1a-8e0d-8f4f6a2b7c11"},
                        {"role", "Consumer"},
                        {"scopes", {"nnrf-disc", "nnrf-nfm"}},
                        {"acceptedAlgorithms", {"ES256"}}}}};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_F(EnforcedTest, ConditionNamesEachGapOfTheOutputsNfAndKubectlShowsIt) {
  create_trust_domain();
  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml(document("amf", "AMF", kAmfSbi, {{"open5gs", true}}).dump(2), &output), 0)
      << output;
  ASSERT_EQ(
      apply_yaml(
          document("smf", "SMF", {{"tls", {{"mode", "MutualTLS"}}}}, {{"free5gc", true}}).dump(2),
          &output),
      0)
      << output;
  ASSERT_EQ(apply_yaml(document("nssf", "NSSF", {{"tls", {{"mode", "Disabled"}}}},
                                {{"open5gs", true}, {"free5gc", true}})
                           .dump(2),
                       &output),
            0)
      << output;
  ASSERT_EQ(
      apply_yaml(document("ausf", "AUSF", {{"tls", {{"mode", "TLS"}}}}, Json::object()).dump(2),
                 &output),
      0)
      << output;
  // free5GC behind the enabler sidecar, inbound and to its NRF: its client gaps are closed.
  Json udm = document("udm", "UDM", {{"tls", {{"mode", "MutualTLS"}}}}, {{"free5gc", true}});
  udm["spec"]["enabler"] = {{"mode", "Sidecar"},
                            {"inbound", {{"port", 8000}, {"tlsPort", 8443}}},
                            {"outbound",
                             {{{"name", "nrf"},
                               {"localPort", 9002},
                               {"host", "nrf.5gc.svc.cluster.local"},
                               {"port", 443}}}}};
  ASSERT_EQ(apply_yaml(udm.dump(2), &output), 0) << output;

  // Open5GS: every gap of consumers.md, one line each, then the remedy and what it leaves.
  expect_settled("amf", "False");
  const Json amf = condition("amf", "Enforced");
  EXPECT_EQ(amf.value("reason", ""), "EnforcementGaps") << amf.dump();
  const auto amf_lines = lines(amf.value("message", ""));
  ASSERT_EQ(amf_lines.size(), 8u) << amf.dump(2);
  EXPECT_EQ(amf_lines[0],
            "open5gs: TLSVersions, CipherSuites, KeyExchangeGroups, ExpiredClientCertAccepted, "
            "NoOAuth2");
  for (const auto& [k, text] : std::vector<std::pair<std::size_t, std::string>>{
           {1, "Open5GS accepts TLS 1.0 to 1.3"},
           {1, "the profile allows TLS 1.2 to 1.3 only"},
           {2, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
           {3, "P-256 (secp256r1) only"},
           {4, "expired client certificate"},
           {5, "has no OAuth2"},
           {6,
            "remedy: the enabler sidecar (spec.enabler.mode: Sidecar) closes open5gs "
            "TLSVersions"},
           {6, "with spec.enabler.inbound"},
           {7, "not closed by the enabler"},
           {7, "open5gs NoOAuth2"}}) {
    EXPECT_NE(amf_lines[k].find(text), std::string::npos) << text << " not in: " << amf_lines[k];
  }
  for (std::size_t k = 1; k <= 5; ++k) {
    EXPECT_NE(amf_lines[k].find("(Open5GS v2.7.7 "), std::string::npos) << amf_lines[k];
  }

  // free5GC: no server verification and no client certificate.
  expect_settled("smf", "False");
  const auto smf_lines = lines(condition("smf", "Enforced").value("message", ""));
  ASSERT_FALSE(smf_lines.empty());
  EXPECT_EQ(smf_lines[0], "free5gc: NoServerVerification, NoClientCertificate");

  // Nothing asked beyond what the NFs do: enforced.
  expect_settled("nssf", "True");
  EXPECT_EQ(condition("nssf", "Enforced").value("reason", ""), "NativelyEnforced");

  // The sidecar closes what free5GC's client does not do.
  expect_settled("udm", "True");
  const Json udm_enforced = condition("udm", "Enforced");
  EXPECT_EQ(udm_enforced.value("reason", ""), "EnforcedByEnabler") << udm_enforced.dump();
  const auto udm_lines = lines(udm_enforced.value("message", ""));
  ASSERT_GE(udm_lines.size(), 2u) << udm_enforced.dump();
  EXPECT_EQ(udm_lines[1],
            "closed by the enabler sidecar (spec.enabler): free5gc NoServerVerification, free5gc "
            "NoClientCertificate");

  // No native output: the consumer, so what it enforces, is not known.
  expect_settled("ausf", "Unknown");
  EXPECT_EQ(condition("ausf", "Enforced").value("reason", ""), "ConsumerUnknown");

  // At a glance: kubectl prints the status and the gap line (the message up to its newline).
  ASSERT_EQ(kubectl("get securityprofile -n " + namespace_, &output), 0) << output;
  const auto table = lines(output);
  ASSERT_FALSE(table.empty());
  EXPECT_NE(table[0].find("ENFORCED"), std::string::npos) << output;
  EXPECT_NE(table[0].find("GAPS"), std::string::npos) << output;
  const auto row = [&](const std::string& name) {
    for (const auto& line : table) {
      if (line.rfind(name + " ", 0) == 0) return line;
    }
    return std::string{};
  };
  EXPECT_NE(row("amf").find("False"), std::string::npos) << output;
  EXPECT_NE(row("amf").find("open5gs: TLSVersions, CipherSuites, KeyExchangeGroups, "
                            "ExpiredClientCertAccepted, NoOAuth2..."),
            std::string::npos)
      << output;
  EXPECT_NE(row("smf").find("free5gc: NoServerVerification, NoClientCertificate"),
            std::string::npos)
      << output;
  EXPECT_NE(row("nssf").find("open5gs, free5gc: no gap"), std::string::npos) << output;
  EXPECT_NE(row("udm").find("free5gc + enabler: no gap"), std::string::npos) << output;
  EXPECT_NE(row("ausf").find("Unknown"), std::string::npos) << output;
  EXPECT_NE(row("ausf").find("consumer unknown (no spec.outputs)"), std::string::npos) << output;
}

TEST_F(EnforcedTest, SpecChangeClosingTheGapsMakesItEnforced) {
  create_trust_domain();
  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml(document("amf", "AMF", kAmfSbi, {{"open5gs", true}}).dump(2), &output), 0)
      << output;
  expect_settled("amf", "False");

  // TLS off and no OAuth2: nothing asked that Open5GS does not do.
  ASSERT_EQ(
      apply_yaml(
          document("amf", "AMF", {{"tls", {{"mode", "Disabled"}}}}, {{"open5gs", true}}).dump(2),
          &output),
      0)
      << output;
  expect_settled("amf", "True");
  const Json enforced = condition("amf", "Enforced");
  EXPECT_EQ(enforced.value("reason", ""), "NativelyEnforced") << enforced.dump();
  EXPECT_EQ(enforced.value("observedGeneration", 0), profile("amf")["metadata"]["generation"]);
}

}  // namespace
}  // namespace secprov::testing

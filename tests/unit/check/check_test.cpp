// evaluate(): pair discovery over a scope, deterministic order, the report's queries.

#include <gtest/gtest.h>

#include <algorithm>

#include "builders.h"

namespace secprov::check {
namespace {

using nlohmann::json;
using testing::find_pair;
using testing::profile;

std::vector<std::string> pair_names(const Report& report) {
  std::vector<std::string> out;
  for (const auto& p : report.pairs) {
    out.push_back(std::string(to_string(p.interface)) + " " + p.a + " " + p.b);
  }
  return out;
}

Scope core() {
  Scope scope;
  scope.profiles = {profile("udm", "UDM"), profile("amf", "AMF"), profile("nrf", "NRF"),
                    profile("ausf", "AUSF"), profile("scp", "SCP"),
                    // Another namespace's NRF is in the scope only when the caller puts it.
                    profile("nrf", "NRF", json::object(), "other")};
  scope.profiles = in_namespace(scope.profiles, "5gc");
  return scope;
}

TEST(Evaluate, PairsFromTheCatalogueSorted) {
  const auto report = evaluate(core());
  EXPECT_EQ(pair_names(report),
            (std::vector<std::string>{
                "SBI 5gc/amf 5gc/ausf", "SBI 5gc/amf 5gc/nrf", "SBI 5gc/amf 5gc/scp",
                "SBI 5gc/amf 5gc/udm", "SBI 5gc/ausf 5gc/nrf", "SBI 5gc/ausf 5gc/scp",
                "SBI 5gc/ausf 5gc/udm", "SBI 5gc/scp 5gc/ausf", "SBI 5gc/scp 5gc/nrf",
                "SBI 5gc/scp 5gc/udm", "SBI 5gc/udm 5gc/nrf", "SBI 5gc/udm 5gc/scp"}))
      << testing::dump(report);
  EXPECT_TRUE(report.consistent()) << testing::dump(report);
  const auto* hop = find_pair(report, Interface::Sbi, "5gc/amf", "5gc/scp");
  ASSERT_NE(hop, nullptr);
  EXPECT_TRUE(hop->via_scp);
  EXPECT_EQ(hop->mechanisms, std::vector{Mechanism::Tls});
}

TEST(Evaluate, DeterministicWhateverTheInputOrder) {
  auto scope = core();
  const auto first = evaluate(scope);
  std::reverse(scope.profiles.begin(), scope.profiles.end());
  EXPECT_EQ(evaluate(scope), first);
  EXPECT_EQ(evaluate(scope), evaluate(scope));
}

TEST(Evaluate, InvolvingAndCounts) {
  auto scope = core();
  scope.profiles.push_back(profile("smf", "SMF", {{"sbi", {{"tls", {{"minVersion", "1.3"}}}}}}));
  scope.profiles.push_back(profile("pcf", "PCF", {{"sbi", {{"tls", {{"maxVersion", "1.2"}}}}}}));
  const auto report = evaluate(scope);
  EXPECT_FALSE(report.consistent());
  const auto pcf = report.involving("5gc/pcf");
  // AMF->PCF, SMF->PCF, PCF->NRF, PCF->SCP, SCP->PCF.
  EXPECT_EQ(pcf.size(), 5u) << testing::dump(report);
  const auto* bad = find_pair(report, Interface::Sbi, "5gc/smf", "5gc/pcf");
  ASSERT_NE(bad, nullptr);
  EXPECT_FALSE(bad->consistent());
  EXPECT_EQ(bad->findings.front().reason, "NoCommonTlsVersion");
  EXPECT_EQ(report.count(Severity::Error), 1u) << testing::dump(report);
}

TEST(Evaluate, OutboundPeerOutsideTheCatalogueIsCheckedAndSaidSo) {
  Scope scope;
  scope.profiles = {profile("amf", "AMF",
                            {{"enabler",
                              {{"mode", "Sidecar"},
                               {"outbound",
                                {{{"name", "upf"},
                                  {"localPort", 9001},
                                  {"host", "upf.5gc.svc"},
                                  {"port", 8443}}}}}}}),
                    profile("upf", "UPF")};
  const auto report = evaluate(scope);
  const auto* pair = find_pair(report, Interface::Sbi, "5gc/amf", "5gc/upf");
  ASSERT_NE(pair, nullptr) << testing::dump(report);
  EXPECT_FALSE(pair->in_catalogue);
  ASSERT_FALSE(pair->findings.empty());
  EXPECT_EQ(pair->findings.front().reason, "InterfaceNotInCatalogue");
  EXPECT_TRUE(pair->consistent());
}

}  // namespace
}  // namespace secprov::check

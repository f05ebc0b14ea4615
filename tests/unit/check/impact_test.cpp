// Impact preview (check/impact.h): only pairs consistent before and inconsistent after a
// change count; Enforce on either end denies, Warn admits with one message per broken pair.

#include "check/impact.h"

#include <gtest/gtest.h>

#include "builders.h"

namespace secprov::check {
namespace {

using nlohmann::json;
using testing::profile;

json n4(const std::string& local, const json& peer, const json& extra = json::object()) {
  json i = {{"name", "N4"}, {"localAddress", local}, {"peers", {peer}}};
  i.merge_patch(extra);
  return {{"ipsec", {{"interfaces", {i}}}}};
}

const json kSmfPeer = {{"name", "upf"}, {"address", "10.10.4.2"}};
const json kUpfPeer = {{"name", "smf"}, {"address", "10.10.4.1"}};
const json kIke256 = {{"ike", {{"proposals", {"aes256gcm16-prfsha384-ecp384"}}}}};
const json kIke128 = {{"ike", {{"proposals", {"aes128gcm16-prfsha256-ecp256"}}}}};

Scope scope_of(std::vector<api::SecurityProfile> profiles) {
  Scope scope;
  scope.profiles = std::move(profiles);
  return scope;
}

TEST(Impact, BreakingAConsistentPairIsReportedWithPeerInterfaceAndReason) {
  const auto upf = profile("upf", "UPF", n4("10.10.4.2", kUpfPeer, kIke256));
  const auto before = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kIke256)), upf});
  const auto after = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kIke128)), upf});
  const auto result = preview(before, after, "5gc/smf", {});
  ASSERT_EQ(result.broken.size(), 1u);
  EXPECT_EQ(result.broken[0].interface, Interface::N4);
  EXPECT_EQ(result.broken[0].peers, std::vector<std::string>{"5gc/upf"});
  EXPECT_FALSE(result.denied());  // Warn by default
  ASSERT_EQ(result.messages().size(), 1u);
  const auto message = result.messages()[0];
  EXPECT_NE(message.find("N4"), std::string::npos) << message;
  EXPECT_NE(message.find("5gc/upf"), std::string::npos) << message;
  EXPECT_NE(message.find("NoCommonIkeProposal"), std::string::npos) << message;
}

TEST(Impact, EnforceOnTheChangedProfileOrOnThePeerDenies) {
  const auto upf = profile("upf", "UPF", n4("10.10.4.2", kUpfPeer, kIke256));
  const auto before = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kIke256)), upf});
  const auto after = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kIke128)), upf});
  EXPECT_TRUE(preview(before, after, "5gc/smf", {"5gc/smf"}).denied());
  EXPECT_TRUE(preview(before, after, "5gc/smf", {"5gc/upf"}).denied());
  EXPECT_FALSE(preview(before, after, "5gc/smf", {"5gc/other"}).denied());
}

TEST(Impact, AChangeBreakingNothingHasNoImpact) {
  const auto upf = profile("upf", "UPF", n4("10.10.4.2", kUpfPeer));
  const auto before = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer)), upf});
  // A proposal list that still overlaps the peer's default.
  const auto after = scope_of(
      {profile("smf", "SMF",
               n4("10.10.4.1", kSmfPeer,
                  {{"ike",
                    {{"proposals",
                      {"aes256gcm16-prfsha384-ecp384", "aes128gcm16-prfsha256-ecp256"}}}}})),
       upf});
  const auto result = preview(before, after, "5gc/smf", {"5gc/smf", "5gc/upf"});
  EXPECT_TRUE(result.broken.empty()) << result.messages().front();
  EXPECT_FALSE(result.denied());
}

TEST(Impact, AnAlreadyBrokenPairNeverBlocksAnUnrelatedChange) {
  // Mode mismatch before and after; the change touches the proposals only.
  const auto upf = profile("upf", "UPF", n4("10.10.4.2", kUpfPeer, {{"mode", "Transport"}}));
  const auto before = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kIke256)), upf});
  const auto after = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kIke128)), upf});
  EXPECT_TRUE(preview(before, after, "5gc/smf", {"5gc/smf", "5gc/upf"}).broken.empty());
}

TEST(Impact, ACreateBreaksNothing) {
  const auto upf = profile("upf", "UPF", n4("10.10.4.2", kUpfPeer, kIke256));
  const auto before = scope_of({upf});
  const auto after = scope_of({profile("smf", "SMF", n4("10.10.4.1", kSmfPeer, kIke128)), upf});
  EXPECT_TRUE(preview(before, after, "5gc/smf", {"5gc/upf"}).broken.empty());
}

TEST(Impact, EveryBrokenPeerIsNamed) {
  // An SMF with two UPF peers; a new IKE proposal breaks both links.
  json smf_ipsec = {{"ipsec",
                     {{"interfaces",
                       {{{"name", "N4"},
                         {"localAddress", "10.10.4.1"},
                         {"peers",
                          {{{"name", "upf"}, {"address", "10.10.4.2"}},
                           {{"name", "upf-b"}, {"address", "10.10.4.3"}}}}}}}}}};
  json smf_new = smf_ipsec;
  smf_new["ipsec"]["interfaces"][0].merge_patch(kIke128);
  const auto upf = profile("upf", "UPF", n4("10.10.4.2", kUpfPeer, kIke256));
  const auto upf_b = profile("upf-b", "UPF", n4("10.10.4.3", kUpfPeer, kIke256));
  const auto before = scope_of({profile("smf", "SMF", smf_ipsec), upf, upf_b});
  const auto after = scope_of({profile("smf", "SMF", smf_new), upf, upf_b});
  const auto result = preview(before, after, "5gc/smf", {"5gc/upf-b"});
  ASSERT_EQ(result.broken.size(), 2u) << testing::dump(evaluate(after));
  EXPECT_EQ(result.broken[0].peers, std::vector<std::string>{"5gc/upf"});
  EXPECT_EQ(result.broken[1].peers, std::vector<std::string>{"5gc/upf-b"});
  EXPECT_FALSE(result.broken[0].enforced);
  EXPECT_TRUE(result.broken[1].enforced);
  EXPECT_TRUE(result.denied());
}

TEST(Impact, ATlsVersionMovedOutOfReachBreaksTheSbiPair) {
  const auto pcf = profile("pcf", "PCF", {{"sbi", {{"tls", {{"maxVersion", "1.2"}}}}}});
  const auto before = scope_of({profile("smf", "SMF"), pcf});
  const auto after =
      scope_of({profile("smf", "SMF", {{"sbi", {{"tls", {{"minVersion", "1.3"}}}}}}), pcf});
  const auto result = preview(before, after, "5gc/smf", {});
  ASSERT_FALSE(result.broken.empty()) << testing::dump(evaluate(after));
  EXPECT_EQ(result.broken[0].interface, Interface::Sbi);
  EXPECT_EQ(result.broken[0].peers, std::vector<std::string>{"5gc/pcf"});
}

}  // namespace
}  // namespace secprov::check

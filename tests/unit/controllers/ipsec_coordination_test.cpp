// Co-ordinated IPsec changes (controllers/ipsec_coordination.h): a change that would break a
// consistent link with a peer still on the old parameters is held (IpsecChangePending, the
// peer and the mismatch named); nothing breaking, or an already broken link, is not held.
#include "controllers/ipsec_coordination.h"

#include <gtest/gtest.h>

#include "controllers/consistency_controller.h"
#include "controllers/observed.h"

namespace secprov::controllers {
namespace {

using Json = nlohmann::json;

const Json kIke256 = Json::array({"aes256gcm16-prfsha384-ecp384"});
const Json kIke128 = Json::array({"aes128gcm16-prfsha256-ecp256"});

// A profile of namespace 5gc with one N4 interface at `local` naming `peer` at `remote`.
Json object(const std::string& name, const std::string& nf_type, const std::string& local,
            const std::string& peer, const std::string& remote, const Json& ike,
            const std::string& mode = "Tunnel") {
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "SecurityProfile"},
          {"metadata", {{"name", name}, {"namespace", "5gc"}, {"resourceVersion", "1"}}},
          {"spec",
           {{"nfType", nf_type},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"trustDomainRef", {{"name", "home"}}},
            {"ipsec",
             {{"interfaces",
               {{{"name", "N4"},
                 {"localAddress", local},
                 {"mode", mode},
                 {"ike", {{"proposals", ike}}},
                 {"peers", {{{"name", peer}, {"address", remote}}}}}}}}}}}};
}

api::SecurityProfile parse(const Json& j) {
  auto parsed = api::parse_security_profile(j);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.errors().front().message());
  return parsed.ok() ? parsed.value() : api::SecurityProfile{};
}

Json smf(const Json& ike, const std::string& mode = "Tunnel") {
  return object("smf", "SMF", "10.10.4.1", "upf", "10.10.4.2", ike, mode);
}
Json upf(const Json& ike, const std::string& mode = "Tunnel") {
  return object("upf", "UPF", "10.10.4.2", "smf", "10.10.4.1", ike, mode);
}

TEST(IpsecChangePending, ProposalsTheUnchangedPeerDoesNotShareWait) {
  const auto peers = std::vector{parse(smf(kIke256)), parse(upf(kIke256))};
  const auto held = policies::ipsec_change_pending(parse(smf(kIke256)), parse(smf(kIke128)), peers);
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->reason, "IpsecChangePending");
  EXPECT_NE(held->message.find("N4 with 5gc/upf"), std::string::npos) << held->message;
  EXPECT_NE(held->message.find("NoCommonIkeProposal"), std::string::npos) << held->message;
  EXPECT_NE(held->message.find("until the spec of 5gc/upf matches"), std::string::npos)
      << held->message;
}

TEST(IpsecChangePending, ThePeerCaughtUpReleasesIt) {
  // The peer's spec already has the new proposals: the old link was the broken one.
  const auto peers = std::vector{parse(smf(kIke256)), parse(upf(kIke128))};
  EXPECT_EQ(policies::ipsec_change_pending(parse(smf(kIke256)), parse(smf(kIke128)), peers),
            std::nullopt);
}

TEST(IpsecChangePending, AChangeThePeerStillSharesIsNotHeld) {
  const auto both = Json::array({"aes256gcm16-prfsha384-ecp384", "aes128gcm16-prfsha256-ecp256"});
  const auto peers = std::vector{parse(smf(kIke256)), parse(upf(kIke256))};
  EXPECT_EQ(policies::ipsec_change_pending(parse(smf(kIke256)), parse(smf(both)), peers),
            std::nullopt);
}

TEST(IpsecChangePending, AnAlreadyBrokenLinkNeverHoldsAChange) {
  const auto peers = std::vector{parse(smf(kIke256)), parse(upf(kIke256, "Transport"))};
  EXPECT_EQ(policies::ipsec_change_pending(parse(smf(kIke256)), parse(smf(kIke128)), peers),
            std::nullopt);
}

TEST(IpsecChangePending, AnAuthenticationSwitchOnOneEndWaits) {
  auto psk = smf(kIke256);
  psk["spec"]["ipsec"]["interfaces"][0]["authentication"] = "PreSharedKey";
  const auto peers = std::vector{parse(smf(kIke256)), parse(upf(kIke256))};
  const auto held = policies::ipsec_change_pending(parse(smf(kIke256)), parse(psk), peers);
  ASSERT_TRUE(held.has_value());
  EXPECT_NE(held->message.find("IpsecAuthenticationMismatch"), std::string::npos) << held->message;
}

// The annotation is render's (api::to_json of spec.ipsec): it parses back to the same spec.
TEST(AppliedIpsecProfile, TheAnnotationReplacesSpecIpsec) {
  const auto stored = smf(kIke128);
  Json secret = {{"metadata",
                  {{"annotations",
                    {{policies::kIpsecAppliedSpecAnnotation,
                      api::to_json(parse(smf(kIke256)).spec)["ipsec"].dump()}}}}}};
  const auto applied = policies::applied_ipsec_profile(stored, secret);
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->spec.ipsec, parse(smf(kIke256)).spec.ipsec);
  EXPECT_EQ(applied->metadata.name, "smf");
  // As the cache holds a profile that has a status (strip_profile_status): the same.
  auto with_status = stored;
  with_status["status"] = {{"observedGeneration", 1},
                           {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}};
  const auto cached = policies::applied_ipsec_profile(strip_profile_status(with_status), secret);
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->spec.ipsec, parse(smf(kIke256)).spec.ipsec);
  // Without the annotation (a Secret written before it existed), or unreadable: unknown.
  EXPECT_EQ(policies::applied_ipsec_profile(stored, Json::object()), std::nullopt);
  secret["metadata"]["annotations"][policies::kIpsecAppliedSpecAnnotation] = "{not json";
  EXPECT_EQ(policies::applied_ipsec_profile(stored, secret), std::nullopt);
}

TEST(IpsecPeersOfProfile, BothDirectionsOfALinkInTheNamespace) {
  auto profiles = make_profile_store();
  add_consistency_indexes(*profiles);  // the named-peer index the mapper reads
  for (auto j : {smf(kIke256), upf(kIke256),
                 object("amf", "AMF", "10.10.2.1", "gnb", "10.10.2.9", kIke256)}) {
    profiles->upsert(std::make_shared<const Json>(j));
  }
  const auto keys = ipsec_peers_of_profile(*profiles, upf(kIke128));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].to_string(), "5gc/smf");
  // A profile nobody lists and that lists nobody in the namespace: none.
  auto lonely = object("pcf", "PCF", "10.10.5.1", "nobody", "10.10.5.2", kIke256);
  EXPECT_TRUE(ipsec_peers_of_profile(*profiles, lonely).empty());
}

// A status whose Ready condition has `reason` (Ready False unless Provisioned).
api::SecurityProfileStatus with_ready(const std::string& reason, const std::string& message = {}) {
  api::SecurityProfileStatus status;
  api::set_condition(status.conditions,
                     api::Condition{"Ready",
                                    reason == "Provisioned" ? api::ConditionStatus::True
                                                            : api::ConditionStatus::False,
                                    1,
                                    {},
                                    reason,
                                    message},
                     {});
  return status;
}

TEST(IpsecHoldEvent, OnEnteringTheHoldAndWhenBothEndsSwitchedOnly) {
  const auto ready = with_ready("Provisioned");
  const auto held = with_ready("IpsecChangePending", "waits for 5gc/upf");
  // Entering: a Warning with the hold's message.
  const auto entering = policies::ipsec_hold_event(ready, held);
  ASSERT_TRUE(entering.has_value());
  EXPECT_TRUE(entering->warning);
  EXPECT_EQ(entering->why.reason, "IpsecChangePending");
  EXPECT_EQ(entering->why.message, "waits for 5gc/upf");
  // Still held (another pass, a new message): no second Event.
  EXPECT_FALSE(
      policies::ipsec_hold_event(held, with_ready("IpsecChangePending", "other")).has_value());
  // Released (in whichever pass the status says so, also one retried after a conflict): Normal.
  const auto applied = policies::ipsec_hold_event(held, ready);
  ASSERT_TRUE(applied.has_value());
  EXPECT_FALSE(applied->warning);
  EXPECT_EQ(applied->why.reason, "IpsecChangeApplied");
  // Never held: none.
  EXPECT_FALSE(policies::ipsec_hold_event(ready, ready).has_value());
  EXPECT_FALSE(policies::ipsec_hold_event(api::SecurityProfileStatus{}, ready).has_value());
}

}  // namespace
}  // namespace secprov::controllers

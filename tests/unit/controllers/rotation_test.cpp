// The staged CA rotation of a TrustDomain: the pure phase machine and its gates, table-driven.
#include <gtest/gtest.h>

#include "api/trustdomain.h"
#include "controllers/trust_domain_controller.h"

namespace secprov::controllers::trust {
namespace {

const std::string kOld(64, 'a');
const std::string kNew(64, 'b');
const std::string kOther(64, 'c');

api::CaRotation rotation(api::RotationPhase phase) {
  api::CaRotation r;
  r.phase = phase;
  r.token = "t1";
  r.new_ca_fingerprint = kNew;
  r.old_ca_fingerprint = kOld;
  return r;
}

struct RotationCase {
  std::string name;
  RotationObservation input;
  RotationAction action;
  std::string reason;
};

TEST(DecideRotation, Table) {
  using P = api::RotationPhase;
  using A = RotationAction;
  // {rotation, token, accepted, issuing, next, waiting}
  const std::vector<RotationCase> cases = {
      {"nothing asked", {std::nullopt, std::nullopt, kOld, kOld, "", 0}, A::None, ""},
      {"first CA: not a rotation", {std::nullopt, "t1", "", "", "", 0}, A::None, ""},
      {"last rotation complete, nothing asked",
       {rotation(P::Complete), std::nullopt, kNew, kNew, "", 0},
       A::None,
       ""},
      {"a new token generates the next CA",
       {std::nullopt, "t1", kOld, kOld, "", 0},
       A::GenerateNext,
       "RotationStarting"},
      {"a new token after a complete rotation",
       {rotation(P::Complete), "t2", kNew, kNew, "", 0},
       A::GenerateNext,
       "RotationStarting"},
      {"next CA present (restart after generating): distribute",
       {std::nullopt, "t1", kOld, kOld, kNew, 0},
       A::Distribute,
       "RotationDistributing"},
      {"distributing: bundles still without the new CA",
       {rotation(P::Distributing), std::nullopt, kOld, kOld, kNew, 3},
       A::Wait,
       "Distributing"},
      {"distributing: every bundle carries it: promote",
       {rotation(P::Distributing), std::nullopt, kOld, kOld, kNew, 0},
       A::Promote,
       "RotationPromoting"},
      {"distributing: next key pair lost: wait, old CA keeps issuing",
       {rotation(P::Distributing), std::nullopt, kOld, kOld, "", 0},
       A::Wait,
       "NewCAKeyPairMissing"},
      {"promoted (restart before status moved): reissue",
       {rotation(P::Distributing), std::nullopt, kOld, kNew, kNew, 0},
       A::Reissue,
       "RotationReissuing"},
      {"promoted, even while counting stale bundles",
       {rotation(P::Distributing), std::nullopt, kOld, kNew, kNew, 2},
       A::Reissue,
       "RotationReissuing"},
      {"reissuing: leaves from the old CA remain",
       {rotation(P::Reissuing), std::nullopt, kNew, kNew, kNew, 1},
       A::Wait,
       "Reissuing"},
      {"reissuing: every leaf from the new CA: retire",
       {rotation(P::Reissuing), std::nullopt, kNew, kNew, kNew, 0},
       A::Retire,
       "RotationRetiring"},
      {"retiring: bundles still carry the old CA",
       {rotation(P::Retiring), std::nullopt, kNew, kNew, kNew, 4},
       A::Wait,
       "Retiring"},
      {"retiring: no bundle carries it: complete",
       {rotation(P::Retiring), std::nullopt, kNew, kNew, "", 0},
       A::Complete,
       "RotationComplete"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto d = decide_rotation(c.input);
    EXPECT_EQ(d.action, c.action);
    EXPECT_EQ(d.reason, c.reason);
    EXPECT_FALSE(d.refused_token);
    if (c.action != A::None) {
      EXPECT_FALSE(d.message.empty());
    }
  }
}

TEST(DecideRotation, ATokenDuringARotationIsRefusedAndTheRotationGoesOn) {
  for (const auto phase : {api::RotationPhase::Distributing, api::RotationPhase::Reissuing,
                           api::RotationPhase::Retiring}) {
    SCOPED_TRACE(std::string(api::to_string(phase)));
    RotationObservation o{rotation(phase), "t2", kOld, kOld, kNew, 1};
    const auto d = decide_rotation(o);
    ASSERT_TRUE(d.refused_token);
    EXPECT_EQ(*d.refused_token, "t2");
    EXPECT_EQ(d.action, RotationAction::Wait);
  }
  // The rotation's own token is not refused (it is the one being processed).
  const auto same =
      decide_rotation({rotation(api::RotationPhase::Distributing), "t1", kOld, kOld, kNew, 1});
  EXPECT_FALSE(same.refused_token);
}

TEST(DecideRotation, MessagesNameTheCasNotKeyMaterial) {
  const auto d = decide_rotation(
      {rotation(api::RotationPhase::Distributing), std::nullopt, kOld, kOld, kNew, 3});
  EXPECT_NE(d.message.find("3 profile"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find(kNew.substr(0, 16)), std::string::npos) << d.message;
}

// A whole rotation driven through the machine, each step's outcome fed back as the next
// observation: the phases come in order and no step skips a gate.
TEST(DecideRotation, WalksThePhasesInOrder) {
  RotationObservation o{std::nullopt, "t1", kOld, kOld, "", 0};
  std::vector<RotationAction> seen;
  for (int step = 0; step < 10; ++step) {
    const auto d = decide_rotation(o);
    seen.push_back(d.action);
    switch (d.action) {
      case RotationAction::GenerateNext:
        o.next = kNew;
        break;
      case RotationAction::Distribute:
        o.rotation = rotation(api::RotationPhase::Distributing);
        o.token.reset();
        break;
      case RotationAction::Promote:
        o.issuing = kNew;
        break;
      case RotationAction::Reissue:
        o.rotation->phase = api::RotationPhase::Reissuing;
        o.accepted = kNew;
        break;
      case RotationAction::Retire:
        o.rotation->phase = api::RotationPhase::Retiring;
        break;
      case RotationAction::Complete:
        o.rotation->phase = api::RotationPhase::Complete;
        break;
      default:
        break;
    }
    if (d.action == RotationAction::None) break;
  }
  EXPECT_EQ(seen, (std::vector<RotationAction>{RotationAction::GenerateNext,
                                               RotationAction::Distribute, RotationAction::Promote,
                                               RotationAction::Reissue, RotationAction::Retire,
                                               RotationAction::Complete, RotationAction::None}));
}

struct WaitingCase {
  std::string name;
  api::RotationPhase phase;
  std::vector<RotationObject> objects;
  RotationWaiting expected;
};

TEST(RotationWaiting, Table) {
  using P = api::RotationPhase;
  const std::set<std::string> old_only{kOld};
  const std::set<std::string> both{kOld, kNew};
  const std::set<std::string> new_only{kNew};
  const std::vector<WaitingCase> cases = {
      {"distributing: bundles without the new CA, counted by owner",
       P::Distributing,
       {{"SecurityProfile a/p1", old_only, false, false},
        {"SecurityProfile a/p1", old_only, std::nullopt, false},
        {"SecurityProfile a/p2", both, false, false},
        {"ConfigMap a/td-ca", old_only, std::nullopt, false}},
       {2, {"ConfigMap a/td-ca", "SecurityProfile a/p1"}}},
      {"distributing: a Sidecar with stale Pods waits",
       P::Distributing,
       {{"SecurityProfile a/p2", both, false, false},
        {"SecurityProfile a/s", std::nullopt, std::nullopt, true}},
       {1, {"SecurityProfile a/s"}}},
      {"distributing: leaves from the old CA are expected",
       P::Distributing,
       {{"SecurityProfile a/p1", both, false, false}},
       {0, {}}},
      {"reissuing: leaves not from the new CA",
       P::Reissuing,
       {{"SecurityProfile a/p1", both, false, false},
        {"SecurityProfile a/p2", both, true, false},
        {"ConfigMap a/td-ca", both, std::nullopt, false}},
       {1, {"SecurityProfile a/p1"}}},
      {"retiring: bundles still with the old CA",
       P::Retiring,
       {{"SecurityProfile a/p1", new_only, true, false},
        {"SecurityProfile a/p2", both, true, false},
        {"ConfigMap b/td-ca", both, std::nullopt, false}},
       {2, {"ConfigMap b/td-ca", "SecurityProfile a/p2"}}},
      {"complete waits for nothing", P::Complete, {{"x", old_only, false, true}}, {0, {}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(rotation_waiting(c.phase, c.objects, kNew, kOld), c.expected);
  }
}

TEST(RotationWaiting, TheListIsBoundedTheCountIsNot) {
  std::vector<RotationObject> objects;
  for (int i = 0; i < 25; ++i) {
    objects.push_back({"SecurityProfile a/p" + std::to_string(100 + i), std::set<std::string>{kOld},
                       false, false});
  }
  const auto waiting = rotation_waiting(api::RotationPhase::Distributing, objects, kNew, kOld);
  EXPECT_EQ(waiting.count, 25);
  ASSERT_EQ(waiting.names.size(), api::kMaxRotationWaiting);
  EXPECT_EQ(waiting.names.front(), "SecurityProfile a/p100");
}

// The bundle text: the new CA joins it while Distributing only, after the accepted CA.
TEST(TrustBundlePem, CarriesTheNewCaWhileDistributing) {
  api::TrustDomainStatus status;
  status.ca_fingerprint = kOld;
  auto r = rotation(api::RotationPhase::Distributing);
  r.new_ca_certificate_pem = "NEW\n";
  status.rotation = r;
  const api::Timestamp now{};
  EXPECT_EQ(api::trust_bundle_pem("OLD\n", status, now), "OLD\nNEW\n");
  status.rotation->phase = api::RotationPhase::Reissuing;
  EXPECT_EQ(api::trust_bundle_pem("OLD\n", status, now), "OLD\n");
  status.rotation->phase = api::RotationPhase::Complete;
  EXPECT_EQ(api::trust_bundle_pem("OLD\n", status, now), "OLD\n");
}

TEST(RotationStatus, RoundTripsThroughJson) {
  api::TrustDomainStatus status;
  status.ca_fingerprint = kNew;
  auto r = rotation(api::RotationPhase::Reissuing);
  r.new_ca_certificate_pem = "NEW";
  r.old_ca_certificate_pem = "OLD";
  r.waiting_count = 12;
  r.waiting_for = {"SecurityProfile a/p1"};
  r.message = "waiting";
  status.rotation = r;
  const auto parsed = api::parse_trust_domain_status(api::to_json(status));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value(), status);
  EXPECT_EQ(api::to_json(status)["rotation"]["phase"], "Reissuing");
  EXPECT_TRUE(api::rotation_in_progress(status.rotation));
  status.rotation->phase = api::RotationPhase::Complete;
  EXPECT_FALSE(api::rotation_in_progress(status.rotation));
}

}  // namespace
}  // namespace secprov::controllers::trust

// The staged CA rotation of a TrustDomain: the pure phase machine and its gates, table-driven.
#include <gtest/gtest.h>

#include "api/trustdomain.h"
#include "controllers/trust_domain_controller.h"
#include "crypto/authority.h"

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

// The next key pair Secret "<ca>-next": written or deleted only when the TrustDomain owns it.
struct NextSecret {
  bool managed_by = true;
  std::string domain_label = "td";
  std::optional<nlohmann::json> owner = nlohmann::json{{"apiVersion", "secprov.io/v1alpha1"},
                                                       {"kind", "TrustDomain"},
                                                       {"name", "td"},
                                                       {"uid", "td-uid"},
                                                       {"controller", true},
                                                       {"blockOwnerDeletion", true}};
  std::string token = "t1";
  std::string manager = "secprov-operator";

  nlohmann::json json() const {
    nlohmann::json metadata = {{"name", "td-ca-keypair-next"}, {"namespace", "secprov-system"}};
    if (!domain_label.empty()) metadata["labels"]["secprov.io/trust-domain"] = domain_label;
    if (managed_by) metadata["labels"]["app.kubernetes.io/managed-by"] = "secprov";
    if (owner) metadata["ownerReferences"] = nlohmann::json::array({*owner});
    if (!token.empty()) metadata["annotations"]["secprov.io/replace-ca"] = token;
    metadata["managedFields"] =
        nlohmann::json::array({{{"manager", manager}, {"operation", "Update"}}});
    return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", metadata}};
  }
};

TEST(NextCaSecretOwnership, Table) {
  const auto with = [](auto change) {
    NextSecret secret;
    change(secret);
    return secret;
  };
  const auto owner = [](const std::string& kind, const std::string& uid, bool controller) {
    return nlohmann::json{{"apiVersion", "secprov.io/v1alpha1"},
                          {"kind", kind},
                          {"name", "td"},
                          {"uid", uid},
                          {"controller", controller}};
  };
  struct Case {
    std::string name;
    NextSecret secret;
    std::string domain_uid;
    std::string token;
    Ownership expected;
  };
  const std::vector<Case> cases = {
      {"marked and controlled by this TrustDomain", NextSecret{}, "td-uid", "t1", Ownership::Ours},
      {"ours whatever its token (a leftover is ours to replace)",
       with([](NextSecret& s) { s.token = "t0"; }), "td-uid", "t1", Ownership::Ours},
      {"controlled by a TrustDomain of that name, no UID to compare", NextSecret{}, "", "t1",
       Ownership::Ours},
      {"controlled by an earlier TrustDomain of that name",
       with([&](NextSecret& s) { s.owner = owner("TrustDomain", "old-uid", true); }), "td-uid",
       "t1", Ownership::Foreign},
      {"a TrustDomain reference that is not the controller",
       with([&](NextSecret& s) { s.owner = owner("TrustDomain", "td-uid", false); }), "td-uid",
       "t1", Ownership::Foreign},
      {"controlled by something else",
       with([&](NextSecret& s) { s.owner = owner("SecurityProfile", "td-uid", true); }), "td-uid",
       "t1", Ownership::Foreign},
      {"no managed-by label", with([](NextSecret& s) { s.managed_by = false; }), "td-uid", "t1",
       Ownership::Foreign},
      {"no ownerReference", with([](NextSecret& s) { s.owner.reset(); }), "td-uid", "t1",
       Ownership::Foreign},
      {"another domain's label", with([](NextSecret& s) { s.domain_label = "other"; }), "td-uid",
       "t1", Ownership::Foreign},
      {"an earlier version's next key pair of this rotation", with([](NextSecret& s) {
         s.managed_by = false;
         s.owner.reset();
       }),
       "td-uid", "t1", Ownership::Adoptable},
      {"an earlier version's, another rotation's token", with([](NextSecret& s) {
         s.managed_by = false;
         s.owner.reset();
         s.token = "t0";
       }),
       "td-uid", "t1", Ownership::Foreign},
      {"an earlier version's look-alike, no rotation asked", with([](NextSecret& s) {
         s.managed_by = false;
         s.owner.reset();
       }),
       "td-uid", "", Ownership::Foreign},
      {"the look-alike written by someone else", with([](NextSecret& s) {
         s.managed_by = false;
         s.owner.reset();
         s.manager = "kubectl-create";
       }),
       "td-uid", "t1", Ownership::Foreign},
      {"the look-alike with any ownerReference", with([&](NextSecret& s) {
         s.managed_by = false;
         s.owner = owner("TrustDomain", "td-uid", false);
       }),
       "td-uid", "t1", Ownership::Foreign},
      {"the look-alike without the trust-domain label", with([](NextSecret& s) {
         s.managed_by = false;
         s.owner.reset();
         s.domain_label.clear();
       }),
       "td-uid", "t1", Ownership::Foreign},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = next_ca_secret_ownership(c.secret.json(), "td", c.domain_uid, c.token);
    EXPECT_EQ(result.ownership, c.expected);
    EXPECT_EQ(result.reason.empty(), c.expected != Ownership::Foreign);
  }
}

TEST(NextCaSecretOwnership, TheRefusalNamesTheSecretAndWhatItLacks) {
  NextSecret secret;
  secret.managed_by = false;
  const auto result = next_ca_secret_ownership(secret.json(), "td", "td-uid", "t1");
  EXPECT_EQ(result.reason, "NextCaSecretNotOwned");
  EXPECT_NE(result.message.find("Secret secprov-system/td-ca-keypair-next"), std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("app.kubernetes.io/managed-by=secprov"), std::string::npos);
  EXPECT_NE(result.message.find("left unchanged"), std::string::npos);
}

// ---- What wakes a rotation, and what a gate pass parses ----

nlohmann::json domain_object(const std::string& name, std::optional<api::RotationPhase> phase) {
  api::TrustDomainStatus status;
  status.ca_fingerprint = kOld;
  if (phase) status.rotation = rotation(*phase);
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "TrustDomain"},
          {"metadata", {{"name", name}, {"uid", name + "-uid"}, {"resourceVersion", "1"}}},
          {"spec",
           {{"domain", "5gc.mnc001.mcc001.3gppnetwork.org"},
            {"country", "FR"},
            {"ca", {{"generate", {{"keyAlgorithm", "ECDSA-P256"}, {"duration", "87600h"}}}}}}},
          {"status", api::to_json(status)}};
}

TEST(RotationWakeups, OnlyARotatingDomainIsWoken) {
  const auto domains = make_trust_domain_store();
  for (const auto& object :
       {domain_object("td", api::RotationPhase::Distributing), domain_object("idle", std::nullopt),
        domain_object("done", api::RotationPhase::Complete)}) {
    domains->upsert(std::make_shared<const nlohmann::json>(object));
  }
  const auto labelled = [](const std::string& domain) {
    nlohmann::json metadata = {{"name", "x-ca"}, {"namespace", "a"}};
    if (!domain.empty()) metadata["labels"]["secprov.io/trust-domain"] = domain;
    return nlohmann::json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", metadata}};
  };
  using Keys = std::vector<runtime::ObjectKey>;
  EXPECT_EQ(rotating_domain_of_object(*domains, labelled("td")), (Keys{{"", "td"}}));
  EXPECT_EQ(rotating_domain_of_object(*domains, labelled("idle")), Keys{});
  EXPECT_EQ(rotating_domain_of_object(*domains, labelled("done")), Keys{});
  EXPECT_EQ(rotating_domain_of_object(*domains, labelled("unknown")), Keys{});
  EXPECT_EQ(rotating_domain_of_object(*domains, labelled("")), Keys{});

  const auto profile = [](const std::string& domain, const std::string& n32) {
    nlohmann::json spec = {{"trustDomainRef", {{"name", domain}}}};
    if (!n32.empty()) spec["n32"]["trustDomainRef"]["name"] = n32;
    return nlohmann::json{{"apiVersion", "secprov.io/v1alpha1"},
                          {"kind", "SecurityProfile"},
                          {"metadata", {{"name", "sepp"}, {"namespace", "a"}}},
                          {"spec", spec}};
  };
  EXPECT_EQ(rotating_domains_of_profile(*domains, profile("td", "")), (Keys{{"", "td"}}));
  EXPECT_EQ(rotating_domains_of_profile(*domains, profile("idle", "td")), (Keys{{"", "td"}}));
  EXPECT_EQ(rotating_domains_of_profile(*domains, profile("idle", "done")), Keys{});
}

crypto::CertificateAuthority test_ca(const std::string& name) {
  return crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256,
      {.country = "FR", .organization = name, .organizational_unit = {}, .common_name = name},
      std::chrono::hours(24), std::chrono::system_clock::now());
}

TEST(GateMemo, AGatePassParsesOnlyWhatChanged) {
  const auto a = test_ca("a");
  const auto b = test_ca("b");
  const auto fa = a.certificate().sha256_fingerprint();
  const auto fb = b.certificate().sha256_fingerprint();
  const auto a_pem = a.certificate().to_pem();
  const auto both = a_pem + b.certificate().to_pem();
  const auto leaf_a = crypto::LeafFacts::of(a.certificate());
  const crypto::LeafFacts::Issuer issuer_a(a.certificate());
  const crypto::LeafFacts::Issuer issuer_b(b.certificate());
  GateMemo memo;
  // Many objects with the same bundle: one parse.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(memo.bundle("sha256:1", both), (std::set{fa, fb}));
  EXPECT_EQ(memo.parses(), 1U);
  // A leaf (here self-signed) against two CAs: one check each.
  EXPECT_EQ(memo.issued_by("sha256:2", &leaf_a, issuer_a, fa), true);
  EXPECT_EQ(memo.issued_by("sha256:2", &leaf_a, issuer_b, fb), false);
  EXPECT_EQ(memo.parses(), 3U);
  memo.end_pass();
  // The next pass over the same content parses nothing.
  EXPECT_EQ(memo.bundle("sha256:1", both), (std::set{fa, fb}));
  EXPECT_EQ(memo.issued_by("sha256:2", &leaf_a, issuer_a, fa), true);
  EXPECT_EQ(memo.parses(), 3U);
  // Content a pass did not look at is forgotten (the memo stays the size of the objects).
  memo.end_pass();
  memo.end_pass();
  EXPECT_EQ(memo.bundle("sha256:1", both), (std::set{fa, fb}));
  EXPECT_EQ(memo.parses(), 4U);
  // Without a digest: parsed every time. Unreadable or absent: nothing in it.
  EXPECT_EQ(memo.bundle("", a_pem), (std::set{fa}));
  EXPECT_EQ(memo.bundle("", a_pem), (std::set{fa}));
  EXPECT_EQ(memo.parses(), 6U);
  EXPECT_TRUE(memo.bundle("sha256:3", "not a certificate").empty());
  EXPECT_FALSE(memo.issued_by("sha256:4", nullptr, issuer_a, fa).has_value());
}

// What the memo knows answers without the leaf: the gates then skip decoding the Secret's.
TEST(GateMemo, KnownDigestsAnswerWithoutTheLeaf) {
  const auto a = test_ca("a");
  const auto fa = a.certificate().sha256_fingerprint();
  const auto leaf_a = crypto::LeafFacts::of(a.certificate());
  const crypto::LeafFacts::Issuer issuer_a(a.certificate());
  GateMemo memo;
  EXPECT_FALSE(memo.knows_issued("sha256:2", fa));
  memo.issued_by("sha256:2", &leaf_a, issuer_a, fa);
  EXPECT_TRUE(memo.knows_issued("sha256:2", fa));
  EXPECT_FALSE(memo.knows_issued("sha256:2", std::string(64, 'f')));  // another CA
  EXPECT_FALSE(memo.knows_issued("", fa));                            // no digest: never remembered
  memo.end_pass();
  // Known from the previous pass: the answer comes without the leaf and without a check.
  const auto parses = memo.parses();
  EXPECT_EQ(memo.issued_by("sha256:2", nullptr, issuer_a, fa), true);
  EXPECT_EQ(memo.parses(), parses);
  memo.end_pass();
  memo.end_pass();  // not looked at for a whole pass: forgotten
  EXPECT_FALSE(memo.knows_issued("sha256:2", fa));
}

}  // namespace
}  // namespace secprov::controllers::trust

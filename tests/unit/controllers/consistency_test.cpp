// The consistency controller's pure parts: the Consistent condition and status.consistency
// from evaluated pairs, the keys a profile event enqueues (index lookups), and the gauge's
// pair counting.

#include <gtest/gtest.h>

#include "controllers/consistency_controller.h"
#include "controllers/observed.h"
#include "runtime/events.h"
#include "unit/controllers/cached_profile.h"
#include "unit/runtime/fake_api.h"
#include "unit/runtime/test_util.h"

namespace secprov::controllers {
namespace {

using nlohmann::json;

check::PairResult pair(const std::string& a, const std::string& b, check::Interface i,
                       std::vector<check::Finding> findings = {}) {
  check::PairResult p;
  p.interface = i;
  p.a = a;
  p.b = b;
  p.findings = std::move(findings);
  return p;
}

check::Finding error(const std::string& reason, const std::string& message) {
  return {"x", reason, message, check::Severity::Error};
}
check::Finding info(const std::string& reason, const std::string& message) {
  return {"x", reason, message, check::Severity::Info};
}

TEST(ConsistencyOutcome, Table) {
  using check::Interface;
  struct Case {
    std::string name;
    std::vector<check::PairResult> pairs;
    bool scoped;
    api::ConditionStatus status;
    std::string reason;
    std::string message_has;
    std::vector<std::string> peers;  // results in order
  };
  const std::vector<Case> cases = {
      {"no peers", {}, false, api::ConditionStatus::True, "NoPeers", "no peer to check", {}},
      {"no peers in scope",
       {},
       true,
       api::ConditionStatus::True,
       "NoPeers",
       "matching spec.consistency.scope",
       {}},
      {"all consistent, an Info said",
       {pair("5gc/amf", "5gc/ausf", Interface::Sbi),
        pair("5gc/amf", "5gc/nrf", Interface::Sbi, {info("NotModelled", "not decided")})},
       false,
       api::ConditionStatus::True,
       "Consistent",
       "consistent with 2 peer(s) on 2 pair(s)",
       {"ausf", "nrf"}},
      {"one inconsistent comes first, named with interface and reason",
       {pair("5gc/amf", "5gc/ausf", Interface::Sbi),
        pair("5gc/smf", "5gc/amf", Interface::Sbi,
             {error("NoCommonTlsVersion", "SBI 5gc/smf -> 5gc/amf: no TLS version in common")})},
       false,
       api::ConditionStatus::False,
       "NoCommonTlsVersion",
       "1 of 2 pair(s) inconsistent; smf SBI NoCommonTlsVersion: SBI 5gc/smf -> 5gc/amf",
       {"smf", "ausf"}},
      {"external peer keeps its prefix",
       {pair("5gc/amf", "external/gnb-1", Interface::N2, {error("IdMismatch", "N2 ids")})},
       false,
       api::ConditionStatus::False,
       "IdMismatch",
       "external/gnb-1 N2",
       {"external/gnb-1"}},
  };
  for (const auto& c : cases) {
    const auto out = consistency_outcome("5gc/amf", c.pairs, 7, c.scoped);
    EXPECT_EQ(out.condition.type, kConditionConsistent) << c.name;
    EXPECT_EQ(out.condition.status, c.status) << c.name;
    EXPECT_EQ(out.condition.reason, c.reason) << c.name;
    EXPECT_EQ(out.condition.observed_generation, 7) << c.name;
    EXPECT_NE(out.condition.message.str().find(c.message_has), std::string::npos)
        << c.name << ": " << out.condition.message;
    std::vector<std::string> peers;
    for (const auto& r : out.results) peers.push_back(r.peer);
    EXPECT_EQ(peers, c.peers) << c.name;
    std::size_t bad = 0;
    for (const auto& r : out.results) bad += r.consistent ? 0 : 1;
    EXPECT_EQ(out.inconsistent.size(), bad) << c.name;
  }
}

TEST(ConsistencyOutcome, ListIsBoundedAndCountsAll) {
  std::vector<check::PairResult> pairs;
  for (int i = 0; i < 40; ++i) {
    pairs.push_back(pair("5gc/nrf", "5gc/nf" + std::to_string(i), check::Interface::Sbi,
                         i % 2 ? std::vector<check::Finding>{error("Bad", std::string(5000, 'm'))}
                               : std::vector<check::Finding>{}));
  }
  const auto out = consistency_outcome("5gc/nrf", pairs, 1, false);
  ASSERT_EQ(out.results.size(), api::kMaxConsistencyResults);
  EXPECT_FALSE(out.results.front().consistent);
  EXPECT_LE(out.results.front().message.size(), 1024u);
  EXPECT_EQ(out.inconsistent.size(), 20u);
  EXPECT_NE(out.condition.message.str().find("20 of 40"), std::string::npos);
  EXPECT_NE(out.condition.message.str().find("and 17 more"), std::string::npos);
}

TEST(InconsistentPairs, CountsEachPairOnceWhoeverSaysIt) {
  InconsistentPairs pairs;
  using K = InconsistentPairs::PairKey;
  const K sbi{"SBI", "5gc/amf", "5gc/ausf"};
  const K n4{"N4", "5gc/smf", "5gc/upf"};
  EXPECT_EQ(pairs.update("5gc/amf", {sbi}), (std::set<std::string>{"SBI"}));
  EXPECT_EQ(pairs.update("5gc/ausf", {sbi}), (std::set<std::string>{}));  // same pair
  EXPECT_EQ(pairs.count("SBI"), 1u);
  EXPECT_EQ(pairs.update("5gc/amf", {}), (std::set<std::string>{}));  // ausf still says so
  EXPECT_EQ(pairs.count("SBI"), 1u);
  EXPECT_EQ(pairs.update("5gc/ausf", {n4}), (std::set<std::string>{"SBI", "N4"}));
  EXPECT_EQ(pairs.count("SBI"), 0u);
  EXPECT_EQ(pairs.count("N4"), 1u);
}

json profile_json(const std::string& name, const std::string& nf_type, json spec = json::object(),
                  json status = nullptr, int generation = 1) {
  json j = {{"apiVersion", "secprov.io/v1alpha1"},
            {"kind", "SecurityProfile"},
            {"metadata",
             {{"name", name},
              {"namespace", "5gc"},
              {"generation", generation},
              {"resourceVersion", std::to_string(generation)}}},
            {"spec",
             {{"nfType", nf_type},
              {"selector", {{"matchLabels", {{"app", name}}}}},
              {"trustDomainRef", {{"name", "home"}}}}}};
  j["spec"].merge_patch(spec);
  if (!status.is_null()) j["status"] = status;
  return j;
}

std::set<std::string> names(const std::vector<runtime::ObjectKey>& keys) {
  std::set<std::string> out;
  for (const auto& k : keys) out.insert(k.name);
  return out;
}

// As the operator caches profiles (cached_profile.h): the old object of an update is a
// stripped version the typed cache no longer holds; its peers still count.
TEST(ConsistencyKeys, TheReplacedVersionOfACachedProfileStillGivesItsPeers) {
  auto store = make_profile_store();
  add_consistency_indexes(*store);
  const json finding = {
      {"peer", "gone"}, {"interface", "SBI"}, {"consistent", false}, {"reason", "X"}};
  const json before = profile_json("ausf", "AUSF", json::object(),
                                   {{"observedGeneration", 1}, {"consistency", {finding}}});
  json after = profile_json("ausf", "AUSF", json::object(),
                            {{"observedGeneration", 1}, {"consistency", json::array()}});
  after["metadata"]["resourceVersion"] = "7";
  const auto cached = [&](const json& version) {
    auto stored = std::make_shared<const json>(store->admit(version, strip_profile_status));
    store->upsert(stored);
    return stored;
  };
  const auto old_object = cached(before);
  const auto new_object = cached(after);
  ASSERT_TRUE(is_stripped_profile(*old_object));
  const ConsistencyLedger ledger(nullptr);
  EXPECT_TRUE(
      names(consistency_keys(*store, ledger, old_object.get(), *new_object)).contains("gone"));
}

TEST(ConsistencyKeys, PeersByTypeNamesAndPreviousPeers) {
  auto store = make_profile_store();
  add_consistency_indexes(*store);
  const json smf = profile_json(
      "smf", "SMF",
      {{"ipsec",
        {{"interfaces",
          {{{"name", "N4"}, {"peers", {{{"name", "upf-x"}, {"address", "10.0.0.2"}}}}}}}}}});
  const json upf_x = profile_json("upf-x", "UPF");
  const json upf_y = profile_json(
      "upf-y", "UPF",
      {{"ipsec",
        {{"interfaces",
          {{{"name", "N4"}, {"peers", {{{"name", "smf"}, {"address", "10.0.0.1"}}}}}}}}}});
  const json ausf = profile_json("ausf", "AUSF");
  const json udm = profile_json("udm", "UDM");
  const json nrf = profile_json("nrf", "NRF");
  for (const auto& o : {smf, upf_x, upf_y, ausf, udm, nrf}) {
    store->upsert(std::make_shared<const json>(o));
  }
  // A spec change of the SMF: itself, the UPFs (N4 by type; upf-x by name, upf-y names it),
  // the UDM and NRF (SBI by type); not the AUSF (no SMF relation).
  json smf2 = smf;
  smf2["metadata"]["generation"] = 2;
  smf2["metadata"]["resourceVersion"] = "2";
  store->upsert(std::make_shared<const json>(smf2));
  // Not the SMF itself: the profile controller's write of generation 2 evaluates it.
  const ConsistencyLedger ledger(nullptr);
  const auto keys = consistency_keys(*store, ledger, &smf, smf2);
  EXPECT_EQ(names(keys), (std::set<std::string>{"upf-x", "upf-y", "udm", "nrf"}));
  // A status-only change that leaves status.consistency alone (the profile controller's).
  json smf3 = smf2;
  smf3["metadata"]["resourceVersion"] = "3";
  smf3["status"] = {{"observedGeneration", 2}};
  EXPECT_TRUE(consistency_keys(*store, ledger, &smf2, smf3).empty());
  // Labels changed once generation 2 is written: itself too.
  json smf3b = smf3;
  smf3b["metadata"]["labels"] = {{"tier", "core"}};
  EXPECT_EQ(consistency_keys(*store, ledger, &smf3, smf3b).front().name, "smf");
  // The AUSF's status lists a previous peer "gone": a change reaches it too.
  const json ausf2 = profile_json(
      "ausf", "AUSF", json::object(),
      {{"consistency",
        {{{"peer", "gone"}, {"interface", "SBI"}, {"consistent", false}, {"reason", "X"}}}}},
      2);
  const auto ausf_keys = consistency_keys(*store, ledger, &ausf, ausf2);
  EXPECT_TRUE(names(ausf_keys).contains("gone"));
  EXPECT_TRUE(names(ausf_keys).contains("udm"));  // AUSF -> UDM
  EXPECT_FALSE(names(ausf_keys).contains("upf-x"));
  // Only the Consistent condition changed (the profile controller's fold of a generation's
  // first evaluation): nothing, unless the consistency controller deferred the profile (a
  // peer changed while that evaluation was pending); then the profile alone.
  json smf4 = smf3;
  smf4["metadata"]["resourceVersion"] = "4";
  smf4["status"]["conditions"] = {{{"type", "Consistent"},
                                   {"status", "True"},
                                   {"reason", "NoPeers"},
                                   {"observedGeneration", 2}}};
  EXPECT_TRUE(consistency_keys(*store, ledger, &smf3, smf4).empty());
  ConsistencyLedger deferring(nullptr);
  deferring.defer({"5gc", "smf"});
  const auto folded = consistency_keys(*store, deferring, &smf3, smf4);
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(folded.front().name, "smf");
}

// Whichever of the two controllers sets a profile's pairs last, the evaluation that began
// last is what the gauge counts; a fold that begins after a deferral has seen its cause.
TEST(ConsistencyLedger, TheLaterBegunEvaluationWinsAndAFoldClearsADeferral) {
  ConsistencyLedger ledger(nullptr);
  using K = ConsistencyLedger::PairKey;
  const runtime::ObjectKey amf{"5gc", "amf"};
  const K sbi{"SBI", "5gc/amf", "5gc/ausf"};
  const auto fold = ledger.begin_fold(amf);
  const auto own = ledger.defer(amf);  // begun after the fold: it saw more
  EXPECT_TRUE(ledger.deferred(amf));
  ledger.evaluate(amf);
  EXPECT_FALSE(ledger.deferred(amf));
  ledger.set(amf, own, {sbi});
  ledger.set(amf, fold, {});  // the fold's write returned late
  EXPECT_EQ(ledger.inconsistent("SBI"), 1u);
  EXPECT_EQ(ledger.evaluations(Evaluator::ProfileController), 1u);
  EXPECT_EQ(ledger.evaluations(Evaluator::ConsistencyController), 1u);
  // A deferral the next fold begins after is dropped: that fold sees the change.
  ledger.defer(amf);
  ledger.begin_fold(amf);
  EXPECT_FALSE(ledger.deferred(amf));
  ledger.defer(amf);
  ledger.forget(amf);
  EXPECT_FALSE(ledger.deferred(amf));
  EXPECT_EQ(ledger.inconsistent("SBI"), 0u);
}

// Each evaluator's count is exported under its controller's name, the label /metrics readers
// (StatusWritesTest) select by.
TEST(ConsistencyLedger, CountsEachEvaluatorUnderItsControllersLabel) {
  EXPECT_EQ(std::string(metric_label(Evaluator::ProfileController)), "securityprofile");
  EXPECT_EQ(std::string(metric_label(Evaluator::ConsistencyController)), "consistency");
  prometheus::Registry registry;
  ConsistencyLedger ledger(&registry);
  const runtime::ObjectKey amf{"5gc", "amf"};
  ledger.begin_fold(amf);
  ledger.begin_fold(amf);
  ledger.evaluate(amf);
  const auto exported = [&](const char* controller) {
    return runtime::testing::metric_value(registry, "secprov_consistency_evaluations_total",
                                          {{"controller", controller}});
  };
  EXPECT_EQ(exported("securityprofile"), 2.0);
  EXPECT_EQ(exported("consistency"), 1.0);
  EXPECT_EQ(ledger.evaluations(Evaluator::ProfileController), 2u);
  EXPECT_EQ(ledger.evaluations(Evaluator::ConsistencyController), 1u);
}

// The reconciler on the in-memory API: who writes a generation's first evaluation, and that
// an evaluation equal to the status writes nothing.
class ConsistencyReconcilerTest : public ::testing::Test {
 protected:
  static constexpr const char* kPath = "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/";

  void SetUp() override {
    const auto client = api_.client();
    context_.client = client;
    const auto store = [] { return std::make_shared<runtime::Store>(); };
    context_.stores = Stores{store(), store(), store(), store(), store()};
    context_.events = std::make_shared<runtime::EventRecorder>(client);
    reconciler_ = std::make_unique<ConsistencyReconciler>(context_);
  }
  // As the caches and the API server have it.
  void put(const json& object) {
    testing::cache_profile(context_.stores, object);
    const std::string path = kPath + object["metadata"]["name"].get<std::string>();
    api_.put_object(path, object);
    api_.put_object(path + "/status", object);
  }
  std::vector<runtime::testing::FakeApi::Request> status_writes() const {
    std::vector<runtime::testing::FakeApi::Request> out;
    for (const auto& r : api_.requests()) {
      if (r.method != "GET" && r.path.ends_with("/status")) out.push_back(r);
    }
    return out;
  }
  std::vector<std::string> event_reasons() const {
    context_.events->flush();
    std::vector<std::string> out;
    for (const auto& r : api_.requests("POST")) {
      if (r.path.ends_with("/events")) out.push_back(r.body.value("reason", ""));
    }
    return out;
  }

  runtime::testing::FakeApi api_;
  Context context_;
  std::unique_ptr<ConsistencyReconciler> reconciler_;
};

// A TLS 1.2-capped AMF and a 1.3-only AUSF (AMF -> AUSF on SBI): inconsistent.
json capped_amf(json status, int generation) {
  return profile_json("amf", "AMF", {{"sbi", {{"tls", {{"maxVersion", "1.2"}}}}}},
                      std::move(status), generation);
}
json strict_ausf() {
  return profile_json("ausf", "AUSF", {{"sbi", {{"tls", {{"minVersion", "1.3"}}}}}},
                      {{"observedGeneration", 1}});
}

TEST_F(ConsistencyReconcilerTest, AGenerationsFirstEvaluationIsLeftToTheProfileController) {
  put(strict_ausf());
  put(capped_amf({{"observedGeneration", 1}}, 2));  // generation 2 not written yet
  reconciler_->reconcile({"5gc", "amf"});
  EXPECT_TRUE(status_writes().empty());
  EXPECT_TRUE(event_reasons().empty());
}

TEST_F(ConsistencyReconcilerTest, WritesOnlyWhatDiffersAndTellsAChangeOnce) {
  put(strict_ausf());
  put(capped_amf({{"observedGeneration", 1}}, 1));
  reconciler_->reconcile({"5gc", "amf"});
  const auto writes = status_writes();
  ASSERT_EQ(writes.size(), 1u);
  const json written = writes.front().body.at("status");
  EXPECT_EQ(written["conditions"][0]["type"], "Consistent");
  EXPECT_EQ(written["conditions"][0]["reason"], "NoCommonTlsVersion");
  EXPECT_EQ(written["consistency"][0]["peer"], "ausf");
  EXPECT_EQ(event_reasons(), std::vector<std::string>{"Inconsistent"});
  // The same evaluation over the status it wrote: no write, no second Event.
  json amf = capped_amf(written, 1);
  amf["metadata"]["resourceVersion"] = "5";
  put(amf);
  reconciler_->reconcile({"5gc", "amf"});
  EXPECT_EQ(status_writes().size(), 1u);
  EXPECT_EQ(event_reasons(), std::vector<std::string>{"Inconsistent"});
}

}  // namespace
}  // namespace secprov::controllers

// Issue 9, "the operator watches the selected Pods (only those, by label selector)": the
// selector's query string, which watches the profiles need (pure), the plan from the running
// watches to the desired ones under the cap, and PodWatches itself over scripted list/watches:
// reference counting, the shared store while two watches hold a Pod, and sync state.
#include "controllers/pod_watches.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>

#include "controllers/mappers.h"
#include "controllers/profile_controller.h"
#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "kube/http.h"
#include "kube/watch.h"
#include "runtime/events.h"
#include "unit/controllers/ready_trust_domain.h"
#include "unit/runtime/fake_api.h"
#include "unit/runtime/manual_clock.h"
#include "unit/runtime/test_util.h"

namespace secprov::controllers {
namespace {

using Json = nlohmann::json;
using runtime::ObjectKey;
using runtime::testing::eventually;
using namespace std::chrono_literals;

api::SecurityProfile profile(const std::string& ns, const std::string& name,
                             std::map<std::string, std::string> labels,
                             api::EnablerMode mode = api::EnablerMode::Sidecar) {
  api::SecurityProfile p;
  p.metadata.name = name;
  p.metadata.namespace_ = ns;
  p.spec.selector.match_labels = api::Labels(labels);
  p.spec.enabler = api::EnablerSpec{};
  p.spec.enabler->mode = mode;
  return p;
}

std::optional<std::string> query(std::map<std::string, std::string> labels) {
  return label_selector_query(api::LabelSelector{api::Labels(labels)});
}

TEST(LabelSelectorQueryTest, MatchLabelsInKeyOrder) {
  EXPECT_EQ(query({{"app", "amf"}}), "app=amf");
  EXPECT_EQ(query({{"tier", "sbi"}, {"app", "amf"}}), "app=amf,tier=sbi");
  EXPECT_EQ(query({{"app.kubernetes.io/name", "amf"}, {"k", ""}}), "app.kubernetes.io/name=amf,k=");
  EXPECT_EQ(query({{"A_b.c-9", "X.y_z-1"}}), "A_b.c-9=X.y_z-1");
}

TEST(LabelSelectorQueryTest, NothingForWhatSelectsNoPod) {
  EXPECT_EQ(query({}), std::nullopt);  // empty selects nothing (the webhook's rule)
  // Not label syntax: no Pod carries it, and as a query it would mean something else.
  EXPECT_EQ(query({{"app", "amf,tier=sbi"}}), std::nullopt);
  EXPECT_EQ(query({{"app", "a b"}}), std::nullopt);
  EXPECT_EQ(query({{"app!", "amf"}}), std::nullopt);
  EXPECT_EQ(query({{"app", std::string(64, 'a')}}), std::nullopt);
  EXPECT_EQ(query({{"Bad_Prefix/app", "amf"}}), std::nullopt);
  EXPECT_EQ(query({{"/app", "amf"}}), std::nullopt);
  EXPECT_EQ(query({{"app", "-amf"}}), std::nullopt);
}

TEST(PodWatchOfTest, SidecarProfilesOnly) {
  EXPECT_EQ(pod_watch_of(profile("5gc", "amf", {{"app", "amf"}})), (PodWatchKey{"5gc", "app=amf"}));
  EXPECT_EQ(pod_watch_of(profile("5gc", "amf", {{"app", "amf"}}, api::EnablerMode::Native)),
            std::nullopt);
  auto no_enabler = profile("5gc", "amf", {{"app", "amf"}});
  no_enabler.spec.enabler.reset();
  EXPECT_EQ(pod_watch_of(no_enabler), std::nullopt);
  EXPECT_EQ(pod_watch_of(profile("5gc", "amf", {})), std::nullopt);
}

// Records what each profile needs, as the profile cache's events deliver them.
struct Users {
  PodWatchUsers users;
  bool see(const api::SecurityProfile& p) {
    return users.set({p.metadata.namespace_, p.metadata.name}, pod_watch_of(p));
  }
  bool gone(const std::string& ns, const std::string& name) {
    return users.set({ns, name}, std::nullopt);
  }
};

TEST(DesiredPodWatchesTest, Table) {
  using Desired = std::map<PodWatchKey, std::size_t>;
  {
    SCOPED_TRACE("two profiles, one selector: one watch used twice");
    Users u;
    EXPECT_TRUE(u.see(profile("5gc", "amf", {{"app", "amf"}})));
    EXPECT_FALSE(u.see(profile("5gc", "amf2", {{"app", "amf"}})));
    EXPECT_EQ(u.users.desired(), (Desired{{{"5gc", "app=amf"}, 2}}));
    EXPECT_FALSE(u.gone("5gc", "amf"));  // still used by amf2
    EXPECT_EQ(u.users.desired(), (Desired{{{"5gc", "app=amf"}, 1}}));
    EXPECT_TRUE(u.gone("5gc", "amf2"));  // the last user
    EXPECT_TRUE(u.users.desired().empty());
  }
  {
    SCOPED_TRACE("mode Native: none; switched to Native: stopped");
    Users u;
    EXPECT_FALSE(u.see(profile("5gc", "amf", {{"app", "amf"}}, api::EnablerMode::Native)));
    EXPECT_TRUE(u.users.desired().empty());
    EXPECT_TRUE(u.see(profile("5gc", "amf", {{"app", "amf"}})));
    EXPECT_TRUE(u.see(profile("5gc", "amf", {{"app", "amf"}}, api::EnablerMode::Native)));
    EXPECT_TRUE(u.users.desired().empty());
  }
  {
    SCOPED_TRACE("selector change: the old watch goes, the new one comes");
    Users u;
    u.see(profile("5gc", "amf", {{"app", "amf"}}));
    EXPECT_FALSE(u.see(profile("5gc", "amf", {{"app", "amf"}})));  // resync: nothing changes
    EXPECT_TRUE(u.see(profile("5gc", "amf", {{"app", "amf"}, {"tier", "sbi"}})));
    EXPECT_EQ(u.users.desired(), (Desired{{{"5gc", "app=amf,tier=sbi"}, 1}}));
    const auto plan = plan_pod_watches({{"5gc", "app=amf"}}, u.users.desired(), kMaxPodWatches);
    EXPECT_EQ(plan.stop, (std::vector<PodWatchKey>{{"5gc", "app=amf"}}));
    EXPECT_EQ(plan.start, (std::vector<PodWatchKey>{{"5gc", "app=amf,tier=sbi"}}));
    EXPECT_TRUE(plan.over_cap.empty());
  }
  {
    SCOPED_TRACE("namespaces: one selector in two namespaces is two watches");
    Users u;
    u.see(profile("5gc", "amf", {{"app", "amf"}}));
    u.see(profile("edge", "amf", {{"app", "amf"}}));
    EXPECT_EQ(u.users.desired(), (Desired{{{"5gc", "app=amf"}, 1}, {{"edge", "app=amf"}, 1}}));
  }
}

TEST(PlanPodWatchesTest, CapKeepsRunningWatchesAndFillsFreeSlotsInKeyOrder) {
  const std::map<PodWatchKey, std::size_t> desired{
      {{"a", "app=1"}, 1}, {{"a", "app=2"}, 1}, {{"b", "app=1"}, 3}, {{"c", "app=1"}, 1}};
  // c is running: it keeps its slot; one slot left for a/app=1; the rest wait.
  const auto plan = plan_pod_watches({{"c", "app=1"}, {"z", "gone=1"}}, desired, 2);
  EXPECT_EQ(plan.stop, (std::vector<PodWatchKey>{{"z", "gone=1"}}));
  EXPECT_EQ(plan.start, (std::vector<PodWatchKey>{{"a", "app=1"}}));
  EXPECT_EQ(plan.over_cap, (std::vector<PodWatchKey>{{"a", "app=2"}, {"b", "app=1"}}));
  // Nothing to do when running is desired.
  EXPECT_EQ(plan_pod_watches({{"a", "app=1"}}, {{{"a", "app=1"}, 1}}, 2), PodWatchPlan{});
}

// ---- PodWatches over scripted list/watches ----

// A watch stream with no events that ends when cancelled (a quiet, healthy watch).
class QuietStream final : public kube::HttpLineStream {
 public:
  int status() const override { return 200; }
  const kube::HttpHeaders& headers() const override { return headers_; }
  std::optional<std::string> read_line() override {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return cancelled_; });
    return std::nullopt;
  }
  void cancel() override {
    {
      const std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  kube::HttpHeaders headers_;
};

Json pod(const std::string& ns, const std::string& name, const std::string& rv) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", rv}}}};
}

// Lists what the test put under a key (blocking while the key is held back), then watches
// quietly.
class FakeApi {
 public:
  void set(const PodWatchKey& key, std::vector<Json> pods) {
    const std::lock_guard lock(mutex_);
    pods_[key] = std::move(pods);
  }
  // Lets every held list answer: a test that fails while a list is held would otherwise
  // leave the watch thread blocked in it, and the PodWatches' destructor waiting for it.
  void release_all() {
    {
      const std::lock_guard lock(mutex_);
      held_.clear();
    }
    cv_.notify_all();
  }
  void hold(const PodWatchKey& key, bool held) {
    {
      const std::lock_guard lock(mutex_);
      if (held) {
        held_.insert(key);
      } else {
        held_.erase(key);
      }
    }
    cv_.notify_all();
  }
  std::vector<PodWatchKey> listed() const {
    const std::lock_guard lock(mutex_);
    return listed_;
  }

  PodWatches::ListerWatcherFactory factory() {
    return [this](const PodWatchKey& key) { return std::make_shared<LW>(this, key); };
  }

 private:
  struct LW final : runtime::ListerWatcher {
    LW(FakeApi* owner, PodWatchKey watched) : api(owner), key(std::move(watched)) {}
    kube::ObjectList list(const kube::ListOptions&) override {
      std::unique_lock lock(api->mutex_);
      api->cv_.wait(lock, [&] { return !api->held_.contains(key); });
      api->listed_.push_back(key);
      kube::ObjectList out;
      out.items = api->pods_[key];
      out.resource_version = "10";
      return out;
    }
    std::unique_ptr<kube::WatchStream> watch(const kube::WatchOptions&) override {
      return std::make_unique<kube::WatchStream>(std::make_unique<QuietStream>());
    }
    FakeApi* api;
    PodWatchKey key;
  };

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<PodWatchKey, std::vector<Json>> pods_;
  std::set<PodWatchKey> held_;
  std::vector<PodWatchKey> listed_;
};

std::shared_ptr<const api::SecurityProfile> shared(api::SecurityProfile p) {
  return std::make_shared<const api::SecurityProfile>(std::move(p));
}

TEST(PodWatchesTest, SharedStoreKeepsAPodWhileEitherWatchHoldsIt) {
  FakeApi api;
  const PodWatchKey app{"5gc", "app=amf"};
  const PodWatchKey tier{"5gc", "tier=sbi"};
  api.set(app, {pod("5gc", "both", "1"), pod("5gc", "only-app", "1")});
  api.set(tier, {pod("5gc", "both", "1")});
  auto store = std::make_shared<runtime::Store>();
  PodWatches watches(api.factory(), store, {});
  std::atomic<int> added{0};
  watches.add_handlers({[&](const runtime::ObjectPtr&) { ++added; }, {}, {}});

  // Seen before start: recorded, not watched.
  watches.set_profile({"5gc", "a"}, shared(profile("5gc", "a", {{"app", "amf"}})));
  EXPECT_EQ(watches.running(), 0u);
  EXPECT_EQ(watches.state(app), PodWatchState::Pending);
  watches.start();
  watches.set_profile({"5gc", "t"}, shared(profile("5gc", "t", {{"tier", "sbi"}})));
  ASSERT_TRUE(eventually([&] { return watches.synced(app) && watches.synced(tier); }));
  EXPECT_EQ(watches.running(), 2u);
  ASSERT_TRUE(eventually([&] { return store->size() == 2 && added == 3; }));

  // A second profile with the same selector shares the watch: nothing new is listed.
  watches.set_profile({"5gc", "a2"}, shared(profile("5gc", "a2", {{"app", "amf"}})));
  EXPECT_EQ(watches.running(), 2u);
  EXPECT_EQ(api.listed().size(), 2u);

  // The app watch is still used by a2: profile a switched to Native changes nothing.
  watches.set_profile({"5gc", "a"},
                      shared(profile("5gc", "a", {{"app", "amf"}}, api::EnablerMode::Native)));
  EXPECT_TRUE(watches.synced(app));
  // Its last user gone: stopped; "both" stays (the tier watch holds it), "only-app" goes.
  watches.set_profile({"5gc", "a2"}, nullptr);
  EXPECT_EQ(watches.running(), 1u);
  EXPECT_EQ(watches.state(app), PodWatchState::Pending);
  EXPECT_EQ(store->keys(), (std::vector<ObjectKey>{{"5gc", "both"}}));
  // The tier watch stopped too: the store is empty.
  watches.set_profile({"5gc", "t"}, nullptr);
  EXPECT_EQ(watches.running(), 0u);
  EXPECT_EQ(store->size(), 0u);
}

TEST(PodWatchesTest, NotSyncedUntilListedAndCappedBeyondTheLimit) {
  FakeApi api;
  const PodWatchKey first{"a", "app=1"};
  const PodWatchKey second{"b", "app=1"};
  api.hold(first, true);
  auto store = std::make_shared<runtime::Store>();
  PodWatchesOptions options;
  options.max_watches = 1;
  PodWatches watches(api.factory(), store, options);
  watches.start();
  watches.set_profile({"a", "p"}, shared(profile("a", "p", {{"app", "1"}})));
  watches.set_profile({"b", "p"}, shared(profile("b", "p", {{"app", "1"}})));
  EXPECT_EQ(watches.state(first), PodWatchState::Pending);  // its list has not answered
  EXPECT_EQ(watches.state(second), PodWatchState::OverCap);
  api.hold(first, false);
  ASSERT_TRUE(eventually([&] { return watches.synced(first); }));
  // A slot freed: the waiting watch starts.
  watches.set_profile({"a", "p"}, nullptr);
  ASSERT_TRUE(eventually([&] { return watches.synced(second); }));
  watches.stop();
  EXPECT_EQ(watches.running(), 0u);
}

TEST(PodWatchesTest, StopJoinsTheWatchThreads) {
  FakeApi api;
  const PodWatchKey key{"a", "app=1"};
  auto store = std::make_shared<runtime::Store>();
  PodWatches watches(api.factory(), store, {});
  watches.start();
  watches.set_profile({"a", "p"}, shared(profile("a", "p", {{"app", "1"}})));
  ASSERT_TRUE(eventually([&] { return watches.synced(key); }));
  watches.stop();  // joins the watch thread (cancels the quiet watch)
  EXPECT_EQ(watches.running(), 0u);
  EXPECT_EQ(watches.state(key), PodWatchState::Pending);
}

// ---- the reconciler never reports Pods from a watch that has not listed them ----

constexpr const char* kProfilePath =
    "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/amf";

class PodWatchReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = api_.client();
    const auto store = [] { return std::make_shared<runtime::Store>(); };
    context_.client = client_;
    context_.stores = Stores{store(), store(), store(), store(), store()};
    watches_ = std::make_shared<PodWatches>(fake_.factory(), context_.stores.pods,
                                            PodWatchesOptions{}, strip_pod);
    context_.stores.pod_watches = watches_;
    context_.events = std::make_shared<runtime::EventRecorder>(client_);
    context_.operator_namespace = "secprov-system";
    context_.clock = std::make_shared<runtime::testing::ManualClock>(now_);
    testing::seed_ready_trust_domain(context_.stores, testing::test_ca(now_));
    cas_ = std::make_shared<CaProvider>(context_.stores.operator_secrets, "secprov-system");
    reconciler_ = std::make_unique<SecurityProfileReconciler>(context_, cas_,
                                                              [](const auto&, const auto&) {});
  }
  void TearDown() override { fake_.release_all(); }

  // A Sidecar profile selecting app=amf whose status.pods says `selected` Pods.
  static Json amf(int selected) {
    auto p = Json::parse(R"({
      "apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile",
      "metadata": {"name": "amf", "namespace": "5gc", "uid": "profile-uid", "generation": 1,
                   "resourceVersion": "10", "finalizers": ["secprov.io/cleanup"]},
      "spec": {"nfType": "AMF", "selector": {"matchLabels": {"app": "amf"}},
               "nfInstanceId": "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31",
               "trustDomainRef": {"name": "td"},
               "sbi": {"tls": {"mode": "MutualTLS"}},
               "enabler": {"mode": "Sidecar", "inbound": {"port": 8080, "tlsPort": 8443}}}})");
    p["status"]["pods"] = {{"selected", selected}, {"withoutEnabler", selected}};
    return p;
  }
  runtime::ReconcileResult reconcile(Json p) {
    api_.put_object(kProfilePath, p);
    api_.put_object(std::string(kProfilePath) + "/status", p);
    // The cache holds the version the server has: a status write is conditional on it.
    p["metadata"]["resourceVersion"] =
        api_.object(std::string(kProfilePath) + "/status").value()["metadata"]["resourceVersion"];
    context_.stores.profiles->upsert(p);
    watches_->set_profile({"5gc", "amf"}, std::make_shared<const api::SecurityProfile>(
                                              api::parse_security_profile(p).value()));
    return reconciler_->reconcile({"5gc", "amf"});
  }
  Json pods_status() const {
    return api_.object(std::string(kProfilePath) + "/status")
        .value()["status"]
        .value("pods", Json());
  }

  FakeApi fake_;
  runtime::testing::FakeApi api_;
  std::shared_ptr<kube::Client> client_;
  Context context_;
  std::shared_ptr<PodWatches> watches_;
  std::chrono::system_clock::time_point now_ =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::shared_ptr<CaProvider> cas_;
  std::unique_ptr<SecurityProfileReconciler> reconciler_;
};

TEST_F(PodWatchReconcileTest, UnsyncedWatchLeavesStatusPodsAsItWasAndRequeuesSoon) {
  const PodWatchKey key{"5gc", "app=amf"};
  fake_.hold(key, true);  // the list has not answered: the watch knows no Pod yet
  auto labelled = pod("5gc", "p1", "1");
  labelled["metadata"]["labels"] = {{"app", "amf"}};
  fake_.set(key, {labelled});
  watches_->start();

  const auto pending = reconcile(amf(3));
  EXPECT_EQ(watches_->state(key), PodWatchState::Pending);
  EXPECT_EQ(pods_status()["selected"], 3);  // as it was, never 0
  EXPECT_TRUE(pending.requeue);             // the key's rate-limited backoff, not a fixed poll
  EXPECT_FALSE(pending.requeue_after.has_value());

  fake_.hold(key, false);
  ASSERT_TRUE(eventually([&] { return watches_->synced(key); }));
  auto cached = amf(3);  // as the cache delivers it: with the status the first pass wrote
  cached["status"] = api_.object(std::string(kProfilePath) + "/status").value()["status"];
  reconcile(cached);
  EXPECT_EQ(pods_status()["selected"], 1);
  EXPECT_EQ(pods_status()["withoutEnablerPods"], Json::array({"p1"}));
}

}  // namespace
}  // namespace secprov::controllers

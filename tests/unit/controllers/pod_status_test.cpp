// Issue 9, "Pods in status, and rollout": the pure Pod policies (state, status.pods, Drifted,
// the digest-once rollout decision), the Pod cache's transform and mapper, and the reconciler
// composing status.pods and patching the owning Deployment once per digest.
#include <gtest/gtest.h>

#include "controllers/mappers.h"
#include "controllers/policies.h"
#include "controllers/profile_controller.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "render/enabler.h"
#include "runtime/events.h"
#include "unit/controllers/ready_trust_domain.h"
#include "unit/runtime/fake_api.h"
#include "unit/runtime/manual_clock.h"

namespace secprov::controllers {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
using policies::PodState;

constexpr const char* kDigest = "sha256:current";

Json pod(const std::string& name, Json annotations = Json::object(), bool enabler = false) {
  Json containers = Json::array({{{"name", "amf"}, {"image", "amf:1"}}});
  if (enabler) containers.push_back({{"name", "secprov-enabler"}, {"image", "haproxy"}});
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"namespace", "5gc"},
            {"resourceVersion", "1"},
            {"labels", {{"app", "amf"}}},
            {"annotations", std::move(annotations)}}},
          {"spec", {{"containers", std::move(containers)}}}};
}

Json injected(const std::string& name, const std::string& digest = kDigest) {
  return pod(name, {{"secprov.io/profile", "amf"}, {"secprov.io/enabler-digest", digest}}, true);
}

api::SecurityProfile sidecar_profile() {
  api::SecurityProfile p;
  p.metadata.name = "amf";
  p.metadata.namespace_ = "5gc";
  p.spec.selector.match_labels = {{"app", "amf"}};
  p.spec.enabler = api::EnablerSpec{};
  p.spec.enabler->mode = api::EnablerMode::Sidecar;
  return p;
}

TEST(PodPolicyTest, StateTable) {
  auto host = pod("h");
  host["spec"]["hostNetwork"] = true;
  auto deleting = injected("d", "sha256:old");
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  auto finished = pod("f");
  finished["status"] = {{"phase", "Succeeded"}};
  auto native = pod("n", {{"secprov.io/profile", "amf"}, {"secprov.io/enabler-digest", kDigest}});
  native["spec"]["initContainers"] = Json::array({{{"name", "secprov-enabler"}}});
  const struct {
    const char* what;
    Json pod;
    PodState want;
  } cases[] = {
      {"plain Pod", pod("p"), PodState::WithoutEnabler},
      {"annotations without the container", pod("a", {{"secprov.io/profile", "amf"}}),
       PodState::WithoutEnabler},
      {"container of another profile",
       pod("o", {{"secprov.io/profile", "smf"}, {"secprov.io/enabler-digest", kDigest}}, true),
       PodState::WithoutEnabler},
      {"injected, current digest", injected("i"), PodState::Injected},
      {"injected as a native sidecar", native, PodState::Injected},
      {"injected, older digest", injected("s", "sha256:old"), PodState::StaleDigest},
      {"hostNetwork", host, PodState::NotApplicable},
      {"opted out", pod("x", {{"secprov.io/inject", "false"}}), PodState::NotApplicable},
      {"deleting", deleting, PodState::NotApplicable},
      {"finished", finished, PodState::NotApplicable},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(policies::pod_state(c.pod, "amf", kDigest), c.want) << c.what;
  }
}

TEST(PodPolicyTest, SelectionFollowsTheWebhookRule) {
  const auto profile = sidecar_profile();
  EXPECT_TRUE(policies::pod_selected(profile, pod("p")));
  auto other_ns = pod("p");
  other_ns["metadata"]["namespace"] = "other";
  EXPECT_FALSE(policies::pod_selected(profile, other_ns));
  auto other_label = pod("p");
  other_label["metadata"]["labels"]["app"] = "smf";
  EXPECT_FALSE(policies::pod_selected(profile, other_label));
  auto empty = profile;
  empty.spec.selector.match_labels.clear();
  EXPECT_FALSE(policies::pod_selected(empty, pod("p")));  // an empty selector selects nothing
}

TEST(PodPolicyTest, StatusCountsAndBoundedSortedNames) {
  std::vector<Json> pods;
  for (int k = 14; k >= 0; --k) pods.push_back(pod("bare-" + std::to_string(100 + k)));
  pods.push_back(injected("fresh"));
  pods.push_back(injected("stale-b", "sha256:old"));
  pods.push_back(injected("stale-a", "sha256:old"));
  auto host = pod("host");
  host["spec"]["hostNetwork"] = true;
  pods.push_back(host);
  std::vector<const Json*> selected;
  for (const auto& p : pods) selected.push_back(&p);
  const auto status = policies::pods_status(selected, "amf", kDigest);
  EXPECT_EQ(status.selected, 18);
  EXPECT_EQ(status.injected, 3);
  EXPECT_EQ(status.without_enabler, 15);
  EXPECT_EQ(status.stale_digest, 2);
  ASSERT_EQ(status.without_enabler_names.size(), api::kMaxStatusPodNames);
  EXPECT_EQ(status.without_enabler_names.front(), "bare-100");
  EXPECT_EQ(status.without_enabler_names.back(), "bare-109");
  EXPECT_EQ(status.stale_digest_names, (std::vector<std::string>{"stale-a", "stale-b"}));
  // The status round-trips through the API's JSON (what the CRD stores).
  api::SecurityProfileStatus s;
  s.pods = status;
  const auto parsed = api::parse_security_profile_status(api::to_json(s));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().pods, status);
}

TEST(PodPolicyTest, DriftReasonNamesTheCounts) {
  api::PodsStatus none;
  none.selected = 2;
  none.injected = 2;
  EXPECT_FALSE(policies::pods_drift(none));
  auto stale = none;
  stale.stale_digest = 1;
  const auto s = policies::pods_drift(stale);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->reason, "PodsStale");
  EXPECT_NE(s->message.find("1 of 2 injected Pods"), std::string::npos) << s->message;
  auto both = stale;
  both.selected = 3;
  both.without_enabler = 1;
  const auto b = policies::pods_drift(both);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->reason, "PodsWithoutEnabler");
  EXPECT_NE(b->message.find("1 of 3 selected Pods run without the enabler"), std::string::npos)
      << b->message;
}

TEST(PodPolicyTest, RolloutWritesEachDigestOnce) {
  using R = api::EnablerRollout;
  const struct {
    const char* what;
    R rollout;
    std::int64_t stale;
    std::optional<std::string> template_value;
    std::optional<std::string> want;
  } cases[] = {
      {"None never restarts", R::None, 3, std::nullopt, std::nullopt},
      {"no stale Pod", R::Restart, 0, std::nullopt, std::nullopt},
      {"stale Pods, template without the annotation", R::Restart, 2, std::nullopt, kDigest},
      {"stale Pods, template at an older digest", R::Restart, 2, "sha256:old", kDigest},
      {"template already at this digest (operator restarted)", R::Restart, 2, kDigest,
       std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(policies::rollout_annotation(c.rollout, kDigest, c.stale, c.template_value), c.want)
        << c.what;
  }
  EXPECT_FALSE(policies::rollout_annotation(R::Restart, "", 2, std::nullopt));
}

TEST(PodCacheTest, StripKeepsOnlyWhatStatusReads) {
  auto full = injected("p");
  full["metadata"]["ownerReferences"] = Json::array(
      {{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "rs"}, {"controller", true}}});
  full["metadata"]["managedFields"] = Json::array({{{"manager", "kubectl"}}});
  full["spec"]["containers"][0]["env"] = Json::array({{{"name", "TOKEN"}, {"value", "x"}}});
  full["spec"]["hostNetwork"] = false;
  full["spec"]["volumes"] = Json::array({{{"name", "v"}}});
  full["status"] = {{"phase", "Running"}, {"podIP", "10.0.0.1"}};
  const auto stripped = strip_pod(full);
  EXPECT_FALSE(stripped["metadata"].contains("managedFields"));
  EXPECT_EQ(stripped["spec"]["containers"],
            Json::parse(R"([{"name":"amf"},{"name":"secprov-enabler"}])"));
  EXPECT_FALSE(stripped["spec"].contains("volumes"));
  EXPECT_EQ(stripped["status"], Json::parse(R"({"phase":"Running"})"));
  EXPECT_EQ(stripped["metadata"]["ownerReferences"], full["metadata"]["ownerReferences"]);
  EXPECT_EQ(policies::pod_state(stripped, "amf", kDigest), PodState::Injected);
  EXPECT_EQ(policies::controller_owner(stripped), (policies::OwnerRef{"ReplicaSet", "rs"}));
}

TEST(PodCacheTest, PodEventReachesTheSidecarProfilesSelectingItAndTheOneItNames) {
  const auto profiles = make_profile_store();
  const auto profile_json = [](const std::string& name, const std::string& app, bool sidecar) {
    Json p = {{"apiVersion", "secprov.io/v1alpha1"},
              {"kind", "SecurityProfile"},
              {"metadata", {{"name", name}, {"namespace", "5gc"}, {"resourceVersion", "1"}}},
              {"spec",
               {{"nfType", "AMF"},
                {"selector", {{"matchLabels", {{"app", app}}}}},
                {"trustDomainRef", {{"name", "td"}}}}}};
    if (sidecar) {
      p["spec"]["enabler"] = {{"mode", "Sidecar"},
                              {"inbound", {{"port", 8080}, {"tlsPort", 8443}}}};
    }
    return p;
  };
  profiles->upsert(std::make_shared<const Json>(profile_json("amf", "amf", true)));
  profiles->upsert(std::make_shared<const Json>(profile_json("native", "amf", false)));
  profiles->upsert(std::make_shared<const Json>(profile_json("smf", "smf", true)));
  using Keys = std::vector<runtime::ObjectKey>;
  EXPECT_EQ(profiles_of_pod(*profiles, pod("p")), (Keys{{"5gc", "amf"}}));
  auto relabelled = injected("p");
  relabelled["metadata"]["labels"]["app"] = "smf";
  EXPECT_EQ(profiles_of_pod(*profiles, relabelled), (Keys{{"5gc", "smf"}, {"5gc", "amf"}}));
}

// ---- the reconciler: status.pods, Drifted, and the Deployment patched once per digest ----

constexpr const char* kProfilePath =
    "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/amf";
constexpr const char* kDeploymentPath = "/apis/apps/v1/namespaces/5gc/deployments/amf";

class PodReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = api_.client();
    const auto store = [] { return std::make_shared<runtime::Store>(); };
    context_.client = client_;
    context_.stores = Stores{store(), store(), store(), store(), store()};
    context_.events = std::make_shared<runtime::EventRecorder>(client_);
    context_.operator_namespace = "secprov-system";
    context_.clock = std::make_shared<runtime::testing::ManualClock>(now_);
    testing::seed_ready_trust_domain(context_.stores, testing::test_ca(now_));
    cas_ = std::make_shared<CaProvider>(context_.stores.operator_secrets, "secprov-system");
    reconciler_ = std::make_unique<SecurityProfileReconciler>(context_, cas_,
                                                              [](const auto&, const auto&) {});
  }

  static Json profile(const std::string& rollout) {
    return Json::parse(R"({
      "apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile",
      "metadata": {"name": "amf", "namespace": "5gc", "uid": "profile-uid", "generation": 1,
                   "resourceVersion": "10", "finalizers": ["secprov.io/cleanup"]},
      "spec": {"nfType": "AMF", "selector": {"matchLabels": {"app": "amf"}},
               "nfInstanceId": "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31",
               "trustDomainRef": {"name": "td"},
               "sbi": {"tls": {"mode": "MutualTLS"}},
               "enabler": {"mode": "Sidecar", "inbound": {"port": 8080, "tlsPort": 8443},
                           "rollout": ")" +
                       rollout + R"("}}})");
  }
  std::string digest_of(const Json& p) const {
    auto parsed = api::parse_security_profile(p);
    return render::enabler_config_digest(parsed.value());
  }

  // As the cache delivers the profile: with the status the previous pass wrote.
  void reconcile(const Json& p) {
    Json current = p;
    if (const auto written = api_.object(std::string(kProfilePath) + "/status")) {
      if (written->contains("status")) current["status"] = (*written)["status"];
    }
    context_.stores.profiles->upsert(current);
    api_.put_object(kProfilePath, current);
    api_.put_object(std::string(kProfilePath) + "/status", current);
    reconciler_->reconcile({"5gc", "amf"});
  }
  Json status() const {
    return api_.object(std::string(kProfilePath) + "/status").value()["status"];
  }
  Json condition(const std::string& type) const {
    for (const auto& c : status().value("conditions", Json::array())) {
      if (c["type"] == type) return c;
    }
    return Json();
  }
  // A Pod of Deployment amf (through ReplicaSet amf-1).
  void add_deployment_pod(const std::string& name, const std::string& digest) {
    auto p = injected(name, digest);
    p["metadata"]["ownerReferences"] = Json::array({{{"apiVersion", "apps/v1"},
                                                     {"kind", "ReplicaSet"},
                                                     {"name", "amf-1"},
                                                     {"controller", true}}});
    context_.stores.pods->upsert(strip_pod(p));
  }
  std::size_t deployment_patches() const {
    std::size_t n = 0;
    for (const auto& r : api_.requests("PATCH")) n += r.path == kDeploymentPath;
    return n;
  }

  runtime::testing::FakeApi api_;
  std::shared_ptr<kube::Client> client_;
  Context context_;
  std::chrono::system_clock::time_point now_ =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::shared_ptr<CaProvider> cas_;
  std::unique_ptr<SecurityProfileReconciler> reconciler_;
};

TEST_F(PodReconcileTest, PodWithoutEnablerIsListedAndSetsDrifted) {
  const auto p = profile("None");
  context_.stores.pods->upsert(strip_pod(pod("early")));
  add_deployment_pod("fresh", digest_of(p));
  reconcile(p);
  const auto pods = status()["pods"];
  EXPECT_EQ(pods["selected"], 2);
  EXPECT_EQ(pods["injected"], 1);
  EXPECT_EQ(pods["withoutEnabler"], 1);
  EXPECT_EQ(pods["staleDigest"], 0);
  EXPECT_EQ(pods["withoutEnablerPods"], Json::array({"early"}));
  EXPECT_EQ(condition("Drifted")["status"], "True");
  EXPECT_EQ(condition("Drifted")["reason"], "PodsWithoutEnabler");
  EXPECT_EQ(condition("Ready")["status"], "True");  // the objects are provisioned
  EXPECT_EQ(deployment_patches(), 0u);

  context_.stores.pods->erase({"5gc", "early"});
  reconcile(p);
  EXPECT_TRUE(condition("Drifted").is_null()) << "Drifted is absent when False";
  EXPECT_EQ(status()["pods"]["withoutEnabler"], 0);
}

TEST_F(PodReconcileTest, RestartPatchesTheDeploymentTemplateOncePerDigest) {
  const auto p = profile("Restart");
  const auto digest = digest_of(p);
  api_.put_object("/apis/apps/v1/namespaces/5gc/replicasets/amf-1", Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": "amf-1", "namespace": "5gc",
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                      "name": "amf", "controller": true}]}})"));
  api_.put_object(kDeploymentPath, Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "amf", "namespace": "5gc"},
    "spec": {"template": {"metadata": {"annotations":
      {"secprov.io/enabler-digest": "sha256:old"}}}}})"));
  add_deployment_pod("old-1", "sha256:old");
  add_deployment_pod("old-2", "sha256:old");
  reconcile(p);
  EXPECT_EQ(status()["pods"]["staleDigest"], 2);
  EXPECT_EQ(condition("Drifted")["reason"], "PodsStale");
  ASSERT_EQ(deployment_patches(), 1u);  // one workload for both Pods
  EXPECT_EQ(
      api_.object(kDeploymentPath)
          .value()["spec"]["template"]["metadata"]["annotations"]["secprov.io/enabler-digest"],
      digest);
  // The old Pods are still there (the rollout is under way), and an operator restarted now
  // passes again: the template already carries this digest, nothing is written.
  reconcile(p);
  reconciler_ =
      std::make_unique<SecurityProfileReconciler>(context_, cas_, [](const auto&, const auto&) {});
  reconcile(p);
  EXPECT_EQ(deployment_patches(), 1u);
}

TEST_F(PodReconcileTest, RolloutNoneNeverTouchesWorkloads) {
  add_deployment_pod("old-1", "sha256:old");
  reconcile(profile("None"));
  EXPECT_EQ(status()["pods"]["staleDigest"], 1);
  EXPECT_EQ(deployment_patches(), 0u);
  for (const auto& r : api_.requests()) {
    EXPECT_EQ(r.path.find("/apis/apps/"), std::string::npos) << r.method << " " << r.path;
  }
}

}  // namespace
}  // namespace secprov::controllers

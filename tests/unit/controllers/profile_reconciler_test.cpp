// SecurityProfileReconciler on the in-memory API: existing objects in, expected writes,
// conditions and requeues out (the shape of cert-manager's controller tests).
#include <gtest/gtest.h>

#include "api/constants.h"
#include "controllers/consistency_controller.h"
#include "controllers/profile_controller.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "kube/errors.h"
#include "runtime/events.h"
#include "unit/controllers/cached_profile.h"
#include "unit/controllers/ready_trust_domain.h"
#include "unit/runtime/fake_api.h"
#include "unit/runtime/manual_clock.h"

namespace secprov::controllers {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kProfilePath =
    "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/amf";
constexpr const char* kNfInstanceId = "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31";

Json base_profile() {
  return Json::parse(R"({
    "apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile",
    "metadata": {"name": "amf", "namespace": "5gc", "uid": "profile-uid", "generation": 1,
                 "resourceVersion": "10", "finalizers": ["secprov.io/cleanup"]},
    "spec": {"nfType": "AMF", "selector": {"matchLabels": {"app": "amf"}},
             "nfInstanceId": "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31",
             "trustDomainRef": {"name": "td"}}})");
}

Json ipsec_interface(const std::string& authentication, const std::string& remote_id) {
  return {{"name", "N2"},
          {"authentication", authentication},
          {"peers", {{{"name", "gnb-1"}, {"address", "10.10.2.11"}, {"remoteId", remote_id}}}}};
}

class ProfileReconcilerTest : public ::testing::Test {
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
    context_.consistency = std::make_shared<ConsistencyLedger>(nullptr);
    cas_ = std::make_shared<CaProvider>(context_.stores.operator_secrets, "secprov-system");
    reconciler_ = std::make_unique<SecurityProfileReconciler>(context_, cas_,
                                                              [](const auto&, const auto&) {});
  }

  runtime::ReconcileResult reconcile(const Json& profile) {
    testing::cache_profile(context_.stores, profile);
    api_.put_object(kProfilePath, profile);
    api_.put_object(std::string(kProfilePath) + "/status", profile);
    try {
      return reconciler_->reconcile({"5gc", "amf"});
    } catch (const runtime::TerminalError& e) {
      terminal_reason_ = e.reason();  // recorded by the controller, never retried
      return runtime::ReconcileResult::Done();
    }
  }
  std::string terminal_reason_;

  // Writes to Secrets and ConfigMaps (Events and status are not the NF's objects).
  std::vector<runtime::testing::FakeApi::Request> object_writes() const {
    std::vector<runtime::testing::FakeApi::Request> out;
    for (const auto& r : api_.requests()) {
      const bool object = r.path.find("/secrets") != std::string::npos ||
                          r.path.find("/configmaps") != std::string::npos;
      if (object && r.method != "GET") out.push_back(r);
    }
    return out;
  }

  Json condition(const std::string& type) const {
    const auto status = api_.object(std::string(kProfilePath) + "/status").value()["status"];
    for (const auto& c : status.value("conditions", Json::array())) {
      if (c["type"] == type) return c;
    }
    return Json();
  }

  runtime::testing::FakeApi api_;
  std::shared_ptr<kube::Client> client_;
  Context context_;
  std::chrono::system_clock::time_point now_ =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::shared_ptr<CaProvider> cas_;
  std::unique_ptr<SecurityProfileReconciler> reconciler_;
};

TEST_F(ProfileReconcilerTest, FirstPassCreatesEveryObjectAndReportsReady) {
  const auto result = reconcile(base_profile());
  std::vector<std::string> created;
  for (const auto& r : object_writes()) {
    EXPECT_EQ(r.method, "POST") << r.path;  // created, never applied over an unseen object
    created.push_back(r.body["metadata"]["name"]);
  }
  EXPECT_EQ(created, (std::vector<std::string>{"amf-tls", "amf-security"}));
  EXPECT_EQ(condition("Ready")["status"], "True");
  ASSERT_TRUE(result.requeue_after.has_value());  // the renewal time
  EXPECT_GT(*result.requeue_after, std::chrono::milliseconds(24h));
}

TEST_F(ProfileReconcilerTest, RenderErrorIsTerminalNamesTheFieldAndWritesNothing) {
  auto profile = base_profile();
  // The CRD refuses this; the renderer must refuse it too, before anything is written.
  profile["spec"]["ipsec"]["interfaces"] =
      Json::array({ipsec_interface("Certificate", "gnb\u0001")});
  runtime::ReconcileResult result;
  ASSERT_NO_THROW(result = reconcile(profile));
  EXPECT_EQ(terminal_reason_, "InvalidSpec");  // a TerminalError: never retried
  EXPECT_FALSE(result.requeue);
  EXPECT_FALSE(result.requeue_after.has_value());
  EXPECT_TRUE(object_writes().empty());
  const auto stalled = condition("Stalled");
  EXPECT_EQ(stalled["status"], "True");
  EXPECT_EQ(stalled["reason"], "InvalidSpec");
  EXPECT_NE(
      stalled["message"].get<std::string>().find("spec.ipsec.interfaces[0].peers[0].remoteId"),
      std::string::npos)
      << stalled.dump();
}

// A new profile of which the cache holds nothing creates its objects without reading their
// names first (a GET each, with its etcd read): the create itself refuses a taken name.
TEST_F(ProfileReconcilerTest, ANewProfileCreatesItsObjectsWithoutReadingTheirNames) {
  reconcile(base_profile());
  for (const auto& r : api_.requests()) {
    const bool object = r.path.find("/secrets") != std::string::npos ||
                        r.path.find("/configmaps") != std::string::npos;
    EXPECT_FALSE(object && r.method == "GET") << r.path;
  }
  EXPECT_EQ(object_writes().size(), 2u);
  EXPECT_EQ(condition("Ready")["status"], "True");
}

TEST_F(ProfileReconcilerTest, ForeignObjectWithAGeneratedNameLeavesNothingWrittenAndStalls) {
  // A user's ConfigMap bearing the profile's settings name, which the label-selected cache
  // does not hold. The TLS Secret comes first in a pass: created, then deleted again when the
  // ConfigMap's create meets the user's object, so the profile is never half provisioned.
  api_.put_object("/api/v1/namespaces/5gc/configmaps/amf-security",
                  {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", "amf-security"}, {"namespace", "5gc"}, {"uid", "user"}}},
                   {"data", {{"mine", "yes"}}}});
  try {
    reconcile(base_profile());
    ADD_FAILURE() << "the first pass must fail on the taken name";
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(kube::is_already_exists(e)) << e.what();  // an error: retried with backoff
  }
  const auto first = object_writes();
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].method, "POST");  // the Secret
  EXPECT_EQ(first[1].method, "POST");  // the ConfigMap: AlreadyExists
  EXPECT_EQ(first[2].method, "DELETE");
  EXPECT_EQ(first[2].path, "/api/v1/namespaces/5gc/secrets/amf-tls");
  // Its revocation finalizer let go at once (the certificate was never used: not revoked).
  EXPECT_EQ(first[3].method, "PATCH");
  EXPECT_EQ(first[3].path, "/api/v1/namespaces/5gc/secrets/amf-tls");
  EXPECT_EQ(first[3].body["metadata"]["finalizers"], Json::array());
  EXPECT_FALSE(api_.object("/api/v1/namespaces/5gc/secrets/amf-tls").has_value());
  EXPECT_EQ(api_.object("/api/v1/namespaces/5gc/configmaps/amf-security").value()["data"]["mine"],
            "yes");

  // The retry reads the names from the server and stalls, writing nothing.
  const auto result = reconcile(base_profile());
  EXPECT_EQ(object_writes().size(), first.size());
  EXPECT_EQ(condition("Stalled")["reason"], "ObjectConflict");
  EXPECT_NE(condition("Stalled")["message"].get<std::string>().find("amf-security"),
            std::string::npos);
  // No event tells when the foreign object goes: re-checked, bounded, with reads (the stall
  // keeps the cache's absence from being trusted).
  ASSERT_TRUE(result.requeue_after.has_value());
  EXPECT_GE(*result.requeue_after, std::chrono::milliseconds(5s));
  EXPECT_LE(*result.requeue_after, std::chrono::milliseconds(5min));
  auto stalled = base_profile();
  stalled["status"] = api_.object(std::string(kProfilePath) + "/status").value()["status"];
  stalled["metadata"]["resourceVersion"] = "11";  // as after the status write
  reconcile(stalled);
  EXPECT_EQ(object_writes().size(), first.size());
  EXPECT_EQ(condition("Stalled")["reason"], "ObjectConflict");
}

TEST_F(ProfileReconcilerTest, UpperCaseNfInstanceIdIsLowerCaseInTheSanAndStatus) {
  auto profile = base_profile();
  profile["spec"]["nfInstanceId"] = "6F1E4C2A-8D3B-4A57-9C0E-2B7D5F1A9E31";
  reconcile(profile);
  std::optional<Json> tls;
  for (const auto& r : object_writes()) {
    if (r.body["metadata"]["name"] == "amf-tls") tls = r.body;
  }
  ASSERT_TRUE(tls.has_value());
  const auto pem = crypto::base64_decode((*tls)["data"]["tls.crt"].get<std::string>()).value();
  EXPECT_EQ(crypto::Certificate::parse_chain(pem).front().uris(),
            std::vector<std::string>{std::string("urn:uuid:") + kNfInstanceId});
  const auto status = api_.object(std::string(kProfilePath) + "/status").value()["status"];
  EXPECT_EQ(status["nfInstanceId"], kNfInstanceId);
}

TEST_F(ProfileReconcilerTest, TlsDisabledWithIpsecCertificateStillIssuesTheCertificate) {
  auto profile = base_profile();
  profile["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  profile["spec"]["ipsec"]["interfaces"] =
      Json::array({ipsec_interface("Certificate", "gnb-1.ran.example.org")});
  reconcile(profile);
  std::vector<std::string> created;
  for (const auto& r : object_writes()) created.push_back(r.body["metadata"]["name"]);
  EXPECT_EQ(created, (std::vector<std::string>{"amf-tls", "amf-security", "amf-ipsec"}));
}

// Issue 12: a new profile's one status write carries its first Consistent evaluation (the
// consistency controller leaves a generation's first evaluation to this write).
TEST_F(ProfileReconcilerTest, TheFirstStatusWriteCarriesTheConsistentEvaluation) {
  // A 1.3-only AUSF in the cache; the AMF (AMF -> AUSF on SBI) capped at TLS 1.2.
  auto ausf = base_profile();
  ausf["metadata"]["name"] = "ausf";
  ausf["metadata"]["uid"] = "ausf-uid";
  ausf["spec"]["nfType"] = "AUSF";
  ausf["spec"].erase("nfInstanceId");
  ausf["spec"]["sbi"]["tls"]["minVersion"] = "1.3";
  context_.stores.typed_profiles->upsert(std::make_shared<const Json>(ausf));
  auto amf = base_profile();
  amf["spec"]["sbi"]["tls"]["maxVersion"] = "1.2";
  reconcile(amf);
  context_.events->flush();
  std::size_t status_writes = 0;
  bool told = false;
  for (const auto& r : api_.requests()) {
    if (r.method != "GET" && r.path.ends_with("/status")) ++status_writes;
    told = told || (r.method == "POST" && r.path.ends_with("/events") &&
                    r.body.value("reason", "") == "Inconsistent");
  }
  EXPECT_EQ(status_writes, 1u);
  EXPECT_EQ(condition("Ready")["status"], "True");
  const auto consistent = condition("Consistent");
  EXPECT_EQ(consistent["status"], "False") << consistent.dump();
  EXPECT_EQ(consistent["observedGeneration"], 1);
  const auto status = api_.object(std::string(kProfilePath) + "/status").value()["status"];
  EXPECT_EQ(status["consistency"][0]["peer"], "ausf") << status.dump();
  EXPECT_TRUE(told);  // a first evaluation that finds a mismatch is told
}

// Issue 11 review: a generation's first Consistent evaluation is made once, by the profile
// controller's status write; the consistency controller evaluates the profile again only when
// a peer changed after that evaluation had begun. Both controllers share one ledger (the gauge,
// the evaluation counts, the deferred profiles); the watch events are played by hand through
// consistency_keys, as the manager's handler would.
class FirstEvaluationTest : public ProfileReconcilerTest {
 protected:
  static constexpr const char* kStatusPath =
      "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/amf/status";

  // A peer of the AMF (AMF -> AUSF on SBI), in both caches; `tls` its spec.sbi.tls.
  void put_ausf(const Json& tls) {
    auto ausf = base_profile();
    ausf["metadata"]["name"] = "ausf";
    ausf["metadata"]["uid"] = "ausf-uid";
    ausf["metadata"]["resourceVersion"] = std::to_string(++ausf_version_);
    ausf["spec"]["nfType"] = "AUSF";
    ausf["spec"].erase("nfInstanceId");
    ausf["spec"]["sbi"]["tls"] = tls;
    ausf["status"] = {{"observedGeneration", 1}};
    cache(ausf);
  }
  void cache(const Json& object) {
    const auto ptr = std::make_shared<const Json>(object);
    context_.stores.profiles->upsert(ptr);
    context_.stores.typed_profiles->upsert(ptr);
  }
  // The new AMF, capped at TLS 1.2, as its ADDED event brings it: in both caches.
  Json new_amf() {
    auto amf = base_profile();
    amf["spec"]["sbi"]["tls"]["maxVersion"] = "1.2";
    cache(amf);
    return amf;
  }
  // The AMF as the profile controller's status write left it, cached (its MODIFIED event).
  Json written_amf() {
    auto amf = api_.object(kStatusPath).value();
    cache(amf);
    return amf;
  }
  static bool has(const std::vector<runtime::ObjectKey>& keys, const std::string& name) {
    return std::any_of(keys.begin(), keys.end(), [&](const auto& k) { return k.name == name; });
  }
  ConsistencyLedger& ledger() { return *context_.consistency; }

  int ausf_version_ = 100;
};

TEST_F(FirstEvaluationTest, ANewProfileIsEvaluatedOnceAndTheWriteSetsTheGauge) {
  put_ausf({{"minVersion", "1.3"}});
  const auto amf = new_amf();
  // Its ADDED event: the peers, not the profile itself (the profile controller evaluates it).
  const auto added = consistency_keys(*context_.stores.typed_profiles, ledger(), nullptr, amf);
  EXPECT_FALSE(has(added, "amf"));
  EXPECT_TRUE(has(added, "ausf"));
  reconcile(amf);
  EXPECT_EQ(condition("Consistent")["status"], "False");
  // The gauge counts the pair from the profile controller's write.
  EXPECT_EQ(ledger().inconsistent("SBI"), 1u);
  // That write's MODIFIED event (the profile's evaluation in its status) reaches its peers, not
  // the profile itself: no second evaluation.
  const auto written = written_amf();
  EXPECT_FALSE(
      has(consistency_keys(*context_.stores.typed_profiles, ledger(), &amf, written), "amf"));
  EXPECT_EQ(ledger().evaluations(Evaluator::ProfileController), 1u);
  EXPECT_EQ(ledger().evaluations(Evaluator::ConsistencyController), 0u);
}

TEST_F(FirstEvaluationTest, APeerChangeWhileTheFirstEvaluationIsPendingIsEvaluatedAgain) {
  put_ausf(Json::object());  // consistent with the AMF until it turns 1.3-only
  const auto amf = new_amf();
  ConsistencyReconciler consistency(context_);
  // Between the profile controller's evaluation and its status write: the AUSF turns 1.3-only
  // and its event enqueues the AMF in the consistency controller, which finds the first
  // evaluation pending and leaves it.
  bool peer_changed = false;
  api_.intercept(
      [&](const runtime::testing::FakeApi::Request& r) -> std::optional<kube::HttpResponse> {
        if (!peer_changed && r.method != "GET" && r.path == kStatusPath) {
          peer_changed = true;
          put_ausf({{"minVersion", "1.3"}});
          consistency.reconcile({"5gc", "amf"});
        }
        return std::nullopt;
      });
  // The recorder's thread posts Events through the same fake API: the interceptor goes, and
  // the recorder is idle, before what it refers to does (a data race UBSan caught).
  struct Uninstall {
    runtime::testing::FakeApi& api;
    runtime::EventRecorder& events;
    ~Uninstall() {
      api.intercept(nullptr);
      events.flush();
    }
  } const uninstall{api_, *context_.events};
  reconcile(amf);
  ASSERT_TRUE(peer_changed);
  EXPECT_EQ(condition("Consistent")["status"], "True");  // the view before the AUSF's change
  EXPECT_EQ(ledger().evaluations(Evaluator::ConsistencyController), 0u);
  // The write's MODIFIED event brings the AMF back, evaluated again: now inconsistent.
  const auto written = written_amf();
  const auto keys = consistency_keys(*context_.stores.typed_profiles, ledger(), &amf, written);
  ASSERT_TRUE(has(keys, "amf"));
  consistency.reconcile({"5gc", "amf"});
  EXPECT_EQ(ledger().evaluations(Evaluator::ConsistencyController), 1u);
  const auto consistent = condition("Consistent");
  EXPECT_EQ(consistent["status"], "False") << consistent.dump();
  EXPECT_EQ(consistent["reason"], "NoCommonTlsVersion") << consistent.dump();
  EXPECT_EQ(ledger().inconsistent("SBI"), 1u);
  EXPECT_FALSE(ledger().deferred({"5gc", "amf"}));
}

TEST_F(FirstEvaluationTest, TheGaugeForgetsADeletedProfile) {
  put_ausf({{"minVersion", "1.3"}});
  const auto amf = new_amf();
  reconcile(amf);
  const auto written = written_amf();
  ASSERT_EQ(ledger().inconsistent("SBI"), 1u);
  // Deleted: gone from the caches, then its DELETED event.
  context_.stores.profiles->erase({"5gc", "amf"});
  context_.stores.typed_profiles->erase({"5gc", "amf"});
  const auto keys = consistency_keys(*context_.stores.typed_profiles, ledger(), nullptr, written);
  ASSERT_TRUE(has(keys, "amf"));
  ConsistencyReconciler(context_).reconcile({"5gc", "amf"});
  EXPECT_EQ(ledger().inconsistent("SBI"), 0u);
}

TEST(OwnershipTest, OnlyTheControllerReferenceAndTheLabelMakeAnObjectOurs) {
  api::SecurityProfile profile;
  profile.metadata.name = "amf";
  profile.metadata.uid = "profile-uid";
  const auto object = [](Json labels, Json references) {
    return Json{{"metadata", {{"labels", labels}, {"ownerReferences", references}}}};
  };
  const Json managed = {{"app.kubernetes.io/managed-by", "secprov"}, {"secprov.io/profile", "amf"}};
  // As the API server stores them: apiVersion, kind, name and uid are required.
  const auto reference = [](const char* uid, bool controller) {
    return Json::array({{{"apiVersion", "secprov.io/v1alpha1"},
                         {"kind", "SecurityProfile"},
                         {"name", "amf"},
                         {"uid", uid},
                         {"controller", controller}}});
  };
  const Json ours = reference("profile-uid", true);
  const Json theirs = reference("other-uid", true);
  const Json not_controller = reference("profile-uid", false);

  EXPECT_EQ(ownership_of(nullptr, profile), Ownership::Absent);
  const auto mine = object(managed, ours);
  EXPECT_EQ(ownership_of(&mine, profile), Ownership::Ours);
  EXPECT_TRUE(removable_by(mine, "profile-uid"));
  // Our reference without our label: re-labelled, but never deleted by us.
  const auto unlabelled = object(Json::object(), ours);
  EXPECT_EQ(ownership_of(&unlabelled, profile), Ownership::Ours);
  EXPECT_FALSE(removable_by(unlabelled, "profile-uid"));
  // Our label, another controller: someone else's.
  const auto other = object(managed, theirs);
  EXPECT_EQ(ownership_of(&other, profile), Ownership::Foreign);
  EXPECT_FALSE(removable_by(other, "profile-uid"));
  // Released by a Retain deletion of a profile of this name: adoptable, not removable.
  const auto released = object(managed, Json::array());
  EXPECT_EQ(ownership_of(&released, profile), Ownership::Released);
  EXPECT_FALSE(removable_by(released, "profile-uid"));
  const auto non_controller = object(managed, not_controller);
  EXPECT_EQ(ownership_of(&non_controller, profile), Ownership::Released);
  // A user's object with the name: foreign.
  const auto user = object(Json::object(), Json::array());
  EXPECT_EQ(ownership_of(&user, profile), Ownership::Foreign);
  // Released by a profile of another name: foreign.
  const auto elsewhere = object(
      {{"app.kubernetes.io/managed-by", "secprov"}, {"secprov.io/profile", "smf"}}, Json::array());
  EXPECT_EQ(ownership_of(&elsewhere, profile), Ownership::Foreign);
}

}  // namespace
}  // namespace secprov::controllers

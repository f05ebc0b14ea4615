// Whose a trust bundle ConfigMap is, and the event mapping of bundles.
#include <gtest/gtest.h>

#include "controllers/trust_bundle_controller.h"
#include "render/labels.h"
#include "render/tls.h"
#include "unit/runtime/fake_api.h"

namespace secprov::controllers::trust {
namespace {

using nlohmann::json;

json bundle(bool managed_label, json owners, json managed_fields = json::array(),
            const std::string& trust_domain_label = "td") {
  json labels = {{"secprov.io/trust-domain", trust_domain_label}};
  if (managed_label) labels["app.kubernetes.io/managed-by"] = "secprov";
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", "td-ca"},
            {"namespace", "5gc"},
            {"uid", "cm-uid"},
            {"labels", labels},
            {"ownerReferences", std::move(owners)},
            {"managedFields", std::move(managed_fields)}}},
          {"data", {{"ca.crt", "PEM"}}}};
}

json owner(const std::string& kind, const std::string& name, const std::string& uid,
           bool controller = true) {
  return {{"apiVersion", kind == "TrustDomain" ? "secprov.io/v1alpha1" : "v1"},
          {"kind", kind},
          {"name", name},
          {"uid", uid},
          {"controller", controller}};
}

const json kApplied = json::array({{{"manager", "secprov-operator"}, {"operation", "Apply"}}});

TEST(Ownership, Table) {
  struct Case {
    std::string name;
    json config_map;
    std::string domain_uid;
    Ownership expected;
  };
  const json ours = json::array({owner("TrustDomain", "td", "td-uid")});
  const std::vector<Case> cases = {
      {"owner reference and label", bundle(true, ours), "td-uid", Ownership::Ours},
      {"domain gone: owner by name", bundle(true, ours), "", Ownership::Ours},
      {"no managed-by label", bundle(false, ours), "td-uid", Ownership::Foreign},
      {"another incarnation of the domain", bundle(true, ours), "other-uid", Ownership::Foreign},
      {"another domain", bundle(true, json::array({owner("TrustDomain", "td2", "td-uid")})),
       "td-uid", Ownership::Foreign},
      {"not a controller reference",
       bundle(true, json::array({owner("TrustDomain", "td", "td-uid", false)}), kApplied), "td-uid",
       Ownership::Adoptable},
      {"someone else's controller",
       bundle(true, json::array({owner("Deployment", "x", "d-uid")}), kApplied), "td-uid",
       Ownership::Foreign},
      {"labelled by a user, no owner", bundle(true, json::array()), "td-uid", Ownership::Foreign},
      {"created (not applied) under our name",
       bundle(true, json::array(),
              json::array({{{"manager", "secprov-operator"}, {"operation", "Update"}}})),
       "td-uid", Ownership::Foreign},
      {"an older operator's bundle", bundle(true, json::array(), kApplied), "td-uid",
       Ownership::Adoptable},
      {"older bundle of another domain", bundle(true, json::array(), kApplied, "td2"), "td-uid",
       Ownership::Foreign},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(bundle_ownership(c.config_map, "td", c.domain_uid), c.expected) << c.name;
  }
}

// The CRL ConfigMap "<domain>-crl": the CRL labels (part-of, component=crl) mark it as
// secprov's; a controller ownerReference to the TrustDomain's UID makes it the domain's.
TEST(Ownership, CrlTable) {
  const auto crl = [](bool component_label, json owners, json managed_fields = json::array(),
                      const std::string& trust_domain_label = "td") {
    json labels = {{"secprov.io/trust-domain", trust_domain_label},
                   {"app.kubernetes.io/part-of", "secprov"}};
    if (component_label) labels["app.kubernetes.io/component"] = "crl";
    return json{{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata",
                 {{"name", "td-crl"},
                  {"namespace", "secprov-system"},
                  {"labels", labels},
                  {"ownerReferences", std::move(owners)},
                  {"managedFields", std::move(managed_fields)}}},
                {"data", {{"ca.crl", "PEM"}}}};
  };
  const json ours = json::array({owner("TrustDomain", "td", "td-uid")});
  const json created = json::array({{{"manager", "secprov-operator"}, {"operation", "Update"}}});
  struct Case {
    std::string name;
    json config_map;
    std::string domain_uid;
    Ownership expected;
  };
  const std::vector<Case> cases = {
      {"owner reference and labels", crl(true, ours), "td-uid", Ownership::Ours},
      {"the domain's, trust-domain label edited", crl(true, ours, json::array(), "x"), "td-uid",
       Ownership::Ours},
      {"labelled by someone else, no owner", crl(true, json::array()), "td-uid",
       Ownership::Foreign},
      {"no component label", crl(false, ours), "td-uid", Ownership::Foreign},
      {"another incarnation of the domain", crl(true, ours), "other-uid", Ownership::Foreign},
      {"someone else's controller",
       crl(true, json::array({owner("Deployment", "x", "d")}), created), "td-uid",
       Ownership::Foreign},
      {"an older operator's, created without owner", crl(true, json::array(), created), "td-uid",
       Ownership::Adoptable},
      {"an older operator's of another domain", crl(true, json::array(), created, "td2"), "td-uid",
       Ownership::Foreign},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(crl_ownership(c.config_map, "td", c.domain_uid), c.expected) << c.name;
  }
}

TEST(TrustBundleRender, CarriesTheTrustDomainAsControllerOwner) {
  const auto cm = render::trust_bundle_config_map(
      "td", "5gc", "PEM", render::trust_domain_owner_reference("td", "td-uid"));
  const auto& references = cm["metadata"]["ownerReferences"];
  ASSERT_EQ(references.size(), 1u);
  EXPECT_EQ(references[0]["apiVersion"], "secprov.io/v1alpha1");
  EXPECT_EQ(references[0]["kind"], "TrustDomain");
  EXPECT_EQ(references[0]["name"], "td");
  EXPECT_EQ(references[0]["uid"], "td-uid");
  EXPECT_EQ(references[0]["controller"], true);
  EXPECT_EQ(cm["metadata"]["labels"]["app.kubernetes.io/managed-by"], "secprov");
  EXPECT_EQ(bundle_ownership(cm, "td", "td-uid"), Ownership::Ours);
  EXPECT_FALSE(
      render::trust_bundle_config_map("td", "5gc", "PEM")["metadata"].contains("ownerReferences"));
}

TEST(TrustBundleKey, FromTheOwnerOrTheLegacyLabel) {
  EXPECT_EQ(trust_bundle_key(bundle(true, json::array({owner("TrustDomain", "td", "u")}))),
            (runtime::ObjectKey{"5gc", "td"}));
  EXPECT_EQ(trust_bundle_key(bundle(true, json::array())), (runtime::ObjectKey{"5gc", "td"}));
  EXPECT_EQ(trust_bundle_key(bundle(true, json::array(), json::array(), "other")), std::nullopt);
  json settings = bundle(true, json::array());
  settings["metadata"]["name"] = "amf-security";
  EXPECT_EQ(trust_bundle_key(settings), std::nullopt);
}

// The reconciler's "does a profile in this namespace use the domain" is an index lookup,
// confirmed against the cached JSON. Without a profile the operator's bundle is deleted; with
// one it is kept (the reconcile then stops at the CA, which these tests do not provide).
class TrustBundleInUseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto store = [] { return std::make_shared<runtime::Store>(); };
    context_.client = api_.client();
    context_.stores = Stores{store(), store(), store(), store(), store()};
    context_.events = std::make_shared<runtime::EventRecorder>(context_.client);
    context_.operator_namespace = "secprov-system";
    context_.stores.trust_domains->upsert(
        json{{"apiVersion", "secprov.io/v1alpha1"},
             {"kind", "TrustDomain"},
             {"metadata", {{"name", "td"}, {"uid", "td-uid"}, {"resourceVersion", "1"}}},
             {"spec",
              {{"domain", "5gc.example"},
               {"country", "FR"},
               {"ca", {{"generate", {{"keyAlgorithm", "ECDSA-P256"}, {"duration", "87600h"}}}}}}}});
    context_.stores.managed_config_maps->upsert(
        bundle(true, json::array({owner("TrustDomain", "td", "td-uid")})));
    api_.intercept(
        [](const runtime::testing::FakeApi::Request& r) -> std::optional<kube::HttpResponse> {
          if (r.method != "DELETE") return std::nullopt;
          return kube::HttpResponse{200, {{"content-type", "application/json"}}, "{}"};
        });
    reconciler_ = std::make_unique<TrustBundleReconciler>(
        context_, std::make_shared<CaProvider>(context_.stores.operator_secrets, "secprov-system"));
  }

  static json profile(const std::string& ns, const std::string& domain) {
    return {{"apiVersion", "secprov.io/v1alpha1"},
            {"kind", "SecurityProfile"},
            {"metadata", {{"name", "amf"}, {"namespace", ns}, {"resourceVersion", "1"}}},
            {"spec",
             {{"nfType", "AMF"},
              {"selector", {{"matchLabels", {{"app", "amf"}}}}},
              {"trustDomainRef", {{"name", domain}}}}}};
  }

  // Into both caches, as the reflector's handlers put it.
  void add(const json& p) {
    const auto object = std::make_shared<const json>(p);
    context_.stores.profiles->upsert(object);
    context_.stores.typed_profiles->upsert(object);
  }

  // True when the reconcile deleted the bundle.
  bool deletes_bundle() {
    reconciler_->reconcile({"5gc", "td"});
    for (const auto& r : api_.requests("DELETE")) {
      if (r.path == "/api/v1/namespaces/5gc/configmaps/td-ca") return true;
    }
    return false;
  }

  runtime::testing::FakeApi api_;
  Context context_;
  std::unique_ptr<TrustBundleReconciler> reconciler_;
};

TEST_F(TrustBundleInUseTest, NoProfileDeletesTheBundle) {
  add(profile("edge", "td"));  // another namespace
  add([] {
    auto p = profile("5gc", "td2");
    p["metadata"]["name"] = "smf";
    return p;
  }());  // another domain
  EXPECT_TRUE(deletes_bundle());
}

TEST_F(TrustBundleInUseTest, AProfileUsingTheDomainKeepsIt) {
  add(profile("5gc", "td"));
  EXPECT_FALSE(deletes_bundle());
  EXPECT_EQ(namespaces_using(*context_.stores.typed_profiles, "td"),
            std::vector<std::string>{"5gc"});
}

TEST_F(TrustBundleInUseTest, AProfileBeingDeletedDoesNotCount) {
  auto p = profile("5gc", "td");
  p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  add(p);
  EXPECT_TRUE(deletes_bundle());
}

TEST_F(TrustBundleInUseTest, AProfileThatDoesNotParseStillKeepsItsBundle) {
  auto p = profile("5gc", "td");
  p["spec"]["nfType"] = 7;
  add(p);
  ASSERT_EQ(context_.stores.typed_profiles->get({"5gc", "amf"}), nullptr);
  EXPECT_FALSE(deletes_bundle());
  EXPECT_EQ(namespaces_using(*context_.stores.typed_profiles, "td"),
            std::vector<std::string>{"5gc"});
}

TEST_F(TrustBundleInUseTest, TheCachedJsonConfirmsAnIndexEntryThatIsBehind) {
  add(profile("5gc", "td"));
  // The JSON cache already has the profile moved to another domain; the typed cache not yet.
  context_.stores.profiles->upsert(profile("5gc", "td2"));
  EXPECT_TRUE(deletes_bundle());
}

}  // namespace
}  // namespace secprov::controllers::trust

// Whose a trust bundle ConfigMap is, and the event mapping of bundles.
#include <gtest/gtest.h>

#include "controllers/trust_bundle_controller.h"
#include "render/tls.h"

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

TEST(BundleOwnership, Table) {
  struct Case {
    std::string name;
    json config_map;
    std::string domain_uid;
    BundleOwnership expected;
  };
  const json ours = json::array({owner("TrustDomain", "td", "td-uid")});
  const std::vector<Case> cases = {
      {"owner reference and label", bundle(true, ours), "td-uid", BundleOwnership::Ours},
      {"domain gone: owner by name", bundle(true, ours), "", BundleOwnership::Ours},
      {"no managed-by label", bundle(false, ours), "td-uid", BundleOwnership::Foreign},
      {"another incarnation of the domain", bundle(true, ours), "other-uid",
       BundleOwnership::Foreign},
      {"another domain", bundle(true, json::array({owner("TrustDomain", "td2", "td-uid")})),
       "td-uid", BundleOwnership::Foreign},
      {"not a controller reference",
       bundle(true, json::array({owner("TrustDomain", "td", "td-uid", false)}), kApplied), "td-uid",
       BundleOwnership::Adoptable},
      {"someone else's controller",
       bundle(true, json::array({owner("Deployment", "x", "d-uid")}), kApplied), "td-uid",
       BundleOwnership::Foreign},
      {"labelled by a user, no owner", bundle(true, json::array()), "td-uid",
       BundleOwnership::Foreign},
      {"created (not applied) under our name",
       bundle(true, json::array(),
              json::array({{{"manager", "secprov-operator"}, {"operation", "Update"}}})),
       "td-uid", BundleOwnership::Foreign},
      {"an older operator's bundle", bundle(true, json::array(), kApplied), "td-uid",
       BundleOwnership::Adoptable},
      {"older bundle of another domain", bundle(true, json::array(), kApplied, "td2"), "td-uid",
       BundleOwnership::Foreign},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(bundle_ownership(c.config_map, "td", c.domain_uid), c.expected) << c.name;
  }
}

TEST(TrustBundleRender, CarriesTheTrustDomainAsControllerOwner) {
  const auto cm = render::trust_bundle_config_map("td", "5gc", "PEM",
                                                  trust_domain_owner_reference("td", "td-uid"));
  const auto& references = cm["metadata"]["ownerReferences"];
  ASSERT_EQ(references.size(), 1u);
  EXPECT_EQ(references[0]["apiVersion"], "secprov.io/v1alpha1");
  EXPECT_EQ(references[0]["kind"], "TrustDomain");
  EXPECT_EQ(references[0]["name"], "td");
  EXPECT_EQ(references[0]["uid"], "td-uid");
  EXPECT_EQ(references[0]["controller"], true);
  EXPECT_EQ(cm["metadata"]["labels"]["app.kubernetes.io/managed-by"], "secprov");
  EXPECT_EQ(bundle_ownership(cm, "td", "td-uid"), BundleOwnership::Ours);
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

}  // namespace
}  // namespace secprov::controllers::trust

// Event -> keys map functions over the typed caches' indexes: table-driven, event in, keys out.
#include "controllers/mappers.h"

#include <gtest/gtest.h>

#include "render/labels.h"

namespace secprov::controllers {
namespace {

using Json = nlohmann::json;
using Keys = std::vector<std::string>;

Json profile(const std::string& ns, const std::string& name, const std::string& domain,
             const std::string& rv = "1", Json peers = Json::array()) {
  Json p = {{"apiVersion", "secprov.io/v1alpha1"},
            {"kind", "SecurityProfile"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", rv}}},
            {"spec",
             {{"nfType", "AMF"},
              {"selector", {{"matchLabels", {{"app", name}}}}},
              {"trustDomainRef", {{"name", domain}}}}}};
  if (!peers.empty()) {
    p["spec"]["ipsec"] = {{"interfaces", {{{"name", "N2"}, {"peers", std::move(peers)}}}}};
  }
  return p;
}

Json peer(const std::string& name, const std::string& address) {
  return {{"name", name}, {"address", address}};
}

Json trust_domain(const std::string& name, const std::string& imported_secret = "",
                  const std::string& rv = "1") {
  Json ca = imported_secret.empty()
                ? Json{{"generate", {{"keyAlgorithm", "ECDSA-P256"}, {"duration", "87600h"}}}}
                : Json{{"secretRef", {{"name", imported_secret}}}};
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "TrustDomain"},
          {"metadata", {{"name", name}, {"resourceVersion", rv}}},
          {"spec", {{"domain", "5gc.example"}, {"country", "FR"}, {"ca", std::move(ca)}}}};
}

Json secret(const std::string& ns, const std::string& name, const std::string& domain_label = "") {
  Json s = {
      {"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", name}, {"namespace", ns}}}};
  if (!domain_label.empty()) s["metadata"]["labels"]["secprov.io/trust-domain"] = domain_label;
  return s;
}

Json config_map(const std::string& ns, const std::string& name, const std::string& owner_domain) {
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", name}, {"namespace", ns}}}};
  if (!owner_domain.empty()) {
    cm["metadata"]["ownerReferences"] = Json::array({{{"apiVersion", "secprov.io/v1alpha1"},
                                                      {"kind", "TrustDomain"},
                                                      {"name", owner_domain},
                                                      {"uid", "u"},
                                                      {"controller", true}}});
  }
  return cm;
}

runtime::ObjectPtr ptr(Json j) {
  return std::make_shared<const Json>(std::move(j));
}

Keys strings(const std::vector<runtime::ObjectKey>& keys) {
  Keys out;
  for (const auto& k : keys) out.push_back(k.to_string());
  return out;
}

const std::string kLongDomain(70, 'd');

class MappersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& p :
         {profile("5gc", "amf", "td-a", "1", Json::array({peer("gnb-1", "10.10.2.11")})),
          profile("5gc", "smf", "td-a"), profile("edge", "nrf", "td-b"),
          profile("edge", "upf", "td-a", "1",
                  Json::array({peer("gnb-1", "10.10.2.11"), peer("gnb-2", "10.10.2.12")}))}) {
      profiles->upsert(ptr(p));
    }
    Json broken = profile("broken", "amf", "td-a");
    broken["spec"]["nfType"] = 7;  // does not parse: only in the JSON cache
    profiles->upsert(ptr(broken));
    for (const auto& d :
         {trust_domain("td-a"), trust_domain("td-b", "imported-ca"), trust_domain(kLongDomain)}) {
      domains->upsert(ptr(d));
    }
  }

  std::shared_ptr<ProfileStore> profiles = make_profile_store();
  std::shared_ptr<TrustDomainStore> domains = make_trust_domain_store();
};

TEST_F(MappersTest, EventInKeysOut) {
  const auto& P = *profiles;
  const auto& D = *domains;
  struct Case {
    std::string name;
    MapFn map;
    Json event;
    Keys expected;
  };
  const MapFn profiles_of = [&](const Json& j) { return profiles_of_trust_domain(P, j); };
  const MapFn bundles_of = [&](const Json& j) { return bundles_of_trust_domain(P, j); };
  const MapFn domains_of_ca = [&](const Json& j) { return trust_domains_of_ca_secret(D, j); };
  const MapFn domain_of_leaf = [&](const Json& j) { return trust_domain_of_leaf_secret(D, j); };
  const std::vector<Case> cases = {
      {"domain -> its profiles",
       profiles_of,
       trust_domain("td-a"),
       {"5gc/amf", "5gc/smf", "edge/upf"}},
      {"domain -> its profiles (other domain)", profiles_of, trust_domain("td-b"), {"edge/nrf"}},
      {"unused domain -> no profile", profiles_of, trust_domain("td-z"), {}},
      {"domain -> one bundle a namespace, the unparsed profile's too",
       bundles_of,
       trust_domain("td-a"),
       {"5gc/td-a", "broken/td-a", "edge/td-a"}},
      {"unused domain -> no bundle", bundles_of, trust_domain("td-z"), {}},
      {"generated CA Secret -> its domain",
       domains_of_ca,
       secret("secprov-system", "td-a-ca-keypair", "td-a"),
       {"td-a"}},
      {"imported CA Secret -> the domain pointing at it",
       domains_of_ca,
       secret("secprov-system", "imported-ca", "td-b"),
       {"td-b"}},
      {"other Secret -> no domain", domains_of_ca, secret("secprov-system", "helm-release"), {}},
      {"profile -> its bundle", bundle_of_profile, profile("5gc", "amf", "td-a"), {"5gc/td-a"}},
      {"profile without a reference -> nothing",
       bundle_of_profile,
       Json{{"metadata", {{"name", "x"}, {"namespace", "5gc"}}}},
       {}},
      {"bundle ConfigMap -> its key",
       bundle_of_config_map,
       config_map("5gc", "td-a-ca", "td-a"),
       {"5gc/td-a"}},
      {"other ConfigMap -> nothing",
       bundle_of_config_map,
       config_map("5gc", "amf-security", ""),
       {}},
      {"leaf Secret -> its domain", domain_of_leaf, secret("5gc", "amf-tls", "td-a"), {"td-a"}},
      {"leaf Secret of a long-named domain",
       domain_of_leaf,
       secret("5gc", "amf-tls", render::label_value(kLongDomain)),
       {kLongDomain}},
      {"leaf Secret of an unknown domain", domain_of_leaf, secret("5gc", "amf-tls", "td-z"), {}},
      {"unlabelled Secret", domain_of_leaf, secret("5gc", "amf-tls"), {}},
  };
  for (const auto& c : cases) EXPECT_EQ(strings(c.map(c.event)), c.expected) << c.name;
}

// Only an orphaned Secret still held for revocation reaches a profile by its label: a
// controlled one is reached through its owner.
TEST(OrphanedCertificateSecret, ReachesTheProfileOfItsLabelOnlyWhenHeldAndUncontrolled) {
  Json secret = {{"metadata",
                  {{"name", "udr-tls"},
                   {"namespace", "5gc"},
                   {"labels", {{std::string(render::kProfileLabel), "udr"}}},
                   {"finalizers", {std::string(render::kRevocationFinalizer)}}}}};
  EXPECT_EQ(profile_of_orphaned_certificate_secret(secret),
            (std::vector<runtime::ObjectKey>{{"5gc", "udr"}}));
  auto controlled = secret;
  controlled["metadata"]["ownerReferences"] = {
      {{"kind", "SecurityProfile"}, {"name", "udr"}, {"uid", "u"}, {"controller", true}}};
  EXPECT_TRUE(profile_of_orphaned_certificate_secret(controlled).empty());
  auto unheld = secret;
  unheld["metadata"]["finalizers"] = Json::array();
  EXPECT_TRUE(profile_of_orphaned_certificate_secret(unheld).empty());
  auto unlabelled = secret;
  unlabelled["metadata"].erase("labels");
  EXPECT_TRUE(profile_of_orphaned_certificate_secret(unlabelled).empty());
}

TEST_F(MappersTest, IndexesByNamespaceAndPeerAddress) {
  EXPECT_EQ(strings(profiles->keys_by_index(index::kProfileNamespace, "edge")),
            (Keys{"edge/nrf", "edge/upf"}));
  EXPECT_EQ(strings(profiles->keys_by_index(index::kProfileNamespaceTrustDomain,
                                            index::namespace_trust_domain("5gc", "td-a"))),
            (Keys{"5gc/amf", "5gc/smf"}));
  EXPECT_EQ(strings(profiles->keys_by_index(index::kProfileIpsecPeerAddress, "10.10.2.11")),
            (Keys{"5gc/amf", "edge/upf"}));
  EXPECT_EQ(strings(profiles->keys_by_index(index::kProfileIpsecPeerAddress, "10.10.2.12")),
            (Keys{"edge/upf"}));
}

TEST_F(MappersTest, MappingsFollowUpdatesAndDeletes) {
  profiles->upsert(ptr(profile("5gc", "amf", "td-b", "2")));  // moved to td-b, IPsec off
  profiles->erase({"edge", "upf"});
  EXPECT_EQ(strings(profiles_of_trust_domain(*profiles, trust_domain("td-a"))), (Keys{"5gc/smf"}));
  EXPECT_EQ(strings(profiles_of_trust_domain(*profiles, trust_domain("td-b"))),
            (Keys{"5gc/amf", "edge/nrf"}));
  EXPECT_EQ(strings(bundles_of_trust_domain(*profiles, trust_domain("td-a"))),
            (Keys{"5gc/td-a", "broken/td-a"}));
  EXPECT_TRUE(profiles->keys_by_index(index::kProfileIpsecPeerAddress, "10.10.2.11").empty());

  domains->upsert(ptr(trust_domain("td-a", "imported-a", "2")));  // now imports its CA
  EXPECT_TRUE(
      trust_domains_of_ca_secret(*domains, secret("secprov-system", "td-a-ca-keypair")).empty());
  EXPECT_EQ(strings(trust_domains_of_ca_secret(*domains, secret("secprov-system", "imported-a"))),
            (Keys{"td-a"}));
}

// A SEPP's interconnect TrustDomain (spec.n32.trustDomainRef): its events requeue the SEPP,
// and its bundle is published in the SEPP's namespace (the N32 roots partners are given).
TEST_F(MappersTest, TheInterconnectTrustDomainMapsToItsSepp) {
  Json sepp = profile("roam", "sepp", "td-a");
  sepp["spec"]["nfType"] = "SEPP";
  sepp["spec"]["n32"] = {{"trustDomainRef", {{"name", "td-ipx"}}}};
  profiles->upsert(ptr(sepp));
  EXPECT_EQ(strings(profiles_of_trust_domain(*profiles, trust_domain("td-ipx"))),
            (Keys{"roam/sepp"}));
  EXPECT_EQ(strings(bundles_of_trust_domain(*profiles, trust_domain("td-ipx"))),
            (Keys{"roam/td-ipx"}));
  EXPECT_EQ(strings(bundle_of_profile(sepp)), (Keys{"roam/td-a", "roam/td-ipx"}));
  EXPECT_EQ(profiles
                ->keys_by_index(index::kProfileNamespaceTrustDomain,
                                index::namespace_trust_domain("roam", "td-ipx"))
                .size(),
            1u);
  sepp["spec"].erase("n32");
  sepp["metadata"]["resourceVersion"] = "2";
  profiles->upsert(ptr(sepp));
  EXPECT_TRUE(profiles_of_trust_domain(*profiles, trust_domain("td-ipx")).empty());
}

// A rotation rewrites its progress report as profiles catch up; only what a profile, bundle
// or consistency evaluation reads may wake them.
// The profile cache holds each condition's texts (type, reason, message) and each generated
// object's kind once, however many profiles carry them.
TEST(ProfileStore, ProfilesShareTheirConditionMessages) {
  const auto store = make_profile_store();
  const std::string enforced_message(300, 'e');
  for (const std::string name : {"amf", "smf"}) {
    Json p = profile("5gc", name, "td-a");
    p["status"]["conditions"] = Json::array({{{"type", "Enforced"},
                                              {"status", "False"},
                                              {"lastTransitionTime", "2026-12-01T00:00:00Z"},
                                              {"reason", "EnforcementGaps"},
                                              {"message", enforced_message}},
                                             {{"type", "Ready"},
                                              {"status", "True"},
                                              {"lastTransitionTime", "2026-12-01T00:00:00Z"},
                                              {"reason", "Provisioned"},
                                              {"message", "objects of " + name}}});
    p["status"]["objects"] = Json::array({{{"kind", "Secret"}, {"name", name + "-tls"}}});
    store->upsert(ptr(p));
  }
  const auto amf = store->get({"5gc", "amf"});
  const auto smf = store->get({"5gc", "smf"});
  ASSERT_NE(amf, nullptr);
  ASSERT_NE(smf, nullptr);
  ASSERT_EQ(amf->status.conditions.size(), 2u);
  ASSERT_EQ(smf->status.conditions.size(), 2u);
  EXPECT_EQ(amf->status.conditions[0].message, enforced_message);
  EXPECT_TRUE(amf->status.conditions[0].message.shares_with(smf->status.conditions[0].message));
  EXPECT_EQ(amf->status.conditions[0].reason, "EnforcementGaps");
  EXPECT_TRUE(amf->status.conditions[0].reason.shares_with(smf->status.conditions[0].reason));
  EXPECT_TRUE(amf->status.conditions[1].type.shares_with(smf->status.conditions[1].type));
  // And the kinds of the objects it generated.
  ASSERT_EQ(amf->status.objects.size(), 1u);
  ASSERT_EQ(smf->status.objects.size(), 1u);
  EXPECT_EQ(amf->status.objects[0].kind, "Secret");
  EXPECT_TRUE(amf->status.objects[0].kind.shares_with(smf->status.objects[0].kind));
  // Different texts stay apart.
  EXPECT_EQ(amf->status.conditions[1].message, "objects of amf");
  EXPECT_EQ(smf->status.conditions[1].message, "objects of smf");
}

TEST(TrustDomainChangedBeyondProgress, Table) {
  Json rotating = trust_domain("td", "", "10");
  rotating["status"] = {
      {"caFingerprint", "aa"},
      {"rotation",
       {{"phase", "Reissuing"},
        {"newCaFingerprint", "bb"},
        {"waitingCount", 7},
        {"waitingFor", {"ns/p1", "ns/p2"}},
        {"message", "waiting for 7 profile(s)"}}},
      {"conditions",
       {{{"type", "Ready"}, {"status", "True"}, {"reason", "CAReady"}, {"message", "ready"}},
        {{"type", "Rotating"},
         {"status", "True"},
         {"reason", "Reissuing"},
         {"message", "waiting for 7 profile(s)"}}}}};
  const auto next = [&](auto edit) {
    Json out = rotating;
    out["metadata"]["resourceVersion"] = "11";
    edit(out);
    return out;
  };
  struct Case {
    std::string name;
    Json updated;
    bool reaches;
  };
  const std::vector<Case> cases = {
      {"a resync (same version)", rotating, true},
      {"progress only", next([](Json& d) {
         d["status"]["rotation"]["waitingCount"] = 6;
         d["status"]["rotation"]["waitingFor"] = {"ns/p2"};
         d["status"]["rotation"]["message"] = "waiting for 6 profile(s)";
         d["status"]["conditions"][1]["message"] = "waiting for 6 profile(s)";
       }),
       false},
      {"managed fields only", next([](Json& d) { d["metadata"]["managedFields"] = Json::array(); }),
       false},
      {"the phase", next([](Json& d) { d["status"]["rotation"]["phase"] = "Retiring"; }), true},
      {"the accepted CA", next([](Json& d) { d["status"]["caFingerprint"] = "bb"; }), true},
      {"the Ready condition's message",
       next([](Json& d) { d["status"]["conditions"][0]["message"] = "other"; }), true},
      {"the Rotating condition's status",
       next([](Json& d) { d["status"]["conditions"][1]["status"] = "False"; }), true},
      {"the spec", next([](Json& d) { d["spec"]["country"] = "DE"; }), true},
      {"an annotation", next([](Json& d) {
         d["metadata"]["annotations"] = {{"secprov.io/replace-ca", "2"}};
       }),
       true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(trust_domain_changed_beyond_progress(rotating, c.updated), c.reaches) << c.name;
  }
}

}  // namespace
}  // namespace secprov::controllers

// Least privilege, against the real control plane: the operator runs as a ServiceAccount
// bound by the real deploy/operator RBAC in list mode (--watch-namespaces), substituted as
// deploy/README.md tells a user to.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// An RBAC denial of the ServiceAccount's request, as the API server words it (not the
// Forbidden of an Event posted into a namespace being deleted).
bool denied_by_rbac(const std::string& log) {
  return log.find("forbidden: User \"system:serviceaccount:") != std::string::npos;
}

class RbacTest : public OperatorTest {
 protected:
  void SetUp() override {
    OperatorTest::SetUp();
    served_ = namespace_ + "-srv";
    served_too_ = namespace_ + "-sv2";
    unserved_ = namespace_ + "-oth";
    for (const auto& ns : {served_, served_too_, unserved_}) {
      client_->create(resources::namespaces(), "",
                      {{"apiVersion", "v1"},
                       {"kind", "Namespace"},
                       {"metadata", {{"name", ns}, {"labels", {{"secprov.io/test", "true"}}}}}});
    }
  }

  void TearDown() override {
    OperatorTest::TearDown();  // stops the operator first
    for (const auto& file : cluster_wide_)
      kubectl("delete --ignore-not-found --wait=false -f " + file);
    for (const auto& ns : {served_, served_too_, unserved_}) {
      try {
        client_->remove(resources::namespaces(), "", ns);
      } catch (const kube::ApiError&) {
      }
    }
  }

  // The deploy files with the operator namespace (and SERVED_NAMESPACE) substituted.
  std::string deploy_file(const std::string& name, const std::string& served = {}) {
    auto text = replace_all(read_file(cluster_paths().source_dir / "deploy" / "operator" / name),
                            "secprov-system", namespace_);
    if (!served.empty()) text = replace_all(text, "SERVED_NAMESPACE", served);
    const auto file = cluster_paths().binary_dir / "it" /
                      (namespace_ + "-" + (served.empty() ? "" : served + "-") + name);
    std::ofstream(file) << text;
    return file.string();
  }

  // Applies a deploy file that grants beyond the test's namespaces (deleted in TearDown).
  void apply_cluster_wide(const std::string& name) {
    std::string output;
    cluster_wide_.push_back(deploy_file(name));
    ASSERT_EQ(kubectl("apply -f " + cluster_wide_.back(), &output), 0) << output;
  }

  // rbac.yaml + rbac-namespace.yaml for each served namespace, then the operator as that
  // ServiceAccount.
  void start_in_list_mode() {
    std::string output;
    apply_cluster_wide("rbac.yaml");
    for (const auto& ns : {served_, served_too_}) {
      ASSERT_EQ(kubectl("apply -f " + deploy_file("rbac-namespace.yaml", ns), &output), 0)
          << output;
    }
    service_account_ = service_account_kubeconfig(namespace_, "secprov-operator");
    start_operator_as(service_account_, "op",
                      {"--watch-namespaces=" + served_ + "," + served_too_});
  }

  bool served_profile_ready(const std::string& ns, const std::string& name) {
    try {
      const auto object = client_->get(resources::security_profiles(), ns, name);
      for (const auto& c :
           object.value("status", Json::object()).value("conditions", Json::array())) {
        if (c["type"] == "Ready") return c["status"] == "True";
      }
    } catch (const kube::ApiError&) {
    }
    return false;
  }

  std::string profile_yaml(const std::string& name) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: nf}\n  nfInstanceId: "
           "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31\n  trustDomainRef:\n    name: " +
           trust_domain_ + "\n";
  }

  bool exists(const kube::ResourceType& type, const std::string& ns, const std::string& name) {
    try {
      client_->get(type, ns, name);
      return true;
    } catch (const kube::ApiError& e) {
      if (kube::is_not_found(e)) return false;
      throw;
    }
  }

  Json trust_domain_condition(const std::string& type) {
    const auto domain = client_->get(resources::trust_domains(), "", trust_domain_);
    for (const auto& c :
         domain.value("status", Json::object()).value("conditions", Json::array())) {
      if (c["type"] == type) return c;
    }
    return Json::object();
  }

  Json secret(const std::string& name, const Json& labels, const std::string& type,
              const Json& data) {
    Json metadata = {{"name", name}};
    if (!labels.empty()) metadata["labels"] = labels;
    return {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", metadata},
            {"type", type},
            {"data", data}};
  }

  // A Helm 3 release Secret: what the operator must never hold in memory.
  Json helm_release(const std::string& name) {
    return secret("sh.helm.release.v1." + name + ".v1",
                  {{"owner", "helm"}, {"name", name}, {"status", "deployed"}}, "helm.sh/release.v1",
                  {{"release", crypto::base64_encode("db-password=hunter2")}});
  }

  std::string served_;
  std::string served_too_;
  std::string unserved_;
  std::vector<std::string> cluster_wide_;
  std::filesystem::path service_account_;
};

TEST_F(RbacTest, ListModeServesOnlyItsNamespacesWithNamespacedRoles) {
  // Someone else's password in a namespace the operator does not serve.
  client_->create(resources::secrets(), unserved_,
                  secret("db-password", {}, "Opaque", {{"password", crypto::base64_encode("pw")}}));
  start_in_list_mode();
  create_trust_domain();
  // The unserved profile first: if the operator saw it, it would act on it before it has
  // issued the served profile's certificate.
  std::string output;
  ASSERT_EQ(apply_yaml(profile_yaml("amf"), &output, unserved_), 0) << output;
  // Both served namespaces, one profile name: each namespace's cache feeds one store.
  for (const auto& ns : {served_, served_too_}) {
    ASSERT_EQ(apply_yaml(profile_yaml("amf"), &output, ns), 0) << output;
  }
  for (const auto& ns : {served_, served_too_}) {
    EXPECT_TRUE(
        eventually([&] { return served_profile_ready(ns, "amf"); }, std::chrono::seconds(60)))
        << ns << "\n"
        << operators_[0]->log();
    EXPECT_TRUE(exists(resources::secrets(), ns, "amf-tls"));
    EXPECT_TRUE(exists(resources::config_maps(), ns, "amf-security"));
  }

  // The trust domain's CRL is published in the operator namespace (not a served one).
  EXPECT_TRUE(eventually([&] {
    return exists(resources::config_maps(), namespace_, trust_domain_ + "-crl");
  })) << operators_[0]->log();

  // The unserved profile: no finalizer, no status, nothing generated.
  const auto untouched = client_->get(resources::security_profiles(), unserved_, "amf");
  EXPECT_FALSE(untouched["metadata"].contains("finalizers")) << untouched.dump();
  EXPECT_FALSE(untouched.contains("status")) << untouched.dump();
  EXPECT_FALSE(exists(resources::secrets(), unserved_, "amf-tls"));
  EXPECT_FALSE(exists(resources::config_maps(), unserved_, "amf-security"));

  // The operator's token reads no Secret outside what it serves, and lists none cluster-wide.
  const auto as_operator = kube::Client::connect(kube::load_kubeconfig(service_account_));
  const auto forbidden = [&](const std::function<void()>& call) {
    try {
      call();
      return false;
    } catch (const kube::ApiError& e) {
      return e.kind() == kube::ErrorKind::Forbidden;
    }
  };
  EXPECT_TRUE(forbidden([&] { as_operator->get(resources::secrets(), unserved_, "db-password"); }));
  EXPECT_TRUE(forbidden([&] { as_operator->list(resources::secrets(), ""); }));
  EXPECT_TRUE(forbidden([&] { as_operator->list(resources::config_maps(), unserved_); }));
  EXPECT_TRUE(forbidden([&] { as_operator->list(resources::security_profiles(), ""); }));
  // What it serves it can read (so the Forbidden above is RBAC, not a broken token).
  EXPECT_NO_THROW(as_operator->get(resources::secrets(), served_, "amf-tls"));
  // And the Roles cover every call the operator made (Events included).
  EXPECT_FALSE(denied_by_rbac(operators_[0]->log())) << operators_[0]->log();
}

TEST_F(RbacTest, TheCaCacheHoldsOnlyLabelledCaKeyPairs) {
  // A Helm release in the operator namespace, there before the operator's first list.
  client_->create(resources::secrets(), namespace_, helm_release("before"));
  start_in_list_mode();
  const auto cached_cas = [&] {
    return metric(0, "secprov_cache_objects", "cache=\"ca-secrets\"");
  };

  // An imported CA that is pointed at but not labelled: not read, and the status says why.
  const auto now = std::chrono::system_clock::now();
  const auto root =
      crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256,
                                                       {.country = "FR",
                                                        .organization = "imported",
                                                        .organizational_unit = {},
                                                        .common_name = "imported root"},
                                                       std::chrono::hours(24 * 365), now);
  client_->create(resources::secrets(), namespace_,
                  secret("imported-ca", {}, "kubernetes.io/tls",
                         {{"tls.crt", crypto::base64_encode(root.certificate().to_pem())},
                          {"tls.key", crypto::base64_encode(root.key().to_pkcs8_pem())}}));
  trust_domain_ = "td-rbac-" + namespace_.substr(0, 40);
  std::string output;
  ASSERT_EQ(apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " +
                           trust_domain_ +
                           "\nspec:\n  domain: 5gc.example.org\n  country: FR\n"
                           "  ca:\n    secretRef:\n      name: imported-ca\n",
                       &output),
            0)
      << output;
  const std::string expected_message = "Secret " + namespace_ +
                                       "/imported-ca not found or not labelled "
                                       "secprov.io/trust-domain=" +
                                       trust_domain_;
  EXPECT_TRUE(eventually([&] {
    const auto stalled = trust_domain_condition("Stalled");
    return stalled.value("status", "") == "True" &&
           stalled.value("reason", "") == "CASecretNotFound" &&
           stalled.value("message", "") == expected_message;
  })) << trust_domain_condition("Stalled").dump()
      << operators_[0]->log();

  // Another Helm release after the first list (the watch path), then the label: the CA is
  // cached and used, and watch events arrive in order, so once the count includes the CA
  // it would include the later release too if the cache took it.
  client_->create(resources::secrets(), namespace_, helm_release("after"));
  client_->merge_patch(resources::secrets(), namespace_, "imported-ca",
                       {{"metadata", {{"labels", {{"secprov.io/trust-domain", trust_domain_}}}}}});
  EXPECT_TRUE(
      eventually([&] { return trust_domain_condition("Ready").value("status", "") == "True"; },
                 std::chrono::seconds(30)))
      << trust_domain_condition("Ready").dump() << operators_[0]->log();
  EXPECT_TRUE(eventually([&] { return cached_cas() == 1; })) << cached_cas();
  EXPECT_EQ(cached_cas(), 1) << "only the labelled CA key pair may be cached";
}

TEST_F(RbacTest, AllNamespacesModeWorksWithItsClusterRoleAlone) {
  apply_cluster_wide("rbac.yaml");
  apply_cluster_wide("rbac-all-namespaces.yaml");
  start_operator_as(service_account_kubeconfig(namespace_, "secprov-operator"), "op",
                    {"--watch-namespaces=all"});
  create_trust_domain();
  std::string output;
  ASSERT_EQ(apply_yaml(profile_yaml("amf"), &output, served_), 0) << output;
  EXPECT_TRUE(
      eventually([&] { return served_profile_ready(served_, "amf"); }, std::chrono::seconds(60)))
      << operators_[0]->log();
  EXPECT_FALSE(denied_by_rbac(operators_[0]->log())) << operators_[0]->log();
}

// The manager's bundle handler: a trust bundle is recognised by its trust-domain label and
// the absence of a SecurityProfile owner, so one owned by its TrustDomain is still watched.
TEST_F(RbacTest, AnEditedBundleOwnedByItsTrustDomainIsRepairedAtOnce) {
  create_trust_domain();
  start_operator("op");
  std::string output;
  ASSERT_EQ(apply_yaml(profile_yaml("amf"), &output), 0) << output;
  const std::string bundle = trust_domain_ + "-ca";
  std::string original;
  ASSERT_TRUE(eventually(
      [&] {
        try {
          const auto object = client_->get(resources::config_maps(), namespace_, bundle);
          for (const auto& reference : object["metadata"].value("ownerReferences", Json::array())) {
            if (reference.value("kind", "") == "TrustDomain") {
              original = object["data"].value("ca.crt", "");
              return !original.empty();
            }
          }
        } catch (const kube::ApiError&) {
        }
        return false;
      },
      std::chrono::seconds(60)))
      << "no bundle owned by its TrustDomain\n"
      << operators_[0]->log();
  // Let the profile's own passes finish (each of its events enqueues the bundle too): no
  // key added to any work queue for a second. Then nothing but the bundle's own event can
  // bring the repair (the resync is 10 minutes away).
  ASSERT_TRUE(eventually([&] { return served_profile_ready(namespace_, "amf"); },
                         std::chrono::seconds(60)));
  double adds = -1;
  auto quiet_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] {
    const double now_adds = metric(0, "workqueue_adds_total");
    const auto now = std::chrono::steady_clock::now();
    if (now_adds != adds) {
      adds = now_adds;
      quiet_since = now;
    }
    return now - quiet_since >= std::chrono::seconds(1);
  }));
  client_->merge_patch(resources::config_maps(), namespace_, bundle,
                       {{"data", {{"ca.crt", "tampered"}}}});
  EXPECT_TRUE(eventually([&] {
    return client_->get(resources::config_maps(), namespace_, bundle)["data"].value("ca.crt", "") ==
           original;
  })) << operators_[0]->log();
}

}  // namespace
}  // namespace secprov::testing

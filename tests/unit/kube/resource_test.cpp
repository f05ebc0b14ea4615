#include "kube/resource.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace secprov::kube {
namespace {

TEST(ResourceType, CoreNamespacedPaths) {
  const ResourceType cm = resources::config_maps();
  EXPECT_EQ(cm.api_version(), "v1");
  EXPECT_EQ(cm.collection_path("ops"), "/api/v1/namespaces/ops/configmaps");
  EXPECT_EQ(cm.collection_path(""), "/api/v1/configmaps");
  EXPECT_EQ(cm.object_path("ops", "a"), "/api/v1/namespaces/ops/configmaps/a");
}

TEST(ResourceType, GroupClusterScopedPaths) {
  const ResourceType td = resources::trust_domains();
  EXPECT_EQ(td.api_version(), "secprov.io/v1alpha1");
  EXPECT_EQ(td.collection_path(""), "/apis/secprov.io/v1alpha1/trustdomains");
  // A namespace makes no sense for a cluster-scoped resource and is ignored.
  EXPECT_EQ(td.collection_path("ops"), "/apis/secprov.io/v1alpha1/trustdomains");
  EXPECT_EQ(td.object_path("", "core"), "/apis/secprov.io/v1alpha1/trustdomains/core");
}

TEST(ResourceType, GroupNamespacedPaths) {
  EXPECT_EQ(resources::security_profiles().object_path("5gc", "amf"),
            "/apis/secprov.io/v1alpha1/namespaces/5gc/securityprofiles/amf");
  EXPECT_EQ(resources::leases().object_path("ops", "secprov-leader"),
            "/apis/coordination.k8s.io/v1/namespaces/ops/leases/secprov-leader");
}

TEST(ResourceType, ObjectPathRejectsMissingNameOrNamespace) {
  EXPECT_THROW((void)resources::secrets().object_path("ops", ""), std::invalid_argument);
  EXPECT_THROW((void)resources::secrets().object_path("", "a"), std::invalid_argument);
  EXPECT_NO_THROW((void)resources::namespaces().object_path("", "ops"));
}

TEST(Resources, Catalogue) {
  struct Expected {
    ResourceType type;
    std::string api_version, plural, kind;
    bool namespaced;
  };
  const Expected all[] = {
      {resources::config_maps(), "v1", "configmaps", "ConfigMap", true},
      {resources::secrets(), "v1", "secrets", "Secret", true},
      {resources::namespaces(), "v1", "namespaces", "Namespace", false},
      {resources::pods(), "v1", "pods", "Pod", true},
      {resources::events(), "v1", "events", "Event", true},
      {resources::leases(), "coordination.k8s.io/v1", "leases", "Lease", true},
      {resources::service_accounts(), "v1", "serviceaccounts", "ServiceAccount", true},
      {resources::custom_resource_definitions(), "apiextensions.k8s.io/v1",
       "customresourcedefinitions", "CustomResourceDefinition", false},
      {resources::security_profiles(), "secprov.io/v1alpha1", "securityprofiles", "SecurityProfile",
       true},
      {resources::trust_domains(), "secprov.io/v1alpha1", "trustdomains", "TrustDomain", false},
  };
  for (const auto& e : all) {
    EXPECT_EQ(e.type.api_version(), e.api_version) << e.kind;
    EXPECT_EQ(e.type.plural, e.plural);
    EXPECT_EQ(e.type.kind, e.kind);
    EXPECT_EQ(e.type.namespaced, e.namespaced) << e.kind;
  }
  EXPECT_EQ(resources::namespaces().object_path("", "ops"), "/api/v1/namespaces/ops");
  EXPECT_EQ(resources::custom_resource_definitions().object_path("", "trustdomains.secprov.io"),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/trustdomains.secprov.io");
  EXPECT_EQ(resources::events().collection_path("ops"), "/api/v1/namespaces/ops/events");
  EXPECT_EQ(resources::secrets(), resources::secrets());
}

}  // namespace
}  // namespace secprov::kube

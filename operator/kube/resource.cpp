#include "kube/resource.h"

#include <stdexcept>

namespace secprov::kube {
namespace {

std::string api_prefix(const ResourceType& type) {
  return type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
}

ResourceType make(std::string group, std::string version, std::string plural, std::string kind,
                  bool namespaced) {
  return ResourceType{std::move(group), std::move(version), std::move(plural), std::move(kind),
                      namespaced};
}

}  // namespace

std::string ResourceType::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::collection_path(std::string_view ns) const {
  std::string path = api_prefix(*this);
  // A namespace given for a cluster-scoped resource is ignored, as kubectl does.
  if (namespaced && !ns.empty()) {
    path += "/namespaces/";
    path += ns;
  }
  return path + "/" + plural;
}

std::string ResourceType::object_path(std::string_view ns, std::string_view name) const {
  // Without these checks a typo silently becomes a list or a cross-namespace request.
  if (name.empty()) throw std::invalid_argument("object_path: empty name for " + plural);
  if (namespaced && ns.empty()) {
    throw std::invalid_argument("object_path: " + plural + " are namespaced, namespace is empty");
  }
  std::string path = collection_path(ns);
  path += "/";
  path += name;
  return path;
}

namespace resources {
ResourceType config_maps() {
  return make("", "v1", "configmaps", "ConfigMap", true);
}
ResourceType secrets() {
  return make("", "v1", "secrets", "Secret", true);
}
ResourceType namespaces() {
  return make("", "v1", "namespaces", "Namespace", false);
}
ResourceType pods() {
  return make("", "v1", "pods", "Pod", true);
}
ResourceType events() {
  return make("", "v1", "events", "Event", true);
}
ResourceType leases() {
  return make("coordination.k8s.io", "v1", "leases", "Lease", true);
}
ResourceType service_accounts() {
  return make("", "v1", "serviceaccounts", "ServiceAccount", true);
}
ResourceType custom_resource_definitions() {
  return make("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
              false);
}
ResourceType security_profiles() {
  return make("secprov.io", "v1alpha1", "securityprofiles", "SecurityProfile", true);
}
ResourceType trust_domains() {
  return make("secprov.io", "v1alpha1", "trustdomains", "TrustDomain", false);
}
}  // namespace resources

}  // namespace secprov::kube

#pragma once

#include <string>
#include <string_view>

namespace secprov::kube {

// Identifies a REST resource (group/version/plural) and knows its URL paths.
struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // v1
  std::string plural;   // configmaps
  std::string kind;     // ConfigMap
  bool namespaced = true;

  std::string api_version() const;  // "v1" or "group/version"
  // Collection path: namespace empty means all namespaces (or a cluster-scoped resource);
  // a namespace given for a cluster-scoped resource is ignored.
  std::string collection_path(std::string_view ns) const;
  // Throws std::invalid_argument for an empty name, or an empty ns on a namespaced type.
  std::string object_path(std::string_view ns, std::string_view name) const;

  bool operator==(const ResourceType&) const = default;
};

namespace resources {
ResourceType config_maps();
ResourceType secrets();
ResourceType namespaces();
ResourceType pods();
ResourceType events();
ResourceType leases();
ResourceType service_accounts();
ResourceType custom_resource_definitions();
ResourceType security_profiles();
ResourceType trust_domains();
}  // namespace resources

}  // namespace secprov::kube

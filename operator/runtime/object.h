#pragma once

#include <compare>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace secprov::runtime {

using Json = nlohmann::json;

// Identifies an object in a store or queue: namespace (empty when cluster-scoped) and name.
struct ObjectKey {
  std::string ns;
  std::string name;

  // "ns/name", or "name" when ns is empty (client-go's MetaNamespaceKeyFunc).
  std::string to_string() const;
  // Inverse of to_string. nullopt for "", "/x", "x/", "a/b/c".
  static std::optional<ObjectKey> parse(std::string_view text);

  auto operator<=>(const ObjectKey&) const = default;
  bool operator==(const ObjectKey&) const = default;
};

struct ObjectKeyHash {
  std::size_t operator()(const ObjectKey& key) const noexcept;
};

// The value at `path` below `object` (member names), without copying it: Json::value() would
// copy a whole sub-tree, and event handlers read a profile's spec on every event. Null when a
// step is missing or not an object.
const Json* find_at(const Json& object, std::initializer_list<std::string_view> path);
// The string at `path`; empty when it is missing or not a string.
std::string string_at(const Json& object, std::initializer_list<std::string_view> path);

// metadata.namespace / metadata.name. Throws std::invalid_argument when the name is missing.
ObjectKey key_of(const Json& object);
// As key_of, but nullopt instead of throwing.
std::optional<ObjectKey> try_key_of(const Json& object);
// metadata.uid, metadata.resourceVersion; empty when absent.
std::string uid_of(const Json& object);
std::string resource_version_of(const Json& object);
// metadata.labels (non-string values are skipped).
std::map<std::string, std::string> labels_of(const Json& object);
std::optional<std::string> label_of(const Json& object, std::string_view key);
// metadata.annotations[key] when it is a string.
std::optional<std::string> annotation_of(const Json& object, std::string_view key);

// One metadata.ownerReferences entry.
struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool block_owner_deletion = false;

  Json to_json() const;
  bool operator==(const OwnerReference&) const = default;
};

// Entries lacking kind, name or uid are skipped.
std::vector<OwnerReference> owner_references_of(const Json& object);

// An owner reference to `owner` (which must carry apiVersion, kind, metadata.name/uid),
// marked controller=true, blockOwnerDeletion=true.
OwnerReference controller_reference_to(const Json& owner);

// The group of an apiVersion: "apps/v1" -> "apps", "v1" -> "".
std::string_view api_group_of(std::string_view api_version);

// Keys of the owners of `object` that are its controller (controller: true) and are of
// the given kind. Owners are in the object's namespace (cross-namespace ownership is not
// allowed by Kubernetes). Like controller-runtime, only the API group of
// `owner_api_version` is compared, not the version, so a v1alpha1 -> v1 migration keeps
// the mapping.
std::vector<ObjectKey> controller_owner_keys(const Json& object, std::string_view owner_api_version,
                                             std::string_view owner_kind);

}  // namespace secprov::runtime

template <>
struct std::hash<secprov::runtime::ObjectKey> {
  std::size_t operator()(const secprov::runtime::ObjectKey& key) const noexcept {
    return secprov::runtime::ObjectKeyHash{}(key);
  }
};

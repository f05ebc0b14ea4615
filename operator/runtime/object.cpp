#include "runtime/object.h"

#include <functional>
#include <stdexcept>

namespace secprov::runtime {
namespace {

const Json* metadata_of(const Json& object) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find("metadata");
  if (it == object.end() || !it->is_object()) return nullptr;
  return &*it;
}

std::string string_field(const Json& object, std::string_view field) {
  return string_at(object, {field});
}

bool bool_field(const Json& object, std::string_view field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string metadata_string(const Json& object, std::string_view field) {
  return string_at(object, {"metadata", field});
}

}  // namespace

const Json* find_at(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* at = &object;
  for (const auto field : path) {
    if (!at->is_object()) return nullptr;
    // The object's map rather than Json::find: GCC's -Wnull-dereference misreads json iterators.
    const auto& members = at->get_ref<const Json::object_t&>();
    const auto it = members.find(field);
    if (it == members.end()) return nullptr;
    at = &it->second;
  }
  return at;
}

std::string string_at(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* at = find_at(object, path);
  return at != nullptr && at->is_string() ? at->get<std::string>() : std::string{};
}

std::string ObjectKey::to_string() const {
  return ns.empty() ? name : ns + "/" + name;
}

std::optional<ObjectKey> ObjectKey::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return ObjectKey{"", std::string(text)};
  const auto ns = text.substr(0, slash);
  const auto name = text.substr(slash + 1);
  if (ns.empty() || name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  return ObjectKey{std::string(ns), std::string(name)};
}

std::size_t ObjectKeyHash::operator()(const ObjectKey& key) const noexcept {
  const std::size_t h1 = std::hash<std::string>{}(key.ns);
  const std::size_t h2 = std::hash<std::string>{}(key.name);
  return h1 ^ (h2 + 0x9e3779b97f4a7c15ULL + (h1 << 6) + (h1 >> 2));
}

ObjectKey key_of(const Json& object) {
  ObjectKey key{metadata_string(object, "namespace"), metadata_string(object, "name")};
  if (key.name.empty()) throw std::invalid_argument("object has no metadata.name");
  return key;
}

std::optional<ObjectKey> try_key_of(const Json& object) {
  ObjectKey key{metadata_string(object, "namespace"), metadata_string(object, "name")};
  if (key.name.empty()) return std::nullopt;
  return key;
}

std::string uid_of(const Json& object) {
  return metadata_string(object, "uid");
}

std::string resource_version_of(const Json& object) {
  return metadata_string(object, "resourceVersion");
}

std::map<std::string, std::string> labels_of(const Json& object) {
  std::map<std::string, std::string> out;
  const Json* meta = metadata_of(object);
  if (!meta) return out;
  const auto it = meta->find("labels");
  if (it == meta->end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  }
  return out;
}

namespace {

// metadata.<field>.<key> when it is a string.
std::optional<std::string> metadata_string(const Json& object, std::string_view field,
                                           std::string_view key) {
  const Json* value = find_at(object, {"metadata", field, key});
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

}  // namespace

std::optional<std::string> label_of(const Json& object, std::string_view key) {
  return metadata_string(object, "labels", key);
}

std::optional<std::string> annotation_of(const Json& object, std::string_view key) {
  return metadata_string(object, "annotations", key);
}

Json OwnerReference::to_json() const {
  return Json{{"apiVersion", api_version},
              {"kind", kind},
              {"name", name},
              {"uid", uid},
              {"controller", controller},
              {"blockOwnerDeletion", block_owner_deletion}};
}

std::vector<OwnerReference> owner_references_of(const Json& object) {
  std::vector<OwnerReference> out;
  const Json* meta = metadata_of(object);
  if (!meta) return out;
  const auto it = meta->find("ownerReferences");
  if (it == meta->end() || !it->is_array()) return out;
  for (const auto& ref : *it) {
    if (!ref.is_object()) continue;
    OwnerReference owner{string_field(ref, "apiVersion"), string_field(ref, "kind"),
                         string_field(ref, "name"), string_field(ref, "uid")};
    if (owner.kind.empty() || owner.name.empty() || owner.uid.empty()) continue;
    owner.controller = bool_field(ref, "controller");
    owner.block_owner_deletion = bool_field(ref, "blockOwnerDeletion");
    out.push_back(std::move(owner));
  }
  return out;
}

OwnerReference controller_reference_to(const Json& owner) {
  OwnerReference ref{string_field(owner, "apiVersion"), string_field(owner, "kind"),
                     metadata_string(owner, "name"), uid_of(owner)};
  if (ref.api_version.empty() || ref.kind.empty() || ref.name.empty() || ref.uid.empty()) {
    throw std::invalid_argument("owner lacks apiVersion, kind, metadata.name or metadata.uid");
  }
  ref.controller = true;
  ref.block_owner_deletion = true;
  return ref;
}

std::string_view api_group_of(std::string_view api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
}

std::vector<ObjectKey> controller_owner_keys(const Json& object, std::string_view owner_api_version,
                                             std::string_view owner_kind) {
  std::vector<ObjectKey> out;
  const std::string ns = metadata_string(object, "namespace");
  const auto group = api_group_of(owner_api_version);
  for (const auto& ref : owner_references_of(object)) {
    if (!ref.controller || ref.kind != owner_kind || api_group_of(ref.api_version) != group) {
      continue;
    }
    out.push_back(ObjectKey{ns, ref.name});
  }
  return out;
}

}  // namespace secprov::runtime

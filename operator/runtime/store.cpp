#include "runtime/store.h"

#include <mutex>
#include <stdexcept>

namespace secprov::runtime {
namespace {

bool same_version(const Json& a, const Json& b) {
  const std::string rv_a = resource_version_of(a);
  const std::string rv_b = resource_version_of(b);
  if (!rv_a.empty() && !rv_b.empty()) return rv_a == rv_b;
  return a == b;
}

}  // namespace

Store::Store(StoreOptions options) : options_(std::move(options)) {
  for (const auto& label : options_.indexed_labels) by_label_[label];
}

void Store::index_locked(const ObjectKey& key, const Json& object) {
  for (const auto& ref : owner_references_of(object)) by_owner_[ref.uid].insert(key);
  for (auto& [label, values] : by_label_) {
    if (auto value = label_of(object, label)) values[*value].insert(key);
  }
}

void Store::unindex_locked(const ObjectKey& key, const Json& object) {
  for (const auto& ref : owner_references_of(object)) {
    const auto it = by_owner_.find(ref.uid);
    if (it == by_owner_.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) by_owner_.erase(it);
  }
  for (auto& [label, values] : by_label_) {
    const auto value = label_of(object, label);
    if (!value) continue;
    const auto it = values.find(*value);
    if (it == values.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) values.erase(it);
  }
}

ObjectPtr Store::put_locked(const ObjectKey& key, ObjectPtr object) {
  ObjectPtr previous;
  const auto it = objects_.find(key);
  if (it != objects_.end()) {
    previous = it->second;
    unindex_locked(key, *previous);
    it->second = object;
  } else {
    objects_.emplace(key, object);
  }
  index_locked(key, *object);
  return previous;
}

std::vector<ObjectPtr> Store::resolve_locked(const KeySet& keys) const {
  std::vector<ObjectPtr> out;
  out.reserve(keys.size());
  for (const auto& key : keys) {
    const auto it = objects_.find(key);
    if (it != objects_.end()) out.push_back(it->second);
  }
  return out;
}

StoreDelta Store::replace(std::vector<Json> objects, std::string resource_version) {
  std::map<ObjectKey, ObjectPtr> fresh;
  for (auto& object : objects) {
    auto key = try_key_of(object);
    if (!key) continue;
    fresh.insert_or_assign(std::move(*key), std::make_shared<const Json>(std::move(object)));
  }

  StoreDelta delta;
  std::unique_lock lock(mutex_);
  for (const auto& [key, old] : objects_) {
    if (!fresh.contains(key)) delta.deleted.push_back(old);
  }
  for (const auto& [key, object] : fresh) {
    const auto it = objects_.find(key);
    if (it == objects_.end()) {
      delta.added.push_back(object);
    } else if (same_version(*it->second, *object)) {
      ++delta.unchanged;
    } else {
      delta.updated.emplace_back(it->second, object);
    }
  }
  objects_ = std::move(fresh);
  by_owner_.clear();
  for (auto& [label, values] : by_label_) values.clear();
  for (const auto& [key, object] : objects_) index_locked(key, *object);
  resource_version_ = std::move(resource_version);
  return delta;
}

ObjectPtr Store::upsert(Json object) {
  return upsert(std::make_shared<const Json>(std::move(object)));
}

ObjectPtr Store::upsert(ObjectPtr object) {
  if (!object) throw std::invalid_argument("null object");
  const ObjectKey key = key_of(*object);
  std::unique_lock lock(mutex_);
  return put_locked(key, std::move(object));
}

ObjectPtr Store::erase(const ObjectKey& key) {
  std::unique_lock lock(mutex_);
  const auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr previous = it->second;
  unindex_locked(key, *previous);
  objects_.erase(it);
  return previous;
}

ObjectPtr Store::get(const ObjectKey& key) const {
  std::shared_lock lock(mutex_);
  const auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

std::vector<ObjectPtr> Store::list(std::string_view ns) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  // Keys sort by namespace first, so one namespace is a contiguous range.
  for (auto it = objects_.lower_bound(ObjectKey{std::string(ns), ""});
       it != objects_.end() && it->first.ns == ns; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<ObjectKey> Store::keys() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectKey> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(key);
  return out;
}

std::size_t Store::size() const {
  std::shared_lock lock(mutex_);
  return objects_.size();
}

std::vector<ObjectPtr> Store::by_label(std::string_view key, std::string_view value) const {
  std::shared_lock lock(mutex_);
  const auto label = by_label_.find(key);
  if (label == by_label_.end()) {
    throw std::invalid_argument("label is not indexed: " + std::string(key));
  }
  const auto it = label->second.find(value);
  if (it == label->second.end()) return {};
  return resolve_locked(it->second);
}

std::vector<ObjectPtr> Store::by_owner(std::string_view owner_uid) const {
  std::shared_lock lock(mutex_);
  const auto it = by_owner_.find(owner_uid);
  if (it == by_owner_.end()) return {};
  return resolve_locked(it->second);
}

std::string Store::resource_version() const {
  std::shared_lock lock(mutex_);
  return resource_version_;
}

void Store::set_resource_version(std::string resource_version) {
  std::unique_lock lock(mutex_);
  resource_version_ = std::move(resource_version);
}

}  // namespace secprov::runtime

#include "runtime/store.h"

#include <mutex>
#include <stdexcept>
#include <utility>

namespace secprov::runtime {
namespace {

bool same_version(const Json& a, const Json& b) {
  const std::string rv_a = resource_version_of(a);
  const std::string rv_b = resource_version_of(b);
  if (!rv_a.empty() && !rv_b.empty()) return rv_a == rv_b;
  return a == b;
}

}  // namespace

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
  auto& slot = objects_[key];
  return std::exchange(slot, std::move(object));
}

ObjectPtr Store::erase(const ObjectKey& key) {
  std::unique_lock lock(mutex_);
  const auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr previous = std::move(it->second);
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

std::string Store::resource_version() const {
  std::shared_lock lock(mutex_);
  return resource_version_;
}

void Store::set_resource_version(std::string resource_version) {
  std::unique_lock lock(mutex_);
  resource_version_ = std::move(resource_version);
}

}  // namespace secprov::runtime

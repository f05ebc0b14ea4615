#include "runtime/store.h"

#include <mutex>
#include <stdexcept>
#include <utility>

namespace secprov::runtime {
Store::Slot Store::slot_of(ObjectPtr object) const {
  Slot slot;
  if (form_ == StoreForm::Packed) {
    slot.packed = PackedJson(*object, dictionary_.get());
  } else {
    slot.tree = std::move(object);
  }
  return slot;
}

ObjectPtr Store::object_of(const Slot& slot) const {
  if (form_ == StoreForm::Tree) return slot.tree;
  return std::make_shared<const Json>(slot.packed.unpack(dictionary_.get()));
}

namespace {

// Same resourceVersion, or the same content when either has none.
bool unchanged(const Json& stored, const Json& listed) {
  const auto stored_version = resource_version_of(stored);
  const auto listed_version = resource_version_of(listed);
  if (!stored_version.empty() && !listed_version.empty()) {
    return stored_version == listed_version;
  }
  return stored == listed;
}

}  // namespace

StoreDelta Store::replace(std::vector<Json> objects, std::string resource_version) {
  // The listed trees go to the delta's readers; the store keeps their slots.
  std::map<ObjectKey, std::pair<ObjectPtr, Slot>> fresh;
  for (auto& object : objects) {
    auto key = try_key_of(object);
    if (!key) continue;
    auto tree = std::make_shared<const Json>(std::move(object));
    auto slot = slot_of(tree);
    fresh.insert_or_assign(std::move(*key), std::pair{std::move(tree), std::move(slot)});
  }

  StoreDelta delta;
  std::map<ObjectKey, Slot> slots;
  std::unique_lock lock(mutex_);
  for (const auto& [key, old] : objects_) {
    if (!fresh.contains(key)) delta.deleted.push_back(object_of(old));
  }
  for (auto& [key, listed] : fresh) {
    auto& [tree, slot] = listed;
    const auto it = objects_.find(key);
    if (it == objects_.end()) {
      delta.added.push_back(tree);
    } else if (auto stored = object_of(it->second); unchanged(*stored, *tree)) {
      ++delta.unchanged;
    } else {
      delta.updated.emplace_back(std::move(stored), tree);
    }
    slots.emplace_hint(slots.end(), key, std::move(slot));
  }
  objects_ = std::move(slots);
  resource_version_ = std::move(resource_version);
  return delta;
}

ObjectPtr Store::upsert(Json object) {
  return upsert(std::make_shared<const Json>(std::move(object)));
}

ObjectPtr Store::upsert(ObjectPtr object) {
  if (!object) throw std::invalid_argument("null object");
  const ObjectKey key = key_of(*object);
  auto fresh = slot_of(std::move(object));
  std::unique_lock lock(mutex_);
  const auto [it, inserted] = objects_.try_emplace(key);
  const Slot previous = std::exchange(it->second, std::move(fresh));
  lock.unlock();  // expanding the previous object holds nobody up
  return inserted ? nullptr : object_of(previous);
}

ObjectPtr Store::erase(const ObjectKey& key) {
  std::unique_lock lock(mutex_);
  const auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  const Slot previous = std::move(it->second);
  objects_.erase(it);
  lock.unlock();
  return object_of(previous);
}

ObjectPtr Store::get(const ObjectKey& key) const {
  std::shared_lock lock(mutex_);
  const auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : object_of(it->second);
}

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, slot] : objects_) out.push_back(object_of(slot));
  return out;
}

template <class Visit>
void Store::for_namespace_locked(std::string_view ns, const Visit& visit) const {
  // Keys sort by namespace first, so one namespace is a contiguous range.
  for (auto it = objects_.lower_bound(ObjectKey{std::string(ns), ""});
       it != objects_.end() && it->first.ns == ns; ++it) {
    visit(it->first, it->second);
  }
}

std::vector<ObjectPtr> Store::list(std::string_view ns) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  for_namespace_locked(ns,
                       [&](const ObjectKey&, const Slot& slot) { out.push_back(object_of(slot)); });
  return out;
}

std::vector<ObjectKey> Store::keys() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectKey> out;
  out.reserve(objects_.size());
  for (const auto& [key, slot] : objects_) out.push_back(key);
  return out;
}

std::vector<ObjectKey> Store::keys(std::string_view ns) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectKey> out;
  for_namespace_locked(ns, [&](const ObjectKey& key, const Slot&) { out.push_back(key); });
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

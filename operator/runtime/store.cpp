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
  Namespaces slots;
  std::unique_lock lock(mutex_);
  for (const auto& [ns, names] : objects_) {
    for (const auto& [name, old] : names) {
      if (!fresh.contains(ObjectKey{ns, name})) delta.deleted.push_back(object_of(old));
    }
  }
  for (auto& [key, listed] : fresh) {
    auto& [tree, slot] = listed;
    if (const Slot* stored_slot = find_locked(key); stored_slot == nullptr) {
      delta.added.push_back(tree);
    } else if (auto stored = object_of(*stored_slot); unchanged(*stored, *tree)) {
      ++delta.unchanged;
    } else {
      delta.updated.emplace_back(std::move(stored), tree);
    }
    // `fresh` is in key order: each namespace's names come in order, after the previous one's.
    auto& names = slots.try_emplace(slots.end(), key.ns)->second;
    names.emplace_hint(names.end(), key.name, std::move(slot));
  }
  objects_ = std::move(slots);
  size_ = fresh.size();
  resource_version_ = std::move(resource_version);
  return delta;
}

ObjectPtr Store::upsert(Json object) {
  return upsert(std::make_shared<const Json>(std::move(object)));
}

ObjectPtr Store::upsert(ObjectPtr object) {
  if (!object) throw std::invalid_argument("null object");
  ObjectKey key = key_of(*object);
  auto fresh = slot_of(std::move(object));
  std::unique_lock lock(mutex_);
  auto& names = objects_.try_emplace(std::move(key.ns)).first->second;
  const auto [it, inserted] = names.try_emplace(std::move(key.name));
  const Slot previous = std::exchange(it->second, std::move(fresh));
  if (inserted) ++size_;
  lock.unlock();  // expanding the previous object holds nobody up
  return inserted ? nullptr : object_of(previous);
}

ObjectPtr Store::erase(const ObjectKey& key) {
  std::unique_lock lock(mutex_);
  const auto names = objects_.find(key.ns);
  if (names == objects_.end()) return nullptr;
  const auto it = names->second.find(key.name);
  if (it == names->second.end()) return nullptr;
  const Slot previous = std::move(it->second);
  names->second.erase(it);
  if (names->second.empty()) objects_.erase(names);
  --size_;
  lock.unlock();
  return object_of(previous);
}

const Store::Slot* Store::find_locked(const ObjectKey& key) const {
  const auto names = objects_.find(key.ns);
  if (names == objects_.end()) return nullptr;
  const auto it = names->second.find(key.name);
  return it == names->second.end() ? nullptr : &it->second;
}

ObjectPtr Store::get(const ObjectKey& key) const {
  std::shared_lock lock(mutex_);
  const Slot* slot = find_locked(key);
  return slot == nullptr ? nullptr : object_of(*slot);
}

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(size_);
  for (const auto& [ns, names] : objects_) {
    for (const auto& [name, slot] : names) out.push_back(object_of(slot));
  }
  return out;
}

std::vector<ObjectPtr> Store::list(std::string_view ns) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  if (const auto names = objects_.find(ns); names != objects_.end()) {
    out.reserve(names->second.size());
    for (const auto& [name, slot] : names->second) out.push_back(object_of(slot));
  }
  return out;
}

std::vector<ObjectKey> Store::keys() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectKey> out;
  out.reserve(size_);
  for (const auto& [ns, names] : objects_) {
    for (const auto& [name, slot] : names) out.push_back(ObjectKey{ns, name});
  }
  return out;
}

std::vector<ObjectKey> Store::keys(std::string_view ns) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectKey> out;
  if (const auto names = objects_.find(ns); names != objects_.end()) {
    out.reserve(names->second.size());
    for (const auto& [name, slot] : names->second) out.push_back(ObjectKey{names->first, name});
  }
  return out;
}

std::size_t Store::size() const {
  std::shared_lock lock(mutex_);
  return size_;
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

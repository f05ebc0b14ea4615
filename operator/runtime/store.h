#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/object.h"
#include "runtime/packed.h"

namespace secprov::runtime {

// Objects are immutable once stored: a reader's tree never changes under it.
using ObjectPtr = std::shared_ptr<const Json>;

// How a Store holds its objects. Trees are shared with readers as they are; packed objects
// (runtime/packed.h) take about a third of the memory and are expanded on every read (a few
// microseconds for a Secret or a profile), so each reader owns the tree it gets. For the
// caches that hold an object or more per profile.
enum class StoreForm { Tree, Packed };

// What a replace() changed, so the reflector can fire handlers after a relist.
struct StoreDelta {
  std::vector<ObjectPtr> added;
  std::vector<std::pair<ObjectPtr, ObjectPtr>> updated;  // (old, new)
  std::vector<ObjectPtr> deleted;                        // the last stored state
  std::size_t unchanged = 0;  // same resourceVersion (or same content when it is absent)
};

// Thread-safe cache of objects by key. Every result is ordered by key, so callers iterating
// it are deterministic. Lookups by field go through a TypedStore's indexes (typed_store.h).
class Store {
 public:
  // A packed store packs with `dictionary` when given (runtime/packed.h).
  explicit Store(StoreForm form = StoreForm::Tree,
                 std::shared_ptr<const PackDictionary> dictionary = nullptr)
      : form_(form), dictionary_(std::move(dictionary)) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Replaces the whole content (after a list) and records the list's resourceVersion.
  // Objects without metadata.name are skipped.
  StoreDelta replace(std::vector<Json> objects, std::string resource_version);
  // Inserts or replaces by key; returns the previous object (null when new). A packed store
  // keeps a packed copy: the tree passed in stays the caller's.
  // Throws std::invalid_argument when the object has no metadata.name.
  ObjectPtr upsert(Json object);
  ObjectPtr upsert(ObjectPtr object);
  // Removes by key; returns the removed object (null when absent).
  ObjectPtr erase(const ObjectKey& key);

  ObjectPtr get(const ObjectKey& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<ObjectPtr> list(std::string_view ns) const;
  std::vector<ObjectKey> keys() const;
  // The keys of one namespace: with get(), a walk that expands one packed object at a time.
  std::vector<ObjectKey> keys(std::string_view ns) const;
  std::size_t size() const;

  // The resourceVersion the content is synced to (the last list or watch event).
  std::string resource_version() const;
  void set_resource_version(std::string resource_version);

 private:
  // The resourceVersion is not kept beside the object: only a relist compares it, and
  // expanding a packed object then costs microseconds, where a copy cost 32 bytes an object.
  struct Slot {
    ObjectPtr tree;     // StoreForm::Tree
    PackedJson packed;  // StoreForm::Packed
  };
  // Namespace, then name: an entry holds its name alone, where a (namespace, name) key took
  // 32 bytes more in each of the cache's 30,000 entries at 10,000 profiles.
  using Names = std::map<std::string, Slot, std::less<>>;
  using Namespaces = std::map<std::string, Names, std::less<>>;
  Slot slot_of(ObjectPtr object) const;
  ObjectPtr object_of(const Slot& slot) const;
  const Slot* find_locked(const ObjectKey& key) const;

  const StoreForm form_;
  const std::shared_ptr<const PackDictionary> dictionary_;
  mutable std::shared_mutex mutex_;
  Namespaces objects_;
  std::size_t size_ = 0;
  std::string resource_version_;
};

}  // namespace secprov::runtime

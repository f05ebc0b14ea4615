#pragma once
// A cache of parsed objects beside the JSON Store: each object is parsed once, when it enters
// the cache, and readers share the result. Named secondary indexes (client-go's Indexers,
// controller-runtime's FieldIndexer) turn "which objects have field X = v" into a lookup.
// Generic: runtime/ knows no API types; controllers/ instantiates it.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/block_set.h"
#include "runtime/object.h"
#include "runtime/reflector.h"
#include "runtime/store.h"

namespace secprov::runtime {

template <class T>
class TypedStore {
 public:
  using Ptr = std::shared_ptr<const T>;
  // nullopt (or a throw): the object does not parse. It stays in the JSON store only, where
  // the reconciler finds it and reports why.
  using ParseFn = std::function<std::optional<T>(const Json&)>;
  // The values an object is filed under in one index (none, one or several).
  using IndexFn = std::function<std::vector<std::string>(const T&)>;

  explicit TypedStore(ParseFn parse) : parse_(std::move(parse)) {}
  TypedStore(const TypedStore&) = delete;
  TypedStore& operator=(const TypedStore&) = delete;

  // Adds (or replaces) an index; objects already stored are filed at once.
  void add_index(std::string name, IndexFn fn) {
    std::unique_lock lock(mutex_);
    auto& index = indexes_[name];
    index.fn = std::move(fn);
    index.values.clear();
    for (auto& node : entries_) {
      std::erase_if(node.second.filed, [&index](const Filed& f) { return f.index == &index; });
      if (node.second.value) file_locked(index, node);
    }
  }

  // Parses `object` and stores it under its key, unless the stored entry already came from
  // this resourceVersion (a resync or a relist of an unchanged object parses nothing).
  void upsert(const ObjectPtr& object) {
    if (!object) return;
    auto key = try_key_of(*object);
    if (!key) return;
    {
      std::shared_lock lock(mutex_);
      const auto it = entries_.find(*key);
      if (it != entries_.end() && matches(it->second, *object)) return;
    }
    std::string version = resource_version_of(*object);
    Ptr value = take_staged(*key, version);
    if (!value) value = parse_or_null(*object);  // outside the lock: readers are not held up
    // The JSON is kept only where the parsed value cannot stand for it: an object that does
    // not parse (unparsed() returns it) or one without a resourceVersion to compare.
    ObjectPtr source = !value || version.empty() ? object : nullptr;
    std::unique_lock lock(mutex_);
    const auto it = entries_.find(*key);
    if (it != entries_.end()) unfile_locked(*it);
    Node& node = *entries_
                      .insert_or_assign(
                          *key, Entry{std::move(version), std::move(source), std::move(value), {}})
                      .first;
    Entry& entry = node.second;
    if (!entry.value) {
      unparsed_.insert(*key);
      return;
    }
    unparsed_.erase(*key);
    for (auto& [name, index] : indexes_) file_locked(index, node);
    entry.filed.shrink_to_fit();
  }

  // For a cache whose reflector stores less of an object than parsing reads (a Transform):
  // parses the whole object as it arrives, for the upsert of its stored form that follows,
  // and returns `stored_form(full)`. An object that does not parse is returned whole, so the
  // reconciler can still say why. An object already parsed at this resourceVersion (a relist)
  // is not parsed again.
  Json admit(Json full, const std::function<Json(Json)>& stored_form) {
    const auto key = try_key_of(full);
    if (!key) return full;
    const std::string version = resource_version_of(full);
    {
      std::shared_lock lock(mutex_);
      const auto it = entries_.find(*key);
      if (!version.empty() && it != entries_.end() && it->second.version == version) {
        return it->second.value ? stored_form(std::move(full)) : full;
      }
    }
    Ptr value = parse_or_null(full);
    if (!value) return full;
    {
      std::unique_lock lock(mutex_);
      staged_.insert_or_assign(*key, Staged{version, std::move(value)});
    }
    return stored_form(std::move(full));
  }

  void erase(const ObjectKey& key) {
    std::unique_lock lock(mutex_);
    staged_.erase(key);
    const auto it = entries_.find(key);
    if (it == entries_.end()) return;
    unfile_locked(*it);
    unparsed_.erase(key);
    entries_.erase(it);
  }

  // The parsed object; null when absent or when it does not parse.
  Ptr get(const ObjectKey& key) const {
    std::shared_lock lock(mutex_);
    const auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second.value;
  }

  // The parsed form of `object`: the stored (or admitted) one when it came from the same
  // resourceVersion, else parsed now (the typed cache has not caught up with the JSON one
  // yet). Null when it does not parse.
  Ptr parsed(const Json& object) const {
    if (const auto key = try_key_of(object)) {
      std::shared_lock lock(mutex_);
      const auto it = entries_.find(*key);
      if (it != entries_.end() && it->second.value && matches(it->second, object)) {
        return it->second.value;
      }
      const auto staged = staged_.find(*key);
      if (staged != staged_.end() && !staged->second.version.empty() &&
          staged->second.version == resource_version_of(object)) {
        return staged->second.value;
      }
    }
    return parse_or_null(object);
  }

  // Keys of the objects filed under `value` in `index`, ordered; at most `limit` of them (the
  // first ones), so a caller that needs only a few does not copy them all. Throws
  // std::invalid_argument for an index that was never added (a silent scan would hide it).
  std::vector<ObjectKey> keys_by_index(
      std::string_view index, std::string_view value,
      std::size_t limit = std::numeric_limits<std::size_t>::max()) const {
    std::shared_lock lock(mutex_);
    std::vector<ObjectKey> out;
    if (const auto* keys = find_locked(index, value)) {
      for (auto it = keys->begin(); it != keys->end() && out.size() < limit; ++it) {
        out.push_back((*it)->first);
      }
    }
    return out;
  }

  // The objects themselves, ordered by key.
  std::vector<Ptr> by_index(std::string_view index, std::string_view value) const {
    std::shared_lock lock(mutex_);
    std::vector<Ptr> out;
    if (const auto* keys = find_locked(index, value)) {
      out.reserve(keys->size());
      for (const Node* filed : *keys) out.push_back(filed->second.value);
    }
    return out;
  }

  // The cached JSON of objects in `ns` that do not parse, ordered by key (rare: what the
  // apiserver admits normally parses). O(log n + the unparsed objects returned).
  std::vector<ObjectPtr> unparsed(std::string_view ns) const {
    std::shared_lock lock(mutex_);
    std::vector<ObjectPtr> out;
    for (auto it = unparsed_.lower_bound(ObjectKey{std::string(ns), ""});
         it != unparsed_.end() && it->ns == ns; ++it) {
      out.push_back(entries_.at(*it).source);
    }
    return out;
  }
  std::vector<ObjectPtr> unparsed() const {
    std::shared_lock lock(mutex_);
    std::vector<ObjectPtr> out;
    out.reserve(unparsed_.size());
    for (const auto& key : unparsed_) out.push_back(entries_.at(key).source);
    return out;
  }

  // Parsed objects held.
  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return entries_.size() - unparsed_.size();
  }

 private:
  struct Entry;
  // A node of entries_: it never moves while the key is stored.
  using Node = std::pair<const ObjectKey, Entry>;
  struct ByKey {
    bool operator()(const Node* a, const Node* b) const { return a->first < b->first; }
  };
  // The filed entries themselves, ordered by key, so by_index copies their values without
  // looking every key up again in entries_ (with 10,000 profiles in a namespace, by_index and
  // its look-ups were about 45 % of the operator's CPU in a profile). A pointer, not a copy of
  // the key and the value, in sorted blocks: about 11 bytes per filed entry (a std::set node
  // took 48, a copy 128).
  using KeySet = BlockSet<const Node*, ByKey>;
  using Values = std::map<std::string, KeySet, std::less<>>;
  struct Index {
    IndexFn fn;
    Values values;
  };
  // One value an entry is filed under: the index it points to (a node of indexes_, which
  // never moves: indexes are replaced in place, never erased) and that value's node in it,
  // which stays while any entry is filed there (16 bytes, where a copy of the value took 40).
  struct Filed {
    Index* index;
    typename Values::iterator value;
  };
  struct Entry {
    std::string version;  // the source's resourceVersion
    ObjectPtr source;     // only when `value` is null or `version` empty
    Ptr value;            // null: does not parse
    // Where the entry is filed, so unfiling does not call the IndexFns. A flat list: a map of
    // sets per entry cost about 2 KiB per profile (nine indexes, most of them empty for it).
    std::vector<Filed> filed;
  };

  // Parsed by admit(), waiting for the upsert of the stored form.
  struct Staged {
    std::string version;
    Ptr value;
  };

  Ptr parse_or_null(const Json& object) const {
    try {
      if (auto parsed = parse_(object)) return std::make_shared<const T>(std::move(*parsed));
    } catch (const std::exception&) {
      // Null: treated as an object that does not parse.
    }
    return nullptr;
  }

  Ptr take_staged(const ObjectKey& key, const std::string& version) {
    std::unique_lock lock(mutex_);
    const auto it = staged_.find(key);
    if (it == staged_.end()) return nullptr;
    Ptr value = it->second.version == version && !version.empty() ? it->second.value : nullptr;
    staged_.erase(it);
    return value;
  }

  // Whether `object` is the version `entry` came from.
  static bool matches(const Entry& entry, const Json& object) {
    if (entry.source && entry.source.get() == &object) return true;
    return !entry.version.empty() && entry.version == resource_version_of(object);
  }

  static void file_locked(Index& index, Node& node) {
    Entry& entry = node.second;
    auto values = index.fn(*entry.value);
    std::ranges::sort(values);
    const auto duplicates = std::ranges::unique(values);
    values.erase(duplicates.begin(), duplicates.end());
    for (auto& v : values) {
      const auto filed = index.values.try_emplace(std::move(v)).first;
      filed->second.insert(&node);
      entry.filed.push_back(Filed{&index, filed});
    }
  }

  static void unfile_locked(Node& node) {
    Entry& entry = node.second;
    for (const auto& [index, value] : entry.filed) {
      value->second.erase(&node);
      if (value->second.empty()) index->values.erase(value);
    }
    entry.filed.clear();
  }

  const KeySet* find_locked(std::string_view index, std::string_view value) const {
    const auto it = indexes_.find(index);
    if (it == indexes_.end()) {
      throw std::invalid_argument("no such index: " + std::string(index));
    }
    const auto keys = it->second.values.find(value);
    return keys == it->second.values.end() ? nullptr : &keys->second;
  }

  const ParseFn parse_;
  mutable std::shared_mutex mutex_;
  std::map<ObjectKey, Entry> entries_;
  std::set<ObjectKey> unparsed_;  // the entries without a value
  std::map<ObjectKey, Staged> staged_;
  std::map<std::string, Index, std::less<>> indexes_;
};

// Handlers that keep `store` in step with a reflector: add/update parse (once per
// resourceVersion), delete erases; a relist arrives as the same three events. Add them to the
// reflector before any handler that reads the store, so a mapped key is enqueued only after
// the typed entry it was looked up in is current.
template <class T>
EventHandlers sync_handlers(std::shared_ptr<TypedStore<T>> store) {
  return {[store](const ObjectPtr& o) { store->upsert(o); },
          [store](const ObjectPtr&, const ObjectPtr& o) { store->upsert(o); },
          [store](const ObjectPtr& o) {
            if (const auto key = try_key_of(*o)) store->erase(*key);
          }};
}

}  // namespace secprov::runtime

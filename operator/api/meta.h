#pragma once
// The parts of metav1.ObjectMeta the operator reads.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/errors.h"

namespace secprov::api {

// Labels (metadata.labels, a selector's matchLabels): a map of strings in key order, as a
// sorted vector. A profile holds two and most have a label or two: a std::map took 48 bytes
// each and a 112-byte block per label, this takes 24 and one block for all.
class Labels {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;
  using iterator = const_iterator;

  Labels() = default;
  Labels(std::initializer_list<value_type> items) {
    for (const auto& [key, value] : items) emplace(key, value);
  }
  template <class Map>  // from any map of strings (std::map, nlohmann's object items, ...)
  requires requires(const Map& m) { m.begin()->first; }
  explicit Labels(const Map& map) {
    for (const auto& [key, value] : map) emplace(key, value);
  }

  // Inserts unless the key is there already (as std::map::emplace).
  std::pair<const_iterator, bool> emplace(std::string key, std::string value) {
    auto at = lower_bound(key);
    if (at != items_.end() && at->first == key) return {at, false};
    return {items_.emplace(at, std::move(key), std::move(value)), true};
  }
  const_iterator find(std::string_view key) const {
    const auto at = lower_bound(key);
    return at != items_.end() && at->first == key ? at : items_.end();
  }
  const std::string& at(std::string_view key) const {
    const auto it = find(key);
    if (it == items_.end()) throw std::out_of_range("Labels::at: no such key");
    return it->second;
  }
  bool contains(std::string_view key) const { return find(key) != items_.end(); }

  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  void clear() noexcept { items_.clear(); }

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  std::vector<value_type>::iterator lower_bound(std::string_view key) {
    return std::lower_bound(
        items_.begin(), items_.end(), key,
        [](const value_type& item, std::string_view k) { return item.first < k; });
  }
  const_iterator lower_bound(std::string_view key) const {
    return std::lower_bound(
        items_.begin(), items_.end(), key,
        [](const value_type& item, std::string_view k) { return item.first < k; });
  }

  std::vector<value_type> items_;  // sorted by key, keys unique
};
// A JSON object of the labels (nlohmann's to_json hook).
void to_json(nlohmann::json& out, const Labels& labels);

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // empty for cluster-scoped objects
  std::string uid;
  std::int64_t generation = 0;
  std::string resource_version;
  // metadata.labels (string values only): spec.consistency.scope selects peers by them.
  Labels labels;
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// Reads metadata.{name,namespace,uid,generation,resourceVersion,labels}; other metadata fields are
// ignored (they are the apiserver's, not the API's).
ObjectMeta parse_object_meta(const nlohmann::json& metadata, FieldErrors& errs);

}  // namespace secprov::api

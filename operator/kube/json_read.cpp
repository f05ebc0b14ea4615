#include "kube/json_read.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace secprov::kube {
namespace {

using Json = nlohmann::json;

// nlohmann's SAX interface, building a tree of the kept members only.
class PrunedBuilder {
 public:
  // `enough`: once this many members of the root are built, the rest is not read (0: all).
  explicit PrunedBuilder(KeepMember keep, std::size_t enough = 0) : keep_(keep), enough_(enough) {}

  // Whether the parse stopped on purpose, with everything asked for built.
  bool complete() const { return complete_; }

  bool null() { return put(nullptr); }
  bool boolean(bool value) { return put(value); }
  bool number_integer(Json::number_integer_t value) { return put(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return put(value); }
  bool number_float(Json::number_float_t value, const Json::string_t&) { return put(value); }
  bool string(Json::string_t& value) { return put(std::move(value)); }
  bool binary(Json::binary_t& value) { return put(std::move(value)); }
  bool start_object(std::size_t) { return open(Json::value_t::object); }
  bool start_array(std::size_t) { return open(Json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(Json::string_t& name) {
    if (skipping_ > 0) return true;
    skip_next_ = !keep_(path_, name);
    key_ = std::move(name);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

  Json take() { return std::move(root_); }

 private:
  template <typename Value>
  bool put(Value&& value) {
    if (skipping_ > 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    (void)insert(Json(std::forward<Value>(value)));
    return open_.size() != 1 || !enough_built();
  }

  // A dropped container is not built: an empty json object or array is already a heap
  // allocation.
  bool open(Json::value_t type) {
    if (skipping_ > 0 || skip_next_) {
      skip_next_ = false;
      ++skipping_;
      return true;
    }
    open_.push_back(insert(Json(type)));
    return true;
  }

  bool close() {
    if (skipping_ > 0) {
      --skipping_;
    } else if (!open_.empty()) {
      open_.pop_back();
      // The root has no name in the path.
      if (!path_.empty() && open_.size() == path_.size()) path_.pop_back();
      if (open_.size() == 1) return !enough_built();
    }
    return true;
  }

  // Stops the parse (a false return) once the root has `enough_` members.
  bool enough_built() {
    complete_ = enough_ > 0 && root_.is_object() && root_.size() >= enough_;
    return complete_;
  }

  // Inserts `value` into the innermost open container; for a container, names it in the path
  // (a map key stays where it is, so the path can view it).
  Json* insert(Json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    const bool container = value.is_structured();
    if (parent.is_object()) {
      auto& members = parent.get_ref<Json::object_t&>();
      const auto it = members.insert_or_assign(std::move(key_), std::move(value)).first;
      if (container) path_.emplace_back(it->first);
      return &it->second;
    }
    parent.push_back(std::move(value));
    if (container) path_.emplace_back("*");
    return &parent.back();
  }

  const KeepMember keep_;
  const std::size_t enough_;
  bool complete_ = false;
  Json root_;
  std::vector<Json*> open_;             // the containers being built, innermost last
  std::vector<std::string_view> path_;  // their names below the root
  Json::string_t key_;
  bool skip_next_ = false;
  int skipping_ = 0;  // depth inside a container being read past
};

bool is_field_set(std::span<const std::string_view> entry, std::string_view name) {
  // entry: {..., "metadata", "managedFields", "*"}
  return name == "fieldsV1" && entry.size() >= 3 && entry[entry.size() - 1] == "*" &&
         entry[entry.size() - 2] == "managedFields" && entry[entry.size() - 3] == "metadata";
}

}  // namespace

std::optional<Json> parse_pruned(std::string_view text, KeepMember keep) {
  PrunedBuilder builder(keep);
  if (!Json::sax_parse(text, &builder)) return std::nullopt;
  return builder.take();
}

std::optional<Json> parse_identity(std::string_view text) {
  PrunedBuilder builder(keep::identity, /*enough=*/3);
  if (!Json::sax_parse(text, &builder) && !builder.complete()) return std::nullopt;
  return builder.take();
}

namespace keep {

bool identity(std::span<const std::string_view> path, std::string_view name) {
  if (path.empty()) return name == "metadata" || name == "apiVersion" || name == "kind";
  return !(path.size() == 1 && name == "managedFields");
}

bool all_but_field_sets(std::span<const std::string_view> path, std::string_view name) {
  // {"object", "metadata", "managedFields", "*"} or {"items", "*", "metadata", ...}
  const bool object_of_event = path.size() == 4 && path[0] == "object";
  const bool item_of_list = path.size() == 5 && path[0] == "items" && path[1] == "*";
  return !((object_of_event || item_of_list) && is_field_set(path, name));
}

}  // namespace keep
}  // namespace secprov::kube

#include "kube/json_read.h"

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
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

// simdjson's tree as nlohmann's, without the members `keep` refuses. `path` as for KeepMember.
Json build(simdjson::dom::element element, KeepMember keep, std::vector<std::string_view>& path);

// A member or item: a container is named in the path while it is built.
Json build_child(simdjson::dom::element value, std::string_view name, KeepMember keep,
                 std::vector<std::string_view>& path) {
  if (!value.is_object() && !value.is_array()) return build(value, keep, path);
  path.push_back(name);
  Json built = build(value, keep, path);
  path.pop_back();
  return built;
}

// GCC 12 sees a possible null in simdjson's inlined iterators (the document's tape, set by
// any successful parse); the code is the library's.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
Json build(simdjson::dom::element element, KeepMember keep, std::vector<std::string_view>& path) {
  using Type = simdjson::dom::element_type;
  switch (element.type()) {
    case Type::OBJECT: {
      Json object(Json::value_t::object);
      auto& members = object.get_ref<Json::object_t&>();
      // Copied out of the result: a range over value_unsafe() would outlive its temporary.
      const simdjson::dom::object source = element.get_object().value_unsafe();
      for (const auto member : source) {
        if (!keep(path, member.key)) continue;
        // The last of repeated names wins, as in nlohmann's own parser.
        members.insert_or_assign(std::string(member.key),
                                 build_child(member.value, member.key, keep, path));
      }
      return object;
    }
    case Type::ARRAY: {
      Json array(Json::value_t::array);
      auto& items = array.get_ref<Json::array_t&>();
      const simdjson::dom::array source = element.get_array().value_unsafe();
      for (const auto item : source) {
        items.push_back(build_child(item, "*", keep, path));
      }
      return array;
    }
    case Type::STRING:
      return Json(std::string(element.get_string().value_unsafe()));
    case Type::INT64: {
      // nlohmann reads an integer without a sign as unsigned: the same types, so the same
      // comparisons and dumps ("-0" alone differs: unsigned 0 here, a signed 0 there; equal).
      const std::int64_t value = element.get_int64().value_unsafe();
      return value >= 0 ? Json(static_cast<std::uint64_t>(value)) : Json(value);
    }
    case Type::UINT64:
      return Json(element.get_uint64().value_unsafe());
    case Type::DOUBLE:
      return Json(element.get_double().value_unsafe());
    case Type::BOOL:
      return Json(element.get_bool().value_unsafe());
    case Type::NULL_VALUE:
      return Json(nullptr);
  }
  return Json();
}
#pragma GCC diagnostic pop

// simdjson's reading of `text` with `parser`, built as nlohmann's tree without the members
// `keep` refuses; nullopt when simdjson does not take the text (nlohmann's reader then
// decides). simdjson finds the structure at several GB/s where nlohmann's lexer reads about
// 100 MB/s: a 4.4 KB Secret watch event took 24 µs by the SAX reader below, 4 µs this way.
std::optional<Json> read_with(simdjson::dom::parser& parser, std::string_view text,
                              KeepMember keep) {
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string_view> path;
  return build(root, keep, path);
}

bool is_field_set(std::span<const std::string_view> entry, std::string_view name) {
  // entry: {..., "metadata", "managedFields", "*"}
  return name == "fieldsV1" && entry.size() >= 3 && entry[entry.size() - 1] == "*" &&
         entry[entry.size() - 2] == "managedFields" && entry[entry.size() - 3] == "metadata";
}

}  // namespace

std::optional<Json> parse_pruned(std::string_view text, KeepMember keep) {
  return JsonReader().pruned(text, keep);
}

std::optional<Json> parse_identity(std::string_view text) {
  return JsonReader().identity(text);
}

JsonReader::JsonReader() : parser_(std::make_unique<simdjson::dom::parser>()) {}
JsonReader::~JsonReader() = default;

std::optional<Json> JsonReader::pruned(std::string_view text, KeepMember keep) {
  if (auto read = read_by_simdjson(text, keep)) return read;
  return detail::parse_pruned_by_nlohmann(text, keep);
}

std::optional<Json> JsonReader::identity(std::string_view text) {
  if (auto read = read_by_simdjson(text, keep::identity)) return read;
  // A text simdjson refuses may still have its identity before what is wrong with it.
  return detail::parse_identity_by_nlohmann(text);
}

std::optional<Json> JsonReader::read_by_simdjson(std::string_view text, KeepMember keep) {
  if (text.size() > kLargestFastText) return std::nullopt;
  if (text.size() <= kLargestKeptText) return read_with(*parser_, text, keep);
  simdjson::dom::parser once;  // its buffers go with it
  return read_with(once, text, keep);
}

std::optional<Json> JsonReaderPool::pruned(std::string_view text, KeepMember keep) {
  auto reader = take();
  auto read = reader->pruned(text, keep);
  give_back(std::move(reader));
  return read;
}

std::optional<Json> JsonReaderPool::identity(std::string_view text) {
  auto reader = take();
  auto read = reader->identity(text);
  give_back(std::move(reader));
  return read;
}

std::unique_ptr<JsonReader> JsonReaderPool::take() {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto reader = std::move(idle_.back());
      idle_.pop_back();
      return reader;
    }
  }
  return std::make_unique<JsonReader>();
}

void JsonReaderPool::give_back(std::unique_ptr<JsonReader> reader) {
  static constexpr std::size_t kMaxIdle = 8;  // about as many as threads reading at once
  const std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(reader));
}

namespace detail {

std::optional<Json> parse_pruned_by_nlohmann(std::string_view text, KeepMember keep) {
  PrunedBuilder builder(keep);
  if (!Json::sax_parse(text, &builder)) return std::nullopt;
  return builder.take();
}

std::optional<Json> parse_identity_by_nlohmann(std::string_view text) {
  PrunedBuilder builder(keep::identity, /*enough=*/3);
  if (!Json::sax_parse(text, &builder) && !builder.complete()) return std::nullopt;
  return builder.take();
}

}  // namespace detail

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

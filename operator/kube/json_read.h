#pragma once
// Parsing the API server's JSON without building what no caller reads. simdjson reads the
// text (its structure found with SIMD instructions, at several GB/s) and only the kept members
// are built, as nlohmann trees. A text simdjson does not take (not JSON, an integer beyond 64
// bits, nesting deeper than 1,024) is read again by nlohmann's SAX parser, whose verdict and
// value stand, and so is a large one (JsonReader): the two readers give the same trees
// (tests/unit/kube/json_read_test.cpp).

#include <cstddef>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace simdjson::dom {
class parser;
}

namespace secprov::kube {

// Whether the member `name` of the object at `path` is built. `path` names the containers from
// the root: member names, and "*" for an array's items. E.g. a watch event's managedFields
// entries are at {"object", "metadata", "managedFields", "*"}.
using KeepMember = bool (*)(std::span<const std::string_view> path, std::string_view name);

// The value of `text` without the members `keep` refuses; nullopt when `text` is not JSON.
std::optional<nlohmann::json> parse_pruned(std::string_view text, KeepMember keep);

// An object's apiVersion, kind and metadata without metadata.managedFields (keep::identity).
// Nothing else of a write's answer (a Secret's data, a profile's spec and status) is built.
// The API server writes those three members first, so a text that is not JSON only after them
// still gives them (nlohmann's reader stops once they are built); nullopt when it is not JSON
// up to that point.
std::optional<nlohmann::json> parse_identity(std::string_view text);

// Reads one text at a time. Texts up to kLargestFastText (watch events, the answers to writes)
// go through simdjson, whose buffers (about 16 bytes per byte of text) are kept for the next
// text when it is at most kLargestKeptText (making them each time cost more than reading a
// 4 KiB text; the operator's objects are 2 to 7 KiB), so a reader never holds more than about
// 128 KiB, most of it never touched. Larger texts (list pages, a large ConfigMap) go through
// nlohmann's streaming reader, which needs no buffer the size of the text. Not thread-safe: one per
// reading thread (each watch has its own).
class JsonReader {
 public:
  static constexpr std::size_t kLargestKeptText = 8 * 1024;
  static constexpr std::size_t kLargestFastText = 64 * 1024;

  JsonReader();
  ~JsonReader();
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // As parse_pruned and parse_identity.
  std::optional<nlohmann::json> pruned(std::string_view text, KeepMember keep);
  std::optional<nlohmann::json> identity(std::string_view text);

 private:
  // nullopt when the text is larger than kLargestFastText or simdjson does not take it.
  std::optional<nlohmann::json> read_by_simdjson(std::string_view text, KeepMember keep);

  std::unique_ptr<simdjson::dom::parser> parser_;
};

// JsonReaders for many threads (a client's answers): each read borrows an idle one.
class JsonReaderPool {
 public:
  std::optional<nlohmann::json> pruned(std::string_view text, KeepMember keep);
  std::optional<nlohmann::json> identity(std::string_view text);

 private:
  std::unique_ptr<JsonReader> take();
  void give_back(std::unique_ptr<JsonReader> reader);

  std::mutex mutex_;
  std::vector<std::unique_ptr<JsonReader>> idle_;
};

namespace detail {
// nlohmann's reader alone (a builder that reads past a dropped member without allocating
// anything for it): what the functions above fall back on, and their reference in tests.
std::optional<nlohmann::json> parse_pruned_by_nlohmann(std::string_view text, KeepMember keep);
std::optional<nlohmann::json> parse_identity_by_nlohmann(std::string_view text);
}  // namespace detail

// Rules shared by the client and the watch.
namespace keep {
// An object's apiVersion, kind and metadata, without metadata.managedFields: what identifies
// the version a write produced.
bool identity(std::span<const std::string_view> path, std::string_view name);
// Everything but the field sets (fieldsV1) of metadata.managedFields, of a watch event's
// object ({"type", "object"}) or of a list's items ({"items": [...]}). Nothing in secprov
// reads which fields a manager owns, only who wrote an object and how; the field sets are
// most of a small object's members.
bool all_but_field_sets(std::span<const std::string_view> path, std::string_view name);
}  // namespace keep

}  // namespace secprov::kube

#pragma once
// Parsing the API server's JSON without building what no caller reads. nlohmann's parser
// callback would build each dropped value before discarding it; this builder reads past a
// dropped member without allocating anything for it.

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

namespace secprov::kube {

// Whether the member `name` of the object at `path` is built. `path` names the containers from
// the root: member names, and "*" for an array's items. E.g. a watch event's managedFields
// entries are at {"object", "metadata", "managedFields", "*"}.
using KeepMember = bool (*)(std::span<const std::string_view> path, std::string_view name);

// The value of `text` without the members `keep` refuses; nullopt when `text` is not JSON.
std::optional<nlohmann::json> parse_pruned(std::string_view text, KeepMember keep);

// An object's apiVersion, kind and metadata without metadata.managedFields (keep::identity).
// The API server writes those three members first, so reading stops once they are built: the
// rest of a write's answer (a Secret's data, a profile's spec and status) is not even scanned.
// nullopt when `text` is not JSON up to that point.
std::optional<nlohmann::json> parse_identity(std::string_view text);

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

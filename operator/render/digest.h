#pragma once
// Content digests of Secret/ConfigMap data, for the content-digest annotation, for
// status.objects[].digest and for per-key drift reports. Digests are over the data exactly
// as it appears in the manifest (Secret values base64, ConfigMap values plain), so the
// digest of a desired object and of an observed object compare directly. Pass only the
// keys the operator manages: foreign keys added by others are not drift.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace secprov::render {

// "sha256:<hex>" over the canonical serialization of a data map: a JSON object of strings,
// keys sorted, no whitespace (nlohmann dump()). An empty object has a digest too.
// Throws std::invalid_argument unless data_object is an object of strings.
std::string content_digest(const nlohmann::json& data_object);

// key -> "sha256:<hex>" of that key's value. Same input contract as content_digest.
std::map<std::string, std::string> key_digests(const nlohmann::json& data_object);

}  // namespace secprov::render

#pragma once
// The one digest scheme of everything the operator writes, used by drift detection, the
// input digest and status.objects[].digest:
//  - data digests: per key, the SHA-256 (hex) of the value as the consumer reads it (Secret
//    values base64-decoded, ConfigMap values as they are). The cache keeps only these for
//    Secrets, so private values never stay in memory; the object carries them in the
//    data-digests annotation, so an edit of any managed key shows.
//  - the object digest: "sha256:<hex>" over "key=digest" lines in key order (status).
//  - the input digest: "sha256:<hex>" of the canonical JSON of what the object was rendered
//    from; a different input digest means the spec changed, not that the object drifted.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace secprov::render {

inline constexpr std::string_view kInputDigestAnnotation = "secprov.io/input-digest";
inline constexpr std::string_view kDataDigestsAnnotation = "secprov.io/data-digests";

enum class DataEncoding {
  Base64,  // Secret data
  Plain,   // ConfigMap data
};

// The digest of one data value as the consumer reads it (a Secret value decoded).
std::string value_digest(std::string_view value);
// Per-key SHA-256 hex (value_digest). Non-string values are skipped; a Secret value that is not
// base64 gets the digest of its text, so tampering with it still shows.
std::map<std::string, std::string> data_digests(const nlohmann::json& data, DataEncoding encoding);
// The encoding of an object's data from its kind.
DataEncoding data_encoding_of(const nlohmann::json& object);

// "sha256:<hex>" over "key=digest\n" lines in key order.
std::string object_digest(const std::map<std::string, std::string>& data_digests);

// "sha256:<hex>" of value.dump() (nlohmann objects are key-sorted: canonical).
std::string json_digest(const nlohmann::json& value);
// The json_digest of what an object is rendered from.
std::string input_digest(const nlohmann::json& inputs);

// The object with its input-digest and data-digests annotations set.
nlohmann::json with_digests(nlohmann::json object, std::string_view input_digest);

// The data-digests an object records about itself (empty when absent or unreadable;
// `readable` false when present but not a JSON map of strings).
std::map<std::string, std::string> recorded_data_digests(const nlohmann::json& object,
                                                         bool* readable = nullptr);

}  // namespace secprov::render

#include "controllers/observed.h"

#include "crypto/encoding.h"

namespace secprov::controllers {

bool is_public_secret_key(const std::string& key) {
  return key == "tls.crt" || key == "ca.crt";
}

std::map<std::string, std::string> data_digests_of_secret_data(const nlohmann::json& data) {
  std::map<std::string, std::string> digests;
  if (!data.is_object()) return digests;
  for (const auto& [key, value] : data.items()) {
    if (!value.is_string()) continue;
    const auto decoded = crypto::base64_decode(value.get<std::string>());
    // An undecodable value still gets a digest (of its text), so tampering with it shows.
    digests[key] = crypto::sha256_hex(decoded ? *decoded : value.get<std::string>());
  }
  return digests;
}

std::map<std::string, std::string> data_digests_of_config_map_data(const nlohmann::json& data) {
  std::map<std::string, std::string> digests;
  if (!data.is_object()) return digests;
  for (const auto& [key, value] : data.items()) {
    if (value.is_string()) digests[key] = crypto::sha256_hex(value.get<std::string>());
  }
  return digests;
}

nlohmann::json strip_secret_data(nlohmann::json secret) {
  auto& data = secret["data"];
  if (!data.is_object()) data = nlohmann::json::object();
  secret[kCachedDigestsField] = data_digests_of_secret_data(data);
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& [key, value] : data.items()) {
    if (is_public_secret_key(key)) kept[key] = value;
  }
  data = std::move(kept);
  // managedFields carry no values but are large; the operator never reads them.
  if (secret.contains("metadata")) secret["metadata"].erase("managedFields");
  return secret;
}

std::string combined_digest(const std::map<std::string, std::string>& key_digests) {
  std::string text;
  for (const auto& [key, digest] : key_digests) text += key + "=" + digest + "\n";
  return "sha256:" + crypto::sha256_hex(text);
}

Observation observe(const nlohmann::json* cached, const std::map<std::string, std::string>& labels,
                    const std::string& owner_uid) {
  Observation observation;
  if (cached == nullptr) return observation;
  observation.exists = true;
  const auto& metadata = cached->value("metadata", nlohmann::json::object());

  const auto observed_labels = metadata.value("labels", nlohmann::json::object());
  observation.labels_intact = true;
  for (const auto& [key, value] : labels) {
    if (observed_labels.value(key, std::string{}) != value) observation.labels_intact = false;
  }

  for (const auto& reference : metadata.value("ownerReferences", nlohmann::json::array())) {
    if (reference.value("uid", std::string{}) == owner_uid &&
        reference.value("controller", false)) {
      observation.owner_intact = true;
    }
  }
  if (owner_uid.empty()) observation.owner_intact = true;  // objects without an owner

  const auto annotations = metadata.value("annotations", nlohmann::json::object());
  observation.input_digest = annotations.value(kInputDigestAnnotation, std::string{});

  const bool is_secret = cached->value("kind", std::string{}) == "Secret";
  const std::map<std::string, std::string> actual =
      cached->contains(kCachedDigestsField)
          ? cached->at(kCachedDigestsField).get<std::map<std::string, std::string>>()
          : (is_secret
                 ? data_digests_of_secret_data(cached->value("data", nlohmann::json::object()))
                 : data_digests_of_config_map_data(
                       cached->value("data", nlohmann::json::object())));
  std::map<std::string, std::string> recorded;
  try {
    recorded = nlohmann::json::parse(annotations.value(kDataDigestsAnnotation, std::string{"{}"}))
                   .get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception&) {
    recorded.clear();  // an edited annotation: every key counts as modified below
    for (const auto& [key, digest] : actual) observation.drifted_keys[key] = KeyDrift::Modified;
  }
  std::map<std::string, std::string> managed_actual;
  for (const auto& [key, digest] : recorded) {
    const auto found = actual.find(key);
    if (found == actual.end()) {
      observation.drifted_keys[key] = KeyDrift::Removed;
    } else {
      managed_actual[key] = found->second;
      if (found->second != digest) observation.drifted_keys[key] = KeyDrift::Modified;
    }
  }
  observation.content_digest = combined_digest(managed_actual);
  return observation;
}

}  // namespace secprov::controllers

#include "controllers/observed.h"

#include "api/constants.h"
#include "render/digest.h"
#include "render/labels.h"
#include "runtime/object.h"

namespace secprov::controllers {

bool is_public_secret_key(const std::string& key) {
  return key == "tls.crt" || key == "ca.crt";
}

nlohmann::json strip_secret_data(nlohmann::json secret) {
  auto& data = secret["data"];
  if (!data.is_object()) data = nlohmann::json::object();
  secret[kCachedDigestsField] = render::data_digests(data, render::DataEncoding::Base64);
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& [key, value] : data.items()) {
    if (is_public_secret_key(key)) kept[key] = value;
  }
  data = std::move(kept);
  // managedFields carry no values but are large; the operator never reads them.
  if (secret.contains("metadata")) secret["metadata"].erase("managedFields");
  return secret;
}

nlohmann::json strip_config_map_data(nlohmann::json config_map) {
  if (!runtime::label_of(config_map, render::kProfileLabel)) return config_map;
  const auto data = config_map.find("data");
  config_map[kCachedDigestsField] = data != config_map.end() && data->is_object()
                                        ? render::data_digests(*data, render::DataEncoding::Plain)
                                        : std::map<std::string, std::string>{};
  config_map["data"] = nlohmann::json::object();
  return config_map;
}

nlohmann::json strip_profile_status(nlohmann::json profile) {
  if (!profile.is_object() || !profile.contains("status") || !profile["status"].is_object()) {
    return profile;
  }
  nlohmann::json status = std::move(profile["status"]);
  profile[kCachedStatusDigestField] = render::json_digest(status);
  nlohmann::json kept = nlohmann::json::object();
  for (const char* field : {"observedGeneration", "nfInstanceId", "consistency"}) {
    if (status.contains(field)) kept[field] = std::move(status[field]);
  }
  if (status.contains("conditions") && status["conditions"].is_array()) {
    nlohmann::json conditions = nlohmann::json::array();
    for (auto& condition : status["conditions"]) {
      if (condition.is_object() && condition.value("type", "") == api::kConditionConsistent) {
        conditions.push_back(std::move(condition));
      }
    }
    kept["conditions"] = std::move(conditions);
  }
  profile["status"] = std::move(kept);
  return profile;
}

bool is_stripped_profile(const nlohmann::json& object) {
  return object.is_object() && object.contains(kCachedStatusDigestField);
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

  observation.input_digest =
      runtime::annotation_of(*cached, render::kInputDigestAnnotation).value_or("");

  const std::map<std::string, std::string> actual =
      cached->contains(kCachedDigestsField)
          ? cached->at(kCachedDigestsField).get<std::map<std::string, std::string>>()
          : render::data_digests(cached->value("data", nlohmann::json::object()),
                                 render::data_encoding_of(*cached));
  bool readable = true;
  const auto recorded = render::recorded_data_digests(*cached, &readable);
  if (!readable) {
    // An edited annotation: every key counts as modified.
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
  observation.object_digest = render::object_digest(managed_actual);
  return observation;
}

}  // namespace secprov::controllers

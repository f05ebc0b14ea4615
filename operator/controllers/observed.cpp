#include "controllers/observed.h"

#include "api/constants.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "render/digest.h"
#include "render/labels.h"
#include "render/names.h"
#include "runtime/object.h"

namespace secprov::controllers {

nlohmann::json compact_metadata(nlohmann::json object, MetadataKept kept) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return object;
  if (!kept.creation_time) metadata->erase("creationTimestamp");
  if (!kept.writers) {
    metadata->erase("managedFields");
  } else if (const auto fields = metadata->find("managedFields");
             fields != metadata->end() && fields->is_array()) {
    for (auto& entry : *fields) {
      if (!entry.is_object()) continue;
      entry.erase("fieldsV1");
      entry.erase("fieldsType");
      entry.erase("time");
    }
  }
  if (const auto annotations = metadata->find("annotations");
      !kept.last_applied && annotations != metadata->end() && annotations->is_object()) {
    annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
  }
  return object;
}

namespace {

// A data value base64-decoded; nullopt when absent, not a string or not base64.
std::optional<std::string> decoded_value(const nlohmann::json& data, std::string_view key) {
  return data_value(data, key, DataEncoding::Base64);
}

// The first certificate of a PEM text, as a TLS Secret's consumer reads tls.crt.
std::optional<crypto::Certificate> leaf_in(const std::optional<std::string>& pem) {
  if (!pem) return std::nullopt;
  try {
    return crypto::Certificate::from_pem(*pem);
  } catch (const crypto::CryptoError&) {
    return std::nullopt;
  }
}

// The fingerprints of ca.crt's certificates, from their PEM blocks (no X.509 parse).
std::set<std::string> fingerprints_in(const std::optional<std::string>& pem) {
  std::set<std::string> fingerprints;
  if (!pem) return fingerprints;
  for (const auto& der : crypto::certificate_der_blocks(*pem)) {
    fingerprints.insert(crypto::sha256_hex(der));
  }
  return fingerprints;
}

// The digests of an object's data as the transform keeps them. An object as the operator wrote
// it carries the same digests in its data-digests annotation: then `true` stands for them, so
// the cache does not hold them twice. Any other object (its data or annotation edited) keeps
// its own.
nlohmann::json digests_field(const nlohmann::json& object,
                             std::map<std::string, std::string> actual) {
  bool readable = true;
  if (render::recorded_data_digests(object, &readable) == actual && readable) return true;
  return nlohmann::json(std::move(actual));
}

// What digests_field kept, as digests. The annotation is parsed only when it stands for them,
// unless the caller already has it (`recorded`).
std::map<std::string, std::string> cached_digests(
    const nlohmann::json& object, const std::map<std::string, std::string>* recorded = nullptr) {
  const auto& field = object.at(kCachedDigestsField);
  if (field.is_boolean())
    return recorded != nullptr ? *recorded : render::recorded_data_digests(object);
  return field.is_object() ? field.get<std::map<std::string, std::string>>()
                           : std::map<std::string, std::string>{};
}

bool is_stripped_secret(const nlohmann::json& secret) {
  return secret.is_object() && secret.contains(kCachedDigestsField);
}

}  // namespace

std::optional<std::string> data_value(const nlohmann::json& data, std::string_view key,
                                      DataEncoding encoding) {
  // at() rather than iterators: GCC's -Wnull-dereference misreads json iterators.
  if (!data.is_object() || !data.contains(key) || !data.at(key).is_string()) return std::nullopt;
  const auto& value = data.at(key).get_ref<const std::string&>();
  if (encoding == DataEncoding::Plain) return value;
  return crypto::base64_decode(value);
}

nlohmann::json strip_secret_data(nlohmann::json secret) {
  auto& data = secret["data"];
  if (!data.is_object()) data = nlohmann::json::object();
  secret[kCachedDigestsField] =
      digests_field(secret, render::data_digests(data, render::DataEncoding::Base64));
  if (data.contains(render::kTlsCertificateKey)) {
    // Parsed once here: a reconcile reads the facts back many times.
    const auto leaf = leaf_in(decoded_value(data, render::kTlsCertificateKey));
    std::string facts;
    try {
      if (leaf) facts = crypto::LeafFacts::of(*leaf).encode();
    } catch (const crypto::CryptoError&) {
      facts.clear();  // kept as unreadable
    }
    secret[kCachedLeafField] = nlohmann::json::binary({facts.begin(), facts.end()});
  }
  if (data.contains(render::kCaBundleKey)) {
    secret[kCachedCaFingerprintsField] = fingerprints_in(decoded_value(data, render::kCaBundleKey));
  }
  data = nlohmann::json::object();
  // managedFields carry no values but are large; the operator never reads them.
  if (secret.contains("metadata")) secret["metadata"].erase("managedFields");
  return secret;
}

nlohmann::json strip_config_map_data(nlohmann::json config_map) {
  if (!runtime::label_of(config_map, render::kProfileLabel)) return config_map;
  const auto data = config_map.find("data");
  config_map[kCachedDigestsField] =
      digests_field(config_map, data != config_map.end() && data->is_object()
                                    ? render::data_digests(*data, render::DataEncoding::Plain)
                                    : std::map<std::string, std::string>{});
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

std::string secret_value_digest(const nlohmann::json& secret, std::string_view key) {
  if (!is_stripped_secret(secret)) {
    const auto digests =
        render::data_digests(secret.value("data", nlohmann::json()), render::DataEncoding::Base64);
    const auto found = digests.find(std::string(key));
    return found != digests.end() ? found->second : std::string{};
  }
  const auto digests = cached_digests(secret);
  const auto found = digests.find(std::string(key));
  return found != digests.end() ? found->second : std::string{};
}

std::optional<crypto::LeafFacts> secret_leaf(const nlohmann::json& secret) {
  if (!is_stripped_secret(secret)) {
    const auto leaf = secret_certificate(secret);
    try {
      return leaf ? std::optional(crypto::LeafFacts::of(*leaf)) : std::nullopt;
    } catch (const crypto::CryptoError&) {
      return std::nullopt;
    }
  }
  const auto found = secret.find(kCachedLeafField);
  if (found == secret.end() || !found->is_binary()) return std::nullopt;
  const auto& bytes = found->get_binary();
  return crypto::LeafFacts::decode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::optional<crypto::Certificate> secret_certificate(const nlohmann::json& secret) {
  if (is_stripped_secret(secret)) return std::nullopt;
  return leaf_in(decoded_value(secret.value("data", nlohmann::json()), render::kTlsCertificateKey));
}

std::optional<std::set<std::string>> secret_ca_fingerprints(const nlohmann::json& secret) {
  if (!is_stripped_secret(secret)) {
    const auto data = secret.value("data", nlohmann::json());
    if (!data.is_object() || !data.contains(render::kCaBundleKey)) return std::nullopt;
    return fingerprints_in(decoded_value(data, render::kCaBundleKey));
  }
  // The array itself, not json iterators, which GCC's -Wnull-dereference misreads.
  const auto* list =
      secret.contains(kCachedCaFingerprintsField)
          ? secret.at(kCachedCaFingerprintsField).get_ptr<const nlohmann::json::array_t*>()
          : nullptr;
  if (list == nullptr) return std::nullopt;
  std::set<std::string> fingerprints;
  for (const auto& fingerprint : *list) {
    if (fingerprint.is_string()) fingerprints.insert(fingerprint.get<std::string>());
  }
  return fingerprints;
}

bool is_stripped_profile(const nlohmann::json& object) {
  return object.is_object() && object.contains(kCachedStatusDigestField);
}

Observation observe(const nlohmann::json* cached, const std::map<std::string, std::string>& labels,
                    const std::string& owner_uid) {
  Observation observation;
  if (cached == nullptr) return observation;
  observation.exists = true;
  observation.labels_intact = true;
  for (const auto& [key, value] : labels) {
    if (runtime::label_of(*cached, key) != value) observation.labels_intact = false;
  }

  for (const auto& reference : runtime::owner_references_of(*cached)) {
    if (reference.uid == owner_uid && reference.controller) observation.owner_intact = true;
  }
  if (owner_uid.empty()) observation.owner_intact = true;  // objects without an owner

  observation.input_digest =
      runtime::annotation_of(*cached, render::kInputDigestAnnotation).value_or("");

  bool readable = true;
  const auto recorded = render::recorded_data_digests(*cached, &readable);
  const std::map<std::string, std::string> actual =
      cached->contains(kCachedDigestsField)
          ? cached_digests(*cached, &recorded)
          : render::data_digests(cached->value("data", nlohmann::json::object()),
                                 render::data_encoding_of(*cached));
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

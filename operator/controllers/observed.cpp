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
  // at() rather than iterators: GCC's -Wnull-dereference misreads json iterators.
  if (!object.is_object() || !object.contains("metadata") || !object.at("metadata").is_object()) {
    return object;
  }
  auto& metadata = object.at("metadata");
  if (!kept.creation_time) metadata.erase("creationTimestamp");
  if (!kept.writers) {
    metadata.erase("managedFields");
  } else if (metadata.contains("managedFields") && metadata.at("managedFields").is_array()) {
    for (auto& entry : metadata.at("managedFields")) {
      if (!entry.is_object()) continue;
      entry.erase("fieldsV1");
      entry.erase("fieldsType");
      entry.erase("time");
    }
  }
  if (!kept.last_applied && metadata.contains("annotations") &&
      metadata.at("annotations").is_object()) {
    metadata.at("annotations").erase("kubectl.kubernetes.io/last-applied-configuration");
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

// The facts of the first certificate of a PEM text (tls.crt's leaf), from its DER as stored:
// one parse, no encoding back. nullopt when there is none or it cannot be read.
std::optional<crypto::LeafFacts> leaf_facts_in(const std::optional<std::string>& pem) {
  if (!pem) return std::nullopt;
  const auto blocks = crypto::certificate_der_blocks(*pem);
  if (blocks.empty()) return std::nullopt;
  try {
    return crypto::LeafFacts::of_der(blocks.front());
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

bool is_stripped(const nlohmann::json& object) {
  return object.is_object() && object.contains(kCachedDigestsField);
}

// The digests the data-digests annotation records, of an object as the API server has it or
// as the transform left it (kCachedRecordedDigestsField).
std::map<std::string, std::string> recorded_digests(const nlohmann::json& object,
                                                    bool* readable = nullptr) {
  if (!is_stripped(object)) return render::recorded_data_digests(object, readable);
  if (readable != nullptr) *readable = true;
  if (!object.contains(kCachedRecordedDigestsField)) return {};  // no annotation
  const auto& field = object.at(kCachedRecordedDigestsField);
  if (!field.is_object()) {
    if (readable != nullptr) *readable = false;
    return {};
  }
  return field.get<std::map<std::string, std::string>>();
}

// The transform's digests: the data's (kCachedDigestsField) and the annotation's, parsed, in
// place of its text. An object as the operator wrote it carries the same digests in both:
// then `true` stands for the data's, so the cache does not hold them twice. Any other object
// (its data or annotation edited) keeps its own.
void keep_digests(nlohmann::json& object, std::map<std::string, std::string> actual) {
  bool readable = true;
  const auto recorded = render::recorded_data_digests(object, &readable);
  object[kCachedDigestsField] =
      recorded == actual && readable ? nlohmann::json(true) : nlohmann::json(std::move(actual));
  // at() rather than iterators: GCC's -Wnull-dereference misreads json iterators.
  if (!object.contains("metadata") || !object.at("metadata").is_object() ||
      !object.at("metadata").contains("annotations")) {
    return;
  }
  auto& annotations = object.at("metadata").at("annotations");
  if (!annotations.is_object() || !annotations.contains(render::kDataDigestsAnnotation)) return;
  object[kCachedRecordedDigestsField] = readable ? nlohmann::json(recorded) : nlohmann::json(false);
  annotations.erase(render::kDataDigestsAnnotation);
}

// What keep_digests kept of the data's digests. The recorded ones are read only when they
// stand for them, unless the caller already has them (`recorded`).
std::map<std::string, std::string> cached_digests(
    const nlohmann::json& object, const std::map<std::string, std::string>* recorded = nullptr) {
  const auto& field = object.at(kCachedDigestsField);
  if (field.is_boolean()) return recorded != nullptr ? *recorded : recorded_digests(object);
  return field.is_object() ? field.get<std::map<std::string, std::string>>()
                           : std::map<std::string, std::string>{};
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

void CertificateFactsMemo::remember(std::string_view field, const std::string& value_digest,
                                    nlohmann::json entry) {
  if (capacity_ == 0) return;
  auto key = std::string(field) + " " + value_digest;
  std::lock_guard lock(mutex_);
  const auto [it, inserted] = entries_.insert_or_assign(key, std::move(entry));
  if (!inserted) return;
  order_.push_back(std::move(key));
  if (order_.size() > capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<nlohmann::json> CertificateFactsMemo::recall(std::string_view field,
                                                           const std::string& value_digest) const {
  const auto key = std::string(field) + " " + value_digest;
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(key);
  if (found == entries_.end()) return std::nullopt;
  return found->second;
}

namespace {

// What the cache keeps of tls.crt's leaf (kCachedLeafField): its encoded facts, empty when
// there is none or it cannot be read.
nlohmann::json leaf_facts_entry(const std::optional<crypto::LeafFacts>& leaf) {
  const std::string facts = leaf ? leaf->encode() : std::string{};
  return nlohmann::json::binary({facts.begin(), facts.end()});
}

}  // namespace

nlohmann::json strip_secret_data(nlohmann::json secret, CertificateFactsMemo* memo) {
  auto& data = secret["data"];
  if (!data.is_object()) data = nlohmann::json::object();
  // The API server keeps a Secret's values as bytes and serves them base64-encoded, so each
  // digest here is that of the decoded value, as the memo's are.
  auto digests = render::data_digests(data, render::DataEncoding::Base64);
  const auto recalled = [&](const char* field, const std::string& digest) {
    return memo != nullptr ? memo->recall(field, digest) : std::nullopt;
  };
  // Parsed once here: a reconcile reads the facts back many times. Unreadable: empty.
  if (const auto tls = digests.find(std::string(render::kTlsCertificateKey));
      tls != digests.end()) {
    auto leaf = recalled(kCachedLeafField, tls->second);
    secret[kCachedLeafField] =
        leaf ? std::move(*leaf)
             : leaf_facts_entry(leaf_facts_in(decoded_value(data, render::kTlsCertificateKey)));
  }
  if (const auto ca = digests.find(std::string(render::kCaBundleKey)); ca != digests.end()) {
    auto fingerprints = recalled(kCachedCaFingerprintsField, ca->second);
    if (!fingerprints) {
      const auto bundle = decoded_value(data, render::kCaBundleKey);
      fingerprints = nlohmann::json(fingerprints_in(bundle));
      if (memo != nullptr && bundle)
        memo->remember(kCachedCaFingerprintsField, ca->second, *fingerprints);
    }
    secret[kCachedCaFingerprintsField] = std::move(*fingerprints);
  }
  keep_digests(secret, std::move(digests));
  data = nlohmann::json::object();
  // managedFields carry no values but are large; the operator never reads them.
  if (secret.contains("metadata")) secret["metadata"].erase("managedFields");
  return secret;
}

crypto::LeafFacts issued_leaf_facts(const crypto::Certificate& issued, const std::string& chain_pem,
                                    CertificateFactsMemo* memo) {
  auto facts = crypto::LeafFacts::of(issued);
  if (memo != nullptr) {
    memo->remember(kCachedLeafField, render::value_digest(chain_pem), leaf_facts_entry(facts));
  }
  return facts;
}

nlohmann::json strip_config_map_data(nlohmann::json config_map) {
  if (!runtime::label_of(config_map, render::kProfileLabel)) return config_map;
  const auto data = config_map.find("data");
  keep_digests(config_map, data != config_map.end() && data->is_object()
                               ? render::data_digests(*data, render::DataEncoding::Plain)
                               : std::map<std::string, std::string>{});
  config_map["data"] = nlohmann::json::object();
  return config_map;
}

namespace {

// A status's Consistent condition; null without one.
const nlohmann::json* consistent_condition(const nlohmann::json& status) {
  if (!status.is_object() || !status.contains("conditions")) return nullptr;
  const auto& conditions = status.at("conditions");
  if (!conditions.is_array()) return nullptr;
  for (const auto& condition : conditions) {
    if (condition.is_object() && condition.value("type", "") == api::kConditionConsistent) {
      return &condition;
    }
  }
  return nullptr;
}

}  // namespace

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
  if (const auto* condition = consistent_condition(status)) {
    profile[kCachedConsistentDigestField] = render::json_digest(*condition);
  }
  profile["status"] = std::move(kept);
  return profile;
}

std::string consistent_condition_digest(const nlohmann::json& profile) {
  if (is_stripped_profile(profile)) {
    return profile.contains(kCachedConsistentDigestField)
               ? profile.at(kCachedConsistentDigestField).get<std::string>()
               : std::string{};
  }
  const auto* status = profile.is_object() && profile.contains("status")
                           ? &profile.at("status")
                           : static_cast<const nlohmann::json*>(nullptr);
  const auto* condition = status != nullptr ? consistent_condition(*status) : nullptr;
  return condition != nullptr ? render::json_digest(*condition) : std::string{};
}

std::string secret_value_digest(const nlohmann::json& secret, std::string_view key) {
  if (!is_stripped(secret)) {
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
  if (!is_stripped(secret)) {
    return leaf_facts_in(
        decoded_value(secret.value("data", nlohmann::json()), render::kTlsCertificateKey));
  }
  const auto found = secret.find(kCachedLeafField);
  if (found == secret.end() || !found->is_binary()) return std::nullopt;
  const auto& bytes = found->get_binary();
  return crypto::LeafFacts::decode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::optional<crypto::Certificate> secret_certificate(const nlohmann::json& secret) {
  if (is_stripped(secret)) return std::nullopt;
  return leaf_in(decoded_value(secret.value("data", nlohmann::json()), render::kTlsCertificateKey));
}

std::optional<std::set<std::string>> secret_ca_fingerprints(const nlohmann::json& secret) {
  if (!is_stripped(secret)) {
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
  const auto recorded = recorded_digests(*cached, &readable);
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

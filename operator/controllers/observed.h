#pragma once
// What the operator can tell about one generated object from its cache, without keeping
// Secret plaintext in memory. The Secret transform (applied by the reflector before an
// object is stored) replaces every data value by its SHA-256 digest, so drift is detected per
// key from digests, and keeps of the certificates only what is read back: the leaf's facts
// (crypto::LeafFacts, a third of its DER) and the fingerprints of the trust bundle (a tenth of
// their base64 PEM).

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "crypto/certificate.h"
#include "crypto/leaf_facts.h"

namespace secprov::controllers {

// Store-only fields added by the transform; never sent to the API server.
// The data's digests by key, or `true` when they are those its data-digests annotation records
// (an object as the operator wrote it), which are then not kept twice.
inline constexpr const char* kCachedDigestsField = "secprov:dataDigests";
// The data-digests annotation (render/digest.h) parsed: an object of digests by key, or
// `false` when it does not parse; absent with the annotation, whose text the transform drops
// (as hex strings its digests pack to half its size, runtime/packed.h).
inline constexpr const char* kCachedRecordedDigestsField = "secprov:recordedDigests";
// tls.crt's first certificate as crypto::LeafFacts::encode (binary); empty when tls.crt holds
// none or it does not parse.
inline constexpr const char* kCachedLeafField = "secprov:leaf";
// The SHA-256 fingerprints of the certificates (PEM blocks) in ca.crt; empty when none.
inline constexpr const char* kCachedCaFingerprintsField = "secprov:caFingerprints";

// What a cache keeps of metadata.managedFields and kubectl's last-applied annotation.
struct MetadataKept {
  // Who wrote and how (manager, operation), without the field sets that make up most of a
  // small object's size: ownership reads them to adopt an object secprov wrote. Caches whose
  // objects are never adopted drop managedFields altogether.
  bool writers = true;
  // kubectl's last-applied copy of the object: only kept by caches whose objects are PUT back
  // whole (a PUT from the cache would drop it on the server).
  bool last_applied = false;
  // metadata.creationTimestamp: nothing reads it from the caches with an object or more per
  // profile (some 20 bytes of each); those PUT back whole keep it.
  bool creation_time = false;
};

// The reflector transform every cache applies first: metadata as `kept` says.
nlohmann::json compact_metadata(nlohmann::json object, MetadataKept kept);

// One value of a Secret's or ConfigMap's `data` (a Secret's is base64, decoded here); nullopt
// when absent or not a string.
enum class DataEncoding { Plain, Base64 };
std::optional<std::string> data_value(const nlohmann::json& data, std::string_view key,
                                      DataEncoding encoding);

// What the Secret transform derives from a certificate value (the kCachedLeafField and
// kCachedCaFingerprintsField entries), by that value's digest (render::value_digest): the
// reconciler that issues a certificate tells it the leaf facts it already has, so the watch
// event of the Secret it writes is not decoded and parsed again, and a trust bundle that every
// profile of a trust domain carries is read once. A digest names the bytes the entry was
// derived from, so an entry found is what the transform would compute. Holds public facts only;
// the oldest entry goes first beyond `capacity`. Shared by the reflectors and the workers.
class CertificateFactsMemo {
 public:
  explicit CertificateFactsMemo(std::size_t capacity = 256) : capacity_(capacity) {}
  void remember(std::string_view field, const std::string& value_digest, nlohmann::json entry);
  std::optional<nlohmann::json> recall(std::string_view field,
                                       const std::string& value_digest) const;

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::map<std::string, nlohmann::json, std::less<>> entries_;  // by "<field> <digest>"
  std::deque<std::string> order_;                               // oldest first
};

// The reflector transform for managed Secrets: base64-decodes each data value, records its
// digest under kCachedDigestsField, the certificates' facts above, and drops every value.
// With a memo, facts it holds for a value's digest are taken as they are, and a trust
// bundle's fingerprints are remembered.
nlohmann::json strip_secret_data(nlohmann::json secret, CertificateFactsMemo* memo = nullptr);
// The facts of a certificate the operator has just issued, remembered in `memo` (when not
// null) for the Secret about to carry `chain_pem` (that certificate first) as tls.crt.
crypto::LeafFacts issued_leaf_facts(const crypto::Certificate& issued, const std::string& chain_pem,
                                    CertificateFactsMemo* memo);

// Readers of a Secret as the transform left it, or as the API server has it (then parsed
// from data): the digest of a data key (empty when absent), tls.crt's leaf (nullopt when
// absent or unreadable), ca.crt's fingerprints (nullopt when there is no ca.crt).
std::string secret_value_digest(const nlohmann::json& secret, std::string_view key);
std::optional<crypto::LeafFacts> secret_leaf(const nlohmann::json& secret);
// tls.crt's first certificate of a Secret as the API server has it (a cached one keeps only
// its facts, so nullopt); nullopt when absent or unreadable.
std::optional<crypto::Certificate> secret_certificate(const nlohmann::json& secret);
std::optional<std::set<std::string>> secret_ca_fingerprints(const nlohmann::json& secret);

// The reflector transform for managed ConfigMaps: a profile's ConfigMap (it carries the
// profile label) keeps only the digests of its data, since drift is judged from them and
// nothing reads its values back (an Open5GS or free5GC file can be several KiB); others, the
// trust bundles, keep their data, which the trust-domain controllers read.
nlohmann::json strip_config_map_data(nlohmann::json config_map);

// Store-only field of a cached SecurityProfile (strip_profile_status): the json_digest of its
// whole status, which the status writer compares with the status it would write.
inline constexpr const char* kCachedStatusDigestField = "secprov:statusDigest";
// Store-only field of a cached SecurityProfile: the json_digest of its Consistent condition
// (absent without one), all that event handlers compare of it.
inline constexpr const char* kCachedConsistentDigestField = "secprov:consistentDigest";

// The reflector transform for SecurityProfiles, applied once the typed cache has parsed the
// whole object (TypedStore::admit): the status keeps only what event handlers compare between
// two versions of a profile (observedGeneration, nfInstanceId, consistency, and the
// Consistent condition as its digest) and the whole status's digest. Most of a cached profile
// was its conditions, which the typed cache holds too.
nlohmann::json strip_profile_status(nlohmann::json profile);
// Whether `object` is a profile as strip_profile_status left it: only the typed cache holds
// its status, so it must not be parsed again.
bool is_stripped_profile(const nlohmann::json& object);
// The json_digest of a profile's Consistent condition, cached or as the API server has it;
// empty without one.
std::string consistent_condition_digest(const nlohmann::json& profile);

enum class KeyDrift { Modified, Removed };

struct Observation {
  bool exists = false;
  bool labels_intact = false;  // every label the operator sets is present with its value
  bool owner_intact = false;   // the controller ownerReference points at the profile
  std::string input_digest;    // from the annotation; empty when absent
  std::map<std::string, KeyDrift> drifted_keys;  // managed keys changed since written
  std::string object_digest;  // render::object_digest of the observed managed keys

  bool drifted() const {
    return exists && (!labels_intact || !owner_intact || !drifted_keys.empty());
  }
};

// Compares a cached object (after strip_secret_data or strip_config_map_data, or as fetched)
// with the labels,
// owner UID and data digests the operator recorded when it wrote it (render/digest.h).
Observation observe(const nlohmann::json* cached, const std::map<std::string, std::string>& labels,
                    const std::string& owner_uid);

}  // namespace secprov::controllers

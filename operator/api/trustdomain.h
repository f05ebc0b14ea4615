#pragma once
// TrustDomain (secprov.io/v1alpha1, cluster-scoped): an operator PKI domain and its CA.
// Same conventions as securityprofile.h: parse applies the CRD defaults and rejects unknown
// fields; validate mirrors every schema and CEL rule of crds/secprov.io_trustdomains.yaml.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/condition.h"
#include "api/constants.h"
#include "api/enums.h"
#include "api/errors.h"
#include "api/meta.h"
#include "api/time.h"

namespace secprov::api {

// The renewal margin applied to a trust domain's CA: the default renewBefore of NF
// certificates (kDefaultRenewBefore, "720h"; a unit test keeps the two equal). When the CA
// ends within it, no NF certificate can get its full renewal margin any more.
inline constexpr std::chrono::hours kCaRenewBefore{720};
// A generated CA must outlive several renewal margins, or every certificate it issues is
// due for renewal almost at once.
inline constexpr std::chrono::hours kMinGeneratedCaDuration = 3 * kCaRenewBefore;
// Previous CAs kept in status (and in the trust bundles) while leaves still chain to them.
inline constexpr std::size_t kMaxPreviousCas = 3;
// A new CA (or a changed imported one) is accepted only when the user asks for it: a new
// value of this annotation on the TrustDomain, processed once per value.
inline constexpr std::string_view kReplaceCaAnnotation = "secprov.io/replace-ca";
inline constexpr std::size_t kMaxReplaceCaToken = 253;  // longer values are ignored
// Condition True while a staged CA rotation (status.rotation) is in progress.
inline constexpr std::string_view kConditionRotating = "Rotating";
// Names listed in status.rotation.waitingFor (the count says how many in all).
inline constexpr std::size_t kMaxRotationWaiting = 10;

// A staged rotation of a generated CA (replace-ca): the new CA is first added to every bundle
// (Distributing), then issues every leaf (Reissuing), then the old CA leaves the bundles
// (Retiring). No pair of the domain is ever without a common trust anchor.
enum class RotationPhase { Distributing, Reissuing, Retiring, Complete };
template <>
struct EnumTraits<RotationPhase> {
  static constexpr auto entries = std::to_array<std::pair<RotationPhase, std::string_view>>(
      {{RotationPhase::Distributing, "Distributing"},
       {RotationPhase::Reissuing, "Reissuing"},
       {RotationPhase::Retiring, "Retiring"},
       {RotationPhase::Complete, "Complete"}});
};

struct CaGenerate {
  KeyAlgorithm key_algorithm = kDefaultCaKeyAlgorithm;
  std::string duration{kDefaultCaDuration};  // Go duration
  friend bool operator==(const CaGenerate&, const CaGenerate&) = default;
};

struct SecretRef {
  std::string name;  // Secret in the operator's namespace
  friend bool operator==(const SecretRef&, const SecretRef&) = default;
};

// Exactly one of generate / secret_ref (validated).
struct CaSource {
  std::optional<CaGenerate> generate;
  std::optional<SecretRef> secret_ref;
  friend bool operator==(const CaSource&, const CaSource&) = default;
};

struct TrustDomainSpec {
  std::string domain;                       // e.g. 5gc.mnc001.mcc001.3gppnetwork.org
  std::string country;                      // ISO 3166 alpha-2
  std::optional<std::string> organization;  // see effective_organization()
  CaSource ca;
  friend bool operator==(const TrustDomainSpec&, const TrustDomainSpec&) = default;
};

// A CA replaced by a newer one, still trusted while leaves issued by it remain.
// Public material only.
struct PreviousCa {
  std::string fingerprint;  // SHA-256 of the certificate (DER), hex
  std::string certificate_pem;
  std::optional<Timestamp> not_after;
  friend bool operator==(const PreviousCa&, const PreviousCa&) = default;
};

// status.rotation: where a staged rotation stands. Public material only; with the key pair
// Secrets it is all a restarted operator needs to resume.
struct CaRotation {
  RotationPhase phase = RotationPhase::Distributing;
  std::string token;  // the replace-ca value that started it
  std::string new_ca_fingerprint;
  std::string new_ca_certificate_pem;
  std::optional<Timestamp> new_ca_not_after;
  std::string old_ca_fingerprint;
  std::string old_ca_certificate_pem;
  std::optional<Timestamp> phase_since;
  std::int64_t waiting_count = 0;        // profiles/objects the phase still waits for
  std::vector<std::string> waiting_for;  // sorted, at most kMaxRotationWaiting
  std::string message;
  friend bool operator==(const CaRotation&, const CaRotation&) = default;
};

// A rotation that has started and not completed.
bool rotation_in_progress(const std::optional<CaRotation>& rotation);

struct TrustDomainStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  // The CA accepted for issuing: SHA-256 of its certificate (DER), hex. Kept while its key
  // pair is missing or changed; only an explicit replacement changes it.
  std::string ca_fingerprint;
  std::optional<Timestamp> ca_not_after;
  std::string ca_secret_name;
  std::vector<PreviousCa> previous_cas;  // newest first, at most kMaxPreviousCas
  std::string ca_replacement_token;      // the last kReplaceCaAnnotation value processed
  std::optional<CaRotation> rotation;    // the current or last staged rotation
  friend bool operator==(const TrustDomainStatus&, const TrustDomainStatus&) = default;
};

struct TrustDomain {
  ObjectMeta metadata;
  TrustDomainSpec spec;
  TrustDomainStatus status;
  friend bool operator==(const TrustDomain&, const TrustDomain&) = default;
};

Result<TrustDomain> parse_trust_domain(const nlohmann::json& resource);
FieldErrors validate(const TrustDomain& domain);
FieldErrors check_trust_domain(const nlohmann::json& resource);

Result<TrustDomainStatus> parse_trust_domain_status(const nlohmann::json& status);
nlohmann::json to_json(const TrustDomainStatus& status);

// spec.organization, or spec.domain when absent.
std::string effective_organization(const TrustDomain& domain);
// CA validity as seconds (generate only; nullopt for an imported CA or a malformed value).
std::optional<std::chrono::seconds> ca_duration(const TrustDomain& domain);

// The kReplaceCaAnnotation value of the TrustDomain `resource` when it is not empty, at most
// kMaxReplaceCaToken characters and not yet processed (status.caReplacementToken).
std::optional<std::string> pending_ca_replacement(const nlohmann::json& resource,
                                                  const TrustDomainStatus& status);

// The trust bundle of a domain (PEM): the accepted CA `ca_pem`, then the new CA of a rotation
// in its Distributing phase, then each previous CA of `status` that has not expired at `now`
// (the overlap of a replacement). The same text goes
// into every bundle ConfigMap and every TLS Secret's ca.crt.
std::string trust_bundle_pem(std::string_view ca_pem, const TrustDomainStatus& status,
                             Timestamp now);

}  // namespace secprov::api

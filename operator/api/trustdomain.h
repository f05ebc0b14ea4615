#pragma once
// TrustDomain (secprov.io/v1alpha1, cluster-scoped): an operator PKI domain and its CA.
// Same conventions as securityprofile.h: parse applies the CRD defaults and rejects unknown
// fields; validate mirrors every schema and CEL rule of crds/secprov.io_trustdomains.yaml.

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/condition.h"
#include "api/constants.h"
#include "api/enums.h"
#include "api/errors.h"
#include "api/meta.h"
#include "api/time.h"

namespace secprov::api {

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

struct TrustDomainStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::string ca_fingerprint;  // SHA-256 of the CA certificate (DER), hex
  std::optional<Timestamp> ca_not_after;
  std::string ca_secret_name;
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

}  // namespace secprov::api

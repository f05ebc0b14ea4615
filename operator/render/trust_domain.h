#pragma once
// A trust domain's own objects: the CA a generated domain asks for, and the CA key-pair
// Secret in the operator namespace with its name. The reconciler obtains the key pair
// (crypto) and writes the Secret; what the Secret looks like is decided here.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/trustdomain.h"
#include "crypto/crl.h"
#include "crypto/key.h"
#include "crypto/template.h"

namespace secprov::render {

// On a generated CA key pair: the TrustDomain it was generated for (for people).
inline constexpr std::string_view kGeneratedForAnnotation = "secprov.io/generated-for";

// spec.ca.secretRef.name for an imported CA, else "<domain>-ca-keypair" (shortened with a
// hash when the domain's name leaves no room for the suffix: still a DNS subdomain).
std::string ca_secret_name(const api::TrustDomain& domain);

// Label selector of the operator-namespace Secret cache: CA key pairs carry
// secprov.io/trust-domain=<domain> (generated ones get it, imported ones must be given it;
// a rotation's next key pair also carries managed-by=secprov), and the operator's profile
// Secrets (secprov.io/profile) are cached elsewhere, as digests. A Secret without the label
// (a Helm release, a password) is never listed.
std::string ca_secret_selector();

// C=<spec.country>, O=<effective organization>, CN="<spec.domain> CA" (a domain too long
// for the 64 characters of a CN shortened with a hash, as object names are).
crypto::DistinguishedName ca_subject(const api::TrustDomain& domain);

// The CA a generated domain asks crypto for.
struct CaRequest {
  crypto::KeyAlgorithm key_algorithm;
  crypto::DistinguishedName subject;
  std::chrono::seconds validity;
};

// Throws RenderError naming the field when the domain does not generate its CA
// (spec.ca.generate), its duration is invalid (the API layer and the CRD reject both), or
// spec.domain is too long for the organization it stands in for (spec.organization).
CaRequest ca_request(const api::TrustDomain& domain);

// The CA key pair as obtained (PEM). Secret data: never logged.
struct CaMaterial {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8
};

// The CA key-pair Secret "<ca_secret_name>" in `operator_namespace` (kubernetes.io/tls,
// tls.crt and tls.key base64), labelled part-of=secprov and secprov.io/trust-domain, and
// annotated with kGeneratedForAnnotation and, when it answers one, the replace-ca token.
// It carries no managed-by label: the profile Secret cache must not list it.
// `existing_metadata` (the metadata of the Secret it replaces, or null) is kept, less its
// managedFields, so that resourceVersion makes the write conditional and others' labels
// and annotations survive.
nlohmann::json ca_key_pair_secret(const api::TrustDomain& domain,
                                  std::string_view operator_namespace, const CaMaterial& material,
                                  const std::optional<std::string>& replace_token,
                                  const nlohmann::json* existing_metadata);

// ---- Revocation (TS 33.310 Annex F.2: a CRL per CA) ----

// The domain's CRL ConfigMap "<domain>-crl" in the operator namespace, data key "ca.crl"
// (PEM). Public: a CRL holds serials and dates only.
inline constexpr std::string_view kCrlKey = "ca.crl";
// A CRL is valid for a day and reissued during its last third, so a consumer that fetched
// it recently never holds one past nextUpdate while the operator runs.
inline constexpr std::chrono::hours kCrlValidity{24};
inline constexpr std::chrono::hours kCrlRefreshBefore{8};

std::string crl_config_map_name(std::string_view trust_domain);

// A certificate of the domain revoked (replaced on a key edit or rotation, or its profile
// deleted). not_after bounds how long it is listed: an expired certificate is refused anyway
// (RFC 5280 3.3 lets the entry go then).
struct Revocation {
  std::string serial_hex;
  std::chrono::system_clock::time_point revoked_at;
  std::chrono::system_clock::time_point not_after;

  bool operator==(const Revocation&) const = default;
};

// What the next CRL says at `now`: the revocations whose certificate has not expired
// (oldest first, one entry per serial), thisUpdate now, nextUpdate now + kCrlValidity.
crypto::CrlRequest crl_request(const std::vector<Revocation>& revocations,
                               std::chrono::system_clock::time_point now, std::uint64_t number);

// Whether a CRL with this nextUpdate (nullopt: none published) must be reissued at `now`.
bool crl_refresh_due(std::optional<std::chrono::system_clock::time_point> next_update,
                     std::chrono::system_clock::time_point now);

// When the CRL with this nextUpdate becomes due (for the reconciler's requeue).
std::chrono::system_clock::time_point crl_refresh_at(
    std::chrono::system_clock::time_point next_update);

// Marks a CRL ConfigMap, so that a cache of the operator namespace holds these alone.
inline constexpr std::string_view kComponentLabel = "app.kubernetes.io/component";
inline constexpr std::string_view kCrlComponent = "crl";
// The revocations not yet expired (JSON array of {serial, revokedAt, notAfter}), kept in the
// same ConfigMap: the profile reconciler appends (resourceVersion precondition), the
// TrustDomain reconciler signs them into ca.crl.
inline constexpr std::string_view kRevocationsKey = "revocations";

// Label selector of the operator-namespace CRL ConfigMap cache.
std::string crl_config_map_selector();

// The ConfigMap publishing `crl_pem` (may be empty before the first CRL) and `revocations`
// (those still unexpired at `now`), labelled part-of=secprov, component=crl and
// secprov.io/trust-domain, owned by the TrustDomain when `owner` is an ownerReference.
// No managed-by label: the profile-namespace caches never list it.
nlohmann::json crl_config_map(const api::TrustDomain& domain, std::string_view operator_namespace,
                              const std::string& crl_pem,
                              const std::vector<Revocation>& revocations = {},
                              const nlohmann::json& owner = nullptr);

// The revocations recorded in a CRL ConfigMap (null or without the key: none). An entry
// that does not parse is skipped: it cannot be signed into a CRL anyway.
std::vector<Revocation> recorded_revocations(const nlohmann::json& config_map);
// `revocations` as the data value of kRevocationsKey, less those expired at `now`, one per
// serial (the earliest), sorted by serial (deterministic: an unchanged set writes nothing).
std::string revocations_value(const std::vector<Revocation>& revocations,
                              std::chrono::system_clock::time_point now);

// The cRLDistributionPoints URI of a domain's certificates: "<base>/crl/<domain>.crl"
// (one trailing '/' of base dropped); nullopt when no base URL is configured.
std::optional<std::string> crl_distribution_point(std::string_view base_url,
                                                  std::string_view trust_domain);

}  // namespace secprov::render

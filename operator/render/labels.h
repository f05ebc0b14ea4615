#pragma once
// Labels, annotations and owner references on everything the operator generates. The
// controllers, the cache's label selector and the renderers use these same strings.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/securityprofile.h"

namespace secprov::render {

inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "secprov";
inline constexpr std::string_view kPartOfLabel = "app.kubernetes.io/part-of";
inline constexpr std::string_view kPartOfValue = "secprov";
inline constexpr std::string_view kProfileLabel = "secprov.io/profile";
inline constexpr std::string_view kTrustDomainLabel = "secprov.io/trust-domain";
// Label selector of everything the operator generates (the informers' cache filter).
inline constexpr std::string_view kManagedSelector = "app.kubernetes.io/managed-by=secprov";

// A label value for an object name: the name itself when it fits (<= 63 characters), else
// its first characters, '-' and 10 hex digits of its SHA-256 (deterministic, still unique).
// Names are DNS subdomains, so only their length can make them invalid label values.
std::string label_value(std::string_view name);

// {managed-by, part-of, profile, trust-domain} of a profile's objects.
std::map<std::string, std::string> managed_labels(const api::SecurityProfile& profile);
// {managed-by, part-of, trust-domain}: objects shared by the profiles of a trust domain.
std::map<std::string, std::string> trust_domain_labels(std::string_view trust_domain);
// "app.kubernetes.io/managed-by=secprov,secprov.io/profile=<name>": a profile's objects.
std::string profile_selector(std::string_view profile_name);

// A generated Secret that holds a certificate carries this finalizer from its creation: its
// deletion (by the garbage collector after its profile's, or by anyone) waits for the
// operator, which revokes the certificate when the profile is gone. So revocation survives an
// operator outage without a finalizer, and a write, on every profile
// (SecurityProfileReconciler::release_deleted_certificates).
inline constexpr std::string_view kRevocationFinalizer = "secprov.io/revoke";
// The trust domain whose CA issued that certificate: where its revocation is recorded once the
// profile (and its spec) is gone.
inline constexpr std::string_view kIssuerAnnotation = "secprov.io/issuer";
// Adds both to a certificate Secret issued by `trust_domain` (or to a patch of one), keeping
// any other finalizer it lists.
void mark_revocable(nlohmann::json& secret, std::string_view trust_domain);

// {apiVersion secprov.io/v1alpha1, kind SecurityProfile, name, uid, controller: true,
//  blockOwnerDeletion: true}. Throws std::invalid_argument without name or uid.
nlohmann::json owner_reference(const api::SecurityProfile& profile);
// The same for a TrustDomain (a cluster-scoped owner of namespaced bundles: allowed, and the
// garbage collector removes the bundles with it). Throws without name or uid.
nlohmann::json trust_domain_owner_reference(const std::string& domain, const std::string& uid);

}  // namespace secprov::render

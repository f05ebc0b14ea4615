#pragma once
// Whose an object that a TrustDomain owns is (its trust bundle "<domain>-ca" in a profile
// namespace, its CRL "<domain>-crl" and its rotation's next CA key pair in the operator
// namespace), as its reconcilers see it. The operator writes over, or deletes, only what is
// Ours; Foreign is reported, never touched.

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/object.h"

namespace secprov::controllers::trust {

enum class Ownership {
  Ours,       // the object's labels and a controller ownerReference to the TrustDomain (UID)
  Adoptable,  // an older operator's object: its labels, written by the operator's field
              // manager, no controller ownerReference (it takes the marks when written)
  Foreign,    // anything else: never written over, never deleted
};

// An ownerReference to a secprov.io TrustDomain (any version).
bool is_trust_domain_reference(const runtime::OwnerReference& reference);

// `domain_uid` empty (the TrustDomain is gone): an ownerReference by name is enough.
// Bundle: labels managed-by=secprov and the trust-domain label; adoptable only when it was
// server-side applied by the operator (older operators applied bundles).
Ownership bundle_ownership(const nlohmann::json& config_map, const std::string& domain,
                           const std::string& domain_uid);
// CRL: labels part-of=secprov, component=crl and the trust-domain label (no managed-by: the
// profile-namespace caches never list it); adoptable when the operator's field manager
// wrote it (older operators created it without an owner).
Ownership crl_ownership(const nlohmann::json& config_map, const std::string& domain,
                        const std::string& domain_uid);
// The next CA key pair Secret of a rotation: labels managed-by=secprov and the trust-domain
// label. Adoptable only when a version without the marks wrote it for this very rotation: the
// trust-domain label but no managed-by label, no ownerReferences, written by the operator's
// field manager, and its replace-ca annotation is `token` (empty: nothing is adoptable).
Ownership next_ca_ownership(const nlohmann::json& secret, const std::string& domain,
                            const std::string& domain_uid, const std::string& token);

}  // namespace secprov::controllers::trust

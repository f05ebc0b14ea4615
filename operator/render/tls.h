#pragma once
// The NF's TLS Secret and the trust bundle ConfigMap of a trust domain. Key material comes
// in as parameters: the controllers generate or reuse it; rendering never creates keys.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/securityprofile.h"

namespace secprov::render {

struct TlsMaterial {
  std::string certificate_chain_pem;  // leaf first, then intermediates
  std::string private_key_pem;
  std::string ca_bundle_pem;  // trust anchors of the trust domain
};

// Whether the profile needs an NF certificate: SBI TLS is not Disabled, or an IPsec
// interface authenticates with Certificate.
bool needs_certificate(const api::SecurityProfile& profile);

// Secret "<profile>-tls", type kubernetes.io/tls, data tls.crt / tls.key / ca.crt (base64),
// managed labels and owner reference (digest annotations: ProfilePlan, render/profile.h).
// Throws std::invalid_argument when the profile has no name, namespace or uid, or the
// certificate or key is empty.
nlohmann::json tls_secret(const api::SecurityProfile& profile, const TlsMaterial& material);

// ConfigMap "<trustdomain>-ca" in `ns` with data ca.crt, and ca.crl when `crl_pem` is not
// empty (the domain's current CRL, render/trust_domain.h: what a security enabler checks
// client certificates against, from the NF's own namespace), labels managed-by, part-of and
// trust-domain, and `owner` (the TrustDomain's controller ownerReference; a namespaced
// dependent may have a cluster-scoped owner) unless null. The controller deletes it only
// when it carries that reference and the managed-by label.
nlohmann::json trust_bundle_config_map(std::string_view trust_domain, std::string_view ns,
                                       const std::string& ca_bundle_pem,
                                       const nlohmann::json& owner = nullptr,
                                       const std::string& crl_pem = {});

}  // namespace secprov::render

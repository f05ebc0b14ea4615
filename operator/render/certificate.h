#pragma once
// The NF certificate request: everything about the certificate that the spec decides
// (key algorithm, subject, SANs, nfTypes, validity), computed once here so that the
// reconciler only obtains material. Mirrors cert-manager's pki.CertificateTemplate.

#include <chrono>
#include <string>
#include <string_view>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "crypto/key.h"
#include "crypto/template.h"
#include "render/errors.h"

namespace secprov::render {

// The one mapping from the API's key algorithm to crypto's. Total: no fallback.
crypto::KeyAlgorithm key_algorithm(api::KeyAlgorithm algorithm) noexcept;

struct CertificateRequest {
  crypto::KeyAlgorithm key_algorithm;
  crypto::CertificateTemplate certificate;  // validity filled by certificate_validity()
  std::chrono::seconds duration;
  std::chrono::seconds renew_before;
};

// Throws RenderError naming the field when a SAN cannot be encoded (a DNS name over 253
// characters or with a label over 63, or characters outside RFC 1123) or a duration is
// invalid. nf_instance_id is the effective ID; the SAN carries it in lower case.
CertificateRequest certificate_request(const api::SecurityProfile& profile,
                                       const api::TrustDomain& domain,
                                       std::string_view nf_instance_id);

// notBefore a minute in the past (clock skew), notAfter at now + duration capped at the
// CA's notAfter: a leaf never outlives its issuer.
void set_validity(crypto::CertificateTemplate& certificate, std::chrono::seconds duration,
                  std::chrono::system_clock::time_point now,
                  std::chrono::system_clock::time_point ca_not_after);

}  // namespace secprov::render

#pragma once
// The SEPP's N32 certificate from an interconnect TrustDomain (TS 33.310: SEPP-to-SEPP
// certificates come from an InterconnectionCA, not the home PKI). When spec.n32.trustDomainRef
// is set the SEPP gets a second Secret, "<profile>-n32", issued by that TrustDomain's CA; the
// reconciler obtains the material (as for the OAuth2 signing Secret, render/oauth2.h). Pure.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "render/certificate.h"

namespace secprov::render {

// Secret "<profile>-n32" (kubernetes.io/tls: tls.crt chain leaf first, tls.key, ca.crt the
// interconnect TrustDomain's bundle).
std::string n32_secret_name(const api::SecurityProfile& profile);
// Where the SEPP's pod mounts it. A peer named "tls" would share this directory with its
// roots (n32_trust_anchor_file): the API refuses that name when trustDomainRef is set.
inline constexpr std::string_view kN32TlsMountDir = "/etc/secprov/n32/tls";
inline constexpr std::string_view kN32CertificateFile = "/etc/secprov/n32/tls/tls.crt";
inline constexpr std::string_view kN32PrivateKeyFile = "/etc/secprov/n32/tls/tls.key";
inline constexpr std::string_view kN32CaBundleFile = "/etc/secprov/n32/tls/ca.crt";

// The interconnect TrustDomain's name when the profile is a SEPP with spec.n32.trustDomainRef.
std::optional<std::string> n32_trust_domain(const api::SecurityProfile& profile);

// The SEPP's N32 DNS names: its primary DNS name (the N32 sender / receiver partners dial)
// and "*.<primary>" (telescopic FQDNs, TS 33.501 13.1.1.0, which N32-f in TLS mode carries
// as :authority). Not the in-cluster Service names: partners never dial those.
std::vector<std::string> n32_dns_names(const api::SecurityProfile& profile);

// The N32 certificate: key algorithm and duration as the SBI certificate's, subject from the
// interconnect domain, n32_dns_names(), the NF instance URI, serverAuth and clientAuth (N32-c
// is mutual TLS). nullopt when n32_trust_domain() is. Throws RenderError as
// certificate_request.
std::optional<CertificateRequest> n32_certificate_request(const api::SecurityProfile& profile,
                                                          const api::TrustDomain& interconnect,
                                                          std::string_view nf_instance_id);
// Digest of the N32 certificate's inputs (a change re-issues it).
std::string n32_input_digest(const CertificateRequest& request, const std::string& ca_fingerprint,
                             const std::map<std::string, std::string>& labels);
// The Secret, with the digest annotations. Throws std::invalid_argument on empty material.
nlohmann::json n32_secret(const api::SecurityProfile& profile,
                          const std::string& certificate_chain_pem,
                          const std::string& private_key_pem, const std::string& ca_bundle_pem,
                          const std::string& input_digest);

}  // namespace secprov::render

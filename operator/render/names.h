#pragma once
// Names of the generated objects, their data keys, and where an NF (or its security
// enabler sidecar) mounts them. Object names stay valid DNS subdomains (<= 253 characters):
// a base name too long for its suffix is shortened and made unique with a hash.

#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"

namespace secprov::render {

// ---- object names ----
std::string tls_secret_name(const api::SecurityProfile& profile);    // "<profile>-tls"
std::string config_map_name(const api::SecurityProfile& profile);    // "<profile>-security"
std::string ipsec_secret_name(const api::SecurityProfile& profile);  // "<profile>-ipsec"
std::string trust_bundle_name(std::string_view trust_domain);        // "<trustdomain>-ca"

// ---- data keys ----
inline constexpr std::string_view kTlsCertificateKey = "tls.crt";  // chain, leaf first
inline constexpr std::string_view kTlsPrivateKeyKey = "tls.key";
inline constexpr std::string_view kCaBundleKey = "ca.crt";
inline constexpr std::string_view kSecurityYamlKey = "security.yaml";
inline constexpr std::string_view kOpen5gsYamlKey = "open5gs.yaml";
inline constexpr std::string_view kFree5gcYamlKey = "free5gc.yaml";
inline constexpr std::string_view kSwanctlConfKey = "swanctl.conf";

// ---- mount paths ----
inline constexpr std::string_view kTlsMountDir = "/etc/secprov/tls";  // the TLS Secret
inline constexpr std::string_view kTlsCertificateFile = "/etc/secprov/tls/tls.crt";
inline constexpr std::string_view kTlsPrivateKeyFile = "/etc/secprov/tls/tls.key";
inline constexpr std::string_view kCaBundleFile = "/etc/secprov/tls/ca.crt";
inline constexpr std::string_view kConfigMountDir = "/etc/secprov/config";  // the ConfigMap
inline constexpr std::string_view kSecurityYamlFile = "/etc/secprov/config/security.yaml";
inline constexpr std::string_view kOpen5gsYamlFile = "/etc/secprov/config/open5gs.yaml";
inline constexpr std::string_view kFree5gcYamlFile = "/etc/secprov/config/free5gc.yaml";
inline constexpr std::string_view kIpsecMountDir = "/etc/secprov/ipsec";  // the IPsec Secret
inline constexpr std::string_view kSwanctlConfFile = "/etc/secprov/ipsec/swanctl.conf";
// swanctl loads private keys only from the "private" folder next to the swanctl.conf it is
// given (strongSwan >= 5.7.2), never from a path in swanctl.conf: with Certificate
// authentication the pod must also project tls.key of the TLS Secret to this path.
inline constexpr std::string_view kIpsecPrivateKeyFile = "/etc/secprov/ipsec/private/tls.key";
// The NRF's certificate, whose key verifies OAuth2 access tokens (free5GC nrfCertPem).
// Not the CA: nothing renders this file yet.
inline constexpr std::string_view kNrfCertificateFile = "/etc/secprov/oauth2/nrf.crt";

// ---- identities ----
// "urn:uuid:<id>" with the UUID in lower case (RFC 4122 output form): the URI SAN of the NF
// certificate (TS 33.310) and what security.yaml lists as expected.
std::string nf_instance_uri(std::string_view nf_instance_id);
// The NF instance ID in that form (lower case), as status and security.yaml show it.
std::string normalized_nf_instance_id(std::string_view nf_instance_id);
// dNSName SANs the NF certificate carries and consumers may dial: the Service's in-cluster
// names <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local, then
// spec.sbi.tls.certificate.extraDnsNames (duplicates dropped, order kept).
std::vector<std::string> sbi_dns_names(const api::SecurityProfile& profile);
// The NF's own FQDN (TLS server name, IKE identity, SEPP N32 sender): the first
// extraDnsName without wildcard, else <svc>.<ns>.svc.
std::string primary_dns_name(const api::SecurityProfile& profile);

}  // namespace secprov::render

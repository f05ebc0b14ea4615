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
inline constexpr std::string_view kHaproxyCfgKey = "haproxy.cfg";  // enabler Sidecar (enabler.h)

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
// The NRF's access-token signing certificate, whose key verifies OAuth2 access tokens
// (free5GC nrfCertPem): a producer's ConfigMap holds it under nrf.crt (render/oauth2.h),
// which the pod projects to this path. Not the CA.
inline constexpr std::string_view kNrfCertificateFile = "/etc/secprov/oauth2/nrf.crt";
// Each N32 partner's roots: the pod mounts trustAnchorRef (ConfigMap or Secret) of peer
// <name> at <dir>/<name>/<key>; the operator does not read it (no access to user objects).
inline constexpr std::string_view kN32TrustAnchorDir = "/etc/secprov/n32";
std::string n32_trust_anchor_file(const api::N32Peer& peer);

// ---- identities ----
// "urn:uuid:<id>" with the UUID in lower case (RFC 4122 output form): the URI SAN of the NF
// certificate (TS 33.310) and what security.yaml lists as expected.
std::string nf_instance_uri(std::string_view nf_instance_id);
// The NF instance ID in that form (lower case), as status and security.yaml show it.
std::string normalized_nf_instance_id(std::string_view nf_instance_id);
// dNSName SANs the NF certificate carries and consumers may dial: the Service's in-cluster
// names <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local, then
// spec.sbi.tls.certificate.extraDnsNames (duplicates dropped, order kept), and for a SEPP
// "*.<primary DNS name>" (its telescopic FQDNs, TS 33.501 13.1.1.0).
std::vector<std::string> sbi_dns_names(const api::SecurityProfile& profile);
// The NF's own FQDN (TLS server name, IKE identity, SEPP N32 sender): the first
// extraDnsName without wildcard, else service_dns_name(<svc>, <ns>).
std::string primary_dns_name(const api::SecurityProfile& profile);
// "<service>.<namespace>.svc": the primary DNS name of a profile without extraDnsNames (and
// so the name another profile can predict for it, e.g. an IPsec peer's default remote ID).
std::string service_dns_name(std::string_view service, std::string_view namespace_);

}  // namespace secprov::render

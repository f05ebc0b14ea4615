#pragma once
// The security enabler (issue 9): HAProxy 2.6 (Debian 12) next to an NF, terminating TLS in
// front of the NF's plaintext HTTP/2 port and originating mutual TLS to its peers, with
// exactly the profile's TLS versions, suites, groups, certificate, trust bundle and CRL.
// Pure: the configuration text and what the Pod needs to run it (render/injection.h).

#include <string>
#include <string_view>

#include "api/securityprofile.h"
#include "render/injection.h"

namespace secprov::render {

// ---- where the enabler container mounts its inputs ----
inline constexpr std::string_view kEnablerDir = "/etc/secprov/enabler";
// The profile's TLS Secret: tls.crt as the certificate file HAProxy loads, and tls.key next
// to it as "<certificate file>.key", which HAProxy finds by itself (ssl-load-extra-files key).
inline constexpr std::string_view kEnablerTlsDir = "/etc/secprov/enabler/tls";
inline constexpr std::string_view kEnablerCertificatePath = "tls.pem";
inline constexpr std::string_view kEnablerPrivateKeyPath = "tls.pem.key";
inline constexpr std::string_view kEnablerCertificateFile = "/etc/secprov/enabler/tls/tls.pem";
inline constexpr std::string_view kEnablerPrivateKeyFile = "/etc/secprov/enabler/tls/tls.pem.key";
// The trust domain's ConfigMap "<trustdomain>-ca": ca.crt (trust bundle) and ca.crl.
inline constexpr std::string_view kEnablerCaDir = "/etc/secprov/enabler/ca";
inline constexpr std::string_view kEnablerCaFile = "/etc/secprov/enabler/ca/ca.crt";
inline constexpr std::string_view kEnablerCrlFile = "/etc/secprov/enabler/ca/ca.crl";
// The profile's ConfigMap "<profile>-security", key haproxy.cfg only.
inline constexpr std::string_view kEnablerConfigDir = "/etc/secprov/enabler/config";
inline constexpr std::string_view kEnablerConfigFile = "/etc/secprov/enabler/config/haproxy.cfg";

// The same ConfigMap's openssl.cnf: HAProxy 2.6 has no server-side `curves` (neither a server
// keyword nor ssl-default-server-curves), so the groups its outbound TLS offers are OpenSSL's
// system default, which this file sets (with the versions) for every SSL_CTX of the process.
// The enabler container points OPENSSL_CONF at it; HAProxy's inbound side sets its curves
// itself and is not changed by it.
inline constexpr std::string_view kOpensslCnfKey = "openssl.cnf";
inline constexpr std::string_view kEnablerOpensslCnfFile =
    "/etc/secprov/enabler/config/openssl.cnf";
inline constexpr std::string_view kOpensslConfEnv = "OPENSSL_CONF";

// The agent that supervises HAProxy (master-worker) and reloads it when a watched directory
// changes: secprov-enabler-agent --config <cfg> --watch <dir> [--watch <dir>]...
inline constexpr std::string_view kEnablerAgentBinary = "secprov-enabler-agent";

// Volume names in the Pod.
inline constexpr std::string_view kEnablerTlsVolume = "secprov-enabler-tls";
inline constexpr std::string_view kEnablerCaVolume = "secprov-enabler-ca";
inline constexpr std::string_view kEnablerConfigVolume = "secprov-enabler-config";

// Requests when the profile sets no resources.
inline constexpr std::string_view kDefaultEnablerCpuRequest = "10m";
inline constexpr std::string_view kDefaultEnablerMemoryRequest = "32Mi";

// The address the NF and its enabler share: HAProxy forwards inbound TLS to the NF's h2c port
// on it, and listens on it for each outbound peer (spec.enabler: the NF dials
// 127.0.0.1:<outbound.localPort> in h2c).
inline constexpr std::string_view kEnablerLoopback = "127.0.0.1";

// The enabler's inbound side when it fronts the NF's SBI server (Sidecar mode with
// spec.enabler.inbound), nullptr otherwise: the NF then serves h2c on
// kEnablerLoopback:<inbound.port> only, and peers reach it at <its DNS name>:<inbound.tlsPort>.
const api::EnablerInbound* enabler_fronted_server(const api::SecurityProfile& profile);

// The enabler's outbound peer through which the NF reaches `authority` (host[:port], as in a
// URI): the same host (ASCII case-insensitive) and, when the authority names a port, the same
// port; nullptr when no peer does or the profile has no sidecar.
const api::EnablerOutbound* enabler_route_to(const api::SecurityProfile& profile,
                                             std::string_view authority);

// haproxy.cfg for a profile with spec.enabler; "" when the profile has no enabler in Sidecar
// mode. Every value in it comes from a field the API bounds to a DNS name, a UUID or an
// integer, so nothing needs quoting. Throws RenderError for a profile whose enabler cannot
// be rendered (validate() refuses it first).
std::string haproxy_cfg(const api::SecurityProfile& profile);

// openssl.cnf for a profile with spec.enabler (OpenSSL 3.0: openssl_conf -> ssl_conf ->
// system_default with Groups, MinProtocol and MaxProtocol); "" when haproxy_cfg() is "".
std::string enabler_openssl_cnf(const api::SecurityProfile& profile);

// "sha256:<hex>" over the enabler's configuration files (haproxy.cfg and openssl.cnf): a
// change of it is a change the Pod must see.
std::string enabler_config_digest(const api::SecurityProfile& profile);

// The image: spec.enabler.image.reference, else repository and tag (each defaulting to the
// part of default_image), else default_image.
std::string enabler_image(const api::SecurityProfile& profile, std::string_view default_image);

// What the webhook injects for a profile in Sidecar mode (throws std::invalid_argument for
// any other profile).
EnablerInjection enabler_injection(const api::SecurityProfile& profile,
                                   std::string_view default_image);

}  // namespace secprov::render

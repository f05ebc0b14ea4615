#pragma once
// TLS checks of one client -> server connection (an SBI consumer -> producer, an SCP hop,
// N32-c). Each end is its EFFECTIVE capability: the profile's parameters where its NF
// enforces them, replaced by what the NF really does where render::native_limits names a
// gap (an Open5GS server offers P-256 only, whatever the profile lists), or an external
// peer's stated parameters. Each check is a named pure function. Pure.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "check/finding.h"
#include "check/peers.h"

namespace secprov::check {

enum class TlsRole { Client, Server };

struct TlsEnd {
  std::string id;                               // End::id()
  api::TlsMode mode = api::TlsMode::MutualTLS;  // Disabled: plain http (h2c)
  std::vector<api::TlsVersion> versions;        // ascending
  std::vector<api::Tls12CipherSuite> tls12_suites;
  std::vector<api::Tls13CipherSuite> tls13_suites;
  std::vector<api::TlsGroup> groups;
  api::KeyAlgorithm key_algorithm = api::KeyAlgorithm::EcdsaP256;  // its certificate's key
  bool presents_client_certificate = true;  // as a client (mode not Disabled)
  bool verifies_server = true;              // as a client
  std::vector<std::string> dns_names;       // dNSName SANs of its certificate
  Anchors anchors;
  // "<output>/<code>" of each native limit that replaced a profile value, for messages.
  std::vector<std::string> native;
};

// How one native-limit row (render/native_limits.h) changes an end's TLS. The unit tests
// keep every (output, code) here a row of render::native_limits().
struct NativeTlsEffect {
  api::NfImplementation output;
  std::string_view code;
  std::string_view effect;  // what the end then does, for messages and the docs
};
std::span<const NativeTlsEffect> native_tls_effects();

// The effective TLS of `end` in `role`. Profiles: spec.sbi.tls, certificate names from
// render::sbi_dns_names, anchors from the scope's trust domains, then the native effects.
// `dialled`: for a client, the end it dials (native_gaps: the enabler carries a client's TLS
// only to the peers of its outbound list).
TlsEnd tls_end(const End& end, TlsRole role, const Scope& scope, const End* dialled = nullptr);

struct TlsPair {
  std::string_view interface;  // "SBI", "N32"
  const TlsEnd& client;
  const TlsEnd& server;
  // The name the client dials (SNI, hostname verification). Empty: the server's advertised
  // name (render::primary_dns_name), which its certificate carries.
  std::string dialled_name;
};

// SchemeMismatch: one end speaks https, the other http (Open5GS: one client scheme per NF).
Outcome same_scheme(const TlsPair& pair);
// NoCommonTlsVersion.
Outcome common_tls_version(const TlsPair& pair);
// NoCommonTlsSuite: no common version has a suite both offer that the server's key can use
// (TLS 1.2: ECDHE_ECDSA for an ECDSA key, ECDHE_RSA for an RSA key).
Outcome common_tls_suite(const TlsPair& pair);
// NoCommonTlsGroup: no key-exchange group in common.
Outcome common_tls_group(const TlsPair& pair);
// ClientCertificateMissing: the server requires a client certificate (MutualTLS) and the
// client presents none (TLS mode without a certificate, or a free5GC client natively).
Outcome mutual_tls_compatible(const TlsPair& pair);
// ServerIssuerNotTrusted (Error) / ServerNotVerified (Warning: the client verifies nothing) /
// ServerIssuerUnknown (Info: a fingerprint is not given).
Outcome client_trusts_server_issuer(const TlsPair& pair);
// ClientIssuerNotTrusted / ClientIssuerUnknown; only when the server requires client certs.
Outcome server_trusts_client_issuer(const TlsPair& pair);
// DialledNameNotInSan (Error; Warning when the client does not verify the name).
Outcome dialled_name_in_san(const TlsPair& pair);

// Every TLS check above, in that order; with a scheme mismatch or TLS off on both ends,
// only the scheme check runs (nothing else is negotiated).
std::vector<Finding> check_tls(const TlsPair& pair);

}  // namespace secprov::check

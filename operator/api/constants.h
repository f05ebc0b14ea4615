#pragma once
// Constants of the secprov.io/v1alpha1 API: identity, defaults (the same as the CRDs'),
// limits, the TS 33.210 allow-lists and their OpenSSL spellings for the renderers.

#include <array>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/enums.h"

namespace secprov::api {

inline constexpr std::string_view kGroup = "secprov.io";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "secprov.io/v1alpha1";
inline constexpr std::string_view kSecurityProfileKind = "SecurityProfile";
inline constexpr std::string_view kSecurityProfilePlural = "securityprofiles";
inline constexpr std::string_view kTrustDomainKind = "TrustDomain";
inline constexpr std::string_view kTrustDomainPlural = "trustdomains";

// kstatus condition types.
inline constexpr std::string_view kConditionReady = "Ready";
inline constexpr std::string_view kConditionReconciling = "Reconciling";
inline constexpr std::string_view kConditionStalled = "Stalled";
inline constexpr std::string_view kConditionDrifted = "Drifted";
// The CA expires inside the renewal window: certificates cannot be renewed until it is replaced.
inline constexpr std::string_view kConditionCAExpiringSoon = "CAExpiringSoon";
// Whether the NFs of spec.outputs enforce by themselves what the profile asks
// (controllers/policies.h enforcement()).
inline constexpr std::string_view kConditionEnforced = "Enforced";
// Whether the profile's peers are configured to match it (controllers/consistency_controller.h).
inline constexpr std::string_view kConditionConsistent = "Consistent";

// Status bounds (the CRD's maxItems).
inline constexpr std::size_t kMaxConditions = 8;
inline constexpr std::size_t kMaxStatusObjects = 16;
inline constexpr std::size_t kMaxDriftFindings = 20;

// Certificate limits (TS 33.310: NF certificate validity at most 3 years).
inline constexpr std::chrono::hours kMaxCertificateDuration{26280};
inline constexpr std::chrono::hours kMinCertificateDuration{1};
inline constexpr std::chrono::minutes kMinRenewBefore{5};
inline constexpr std::chrono::hours kMinCaDuration{24};

// Defaults (identical to the CRDs' default: values).
inline constexpr TlsMode kDefaultTlsMode = TlsMode::MutualTLS;
inline constexpr TlsVersion kDefaultMinTlsVersion = TlsVersion::V1_2;
inline constexpr TlsVersion kDefaultMaxTlsVersion = TlsVersion::V1_3;
inline constexpr std::array kDefaultTls12CipherSuites{
    Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    Tls12CipherSuite::ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    Tls12CipherSuite::ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};
inline constexpr std::array kDefaultTls13CipherSuites{
    Tls13CipherSuite::AES_128_GCM_SHA256,
    Tls13CipherSuite::AES_256_GCM_SHA384,
    Tls13CipherSuite::CHACHA20_POLY1305_SHA256,
};
inline constexpr std::array kDefaultTlsGroups{TlsGroup::X25519, TlsGroup::secp256r1,
                                              TlsGroup::secp384r1};
inline constexpr KeyAlgorithm kDefaultKeyAlgorithm = KeyAlgorithm::EcdsaP256;
inline constexpr std::string_view kDefaultCertificateDuration = "2160h";  // 90 days
inline constexpr std::string_view kDefaultRenewBefore = "720h";           // 30 days
inline constexpr RotationPolicy kDefaultRotationPolicy = RotationPolicy::Always;
inline constexpr OAuth2Role kDefaultOAuth2Role = OAuth2Role::Both;
inline constexpr std::array kDefaultAcceptedAlgorithms{JwsAlgorithm::ES256, JwsAlgorithm::RS256};
inline constexpr IpsecMode kDefaultIpsecMode = IpsecMode::Tunnel;
inline constexpr IpsecAuthentication kDefaultIpsecAuthentication = IpsecAuthentication::Certificate;
// strongSwan proposal syntax; AES-GCM with ECP groups per TS 33.210 (NDS/IP) profiles.
inline constexpr std::array<std::string_view, 2> kDefaultIkeProposals{
    "aes256gcm16-prfsha384-ecp384", "aes128gcm16-prfsha256-ecp256"};
inline constexpr std::string_view kDefaultIkeLifetime = "24h";
inline constexpr std::array<std::string_view, 2> kDefaultEspProposals{"aes256gcm16-ecp384",
                                                                      "aes128gcm16-ecp256"};
inline constexpr std::string_view kDefaultEspLifetime = "8h";

// IKE/ESP proposals: the NDS/IP allow-list (TS 33.210 clause 5, TS 33.501 9.x; issue 8 defect 5),
// spelt as strongSwan 5.9.8 keywords (src/libstrongswan/crypto/proposal/
// proposal_keywords_static.txt). Each keyword names one transform; aliases (aes128gcm,
// sha2_256, ...) are left out so that a profile has one spelling. AES-GCM only with a 16-octet
// ICV; no null, SHA-1, MD5, AES-CTR/CCM, MODP below 3072 or curve25519 (not in the NDS/IP
// profile, so a gNB or SEG cannot be expected to offer it). The CRD's CEL lists are exactly
// these, in this order (tests/unit/api/crd_consistency_test.cpp reads them).
enum class IpsecTransform { AeadEncryption, Encryption, Integrity, Prf, KeyExchange };
struct IpsecAlgorithm {
  std::string_view token;
  IpsecTransform transform;
};
inline constexpr std::array<IpsecAlgorithm, 14> kIpsecAlgorithms{{
    {"aes128gcm16", IpsecTransform::AeadEncryption},
    {"aes256gcm16", IpsecTransform::AeadEncryption},
    {"aes128", IpsecTransform::Encryption},
    {"aes256", IpsecTransform::Encryption},
    {"sha256", IpsecTransform::Integrity},
    {"sha384", IpsecTransform::Integrity},
    {"sha512", IpsecTransform::Integrity},
    {"prfsha256", IpsecTransform::Prf},
    {"prfsha384", IpsecTransform::Prf},
    {"prfsha512", IpsecTransform::Prf},
    {"ecp256", IpsecTransform::KeyExchange},
    {"ecp384", IpsecTransform::KeyExchange},
    {"modp3072", IpsecTransform::KeyExchange},
    {"modp4096", IpsecTransform::KeyExchange},
}};
// Which proposal list: IKE (ike.proposals) or ESP (esp.proposals, the CHILD_SA).
enum class IpsecProtocol { Ike, Esp };
// The transform of an allowed keyword, nullopt for anything else.
std::optional<IpsecTransform> ipsec_transform(std::string_view token);
// The keywords of the given transforms, in table order.
std::vector<std::string_view> ipsec_tokens(std::initializer_list<IpsecTransform> transforms);
// Every keyword allowed in the protocol's proposals: all for IKE; ESP has no PRF (strongSwan
// drops a PRF from an ESP proposal).
std::vector<std::string_view> ipsec_tokens(IpsecProtocol protocol);

// Interfaces whose IKEv2 authentication is by certificate (TS 33.501 9.2 N2, 9.3 N3):
// PreSharedKey there only with allowPreSharedKey: true.
inline constexpr std::array kCertificateAuthenticationInterfaces{IpsecInterface::N2,
                                                                 IpsecInterface::N3};

// OAuth2 scopes name NF services: the ServiceName enumeration of TS 29.510 V17.12.0 (Rel-17,
// OpenAPI TS29510_Nnrf_NFManagement.yaml 1.2.6), in its order. The CRD's CEL list is this one.
std::span<const std::string_view> nf_service_names();
inline constexpr N32Capability kDefaultN32Capability = N32Capability::TLS;
inline constexpr DriftPolicy kDefaultDriftPolicy = DriftPolicy::Enforce;
inline constexpr DeletionPolicy kDefaultDeletionPolicy = DeletionPolicy::Delete;
inline constexpr KeyAlgorithm kDefaultCaKeyAlgorithm = KeyAlgorithm::EcdsaP384;
inline constexpr std::string_view kDefaultCaDuration = "87600h";  // 10 years

// All NF types (TS 29.510 NFType) and the allow-lists, in API order.
std::span<const NfType> all_nf_types();
std::span<const Tls12CipherSuite> tls12_allow_list();
std::span<const Tls13CipherSuite> tls13_allow_list();
std::span<const TlsGroup> tls_group_allow_list();

// OpenSSL spellings, for SSL_CTX_set_cipher_list / set_ciphersuites / set1_groups_list.
std::string_view openssl_name(Tls12CipherSuite s);  // "ECDHE-ECDSA-AES128-GCM-SHA256"
std::string_view openssl_name(Tls13CipherSuite s);  // "TLS_AES_128_GCM_SHA256" (same as IANA)
std::string_view openssl_name(TlsGroup g);          // "X25519", "P-256", "P-384", ...
// Colon-joined lists: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256".
std::string openssl_list(std::span<const Tls12CipherSuite> suites);
std::string openssl_list(std::span<const Tls13CipherSuite> suites);
std::string openssl_list(std::span<const TlsGroup> groups);

// Key algorithm facts for crypto/ and the renderers.
bool is_rsa(KeyAlgorithm a);
int key_bits(KeyAlgorithm a);  // 256, 384, 2048, 3072, 4096

}  // namespace secprov::api

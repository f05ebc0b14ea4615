#pragma once
// Enumerations of the secprov.io/v1alpha1 API. Each enum has a table (EnumTraits<E>::entries)
// pairing every value with its API spelling; to_string() and parse_enum<E>() use it, so the
// C++ side and the CRD's enum lists stay one-to-one (tests check them against the CRD).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace secprov::api {

template <class E>
struct EnumTraits;  // specialised below: static constexpr std::array<std::pair<E,
                    // std::string_view>, N> entries

template <class E>
concept ApiEnum = requires {
  EnumTraits<E>::entries;
};

template <ApiEnum E>
constexpr std::string_view to_string(E v) {
  for (const auto& [e, name] : EnumTraits<E>::entries) {
    if (e == v) return name;
  }
  return {};
}

template <ApiEnum E>
constexpr std::optional<E> parse_enum(std::string_view s) {
  for (const auto& [e, name] : EnumTraits<E>::entries) {
    if (name == s) return e;
  }
  return std::nullopt;
}

template <ApiEnum E>
std::vector<std::string_view> enum_names() {
  std::vector<std::string_view> out;
  for (const auto& entry : EnumTraits<E>::entries) out.push_back(entry.second);
  return out;
}

#define SECPROV_API_ENUM(E, ...)                                                                  \
  template <>                                                                                     \
  struct EnumTraits<E> {                                                                          \
    static constexpr auto entries = std::to_array<std::pair<E, std::string_view>>({__VA_ARGS__}); \
  }

// NFType of 3GPP TS 29.510 (Rel-18 list).
enum class NfType {
  NRF,
  UDM,
  AMF,
  SMF,
  AUSF,
  NEF,
  PCF,
  SMSF,
  NSSF,
  UDR,
  LMF,
  GMLC,
  FIVEG_EIR,
  SEPP,
  UPF,
  N3IWF,
  AF,
  UDSF,
  BSF,
  CHF,
  NWDAF,
  PCSCF,
  CBCF,
  UCMF,
  HSS,
  SOR_AF,
  SPAF,
  MME,
  SCSAS,
  SCEF,
  SCP,
  NSSAAF,
  ICSCF,
  SCSCF,
  DRA,
  IMS_AS,
  AANF,
  FIVEG_DDNMF,
  NSACF,
  MFAF,
  EASDF,
  DCCF,
  MB_SMF,
  TSCTSF,
  ADRF,
  GBA_BSF,
  CEF,
  MB_UPF,
  NSWOF,
  PKMF,
  MNPF,
  SMS_GMSC,
  SMS_IWMSC,
  MBSF,
  MBSTF,
  PANF,
  IP_SM_GW,
  SMS_ROUTER,
  DCSF,
  MRF,
  MRFP,
  MF,
  SLPKMF,
  RH,
};
SECPROV_API_ENUM(NfType, {NfType::NRF, "NRF"}, {NfType::UDM, "UDM"}, {NfType::AMF, "AMF"},
                 {NfType::SMF, "SMF"}, {NfType::AUSF, "AUSF"}, {NfType::NEF, "NEF"},
                 {NfType::PCF, "PCF"}, {NfType::SMSF, "SMSF"}, {NfType::NSSF, "NSSF"},
                 {NfType::UDR, "UDR"}, {NfType::LMF, "LMF"}, {NfType::GMLC, "GMLC"},
                 {NfType::FIVEG_EIR, "5G_EIR"}, {NfType::SEPP, "SEPP"}, {NfType::UPF, "UPF"},
                 {NfType::N3IWF, "N3IWF"}, {NfType::AF, "AF"}, {NfType::UDSF, "UDSF"},
                 {NfType::BSF, "BSF"}, {NfType::CHF, "CHF"}, {NfType::NWDAF, "NWDAF"},
                 {NfType::PCSCF, "PCSCF"}, {NfType::CBCF, "CBCF"}, {NfType::UCMF, "UCMF"},
                 {NfType::HSS, "HSS"}, {NfType::SOR_AF, "SOR_AF"}, {NfType::SPAF, "SPAF"},
                 {NfType::MME, "MME"}, {NfType::SCSAS, "SCSAS"}, {NfType::SCEF, "SCEF"},
                 {NfType::SCP, "SCP"}, {NfType::NSSAAF, "NSSAAF"}, {NfType::ICSCF, "ICSCF"},
                 {NfType::SCSCF, "SCSCF"}, {NfType::DRA, "DRA"}, {NfType::IMS_AS, "IMS_AS"},
                 {NfType::AANF, "AANF"}, {NfType::FIVEG_DDNMF, "5G_DDNMF"},
                 {NfType::NSACF, "NSACF"}, {NfType::MFAF, "MFAF"}, {NfType::EASDF, "EASDF"},
                 {NfType::DCCF, "DCCF"}, {NfType::MB_SMF, "MB_SMF"}, {NfType::TSCTSF, "TSCTSF"},
                 {NfType::ADRF, "ADRF"}, {NfType::GBA_BSF, "GBA_BSF"}, {NfType::CEF, "CEF"},
                 {NfType::MB_UPF, "MB_UPF"}, {NfType::NSWOF, "NSWOF"}, {NfType::PKMF, "PKMF"},
                 {NfType::MNPF, "MNPF"}, {NfType::SMS_GMSC, "SMS_GMSC"},
                 {NfType::SMS_IWMSC, "SMS_IWMSC"}, {NfType::MBSF, "MBSF"}, {NfType::MBSTF, "MBSTF"},
                 {NfType::PANF, "PANF"}, {NfType::IP_SM_GW, "IP_SM_GW"},
                 {NfType::SMS_ROUTER, "SMS_ROUTER"}, {NfType::DCSF, "DCSF"}, {NfType::MRF, "MRF"},
                 {NfType::MRFP, "MRFP"}, {NfType::MF, "MF"}, {NfType::SLPKMF, "SLPKMF"},
                 {NfType::RH, "RH"});

enum class TlsMode { Disabled, TLS, MutualTLS };
SECPROV_API_ENUM(TlsMode, {TlsMode::Disabled, "Disabled"}, {TlsMode::TLS, "TLS"},
                 {TlsMode::MutualTLS, "MutualTLS"});

// Ordered: V1_2 < V1_3.
enum class TlsVersion { V1_2, V1_3 };
SECPROV_API_ENUM(TlsVersion, {TlsVersion::V1_2, "1.2"}, {TlsVersion::V1_3, "1.3"});

// The TLS 1.2 allow-list (TS 33.210 6.2.3): ECDHE key exchange with AEAD only; no NULL, export,
// RC4, 3DES, CBC or static-RSA suites exist in this enum, so none can be configured.
enum class Tls12CipherSuite : std::uint8_t {
  ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};
SECPROV_API_ENUM(Tls12CipherSuite,
                 {Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
                 {Tls12CipherSuite::ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
                 {Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
                 {Tls12CipherSuite::ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
                 {Tls12CipherSuite::ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
                 {Tls12CipherSuite::ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"});

// The TLS 1.3 allow-list (RFC 8446 9.1, TS 33.210): no CCM/CCM_8.
enum class Tls13CipherSuite : std::uint8_t {
  AES_128_GCM_SHA256,
  AES_256_GCM_SHA384,
  CHACHA20_POLY1305_SHA256
};
SECPROV_API_ENUM(Tls13CipherSuite, {Tls13CipherSuite::AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"},
                 {Tls13CipherSuite::AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384"},
                 {Tls13CipherSuite::CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256"});

// Key-exchange groups (IANA TLS Supported Groups names).
enum class TlsGroup : std::uint8_t { X25519, secp256r1, secp384r1, X448, secp521r1 };
SECPROV_API_ENUM(TlsGroup, {TlsGroup::X25519, "X25519"}, {TlsGroup::secp256r1, "secp256r1"},
                 {TlsGroup::secp384r1, "secp384r1"}, {TlsGroup::X448, "X448"},
                 {TlsGroup::secp521r1, "secp521r1"});

enum class KeyAlgorithm { EcdsaP256, EcdsaP384, Rsa2048, Rsa3072, Rsa4096 };
SECPROV_API_ENUM(KeyAlgorithm, {KeyAlgorithm::EcdsaP256, "ECDSA-P256"},
                 {KeyAlgorithm::EcdsaP384, "ECDSA-P384"}, {KeyAlgorithm::Rsa2048, "RSA-2048"},
                 {KeyAlgorithm::Rsa3072, "RSA-3072"}, {KeyAlgorithm::Rsa4096, "RSA-4096"});

enum class RotationPolicy { Always, Never };
SECPROV_API_ENUM(RotationPolicy, {RotationPolicy::Always, "Always"},
                 {RotationPolicy::Never, "Never"});

enum class OAuth2Role { Consumer, Producer, Both };
SECPROV_API_ENUM(OAuth2Role, {OAuth2Role::Consumer, "Consumer"}, {OAuth2Role::Producer, "Producer"},
                 {OAuth2Role::Both, "Both"});

// JWS algorithms (RFC 7518 / RFC 8037) accepted for access tokens.
enum class JwsAlgorithm { ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA };
SECPROV_API_ENUM(JwsAlgorithm, {JwsAlgorithm::ES256, "ES256"}, {JwsAlgorithm::ES384, "ES384"},
                 {JwsAlgorithm::ES512, "ES512"}, {JwsAlgorithm::RS256, "RS256"},
                 {JwsAlgorithm::RS384, "RS384"}, {JwsAlgorithm::RS512, "RS512"},
                 {JwsAlgorithm::PS256, "PS256"}, {JwsAlgorithm::PS384, "PS384"},
                 {JwsAlgorithm::PS512, "PS512"}, {JwsAlgorithm::EdDSA, "EdDSA"});

enum class IpsecInterface { N2, N3, N4, N9, Xn };
SECPROV_API_ENUM(IpsecInterface, {IpsecInterface::N2, "N2"}, {IpsecInterface::N3, "N3"},
                 {IpsecInterface::N4, "N4"}, {IpsecInterface::N9, "N9"},
                 {IpsecInterface::Xn, "Xn"});

enum class IpsecMode { Tunnel, Transport };
SECPROV_API_ENUM(IpsecMode, {IpsecMode::Tunnel, "Tunnel"}, {IpsecMode::Transport, "Transport"});

enum class IpsecAuthentication { Certificate, PreSharedKey };
SECPROV_API_ENUM(IpsecAuthentication, {IpsecAuthentication::Certificate, "Certificate"},
                 {IpsecAuthentication::PreSharedKey, "PreSharedKey"});

enum class N32Capability { TLS, PRINS };
SECPROV_API_ENUM(N32Capability, {N32Capability::TLS, "TLS"}, {N32Capability::PRINS, "PRINS"});

// Where a partner SEPP's roots are: roots are public, so a ConfigMap is the usual place.
enum class TrustAnchorKind { ConfigMap, Secret };
SECPROV_API_ENUM(TrustAnchorKind, {TrustAnchorKind::ConfigMap, "ConfigMap"},
                 {TrustAnchorKind::Secret, "Secret"});

enum class JweCipherSuite { A128GCM, A256GCM };
SECPROV_API_ENUM(JweCipherSuite, {JweCipherSuite::A128GCM, "A128GCM"},
                 {JweCipherSuite::A256GCM, "A256GCM"});

enum class DriftPolicy { Enforce, Report };
SECPROV_API_ENUM(DriftPolicy, {DriftPolicy::Enforce, "Enforce"}, {DriftPolicy::Report, "Report"});

enum class DeletionPolicy { Delete, Retain };
SECPROV_API_ENUM(DeletionPolicy, {DeletionPolicy::Delete, "Delete"},
                 {DeletionPolicy::Retain, "Retain"});

enum class ConditionStatus { True, False, Unknown };
SECPROV_API_ENUM(ConditionStatus, {ConditionStatus::True, "True"},
                 {ConditionStatus::False, "False"}, {ConditionStatus::Unknown, "Unknown"});

enum class ObjectState { InSync, Drifted, Missing };
SECPROV_API_ENUM(ObjectState, {ObjectState::InSync, "InSync"}, {ObjectState::Drifted, "Drifted"},
                 {ObjectState::Missing, "Missing"});

enum class DriftAction { Repaired, Reported };
SECPROV_API_ENUM(DriftAction, {DriftAction::Repaired, "Repaired"},
                 {DriftAction::Reported, "Reported"});

#undef SECPROV_API_ENUM

}  // namespace secprov::api

#include "render/native_limits.h"

#include <algorithm>
#include <array>
#include <string>

#include "api/text.h"
#include "render/enabler.h"

namespace secprov::render {
namespace {

using api::NfImplementation;
using api::SecurityProfile;

// The UPFs (Open5GS and free5GC) have no SBI: nothing of spec.sbi reaches them.
bool has_sbi(const SecurityProfile& p) {
  return p.spec.nf_type != api::NfType::UPF;
}
bool sbi_tls(const SecurityProfile& p) {
  return has_sbi(p) && p.spec.sbi.tls.mode != api::TlsMode::Disabled;
}
bool sbi_mutual_tls(const SecurityProfile& p) {
  return has_sbi(p) && p.spec.sbi.tls.mode == api::TlsMode::MutualTLS;
}
bool sbi_oauth2(const SecurityProfile& p) {
  return has_sbi(p) && p.spec.sbi.oauth2 && p.spec.sbi.oauth2->enabled;
}

std::string joined(const std::vector<std::string>& items) {
  return api::join(items, ", ");
}

bool contains_name(const auto& values, std::string_view name) {
  return std::any_of(values.begin(), values.end(),
                     [&](const auto v) { return api::to_string(v) == name; });
}

// Open5GS v2.7.7 lib/sbi/nghttp2-server.c, create_ssl_ctx(): DEFAULT_CIPHER_LIST (TLS 1.2,
// IANA names), and no SSL_CTX_set_ciphersuites, so TLS 1.3 keeps OpenSSL 3's default.
constexpr std::array<std::string_view, 8> kOpen5gsTls12Suites{
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",       "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",           "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"};
constexpr std::array<std::string_view, 3> kOpenssl3Tls13Suites{
    "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"};

std::optional<std::string> open5gs_versions(const SecurityProfile& p) {
  if (!sbi_tls(p)) return std::nullopt;
  // Open5GS accepts 1.0 to 1.3, and the API's lowest minVersion is 1.2: always a gap.
  const auto& tls = p.spec.sbi.tls;
  const auto range = tls.min_version == tls.max_version
                         ? std::string(api::to_string(tls.min_version))
                         : std::string(api::to_string(tls.min_version)) + " to " +
                               std::string(api::to_string(tls.max_version));
  return "the profile allows TLS " + range + " only";
}

std::optional<std::string> open5gs_cipher_suites(const SecurityProfile& p) {
  if (!sbi_tls(p)) return std::nullopt;
  std::vector<std::string> extra;
  for (const auto suite : kOpen5gsTls12Suites) {
    if (!contains_name(p.spec.sbi.tls.tls12_cipher_suites, suite)) extra.emplace_back(suite);
  }
  for (const auto suite : kOpenssl3Tls13Suites) {
    if (!contains_name(p.spec.sbi.tls.tls13_cipher_suites, suite)) extra.emplace_back(suite);
  }
  if (extra.empty()) return std::nullopt;
  return "the profile does not allow " + joined(extra);
}

std::optional<std::string> open5gs_groups(const SecurityProfile& p) {
  if (!sbi_tls(p)) return std::nullopt;
  std::vector<std::string> others;
  for (const auto group : p.spec.sbi.tls.groups) {
    if (group != api::TlsGroup::secp256r1) others.emplace_back(api::to_string(group));
  }
  if (!contains_name(p.spec.sbi.tls.groups, "secp256r1")) {
    return "the profile asks for " + joined(others) + " and does not allow secp256r1";
  }
  if (others.empty()) return std::nullopt;
  return "the profile also asks for " + joined(others) + ", never used";
}

std::optional<std::string> open5gs_expired_client(const SecurityProfile& p) {
  if (!sbi_mutual_tls(p)) return std::nullopt;
  return std::string(
      "the profile asks for mutual TLS, where an expired client certificate is "
      "refused");
}

std::optional<std::string> oauth2_asked(const SecurityProfile& p) {
  if (!sbi_oauth2(p)) return std::nullopt;
  return "the profile enables OAuth2 (role " +
         std::string(api::to_string(p.spec.sbi.oauth2->role)) + ")";
}

std::optional<std::string> free5gc_server_verification(const SecurityProfile& p) {
  if (!sbi_tls(p)) return std::nullopt;
  return std::string(
      "the profile asks for TLS, where a client verifies the server's certificate "
      "against the trust domain's CA");
}

std::optional<std::string> free5gc_client_certificate(const SecurityProfile& p) {
  if (!sbi_mutual_tls(p)) return std::nullopt;
  return std::string("the profile asks for mutual TLS, which this NF cannot do as a consumer");
}

// Open5GS renders n32 for a SEPP in TLS capability only (render/config.cpp).
bool open5gs_n32(const SecurityProfile& p) {
  return p.spec.nf_type == api::NfType::SEPP && p.spec.n32 &&
         p.spec.n32->capability == api::N32Capability::TLS;
}

std::optional<std::string> n32_client_ca_per_server(const SecurityProfile& p) {
  if (!open5gs_n32(p) || !sbi_tls(p) || p.spec.n32->peers.size() < 2) return std::nullopt;
  return "the profile has " + std::to_string(p.spec.n32->peers.size()) +
         " N32 peers, each to be verified against its own roots (TS 33.501 13.1.2)";
}

std::optional<std::string> n32_target_plmns(const SecurityProfile& p) {
  if (!open5gs_n32(p)) return std::nullopt;
  std::vector<std::string> peers;
  for (const auto& peer : p.spec.n32->peers) {
    if (peer.plmns.size() > 1) peers.push_back(peer.name);
  }
  if (peers.empty()) return std::nullopt;
  return "the profile lists more than one PLMN for N32 peer(s) " + joined(peers);
}

constexpr std::string_view kOpen5gsServer = "Open5GS v2.7.7 lib/sbi/nghttp2-server.c";
constexpr std::string_view kOpen5gsSepp = "Open5GS v2.7.7 src/sepp/context.c";

constexpr std::array kNativeLimits{
    NativeLimit{NfImplementation::Open5GS, "TLSVersions", TlsSide::Server,
                "accepts TLS 1.0 to 1.3 whatever minVersion and maxVersion say", kOpen5gsServer,
                open5gs_versions},
    NativeLimit{NfImplementation::Open5GS, "CipherSuites", TlsSide::Server,
                "uses a fixed TLS 1.2 cipher list that includes DHE suites, and OpenSSL's default "
                "TLS 1.3 suites",
                kOpen5gsServer, open5gs_cipher_suites},
    NativeLimit{NfImplementation::Open5GS, "KeyExchangeGroups", TlsSide::Server,
                "offers P-256 (secp256r1) only as the server key-exchange group", kOpen5gsServer,
                open5gs_groups},
    NativeLimit{NfImplementation::Open5GS, "ExpiredClientCertAccepted", TlsSide::Server,
                "accepts an expired client certificate (depth 0) in its verify callback",
                kOpen5gsServer, open5gs_expired_client},
    NativeLimit{NfImplementation::Open5GS, "NoOAuth2", TlsSide::None,
                "has no OAuth2: access tokens are neither requested nor checked (models only)",
                "Open5GS v2.7.7 lib/sbi/openapi/model/access_token_req.h", oauth2_asked},
    NativeLimit{NfImplementation::Open5GS, "N32OneClientCA", TlsSide::None,
                "takes one CA file (verify_client_cacert) per n32 server: client certificates of "
                "every partner are verified against that one file",
                kOpen5gsSepp, n32_client_ca_per_server},
    NativeLimit{NfImplementation::Open5GS, "N32OneTargetPLMN", TlsSide::None,
                "takes one target_plmn_id per n32 client (peer SEPP): secprov renders the first",
                kOpen5gsSepp, n32_target_plmns},
    NativeLimit{NfImplementation::Free5GC, "NoServerVerification", TlsSide::Client,
                "clients skip server verification (InsecureSkipVerify): the server's "
                "certificate is never checked",
                "free5GC v1.4.5 openapi/client.go", free5gc_server_verification},
    NativeLimit{NfImplementation::Free5GC, "NoClientCertificate", TlsSide::Client,
                "clients present no client certificate", "free5GC v1.4.5 openapi/client.go",
                free5gc_client_certificate},
    NativeLimit{NfImplementation::Free5GC, "NoOAuth2", TlsSide::None,
                "needs RSA keys, RS512 and a writable cert directory the NRF fills itself for "
                "OAuth2, so secprov renders oauth: false",
                "free5GC v1.4.5 nrf internal/context/context.go", oauth2_asked},
};

}  // namespace

std::string_view output_name(NfImplementation output) {
  return output == NfImplementation::Open5GS ? "open5gs" : "free5gc";
}

std::vector<NfImplementation> native_outputs(const api::OutputsSpec& outputs) {
  std::vector<NfImplementation> out;
  if (outputs.open5gs) out.push_back(NfImplementation::Open5GS);
  if (outputs.free5gc) out.push_back(NfImplementation::Free5GC);
  return out;
}

std::span<const NativeLimit> native_limits() {
  return kNativeLimits;
}

std::vector<EnforcementGap> enforcement_gaps(const api::SecurityProfile& profile) {
  const auto outputs = native_outputs(profile.spec.outputs);
  std::vector<EnforcementGap> gaps;
  for (const auto& row : kNativeLimits) {
    if (std::find(outputs.begin(), outputs.end(), row.output) == outputs.end()) continue;
    if (auto asked = row.exceeded_by(profile)) {
      gaps.push_back({row.output, std::string(row.code), row.side,
                      std::string(api::to_string(row.output)) + " " + std::string(row.limit) +
                          "; " + *asked + " (" + std::string(row.source) + ")"});
    }
  }
  return gaps;
}

bool enabler_takes_over(const api::SecurityProfile& profile, TlsSide side) {
  if (!api::enabler_sidecar(profile)) return false;
  switch (side) {
    case TlsSide::Server:
      return enabler_fronted_server(profile) != nullptr;
    case TlsSide::Client:
      return !profile.spec.enabler->outbound.empty();
    case TlsSide::None:
      return false;
  }
  return false;
}

std::vector<std::string> asked_of_unknown_nf(const api::SecurityProfile& profile) {
  std::vector<std::string> asked;
  if (sbi_tls(profile)) {
    if (!enabler_takes_over(profile, TlsSide::Server)) asked.emplace_back("inbound TLS");
    if (!enabler_takes_over(profile, TlsSide::Client)) asked.emplace_back("outbound TLS");
  }
  if (sbi_oauth2(profile)) asked.emplace_back("OAuth2");
  if (profile.spec.n32) asked.emplace_back("N32");
  return asked;
}

}  // namespace secprov::render

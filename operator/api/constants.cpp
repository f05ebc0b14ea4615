#include "api/constants.h"

#include <algorithm>

namespace secprov::api {
namespace {

template <ApiEnum E>
constexpr auto values_of() {
  constexpr auto& entries = EnumTraits<E>::entries;
  std::array<E, entries.size()> out{};
  for (std::size_t i = 0; i < entries.size(); ++i) out[i] = entries[i].first;
  return out;
}

constexpr auto kNfTypes = values_of<NfType>();
constexpr auto kTls12 = values_of<Tls12CipherSuite>();
constexpr auto kTls13 = values_of<Tls13CipherSuite>();
constexpr auto kGroups = values_of<TlsGroup>();

// TS 29.510 V17.12.0 ServiceName: the enum of the Rel-17 OpenAPI file, in its order.
constexpr std::array<std::string_view, 125> kNfServiceNames{
    "nnrf-nfm",
    "nnrf-disc",
    "nnrf-oauth2",
    "nudm-sdm",
    "nudm-uecm",
    "nudm-ueau",
    "nudm-ee",
    "nudm-pp",
    "nudm-niddau",
    "nudm-mt",
    "nudm-ssau",
    "nudm-rsds",
    "nudm-ueid",
    "namf-comm",
    "namf-evts",
    "namf-mt",
    "namf-loc",
    "namf-mbs-comm",
    "namf-mbs-bc",
    "nsmf-pdusession",
    "nsmf-event-exposure",
    "nsmf-nidd",
    "nausf-auth",
    "nausf-sorprotection",
    "nausf-upuprotection",
    "nnef-pfdmanagement",
    "nnef-smcontext",
    "nnef-eventexposure",
    "nnef-eas-deployment-info",
    "3gpp-cp-parameter-provisioning",
    "3gpp-device-triggering",
    "3gpp-bdt",
    "3gpp-traffic-influence",
    "3gpp-chargeable-party",
    "3gpp-as-session-with-qos",
    "3gpp-msisdn-less-mo-sms",
    "3gpp-service-parameter",
    "3gpp-monitoring-event",
    "3gpp-nidd-configuration-trigger",
    "3gpp-nidd",
    "3gpp-analyticsexposure",
    "3gpp-racs-parameter-provisioning",
    "3gpp-ecr-control",
    "3gpp-applying-bdt-policy",
    "3gpp-mo-lcs-notify",
    "3gpp-time-sync",
    "3gpp-am-influence",
    "3gpp-am-policyauthorization",
    "3gpp-akma",
    "3gpp-eas-deployment",
    "3gpp-iptvconfiguration",
    "3gpp-mbs-tmgi",
    "3gpp-mbs-session",
    "3gpp-authentication",
    "3gpp-asti",
    "npcf-am-policy-control",
    "npcf-smpolicycontrol",
    "npcf-policyauthorization",
    "npcf-bdtpolicycontrol",
    "npcf-eventexposure",
    "npcf-ue-policy-control",
    "npcf-am-policyauthorization",
    "npcf-mbspolicycontrol",
    "npcf-mbspolicyauth",
    "nsmsf-sms",
    "nnssf-nsselection",
    "nnssf-nssaiavailability",
    "nudr-dr",
    "nudr-group-id-map",
    "nlmf-loc",
    "n5g-eir-eic",
    "nbsf-management",
    "nchf-spendinglimitcontrol",
    "nchf-convergedcharging",
    "nchf-offlineonlycharging",
    "nnwdaf-eventssubscription",
    "nnwdaf-analyticsinfo",
    "nnwdaf-datamanagement",
    "nnwdaf-mlmodelprovision",
    "ngmlc-loc",
    "nucmf-provisioning",
    "nucmf-uecapabilitymanagement",
    "nhss-sdm",
    "nhss-uecm",
    "nhss-ueau",
    "nhss-ee",
    "nhss-ims-sdm",
    "nhss-ims-uecm",
    "nhss-ims-ueau",
    "nhss-gba-sdm",
    "nhss-gba-ueau",
    "nsepp-telescopic",
    "nsoraf-sor",
    "nspaf-secured-packet",
    "nudsf-dr",
    "nudsf-timer",
    "nnssaaf-nssaa",
    "nnssaaf-aiw",
    "naanf-akma",
    "n5gddnmf-discovery",
    "nmfaf-3dadm",
    "nmfaf-3cadm",
    "neasdf-dnscontext",
    "neasdf-baselinednspattern",
    "ndccf-dm",
    "ndccf-cm",
    "nnsacf-nsac",
    "nnsacf-slice-ee",
    "nmbsmf-tmgi",
    "nmbsmf-mbssession",
    "nadrf-dm",
    "nbsp-gba",
    "ntsctsf-time-sync",
    "ntsctsf-qos-tscai",
    "ntsctsf-asti",
    "npkmf-keyreq",
    "npkmf-userid",
    "npkmf-discovery",
    "nmnpf-npstatus",
    "niwmsc-smservice",
    "nmbsf-mbs-us",
    "nmbsf-mbs-ud-ingest",
    "nmbstf-distsession",
    "npanf-prosekey",
    "npanf-userid",
};

template <class T>
std::string join(std::span<const T> items) {
  std::string out;
  for (const T& item : items) {
    if (!out.empty()) out += ':';
    out += openssl_name(item);
  }
  return out;
}

}  // namespace

std::span<const NfType> all_nf_types() {
  return kNfTypes;
}
std::span<const Tls12CipherSuite> tls12_allow_list() {
  return kTls12;
}
std::span<const Tls13CipherSuite> tls13_allow_list() {
  return kTls13;
}
std::span<const TlsGroup> tls_group_allow_list() {
  return kGroups;
}

std::optional<IpsecTransform> ipsec_transform(std::string_view token) {
  for (const auto& a : kIpsecAlgorithms) {
    if (a.token == token) return a.transform;
  }
  return std::nullopt;
}

std::vector<std::string_view> ipsec_tokens(std::initializer_list<IpsecTransform> transforms) {
  std::vector<std::string_view> out;
  for (const auto& a : kIpsecAlgorithms) {
    if (std::find(transforms.begin(), transforms.end(), a.transform) != transforms.end()) {
      out.push_back(a.token);
    }
  }
  return out;
}

std::vector<std::string_view> ipsec_tokens(IpsecProtocol protocol) {
  using enum IpsecTransform;
  if (protocol == IpsecProtocol::Ike) {
    return ipsec_tokens({AeadEncryption, Encryption, Integrity, Prf, KeyExchange});
  }
  return ipsec_tokens({AeadEncryption, Encryption, Integrity, KeyExchange});
}

std::span<const std::string_view> nf_service_names() {
  return kNfServiceNames;
}

std::string_view openssl_name(Tls12CipherSuite s) {
  switch (s) {
    case Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
      return "ECDHE-ECDSA-AES128-GCM-SHA256";
    case Tls12CipherSuite::ECDHE_RSA_WITH_AES_128_GCM_SHA256:
      return "ECDHE-RSA-AES128-GCM-SHA256";
    case Tls12CipherSuite::ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
      return "ECDHE-ECDSA-AES256-GCM-SHA384";
    case Tls12CipherSuite::ECDHE_RSA_WITH_AES_256_GCM_SHA384:
      return "ECDHE-RSA-AES256-GCM-SHA384";
    case Tls12CipherSuite::ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
      return "ECDHE-ECDSA-CHACHA20-POLY1305";
    case Tls12CipherSuite::ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
      return "ECDHE-RSA-CHACHA20-POLY1305";
  }
  return {};
}

std::string_view openssl_name(Tls13CipherSuite s) {
  return to_string(s);
}

std::string_view openssl_name(TlsGroup g) {
  switch (g) {
    case TlsGroup::X25519:
      return "X25519";
    case TlsGroup::secp256r1:
      return "P-256";
    case TlsGroup::secp384r1:
      return "P-384";
    case TlsGroup::X448:
      return "X448";
    case TlsGroup::secp521r1:
      return "P-521";
  }
  return {};
}

std::string openssl_list(std::span<const Tls12CipherSuite> suites) {
  return join(suites);
}
std::string openssl_list(std::span<const Tls13CipherSuite> suites) {
  return join(suites);
}
std::string openssl_list(std::span<const TlsGroup> groups) {
  return join(groups);
}

bool is_rsa(KeyAlgorithm a) {
  return a == KeyAlgorithm::Rsa2048 || a == KeyAlgorithm::Rsa3072 || a == KeyAlgorithm::Rsa4096;
}

int key_bits(KeyAlgorithm a) {
  switch (a) {
    case KeyAlgorithm::EcdsaP256:
      return 256;
    case KeyAlgorithm::EcdsaP384:
      return 384;
    case KeyAlgorithm::Rsa2048:
      return 2048;
    case KeyAlgorithm::Rsa3072:
      return 3072;
    case KeyAlgorithm::Rsa4096:
      return 4096;
  }
  return 0;
}

}  // namespace secprov::api

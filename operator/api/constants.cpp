#include "api/constants.h"

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

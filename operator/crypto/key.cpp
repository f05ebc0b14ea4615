#include "crypto/key.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include "crypto/detail/ossl.h"
#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

using detail::Access;

struct AlgorithmName {
  KeyAlgorithm algorithm;
  std::string_view name;
};
constexpr std::array<AlgorithmName, 5> kAlgorithmNames{{
    {KeyAlgorithm::EcdsaP256, "ECDSA-P256"},
    {KeyAlgorithm::EcdsaP384, "ECDSA-P384"},
    {KeyAlgorithm::Rsa2048, "RSA-2048"},
    {KeyAlgorithm::Rsa3072, "RSA-3072"},
    {KeyAlgorithm::Rsa4096, "RSA-4096"},
}};

// Refuses to decrypt: OpenSSL would otherwise prompt on the terminal for a passphrase.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return -1;
}

// A named curve's domain parameters, made once for the process and never changed (OpenSSL
// keys are safe to share read-only between threads).
const EVP_PKEY* curve_parameters(const char* group) {
  const detail::PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* parameters = nullptr;
  if (!context || EVP_PKEY_paramgen_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(context.get(), group) != 1 ||
      EVP_PKEY_paramgen(context.get(), &parameters) != 1) {
    detail::throw_openssl(std::string("parameters of ") + group);
  }
  return parameters;
}

// An EC key from its curve's parameters: the generation copies their group, where generating
// by the curve's name builds the group again each time (a third of a P-256 key's cost).
EVP_PKEY* generate_ec_key(const EVP_PKEY* parameters) {
  // EVP_PKEY_CTX_new_from_pkey only takes a reference: the parameters are not changed.
  const detail::PkeyCtxPtr context(
      EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(parameters), nullptr));
  EVP_PKEY* key = nullptr;
  if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_generate(context.get(), &key) != 1) {
    return nullptr;
  }
  return key;
}

EVP_PKEY* generate_key(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::EcdsaP256: {
      // Never freed: one immutable object, shared by every thread until the process ends.
      static const EVP_PKEY* const p256 = curve_parameters("P-256");
      return generate_ec_key(p256);
    }
    case KeyAlgorithm::EcdsaP384: {
      static const EVP_PKEY* const p384 = curve_parameters("P-384");
      return generate_ec_key(p384);
    }
    case KeyAlgorithm::Rsa2048:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    case KeyAlgorithm::Rsa3072:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072));
    case KeyAlgorithm::Rsa4096:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(4096));
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(KeyAlgorithm algorithm) noexcept {
  for (const auto& entry : kAlgorithmNames) {
    if (entry.algorithm == algorithm) return entry.name;
  }
  return "unknown";
}

std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view text) noexcept {
  for (const auto& entry : kAlgorithmNames) {
    if (entry.name == text) return entry.algorithm;
  }
  return std::nullopt;
}

PrivateKey PrivateKey::generate(KeyAlgorithm algorithm) {
  ERR_clear_error();
  detail::PkeyPtr key(generate_key(algorithm));
  if (!key) detail::throw_openssl("generating " + std::string(to_string(algorithm)) + " key");
  return Access::wrap(std::move(key));
}

PrivateKey PrivateKey::from_pem(std::string_view pem) {
  ERR_clear_error();
  const detail::BioPtr bio = detail::memory_bio(pem);
  detail::PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) detail::throw_openssl("no usable unencrypted private key in PEM");
  return Access::wrap(std::move(key));
}

std::string PrivateKey::to_pkcs8_pem() const {
  if (const int curve = detail::ec_curve_nid(key_.get()); curve != NID_undef) {
    return detail::ec_pkcs8_pem(key_.get(), curve);
  }
  // Secure-heap BIO: the buffer holding the PEM is cleansed when freed.
  const detail::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    detail::throw_openssl("writing PKCS#8 private key");
  }
  return detail::bio_contents(bio.get());
}

std::optional<KeyAlgorithm> PrivateKey::algorithm() const {
  return detail::key_algorithm_of(key_.get());
}

std::string PrivateKey::public_key_sha256() const {
  return detail::public_key_sha256(key_.get());
}

}  // namespace secprov::crypto

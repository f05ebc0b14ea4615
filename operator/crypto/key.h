#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/handle.h"

namespace secprov::crypto {

// The key types allowed by the NF certificate profile (TS 33.310: RSA >= 2048, ECDSA P-256/P-384).
enum class KeyAlgorithm { EcdsaP256, EcdsaP384, Rsa2048, Rsa3072, Rsa4096 };

// "ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072", "RSA-4096".
std::string_view to_string(KeyAlgorithm algorithm) noexcept;
// Exact (case-sensitive) inverse of to_string; nullopt for anything else.
std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view text) noexcept;

// An asymmetric private key. Copies share the same immutable OpenSSL key (reference counted).
class PrivateKey {
 public:
  // Fresh key from the OpenSSL default RNG. Throws CryptoError.
  static PrivateKey generate(KeyAlgorithm algorithm);
  // PKCS#8 ("PRIVATE KEY") or traditional ("RSA/EC PRIVATE KEY") PEM, first key in the text.
  // Encrypted keys are rejected (never prompts). Throws CryptoError on anything else.
  static PrivateKey from_pem(std::string_view pem);

  // Unencrypted PKCS#8 PEM. This is secret material: never log it.
  std::string to_pkcs8_pem() const;
  // nullopt for keys outside KeyAlgorithm (e.g. Ed25519, RSA-8192, P-521).
  std::optional<KeyAlgorithm> algorithm() const;
  // Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo; equals Certificate/CSR
  // public_key_sha256() for the matching public key.
  std::string public_key_sha256() const;

 private:
  friend struct detail::Access;
  explicit PrivateKey(detail::Handle<evp_pkey_st> key) noexcept : key_(std::move(key)) {}
  detail::Handle<evp_pkey_st> key_;
};

}  // namespace secprov::crypto

#pragma once
// Key derivation: secrets both ends of a link compute from what they already share, so no
// object has to carry them from one to the other.

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/key.h"

namespace secprov::crypto {

// HKDF-SHA256 (RFC 5869, extract then expand): `length` bytes (1..8160) from the input
// keying material `ikm`, `salt` and the context `info`. Deterministic: the same inputs give
// the same bytes. Throws std::invalid_argument on a length out of range, CryptoError when
// OpenSSL fails. The output is secret: never log it.
std::string derive_key(std::string_view ikm, std::string_view salt, std::string_view info,
                       std::size_t length);

// The same with a private key's secret as the input keying material (its unencrypted PKCS#8
// DER, which never leaves this layer): e.g. a trust domain's CA key, which every profile of
// that trust domain can reach. A new key (a CA rotation) gives new bytes.
std::string derive_key(const PrivateKey& ikm, std::string_view salt, std::string_view info,
                       std::size_t length);

}  // namespace secprov::crypto

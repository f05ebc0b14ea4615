#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace secprov::crypto {

// SHA-256 of data, its 32 bytes: for a key or a comparison, where hex would only be decoded
// again.
std::array<std::uint8_t, 32> sha256(std::string_view data);
// Lowercase hex SHA-256 of data (like sha256sum).
std::string sha256_hex(std::string_view data);

// `bytes` bytes from the OpenSSL CSPRNG (RAND_bytes). Throws CryptoError if the RNG fails.
std::string random_bytes(std::size_t bytes);

// A random (version 4, RFC 4122) UUID in lowercase 8-4-4-4-12 form, e.g. an NF instance ID.
std::string random_uuid();

// `bytes` bytes from the OpenSSL CSPRNG (RAND_bytes), base64 encoded, e.g. IPsec pre-shared
// keys. Throws CryptoError if the RNG fails.
std::string random_base64(std::size_t bytes);

// Standard base64 (RFC 4648 section 4, with '=' padding, no line breaks), as in Kubernetes
// Secret data.
std::string base64_encode(std::string_view data);
// Strict inverse: nullopt on characters outside the alphabet, whitespace, bad length or padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace secprov::crypto

#include "crypto/encoding.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstdint>
#include <vector>

#include "api/text.h"
#include "crypto/detail/ossl.h"
#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The alphabet's values by byte, -1 outside it: one load per character (the decoder runs over
// every certificate a trust domain's rotation gates look at).
constexpr std::array<std::int8_t, 256> kDecodeTable = [] {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 26; ++i) {
    table['A' + i] = static_cast<std::int8_t>(i);
    table['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) table['0' + i] = static_cast<std::int8_t>(52 + i);
  table['+'] = 62;
  table['/'] = 63;
  return table;
}();

int decode_char(char c) noexcept {
  return kDecodeTable[static_cast<unsigned char>(c)];
}

}  // namespace

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  return detail::sha256_of(data.data(), data.size());
}

std::string sha256_hex(std::string_view data) {
  return detail::sha256_hex_of(data.data(), data.size());
}

std::string random_bytes(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(INT_MAX)) throw CryptoError("random_bytes: too many bytes");
  std::string buffer(bytes, '\0');
  if (bytes > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(buffer.data()), static_cast<int>(bytes)) != 1) {
    detail::throw_openssl("RAND_bytes");
  }
  return buffer;
}

std::string random_base64(std::size_t bytes) {
  std::string buffer = random_bytes(bytes);
  std::string encoded = base64_encode(buffer);
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return encoded;
}

std::string random_uuid() {
  std::string bytes = random_bytes(16);
  bytes[6] = static_cast<char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string text;
  api::append_uuid(text, bytes);
  return text;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[at]));
  };
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[group >> 18 & 0x3f];
    out += kAlphabet[group >> 12 & 0x3f];
    out += kAlphabet[group >> 6 & 0x3f];
    out += kAlphabet[group & 0x3f];
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    const std::uint32_t group = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[group >> 18 & 0x3f];
    out += kAlphabet[group >> 12 & 0x3f];
    out += rest == 2 ? kAlphabet[group >> 6 & 0x3f] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  std::size_t written = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t padding =
        last ? static_cast<std::size_t>(text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (padding == 1 && text[i + 3] != '=') return std::nullopt;  // "x=y=" style
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const int value = j >= 4 - padding ? 0 : decode_char(text[i + j]);
      if (value < 0) return std::nullopt;
      group = group << 6 | static_cast<std::uint32_t>(value);
    }
    // Canonical encoding only: the bits under the padding must be zero.
    if ((padding == 1 && (group & 0xff) != 0) || (padding == 2 && (group & 0xffff) != 0)) {
      return std::nullopt;
    }
    out[written++] = static_cast<char>(group >> 16 & 0xff);
    if (padding < 2) out[written++] = static_cast<char>(group >> 8 & 0xff);
    if (padding < 1) out[written++] = static_cast<char>(group & 0xff);
  }
  out.resize(written);
  return out;
}

}  // namespace secprov::crypto

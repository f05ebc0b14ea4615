#include "crypto/kdf.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "crypto/key.h"

namespace secprov::crypto {
namespace {

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

std::string to_hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += kDigits[u >> 4];
    out += kDigits[u & 0x0f];
  }
  return out;
}

// RFC 5869 appendix A.1 (test case 1: basic test case with SHA-256).
TEST(DeriveKey, Rfc5869TestCase1) {
  const std::string okm =
      derive_key(std::string(22, '\x0b'), from_hex("000102030405060708090a0b0c"),
                 from_hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  EXPECT_EQ(to_hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 appendix A.3 (test case 3: zero-length salt and info).
TEST(DeriveKey, Rfc5869TestCase3EmptySaltAndInfo) {
  EXPECT_EQ(to_hex(derive_key(std::string(22, '\x0b'), "", "", 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(DeriveKey, RefusesLengthOutOfRange) {
  EXPECT_THROW(derive_key("ikm", "salt", "info", 0), std::invalid_argument);
  EXPECT_THROW(derive_key("ikm", "salt", "info", 255 * 32 + 1), std::invalid_argument);
  EXPECT_EQ(derive_key("ikm", "salt", "info", 255 * 32).size(), 255U * 32U);
}

TEST(DeriveKey, FromPrivateKeyIsDeterministicPerKeyAndContext) {
  const auto key = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const auto same = PrivateKey::from_pem(key.to_pkcs8_pem());  // as loaded from its Secret
  const auto other = PrivateKey::generate(KeyAlgorithm::EcdsaP256);
  const auto a = derive_key(key, "salt", "info", 32);
  EXPECT_EQ(a.size(), 32U);
  EXPECT_EQ(derive_key(same, "salt", "info", 32), a);
  EXPECT_NE(derive_key(other, "salt", "info", 32), a);
  EXPECT_NE(derive_key(key, "salt", "other info", 32), a);
  EXPECT_NE(derive_key(key, "other salt", "info", 32), a);
  const auto rsa = PrivateKey::generate(KeyAlgorithm::Rsa2048);
  EXPECT_EQ(derive_key(rsa, "salt", "info", 32),
            derive_key(PrivateKey::from_pem(rsa.to_pkcs8_pem()), "salt", "info", 32));
}

}  // namespace
}  // namespace secprov::crypto

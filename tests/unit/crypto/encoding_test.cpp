#include "crypto/encoding.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>

namespace secprov::crypto {
namespace {

TEST(Sha256Hex, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The digest's bytes, which sha256_hex spells.
TEST(Sha256, TheBytesSha256HexSpells) {
  const auto hex_of = [](const std::array<std::uint8_t, 32>& bytes) {
    constexpr std::string_view kDigits = "0123456789abcdef";
    std::string hex;
    for (const auto byte : bytes) {
      hex += kDigits[byte >> 4U];
      hex += kDigits[byte & 0xfU];
    }
    return hex;
  };
  EXPECT_EQ(hex_of(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  for (const std::string& data : {std::string(), std::string("abc"), std::string(1000, 'x')}) {
    EXPECT_EQ(hex_of(sha256(data)), sha256_hex(data));
  }
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain) << encoded;
  }
}

TEST(Base64, BinaryRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    const std::string data = all.substr(0, length) + all.substr(256 - length % 7);
    EXPECT_EQ(base64_decode(base64_encode(data)), data);
  }
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"Zg=", "Z===", "====", "Zm9v\n", "Zm 9", "Zm=v",
                          "Zg==Zg==", "Zh==", "Zm9=", "Zm-v", "Zm_v"}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
  }
}

TEST(RandomBase64, DecodesToRequestedLengthAndDiffers) {
  const std::string a = random_base64(32);
  const std::string b = random_base64(32);
  EXPECT_EQ(a.size(), 44u);
  ASSERT_TRUE(base64_decode(a).has_value());
  EXPECT_EQ(base64_decode(a)->size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(random_base64(0), "");
}

TEST(RandomBytes, HasTheRequestedLengthAndDiffers) {
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_EQ(random_bytes(24).size(), 24u);
  EXPECT_NE(random_bytes(16), random_bytes(16));
}

TEST(RandomUuid, IsAVersion4Rfc4122Uuid) {
  const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 32; ++i) {
    const std::string id = random_uuid();
    EXPECT_TRUE(std::regex_match(id, uuid_v4)) << id;
  }
  EXPECT_NE(random_uuid(), random_uuid());
}

}  // namespace
}  // namespace secprov::crypto

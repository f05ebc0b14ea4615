#include "runtime/packed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace secprov::runtime {
namespace {

// Round trips through every MessagePack width the encoder picks.
TEST(PackedJson, UnpacksWhatWasPacked) {
  const Json values[] = {
      nullptr,
      true,
      false,
      0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      std::numeric_limits<std::uint32_t>::max(),
      std::numeric_limits<std::uint64_t>::max(),
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      std::numeric_limits<std::int32_t>::min(),
      std::numeric_limits<std::int64_t>::min(),
      0.5,
      1e300,
      -2.25,
      "",
      std::string(31, 's'),
      std::string(32, 's'),
      std::string(255, 's'),
      std::string(256, 's'),
      std::string(70000, 's'),
      Json::array(),
      Json::array({1, "two", nullptr}),
      Json(std::vector<int>(16, 7)),
      Json(std::vector<int>(70000, 7)),
      Json::object(),
      {{"metadata", {{"name", "a"}, {"labels", {{"app", "amf"}}}}}, {"data", {{"k", "v"}}}},
  };
  for (const auto& value : values) {
    const PackedJson packed(value);
    EXPECT_EQ(packed.unpack(), value) << value.dump().substr(0, 80);
    EXPECT_EQ(packed.unpack().dump(), value.dump());
    // Typed as a text parse types them: what the API server sends is parsed from text.
    EXPECT_EQ(packed.unpack().type(), Json::parse(value.dump()).type())
        << value.dump().substr(0, 80);
  }
}

TEST(PackedJson, ObjectsWithManyMembersKeepEveryKey) {
  Json object = Json::object();
  for (int i = 0; i < 20; ++i) object["key-" + std::to_string(i)] = i;  // past fixmap's 15
  object[std::string(40, 'k')] = "a key longer than a fixstr";
  EXPECT_EQ(PackedJson(object).unpack(), object);
}

TEST(PackedJson, IsSmallerThanTheText) {
  const Json secret = {
      {"metadata", {{"name", "p-00000-tls"}, {"namespace", "bench"}, {"resourceVersion", "263"}}},
      {"data", {{"tls.crt", std::string(1000, 'A')}}}};
  EXPECT_LT(PackedJson(secret).size(), secret.dump().size());
}

// Binary values (without subtype) are store-only fields, e.g. a cached certificate's DER.
TEST(PackedJson, UnpacksBinaryValues) {
  for (const std::size_t length : {0, 1, 255, 256, 70000}) {
    std::vector<std::uint8_t> bytes(length);
    for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
    const Json value = {{"der", Json::binary(bytes)}, {"after", 1}};
    const auto unpacked = PackedJson(value).unpack();
    EXPECT_EQ(unpacked, value) << length;
    ASSERT_TRUE(unpacked["der"].is_binary());
    EXPECT_TRUE(std::equal(unpacked["der"].get_binary().begin(), unpacked["der"].get_binary().end(),
                           bytes.begin(), bytes.end()));
  }
}

TEST(PackedJson, DefaultIsNull) {
  EXPECT_TRUE(PackedJson().unpack().is_null());
}

}  // namespace
}  // namespace secprov::runtime

#include "render/digest.h"

#include <gtest/gtest.h>

#include <regex>

#include "crypto/encoding.h"

namespace secprov::render {
namespace {

using nlohmann::json;

TEST(ContentDigest, Sha256OfSortedCompactJson) {
  const json data = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(content_digest(data), "sha256:" + crypto::sha256_hex(R"({"a":"1","b":"2"})"));
  EXPECT_TRUE(std::regex_match(content_digest(data), std::regex("sha256:[0-9a-f]{64}")));
  EXPECT_EQ(content_digest(json::object()), "sha256:" + crypto::sha256_hex("{}"));
}

TEST(ContentDigest, StableAcrossKeyOrderAndCalls) {
  const json a = json::parse(R"({"tls.crt": "Y2VydA==", "tls.key": "a2V5", "ca.crt": "Y2E="})");
  const json b = json::parse(R"({"ca.crt": "Y2E=", "tls.key": "a2V5", "tls.crt": "Y2VydA=="})");
  EXPECT_EQ(content_digest(a), content_digest(b));
  EXPECT_EQ(content_digest(a), content_digest(a));
}

TEST(ContentDigest, ChangesWithAnyValueOrKey) {
  const json base = {{"a", "1"}, {"b", "2"}};
  const std::string d = content_digest(base);
  EXPECT_NE(content_digest(json{{"a", "1"}, {"b", "3"}}), d);
  EXPECT_NE(content_digest(json{{"a", "1"}, {"c", "2"}}), d);
  EXPECT_NE(content_digest(json{{"a", "1"}}), d);
  // No ambiguity between keys and values.
  EXPECT_NE(content_digest(json{{"ab", ""}}), content_digest(json{{"a", "b"}}));
}

TEST(ContentDigest, RejectsNonStringData) {
  EXPECT_THROW(content_digest(json::array()), std::invalid_argument);
  EXPECT_THROW(content_digest(json{{"a", 1}}), std::invalid_argument);
  EXPECT_THROW(key_digests(json("x")), std::invalid_argument);
}

TEST(KeyDigests, OnePerKeyAndOnlyTheChangedKeyDiffers) {
  const json before = {{"security.yaml", "x: 1\n"}, {"open5gs.yaml", "amf: {}\n"}};
  json after = before;
  after["open5gs.yaml"] = "amf: {x: 1}\n";
  const auto b = key_digests(before);
  const auto a = key_digests(after);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.at("security.yaml"), "sha256:" + crypto::sha256_hex("x: 1\n"));
  EXPECT_EQ(a.at("security.yaml"), b.at("security.yaml"));
  EXPECT_NE(a.at("open5gs.yaml"), b.at("open5gs.yaml"));
}

}  // namespace
}  // namespace secprov::render

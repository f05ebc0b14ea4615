#include "render/digest.h"

#include <gtest/gtest.h>

#include <regex>

#include "crypto/encoding.h"

namespace secprov::render {
namespace {

using nlohmann::json;

TEST(DataDigests, SecretValuesAreDigestedDecodedConfigMapValuesAsTheyAre) {
  const json secret_data = {{"tls.key", crypto::base64_encode("KEY")}, {"n", 1}};
  const auto secret = data_digests(secret_data, DataEncoding::Base64);
  ASSERT_EQ(secret.size(), 1u);  // non-string values are not data
  EXPECT_EQ(secret.at("tls.key"), crypto::sha256_hex("KEY"));
  const json config_data = {{"security.yaml", "x: 1\n"}};
  EXPECT_EQ(data_digests(config_data, DataEncoding::Plain).at("security.yaml"),
            crypto::sha256_hex("x: 1\n"));
  // A Secret value that is not base64 still has a digest (of its text): tampering shows.
  EXPECT_EQ(data_digests(json{{"k", "*not base64*"}}, DataEncoding::Base64).at("k"),
            crypto::sha256_hex("*not base64*"));
  EXPECT_TRUE(data_digests(json::array(), DataEncoding::Plain).empty());
}

TEST(DataDigests, OnlyTheChangedKeyDiffers) {
  const json before = {{"security.yaml", "x: 1\n"}, {"open5gs.yaml", "amf: {}\n"}};
  json after = before;
  after["open5gs.yaml"] = "amf: {x: 1}\n";
  const auto b = data_digests(before, DataEncoding::Plain);
  const auto a = data_digests(after, DataEncoding::Plain);
  EXPECT_EQ(a.at("security.yaml"), b.at("security.yaml"));
  EXPECT_NE(a.at("open5gs.yaml"), b.at("open5gs.yaml"));
}

TEST(ObjectDigest, DependsOnEveryKeyAndDigestNotOnOrder) {
  EXPECT_EQ(object_digest({{"a", "1"}, {"b", "2"}}), object_digest({{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(object_digest({{"a", "1"}}), object_digest({{"a", "2"}}));
  EXPECT_NE(object_digest({{"a", "1"}}), object_digest({{"b", "1"}}));
  EXPECT_TRUE(std::regex_match(object_digest({}), std::regex("sha256:[0-9a-f]{64}")));
}

TEST(InputDigest, CanonicalJson) {
  EXPECT_EQ(input_digest(json{{"b", "2"}, {"a", "1"}}),
            "sha256:" + crypto::sha256_hex(R"({"a":"1","b":"2"})"));
  EXPECT_NE(input_digest(json{{"ab", ""}}), input_digest(json{{"a", "b"}}));
}

TEST(WithDigests, RecordsTheInputAndEveryDataKey) {
  const json secret = {{"kind", "Secret"},
                       {"metadata", {{"name", "s"}}},
                       {"data", {{"tls.key", crypto::base64_encode("KEY")}}}};
  const auto annotated = with_digests(secret, "sha256:in");
  EXPECT_EQ(annotated["metadata"]["annotations"][std::string(kInputDigestAnnotation)], "sha256:in");
  bool readable = false;
  EXPECT_EQ(recorded_data_digests(annotated, &readable),
            (std::map<std::string, std::string>{{"tls.key", crypto::sha256_hex("KEY")}}));
  EXPECT_TRUE(readable);
  auto edited = annotated;
  edited["metadata"]["annotations"][std::string(kDataDigestsAnnotation)] = "{broken";
  EXPECT_TRUE(recorded_data_digests(edited, &readable).empty());
  EXPECT_FALSE(readable);
  edited["metadata"]["annotations"][std::string(kDataDigestsAnnotation)] = 42;
  EXPECT_TRUE(recorded_data_digests(edited, &readable).empty());
  EXPECT_FALSE(readable);
  // Nothing recorded is readable: no annotation, no annotations, no metadata.
  edited["metadata"]["annotations"].erase(std::string(kDataDigestsAnnotation));
  for (const auto& object : {edited, nlohmann::json{{"metadata", nlohmann::json::object()}},
                             nlohmann::json::object(), nlohmann::json()}) {
    EXPECT_TRUE(recorded_data_digests(object, &readable).empty()) << object;
    EXPECT_TRUE(readable) << object;
  }
}

}  // namespace
}  // namespace secprov::render

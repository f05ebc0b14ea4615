#include "runtime/packed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
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

// The same bytes as nlohmann's encoder without a dictionary: the widths the reader relies on to
// type numbers as a text parse does.
TEST(PackedJson, WritesWhatNlohmannWrites) {
  const Json value = {
      {"u", {0, 127, 128, 255, 256, 65535, 65536, 4294967295ULL, 4294967296ULL}},
      {"i", {-1, -32, -33, -128, -129, -32768, -32769, -2147483648LL, -2147483649LL}},
      {"f", {0.5, 1e300, -2.25, 0.1}},
      // Not hex (which is folded, below): the string widths nlohmann writes.
      {"s", {"", std::string(31, 'z'), std::string(32, 'z'), std::string(300, 'z')}},
      {"b", {true, false, nullptr}},
      {"o", Json::object()},
      {"a", Json(std::vector<int>(16, 1))}};
  std::string expected;
  Json::to_msgpack(value, nlohmann::detail::output_adapter<char>(expected));
  EXPECT_EQ(PackedJson(value).size(), expected.size());
  const PackDictionary none({"absent"});
  EXPECT_EQ(PackedJson(value, &none).size(), expected.size());
}

// Digests, fingerprints and UIDs are kept as their bytes, and read back as the same text.
TEST(PackedJson, LowercaseHexIsKeptAsItsBytes) {
  const std::string digest(64, 'c');
  const std::string uid = "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31";
  const auto size_of = [](const Json& value) { return PackedJson(value).size(); };
  // "sha256:" and 32 bytes: ext 8 header (3), a literal segment (1 + 7), a hex one (1 + 32).
  EXPECT_EQ(size_of("sha256:" + digest), 3u + 8u + 33u);
  EXPECT_EQ(size_of(digest), 3u + 33u);  // instead of 2 + 64
  EXPECT_EQ(size_of(uid), 3u + 17u);     // instead of 1 + 36
  const std::string annotation = R"({"ca.crt":")" + digest + R"(","tls.crt":")" + digest + R"("})";
  // Instead of 2 + 154: the three literals and the two digests, each a segment.
  EXPECT_EQ(size_of(annotation), 3u + (1u + 11u) + 33u + (1u + 13u) + 33u + (1u + 2u));

  const std::vector<std::string> texts = {
      "sha256:" + digest,
      digest,
      uid,
      uid + uid,
      "urn:uuid:" + uid,
      annotation,
      std::string(15, 'a'),            // too short to fold
      std::string(17, 'a'),            // an odd digit left as text
      std::string(254, 'b'),           // one full segment
      std::string(256, 'b') + "x",     // a segment of 127 bytes, then 1 digit and text
      std::string(300, '7') + "-end",  // 127 + 23 bytes
      std::string(64, 'C'),            // uppercase stays text
      "6F1E4C2A-8D3B-4A57-9C0E-2B7D5F1A9E31",
      "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e3",  // one digit short of a UUID
      "6f1e4c2a08d3b-4a57-9c0e-2b7d5f1a9e31",
      "0123456789abcdef" + uid,  // a run, then a UUID that starts inside it
      std::string(130, 'x') + digest + std::string(130, 'y'),  // literals over 126 bytes
      std::string("a\0b", 3) + digest,
  };
  for (const auto& text : texts) {
    const Json value = {{"k", text}, {text, {text}}};  // a value, a key and an element
    const PackedJson packed(value);
    EXPECT_EQ(packed.unpack(), value) << text;
    EXPECT_LE(packed.size(), [&] {
      std::string plain;
      Json::to_msgpack(value, nlohmann::detail::output_adapter<char>(plain));
      return plain.size();
    }()) << text;
  }
}

// Texts mixing hex runs of every length, dashes at UUID places and other bytes read back the
// same (a fixed seed: the same texts every run).
TEST(PackedJson, EveryMixOfHexAndTextReadsBackTheSame) {
  std::mt19937 random(20261202);
  const std::string alphabet = "0123456789abcdef-Ax:";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const std::size_t length = random() % 400;
    while (text.size() < length) {
      if (random() % 8 == 0) {
        text += "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31";
      } else if (random() % 4 == 0) {
        text += std::string(random() % 300, "0123456789abcdef"[random() % 16]);
      } else {
        text.push_back(alphabet[random() % alphabet.size()]);
      }
    }
    const Json value = {{text, text}};
    ASSERT_EQ(PackedJson(value).unpack(), value) << text;
  }
}

TEST(PackedJson, DictionaryStringsAreTwoBytes) {
  const PackDictionary dictionary({"metadata", "name", "app.kubernetes.io/managed-by", "secprov"});
  const Json object = {{"metadata",
                        {{"name", "p-00000-tls"},
                         {"labels", {{"app.kubernetes.io/managed-by", "secprov"}}},
                         {"other", "name"}}}};
  const PackedJson plain(object);
  const PackedJson packed(object, &dictionary);
  EXPECT_EQ(packed.unpack(&dictionary), object);
  // "metadata", "name" twice, the label key and its value: each 2 bytes instead of 1 + length.
  EXPECT_EQ(plain.size() - packed.size(), (9 - 2) + 2 * (5 - 2) + (29 - 2) + (8 - 2));
}

TEST(PackedJson, EveryDictionaryIndexRoundTrips) {
  std::vector<std::string> entries;
  for (std::size_t i = 0; i < PackDictionary::kMaxEntries; ++i) {
    entries.push_back("entry-" + std::to_string(i));
  }
  const PackDictionary dictionary(entries);
  Json object = Json::object();
  for (const auto& entry : entries) object[entry] = entry;
  EXPECT_EQ(PackedJson(object, &dictionary).unpack(&dictionary), object);
}

// A reference is only as good as the dictionary it was packed with: without it (or with a
// shorter one) unpacking fails loudly instead of making up a string.
TEST(PackedJson, AReferenceWithoutItsDictionaryThrows) {
  const PackDictionary dictionary({"a", "b"});
  const PackedJson packed(Json{{"b", "a"}}, &dictionary);
  EXPECT_THROW((void)packed.unpack(), std::runtime_error);
  const PackDictionary shorter({"a"});
  EXPECT_THROW((void)packed.unpack(&shorter), std::runtime_error);
}

TEST(PackDictionary, RefusesWhatItCannotNumber) {
  EXPECT_THROW(PackDictionary({"a", "a"}), std::invalid_argument);
  EXPECT_THROW(PackDictionary({""}), std::invalid_argument);
  EXPECT_THROW(PackDictionary(std::vector<std::string>(PackDictionary::kMaxEntries + 1, "x")),
               std::invalid_argument);
  const PackDictionary dictionary({"a", "b"});
  EXPECT_EQ(dictionary.find("b"), std::uint8_t{1});
  EXPECT_EQ(dictionary.find("c"), std::nullopt);
  EXPECT_EQ(dictionary.at(0), "a");
  EXPECT_EQ(dictionary.at(2), std::nullopt);
}

// The reader has no way back for a binary's subtype (MessagePack ext types): refused when packed.
TEST(PackedJson, RefusesABinaryWithASubtype) {
  EXPECT_THROW(PackedJson(Json::binary({1, 2, 3}, 5)), std::invalid_argument);
}

TEST(PackedJson, DefaultIsNull) {
  EXPECT_TRUE(PackedJson().unpack().is_null());
}

}  // namespace
}  // namespace secprov::runtime

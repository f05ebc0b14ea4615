#include "kube/json_read.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace secprov::kube {
namespace {

using Json = nlohmann::json;

// A watch event as the API server sends it, with managedFields entries carrying field sets,
// and a "fieldsV1" member where it is data, not a field set.
constexpr std::string_view kEvent = R"({"type":"MODIFIED","object":{
  "apiVersion":"v1","kind":"ConfigMap",
  "metadata":{"name":"a","namespace":"n","resourceVersion":"7",
    "managedFields":[
      {"manager":"secprov","operation":"Apply","apiVersion":"v1","time":"2026-01-01T00:00:00Z",
       "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{},"f:b":{}},"f:metadata":{}}},
      {"manager":"kubectl","operation":"Update","fieldsV1":{"f:data":{".":{}}}}]},
  "data":{"fieldsV1":"kept: it is data","list":[1,[2,3],{"x":null}]}}})";

TEST(ParsePruned, AWatchEventLosesOnlyItsFieldSets) {
  const auto pruned = parse_pruned(kEvent, keep::all_but_field_sets);
  ASSERT_TRUE(pruned.has_value());
  Json expected = Json::parse(kEvent);
  auto& entries = expected["object"]["metadata"]["managedFields"];
  for (auto& entry : entries) entry.erase("fieldsV1");
  EXPECT_EQ(*pruned, expected);
  // What ownership reads is still there.
  EXPECT_EQ(pruned->at("object").at("metadata").at("managedFields").at(1).at("manager"), "kubectl");
  EXPECT_EQ(pruned->at("object").at("data").at("fieldsV1"), "kept: it is data");
}

TEST(ParsePruned, AListsItemsLoseOnlyTheirFieldSets) {
  const std::string list = R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"9"},
    "items":[{"metadata":{"name":"a","managedFields":[{"manager":"m","fieldsV1":{"f:x":{}}}]},
              "data":{"k":"v"}},
             {"metadata":{"name":"b"}}]})";
  const auto pruned = parse_pruned(list, keep::all_but_field_sets);
  ASSERT_TRUE(pruned.has_value());
  Json expected = Json::parse(list);
  expected["items"][0]["metadata"]["managedFields"][0].erase("fieldsV1");
  EXPECT_EQ(*pruned, expected);
}

TEST(ParsePruned, TheIdentityIsTypeAndMetadataWithoutManagedFields) {
  const auto pruned = parse_pruned(kEvent, keep::identity);
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(*pruned, Json::object());  // an event has no identity of its own at the top

  const std::string answer = R"({"apiVersion":"v1","kind":"Secret","data":{"k":"djE="},
    "metadata":{"name":"s","labels":{"a":"b"},"managedFields":[{"manager":"m"}],
                "ownerReferences":[{"uid":"u"}]}})";
  const auto identity = parse_pruned(answer, keep::identity);
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(*identity, Json::parse(R"({"apiVersion":"v1","kind":"Secret",
    "metadata":{"name":"s","labels":{"a":"b"},"ownerReferences":[{"uid":"u"}]}})"));
}

TEST(ParseIdentity, StopsReadingOnceTypeAndMetadataAreBuilt) {
  // As the API server writes an answer: kind, apiVersion and metadata first. What follows is
  // not scanned, so even text that is not JSON there is never seen.
  const std::string answer = R"({"kind":"Secret","apiVersion":"v1",
    "metadata":{"name":"s","resourceVersion":"8","managedFields":[{"manager":"m"}]},
    "data":{"tls.key": this is not read)";
  const auto identity = parse_identity(answer);
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(*identity, Json::parse(R"({"kind":"Secret","apiVersion":"v1",
    "metadata":{"name":"s","resourceVersion":"8"}})"));
  EXPECT_FALSE(parse_pruned(answer, keep::identity).has_value());
}

TEST(ParseIdentity, ReadsToTheEndWhenTheIdentityIsElsewhereOrIncomplete) {
  const std::string metadata_last = R"({"data":{"k":"v"},"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"c"}})";
  EXPECT_EQ(parse_identity(metadata_last),
            Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})"));
  // A Status has no metadata worth the name: everything is read, and bad text is caught.
  const std::string status = R"({"kind":"Status","apiVersion":"v1","status":"Success"})";
  EXPECT_EQ(parse_identity(status), Json::parse(R"({"kind":"Status","apiVersion":"v1"})"));
  EXPECT_FALSE(parse_identity(R"({"kind":"Status","apiVersion":"v1","x":)").has_value());
  EXPECT_FALSE(parse_identity(R"({"kind":"Secret","metadata":{"name":)").has_value());
}

TEST(ParsePruned, ValuesOfEveryTypeAndNestingReadBackEqual) {
  const std::string text =
      R"([1,-2,3.5,true,false,null,"s",[],{},[[{"a":[{"b":{"c":[]}}]}]],{"x":{"y":{"z":1}}}])";
  const auto all = parse_pruned(text, [](auto, auto) { return true; });
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(*all, Json::parse(text));
  EXPECT_EQ(parse_pruned("7", keep::identity), Json(7));
}

TEST(ParsePruned, TextThatIsNotJsonIsNullopt) {
  EXPECT_FALSE(parse_pruned(R"({"a":)", keep::all_but_field_sets).has_value());
  EXPECT_FALSE(parse_pruned("", keep::all_but_field_sets).has_value());
  EXPECT_FALSE(parse_pruned(R"({"a":1} x)", keep::identity).has_value());
}

bool keep_all(std::span<const std::string_view>, std::string_view) {
  return true;
}

// Both readers give the same verdict and, where they read the text, equal trees that dump the
// same (a non-negative integer is unsigned in both; "-0" alone is a signed 0 in nlohmann's).
void expect_same_reading(const std::string& text) {
  for (const KeepMember keep : {&keep_all, &keep::identity, &keep::all_but_field_sets}) {
    const auto fast = parse_pruned(text, keep);
    const auto reference = detail::parse_pruned_by_nlohmann(text, keep);
    ASSERT_EQ(fast.has_value(), reference.has_value()) << text;
    if (!fast) continue;
    EXPECT_EQ(*fast, *reference) << text;
    EXPECT_EQ(fast->dump(), reference->dump()) << text;
  }
  const auto identity = parse_identity(text);
  const auto reference = detail::parse_identity_by_nlohmann(text);
  ASSERT_EQ(identity.has_value(), reference.has_value()) << text;
  if (identity) {
    EXPECT_EQ(identity->dump(), reference->dump()) << text;
  }
}

TEST(JsonReaders, AgreeOnNumbersStringsAndTextsThatAreNotJson) {
  const std::vector<std::string> texts = {
      // Integers at and past the 64-bit limits (past them simdjson refuses, nlohmann reads a
      // double), floats, exponents out of range.
      "[0,-0,1,-1,9223372036854775807,9223372036854775808,18446744073709551615]",
      "[-9223372036854775808]", "[-9223372036854775809]", "[18446744073709551616]",
      "[1.5,0.1,1.0,-2.5e-3,1E2,1e308,5e-324,123456789012345678901234567890]", "[1e400]",
      "[-1e400]", "[01]", "[1.]", "[.5]", "[-]", "[+1]", "[0x10]", "[NaN]", "[Infinity]",
      // Strings: escapes, surrogate pairs, a lone surrogate, control characters, bad UTF-8.
      R"(["a\"b","\\","\/","\b\f\n\r\t","\u00e9","\ud83d\ude00","é","😀"])", R"(["\ud800"])",
      R"(["\udc00x"])", R"(["\ud83dx"])", R"(["\u12"])", R"(["\x"])", "[\"tab\there\"]",
      "[\"nl\nhere\"]", "[\"\x80\"]", "[\"\xc3\x28\"]", "[\"\xed\xa0\x80\"]",
      "[\"\xf4\x90\x80\x80\"]", "[\"\xc0\xaf\"]",
      // Repeated names (the last wins), a byte-order mark, blanks, the end of the text.
      R"({"a":1,"a":2,"metadata":{"name":"x"},"metadata":{"name":"y"}})", "\xef\xbb\xbf{}",
      " \t\r\n{} \n", "", " ", "{", "}", "{}}", "{} {}", "[1,]", R"({"a":1,})", R"({"a"})",
      R"({a:1})", "'a'", "nul", "null", "true", "falsey", "\"s\"", "[1]\u0000",
      std::string("[1]\0", 4), std::string("[\"a\0b\"]", 7),
      // Nesting near simdjson's default limit of 1,024 and past it.
      std::string(1000, '[') + std::string(1000, ']'),
      std::string(1100, '[') + std::string(1100, ']'),
      std::string(1100, '[') + std::string(1099, ']'),
      // An answer with the identity first, and text that is not JSON after it.
      R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","resourceVersion":"8",
        "managedFields":[{"manager":"m","fieldsV1":{"f:a":{}}}]},"data":{"k": x)",
      std::string(kEvent)};
  for (const auto& text : texts) expect_same_reading(text);
}

// A random JSON value: every type, nesting, names that the keep rules look at.
nlohmann::json random_value(std::mt19937_64& random, int depth) {
  static const std::vector<std::string> names = {
      "metadata",   "managedFields", "fieldsV1", "object", "items", "kind",
      "apiVersion", "data",          "name",     "é",      "a\"b",  ""};
  const auto pick = [&](std::uint64_t n) { return random() % n; };
  switch (pick(depth > 4 ? 6 : 8)) {
    case 0:
      return nullptr;
    case 1:
      return pick(2) == 0;
    case 2:
      return static_cast<std::int64_t>(random()) >> pick(64);
    case 3:
      return random() >> pick(64);
    case 4:
      return std::ldexp(static_cast<double>(static_cast<std::int64_t>(random())),
                        static_cast<int>(pick(200)) - 100);
    case 5: {
      std::string text;
      for (auto n = pick(12); n > 0; --n) text += static_cast<char>(pick(95) + 32);
      return pick(4) == 0 ? text + "\n\t\u00e9\U0001F600" : text;
    }
    case 6: {
      auto array = nlohmann::json::array();
      for (auto n = pick(5); n > 0; --n) array.push_back(random_value(random, depth + 1));
      return array;
    }
    default: {
      auto object = nlohmann::json::object();
      for (auto n = pick(6); n > 0; --n) {
        object[names[pick(names.size())]] = random_value(random, depth + 1);
      }
      return object;
    }
  }
}

TEST(JsonReaders, AgreeOnRandomDocumentsAndTheirDamagedCopies) {
  std::mt19937_64 random(20261203);
  for (int round = 0; round < 400; ++round) {
    const std::string text = random_value(random, 0).dump();
    expect_same_reading(text);
    // One byte changed or the text cut short: mostly not JSON any more, sometimes still.
    std::string damaged = text;
    damaged[random() % damaged.size()] = static_cast<char>(random() % 256);
    expect_same_reading(damaged);
    expect_same_reading(text.substr(0, random() % text.size()));
  }
}

// A large ConfigMap-like object: `values` members of about 100 bytes each.
std::string large_object(int values) {
  nlohmann::json object = {{"kind", "ConfigMap"}, {"metadata", {{"name", "big"}}}};
  for (int i = 0; i < values; ++i) object["data"]["k" + std::to_string(i)] = std::string(96, 'v');
  return object.dump();
}

TEST(JsonReaders, OneReaderReadsTextsSmallAndLargeAndBrokenInTurn) {
  const std::string large = large_object(1000);
  ASSERT_GT(large.size(), JsonReader::kLargestFastText);  // read by nlohmann's reader
  const std::vector<std::string> texts = {std::string(kEvent),
                                          large,
                                          R"({"a":)",
                                          large_object(3),
                                          "[18446744073709551616]",
                                          std::string(kEvent),
                                          large.substr(0, 5000),
                                          large};
  JsonReader reader;
  for (int round = 0; round < 3; ++round) {
    for (const auto& text : texts) {
      EXPECT_EQ(reader.pruned(text, keep::all_but_field_sets),
                detail::parse_pruned_by_nlohmann(text, keep::all_but_field_sets));
      EXPECT_EQ(reader.identity(text), detail::parse_identity_by_nlohmann(text));
    }
  }
}

TEST(JsonReaderPool, ThreadsReadAtOnceEachTheirOwnText) {
  JsonReaderPool pool;
  std::vector<std::string> texts;
  for (int i = 0; i < 4; ++i) texts.push_back(large_object(10 + 400 * i));
  std::vector<int> wrong(texts.size(), 0);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < texts.size(); ++t) {
      threads.emplace_back([&, t] {
        const auto expected = nlohmann::json::parse(texts[t]);
        for (int i = 0; i < 200; ++i) {
          if (pool.pruned(texts[t], keep::all_but_field_sets) != expected) ++wrong[t];
          if (pool.identity(texts[t]) != nlohmann::json::parse(R"({"kind":"ConfigMap",
                                             "metadata":{"name":"big"}})")) {
            ++wrong[t];
          }
        }
      });
    }
  }
  EXPECT_EQ(wrong, std::vector<int>(texts.size(), 0));
}

}  // namespace
}  // namespace secprov::kube

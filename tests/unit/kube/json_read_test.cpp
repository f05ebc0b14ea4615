#include "kube/json_read.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace secprov::kube

#include "runtime/object.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace secprov::runtime {
namespace {

Json object(std::string ns, std::string name) {
  Json o = {{"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  return o;
}

TEST(ObjectKey, ToStringAndParseRoundTrip) {
  EXPECT_EQ((ObjectKey{"ns", "a"}.to_string()), "ns/a");
  EXPECT_EQ((ObjectKey{"", "node1"}.to_string()), "node1");
  EXPECT_EQ(ObjectKey::parse("ns/a"), (ObjectKey{"ns", "a"}));
  EXPECT_EQ(ObjectKey::parse("node1"), (ObjectKey{"", "node1"}));
  EXPECT_EQ(ObjectKey::parse(""), std::nullopt);
  EXPECT_EQ(ObjectKey::parse("/a"), std::nullopt);
  EXPECT_EQ(ObjectKey::parse("a/"), std::nullopt);
  EXPECT_EQ(ObjectKey::parse("a/b/c"), std::nullopt);
}

TEST(ObjectKey, HashableAndOrdered) {
  std::unordered_set<ObjectKey> keys{{"a", "x"}, {"a", "x"}, {"b", "x"}, {"", "x"}};
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_LT((ObjectKey{"a", "z"}), (ObjectKey{"b", "a"}));
}

TEST(ObjectHelpers, ReadMetadata) {
  Json o = object("ns", "a");
  o["metadata"]["uid"] = "u1";
  o["metadata"]["resourceVersion"] = "42";
  o["metadata"]["labels"] = {{"app", "x"}, {"bad", 3}};
  EXPECT_EQ(key_of(o), (ObjectKey{"ns", "a"}));
  EXPECT_EQ(uid_of(o), "u1");
  EXPECT_EQ(resource_version_of(o), "42");
  EXPECT_EQ(labels_of(o), (std::map<std::string, std::string>{{"app", "x"}}));
  EXPECT_EQ(label_of(o, "app"), "x");
  EXPECT_EQ(label_of(o, "bad"), std::nullopt);
  o["metadata"]["annotations"] = {{"a", "1"}, {"n", nullptr}};
  EXPECT_EQ(annotation_of(o, "a"), "1");
  EXPECT_EQ(annotation_of(o, "n"), std::nullopt);
  EXPECT_EQ(annotation_of(o, "app"), std::nullopt);  // a label, not an annotation
  EXPECT_EQ(annotation_of(Json::array(), "a"), std::nullopt);
  EXPECT_THROW(key_of(Json::object()), std::invalid_argument);
  EXPECT_EQ(try_key_of(Json::array()), std::nullopt);
  EXPECT_EQ(uid_of(Json("string")), "");
}

TEST(ObjectHelpers, FindAtAndStringAtReadAPathInPlace) {
  const Json profile = Json::parse(R"({"metadata":{"name":"amf","labels":{"app":"a"}},
      "spec":{"trustDomainRef":{"name":"core"},"n32":"not an object","port":80}})");
  const Json* ref = find_at(profile, {"spec", "trustDomainRef"});
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref, &profile.at("spec").at("trustDomainRef"));  // the value itself, not a copy
  EXPECT_EQ(find_at(profile, {}), &profile);
  EXPECT_EQ(string_at(profile, {"spec", "trustDomainRef", "name"}), "core");
  EXPECT_EQ(string_at(profile, {"metadata", "labels", "app"}), "a");
  // Missing steps, a step through a non-object, a value of another type: null or empty.
  EXPECT_EQ(find_at(profile, {"spec", "missing"}), nullptr);
  EXPECT_EQ(find_at(profile, {"spec", "n32", "trustDomainRef"}), nullptr);
  EXPECT_EQ(string_at(profile, {"spec", "port"}), "");
  EXPECT_EQ(string_at(profile, {"spec", "trustDomainRef"}), "");
  EXPECT_EQ(string_at(Json("text"), {"metadata"}), "");
}

TEST(ObjectHelpers, OwnerReferences) {
  Json o = object("ns", "secret-a");
  o["metadata"]["ownerReferences"] = Json::array({
      {{"apiVersion", "secprov.io/v1alpha1"},
       {"kind", "SecurityProfile"},
       {"name", "p1"},
       {"uid", "u-p1"},
       {"controller", true}},
      {{"apiVersion", "secprov.io/v1alpha1"},
       {"kind", "SecurityProfile"},
       {"name", "p2"},
       {"uid", "u-p2"}},
      {{"apiVersion", "v1"},
       {"kind", "ConfigMap"},
       {"name", "cm"},
       {"uid", "u-cm"},
       {"controller", "yes"}},
      {{"kind", "Broken"}},  // no name/uid: skipped
      "garbage",
  });
  const auto refs = owner_references_of(o);
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_TRUE(refs[0].controller);
  EXPECT_FALSE(refs[1].controller);
  EXPECT_FALSE(refs[2].controller);  // not a boolean

  // Only the controller owner, and only the group is compared (v1 matches v1alpha1).
  EXPECT_EQ(controller_owner_keys(o, "secprov.io/v1", "SecurityProfile"),
            (std::vector<ObjectKey>{{"ns", "p1"}}));
  EXPECT_TRUE(controller_owner_keys(o, "other.io/v1", "SecurityProfile").empty());
  EXPECT_TRUE(controller_owner_keys(o, "v1", "ConfigMap").empty());
}

TEST(ObjectHelpers, ControllerReferenceTo) {
  const Json owner = {{"apiVersion", "secprov.io/v1alpha1"},
                      {"kind", "SecurityProfile"},
                      {"metadata", {{"name", "p"}, {"namespace", "ns"}, {"uid", "u"}}}};
  const auto ref = controller_reference_to(owner);
  EXPECT_TRUE(ref.controller);
  EXPECT_TRUE(ref.block_owner_deletion);
  Json child = object("ns", "c");
  child["metadata"]["ownerReferences"] = Json::array({ref.to_json()});
  EXPECT_EQ(controller_owner_keys(child, "secprov.io/v1alpha1", "SecurityProfile"),
            (std::vector<ObjectKey>{{"ns", "p"}}));
  EXPECT_THROW(controller_reference_to(object("ns", "x")), std::invalid_argument);
  EXPECT_EQ(api_group_of("apps/v1"), "apps");
  EXPECT_EQ(api_group_of("v1"), "");
}

}  // namespace
}  // namespace secprov::runtime

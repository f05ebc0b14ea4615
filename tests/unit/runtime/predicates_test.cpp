#include "runtime/predicates.h"

#include <gtest/gtest.h>

#include <functional>

namespace secprov::runtime {
namespace {

Json profile(const std::string& version) {
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "SecurityProfile"},
          {"metadata",
           {{"namespace", "ns"},
            {"name", "p"},
            {"uid", "u1"},
            {"generation", 1},
            {"resourceVersion", version},
            {"labels", {{"app", "amf"}}},
            {"finalizers", {"secprov.io/cleanup"}}}},
          {"spec", {{"nfType", "AMF"}}},
          {"status", {{"observedGeneration", 1}}}};
}

TEST(SpecOrMetadataChanged, AStatusOnlyOrManagedFieldsOnlyUpdateDoesNotMatter) {
  const auto before = profile("1");
  auto after = profile("2");
  after["status"]["conditions"] = Json::array({{{"type", "Ready"}, {"status", "True"}}});
  after["metadata"]["managedFields"] = Json::array({{{"manager", "secprov-operator"}}});
  EXPECT_FALSE(spec_or_metadata_changed(before, after));
}

TEST(SpecOrMetadataChanged, EveryFieldAReconcilerReadsMatters) {
  const auto before = profile("1");
  const auto changed = [&](const std::function<void(Json&)>& edit) {
    auto after = profile("2");
    edit(after["metadata"]);
    return spec_or_metadata_changed(before, after);
  };
  EXPECT_TRUE(changed([](Json& m) { m["generation"] = 2; }));
  EXPECT_TRUE(changed([](Json& m) { m["labels"]["app"] = "smf"; }));
  EXPECT_TRUE(changed([](Json& m) { m["annotations"] = {{"a", "b"}}; }));
  EXPECT_TRUE(changed([](Json& m) { m["finalizers"] = Json::array(); }));
  EXPECT_TRUE(changed([](Json& m) { m.erase("finalizers"); }));
  EXPECT_TRUE(changed([](Json& m) { m["ownerReferences"] = Json::array({{{"uid", "x"}}}); }));
  EXPECT_TRUE(changed([](Json& m) { m["deletionTimestamp"] = "2026-01-01T00:00:00Z"; }));
  EXPECT_TRUE(changed([](Json& m) { m["uid"] = "u2"; }));
}

TEST(SpecOrMetadataChanged, ARedeliveryOfTheSameVersionMatters) {
  // A resync hands the same object (or an equal version) again: it must still reconcile.
  const auto object = profile("1");
  EXPECT_TRUE(spec_or_metadata_changed(object, object));
  EXPECT_TRUE(spec_or_metadata_changed(profile("1"), profile("1")));
  // No version to compare: err on the side of reconciling.
  auto bare = profile("");
  EXPECT_TRUE(spec_or_metadata_changed(profile("1"), bare));
}

}  // namespace
}  // namespace secprov::runtime

#include "runtime/store.h"

#include <gtest/gtest.h>

#include <thread>

namespace secprov::runtime {
namespace {

Json obj(const std::string& ns, const std::string& name, const std::string& rv,
         Json labels = Json::object(), const std::string& owner_uid = "") {
  Json o = {{"metadata",
             {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}, {"labels", labels}}}};
  if (!owner_uid.empty()) {
    o["metadata"]["ownerReferences"] = Json::array({{{"apiVersion", "secprov.io/v1alpha1"},
                                                     {"kind", "SecurityProfile"},
                                                     {"name", "p"},
                                                     {"uid", owner_uid},
                                                     {"controller", true}}});
  }
  return o;
}

std::vector<std::string> names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(key_of(*o).to_string());
  return out;
}

const std::string kProfile = "secprov.io/profile";

TEST(Store, UpsertGetEraseList) {
  Store store;
  EXPECT_EQ(store.upsert(obj("ns", "b", "1")), nullptr);
  EXPECT_EQ(store.upsert(obj("ns", "a", "1")), nullptr);
  EXPECT_EQ(store.upsert(obj("other", "c", "1")), nullptr);
  const auto previous = store.upsert(obj("ns", "a", "2"));
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ(resource_version_of(*previous), "1");
  EXPECT_EQ(resource_version_of(*store.get({"ns", "a"})), "2");
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(names(store.list()), (std::vector<std::string>{"ns/a", "ns/b", "other/c"}));
  EXPECT_EQ(names(store.list("ns")), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_NE(store.erase({"ns", "a"}), nullptr);
  EXPECT_EQ(store.erase({"ns", "a"}), nullptr);
  EXPECT_EQ(store.get({"ns", "a"}), nullptr);
  EXPECT_THROW(store.upsert(Json::object()), std::invalid_argument);
}

TEST(Store, ReaderKeepsOldObjectAfterUpdate) {
  Store store;
  store.upsert(obj("ns", "a", "1"));
  const ObjectPtr held = store.get({"ns", "a"});
  store.upsert(obj("ns", "a", "2"));
  store.erase({"ns", "a"});
  EXPECT_EQ(resource_version_of(*held), "1");  // immutable snapshot
}

TEST(Store, LabelIndexFollowsChanges) {
  Store store({.indexed_labels = {kProfile}});
  store.upsert(obj("ns", "a", "1", {{kProfile, "p1"}}));
  store.upsert(obj("ns", "b", "1", {{kProfile, "p1"}}));
  store.upsert(obj("ns", "c", "1", {{kProfile, "p2"}}));
  store.upsert(obj("ns", "d", "1"));
  EXPECT_EQ(names(store.by_label(kProfile, "p1")), (std::vector<std::string>{"ns/a", "ns/b"}));

  store.upsert(obj("ns", "a", "2", {{kProfile, "p2"}}));  // relabelled
  EXPECT_EQ(names(store.by_label(kProfile, "p1")), (std::vector<std::string>{"ns/b"}));
  EXPECT_EQ(names(store.by_label(kProfile, "p2")), (std::vector<std::string>{"ns/a", "ns/c"}));
  store.erase({"ns", "c"});
  EXPECT_EQ(names(store.by_label(kProfile, "p2")), (std::vector<std::string>{"ns/a"}));
  EXPECT_TRUE(store.by_label(kProfile, "none").empty());
  EXPECT_THROW(store.by_label("not-indexed", "x"), std::invalid_argument);
}

TEST(Store, OwnerIndex) {
  Store store;
  store.upsert(obj("ns", "a", "1", Json::object(), "owner-1"));
  store.upsert(obj("ns", "b", "1", Json::object(), "owner-1"));
  store.upsert(obj("ns", "c", "1", Json::object(), "owner-2"));
  EXPECT_EQ(names(store.by_owner("owner-1")), (std::vector<std::string>{"ns/a", "ns/b"}));
  store.upsert(obj("ns", "b", "2"));  // owner reference removed
  EXPECT_EQ(names(store.by_owner("owner-1")), (std::vector<std::string>{"ns/a"}));
  EXPECT_TRUE(store.by_owner("nobody").empty());
}

TEST(Store, ReplaceReportsDifference) {
  Store store({.indexed_labels = {kProfile}});
  store.upsert(obj("ns", "keep", "1"));
  store.upsert(obj("ns", "change", "1", {{kProfile, "old"}}));
  store.upsert(obj("ns", "gone", "1", Json::object(), "owner"));

  std::vector<Json> listed{obj("ns", "keep", "1"), obj("ns", "change", "5", {{kProfile, "new"}}),
                           obj("ns", "new", "6"), Json{{"metadata", Json::object()}}};
  const StoreDelta delta = store.replace(std::move(listed), "100");

  EXPECT_EQ(names(delta.added), (std::vector<std::string>{"ns/new"}));
  ASSERT_EQ(delta.updated.size(), 1u);
  EXPECT_EQ(resource_version_of(*delta.updated[0].first), "1");
  EXPECT_EQ(resource_version_of(*delta.updated[0].second), "5");
  EXPECT_EQ(names(delta.deleted), (std::vector<std::string>{"ns/gone"}));
  EXPECT_EQ(delta.unchanged, 1u);

  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.resource_version(), "100");
  // Indexes were rebuilt.
  EXPECT_TRUE(store.by_label(kProfile, "old").empty());
  EXPECT_EQ(names(store.by_label(kProfile, "new")), (std::vector<std::string>{"ns/change"}));
  EXPECT_TRUE(store.by_owner("owner").empty());
}

TEST(Store, ConcurrentReadersAndWriters) {
  Store store({.indexed_labels = {kProfile}});
  std::atomic<bool> done{false};
  std::jthread reader([&] {
    while (!done) {
      for (const auto& o : store.by_label(kProfile, "p")) ASSERT_TRUE(o->is_object());
      (void)store.list();
    }
  });
  for (int i = 0; i < 2000; ++i) {
    store.upsert(obj("ns", "o" + std::to_string(i % 50), std::to_string(i), {{kProfile, "p"}}));
    if (i % 7 == 0) store.erase({"ns", "o" + std::to_string(i % 50)});
  }
  done = true;
}

}  // namespace
}  // namespace secprov::runtime

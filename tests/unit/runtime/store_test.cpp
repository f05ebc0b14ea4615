#include "runtime/store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace secprov::runtime {
namespace {

Json obj(const std::string& ns, const std::string& name, const std::string& rv) {
  return {{"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}}};
}

std::vector<std::string> names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(key_of(*o).to_string());
  return out;
}

// Every behaviour holds for both forms, with or without a dictionary of the keys; only sharing
// differs (StoreForms.SharingFollowsTheForm).
enum class Variant { Tree, Packed, PackedWithDictionary };

std::unique_ptr<Store> make_store(Variant variant) {
  switch (variant) {
    case Variant::Tree:
      return std::make_unique<Store>(StoreForm::Tree);
    case Variant::Packed:
      return std::make_unique<Store>(StoreForm::Packed);
    case Variant::PackedWithDictionary:
      break;
  }
  return std::make_unique<Store>(StoreForm::Packed,
                                 std::make_shared<const PackDictionary>(std::vector<std::string>{
                                     "metadata", "namespace", "name", "resourceVersion", "ns"}));
}

class Store_ : public ::testing::TestWithParam<Variant> {
 protected:
  std::unique_ptr<Store> owned = make_store(GetParam());
  Store& store = *owned;
};

INSTANTIATE_TEST_SUITE_P(Forms, Store_,
                         ::testing::Values(Variant::Tree, Variant::Packed,
                                           Variant::PackedWithDictionary),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case Variant::Tree:
                               return "Tree";
                             case Variant::Packed:
                               return "Packed";
                             case Variant::PackedWithDictionary:
                               break;
                           }
                           return "PackedWithDictionary";
                         });

TEST_P(Store_, UpsertGetEraseList) {
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
  EXPECT_EQ(store.keys("ns"), (std::vector<ObjectKey>{{"ns", "a"}, {"ns", "b"}}));
  EXPECT_TRUE(store.keys("none").empty());
  EXPECT_NE(store.erase({"ns", "a"}), nullptr);
  EXPECT_EQ(store.erase({"ns", "a"}), nullptr);
  EXPECT_EQ(store.get({"ns", "a"}), nullptr);
  EXPECT_THROW(store.upsert(Json::object()), std::invalid_argument);
}

// Entries are kept per namespace: a namespace's last object going takes the namespace with
// it, cluster-scoped objects ("" namespace) sort first, and a relist moves objects between
// namespaces without losing count.
TEST_P(Store_, NamespacesComeAndGoWithTheirObjects) {
  store.upsert(obj("b", "x", "1"));
  store.upsert(obj("", "cluster", "1"));
  store.upsert(obj("a", "y", "1"));
  EXPECT_EQ(store.keys(), (std::vector<ObjectKey>{{"", "cluster"}, {"a", "y"}, {"b", "x"}}));
  EXPECT_NE(store.erase({"a", "y"}), nullptr);
  EXPECT_EQ(store.erase({"a", "x"}), nullptr);  // a name of another namespace
  EXPECT_EQ(store.size(), 2u);
  EXPECT_TRUE(store.keys("a").empty());
  EXPECT_EQ(store.upsert(obj("a", "y", "2")), nullptr);  // the namespace again, a new object
  EXPECT_EQ(store.size(), 3u);

  const auto delta =
      store.replace({obj("c", "z", "1"), obj("b", "x", "1"), obj("c", "w", "1")}, "9");
  EXPECT_EQ(names(delta.added), (std::vector<std::string>{"c/w", "c/z"}));
  EXPECT_EQ(names(delta.deleted), (std::vector<std::string>{"cluster", "a/y"}));
  EXPECT_EQ(delta.unchanged, 1u);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.keys(), (std::vector<ObjectKey>{{"b", "x"}, {"c", "w"}, {"c", "z"}}));
  EXPECT_EQ(names(store.list("c")), (std::vector<std::string>{"c/w", "c/z"}));
  EXPECT_EQ(store.get({"", "cluster"}), nullptr);
}

TEST_P(Store_, ReaderKeepsOldObjectAfterUpdate) {
  store.upsert(obj("ns", "a", "1"));
  const ObjectPtr held = store.get({"ns", "a"});
  store.upsert(obj("ns", "a", "2"));
  store.erase({"ns", "a"});
  EXPECT_EQ(resource_version_of(*held), "1");  // immutable snapshot
}

TEST_P(Store_, ReplaceReportsDifference) {
  store.upsert(obj("ns", "keep", "1"));
  store.upsert(obj("ns", "change", "1"));
  store.upsert(obj("ns", "gone", "1"));

  std::vector<Json> listed{obj("ns", "keep", "1"), obj("ns", "change", "5"), obj("ns", "new", "6"),
                           Json{{"metadata", Json::object()}}};
  const StoreDelta delta = store.replace(std::move(listed), "100");

  EXPECT_EQ(names(delta.added), (std::vector<std::string>{"ns/new"}));
  ASSERT_EQ(delta.updated.size(), 1u);
  EXPECT_EQ(resource_version_of(*delta.updated[0].first), "1");
  EXPECT_EQ(resource_version_of(*delta.updated[0].second), "5");
  EXPECT_EQ(names(delta.deleted), (std::vector<std::string>{"ns/gone"}));
  EXPECT_EQ(delta.unchanged, 1u);

  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.resource_version(), "100");
  EXPECT_EQ(resource_version_of(*store.get({"ns", "change"})), "5");
  EXPECT_EQ(store.get({"ns", "gone"}), nullptr);
}

TEST_P(Store_, ReplaceWithoutVersionsComparesContent) {
  store.upsert(Json{{"metadata", {{"namespace", "ns"}, {"name", "same"}}}, {"data", 1}});
  store.upsert(Json{{"metadata", {{"namespace", "ns"}, {"name", "edited"}}}, {"data", 1}});
  const auto delta =
      store.replace({Json{{"metadata", {{"namespace", "ns"}, {"name", "same"}}}, {"data", 1}},
                     Json{{"metadata", {{"namespace", "ns"}, {"name", "edited"}}}, {"data", 2}}},
                    "7");
  EXPECT_EQ(delta.unchanged, 1u);
  ASSERT_EQ(delta.updated.size(), 1u);
  EXPECT_EQ((*delta.updated[0].first)["data"], 1);
  EXPECT_EQ((*delta.updated[0].second)["data"], 2);
}

TEST_P(Store_, ReadsReturnTheContentStored) {
  const Json secret = {{"metadata",
                        {{"namespace", "ns"},
                         {"name", "s"},
                         {"resourceVersion", "3"},
                         {"labels", {{"app", "amf"}}}}},
                       {"data", {{"tls.crt", std::string(2000, 'A')}}},
                       {"generation", -4},
                       {"ratio", 0.5}};
  store.upsert(secret);
  EXPECT_EQ(*store.get({"ns", "s"}), secret);
  EXPECT_EQ(*store.list("ns").front(), secret);
  EXPECT_EQ(*store.erase({"ns", "s"}), secret);
}

TEST(StoreForms, SharingFollowsTheForm) {
  Store trees(StoreForm::Tree);
  const auto object = std::make_shared<const Json>(obj("ns", "a", "1"));
  trees.upsert(object);
  EXPECT_EQ(trees.get({"ns", "a"}), object);  // shared as stored

  Store packed(StoreForm::Packed);
  packed.upsert(object);
  const auto first = packed.get({"ns", "a"});
  const auto second = packed.get({"ns", "a"});
  EXPECT_NE(first, object);  // each read expands its own tree
  EXPECT_NE(first, second);
  EXPECT_EQ(*first, *object);
}

TEST_P(Store_, ConcurrentReadersAndWriters) {
  std::atomic<bool> done{false};
  std::jthread reader([&] {
    while (!done) {
      for (const auto& o : store.list("ns")) ASSERT_TRUE(o->is_object());
      (void)store.get({"ns", "o1"});
    }
  });
  for (int i = 0; i < 2000; ++i) {
    store.upsert(obj("ns", "o" + std::to_string(i % 50), std::to_string(i)));
    if (i % 7 == 0) store.erase({"ns", "o" + std::to_string(i % 50)});
  }
  done = true;
}

}  // namespace
}  // namespace secprov::runtime

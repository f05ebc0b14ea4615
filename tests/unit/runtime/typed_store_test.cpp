// TypedStore: parsed once per resourceVersion, indexes that follow add/update/delete and a
// relist driven by a real Reflector.
#include "runtime/typed_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "kube/http.h"
#include "kube/watch.h"
#include "test_util.h"

namespace secprov::runtime {
namespace {

using testing::eventually;

struct Thing {
  std::string group;
  std::vector<std::string> tags;
};

Json thing(const std::string& ns, const std::string& name, const std::string& rv, const Json& group,
           std::vector<std::string> tags = {}) {
  return {{"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}},
          {"spec", {{"group", group}, {"tags", std::move(tags)}}}};
}

// Counts its calls; a non-string spec.group does not parse.
struct CountingParse {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::optional<Thing> operator()(const Json& j) const {
    ++*calls;
    const auto& spec = j.at("spec");
    if (!spec.at("group").is_string()) return std::nullopt;
    return Thing{spec.at("group").get<std::string>(),
                 spec.value("tags", std::vector<std::string>{})};
  }
};

std::shared_ptr<TypedStore<Thing>> make_store(const CountingParse& parse) {
  auto store = std::make_shared<TypedStore<Thing>>(parse);
  store->add_index("group", [](const Thing& t) { return std::vector<std::string>{t.group}; });
  store->add_index("tag", [](const Thing& t) { return t.tags; });
  return store;
}

ObjectPtr ptr(Json j) {
  return std::make_shared<const Json>(std::move(j));
}

std::vector<std::string> keys(const std::vector<ObjectKey>& in) {
  std::vector<std::string> out;
  for (const auto& k : in) out.push_back(k.to_string());
  return out;
}

using Names = std::vector<std::string>;

TEST(TypedStore, ParsesOncePerResourceVersion) {
  const CountingParse parse;
  const auto store = make_store(parse);
  const auto handlers = sync_handlers(store);

  const auto v1 = ptr(thing("ns", "a", "1", "g1"));
  handlers.on_add(v1);
  EXPECT_EQ(*parse.calls, 1);
  const auto first = store->get({"ns", "a"});
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->group, "g1");

  handlers.on_update(v1, v1);                                // resync
  handlers.on_update(v1, ptr(thing("ns", "a", "1", "g1")));  // relisted, unchanged
  EXPECT_EQ(*parse.calls, 1);
  EXPECT_EQ(store->get({"ns", "a"}), first) << "readers share the one parsed object";

  handlers.on_update(v1, ptr(thing("ns", "a", "2", "g2")));
  EXPECT_EQ(*parse.calls, 2);
  EXPECT_EQ(store->get({"ns", "a"})->group, "g2");
  EXPECT_EQ(first->group, "g1") << "a reader's snapshot is immutable";

  // A failure is remembered per resourceVersion too.
  const auto bad = ptr(thing("ns", "a", "3", 42));
  handlers.on_update(v1, bad);
  handlers.on_update(bad, bad);
  EXPECT_EQ(*parse.calls, 3);
}

TEST(TypedStore, ParsedSharesTheStoredObjectOfTheSameVersionAndParsesAnyOther) {
  const CountingParse parse;
  const auto store = make_store(parse);
  const auto v1 = ptr(thing("ns", "a", "1", "g1"));
  store->upsert(v1);
  EXPECT_EQ(store->parsed(*v1), store->get({"ns", "a"}));
  EXPECT_EQ(*parse.calls, 1) << "the stored version is not parsed again";

  // The JSON cache ahead of the typed one: that version is parsed, and not stored.
  const auto v2 = store->parsed(thing("ns", "a", "2", "g2"));
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->group, "g2");
  EXPECT_EQ(*parse.calls, 2);
  EXPECT_EQ(store->get({"ns", "a"})->group, "g1");

  EXPECT_EQ(store->parsed(thing("ns", "a", "3", 42)), nullptr);
  EXPECT_EQ(store->parsed(thing("ns", "b", "1", "g")).get()->group, "g") << "not stored";
}

// A stored form without the spec, as a Transform that drops what only the parse reads.
Json without_spec(Json object) {
  object.erase("spec");
  object["stripped"] = true;
  return object;
}

TEST(TypedStore, AdmitParsesTheWholeObjectForTheUpsertOfItsStoredForm) {
  const CountingParse parse;
  const auto store = make_store(parse);
  const auto stored = ptr(store->admit(thing("ns", "a", "1", "g1", {"t"}), without_spec));
  EXPECT_FALSE(stored->contains("spec"));
  EXPECT_EQ(*parse.calls, 1);
  // Between the transform and the upsert, readers of the stored form find the parsed one.
  ASSERT_NE(store->parsed(*stored), nullptr);
  EXPECT_EQ(store->parsed(*stored)->group, "g1");
  store->upsert(stored);
  EXPECT_EQ(*parse.calls, 1) << "the stored form is not parsed";
  EXPECT_EQ(store->get({"ns", "a"})->group, "g1");
  EXPECT_EQ(keys(store->keys_by_index("tag", "t")), Names{"ns/a"});
  EXPECT_EQ(store->parsed(*stored), store->get({"ns", "a"}));

  // A relist of the same version parses nothing again.
  const auto relisted = store->admit(thing("ns", "a", "1", "g1", {"t"}), without_spec);
  EXPECT_FALSE(relisted.contains("spec"));
  EXPECT_EQ(*parse.calls, 1);

  // An object that does not parse is stored whole, so the reconciler can say why.
  const auto bad = store->admit(thing("ns", "a", "2", 42), without_spec);
  EXPECT_TRUE(bad.contains("spec"));
  store->upsert(ptr(bad));
  EXPECT_EQ(store->get({"ns", "a"}), nullptr);
  EXPECT_EQ(store->unparsed("ns").size(), 1u);

  // Admitted, then deleted before its upsert: nothing of it stays.
  (void)store->admit(thing("ns", "b", "5", "g2"), without_spec);
  store->erase({"ns", "b"});
  EXPECT_EQ(store->parsed(without_spec(thing("ns", "b", "5", "g2"))), nullptr)
      << "the stored form does not parse and nothing admitted is left";
}

TEST(TypedStore, IndexesFollowAddUpdateDelete) {
  const CountingParse parse;
  const auto store = make_store(parse);
  store->upsert(ptr(thing("ns", "b", "1", "g1", {"x", "y", "x"})));
  store->upsert(ptr(thing("ns", "a", "1", "g1", {"x"})));
  store->upsert(ptr(thing("other", "c", "1", "g2")));

  EXPECT_EQ(keys(store->keys_by_index("group", "g1")), (Names{"ns/a", "ns/b"}));
  EXPECT_EQ(keys(store->keys_by_index("tag", "x")), (Names{"ns/a", "ns/b"}));
  EXPECT_EQ(keys(store->keys_by_index("tag", "y")), (Names{"ns/b"}));
  // A limit gives the first keys in order, and only as many (the trust bundles' in_use check).
  EXPECT_EQ(keys(store->keys_by_index("tag", "x", 1)), (Names{"ns/a"}));
  EXPECT_EQ(keys(store->keys_by_index("tag", "x", 5)), (Names{"ns/a", "ns/b"}));
  EXPECT_EQ(keys(store->keys_by_index("tag", "x", 0)), (Names{}));
  ASSERT_EQ(store->by_index("group", "g2").size(), 1u);
  EXPECT_EQ(store->by_index("group", "g2")[0]->group, "g2");

  store->upsert(ptr(thing("ns", "b", "2", "g2")));  // moved to g2, tags dropped
  EXPECT_EQ(keys(store->keys_by_index("group", "g1")), (Names{"ns/a"}));
  EXPECT_EQ(keys(store->keys_by_index("group", "g2")), (Names{"ns/b", "other/c"}));
  EXPECT_EQ(keys(store->keys_by_index("tag", "x")), (Names{"ns/a"}));
  EXPECT_TRUE(store->keys_by_index("tag", "y").empty());
  // An update filed under the same value: the index gives the new version.
  store->upsert(ptr(thing("other", "c", "2", "g2", {"z"})));
  ASSERT_EQ(store->by_index("group", "g2").size(), 2u);
  EXPECT_EQ(store->by_index("group", "g2")[1]->tags, (std::vector<std::string>{"z"}));
  EXPECT_EQ(keys(store->keys_by_index("tag", "z")), (Names{"other/c"}));

  store->erase({"ns", "a"});
  store->erase({"ns", "missing"});
  EXPECT_TRUE(store->keys_by_index("group", "g1").empty());
  EXPECT_TRUE(store->keys_by_index("tag", "x").empty());
  EXPECT_EQ(store->get({"ns", "a"}), nullptr);
  EXPECT_EQ(store->size(), 2u);
  EXPECT_THROW((void)store->keys_by_index("not-an-index", "x"), std::invalid_argument);
}

TEST(TypedStore, ParseFailureLeavesTheEntryAbsentAndUnindexed) {
  const CountingParse parse;
  const auto store = make_store(parse);
  store->upsert(ptr(thing("ns", "a", "1", "g1")));
  store->upsert(ptr(thing("ns", "a", "2", Json::array())));  // no longer parses

  EXPECT_EQ(store->get({"ns", "a"}), nullptr);
  EXPECT_TRUE(store->keys_by_index("group", "g1").empty());
  ASSERT_EQ(store->unparsed("ns").size(), 1u);
  EXPECT_EQ(resource_version_of(*store->unparsed("ns")[0]), "2");
  EXPECT_TRUE(store->unparsed("other").empty());
  EXPECT_EQ(store->size(), 0u);

  store->upsert(ptr(thing("ns", "a", "3", "g1")));  // fixed
  EXPECT_EQ(keys(store->keys_by_index("group", "g1")), (Names{"ns/a"}));
  EXPECT_TRUE(store->unparsed().empty());

  // A parse function that throws counts as a failure, not as a stale entry.
  TypedStore<Thing> throwing(
      [](const Json&) -> std::optional<Thing> { throw std::runtime_error("boom"); });
  throwing.upsert(ptr(thing("ns", "a", "1", "g1")));
  EXPECT_EQ(throwing.get({"ns", "a"}), nullptr);
  EXPECT_EQ(throwing.unparsed().size(), 1u);
}

TEST(TypedStore, IndexAddedLaterFilesExistingObjects) {
  const CountingParse parse;
  TypedStore<Thing> store(parse);
  store.upsert(ptr(thing("ns", "a", "1", "g1")));
  store.add_index("group", [](const Thing& t) { return std::vector<std::string>{t.group}; });
  EXPECT_EQ(keys(store.keys_by_index("group", "g1")), (Names{"ns/a"}));
  EXPECT_EQ(*parse.calls, 1);
}

TEST(TypedStore, AnIndexReplacedRefilesEveryObject) {
  const CountingParse parse;
  const auto store = make_store(parse);
  store->upsert(ptr(thing("ns", "a", "1", "g1", {"x"})));
  store->add_index("tag", [](const Thing& t) {  // same name: replaces the tag index
    std::vector<std::string> upper;
    for (const auto& tag : t.tags) upper.push_back("T-" + tag);
    return upper;
  });
  EXPECT_TRUE(store->keys_by_index("tag", "x").empty());
  EXPECT_EQ(keys(store->keys_by_index("tag", "T-x")), (Names{"ns/a"}));
  EXPECT_EQ(keys(store->keys_by_index("group", "g1")), (Names{"ns/a"}));  // untouched

  // Unfiling follows the replaced index: nothing is left under the old or the new values.
  store->upsert(ptr(thing("ns", "a", "2", "g2")));
  EXPECT_TRUE(store->keys_by_index("tag", "T-x").empty());
  EXPECT_TRUE(store->keys_by_index("group", "g1").empty());
  EXPECT_EQ(keys(store->keys_by_index("group", "g2")), (Names{"ns/a"}));
  store->erase({"ns", "a"});
  EXPECT_TRUE(store->keys_by_index("group", "g2").empty());
}

TEST(TypedStore, MatchesAVersionWithoutHoldingItsJson) {
  const CountingParse parse;
  const auto store = make_store(parse);
  auto object = ptr(thing("ns", "a", "7", "g1"));
  store->upsert(object);
  const std::weak_ptr<const Json> held = object;
  object.reset();
  EXPECT_TRUE(held.expired()) << "a parsed object with a resourceVersion is kept typed only";
  // Another tree of the same version (a packed store's read) still finds the stored value.
  const auto again = thing("ns", "a", "7", "g1");
  EXPECT_EQ(store->parsed(again), store->get({"ns", "a"}));
  EXPECT_EQ(*parse.calls, 1);
}

TEST(TypedStore, ConcurrentReadersAndWriters) {
  const CountingParse parse;
  const auto store = make_store(parse);
  std::atomic<bool> done{false};
  std::jthread reader([&] {
    while (!done) {
      for (const auto& t : store->by_index("group", "g")) ASSERT_EQ(t->group, "g");
      (void)store->keys_by_index("tag", "t");
    }
  });
  for (int i = 0; i < 2000; ++i) {
    const std::string name = "o" + std::to_string(i % 50);
    store->upsert(ptr(thing("ns", name, std::to_string(i), "g", {"t"})));
    if (i % 7 == 0) store->erase({"ns", name});
  }
  done = true;
}

// ---- relist through a real Reflector ----

// A watch stream that sends its lines, then blocks until cancelled.
class ScriptedLines final : public kube::HttpLineStream {
 public:
  explicit ScriptedLines(std::deque<std::string> lines) : lines_(std::move(lines)) {}
  int status() const override { return 200; }
  const kube::HttpHeaders& headers() const override { return headers_; }
  std::optional<std::string> read_line() override {
    std::unique_lock lock(mutex_);
    if (!lines_.empty()) {
      std::string next = std::move(lines_.front());
      lines_.pop_front();
      return next;
    }
    cv_.wait(lock, [&] { return cancelled_; });
    return std::nullopt;
  }
  void cancel() override {
    {
      const std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  kube::HttpHeaders headers_;
  std::deque<std::string> lines_;
  bool cancelled_ = false;
};

// First list, a watch that answers 410 Gone, then the second list and a quiet watch.
class RelistingListerWatcher final : public ListerWatcher {
 public:
  RelistingListerWatcher(kube::ObjectList first, kube::ObjectList second)
      : lists_{std::move(first), std::move(second)} {}
  kube::ObjectList list(const kube::ListOptions&) override {
    const std::lock_guard lock(mutex_);
    if (lists_.size() > 1) {
      auto next = lists_.front();
      lists_.pop_front();
      return next;
    }
    return lists_.front();
  }
  std::unique_ptr<kube::WatchStream> watch(const kube::WatchOptions&) override {
    const std::lock_guard lock(mutex_);
    std::deque<std::string> lines;
    if (watches_++ == 0) {
      lines.push_back(Json{{"type", "ERROR"},
                           {"object",
                            {{"kind", "Status"},
                             {"apiVersion", "v1"},
                             {"status", "Failure"},
                             {"reason", "Expired"},
                             {"code", 410}}}}
                          .dump());
    }
    return std::make_unique<kube::WatchStream>(std::make_unique<ScriptedLines>(std::move(lines)));
  }
  int watches() const {
    const std::lock_guard lock(mutex_);
    return watches_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<kube::ObjectList> lists_;
  int watches_ = 0;
};

TEST(TypedStore, FollowsARelistThroughReflectorHandlers) {
  const CountingParse parse;
  const auto typed = make_store(parse);
  const auto lw = std::make_shared<RelistingListerWatcher>(
      kube::ObjectList{{thing("ns", "moved", "1", "g1"), thing("ns", "gone", "2", "g1"),
                        thing("ns", "same", "3", "g1")},
                       "10",
                       ""},
      kube::ObjectList{{thing("ns", "moved", "11", "g2"), thing("ns", "same", "3", "g1"),
                        thing("ns", "new", "12", "g1")},
                       "20",
                       ""});
  ReflectorOptions options;
  options.name = "things";
  options.backoff_initial = std::chrono::milliseconds(1);
  options.min_watch_duration = std::chrono::milliseconds(0);
  Reflector reflector(lw, std::make_shared<Store>(), options);
  reflector.add_handlers(sync_handlers(typed));
  {
    std::jthread thread([&](std::stop_token stop) { reflector.run(stop); });
    ASSERT_TRUE(eventually([&] { return lw->watches() >= 2; }));  // relisted and watching
  }
  EXPECT_EQ(reflector.lists(), 2u);
  EXPECT_EQ(keys(typed->keys_by_index("group", "g1")), (Names{"ns/new", "ns/same"}));
  EXPECT_EQ(keys(typed->keys_by_index("group", "g2")), (Names{"ns/moved"}));
  EXPECT_EQ(typed->get({"ns", "gone"}), nullptr);
  // moved twice, gone, same and new once each: the unchanged object was not parsed again.
  EXPECT_EQ(*parse.calls, 5);
}

}  // namespace
}  // namespace secprov::runtime

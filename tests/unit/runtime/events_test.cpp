#include "runtime/events.h"

#include <gtest/gtest.h>

#include "fake_api.h"
#include "kube/resource.h"
#include "test_util.h"

namespace secprov::runtime {
namespace {

using namespace std::chrono_literals;
using testing::FakeApi;
using testing::ManualClock;
using Json = nlohmann::json;

Json profile(const std::string& name, const std::string& uid) {
  return {
      {"apiVersion", "secprov.io/v1alpha1"},
      {"kind", "SecurityProfile"},
      {"metadata", {{"namespace", "ns"}, {"name", name}, {"uid", uid}, {"resourceVersion", "7"}}}};
}

const std::string kEvents = kube::resources::events().collection_path("ns");

struct Fixture {
  FakeApi api;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<EventRecorder> recorder;

  explicit Fixture(EventRecorderOptions options = {}) {
    options.host = "pod-a";
    options.clock = clock;
    recorder = std::make_unique<EventRecorder>(api.client(), options);
  }
};

TEST(EventRecorder, CreatesEventForInvolvedObject) {
  Fixture f;
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Issued", "certificate issued");
  f.recorder->flush();
  const auto posts = f.api.requests("POST");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].path, kEvents);
  const Json& e = posts[0].body;
  EXPECT_EQ(e["involvedObject"]["kind"], "SecurityProfile");
  EXPECT_EQ(e["involvedObject"]["apiVersion"], "secprov.io/v1alpha1");
  EXPECT_EQ(e["involvedObject"]["name"], "p1");
  EXPECT_EQ(e["involvedObject"]["namespace"], "ns");
  EXPECT_EQ(e["involvedObject"]["uid"], "uid-1");
  EXPECT_EQ(e["involvedObject"]["resourceVersion"], "7");
  EXPECT_EQ(e["type"], "Normal");
  EXPECT_EQ(e["reason"], "Issued");
  EXPECT_EQ(e["message"], "certificate issued");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["source"]["component"], "secprov-operator");
  EXPECT_EQ(e["source"]["host"], "pod-a");
  EXPECT_EQ(e["firstTimestamp"], "2024-05-01T00:00:00Z");
  EXPECT_EQ(e["metadata"]["namespace"], "ns");
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("p1.", 0), 0u);
}

TEST(EventRecorder, IdenticalEventPatchesCount) {
  Fixture f;
  f.recorder->record(profile("p1", "uid-1"), EventType::Warning, "IssueFailed", "CA not ready");
  f.recorder->flush();
  f.clock->advance(30s);
  f.recorder->record(profile("p1", "uid-1"), EventType::Warning, "IssueFailed", "CA not ready");
  f.recorder->flush();

  ASSERT_EQ(f.api.requests("POST").size(), 1u);
  const auto patches = f.api.requests("PATCH");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].body["count"], 2);
  EXPECT_EQ(patches[0].body["lastTimestamp"], "2024-05-01T00:00:30Z");
  const std::string name = f.api.requests("POST")[0].body["metadata"]["name"];
  EXPECT_EQ(patches[0].path, kEvents + "/" + name);
  const auto stored = f.api.objects_under(kEvents);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["count"], 2);

  f.recorder->record(profile("p1", "uid-1"), EventType::Warning, "IssueFailed", "CA not ready");
  f.recorder->flush();
  EXPECT_EQ(f.api.requests("PATCH").back().body["count"], 3);
}

TEST(EventRecorder, DifferentMessageOrObjectCreatesNewEvent) {
  Fixture f;
  f.recorder->record(profile("p1", "uid-1"), EventType::Warning, "IssueFailed", "CA not ready");
  f.recorder->record(profile("p1", "uid-1"), EventType::Warning, "IssueFailed", "quota exceeded");
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "IssueFailed", "CA not ready");
  f.recorder->record(profile("p2", "uid-2"), EventType::Warning, "IssueFailed", "CA not ready");
  f.recorder->flush();
  EXPECT_EQ(f.api.requests("POST").size(), 4u);
  EXPECT_TRUE(f.api.requests("PATCH").empty());
}

// The aggregation cache is bounded: the least recently seen Event is forgotten first (a
// repeat of it is then a new Event), the others still aggregate. Long messages make keys the
// cache cannot hold inline.
TEST(EventRecorder, AggregationForgetsTheLeastRecentlySeenBeyondItsSize) {
  EventRecorderOptions options;
  options.cache_size = 2;
  Fixture f(options);
  const std::string message(200, 'm');
  const auto record = [&](const std::string& name) {
    f.recorder->record(profile(name, "uid-" + name), EventType::Warning, "IssueFailed", message);
    f.recorder->flush();
  };
  record("p1");
  record("p2");
  record("p1");  // p1 now the most recent: aggregated
  record("p3");  // forgets p2
  EXPECT_EQ(f.api.requests("POST").size(), 3u);
  EXPECT_EQ(f.api.requests("PATCH").size(), 1u);
  record("p1");  // still known
  record("p3");  // still known
  EXPECT_EQ(f.api.requests("POST").size(), 3u);
  EXPECT_EQ(f.api.requests("PATCH").size(), 3u);
  record("p2");  // forgotten: a new Event
  EXPECT_EQ(f.api.requests("POST").size(), 4u);
  EXPECT_EQ(f.api.requests("PATCH").size(), 3u);
}

TEST(EventRecorder, AfterTheWindowANewEventIsCreated) {
  Fixture f;
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Issued", "ok");
  f.recorder->flush();
  f.clock->advance(11min);
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Issued", "ok");
  f.recorder->flush();
  EXPECT_EQ(f.api.requests("POST").size(), 2u);
  EXPECT_TRUE(f.api.requests("PATCH").empty());
}

TEST(EventRecorder, PatchOfDeletedEventCreatesAnew) {
  Fixture f;
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Issued", "ok");
  f.recorder->flush();
  for (const auto& e : f.api.objects_under(kEvents)) {
    f.api.erase(kEvents + "/" + e["metadata"]["name"].get<std::string>());
  }
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Issued", "ok");
  f.recorder->flush();
  EXPECT_EQ(f.api.requests("PATCH").size(), 1u);  // tried, got 404
  ASSERT_EQ(f.api.requests("POST").size(), 2u);
  EXPECT_EQ(f.api.requests("POST")[1].body["count"], 1);
  EXPECT_EQ(f.api.objects_under(kEvents).size(), 1u);
}

TEST(EventRecorder, PerObjectRateLimitDropsSpam) {
  EventRecorderOptions options;
  options.per_object_burst = 2;
  options.per_object_qps = 1.0 / 300.0;
  Fixture f(options);
  for (int i = 0; i < 5; ++i) {
    f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Step",
                       "step " + std::to_string(i));
  }
  f.recorder->record(profile("p2", "uid-2"), EventType::Normal, "Step", "other object");
  f.recorder->flush();
  EXPECT_EQ(f.api.requests("POST").size(), 3u);  // 2 for p1, 1 for p2
  EXPECT_EQ(f.recorder->dropped(), 3u);
  f.clock->advance(5min);  // one token back
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Step", "later");
  f.recorder->flush();
  EXPECT_EQ(f.api.requests("POST").size(), 4u);
}

TEST(EventRecorder, ApiFailuresNeverReachTheCaller) {
  Fixture f;
  f.api.intercept([](const FakeApi::Request&) -> std::optional<kube::HttpResponse> {
    return FakeApi::status(403, "Forbidden", "events is forbidden");
  });
  EXPECT_NO_THROW(f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Issued", "ok"));
  EXPECT_NO_THROW(f.recorder->record(Json("not an object"), EventType::Normal, "Issued", "ok"));
  f.recorder->flush();
  EXPECT_EQ(f.recorder->dropped(), 2u);
}

TEST(EventRecorder, ClusterScopedObjectsGoToDefaultNamespace) {
  Fixture f;
  const Json node = {{"metadata", {{"name", "node-1"}, {"uid", "uid-n"}}}};
  f.recorder->record(ObjectReference::from(node, "v1", "Node"), EventType::Normal, "Seen", "hello");
  f.recorder->flush();
  const auto posts = f.api.requests("POST");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].path, kube::resources::events().collection_path("default"));
  EXPECT_EQ(posts[0].body["involvedObject"]["kind"], "Node");
  EXPECT_FALSE(posts[0].body["involvedObject"].contains("namespace"));
}

// A repeat patches the Event its first occurrence created, in that Event's namespace
// ("default" for a cluster-scoped object), each object's own, however they interleave.
TEST(EventRecorder, AggregatedPatchTargetsTheEventFirstCreated) {
  Fixture f;
  const auto node = ObjectReference::from(
      Json{{"metadata", {{"name", "node-1"}, {"uid", "uid-n"}}}}, "v1", "Node");
  const auto record_both = [&] {
    f.recorder->record(node, EventType::Warning, "NotReady", "kubelet stopped posting");
    f.recorder->record(profile("p1", "uid-1"), EventType::Warning, "NotReady",
                       "kubelet stopped posting");
    f.recorder->flush();
    f.clock->advance(1min);
  };
  record_both();
  record_both();
  record_both();
  const auto posts = f.api.requests("POST");
  ASSERT_EQ(posts.size(), 2u);
  const std::string node_event = kube::resources::events().collection_path("default") + "/" +
                                 posts[0].body["metadata"]["name"].get<std::string>();
  const std::string profile_event =
      kEvents + "/" + posts[1].body["metadata"]["name"].get<std::string>();
  const auto patches = f.api.requests("PATCH");
  ASSERT_EQ(patches.size(), 4u);
  EXPECT_EQ(patches[0].path, node_event);
  EXPECT_EQ(patches[1].path, profile_event);
  EXPECT_EQ(patches[2].path, node_event);
  EXPECT_EQ(patches[3].path, profile_event);
  EXPECT_EQ(patches[2].body["count"], 3);
  EXPECT_EQ(patches[3].body["count"], 3);
}

TEST(EventRecorder, LongMessagesAreTruncated) {
  Fixture f;
  f.recorder->record(profile("p1", "uid-1"), EventType::Normal, "Big", std::string(5000, 'x'));
  f.recorder->flush();
  ASSERT_EQ(f.api.requests("POST").size(), 1u);
  EXPECT_EQ(f.api.requests("POST")[0].body["message"].get<std::string>().size(), 1024u);
}

}  // namespace
}  // namespace secprov::runtime

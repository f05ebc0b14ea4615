// Watch streams against a real kube-apiserver: ordering, resume, 410 Gone, server timeout.
#include <gtest/gtest.h>

#include <set>

#include "kube/client.h"
#include "support/cluster.h"

namespace secprov::testing {
namespace {

using kube::Json;
using kube::WatchEventType;
namespace resources = kube::resources;

kube::WatchOptions from(const std::string& resource_version,
                        std::chrono::seconds timeout = std::chrono::seconds(240)) {
  kube::WatchOptions options;
  options.resource_version = resource_version;
  options.timeout = timeout;
  return options;
}

Json config_map(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
}

// Reads events until `count` non-bookmark events arrived or the stream ended.
std::vector<kube::WatchEvent> read_events(kube::WatchStream& stream, std::size_t count) {
  std::vector<kube::WatchEvent> events;
  while (events.size() < count) {
    auto event = stream.next();
    if (!event) break;
    if (event->type != WatchEventType::Bookmark) events.push_back(std::move(*event));
  }
  return events;
}

using WatchTest = ClusterTest;

TEST_F(WatchTest, DeliversAddModifyDeleteInOrder) {
  const auto start = client_->list(resources::config_maps(), namespace_);
  auto stream = client_->watch(resources::config_maps(), namespace_, from(start.resource_version));
  client_->create(resources::config_maps(), namespace_, config_map("watched"));
  client_->merge_patch(resources::config_maps(), namespace_, "watched", {{"data", {{"k", "v"}}}});
  client_->remove(resources::config_maps(), namespace_, "watched");

  const auto events = read_events(*stream, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, WatchEventType::Added);
  EXPECT_EQ(events[1].type, WatchEventType::Modified);
  EXPECT_EQ(events[1].object["data"]["k"], "v");
  EXPECT_EQ(events[2].type, WatchEventType::Deleted);
  stream->cancel();
}

TEST_F(WatchTest, ResumesFromLastResourceVersionWithoutMissingOrDuplicating) {
  const auto start = client_->list(resources::config_maps(), namespace_);
  auto first = client_->watch(resources::config_maps(), namespace_, from(start.resource_version));
  for (int i = 0; i < 3; ++i) {
    client_->create(resources::config_maps(), namespace_,
                    config_map("before-" + std::to_string(i)));
  }
  const auto seen_before = read_events(*first, 3);
  ASSERT_EQ(seen_before.size(), 3u);
  const std::string last_rv = seen_before.back().resource_version();
  first->cancel();  // the connection drops

  for (int i = 0; i < 4; ++i) {
    client_->create(resources::config_maps(), namespace_,
                    config_map("during-" + std::to_string(i)));
  }

  auto resumed = client_->watch(resources::config_maps(), namespace_, from(last_rv));
  client_->create(resources::config_maps(), namespace_, config_map("after"));
  const auto seen_after = read_events(*resumed, 5);
  resumed->cancel();

  std::multiset<std::string> names;
  for (const auto& event : seen_before) names.insert(event.object["metadata"]["name"]);
  for (const auto& event : seen_after) names.insert(event.object["metadata"]["name"]);
  const std::multiset<std::string> expected = {"before-0", "before-1", "before-2", "during-0",
                                               "during-1", "during-2", "during-3", "after"};
  EXPECT_EQ(names, expected);
}

TEST_F(WatchTest, CompactedResourceVersionIsGone) {
  // The control plane compacts etcd every 20 s, as a busy cluster's would be soon enough.
  const std::string compacted = compacted_resource_version(*client_, namespace_);
  ASSERT_FALSE(compacted.empty()) << "etcd never compacted the resource version";
  try {
    auto stream = client_->watch(resources::config_maps(), namespace_, from(compacted));
    while (auto event = stream->next()) {
      ASSERT_EQ(event->type, WatchEventType::Bookmark) << "an event came from a compacted version";
    }
    FAIL() << "expected Gone";
  } catch (const kube::ApiError& e) {
    EXPECT_EQ(e.kind(), kube::ErrorKind::Gone) << e.what();
  }
}

TEST_F(WatchTest, ServerEndsTheStreamAtTimeoutSeconds) {
  const auto start = client_->list(resources::config_maps(), namespace_);
  auto stream = client_->watch(resources::config_maps(), namespace_,
                               from(start.resource_version, std::chrono::seconds(1)));
  std::optional<kube::WatchEvent> event;
  do {
    event = stream->next();
  } while (event && event->type == WatchEventType::Bookmark);
  EXPECT_FALSE(event.has_value()) << "the stream should end cleanly with no event";
}

}  // namespace
}  // namespace secprov::testing

// The reflector against a real kube-apiserver: no missed or duplicated events across
// stream ends, relist after 410 Gone, convergence after the control plane restarts.
#include "runtime/reflector.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "support/cluster.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;

Json config_map(const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"secprov.io/test", "reflector"}}}}},
          {"data", {{"k", value}}}};
}

// Counts what the handlers saw, per object name.
struct Recorder {
  std::mutex mutex;
  std::multiset<std::string> added, deleted;
  runtime::EventHandlers handlers() {
    return {[this](const runtime::ObjectPtr& o) {
              const std::lock_guard lock(mutex);
              added.insert((*o)["metadata"]["name"].get<std::string>());
            },
            {},
            [this](const runtime::ObjectPtr& o) {
              const std::lock_guard lock(mutex);
              deleted.insert((*o)["metadata"]["name"].get<std::string>());
            }};
  }
};

class ReflectorTest : public ClusterTest {
 protected:
  void start(std::chrono::seconds watch_timeout) {
    runtime::ReflectorOptions options;
    options.name = "it-configmaps";
    options.watch_timeout = watch_timeout;
    options.min_watch_duration = std::chrono::milliseconds(0);
    options.backoff_initial = std::chrono::milliseconds(100);
    options.backoff_max = std::chrono::seconds(2);
    reflector_ = std::make_unique<runtime::Reflector>(
        runtime::make_lister_watcher(client_, resources::config_maps(), namespace_,
                                     "secprov.io/test=reflector"),
        store_, options);
    reflector_->add_handlers(recorder_.handlers());
    thread_ = std::jthread([this](std::stop_token stop) { reflector_->run(stop); });
    ASSERT_TRUE(eventually([&] { return reflector_->has_synced(); }));
  }
  void TearDown() override {
    thread_ = {};
    ClusterTest::TearDown();
  }

  std::shared_ptr<runtime::Store> store_ = std::make_shared<runtime::Store>();
  Recorder recorder_;
  std::unique_ptr<runtime::Reflector> reflector_;
  std::jthread thread_;
};

TEST_F(ReflectorTest, NoEventIsMissedOrDuplicatedAcrossWatchRestarts) {
  start(std::chrono::seconds(1));  // the server ends every watch after a second
  for (int i = 0; i < 30; ++i) {
    client_->create(resources::config_maps(), namespace_, config_map("cm-" + std::to_string(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(eventually([&] { return store_->size() == 30; }));
  EXPECT_GE(reflector_->watch_restarts(), 2u) << "the watch should have been re-opened";
  const std::lock_guard lock(recorder_.mutex);
  EXPECT_EQ(recorder_.added.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(recorder_.added.count("cm-" + std::to_string(i)), 1u);
}

TEST_F(ReflectorTest, StoreConvergesAfterTheControlPlaneRestarts) {
  client_->create(resources::config_maps(), namespace_, config_map("survivor"));
  client_->create(resources::config_maps(), namespace_, config_map("doomed"));
  start(std::chrono::seconds(240));
  ASSERT_TRUE(eventually([&] { return store_->size() == 2; }));

  restart_control_plane();
  const auto client = admin_client();  // same certificates, same port
  client->remove(resources::config_maps(), namespace_, "doomed");
  client->create(resources::config_maps(), namespace_, config_map("newcomer"));
  client->merge_patch(resources::config_maps(), namespace_, "survivor",
                      {{"data", {{"k", "changed"}}}});

  EXPECT_TRUE(eventually(
      [&] {
        const auto survivor = store_->get({namespace_, "survivor"});
        return store_->size() == 2 && store_->get({namespace_, "newcomer"}) && survivor &&
               (*survivor)["data"]["k"] == "changed" && !store_->get({namespace_, "doomed"});
      },
      std::chrono::seconds(90)))
      << "store has " << store_->size() << " objects";
  const std::lock_guard lock(recorder_.mutex);
  EXPECT_EQ(recorder_.deleted.count("doomed"), 1u);
}

// Starts its first watch from a resource version etcd has compacted, as a reflector does
// after a long disconnection; the real apiserver answers 410 Gone.
class StaleFirstWatch : public runtime::ListerWatcher {
 public:
  StaleFirstWatch(std::shared_ptr<runtime::ListerWatcher> real, std::string compacted)
      : real_(std::move(real)), compacted_(std::move(compacted)) {}
  kube::ObjectList list(const kube::ListOptions& options) override { return real_->list(options); }
  std::unique_ptr<kube::WatchStream> watch(const kube::WatchOptions& options) override {
    auto first = options;
    if (!compacted_.empty()) first.resource_version = std::exchange(compacted_, {});
    return real_->watch(first);
  }

 private:
  std::shared_ptr<runtime::ListerWatcher> real_;
  std::string compacted_;
};

TEST_F(ReflectorTest, RelistsAfterGone) {
  const std::string compacted = compacted_resource_version(*client_, namespace_);
  ASSERT_FALSE(compacted.empty()) << "etcd never compacted the resource version";
  client_->create(resources::config_maps(), namespace_, config_map("before"));
  runtime::ReflectorOptions options;
  options.name = "it-gone";
  options.backoff_initial = std::chrono::milliseconds(50);
  runtime::Reflector reflector(
      std::make_shared<StaleFirstWatch>(
          runtime::make_lister_watcher(client_, resources::config_maps(), namespace_,
                                       "secprov.io/test=reflector"),
          compacted),
      store_, options);
  std::jthread thread([&](std::stop_token stop) { reflector.run(stop); });
  ASSERT_TRUE(eventually([&] { return reflector.lists() >= 2; }))
      << "the reflector did not relist after 410 Gone";
  client_->create(resources::config_maps(), namespace_, config_map("after"));
  EXPECT_TRUE(eventually([&] { return store_->size() == 2; }));
}

}  // namespace
}  // namespace secprov::testing

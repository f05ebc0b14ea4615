#include "runtime/controller.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "test_util.h"

namespace secprov::runtime {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

// Records calls; behaviour per call is scripted by a function.
class FakeReconciler final : public Reconciler {
 public:
  using Behaviour = std::function<ReconcileResult(const ObjectKey&, int call)>;
  explicit FakeReconciler(Behaviour behaviour = {}) : behaviour_(std::move(behaviour)) {}

  ReconcileResult reconcile(const ObjectKey& key) override {
    int call = 0;
    {
      const std::lock_guard lock(mutex_);
      call = ++calls_[key];
      times_[key].push_back(std::chrono::steady_clock::now());
    }
    return behaviour_ ? behaviour_(key, call) : ReconcileResult::Done();
  }
  int calls(const ObjectKey& key) const {
    const std::lock_guard lock(mutex_);
    const auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second;
  }
  int total() const {
    const std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [k, c] : calls_) n += c;
    return n;
  }
  std::vector<std::chrono::steady_clock::time_point> times(const ObjectKey& key) const {
    const std::lock_guard lock(mutex_);
    return times_.at(key);
  }

 private:
  Behaviour behaviour_;
  mutable std::mutex mutex_;
  std::map<ObjectKey, int> calls_;
  std::map<ObjectKey, std::vector<std::chrono::steady_clock::time_point>> times_;
};

ControllerOptions fast(int workers = 2) {
  return ControllerOptions{.workers = workers,
                           .rate_limiter = {.base_delay = 1ms, .max_delay = 50ms, .qps = 0},
                           .sync_poll = 5ms};
}

Json owned_secret(const std::string& owner, const std::string& owner_kind = "SecurityProfile") {
  return {{"metadata",
           {{"namespace", "ns"},
            {"name", owner + "-tls"},
            {"ownerReferences", Json::array({{{"apiVersion", "secprov.io/v1alpha1"},
                                              {"kind", owner_kind},
                                              {"name", owner},
                                              {"uid", "uid-" + owner},
                                              {"controller", true}}})}}}};
}

TEST(Controller, PrimaryHandlerEnqueuesObjectKey) {
  FakeReconciler reconciler;
  Controller controller("profiles", reconciler, fast());
  const auto handlers = controller.handler_for_primary();
  const auto p =
      std::make_shared<const Json>(Json{{"metadata", {{"namespace", "ns"}, {"name", "p"}}}});
  handlers.on_add(p);
  handlers.on_update(p, p);
  handlers.on_delete(p);
  EXPECT_EQ(controller.queue().len(), 1u);  // de-duplicated
  EXPECT_EQ(controller.queue().get(), (ObjectKey{"ns", "p"}));
}

TEST(Controller, OwnedObjectEnqueuesItsControllerOwner) {
  FakeReconciler reconciler;
  Controller controller("profiles", reconciler, fast());
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const auto handlers = controller.handler_for_owned("secprov.io/v1alpha1", "SecurityProfile");
  handlers.on_add(std::make_shared<const Json>(owned_secret("p1")));
  handlers.on_add(std::make_shared<const Json>(owned_secret("x", "OtherKind")));
  // An update that moves the secret from p2 to p3 reconciles both.
  handlers.on_update(std::make_shared<const Json>(owned_secret("p2")),
                     std::make_shared<const Json>(owned_secret("p3")));
  handlers.on_delete(std::make_shared<const Json>(owned_secret("p4")));
  ASSERT_TRUE(eventually([&] { return reconciler.total() == 4; }));
  for (const auto* name : {"p1", "p2", "p3", "p4"}) {
    EXPECT_EQ(reconciler.calls({"ns", name}), 1) << name;
  }
  EXPECT_EQ(reconciler.calls({"ns", "x"}), 0);
}

TEST(Controller, ErrorsAreRetriedWithBackoffThenForgotten) {
  auto registry = std::make_shared<prometheus::Registry>();
  FakeReconciler reconciler([](const ObjectKey&, int call) {
    if (call <= 3) throw std::runtime_error("transient failure");
    return ReconcileResult::Done();
  });
  Controller controller("profiles", reconciler, fast(), registry);
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const ObjectKey key{"ns", "p"};
  controller.enqueue(key);
  ASSERT_TRUE(eventually([&] { return reconciler.calls(key) == 4; }));
  ASSERT_TRUE(eventually([&] { return controller.queue().num_requeues(key) == 0; }));

  // Backoff grows: 1ms, 2ms, 4ms between attempts (lower bounds only).
  const auto t = reconciler.times(key);
  EXPECT_GE(t[1] - t[0], 1ms);
  EXPECT_GE(t[2] - t[1], 2ms);
  EXPECT_GE(t[3] - t[2], 4ms);

  const prometheus::Labels c{{"controller", "profiles"}};
  ASSERT_TRUE(eventually([&] {
    return testing::metric_value(*registry, "controller_runtime_reconcile_total",
                                 {{"controller", "profiles"}, {"result", "success"}}) == 1;
  }));
  EXPECT_EQ(testing::metric_value(*registry, "controller_runtime_reconcile_total",
                                  {{"controller", "profiles"}, {"result", "error"}}),
            3);
  EXPECT_EQ(testing::metric_value(*registry, "controller_runtime_reconcile_errors_total", c), 3);
  EXPECT_EQ(testing::metric_value(*registry, "controller_runtime_reconcile_time_seconds", c), 4);
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_retries_total", {{"name", "profiles"}}), 3);
}

TEST(Controller, RequeueAfterIsHonoured) {
  FakeReconciler reconciler([](const ObjectKey&, int call) {
    return call == 1 ? ReconcileResult::RequeueAfter(60ms) : ReconcileResult::Done();
  });
  Controller controller("profiles", reconciler, fast());
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const ObjectKey key{"ns", "p"};
  controller.enqueue(key);
  ASSERT_TRUE(eventually([&] { return reconciler.calls(key) == 2; }));
  const auto t = reconciler.times(key);
  EXPECT_GE(t[1] - t[0], 60ms);  // never earlier than asked
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(reconciler.calls(key), 2);  // Done: no further reconcile
  EXPECT_EQ(controller.queue().num_requeues(key), 0);
}

TEST(Controller, RunsWorkersInParallelButNeverTheSameKey) {
  std::mutex mutex;
  std::condition_variable cv;
  int active = 0;
  int max_active = 0;
  std::map<ObjectKey, int> per_key;
  bool key_overlap = false;
  FakeReconciler reconciler([&](const ObjectKey& key, int) {
    std::unique_lock lock(mutex);
    ++active;
    key_overlap |= ++per_key[key] > 1;
    max_active = std::max(max_active, active);
    cv.notify_all();
    // Hold until all four workers are busy (or a guard timeout).
    cv.wait_for(lock, 5s, [&] { return max_active >= 4; });
    --per_key[key];
    --active;
    return ReconcileResult::Done();
  });
  Controller controller("profiles", reconciler, fast(4));
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) controller.enqueue({"ns", "p" + std::to_string(i)});
  }
  ASSERT_TRUE(eventually([&] {
    const std::lock_guard lock(mutex);
    return max_active == 4;
  }));
  const std::lock_guard lock(mutex);
  EXPECT_FALSE(key_overlap);
}

TEST(Controller, WaitsForCachesBeforeStartingWorkers) {
  FakeReconciler reconciler;
  Controller controller("profiles", reconciler, fast());
  std::atomic<bool> synced{false};
  controller.enqueue({"ns", "early"});
  std::jthread runner(
      [&](std::stop_token stop) { controller.run(stop, {[&] { return synced.load(); }}); });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(reconciler.total(), 0);
  synced = true;
  ASSERT_TRUE(eventually([&] { return reconciler.calls({"ns", "early"}) == 1; }));
}

TEST(Controller, StopLetsInFlightReconcileFinish) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  FakeReconciler reconciler([&](const ObjectKey&, int) {
    started = true;
    std::this_thread::sleep_for(100ms);
    finished = true;
    return ReconcileResult::Done();
  });
  Controller controller("profiles", reconciler, fast(1));
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  controller.enqueue({"ns", "a"});
  controller.enqueue({"ns", "b"});
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  runner.request_stop();
  runner.join();
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(reconciler.calls({"ns", "b"}), 0);  // queued keys are not started after stop
}

TEST(Controller, RequeueResultUsesRateLimitedRetryWithoutError) {
  auto registry = std::make_shared<prometheus::Registry>();
  FakeReconciler reconciler([](const ObjectKey&, int call) {
    return call == 1 ? ReconcileResult::Requeue() : ReconcileResult::Done();
  });
  Controller controller("profiles", reconciler, fast(), registry);
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  controller.enqueue({"ns", "p"});
  ASSERT_TRUE(eventually([&] { return reconciler.calls({"ns", "p"}) == 2; }));
  EXPECT_EQ(testing::metric_value(*registry, "controller_runtime_reconcile_total",
                                  {{"controller", "profiles"}, {"result", "requeue"}}),
            1);
  EXPECT_EQ(testing::metric_value(*registry, "controller_runtime_reconcile_errors_total",
                                  {{"controller", "profiles"}}),
            0);
}

}  // namespace
}  // namespace secprov::runtime

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
using testing::ManualClock;

// Records calls, at the time of `clock`; behaviour per call is scripted by a function.
class FakeReconciler final : public Reconciler {
 public:
  using Behaviour = std::function<ReconcileResult(const ObjectKey&, int call)>;
  explicit FakeReconciler(Behaviour behaviour = {},
                          std::shared_ptr<const Clock> clock = system_clock())
      : behaviour_(std::move(behaviour)), clock_(std::move(clock)) {}

  ReconcileResult reconcile(const ObjectKey& key) override {
    int call = 0;
    {
      const std::lock_guard lock(mutex_);
      call = ++calls_[key];
      times_[key].push_back(clock_->now());
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
  std::vector<Clock::time_point> times(const ObjectKey& key) const {
    const std::lock_guard lock(mutex_);
    return times_.at(key);
  }

 private:
  Behaviour behaviour_;
  const std::shared_ptr<const Clock> clock_;
  mutable std::mutex mutex_;
  std::map<ObjectKey, int> calls_;
  std::map<ObjectKey, std::vector<Clock::time_point>> times_;
};

// Backoff 1ms, 2ms, 4ms... (no overall bucket) on `clock`: delays pass only when it advances.
ControllerOptions fast(int workers = 2, std::shared_ptr<const Clock> clock = system_clock()) {
  return ControllerOptions{.workers = workers,
                           .rate_limiter = {.base_delay = 1ms, .max_delay = 50ms, .qps = 0},
                           .sync_poll = 5ms,
                           .clock = std::move(clock)};
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

TEST(Controller, PrimaryUpdatesTheFilterRejectsEnqueueNothing) {
  FakeReconciler reconciler;
  const auto registry = std::make_shared<prometheus::Registry>();
  Controller controller("profiles", reconciler, fast(), registry);
  const auto handlers = controller.handler_for_primary(
      [](const Json& old_object, const Json& new_object) { return old_object != new_object; });
  const auto p =
      std::make_shared<const Json>(Json{{"metadata", {{"namespace", "ns"}, {"name", "p"}}}});
  const auto same = std::make_shared<const Json>(*p);
  handlers.on_update(p, same);
  EXPECT_EQ(controller.queue().len(), 0u);
  EXPECT_EQ(testing::metric_value(*registry, "secprov_watch_events_skipped_total",
                                  {{"controller", "profiles"}, {"reason", "unchanged"}}),
            1);
  // Adds and deletes are never filtered.
  handlers.on_delete(p);
  EXPECT_EQ(controller.queue().len(), 1u);
}

TEST(Controller, MappedUpdatesReachTheOldAndNewKeysAndTheFilterIsCounted) {
  FakeReconciler reconciler;
  const auto registry = std::make_shared<prometheus::Registry>();
  Controller controller("bundles", reconciler, fast(), registry);
  // A profile -> the bundle it references (spec.ref), as the trust-bundle controller maps it.
  const auto handlers = controller.handler_for_mapped(
      [](const Json& object) {
        return std::vector<ObjectKey>{{"ns", object["spec"]["ref"].get<std::string>()}};
      },
      [](const Json& old_object, const Json& new_object) {
        return old_object["spec"] != new_object["spec"];
      });
  const auto profile = [](std::string ref, std::string status) {
    return std::make_shared<const Json>(Json{{"metadata", {{"namespace", "ns"}, {"name", "p"}}},
                                             {"spec", {{"ref", ref}}},
                                             {"status", {{"phase", status}}}});
  };
  handlers.on_update(profile("a", "Pending"), profile("a", "Ready"));  // status only
  EXPECT_EQ(controller.queue().len(), 0u);
  EXPECT_EQ(testing::metric_value(*registry, "secprov_watch_events_skipped_total",
                                  {{"controller", "bundles"}, {"reason", "unchanged"}}),
            1);
  handlers.on_update(profile("a", "Ready"), profile("b", "Ready"));  // the reference moved
  EXPECT_EQ(controller.queue().len(), 2u);                           // ns/a and ns/b
  handlers.on_delete(profile("c", "Ready"));                         // never filtered
  EXPECT_EQ(controller.queue().len(), 3u);
}

// Every object -> the one key "td" (a trust domain whose pass reads them all), batched.
EventHandlers fan_in_to_one_key(Controller& controller, std::chrono::milliseconds window) {
  return controller.handler_for_mapped(
      [](const Json&) {
        return std::vector<ObjectKey>{{"", "td"}};
      },
      {}, window);
}

TEST(Controller, MappedEventsOfOneBatchWindowCostOnePass) {
  const auto clock = std::make_shared<ManualClock>();
  FakeReconciler reconciler({}, clock);
  Controller controller("domains", reconciler, fast(2, clock));
  const auto handlers = fan_in_to_one_key(controller, 1000ms);
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const auto leaf = [](int i) {
    return std::make_shared<const Json>(
        Json{{"metadata", {{"namespace", "ns"}, {"name", "leaf-" + std::to_string(i)}}}});
  };
  for (int i = 0; i < 50; ++i) handlers.on_add(leaf(i));
  EXPECT_EQ(controller.queue().len(), 0u);  // nothing before the window ends
  EXPECT_EQ(controller.queue().waiting(), 1u);
  clock->advance(999ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(reconciler.total(), 0);
  clock->advance(1ms);
  ASSERT_TRUE(eventually([&] { return reconciler.total() == 1; }));
  // The next window: one more pass for any number of events.
  for (int i = 0; i < 50; ++i) handlers.on_update(leaf(i), leaf(i + 50));
  clock->advance(1000ms);
  ASSERT_TRUE(eventually([&] { return reconciler.total() == 2; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(reconciler.total(), 2);
}

TEST(Controller, KeysEnqueuedBatchedJoinTheMappedEventsOfTheirWindow) {
  const auto clock = std::make_shared<ManualClock>();
  FakeReconciler reconciler({}, clock);
  Controller controller("bundles", reconciler, fast(2, clock));
  const auto handlers = fan_in_to_one_key(controller, 1000ms);
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  for (int i = 0; i < 20; ++i) controller.enqueue_batched({"", "td"}, 1000ms);
  clock->advance(500ms);
  handlers.on_add(std::make_shared<const Json>(Json{{"metadata", {{"name", "leaf"}}}}));
  controller.enqueue_batched({"", "td"}, 1000ms);
  EXPECT_EQ(controller.queue().len(), 0u);
  EXPECT_EQ(controller.queue().waiting(), 1u);
  clock->advance(499ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(reconciler.total(), 0);
  clock->advance(1ms);  // the first one's window
  ASSERT_TRUE(eventually([&] { return reconciler.total() == 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(reconciler.total(), 1);
}

// A 1 s batch window after a first pass that "took" `pass` of the clock: the second pass
// comes exactly `window` after the next event, not before.
void expect_window_after_a_pass_of(std::chrono::milliseconds pass,
                                   std::chrono::milliseconds window) {
  const auto clock = std::make_shared<ManualClock>();
  FakeReconciler reconciler(
      [&clock, pass](const ObjectKey&, int) {
        clock->advance(pass);
        return ReconcileResult::Done();
      },
      clock);
  Controller controller("domains", reconciler, fast(2, clock));
  const auto handlers = fan_in_to_one_key(controller, 1000ms);
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const auto leaf =
      std::make_shared<const Json>(Json{{"metadata", {{"namespace", "ns"}, {"name", "leaf"}}}});
  handlers.on_add(leaf);  // no pass timed yet: the base window
  clock->advance(1000ms);
  // Done, not just begun: the controller times the pass after the reconciler returns.
  ASSERT_TRUE(
      eventually([&] { return reconciler.total() == 1 && controller.queue().in_flight() == 0; }));
  handlers.on_update(leaf, leaf);
  clock->advance(window - 100ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(reconciler.total(), 1);
  clock->advance(100ms);
  ASSERT_TRUE(eventually([&] { return reconciler.total() == 2; }));
}

TEST(Controller, ABatchWindowStretchesToThreeTimesTheKeysLastPass) {
  expect_window_after_a_pass_of(2000ms, 6000ms);  // a pass that reads many objects
}

TEST(Controller, AStretchedBatchWindowIsCappedAtTenSeconds) {
  // A pass slowed to a minute (an API timeout, say) must not hold events back 3 minutes.
  expect_window_after_a_pass_of(60000ms, 10000ms);
}

TEST(Controller, TheEchoOfItsOwnWriteDoesNotEnqueueTheOwnerButDriftDoes) {
  FakeReconciler reconciler;
  const auto registry = std::make_shared<prometheus::Registry>();
  Controller controller("profiles", reconciler, fast(), registry);
  const auto writes = std::make_shared<OwnWrites>(std::set<std::string>{"v1/Secret"});
  const auto handlers =
      controller.handler_for_owned("secprov.io/v1alpha1", "SecurityProfile", writes);
  const auto version = [](std::string name, std::string rv) {
    auto object = owned_secret(name);
    object["apiVersion"] = "v1";
    object["kind"] = "Secret";
    object["metadata"]["resourceVersion"] = rv;
    return std::make_shared<const Json>(std::move(object));
  };
  const auto write = [&](std::string name, std::string rv) {
    // The owner's name: the Secret is "<owner>-tls".
    const kube::WriteTarget target{"v1", "Secret", "ns", name + "-tls"};
    writes->sending(target);
    return [writes, target, written = version(std::move(name), std::move(rv))] {
      writes->answered(target, written.get());
    };
  };
  const auto skipped = [&] {
    return testing::metric_value(*registry, "secprov_watch_events_skipped_total",
                                 {{"controller", "profiles"}, {"reason", "own_write"}});
  };
  // Our create (version 1), answered before its event; our apply (version 2), whose event
  // overtakes the answer: both are echoes.
  write("p1", "1")();
  handlers.on_add(version("p1", "1"));
  const auto answer_apply = write("p1", "2");
  handlers.on_update(version("p1", "1"), version("p1", "2"));
  EXPECT_EQ(skipped(), 1);
  answer_apply();
  EXPECT_EQ(controller.queue().len(), 0u);
  EXPECT_EQ(skipped(), 2);
  // Someone else's edit (version 3) is drift: the owner is reconciled.
  handlers.on_update(version("p1", "2"), version("p1", "3"));
  EXPECT_EQ(controller.queue().get(), (ObjectKey{"ns", "p1"}));
  // Someone else's edit (version 6) that comes while our write is in flight reaches the owner
  // once our write is answered (version 7).
  const auto answer_p3 = write("p3", "7");
  handlers.on_update(version("p3", "5"), version("p3", "6"));
  EXPECT_EQ(controller.queue().len(), 0u);
  answer_p3();
  EXPECT_EQ(controller.queue().get(), (ObjectKey{"ns", "p3"}));
  handlers.on_update(version("p3", "6"), version("p3", "7"));
  EXPECT_EQ(skipped(), 3);
  // An event held for a write that failed reaches it too.
  (void)write("p4", "2");
  handlers.on_add(version("p4", "2"));
  EXPECT_EQ(controller.queue().len(), 0u);
  writes->answered(kube::WriteTarget{"v1", "Secret", "ns", "p4-tls"}, nullptr);
  EXPECT_EQ(controller.queue().get(), (ObjectKey{"ns", "p4"}));
  EXPECT_EQ(skipped(), 3);
  // A delete always reaches the owner, and drops what is left of the object's records.
  write("p2", "5")();
  handlers.on_delete(version("p2", "5"));
  EXPECT_EQ(writes->size(), 0u);
  EXPECT_EQ(controller.queue().get(), (ObjectKey{"ns", "p2"}));
}

TEST(Controller, ErrorsAreRetriedWithBackoffThenForgotten) {
  auto registry = std::make_shared<prometheus::Registry>();
  const auto clock = std::make_shared<ManualClock>();
  FakeReconciler reconciler(
      [](const ObjectKey&, int call) {
        if (call <= 3) throw std::runtime_error("transient failure");
        return ReconcileResult::Done();
      },
      clock);
  Controller controller("profiles", reconciler, fast(2, clock), registry);
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const ObjectKey key{"ns", "p"};
  controller.enqueue(key);
  // Backoff grows: 1ms, 2ms, 4ms; the key waits for it and is not retried a moment early.
  int attempt = 0;
  for (const auto delay : {1ms, 2ms, 4ms}) {
    ++attempt;
    ASSERT_TRUE(eventually([&] {
      return reconciler.calls(key) == attempt && controller.queue().waiting() == 1 &&
             controller.queue().in_flight() == 0;
    })) << attempt;
    clock->advance(delay - 1us);
    EXPECT_EQ(controller.queue().waiting(), 1u);
    EXPECT_EQ(controller.queue().len(), 0u);
    clock->advance(1us);
  }
  ASSERT_TRUE(eventually([&] { return reconciler.calls(key) == 4; }));
  ASSERT_TRUE(eventually([&] { return controller.queue().num_requeues(key) == 0; }));

  const auto t = reconciler.times(key);
  EXPECT_EQ(t[1] - t[0], 1ms);
  EXPECT_EQ(t[2] - t[1], 2ms);
  EXPECT_EQ(t[3] - t[2], 4ms);

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
  const auto clock = std::make_shared<ManualClock>();
  FakeReconciler reconciler(
      [](const ObjectKey&, int call) {
        return call == 1 ? ReconcileResult::RequeueAfter(60ms) : ReconcileResult::Done();
      },
      clock);
  Controller controller("profiles", reconciler, fast(2, clock));
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const ObjectKey key{"ns", "p"};
  controller.enqueue(key);
  ASSERT_TRUE(eventually([&] {
    return reconciler.calls(key) == 1 && controller.queue().waiting() == 1 &&
           controller.queue().in_flight() == 0;
  }));
  clock->advance(59ms);
  EXPECT_EQ(controller.queue().len(), 0u);  // never earlier than asked
  clock->advance(1ms);
  ASSERT_TRUE(eventually(
      [&] { return reconciler.calls(key) == 2 && controller.queue().in_flight() == 0; }));
  const auto t = reconciler.times(key);
  EXPECT_EQ(t[1] - t[0], 60ms);
  // Done: nothing queued or waiting, so no further reconcile.
  EXPECT_EQ(controller.queue().len(), 0u);
  EXPECT_EQ(controller.queue().waiting(), 0u);
  EXPECT_EQ(controller.queue().num_requeues(key), 0);
}

TEST(Controller, TerminalErrorIsRecordedAndNotRetried) {
  auto registry = std::make_shared<prometheus::Registry>();
  const auto clock = std::make_shared<ManualClock>();
  FakeReconciler reconciler(
      [](const ObjectKey&, int call) -> ReconcileResult {
        if (call == 1) throw std::runtime_error("transient failure");
        if (call == 2) throw TerminalError("InvalidSpec", "spec.ipsec[0].peers[0].remoteId: bad");
        return ReconcileResult::Done();
      },
      clock);
  Controller controller("profiles", reconciler, fast(2, clock), registry);
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  const ObjectKey key{"ns", "p"};
  controller.enqueue(key);
  ASSERT_TRUE(eventually([&] {
    return reconciler.calls(key) == 1 && controller.queue().waiting() == 1 &&
           controller.queue().in_flight() == 0;
  }));
  EXPECT_EQ(controller.queue().num_requeues(key), 1);
  clock->advance(1ms);
  ASSERT_TRUE(eventually(
      [&] { return reconciler.calls(key) == 2 && controller.queue().in_flight() == 0; }));
  // Not requeued, not waiting, and the earlier backoff is forgotten.
  EXPECT_EQ(controller.queue().len(), 0u);
  EXPECT_EQ(controller.queue().waiting(), 0u);
  EXPECT_EQ(controller.queue().num_requeues(key), 0);
  clock->advance(1h);  // any backoff would be due by now
  EXPECT_EQ(controller.queue().len(), 0u);
  EXPECT_EQ(reconciler.calls(key), 2);

  const prometheus::Labels c{{"controller", "profiles"}};
  const auto total = [&](const std::string& result) {
    return testing::metric_value(*registry, "controller_runtime_reconcile_total",
                                 {{"controller", "profiles"}, {"result", result}});
  };
  EXPECT_EQ(total("terminal_error"), 1);
  EXPECT_EQ(total("error"), 1);  // the transient one only
  EXPECT_EQ(
      testing::metric_value(*registry, "controller_runtime_terminal_reconcile_errors_total", c), 1);
  EXPECT_EQ(testing::metric_value(*registry, "controller_runtime_reconcile_errors_total", c), 2);
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_retries_total", {{"name", "profiles"}}), 1);

  // The next change of the object reconciles it again.
  controller.enqueue(key);
  ASSERT_TRUE(eventually([&] { return reconciler.calls(key) == 3; }));
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
  const auto clock = std::make_shared<ManualClock>();
  FakeReconciler reconciler({}, clock);
  Controller controller("profiles", reconciler, fast(2, clock));
  std::atomic<int> polls{0};
  std::atomic<bool> synced{false};
  controller.enqueue({"ns", "early"});
  std::jthread runner([&](std::stop_token stop) {
    controller.run(stop, {[&] {
                     ++polls;
                     return synced.load();
                   }});
  });
  // Polled once, then waits sync_poll on the clock: no worker yet.
  ASSERT_TRUE(eventually([&] { return clock->sleepers() == 1; }));
  EXPECT_EQ(clock->next_deadline(), clock->now() + 5ms);
  EXPECT_EQ(polls.load(), 1);
  EXPECT_EQ(reconciler.total(), 0);
  synced = true;
  clock->advance(5ms);
  ASSERT_TRUE(eventually([&] { return reconciler.calls({"ns", "early"}) == 1; }));
  EXPECT_EQ(polls.load(), 2);
}

TEST(Controller, StopLetsInFlightReconcileFinish) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::promise<void> release;
  const auto released = release.get_future().share();
  FakeReconciler reconciler([&](const ObjectKey&, int) {
    started = true;
    released.wait();
    finished = true;
    return ReconcileResult::Done();
  });
  Controller controller("profiles", reconciler, fast(1));
  std::jthread runner([&](std::stop_token stop) { controller.run(stop); });
  controller.enqueue({"ns", "a"});
  controller.enqueue({"ns", "b"});
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  auto stopping = std::async(std::launch::async, [&] {
    runner.request_stop();
    runner.join();
  });
  ASSERT_TRUE(eventually([&] { return controller.queue().shutting_down(); }));
  EXPECT_EQ(stopping.wait_for(0s), std::future_status::timeout);  // waits for the reconcile
  release.set_value();
  ASSERT_EQ(stopping.wait_for(10s), std::future_status::ready);
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

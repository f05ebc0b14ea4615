#include "runtime/workqueue.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "test_util.h"

namespace secprov::runtime {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::ManualClock;

ObjectKey k(const std::string& name) {
  return {"ns", name};
}

// A queue on a manual clock: delays pass only when the test advances it.
WorkQueueOptions with_clock(WorkQueueOptions options, std::shared_ptr<const Clock> clock) {
  options.clock = std::move(clock);
  return options;
}

struct ClockedQueue {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  WorkQueue q;
  explicit ClockedQueue(WorkQueueOptions options = {}) : q(with_clock(std::move(options), clock)) {}
};

TEST(WorkQueue, DeduplicatesQueuedKeys) {
  WorkQueue q;
  q.add(k("a"));
  q.add(k("b"));
  q.add(k("a"));
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.get(), k("a"));
  EXPECT_EQ(q.get(), k("b"));
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.in_flight(), 2u);
}

TEST(WorkQueue, KeyAddedWhileProcessingIsRequeuedAfterDone) {
  ClockedQueue cq;
  auto& q = cq.q;
  q.add(k("a"));
  ASSERT_EQ(q.get(), k("a"));
  q.add(k("a"));
  q.add(k("a"));
  EXPECT_EQ(q.len(), 0u);  // not handed to a second worker while the first holds it

  auto second = std::async(std::launch::async, [&] { return q.get(); });
  ASSERT_TRUE(eventually([&] { return cq.clock->blocked() == 1; }));  // waiting in get()
  EXPECT_EQ(second.wait_for(0s), std::future_status::timeout);
  q.done(k("a"));
  ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(second.get(), k("a"));  // once, although added twice
  q.done(k("a"));
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, NeverProcessesAKeyConcurrently) {
  WorkQueue q;
  std::map<std::string, std::atomic<int>> active;
  for (int i = 0; i < 4; ++i) active["k" + std::to_string(i)] = 0;
  std::atomic<int> violations{0};
  std::atomic<int> processed{0};
  std::vector<std::jthread> workers;
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        if (active.at(key->name).fetch_add(1) != 0) ++violations;
        std::this_thread::yield();
        active.at(key->name).fetch_sub(1);
        ++processed;
        q.done(*key);
      }
    });
  }
  for (int i = 0; i < 4000; ++i) q.add(k("k" + std::to_string(i % 4)));
  ASSERT_TRUE(eventually([&] { return q.len() == 0 && q.in_flight() == 0; }));
  q.shut_down();
  workers.clear();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GE(processed.load(), 4);
}

TEST(WorkQueue, AddAfterReleasesInDueOrder) {
  ClockedQueue cq;
  auto& q = cq.q;
  q.add_after(k("c"), 90ms);
  q.add_after(k("a"), 30ms);
  q.add_after(k("b"), 60ms);
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.waiting(), 3u);
  cq.clock->advance(29ms);
  EXPECT_EQ(q.len(), 0u);  // not a moment early
  cq.clock->advance(1ms);
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.waiting(), 2u);
  EXPECT_EQ(q.get(), k("a"));
  cq.clock->advance(60ms);
  EXPECT_EQ(q.get(), k("b"));
  EXPECT_EQ(q.get(), k("c"));
}

TEST(WorkQueue, BlockedGetWakesWhenTheClockPassesTheDueTime) {
  ClockedQueue cq;
  auto& q = cq.q;
  q.add_after(k("a"), 1h);
  auto getter = std::async(std::launch::async, [&] { return q.get(); });
  ASSERT_TRUE(eventually([&] { return cq.clock->sleepers() == 1; }));
  EXPECT_EQ(cq.clock->next_deadline(), cq.clock->now() + 1h);
  // An earlier key wakes the getter, which then waits for the new, earlier due time.
  q.add_after(k("b"), 1min);
  ASSERT_TRUE(eventually([&] { return cq.clock->next_deadline() == cq.clock->now() + 1min; }));
  cq.clock->advance(1min);
  ASSERT_EQ(getter.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(getter.get(), k("b"));
  EXPECT_EQ(q.waiting(), 1u);
}

TEST(WorkQueue, AddAfterKeepsTheEarlierTime) {
  ClockedQueue cq;
  auto& q = cq.q;
  q.add_after(k("x"), 1h);
  q.add_after(k("x"), 10ms);
  q.add_after(k("x"), 2h);
  cq.clock->advance(10ms);
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.get(), k("x"));
  EXPECT_EQ(q.waiting(), 0u);
  q.add_after(k("y"), 0ms);  // zero delay: ready at once
  EXPECT_EQ(q.len(), 1u);
}

// A key brought forward leaves its later heap entry behind: that stale entry releases
// nothing when it comes due, whether the key waits again by then (due later) or not.
TEST(WorkQueue, AStaleEntryOfAKeyBroughtForwardReleasesNothing) {
  ClockedQueue cq;
  auto& q = cq.q;
  q.add_after(k("x"), 1h);
  q.add_after(k("x"), 1min);  // the 1h entry is now stale
  q.add_after(k("y"), 1h);
  cq.clock->advance(1min);
  EXPECT_EQ(q.get(), k("x"));
  q.done(k("x"));
  q.add_after(k("x"), 2h);  // waits again, due after the stale entry
  EXPECT_EQ(q.waiting(), 2u);
  cq.clock->advance(59min);  // the stale 1h entry of x and y's come due
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.get(), k("y"));
  q.done(k("y"));
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.waiting(), 1u);
  cq.clock->advance(61min);  // x was re-added at 1min for 2h
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.get(), k("x"));
  q.done(k("x"));
  // Every entry popped: nothing waits, and the key can wait again.
  EXPECT_EQ(q.waiting(), 0u);
  q.add_after(k("x"), 1s);
  cq.clock->advance(1s);
  EXPECT_EQ(q.get(), k("x"));
}

TEST(WorkQueue, DelayedKeyAlreadyQueuedIsNotDuplicated) {
  ClockedQueue cq;
  auto& q = cq.q;
  q.add_after(k("a"), 5ms);
  q.add(k("a"));
  cq.clock->advance(20ms);
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.get(), k("a"));
  EXPECT_EQ(q.len(), 0u);
}

TEST(RateLimiter, PerKeyExponentialBackoffWithCap) {
  RateLimiter limiter({.base_delay = 5ms, .max_delay = 1000s, .qps = 0, .burst = 1});
  const Clock::time_point now{1000h};
  std::vector<std::chrono::nanoseconds> delays;
  for (int i = 0; i < 5; ++i) delays.push_back(limiter.when(k("a"), now));
  EXPECT_EQ(delays, (std::vector<std::chrono::nanoseconds>{5ms, 10ms, 20ms, 40ms, 80ms}));
  EXPECT_EQ(limiter.when(k("b"), now), 5ms);  // per key
  EXPECT_EQ(limiter.num_requeues(k("a")), 5);

  for (int i = 0; i < 100; ++i) limiter.when(k("a"), now);  // 5ms * 2^100 would overflow
  EXPECT_EQ(limiter.when(k("a"), now), 1000s);

  limiter.forget(k("a"));
  EXPECT_EQ(limiter.num_requeues(k("a")), 0);
  EXPECT_EQ(limiter.when(k("a"), now), 5ms);
}

TEST(RateLimiter, OverallBucketSpreadsBursts) {
  RateLimiter limiter({.base_delay = 1ns, .max_delay = 1000s, .qps = 10, .burst = 2});
  const Clock::time_point now{1000h};
  EXPECT_LE(limiter.when(k("a"), now), 1ns);
  EXPECT_LE(limiter.when(k("b"), now), 1ns);
  // Bucket empty: each further retry is reserved 1/qps later than the previous one.
  EXPECT_EQ(limiter.when(k("c"), now), 100ms);
  EXPECT_EQ(limiter.when(k("d"), now), 200ms);
  // Tokens refill with time.
  EXPECT_EQ(limiter.when(k("e"), now + 1s), 1ns);
}

TEST(RateLimiter, LargerOfPerKeyAndBucket) {
  RateLimiter limiter({.base_delay = 1s, .max_delay = 1000s, .qps = 10, .burst = 1});
  const Clock::time_point now{1000h};
  EXPECT_EQ(limiter.when(k("a"), now), 1s);  // per-key dominates
  EXPECT_EQ(limiter.when(k("a"), now), 2s);
}

TEST(WorkQueue, RateLimitedAddsCountRequeuesAndForgetResets) {
  ClockedQueue cq(
      {.name = "test", .rate_limiter = {.base_delay = 1ms, .max_delay = 4ms, .qps = 0}});
  auto& q = cq.q;
  const std::vector<std::chrono::milliseconds> backoff{1ms, 2ms, 4ms, 4ms, 4ms};
  for (const auto delay : backoff) {
    q.add_rate_limited(k("a"));
    cq.clock->advance(delay - 1us);
    EXPECT_EQ(q.len(), 0u) << delay.count();  // due exactly after the backoff
    cq.clock->advance(1us);
    ASSERT_EQ(q.len(), 1u) << delay.count();
    ASSERT_EQ(q.get(), k("a"));
    q.done(k("a"));
  }
  EXPECT_EQ(q.num_requeues(k("a")), 5);
  q.forget(k("a"));
  EXPECT_EQ(q.num_requeues(k("a")), 0);
}

TEST(WorkQueue, ShutDownWakesBlockedGettersAndIgnoresAdds) {
  ClockedQueue cq;
  auto& q = cq.q;
  auto blocked = std::async(std::launch::async, [&] { return q.get(); });
  ASSERT_TRUE(eventually([&] { return cq.clock->blocked() == 1; }));
  q.shut_down();
  ASSERT_EQ(blocked.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(blocked.get(), std::nullopt);
  q.add(k("a"));
  q.add_after(k("b"), 1ms);
  q.add_rate_limited(k("c"));
  EXPECT_TRUE(q.shutting_down());
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.get(), std::nullopt);
}

TEST(WorkQueue, ShutDownWithDrainWaitsForInFlightKeys) {
  WorkQueue q;
  q.add(k("a"));
  q.add(k("b"));
  ASSERT_EQ(q.get(), k("a"));
  std::atomic<bool> drained{false};
  auto drain = std::async(std::launch::async, [&] {
    q.shut_down_with_drain();
    drained = true;
  });
  ASSERT_TRUE(eventually([&] { return q.shutting_down(); }));
  EXPECT_EQ(q.get(), std::nullopt);  // b is not handed out after shutdown
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(drained.load());  // a is still being processed
  q.done(k("a"));
  ASSERT_EQ(drain.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(drained.load());
}

TEST(WorkQueue, FifoSoNoKeyStarves) {
  // A "hot" key re-added after every item (an object that changes constantly) must not keep
  // the initial list waiting: it holds one place in line, at the back.
  WorkQueue q;
  constexpr int kCold = 500;
  for (int i = 0; i < kCold; ++i) q.add(k("cold-" + std::to_string(i)));
  q.add(k("hot"));
  std::vector<std::string> order;
  int hot = 0;
  while (order.size() < static_cast<std::size_t>(kCold)) {
    const auto key = q.get();
    ASSERT_TRUE(key);
    q.add(k("hot"));  // a live event arrives for every item processed
    q.done(*key);
    if (key->name == "hot") {
      ++hot;
    } else {
      order.push_back(key->name);
    }
    ASSERT_LE(hot + static_cast<int>(order.size()), 2 * kCold + 1);
  }
  for (int i = 0; i < kCold; ++i) ASSERT_EQ(order[i], "cold-" + std::to_string(i));
  EXPECT_LE(hot, kCold + 1);
}

TEST(WorkQueue, Metrics) {
  auto registry = std::make_shared<prometheus::Registry>();
  ClockedQueue cq(
      {.name = "profiles", .rate_limiter = {.base_delay = 1ms, .qps = 0}, .registry = registry});
  auto& q = cq.q;
  q.add(k("a"));
  q.add(k("a"));
  q.add(k("b"));
  const prometheus::Labels labels{{"name", "profiles"}};
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_depth", labels), 2);
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_adds_total", labels), 2);
  cq.clock->advance(2s);  // queued for 2 s
  const auto key = q.get();
  cq.clock->advance(3s);  // worked on for 3 s
  q.done(*key);
  q.add_rate_limited(k("c"));
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_depth", labels), 1);
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_retries_total", labels), 1);
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_queue_duration_seconds", labels), 1);
  EXPECT_EQ(testing::metric_value(*registry, "workqueue_work_duration_seconds", labels), 1);
  // Durations come from the queue's clock.
  EXPECT_EQ(testing::histogram_sum(*registry, "workqueue_queue_duration_seconds", labels), 2.0);
  EXPECT_EQ(testing::histogram_sum(*registry, "workqueue_work_duration_seconds", labels), 3.0);
}

}  // namespace
}  // namespace secprov::runtime

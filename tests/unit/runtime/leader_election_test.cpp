#include "runtime/leader_election.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "fake_api.h"
#include "kube/resource.h"
#include "test_util.h"

namespace secprov::runtime {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::FakeApi;
using testing::ManualClock;
using Json = nlohmann::json;

const std::string kLeasePath = kube::resources::leases().object_path("secprov-system", "secprov");

LeaderElectionConfig config(const std::string& identity) {
  return LeaderElectionConfig{.ns = "secprov-system", .name = "secprov", .identity = identity};
}

Json lease(const std::string& holder, int transitions, const std::string& renew_time) {
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", {{"name", "secprov"}, {"namespace", "secprov-system"}}},
          {"spec",
           {{"holderIdentity", holder},
            {"leaseDurationSeconds", 15},
            {"acquireTime", renew_time},
            {"renewTime", renew_time},
            {"leaseTransitions", transitions}}}};
}

std::string holder(const FakeApi& api) {
  return api.object(kLeasePath)->at("spec").at("holderIdentity").get<std::string>();
}

TEST(LeaderElector, AcquiresWhenLeaseIsAbsent) {
  FakeApi api;
  auto registry = std::make_shared<prometheus::Registry>();
  auto clock = std::make_shared<ManualClock>();
  LeaderElector elector(api.client(), config("pod-a"), {}, registry, clock);
  EXPECT_FALSE(elector.is_leader());
  EXPECT_EQ(
      testing::metric_value(*registry, "leader_election_master_status", {{"name", "secprov"}}), 0);

  ASSERT_TRUE(elector.try_acquire_or_renew());
  EXPECT_TRUE(elector.is_leader());
  ASSERT_EQ(api.requests("POST").size(), 1u);
  const Json spec = api.object(kLeasePath)->at("spec");
  EXPECT_EQ(spec["holderIdentity"], "pod-a");
  EXPECT_EQ(spec["leaseDurationSeconds"], 15);
  EXPECT_EQ(spec["leaseTransitions"], 0);
  EXPECT_EQ(spec["renewTime"], "2024-05-01T00:00:00.000000Z");
  EXPECT_EQ(
      testing::metric_value(*registry, "leader_election_master_status", {{"name", "secprov"}}), 1);
}

TEST(LeaderElector, DoesNotTakeAFreshLeaseAndJudgesExpiryByLocalObservation) {
  FakeApi api;
  // The remote renewTime is years old: a skewed clock must not make us take it over.
  api.put_object(kLeasePath, lease("pod-b", 3, "2001-01-01T00:00:00.000000Z"));
  auto clock = std::make_shared<ManualClock>();
  LeaderElector elector(api.client(), config("pod-a"), {}, nullptr, clock);

  EXPECT_FALSE(elector.try_acquire_or_renew());
  clock->advance(10s);
  EXPECT_FALSE(elector.try_acquire_or_renew());
  EXPECT_EQ(elector.observed_holder(), "pod-b");

  // pod-b renews: the record changed, so the 15 s count restarts.
  auto renewed = *api.object(kLeasePath);
  renewed["spec"]["renewTime"] = "2001-01-01T00:00:10.000000Z";
  api.put_object(kLeasePath, renewed);
  clock->advance(10s);  // 20 s since first seen, 10 s since the change
  EXPECT_FALSE(elector.try_acquire_or_renew());
  EXPECT_TRUE(api.requests("PUT").empty());
  EXPECT_FALSE(elector.is_leader());
}

TEST(LeaderElector, TakesOverAnExpiredLease) {
  FakeApi api;
  api.put_object(kLeasePath, lease("pod-b", 3, "2024-05-01T00:00:00.000000Z"));
  auto clock = std::make_shared<ManualClock>();
  std::vector<std::string> leaders;
  LeaderElector elector(api.client(), config("pod-a"), {}, nullptr, clock);

  EXPECT_FALSE(elector.try_acquire_or_renew());
  clock->advance(16s);  // pod-b did not renew for longer than leaseDurationSeconds
  ASSERT_TRUE(elector.try_acquire_or_renew());
  const Json spec = api.object(kLeasePath)->at("spec");
  EXPECT_EQ(spec["holderIdentity"], "pod-a");
  EXPECT_EQ(spec["leaseTransitions"], 4);
  EXPECT_EQ(spec["acquireTime"], "2024-05-01T00:00:16.000000Z");
  ASSERT_EQ(api.requests("PUT").size(), 1u);
  // The write carried the resourceVersion that was read (optimistic lock).
  EXPECT_FALSE(
      api.requests("PUT")[0].body["metadata"]["resourceVersion"].get<std::string>().empty());
}

TEST(LeaderElector, RenewKeepsAcquireTimeAndTransitions) {
  FakeApi api;
  auto clock = std::make_shared<ManualClock>();
  LeaderElector elector(api.client(), config("pod-a"), {}, nullptr, clock);
  ASSERT_TRUE(elector.try_acquire_or_renew());
  clock->advance(2s);
  ASSERT_TRUE(elector.try_acquire_or_renew());
  const Json spec = api.object(kLeasePath)->at("spec");
  EXPECT_EQ(spec["leaseTransitions"], 0);
  EXPECT_EQ(spec["acquireTime"], "2024-05-01T00:00:00.000000Z");
  EXPECT_EQ(spec["renewTime"], "2024-05-01T00:00:02.000000Z");
}

TEST(LeaderElector, ConflictingWriteLoses) {
  FakeApi api;
  api.put_object(kLeasePath, lease("", 1, "2024-05-01T00:00:00.000000Z"));
  api.intercept([](const FakeApi::Request& r) -> std::optional<kube::HttpResponse> {
    if (r.method == "PUT") return FakeApi::status(409, "Conflict", "the object has been modified");
    return std::nullopt;
  });
  LeaderElector elector(api.client(), config("pod-a"), {}, nullptr,
                        std::make_shared<ManualClock>());
  EXPECT_FALSE(elector.try_acquire_or_renew());
  EXPECT_FALSE(elector.is_leader());
}

TEST(LeaderElector, ReleaseLetsAStandbyTakeOverAtOnce) {
  FakeApi api;
  auto clock = std::make_shared<ManualClock>();
  LeaderElector a(api.client(), config("pod-a"), {}, nullptr, clock);
  LeaderElector b(api.client(), config("pod-b"), {}, nullptr, clock);
  ASSERT_TRUE(a.try_acquire_or_renew());
  EXPECT_FALSE(b.try_acquire_or_renew());

  ASSERT_TRUE(a.release());
  EXPECT_FALSE(a.is_leader());
  const Json spec = api.object(kLeasePath)->at("spec");
  EXPECT_EQ(spec["holderIdentity"], "");
  EXPECT_EQ(spec["leaseDurationSeconds"], 1);

  ASSERT_TRUE(b.try_acquire_or_renew());  // no waiting for the old lease to expire
  EXPECT_EQ(holder(api), "pod-b");
  EXPECT_EQ(api.object(kLeasePath)->at("spec")["leaseTransitions"], 1);
  EXPECT_FALSE(a.release());  // not ours any more: nothing written
}

TEST(LeaderElector, RejectsInconsistentTimings) {
  FakeApi api;
  auto bad = config("pod-a");
  bad.renew_deadline = 20s;  // > lease_duration
  EXPECT_THROW(LeaderElector(api.client(), bad, {}), std::invalid_argument);
  auto no_identity = config("");
  EXPECT_THROW(LeaderElector(api.client(), no_identity, {}), std::invalid_argument);
}

LeaderElectionConfig fast_config(const std::string& identity) {
  auto c = config(identity);
  c.lease_duration = 1000ms;
  c.renew_deadline = 300ms;
  c.retry_period = 50ms;
  return c;
}

// Blocks until `stop` is requested (leading work that runs until told to stop).
void wait_for_stop(const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait(lock, stop, [] { return false; });
}

// Advances `clock` to each timed wait's deadline until `done` holds.
bool advance_until(ManualClock& clock, const std::function<bool()>& done) {
  return eventually([&] {
    if (done()) return true;
    if (const auto deadline = clock.next_deadline()) clock.advance(*deadline - clock.now());
    return done();
  });
}

TEST(LeaderElector, RunLeadsAndReleasesOnStop) {
  FakeApi api;
  std::atomic<bool> leading{false};
  std::atomic<bool> leading_returned{false};
  std::atomic<bool> stopped{false};
  std::atomic<bool> stopped_after_leading_returned{false};
  std::string new_leader;
  LeaderCallbacks callbacks{
      .on_started_leading =
          [&](std::stop_token stop) {
            leading = true;
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            cv.wait(lock, stop, [] { return false; });
            leading_returned = true;
          },
      .on_stopped_leading =
          [&] {
            stopped_after_leading_returned = leading_returned.load();
            stopped = true;
          },
      .on_new_leader = [&](const std::string& id) { new_leader = id; },
  };
  const auto clock = std::make_shared<ManualClock>();
  LeaderElector elector(api.client(), fast_config("pod-a"), callbacks, nullptr, clock);
  std::jthread runner([&](std::stop_token stop) { elector.run(stop); });
  ASSERT_TRUE(eventually([&] { return leading.load(); }));
  EXPECT_TRUE(elector.is_leader());
  // It renews once per retry period while leading, and not before.
  const auto puts = api.requests("PUT").size();
  for (std::size_t round = 1; round <= 2; ++round) {
    ASSERT_TRUE(eventually([&] {
      return api.requests("PUT").size() == puts + round - 1 && clock->sleepers() == 1;
    })) << round;
    EXPECT_EQ(clock->next_deadline(), clock->now() + 50ms);
    clock->advance(50ms);
    ASSERT_TRUE(eventually([&] { return api.requests("PUT").size() == puts + round; })) << round;
  }

  runner.request_stop();
  runner.join();
  EXPECT_TRUE(stopped.load());
  EXPECT_TRUE(stopped_after_leading_returned.load());
  EXPECT_EQ(holder(api), "");  // released
  EXPECT_EQ(new_leader, "pod-a");
  EXPECT_FALSE(elector.is_leader());
}

TEST(LeaderElector, LosesLeadershipWhenRenewFailsPastDeadline) {
  FakeApi api;
  std::atomic<bool> leading{false};
  std::atomic<bool> leading_stop_seen{false};
  std::atomic<bool> stopped{false};
  LeaderCallbacks callbacks{
      .on_started_leading =
          [&](std::stop_token stop) {
            leading = true;
            wait_for_stop(stop);
            leading_stop_seen = true;
          },
      .on_stopped_leading = [&] { stopped = true; },
  };
  const auto clock = std::make_shared<ManualClock>();
  const auto acquired_at = clock->now();
  LeaderElector elector(api.client(), fast_config("pod-a"), callbacks, nullptr, clock);
  std::jthread runner([&](std::stop_token stop) { elector.run(stop); });
  ASSERT_TRUE(eventually([&] { return leading.load(); }));
  api.intercept([](const FakeApi::Request& r) -> std::optional<kube::HttpResponse> {
    if (r.method == "PUT") return FakeApi::status(500, "InternalError", "etcd unavailable");
    return std::nullopt;
  });
  // run() returns by itself: leadership is lost without a stop request, at the renew
  // deadline (300 ms of failed renewals every 50 ms), not before.
  ASSERT_TRUE(advance_until(*clock, [&] { return stopped.load(); }));
  EXPECT_EQ(clock->now() - acquired_at, 300ms);
  runner.join();
  EXPECT_TRUE(leading_stop_seen.load());
  EXPECT_FALSE(elector.is_leader());
  EXPECT_EQ(holder(api), "pod-a");  // not released: we could not write
}

TEST(LeaderElector, LosesLeadershipAtOnceWhenAnotherHolderIsSeen) {
  FakeApi api;
  std::atomic<bool> leading{false};
  std::atomic<bool> stopped{false};
  std::string last_leader;
  std::mutex leader_mutex;
  LeaderCallbacks callbacks{
      .on_started_leading =
          [&](std::stop_token stop) {
            leading = true;
            wait_for_stop(stop);
          },
      .on_stopped_leading = [&] { stopped = true; },
      .on_new_leader =
          [&](const std::string& id) {
            const std::lock_guard lock(leader_mutex);
            last_leader = id;
          },
  };
  auto c = fast_config("pod-a");
  c.renew_deadline = 900ms;  // long: the loss must come from seeing pod-b, not the deadline
  const auto clock = std::make_shared<ManualClock>();
  LeaderElector elector(api.client(), c, callbacks, nullptr, clock);
  std::jthread runner([&](std::stop_token stop) { elector.run(stop); });
  ASSERT_TRUE(eventually([&] { return elector.is_leader(); }));
  auto taken = *api.object(kLeasePath);
  taken["spec"]["holderIdentity"] = "pod-b";
  api.put_object(kLeasePath, taken);
  const auto taken_at = clock->now();
  ASSERT_TRUE(advance_until(*clock, [&] { return stopped.load(); }));
  EXPECT_EQ(clock->now() - taken_at, 50ms);  // at the next renewal, one retry period
  runner.join();
  EXPECT_EQ(holder(api), "pod-b");
  const std::lock_guard lock(leader_mutex);
  EXPECT_EQ(last_leader, "pod-b");
}

}  // namespace
}  // namespace secprov::runtime

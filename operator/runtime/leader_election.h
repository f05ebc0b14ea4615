#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stop_token>
#include <string>

#include "kube/client.h"
#include "runtime/clock.h"

namespace prometheus {
class Gauge;
class Registry;
}  // namespace prometheus

namespace secprov::runtime {

struct LeaderElectionConfig {
  std::string ns{};        // namespace of the Lease
  std::string name{};      // name of the Lease (also the metric's name label)
  std::string identity{};  // this process, e.g. the pod name; must be unique among candidates
  // A standby takes over when it has seen the same lease record for this long.
  std::chrono::milliseconds lease_duration{std::chrono::seconds(15)};
  // The leader gives up when it could not renew for this long.
  std::chrono::milliseconds renew_deadline{std::chrono::seconds(10)};
  // Time between acquire/renew attempts.
  std::chrono::milliseconds retry_period{std::chrono::seconds(2)};
  // On a graceful stop, hand the lease over at once (holder "" and leaseDurationSeconds 1).
  bool release_on_cancel = true;
};

struct LeaderCallbacks {
  // Runs in its own thread once the lease is held. Must return soon after `stop` is
  // requested (leadership lost or run() stopping); the lease is renewed until it returns.
  // If it returns on its own, the lease is released and run() returns.
  std::function<void(std::stop_token stop)> on_started_leading{};
  // Called once after leadership ends (never if it was never held). When the lease was
  // lost (not released), it runs before on_started_leading has returned: the operator
  // should exit at once so it never reconciles without the lease.
  std::function<void()> on_stopped_leading{};
  // Called from run()'s thread when the observed holder changes (also for ourselves).
  std::function<void(const std::string& identity)> on_new_leader{};
};

// Leader election on a coordination.k8s.io/v1 Lease, following client-go's LeaderElector:
// expiry is judged by how long *this* process has seen the same lease record (local
// monotonic clock), never by comparing the remote renewTime with the local clock, so clock
// skew between nodes cannot cause two leaders. Writes use the lease's resourceVersion, so
// of two candidates racing for it only one succeeds.
class LeaderElector {
 public:
  // Throws std::invalid_argument unless lease_duration > renew_deadline > 1.2 * retry_period
  // > 0 and identity, name and ns are set.
  LeaderElector(std::shared_ptr<kube::Client> client, LeaderElectionConfig config,
                LeaderCallbacks callbacks, std::shared_ptr<prometheus::Registry> registry = nullptr,
                std::shared_ptr<const Clock> clock = system_clock());
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Blocks: tries to acquire every retry_period; once leader, starts on_started_leading and
  // renews every retry_period. Returns when leadership is lost, or when `stop` is requested
  // (then waits for on_started_leading to return and releases the lease). Never throws.
  void run(std::stop_token stop);

  // One acquire-or-renew step (exposed for tests). True when we hold the lease afterwards.
  bool try_acquire_or_renew();
  // Gives the lease up if we hold it. True when the lease was written.
  bool release();

  bool is_leader() const noexcept { return leader_.load(); }
  // The holder as last observed ("" when none or unknown).
  std::string observed_holder() const;
  const LeaderElectionConfig& config() const noexcept { return config_; }

 private:
  struct Record {
    std::string holder;
    int lease_duration_seconds = 0;
    std::string acquire_time;
    std::string renew_time;
    int transitions = 0;
  };
  static Record parse_record(const nlohmann::json& lease);
  nlohmann::json lease_object(const Record& record) const;
  void observe(const nlohmann::json& lease, Clock::time_point now);
  void set_leader(bool leader);
  void report_new_leader();
  std::chrono::milliseconds jittered_retry();
  bool lost_to_other() const;

  const std::shared_ptr<kube::Client> client_;
  const LeaderElectionConfig config_;
  const LeaderCallbacks callbacks_;
  const std::shared_ptr<const Clock> clock_;

  mutable std::mutex mutex_;
  std::optional<nlohmann::json> observed_lease_;  // the whole object (for resourceVersion)
  Record observed_record_;
  Clock::time_point observed_time_{};
  std::atomic<bool> leader_{false};
  std::string reported_leader_;  // run()'s thread only
  std::mt19937 random_;          // run()'s thread only

  prometheus::Gauge* status_metric_ = nullptr;
};

}  // namespace secprov::runtime

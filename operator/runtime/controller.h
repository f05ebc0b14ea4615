#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/clock.h"
#include "runtime/object.h"
#include "runtime/own_writes.h"
#include "runtime/rate_limiter.h"
#include "runtime/reflector.h"
#include "runtime/workqueue.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace secprov::runtime {

// What a reconcile asks for next (kube-rs' Action / controller-runtime's Result).
struct ReconcileResult {
  // Reconcile again after this delay (e.g. before a certificate's renewal time).
  std::optional<std::chrono::milliseconds> requeue_after{};
  // Reconcile again with the key's rate-limited backoff, without counting an error
  // (e.g. waiting for another object to appear).
  bool requeue = false;

  static ReconcileResult Done() { return {}; }
  static ReconcileResult RequeueAfter(std::chrono::milliseconds delay) { return {delay, false}; }
  static ReconcileResult Requeue() { return {std::nullopt, true}; }
};

// An error that retrying cannot fix (controller-runtime's reconcile.TerminalError), e.g. a
// spec that cannot be rendered. The controller records it and does not requeue the key: the
// next reconcile comes from the next change of the object (or of what it watches).
// `reason` is a CamelCase condition reason such as "InvalidSpec". The message is logged, so
// it must not carry secret data.
class TerminalError : public std::runtime_error {
 public:
  TerminalError(std::string reason, const std::string& message)
      : std::runtime_error(message), reason_(std::move(reason)) {}
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string reason_;
};

// Brings the world in line with one object's spec. Called for one key at a time (never
// concurrently for the same key). Reads from stores, writes through kube::Client.
// Errors are exceptions: the key is retried with per-key exponential backoff, except after a
// TerminalError. Exception messages are logged, so they must not carry secret data.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual ReconcileResult reconcile(const ObjectKey& key) = 0;
};

struct ControllerOptions {
  int workers = 2;
  RateLimiterOptions rate_limiter{};
  // How often run() checks the wait_for conditions before starting workers.
  std::chrono::milliseconds sync_poll{100};
  // Times reconciles, the sync poll and the queue's delays and backoff.
  std::shared_ptr<const Clock> clock = system_clock();
};

// A work queue plus N workers calling a Reconciler (controller-runtime's Controller).
// Metrics (when a registry is given): controller_runtime_reconcile_total{controller,result}
// (result: success, error, terminal_error, requeue, requeue_after),
// controller_runtime_reconcile_errors_total{controller} (terminal ones included),
// controller_runtime_terminal_reconcile_errors_total{controller},
// controller_runtime_reconcile_time_seconds{controller}, controller_runtime_active_workers
// {controller}, the queue's workqueue_* metrics with name=<controller>, and
// secprov_watch_events_skipped_total{controller,reason} (reason: unchanged, own_write) for the
// events the handlers below did not enqueue.
class Controller {
 public:
  static constexpr int kBatchPacing = 3;
  static constexpr std::chrono::seconds kMaxBatchWindow{10};

  Controller(std::string name, Reconciler& reconciler, ControllerOptions options = {},
             std::shared_ptr<prometheus::Registry> registry = nullptr);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  void enqueue(const ObjectKey& key);
  void enqueue_after(const ObjectKey& key, std::chrono::milliseconds delay);
  // As an event of a handler_for_mapped with this `batch_window` would: the key's pass comes
  // at most the (paced) window later, with the other wake-ups of that window.
  void enqueue_batched(const ObjectKey& key, std::chrono::milliseconds batch_window);

  // Whether an update (old, new) is worth a reconcile, e.g. spec_or_metadata_changed. An
  // update it rejects enqueues nothing and counts as skipped (reason "unchanged").
  using UpdateFilter = std::function<bool(const Json& old_object, const Json& new_object)>;
  // An event's object -> the keys of this controller it concerns (controller-runtime's
  // handler.EnqueueRequestsFromMapFunc).
  using MapFn = std::function<std::vector<ObjectKey>(const Json& object)>;

  // Handlers for the reflector of the primary resource: every add/delete (and resync) enqueues
  // the object's own key, and every update that `filter` passes (empty: every update). The
  // controller must outlive the reflector's use of them.
  EventHandlers handler_for_primary(UpdateFilter filter = {});
  // Handlers for a reflector of related objects: every add/delete (and resync) enqueues the
  // keys `map` gives, and every update that `filter` passes those of the old and the new object
  // (a changed reference reaches both the old and the new key). With a `batch_window`, the
  // keys are enqueued that long after the first event of a window (add_after: a key already
  // waiting keeps its time), so the events of one window cost one pass: for a fan-in, many
  // objects mapping to one key whose pass reads them all. The window stretches to
  // kBatchPacing times the key's last pass when that is longer, up to kMaxBatchWindow (a pass
  // slowed by a timeout must not hold the next events back for minutes): a pass that reads N
  // objects then takes a bounded share of the CPU however large N grows.
  EventHandlers handler_for_mapped(MapFn map, UpdateFilter filter = {},
                                   std::chrono::milliseconds batch_window = {});
  // Handlers for a reflector of owned objects: enqueue the keys of their controller owners of
  // the given kind (on update: owners of both the old and the new object). With `own_writes`,
  // an add or update that is the echo of one of this controller's own writes (the version the
  // write returned) enqueues nothing: the pass that wrote it already saw it. Only for objects
  // no other writer of `own_writes` changes in a way this controller must react to. An event
  // that comes while a write of its object is in flight waits for the write's answer and may
  // then enqueue from the writing thread: the controller must outlive those writes too.
  EventHandlers handler_for_owned(std::string owner_api_version, std::string owner_kind,
                                  std::shared_ptr<OwnWrites> own_writes = nullptr);

  // Waits until every wait_for() is true (e.g. Reflector::has_synced), then runs `workers`
  // threads until `stop` is requested; then stops taking keys, lets in-flight reconciles
  // finish and returns. Keys enqueued before the caches synced are kept. Call once.
  void run(std::stop_token stop, std::vector<std::function<bool()>> wait_for = {});

  const std::string& name() const noexcept { return name_; }
  WorkQueue& queue() noexcept { return queue_; }
  int active_workers() const noexcept { return active_workers_.load(); }
  // Reconciles finished so far, whatever their result.
  std::uint64_t passes() const noexcept { return passes_.load(std::memory_order_relaxed); }

 private:
  void worker();
  void process(const ObjectKey& key);
  // Whether `filter` (empty: every update) lets the update through; counts what it stops.
  bool passes(const UpdateFilter& filter, const ObjectPtr& old_object, const ObjectPtr& new_object);
  // The batch window of `key`: `window`, or kBatchPacing times its last pass if longer.
  std::chrono::nanoseconds paced_window(const ObjectKey& key,
                                        std::chrono::milliseconds window) const;

  const std::string name_;
  Reconciler& reconciler_;
  const ControllerOptions options_;
  const std::shared_ptr<const Clock> clock_;
  const std::shared_ptr<prometheus::Registry> registry_;
  WorkQueue queue_;
  std::atomic<int> active_workers_{0};
  std::atomic<std::uint64_t> passes_{0};
  // Each key's last pass, timed once a batched handler exists (few keys: fan-in targets).
  std::atomic<bool> paced_{false};
  mutable std::mutex pass_times_mutex_;
  std::unordered_map<ObjectKey, std::chrono::nanoseconds, ObjectKeyHash> pass_times_;

  prometheus::Counter* success_ = nullptr;
  prometheus::Counter* error_ = nullptr;
  prometheus::Counter* terminal_error_ = nullptr;
  prometheus::Counter* terminal_errors_ = nullptr;
  prometheus::Counter* requeue_ = nullptr;
  prometheus::Counter* requeue_after_ = nullptr;
  prometheus::Counter* errors_ = nullptr;
  prometheus::Histogram* reconcile_time_ = nullptr;
  prometheus::Gauge* active_workers_metric_ = nullptr;
  prometheus::Counter* skipped_unchanged_ = nullptr;
  prometheus::Counter* skipped_own_write_ = nullptr;
};

}  // namespace secprov::runtime

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/clock.h"
#include "runtime/object.h"
#include "runtime/rate_limiter.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace secprov::runtime {

struct WorkQueueOptions {
  // The `name` label of the workqueue_* metrics (the controller's name).
  std::string name = "default";
  RateLimiterOptions rate_limiter{};
  // Registry for workqueue_depth, workqueue_adds_total, workqueue_retries_total,
  // workqueue_queue_duration_seconds, workqueue_work_duration_seconds; null: no metrics.
  std::shared_ptr<prometheus::Registry> registry{};
  // Decides when delayed keys are due and times the metrics; get() waits on it.
  std::shared_ptr<const Clock> clock = system_clock();
};

// A queue of keys to reconcile, with client-go's workqueue guarantees:
//  - a key is queued at most once however often it is added (de-duplication);
//  - a key is never handed to two workers at once: a key added while it is being processed
//    is queued again when done() is called for it;
//  - ready keys are served strictly first in, first out. There is no priority that could
//    put keys ahead of others, and each key holds at most one place in the line, so a key
//    waits at most for the keys that were ahead of it when it was added: none starves,
//    whether it came from the initial list, a live event or a retry.
//  - add_after() holds a key in a delay heap until it is due (a key waiting twice keeps the
//    earlier time); due keys join the back of the line in due-time order;
//  - add_rate_limited() delays by RateLimiter (per-key exponential backoff, overall bucket).
// Thread-safe. Use: while (auto key = q.get()) { work(*key); q.done(*key); }
class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(const ObjectKey& key);
  void add_after(const ObjectKey& key, std::chrono::nanoseconds delay);
  void add_rate_limited(const ObjectKey& key);
  // Resets the key's backoff (call after a successful reconcile).
  void forget(const ObjectKey& key);
  int num_requeues(const ObjectKey& key) const;

  // Blocks until a key is ready; nullopt once the queue is shut down.
  std::optional<ObjectKey> get();
  // Marks the end of processing a key returned by get().
  void done(const ObjectKey& key);

  // Stops the queue: get() returns nullopt at once (also to blocked callers), adds are
  // ignored, queued and delayed keys are dropped. Unlike client-go, keys still queued are
  // not handed out after shutdown: the operator stops promptly, and whoever runs next
  // reconciles every object from its initial list anyway.
  void shut_down();
  // shut_down(), then waits until every key being processed is done(). Must not be called
  // from a worker that holds a key (it would wait for itself).
  void shut_down_with_drain();
  bool shutting_down() const;

  // Keys ready to be handed out (delayed keys that are due count as ready).
  std::size_t len() const;
  // Keys held by add_after / add_rate_limited that are not due yet.
  std::size_t waiting() const;
  // Keys handed out by get() and not yet done().
  std::size_t in_flight() const;

  const std::string& name() const noexcept { return options_.name; }

 private:
  // A delayed key's live due time, and how many heap entries point at it: a key brought
  // forward leaves its later entry behind, stale, and its node stays until the last entry is
  // popped (one node per key, where each entry held a copy of the key: 80 bytes an entry).
  struct Delay {
    Clock::time_point ready_at;
    std::uint32_t entries = 0;
    bool armed = false;  // false: promoted already, every entry left is stale
  };
  using Delays = std::unordered_map<ObjectKey, Delay, ObjectKeyHash>;
  struct Waiting {
    Clock::time_point ready_at;
    std::uint64_t sequence;     // keeps equal times in insertion order
    Delays::value_type* delay;  // its node in delayed_at_ (nodes never move)
    bool operator>(const Waiting& other) const {
      return ready_at != other.ready_at ? ready_at > other.ready_at : sequence > other.sequence;
    }
  };

  void add_locked(const ObjectKey& key, Clock::time_point now);
  // True when get() has something to act on before `deadline`.
  bool ready_before_locked(Clock::time_point deadline) const;
  void promote_due_locked(Clock::time_point now);
  void update_depth_locked();

  const WorkQueueOptions options_;
  const std::shared_ptr<const Clock> clock_;
  RateLimiter rate_limiter_;

  mutable std::mutex mutex_;
  std::condition_variable_any ready_cv_;  // waited on through the clock
  std::condition_variable drained_cv_;
  bool shutting_down_ = false;

  // Ready keys in arrival order. Delayed keys join it lazily: every add and get first moves
  // the keys that are due, so the order is the same as with a timer thread.
  std::deque<ObjectKey> queue_;
  std::unordered_set<ObjectKey, ObjectKeyHash> dirty_;  // queued, or to requeue after done()
  std::unordered_set<ObjectKey, ObjectKeyHash> processing_;
  std::unordered_map<ObjectKey, Clock::time_point, ObjectKeyHash> queued_at_;
  std::unordered_map<ObjectKey, Clock::time_point, ObjectKeyHash> started_at_;

  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> delayed_;
  // Each delayed key (or one whose stale entries are still in the heap); heap entries that
  // disagree with its armed due time are stale.
  Delays delayed_at_;
  std::uint64_t sequence_ = 0;

  prometheus::Gauge* depth_ = nullptr;
  prometheus::Counter* adds_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Histogram* queue_duration_ = nullptr;
  prometheus::Histogram* work_duration_ = nullptr;
};

}  // namespace secprov::runtime

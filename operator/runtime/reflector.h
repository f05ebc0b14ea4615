#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/resource.h"
#include "kube/watch.h"
#include "runtime/clock.h"
#include "runtime/object.h"
#include "runtime/store.h"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace secprov::runtime {

// The two calls a reflector makes, so tests can script them.
class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  // One page (options.limit / options.continue_token are set by the reflector).
  virtual kube::ObjectList list(const kube::ListOptions& options) = 0;
  virtual std::unique_ptr<kube::WatchStream> watch(const kube::WatchOptions& options) = 0;
};

// Lists/watches `type` in `ns` ("" = all namespaces) restricted by `label_selector`.
std::shared_ptr<ListerWatcher> make_lister_watcher(std::shared_ptr<kube::Client> client,
                                                   kube::ResourceType type, std::string ns,
                                                   std::string label_selector);

// Callbacks for changes seen by a reflector. Any of them may be empty. They are called one
// at a time (never concurrently for one reflector), after the store was updated, and must
// not block for long: enqueue a key and return. Exceptions are logged and swallowed.
struct EventHandlers {
  std::function<void(const ObjectPtr& object)> on_add{};
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update{};
  std::function<void(const ObjectPtr& object)> on_delete{};
};

// Applied to every listed or watched object before it is stored or handed to handlers,
// e.g. to replace Secret data by digests so plaintext is never cached.
// Throwing skips the object (logged).
using Transform = std::function<Json(Json)>;

struct ReflectorOptions {
  // Names the watched resource in logs and metric labels, e.g. "secrets".
  std::string name = "unnamed";
  // Re-deliver every stored object to on_update(obj, obj) this often; zero disables.
  std::chrono::milliseconds resync_period{0};
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
  // Server-side timeoutSeconds of each watch request.
  std::chrono::seconds watch_timeout{std::chrono::seconds(240)};
  int page_size = 500;
  // A watch that ends within this time without any event counts as a failure (backoff),
  // so a server that closes watches at once does not cause a hot loop.
  std::chrono::milliseconds min_watch_duration{std::chrono::seconds(1)};
  // Registry for reflector_relists_total / reflector_watch_restarts_total; null: none.
  std::shared_ptr<prometheus::Registry> registry{};
  // Times backoff and resync waits, min_watch_duration and warning limits.
  std::shared_ptr<const Clock> clock = system_clock();
};

// Keeps a Store in sync with the API server (client-go's Reflector + informer dispatch):
//   list (paged) -> replace store -> synced -> watch from the list's resourceVersion with
//   bookmarks -> on normal stream end re-watch from the last resourceVersion -> on 410 Gone
//   relist -> on other errors back off (jittered exponential) and re-watch.
// It never throws out of run(); every failure is logged (rate-limited) and retried.
class Reflector {
 public:
  Reflector(std::shared_ptr<ListerWatcher> lister_watcher, std::shared_ptr<Store> store,
            ReflectorOptions options = {}, Transform transform = {});
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Adds handlers. May be called before or during run() (not from inside a handler); when
  // the store has already synced, the new handlers get on_add for every stored object first
  // (as client-go does).
  void add_handlers(EventHandlers handlers);

  // Blocks until `stop` is requested. A blocked watch is cancelled promptly; a list or
  // watch request in flight ends at the client's request timeout at worst.
  // Call at most once at a time.
  void run(std::stop_token stop);

  // True once the first list has been stored.
  bool has_synced() const noexcept { return synced_.load(std::memory_order_acquire); }
  const std::shared_ptr<Store>& store() const noexcept { return store_; }
  const std::string& name() const noexcept { return options_.name; }

  // For tests and diagnostics.
  std::uint64_t lists() const noexcept { return lists_.load(); }
  std::uint64_t watch_restarts() const noexcept { return watch_restarts_.load(); }

 private:
  enum class WatchEnd { Rewatch, Relist, Failed, Stopped };

  bool list_and_replace(std::stop_token stop);
  std::optional<kube::ObjectList> list_all(std::stop_token stop);
  WatchEnd watch_once(std::stop_token stop, bool& progressed);
  void apply_event(kube::WatchEvent& event);
  std::optional<Json> transformed(Json object) const;
  void resync_loop(std::stop_token stop);

  // Callers hold handlers_mutex_.
  void dispatch_add_locked(const ObjectPtr& object);
  void dispatch_update_locked(const ObjectPtr& old_object, const ObjectPtr& new_object);
  void dispatch_delete_locked(const ObjectPtr& object);

  // Sleeps the current backoff (interruptible) and grows it. False when stopped.
  bool backoff_sleep(std::stop_token stop);
  void reset_backoff() { backoff_ = options_.backoff_initial; }
  void warn_limited(const std::string& message);

  const std::shared_ptr<ListerWatcher> lister_watcher_;
  const std::shared_ptr<Store> store_;
  const ReflectorOptions options_;
  const std::shared_ptr<const Clock> clock_;
  const Transform transform_;

  std::atomic<bool> synced_{false};
  std::atomic<std::uint64_t> lists_{0};
  std::atomic<std::uint64_t> watch_restarts_{0};

  // Handlers, and the lock that serializes their calls (watch thread and resync thread).
  std::mutex handlers_mutex_;
  std::vector<EventHandlers> handlers_;

  // The watch in progress, reachable from the stop callback.
  std::mutex stream_mutex_;
  kube::WatchStream* current_stream_ = nullptr;

  // Backoff and log limiting; touched by the run() thread only.
  std::chrono::milliseconds backoff_;
  std::mt19937_64 random_;
  Clock::time_point last_warning_{};
  std::uint64_t suppressed_warnings_ = 0;

  prometheus::Counter* relists_metric_ = nullptr;
  prometheus::Counter* watch_restarts_metric_ = nullptr;
};

}  // namespace secprov::runtime

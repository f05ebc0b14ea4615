#pragma once
// Label-selected Pod watches (issue 9, "Pods in status, and rollout"): the operator caches only
// the Pods that the spec.selector of a Sidecar SecurityProfile selects. One list/watch runs per
// distinct (namespace, selector), shared by the profiles that name it (reference-counted), and
// started and stopped as those profiles come, change and go. Every watch fills one shared store
// (Stores::pods); a Pod that two watches hold stays there while either still holds it.

#include <atomic>
#include <chrono>
#include <compare>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/securityprofile.h"
#include "controllers/mappers.h"
#include "runtime/clock.h"
#include "runtime/object.h"
#include "runtime/reflector.h"
#include "runtime/store.h"

namespace prometheus {
class Gauge;
class Registry;
}  // namespace prometheus

namespace secprov::controllers {

// One Pod list/watch: a namespace and a rendered labelSelector query.
struct PodWatchKey {
  std::string ns;
  std::string selector;
  auto operator<=>(const PodWatchKey&) const = default;
  bool operator==(const PodWatchKey&) const = default;
  std::string to_string() const;  // `<ns> "<selector>"`, for logs
};

// The labelSelector query of `selector`: its matchLabels as "key=value" joined by ",", in key
// order (one selector, one string). nullopt when it selects no Pod: empty (the webhook's rule,
// policies::pod_selected), or a key or value that is not Kubernetes label syntax (no Pod can
// carry it, and it could not be written as a query without changing its meaning).
// matchExpressions: api::LabelSelector has none (the CRD refuses them).
std::optional<std::string> label_selector_query(const api::LabelSelector& selector);

// The watch a profile needs: spec.enabler.mode Sidecar and a selector that can select Pods, in
// the profile's namespace; nullopt otherwise.
std::optional<PodWatchKey> pod_watch_of(const api::SecurityProfile& profile);

// Which watches should exist: the profiles seen, each with the watch it needs, and from that
// the distinct watches with the number of profiles using each. Pure.
class PodWatchUsers {
 public:
  // Records what `profile` needs (nullopt: nothing, e.g. Native, deleted, does not parse).
  // Returns true when the set of desired watches changed.
  bool set(const runtime::ObjectKey& profile, std::optional<PodWatchKey> watch);
  // Desired watch -> number of profiles using it (each count > 0).
  const std::map<PodWatchKey, std::size_t>& desired() const noexcept { return desired_; }

 private:
  std::map<runtime::ObjectKey, PodWatchKey> users_;
  std::map<PodWatchKey, std::size_t> desired_;
};

// At most this many Pod watches run at once (one per distinct namespace and selector of the
// Sidecar profiles); beyond it a profile's Pods are not watched, it is told why (Ready False,
// PodWatchLimitExceeded) and the operator logs it.
inline constexpr std::size_t kMaxPodWatches = 512;

struct PodWatchPlan {
  std::vector<PodWatchKey> start;     // sorted
  std::vector<PodWatchKey> stop;      // sorted
  std::vector<PodWatchKey> over_cap;  // desired, not running, no free slot; sorted
  friend bool operator==(const PodWatchPlan&, const PodWatchPlan&) = default;
};

// From the running watches to the desired ones: stop those no longer desired; running ones keep
// their slot; new ones take the free slots in key order, up to `cap`. Pure.
PodWatchPlan plan_pod_watches(const std::set<PodWatchKey>& running,
                              const std::map<PodWatchKey, std::size_t>& desired, std::size_t cap);

enum class PodWatchState {
  Synced,   // running and its first list is stored: the shared store holds its Pods
  Pending,  // not started yet or not listed yet: its Pods are not known
  OverCap,  // desired, but kMaxPodWatches are running
};

struct PodWatchesOptions {
  std::chrono::milliseconds resync_period{0};
  // Reflector metrics (one series for all Pod watches, resource="pods"); null: none.
  std::shared_ptr<prometheus::Registry> registry{};
  // secprov_cache_objects{cache="pods"}: the Pods the shared store holds; null: none.
  prometheus::Gauge* objects = nullptr;
  std::shared_ptr<const runtime::Clock> clock = runtime::system_clock();
  std::size_t max_watches = kMaxPodWatches;
};

// Runs the Pod watches the profiles need. Driven by the profile cache (profile_handlers);
// each watch is a runtime::Reflector on its own thread, filling its own store, mirrored into
// the shared one. A stopped watch's Pods leave the shared store at once (unless another
// running watch holds them); its thread is joined once it has ended (at the next change, or
// in stop()).
class PodWatches {
 public:
  using ListerWatcherFactory =
      std::function<std::shared_ptr<runtime::ListerWatcher>(const PodWatchKey&)>;

  // `pods`: the shared store; `transform` is applied to every Pod (strip_pod).
  PodWatches(ListerWatcherFactory make, std::shared_ptr<runtime::Store> pods,
             PodWatchesOptions options, runtime::Transform transform = {});
  ~PodWatches();
  PodWatches(const PodWatches&) = delete;
  PodWatches& operator=(const PodWatches&) = delete;

  // Handlers every watch calls after the shared store was updated (e.g. enqueue the Pod's
  // profiles). A Pod relabelled out of a selector arrives as a delete carrying its previous
  // labels (the apiserver's filtered watch), so the profiles that selected it are reached.
  // Call before start().
  void add_handlers(runtime::EventHandlers handlers);

  // A profile seen (`profile` null: deleted or does not parse): applies the new plan.
  void set_profile(const runtime::ObjectKey& key,
                   const std::shared_ptr<const api::SecurityProfile>& profile);
  // For the profile reflector, after the typed store's sync handlers (it reads `profiles`).
  runtime::EventHandlers profile_handlers(std::shared_ptr<const ProfileStore> profiles);

  // Watches run only between start() and stop(); profiles are recorded at any time.
  void start();
  // Stops and joins every watch; their Pods leave the shared store.
  void stop();

  PodWatchState state(const PodWatchKey& key) const;
  bool synced(const PodWatchKey& key) const { return state(key) == PodWatchState::Synced; }
  std::size_t running() const;

 private:
  struct Watch;
  using Retired = std::vector<std::unique_ptr<Watch>>;

  // Callers hold mutex_. Starts and stops what the plan says; stopped watches go to `retired`.
  void apply_locked(Retired& retired);
  std::unique_ptr<Watch> start_locked(const PodWatchKey& key);
  void retire_locked(std::unique_ptr<Watch> watch, Retired& retired);
  // A Pod left `from` (deleted, relabelled away, or `from` stopped): keep the copy another
  // running watch of the namespace holds, else erase it.
  void forget_locked(const Watch& from, const runtime::ObjectKey& pod);
  void count_locked();
  // Asks retired watches to stop (outside mutex_), and joins those that have ended.
  void reap(Retired retired);

  const ListerWatcherFactory make_;
  const std::shared_ptr<runtime::Store> pods_;
  const PodWatchesOptions options_;
  const runtime::Transform transform_;

  mutable std::mutex mutex_;
  bool started_ = false;
  std::vector<runtime::EventHandlers> handlers_;
  PodWatchUsers users_;
  std::map<PodWatchKey, std::unique_ptr<Watch>> running_;
  std::set<PodWatchKey> over_cap_;
  Retired stopping_;  // asked to stop, thread not yet joined
};

}  // namespace secprov::controllers

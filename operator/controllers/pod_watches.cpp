#include "controllers/pod_watches.h"

#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "api/detail/syntax.h"

namespace secprov::controllers {
namespace {

using runtime::ObjectKey;
using runtime::ObjectPtr;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A label name or value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends.
bool is_label_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A label key: [DNS subdomain "/"] name.
bool is_label_key(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return is_label_name(key);
  const auto prefix = key.substr(0, slash);
  return prefix.size() <= 253 && api::detail::is_dns_subdomain(prefix) &&
         is_label_name(key.substr(slash + 1));
}

bool is_label_value(std::string_view value) {
  return value.empty() || is_label_name(value);
}

}  // namespace

std::string PodWatchKey::to_string() const {
  return ns + " \"" + selector + "\"";
}

std::optional<std::string> label_selector_query(const api::LabelSelector& selector) {
  if (selector.match_labels.empty()) return std::nullopt;
  std::string query;
  for (const auto& [key, value] : selector.match_labels) {  // std::map: in key order
    if (!is_label_key(key) || !is_label_value(value)) return std::nullopt;
    query += (query.empty() ? "" : ",") + key + "=" + value;
  }
  return query;
}

std::optional<PodWatchKey> pod_watch_of(const api::SecurityProfile& profile) {
  if (!api::enabler_sidecar(profile)) return std::nullopt;
  auto query = label_selector_query(profile.spec.selector);
  if (!query) return std::nullopt;
  return PodWatchKey{profile.metadata.namespace_, std::move(*query)};
}

bool PodWatchUsers::set(const ObjectKey& profile, std::optional<PodWatchKey> watch) {
  bool changed = false;
  const auto it = users_.find(profile);
  if (it != users_.end()) {
    if (watch && *watch == it->second) return false;
    const auto count = desired_.find(it->second);
    if (--count->second == 0) {
      desired_.erase(count);
      changed = true;
    }
    users_.erase(it);
  }
  if (watch) {
    auto& count = desired_[*watch];
    changed = changed || count == 0;
    ++count;
    users_.emplace(profile, std::move(*watch));
  }
  return changed;
}

PodWatchPlan plan_pod_watches(const std::set<PodWatchKey>& running,
                              const std::map<PodWatchKey, std::size_t>& desired, std::size_t cap) {
  PodWatchPlan plan;
  std::size_t kept = 0;
  for (const auto& key : running) {
    if (desired.contains(key)) {
      ++kept;
    } else {
      plan.stop.push_back(key);
    }
  }
  for (const auto& [key, users] : desired) {
    if (running.contains(key)) continue;
    if (kept + plan.start.size() < cap) {
      plan.start.push_back(key);
    } else {
      plan.over_cap.push_back(key);
    }
  }
  return plan;
}

struct PodWatches::Watch {
  PodWatchKey key;
  std::shared_ptr<runtime::Store> store;
  std::unique_ptr<runtime::Reflector> reflector;
  // False once retired: its late events no longer reach the shared store or the handlers.
  std::atomic<bool> active{true};
  std::atomic<bool> ended{false};
  std::jthread thread;  // last: joined before the reflector it runs is destroyed
};

PodWatches::PodWatches(ListerWatcherFactory make, std::shared_ptr<runtime::Store> pods,
                       PodWatchesOptions options, runtime::Transform transform)
    : make_(std::move(make)),
      pods_(std::move(pods)),
      options_(std::move(options)),
      transform_(std::move(transform)) {
  if (!make_ || !pods_) throw std::invalid_argument("PodWatches: null factory or store");
}

PodWatches::~PodWatches() {
  stop();
}

void PodWatches::add_handlers(runtime::EventHandlers handlers) {
  const std::lock_guard lock(mutex_);
  handlers_.push_back(std::move(handlers));
}

void PodWatches::set_profile(const ObjectKey& key,
                             const std::shared_ptr<const api::SecurityProfile>& profile) {
  Retired retired;
  {
    const std::lock_guard lock(mutex_);
    if (users_.set(key, profile ? pod_watch_of(*profile) : std::nullopt)) apply_locked(retired);
  }
  reap(std::move(retired));
}

runtime::EventHandlers PodWatches::profile_handlers(std::shared_ptr<const ProfileStore> profiles) {
  const auto seen = [this, profiles = std::move(profiles)](const ObjectPtr& object) {
    if (const auto key = runtime::try_key_of(*object)) set_profile(*key, profiles->get(*key));
  };
  return {seen, [seen](const ObjectPtr&, const ObjectPtr& object) { seen(object); },
          [this](const ObjectPtr& object) {
            if (const auto key = runtime::try_key_of(*object)) set_profile(*key, nullptr);
          }};
}

void PodWatches::start() {
  Retired retired;
  {
    const std::lock_guard lock(mutex_);
    started_ = true;
    apply_locked(retired);
  }
  reap(std::move(retired));
}

void PodWatches::stop() {
  Retired all;  // destroyed (joined) last, outside the lock
  {
    const std::lock_guard lock(mutex_);
    started_ = false;
    while (!running_.empty())
      retire_locked(std::move(running_.extract(running_.begin()).mapped()), all);
    over_cap_.clear();
    for (auto& watch : stopping_) all.push_back(std::move(watch));
    stopping_.clear();
    count_locked();
  }
  for (auto& watch : all) watch->thread.request_stop();
}

PodWatchState PodWatches::state(const PodWatchKey& key) const {
  const std::lock_guard lock(mutex_);
  if (const auto it = running_.find(key); it != running_.end()) {
    return it->second->reflector->has_synced() ? PodWatchState::Synced : PodWatchState::Pending;
  }
  return over_cap_.contains(key) ? PodWatchState::OverCap : PodWatchState::Pending;
}

std::size_t PodWatches::running() const {
  const std::lock_guard lock(mutex_);
  return running_.size();
}

void PodWatches::apply_locked(Retired& retired) {
  if (!started_) return;
  std::set<PodWatchKey> running;
  for (const auto& [key, watch] : running_) running.insert(key);
  auto plan = plan_pod_watches(running, users_.desired(), options_.max_watches);
  for (const auto& key : plan.stop) {
    spdlog::info("pod watch stopped: namespace {}", key.to_string());
    retire_locked(std::move(running_.extract(key).mapped()), retired);
  }
  for (const auto& key : plan.start) {
    spdlog::info("pod watch started: namespace {} ({} profiles)", key.to_string(),
                 users_.desired().at(key));
    running_.emplace(key, start_locked(key));
  }
  std::set<PodWatchKey> over_cap(plan.over_cap.begin(), plan.over_cap.end());
  if (!over_cap.empty() && over_cap != over_cap_) {
    spdlog::warn(
        "{} Pod watches are wanted beyond the limit of {} running at once (first: namespace {}); "
        "the Sidecar profiles using them report PodWatchLimitExceeded until others go",
        over_cap.size(), options_.max_watches, over_cap.begin()->to_string());
  }
  over_cap_ = std::move(over_cap);
  count_locked();
}

std::unique_ptr<PodWatches::Watch> PodWatches::start_locked(const PodWatchKey& key) {
  auto watch = std::make_unique<Watch>();
  watch->key = key;
  watch->store = std::make_shared<runtime::Store>();
  runtime::ReflectorOptions reflector_options;
  reflector_options.name = "pods";
  reflector_options.resync_period = options_.resync_period;
  reflector_options.registry = options_.registry;
  reflector_options.clock = options_.clock;
  watch->reflector =
      std::make_unique<runtime::Reflector>(make_(key), watch->store, reflector_options, transform_);
  Watch* const raw = watch.get();
  const auto upsert = [this, raw](const ObjectPtr& object) {
    const std::lock_guard lock(mutex_);
    if (!raw->active) return;
    pods_->upsert(object);
    count_locked();
  };
  watch->reflector->add_handlers(
      {upsert, [upsert](const ObjectPtr&, const ObjectPtr& object) { upsert(object); },
       [this, raw](const ObjectPtr& object) {
         const std::lock_guard lock(mutex_);
         if (!raw->active) return;
         if (const auto pod = runtime::try_key_of(*object)) forget_locked(*raw, *pod);
         count_locked();
       }});
  for (const auto& handlers : handlers_) {
    runtime::EventHandlers guarded;
    if (handlers.on_add) {
      guarded.on_add = [raw, f = handlers.on_add](const ObjectPtr& o) {
        if (raw->active) f(o);
      };
    }
    if (handlers.on_update) {
      guarded.on_update = [raw, f = handlers.on_update](const ObjectPtr& a, const ObjectPtr& b) {
        if (raw->active) f(a, b);
      };
    }
    if (handlers.on_delete) {
      guarded.on_delete = [raw, f = handlers.on_delete](const ObjectPtr& o) {
        if (raw->active) f(o);
      };
    }
    watch->reflector->add_handlers(std::move(guarded));
  }
  watch->thread = std::jthread([raw](std::stop_token stop) {
    raw->reflector->run(std::move(stop));
    raw->ended = true;
  });
  return watch;
}

void PodWatches::retire_locked(std::unique_ptr<Watch> watch, Retired& retired) {
  watch->active = false;
  for (const auto& pod : watch->store->keys()) forget_locked(*watch, pod);
  retired.push_back(std::move(watch));
}

void PodWatches::forget_locked(const Watch& from, const ObjectKey& pod) {
  for (auto it = running_.lower_bound(PodWatchKey{pod.ns, ""});
       it != running_.end() && it->first.ns == pod.ns; ++it) {
    if (it->second.get() == &from) continue;
    if (auto held = it->second->store->get(pod)) {
      pods_->upsert(std::move(held));
      return;
    }
  }
  pods_->erase(pod);
}

void PodWatches::count_locked() {
  if (options_.objects) options_.objects->Set(static_cast<double>(pods_->size()));
}

void PodWatches::reap(Retired retired) {
  // request_stop runs the reflector's stop callback (it cancels the watch stream): not under
  // mutex_, which that reflector's handlers take.
  for (auto& watch : retired) watch->thread.request_stop();
  Retired ended;  // destroyed (joined: they have returned) after the lock is released
  const std::lock_guard lock(mutex_);
  for (auto& watch : retired) stopping_.push_back(std::move(watch));
  const auto done = std::stable_partition(stopping_.begin(), stopping_.end(),
                                          [](const auto& watch) { return !watch->ended; });
  for (auto it = done; it != stopping_.end(); ++it) ended.push_back(std::move(*it));
  stopping_.erase(done, stopping_.end());
}

}  // namespace secprov::controllers

#include "runtime/reflector.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>

#include "kube/errors.h"
#include "runtime/clock.h"

namespace secprov::runtime {
namespace {

using std::chrono::milliseconds;

class ClientListerWatcher final : public ListerWatcher {
 public:
  ClientListerWatcher(std::shared_ptr<kube::Client> client, kube::ResourceType type, std::string ns,
                      std::string label_selector)
      : client_(std::move(client)),
        type_(std::move(type)),
        ns_(std::move(ns)),
        label_selector_(std::move(label_selector)) {
    if (!client_) throw std::invalid_argument("make_lister_watcher: null client");
  }

  kube::ObjectList list(const kube::ListOptions& options) override {
    kube::ListOptions scoped = options;
    scoped.label_selector = label_selector_;
    return client_->list_page(type_, ns_, scoped);
  }

  std::unique_ptr<kube::WatchStream> watch(const kube::WatchOptions& options) override {
    kube::WatchOptions scoped = options;
    scoped.label_selector = label_selector_;
    return client_->watch(type_, ns_, scoped);
  }

 private:
  const std::shared_ptr<kube::Client> client_;
  const kube::ResourceType type_;
  const std::string ns_;
  const std::string label_selector_;
};

template <typename F>
void call_handler(const std::string& reflector, const char* what, const F& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("reflector {}: {} handler threw: {}", reflector, what, e.what());
  } catch (...) {
    spdlog::error("reflector {}: {} handler threw a non-standard exception", reflector, what);
  }
}

// Clears the published stream pointer before the stream is destroyed.
class PublishedStream {
 public:
  PublishedStream(std::mutex& mutex, kube::WatchStream*& slot, kube::WatchStream* stream)
      : mutex_(mutex), slot_(slot) {
    const std::lock_guard lock(mutex_);
    slot_ = stream;
  }
  ~PublishedStream() {
    const std::lock_guard lock(mutex_);
    slot_ = nullptr;
  }
  PublishedStream(const PublishedStream&) = delete;
  PublishedStream& operator=(const PublishedStream&) = delete;

 private:
  std::mutex& mutex_;
  kube::WatchStream*& slot_;
};

}  // namespace

std::shared_ptr<ListerWatcher> make_lister_watcher(std::shared_ptr<kube::Client> client,
                                                   kube::ResourceType type, std::string ns,
                                                   std::string label_selector) {
  return std::make_shared<ClientListerWatcher>(std::move(client), std::move(type), std::move(ns),
                                               std::move(label_selector));
}

Reflector::Reflector(std::shared_ptr<ListerWatcher> lister_watcher, std::shared_ptr<Store> store,
                     ReflectorOptions options, Transform transform)
    : lister_watcher_(std::move(lister_watcher)),
      store_(std::move(store)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : system_clock()),
      transform_(std::move(transform)),
      backoff_(options_.backoff_initial),
      random_(std::random_device{}()) {
  if (!lister_watcher_) throw std::invalid_argument("Reflector: null lister_watcher");
  if (!store_) throw std::invalid_argument("Reflector: null store");
  if (options_.registry) {
    const prometheus::Labels labels{{"resource", options_.name}};
    relists_metric_ = &prometheus::BuildCounter()
                           .Name("reflector_relists_total")
                           .Help("Lists after the first one (410 Gone or failed watches)")
                           .Register(*options_.registry)
                           .Add(labels);
    watch_restarts_metric_ = &prometheus::BuildCounter()
                                  .Name("reflector_watch_restarts_total")
                                  .Help("Watch requests re-opened after a stream ended or failed")
                                  .Register(*options_.registry)
                                  .Add(labels);
  }
}

Reflector::~Reflector() = default;

void Reflector::add_handlers(EventHandlers handlers) {
  const std::lock_guard lock(handlers_mutex_);
  if (has_synced() && handlers.on_add) {
    // Key by key: a packed store expands one object at a time (store.h).
    for (const auto& key : store_->keys()) {
      if (const auto object = store_->get(key)) {
        call_handler(options_.name, "add", [&] { handlers.on_add(object); });
      }
    }
  }
  handlers_.push_back(std::move(handlers));
}

void Reflector::run(std::stop_token stop) {
  const std::stop_callback cancel_watch(stop, [this] {
    const std::lock_guard lock(stream_mutex_);
    if (current_stream_) current_stream_->cancel();
  });

  std::jthread resync;
  if (options_.resync_period > milliseconds::zero()) {
    resync = std::jthread([this](std::stop_token own) { resync_loop(std::move(own)); });
  }

  bool need_list = true;
  while (!stop.stop_requested()) {
    if (need_list) {
      if (!list_and_replace(stop)) {
        if (!backoff_sleep(stop)) break;
        continue;
      }
      need_list = false;
    }
    bool progressed = false;
    const WatchEnd end = watch_once(stop, progressed);
    if (end == WatchEnd::Stopped) break;
    if (end == WatchEnd::Relist) {
      need_list = true;
      // A relist right after a watch that made no progress backs off first, so a server
      // that keeps answering 410 does not make us list in a tight loop.
      if (!progressed && !backoff_sleep(stop)) break;
      continue;
    }
    ++watch_restarts_;
    if (watch_restarts_metric_) watch_restarts_metric_->Increment();
    if (end == WatchEnd::Failed && !backoff_sleep(stop)) break;
  }
  spdlog::debug("reflector {}: stopped", options_.name);
}

std::optional<Json> Reflector::transformed(Json object) const {
  if (!transform_) return object;
  const auto key = try_key_of(object);
  try {
    return transform_(std::move(object));
  } catch (const std::exception& e) {
    spdlog::error("reflector {}: transform failed for {}, object skipped: {}", options_.name,
                  key ? key->to_string() : "<unnamed>", e.what());
  } catch (...) {
    spdlog::error("reflector {}: transform failed for {}, object skipped", options_.name,
                  key ? key->to_string() : "<unnamed>");
  }
  return std::nullopt;
}

std::optional<kube::ObjectList> Reflector::list_all(std::stop_token stop) {
  kube::ObjectList result;
  kube::ListOptions options;
  if (options_.page_size > 0) options.limit = options_.page_size;
  for (;;) {
    if (stop.stop_requested()) return std::nullopt;
    kube::ObjectList page;
    try {
      page = lister_watcher_->list(options);
    } catch (const kube::ApiError& e) {
      if (kube::is_gone(e) && !options.continue_token.empty()) {
        // The continue token expired between pages: fall back to one unpaged list.
        spdlog::info("reflector {}: list continue token expired, listing unpaged", options_.name);
        options.limit.reset();
        options.continue_token.clear();
        result.items.clear();
        continue;
      }
      throw;
    }
    for (auto& item : page.items) {
      // Transform page by page, so untransformed objects (e.g. Secret data) never pile up.
      if (auto object = transformed(std::move(item))) result.items.push_back(std::move(*object));
    }
    if (page.continue_token.empty()) {
      result.resource_version = std::move(page.resource_version);
      return result;
    }
    options.continue_token = std::move(page.continue_token);
  }
}

bool Reflector::list_and_replace(std::stop_token stop) {
  std::optional<kube::ObjectList> listed;
  try {
    listed = list_all(stop);
  } catch (const kube::ApiError& e) {
    warn_limited("reflector " + options_.name + ": list failed (" +
                 std::string(kube::to_string(e.kind())) + "): " + e.what());
    return false;
  } catch (const std::exception& e) {
    warn_limited("reflector " + options_.name + ": list failed: " + e.what());
    return false;
  }
  if (!listed) return false;

  if (lists_.fetch_add(1) > 0 && relists_metric_) relists_metric_->Increment();
  const std::lock_guard lock(handlers_mutex_);
  const std::size_t count = listed->items.size();
  const StoreDelta delta =
      store_->replace(std::move(listed->items), std::move(listed->resource_version));
  synced_.store(true, std::memory_order_release);
  spdlog::debug("reflector {}: listed {} objects at resourceVersion {} (+{} ~{} -{})",
                options_.name, count, store_->resource_version(), delta.added.size(),
                delta.updated.size(), delta.deleted.size());
  for (const auto& object : delta.added) dispatch_add_locked(object);
  for (const auto& [old_object, new_object] : delta.updated) {
    dispatch_update_locked(old_object, new_object);
  }
  for (const auto& object : delta.deleted) dispatch_delete_locked(object);
  return true;
}

Reflector::WatchEnd Reflector::watch_once(std::stop_token stop, bool& progressed) {
  kube::WatchOptions options;
  options.resource_version = store_->resource_version();
  options.allow_bookmarks = true;
  options.timeout = options_.watch_timeout;
  const auto started = clock_->now();

  std::unique_ptr<kube::WatchStream> stream;
  try {
    stream = lister_watcher_->watch(options);
  } catch (const kube::ApiError& e) {
    if (stop.stop_requested()) return WatchEnd::Stopped;
    if (kube::is_gone(e)) {
      spdlog::info("reflector {}: resourceVersion {} is too old, relisting", options_.name,
                   options.resource_version);
      return WatchEnd::Relist;
    }
    warn_limited("reflector " + options_.name + ": watch failed (" +
                 std::string(kube::to_string(e.kind())) + "): " + e.what());
    return WatchEnd::Failed;
  } catch (const std::exception& e) {
    if (stop.stop_requested()) return WatchEnd::Stopped;
    warn_limited("reflector " + options_.name + ": watch failed: " + e.what());
    return WatchEnd::Failed;
  }
  if (!stream) return WatchEnd::Failed;

  const PublishedStream published(stream_mutex_, current_stream_, stream.get());
  // The stop callback may have run before the stream was published.
  if (stop.stop_requested()) stream->cancel();

  std::size_t events = 0;
  WatchEnd end = WatchEnd::Rewatch;
  try {
    while (auto event = stream->next()) {
      ++events;
      apply_event(*event);
    }
    if (stop.stop_requested()) return WatchEnd::Stopped;
    if (events == 0 && clock_->now() - started < options_.min_watch_duration) {
      warn_limited("reflector " + options_.name + ": watch ended at once without events");
      end = WatchEnd::Failed;
    } else {
      spdlog::debug("reflector {}: watch ended after {} events, resuming from {}", options_.name,
                    events, store_->resource_version());
    }
  } catch (const kube::ApiError& e) {
    if (stop.stop_requested()) return WatchEnd::Stopped;
    if (kube::is_gone(e)) {
      spdlog::info("reflector {}: watch expired (410), relisting", options_.name);
      end = WatchEnd::Relist;
    } else {
      warn_limited("reflector " + options_.name + ": watch stream failed (" +
                   std::string(kube::to_string(e.kind())) + "), re-watching from " +
                   store_->resource_version() + ": " + e.what());
      end = WatchEnd::Failed;
    }
  } catch (const std::exception& e) {
    if (stop.stop_requested()) return WatchEnd::Stopped;
    warn_limited("reflector " + options_.name + ": watch stream failed: " + e.what());
    end = WatchEnd::Failed;
  }
  progressed = events > 0;
  if (progressed || clock_->now() - started >= options_.min_watch_duration) reset_backoff();
  return end;
}

void Reflector::apply_event(kube::WatchEvent& event) {
  const std::string rv = event.resource_version();
  if (event.type != kube::WatchEventType::Bookmark) {
    // The key comes from the event, so a transform that throws cannot leave a deleted
    // object behind in the store.
    const auto key = try_key_of(event.object);
    if (!key) {
      spdlog::warn("reflector {}: watch event for an object without name ignored", options_.name);
    } else if (event.type == kube::WatchEventType::Deleted) {
      auto object = transformed(std::move(event.object));
      const std::lock_guard lock(handlers_mutex_);
      const auto old = store_->erase(*key);
      const ObjectPtr gone = object ? std::make_shared<const Json>(std::move(*object)) : old;
      if (gone) dispatch_delete_locked(gone);
    } else if (auto object = transformed(std::move(event.object))) {
      const auto ptr = std::make_shared<const Json>(std::move(*object));
      const std::lock_guard lock(handlers_mutex_);
      if (const auto old = store_->upsert(ptr)) {
        dispatch_update_locked(old, ptr);
      } else {
        dispatch_add_locked(ptr);
      }
    }
  }
  if (!rv.empty()) store_->set_resource_version(rv);
}

void Reflector::resync_loop(std::stop_token stop) {
  while (clock_->sleep_for(stop, options_.resync_period)) {
    if (!has_synced()) continue;
    const std::lock_guard lock(handlers_mutex_);
    for (const auto& key : store_->keys()) {
      if (stop.stop_requested()) return;
      if (const auto object = store_->get(key)) dispatch_update_locked(object, object);
    }
  }
}

void Reflector::dispatch_add_locked(const ObjectPtr& object) {
  for (const auto& h : handlers_) {
    if (h.on_add) call_handler(options_.name, "add", [&] { h.on_add(object); });
  }
}

void Reflector::dispatch_update_locked(const ObjectPtr& old_object, const ObjectPtr& new_object) {
  for (const auto& h : handlers_) {
    if (h.on_update) {
      call_handler(options_.name, "update", [&] { h.on_update(old_object, new_object); });
    }
  }
}

void Reflector::dispatch_delete_locked(const ObjectPtr& object) {
  for (const auto& h : handlers_) {
    if (h.on_delete) call_handler(options_.name, "delete", [&] { h.on_delete(object); });
  }
}

bool Reflector::backoff_sleep(std::stop_token stop) {
  const auto base = backoff_;
  std::uniform_real_distribution<double> jitter(0.0, 0.5);
  const auto delay = std::min<milliseconds>(
      options_.backoff_max, base + milliseconds(static_cast<milliseconds::rep>(
                                       static_cast<double>(base.count()) * jitter(random_))));
  backoff_ = std::min<milliseconds>(options_.backoff_max, base * 2);
  return clock_->sleep_for(stop, delay);
}

void Reflector::warn_limited(const std::string& message) {
  const auto now = clock_->now();
  const bool first = last_warning_ == Clock::time_point{};
  if (first || now - last_warning_ >= options_.backoff_max) {
    if (suppressed_warnings_ > 0) {
      spdlog::warn("{} ({} similar messages since the last warning)", message,
                   suppressed_warnings_);
    } else {
      spdlog::warn("{}", message);
    }
    last_warning_ = now;
    suppressed_warnings_ = 0;
  } else {
    spdlog::debug("{}", message);
    ++suppressed_warnings_;
  }
}

}  // namespace secprov::runtime

#include "runtime/controller.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "runtime/clock.h"

namespace secprov::runtime {
namespace {

// controller-runtime's reconcile time buckets.
prometheus::Histogram::BucketBoundaries reconcile_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3,  0.35, 0.4,  0.45, 0.5, 0.6,
          0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5,  3.0,  3.5,  4.0,  4.5, 5.0,
          6.0,   7.0,  8.0,   9.0,  10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0};
}

void increment(prometheus::Counter* counter) {
  if (counter) counter->Increment();
}

}  // namespace

Controller::Controller(std::string name, Reconciler& reconciler, ControllerOptions options,
                       std::shared_ptr<prometheus::Registry> registry)
    : name_(std::move(name)),
      reconciler_(reconciler),
      options_(options),
      clock_(options_.clock ? options_.clock : system_clock()),
      registry_(std::move(registry)),
      queue_(WorkQueueOptions{name_, options_.rate_limiter, registry_, clock_}) {
  if (!registry_) return;
  auto& total = prometheus::BuildCounter()
                    .Name("controller_runtime_reconcile_total")
                    .Help("Total number of reconciliations per controller")
                    .Register(*registry_);
  success_ = &total.Add({{"controller", name_}, {"result", "success"}});
  error_ = &total.Add({{"controller", name_}, {"result", "error"}});
  terminal_error_ = &total.Add({{"controller", name_}, {"result", "terminal_error"}});
  requeue_ = &total.Add({{"controller", name_}, {"result", "requeue"}});
  requeue_after_ = &total.Add({{"controller", name_}, {"result", "requeue_after"}});
  errors_ = &prometheus::BuildCounter()
                 .Name("controller_runtime_reconcile_errors_total")
                 .Help("Total number of reconciliation errors per controller")
                 .Register(*registry_)
                 .Add({{"controller", name_}});
  terminal_errors_ = &prometheus::BuildCounter()
                          .Name("controller_runtime_terminal_reconcile_errors_total")
                          .Help("Total number of terminal reconciliation errors per controller")
                          .Register(*registry_)
                          .Add({{"controller", name_}});
  reconcile_time_ = &prometheus::BuildHistogram()
                         .Name("controller_runtime_reconcile_time_seconds")
                         .Help("Length of time per reconciliation per controller")
                         .Register(*registry_)
                         .Add({{"controller", name_}}, reconcile_buckets());
  auto& skipped = prometheus::BuildCounter()
                      .Name("secprov_watch_events_skipped_total")
                      .Help(
                          "Watch events that did not enqueue: an update that changed nothing "
                          "the reconciler reads, or the echo of the controller's own write")
                      .Register(*registry_);
  skipped_unchanged_ = &skipped.Add({{"controller", name_}, {"reason", "unchanged"}});
  skipped_own_write_ = &skipped.Add({{"controller", name_}, {"reason", "own_write"}});
  active_workers_metric_ = &prometheus::BuildGauge()
                                .Name("controller_runtime_active_workers")
                                .Help("Number of currently used workers per controller")
                                .Register(*registry_)
                                .Add({{"controller", name_}});
}

Controller::~Controller() {
  queue_.shut_down();
}

void Controller::enqueue(const ObjectKey& key) {
  queue_.add(key);
}

void Controller::enqueue_after(const ObjectKey& key, std::chrono::milliseconds delay) {
  queue_.add_after(key, delay);
}

void Controller::enqueue_batched(const ObjectKey& key, std::chrono::milliseconds batch_window) {
  queue_.add_after(key, paced_window(key, batch_window));
}

bool Controller::passes(const UpdateFilter& filter, const ObjectPtr& old_object,
                        const ObjectPtr& new_object) {
  if (!filter || !old_object || !new_object || filter(*old_object, *new_object)) return true;
  increment(skipped_unchanged_);
  return false;
}

EventHandlers Controller::handler_for_primary(UpdateFilter filter) {
  const auto enqueue_object = [this](const ObjectPtr& object) {
    if (!object) return;
    if (auto key = try_key_of(*object)) queue_.add(*key);
  };
  return EventHandlers{
      .on_add = enqueue_object,
      .on_update =
          [this, enqueue_object, filter = std::move(filter)](const ObjectPtr& old_object,
                                                             const ObjectPtr& new_object) {
            if (passes(filter, old_object, new_object)) enqueue_object(new_object);
          },
      .on_delete = enqueue_object,
  };
}

EventHandlers Controller::handler_for_mapped(MapFn map, UpdateFilter filter,
                                             std::chrono::milliseconds batch_window) {
  if (batch_window > std::chrono::milliseconds::zero()) paced_ = true;
  const auto enqueue_mapped = [this, map = std::move(map), batch_window](const ObjectPtr& object) {
    if (!object) return;
    for (const auto& key : map(*object)) {
      if (batch_window > std::chrono::milliseconds::zero()) {
        enqueue_batched(key, batch_window);
      } else {
        queue_.add(key);
      }
    }
  };
  return EventHandlers{
      .on_add = enqueue_mapped,
      .on_update =
          [this, enqueue_mapped, filter = std::move(filter)](const ObjectPtr& old_object,
                                                             const ObjectPtr& new_object) {
            if (!passes(filter, old_object, new_object)) return;
            enqueue_mapped(old_object);
            if (new_object != old_object) enqueue_mapped(new_object);
          },
      .on_delete = enqueue_mapped,
  };
}

EventHandlers Controller::handler_for_owned(std::string owner_api_version, std::string owner_kind,
                                            std::shared_ptr<OwnWrites> own_writes) {
  const auto enqueue_owners = [this, api_version = std::move(owner_api_version),
                               kind = std::move(owner_kind)](const ObjectPtr& object) {
    if (!object) return;
    for (const auto& key : controller_owner_keys(*object, api_version, kind)) queue_.add(key);
  };
  // The echo of our own write: the pass that made it knew the result already. An event that
  // comes while a write of its object is in flight waits for that write's answer.
  const auto unless_own_echo = [this, own_writes](const ObjectPtr& object,
                                                  std::function<void()> enqueue) {
    if (!own_writes || !object) return enqueue();
    own_writes->on_event(
        *object, [this] { increment(skipped_own_write_); }, std::move(enqueue));
  };
  return EventHandlers{
      .on_add =
          [enqueue_owners, unless_own_echo](const ObjectPtr& object) {
            unless_own_echo(object, [enqueue_owners, object] { enqueue_owners(object); });
          },
      .on_update =
          [enqueue_owners, unless_own_echo](const ObjectPtr& old_object,
                                            const ObjectPtr& new_object) {
            // Both: the owner may have changed, and the old one must notice it lost the object.
            unless_own_echo(new_object, [enqueue_owners, old_object, new_object] {
              enqueue_owners(old_object);
              enqueue_owners(new_object);
            });
          },
      .on_delete =
          [enqueue_owners, own_writes](const ObjectPtr& object) {
            if (own_writes && object) own_writes->forget(*object);
            enqueue_owners(object);
          },
  };
}

void Controller::run(std::stop_token stop, std::vector<std::function<bool()>> wait_for) {
  const auto synced = [&wait_for] {
    return std::all_of(wait_for.begin(), wait_for.end(), [](const auto& f) { return !f || f(); });
  };
  spdlog::info("controller {}: waiting for caches to sync", name_);
  while (!synced()) {
    if (!clock_->sleep_for(stop, options_.sync_poll)) break;
  }
  if (stop.stop_requested()) {
    queue_.shut_down();
    spdlog::info("controller {}: stopped before caches synced", name_);
    return;
  }

  const int count = std::max(1, options_.workers);
  spdlog::info("controller {}: caches synced, starting {} workers", name_, count);
  std::vector<std::jthread> workers;
  workers.reserve(static_cast<std::size_t>(count));
  try {
    for (int i = 0; i < count; ++i) workers.emplace_back([this] { worker(); });
  } catch (...) {
    queue_.shut_down();  // lets the started workers return so the jthreads can join
    throw;
  }

  {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait(lock, stop, [] { return false; });
  }
  spdlog::info("controller {}: stopping, waiting for {} in-flight reconciles", name_,
               queue_.in_flight());
  queue_.shut_down_with_drain();
  workers.clear();  // joins
  spdlog::info("controller {}: stopped", name_);
}

void Controller::worker() {
  while (const auto key = queue_.get()) {
    process(*key);
    queue_.done(*key);
  }
}

std::chrono::nanoseconds Controller::paced_window(const ObjectKey& key,
                                                  std::chrono::milliseconds window) const {
  const std::lock_guard lock(pass_times_mutex_);
  const auto found = pass_times_.find(key);
  if (found == pass_times_.end()) return window;
  const auto paced =
      std::min<std::chrono::nanoseconds>(kBatchPacing * found->second, kMaxBatchWindow);
  return std::max<std::chrono::nanoseconds>(window, paced);
}

void Controller::process(const ObjectKey& key) {
  active_workers_.fetch_add(1);
  if (active_workers_metric_) active_workers_metric_->Increment();
  const auto started = clock_->now();

  ReconcileResult result;
  std::optional<std::string> error;
  std::optional<TerminalError> terminal;
  try {
    result = reconciler_.reconcile(key);
  } catch (const TerminalError& e) {
    terminal = e;
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }

  const auto took = clock_->now() - started;
  if (reconcile_time_) reconcile_time_->Observe(std::chrono::duration<double>(took).count());
  if (paced_) {
    const std::lock_guard lock(pass_times_mutex_);
    pass_times_[key] = std::chrono::duration_cast<std::chrono::nanoseconds>(took);
  }
  if (active_workers_metric_) active_workers_metric_->Decrement();
  active_workers_.fetch_sub(1);
  passes_.fetch_add(1, std::memory_order_relaxed);

  if (terminal) {
    // Retrying cannot help: no requeue, and no backoff carried into the next change.
    increment(terminal_error_);
    increment(terminal_errors_);
    increment(errors_);
    queue_.forget(key);
    spdlog::warn("controller {}: reconcile {} failed terminally ({}), not retrying: {}", name_,
                 key.to_string(), terminal->reason(), terminal->what());
  } else if (error) {
    increment(error_);
    increment(errors_);
    queue_.add_rate_limited(key);
    spdlog::error("controller {}: reconcile {} failed (attempt {}), will retry: {}", name_,
                  key.to_string(), queue_.num_requeues(key), *error);
  } else if (result.requeue_after) {
    increment(requeue_after_);
    queue_.forget(key);
    queue_.add_after(key, *result.requeue_after);
  } else if (result.requeue) {
    increment(requeue_);
    queue_.add_rate_limited(key);
  } else {
    increment(success_);
    queue_.forget(key);
  }
}

}  // namespace secprov::runtime

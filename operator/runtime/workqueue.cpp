#include "runtime/workqueue.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <utility>

namespace secprov::runtime {
namespace {

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// client-go's workqueue buckets: 10ns .. 10s, x10.
prometheus::Histogram::BucketBoundaries duration_buckets() {
  return {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};
}

}  // namespace

WorkQueue::WorkQueue(WorkQueueOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : system_clock()),
      rate_limiter_(options_.rate_limiter) {
  if (!options_.registry) return;
  auto& registry = *options_.registry;
  const prometheus::Labels labels{{"name", options_.name}};
  depth_ = &prometheus::BuildGauge()
                .Name("workqueue_depth")
                .Help("Current depth of workqueue")
                .Register(registry)
                .Add(labels);
  adds_ = &prometheus::BuildCounter()
               .Name("workqueue_adds_total")
               .Help("Total number of adds handled by workqueue")
               .Register(registry)
               .Add(labels);
  retries_ = &prometheus::BuildCounter()
                  .Name("workqueue_retries_total")
                  .Help("Total number of retries handled by workqueue")
                  .Register(registry)
                  .Add(labels);
  queue_duration_ =
      &prometheus::BuildHistogram()
           .Name("workqueue_queue_duration_seconds")
           .Help("How long in seconds an item stays in workqueue before being requested")
           .Register(registry)
           .Add(labels, duration_buckets());
  work_duration_ = &prometheus::BuildHistogram()
                        .Name("workqueue_work_duration_seconds")
                        .Help("How long in seconds processing an item from workqueue takes")
                        .Register(registry)
                        .Add(labels, duration_buckets());
}

WorkQueue::~WorkQueue() {
  shut_down();
}

void WorkQueue::update_depth_locked() {
  if (depth_) depth_->Set(static_cast<double>(queue_.size()));
}

void WorkQueue::add_locked(const ObjectKey& key, Clock::time_point now) {
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  if (adds_) adds_->Increment();
  // Being processed: done() queues it again, so two workers never hold the same key.
  if (processing_.contains(key)) return;
  queue_.push_back(key);
  queued_at_.insert_or_assign(key, now);
  update_depth_locked();
  ready_cv_.notify_one();
}

void WorkQueue::promote_due_locked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.top().ready_at <= now) {
    const Waiting due = delayed_.top();
    delayed_.pop();
    auto& [key, delay] = *due.delay;
    --delay.entries;
    if (delay.armed && delay.ready_at == due.ready_at) {  // else a stale entry
      delay.armed = false;
      add_locked(key, now);
    }
    if (delay.entries == 0 && !delay.armed) delayed_at_.erase(delayed_at_.find(key));
  }
}

void WorkQueue::add(const ObjectKey& key) {
  const std::lock_guard lock(mutex_);
  const auto now = clock_->now();
  promote_due_locked(now);
  add_locked(key, now);
}

void WorkQueue::add_after(const ObjectKey& key, std::chrono::nanoseconds delay) {
  const std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  const auto now = clock_->now();
  promote_due_locked(now);
  if (delay <= std::chrono::nanoseconds::zero()) {
    add_locked(key, now);
    return;
  }
  const auto ready_at = Clock::after(now, delay);
  auto& node = *delayed_at_.try_emplace(key).first;
  Delay& waiting = node.second;
  if (waiting.armed && waiting.ready_at <= ready_at) return;  // already due sooner
  waiting.ready_at = ready_at;
  waiting.armed = true;
  ++waiting.entries;
  delayed_.push(Waiting{ready_at, sequence_++, &node});
  // A blocked get() may now have an earlier deadline to wait for.
  ready_cv_.notify_all();
}

void WorkQueue::add_rate_limited(const ObjectKey& key) {
  {
    const std::lock_guard lock(mutex_);
    if (shutting_down_) return;
    if (retries_) retries_->Increment();
  }
  add_after(key, rate_limiter_.when(key, clock_->now()));
}

void WorkQueue::forget(const ObjectKey& key) {
  rate_limiter_.forget(key);
}

int WorkQueue::num_requeues(const ObjectKey& key) const {
  return rate_limiter_.num_requeues(key);
}

bool WorkQueue::ready_before_locked(Clock::time_point deadline) const {
  // A key queued, shutdown, or a delayed key added with an earlier due time.
  return shutting_down_ || !queue_.empty() ||
         (!delayed_.empty() && delayed_.top().ready_at < deadline);
}

std::optional<ObjectKey> WorkQueue::get() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto now = clock_->now();
    promote_due_locked(now);
    if (shutting_down_) return std::nullopt;
    if (!queue_.empty()) break;
    const auto deadline = delayed_.empty() ? Clock::time_point::max() : delayed_.top().ready_at;
    clock_->wait_until(lock, ready_cv_, std::stop_token{}, deadline,
                       [&] { return ready_before_locked(deadline); });
  }
  ObjectKey key = std::move(queue_.front());
  queue_.pop_front();
  update_depth_locked();
  dirty_.erase(key);
  processing_.insert(key);
  const auto now = clock_->now();
  if (const auto it = queued_at_.find(key); it != queued_at_.end()) {
    if (queue_duration_) queue_duration_->Observe(seconds_between(it->second, now));
    queued_at_.erase(it);
  }
  started_at_.insert_or_assign(key, now);
  return key;
}

void WorkQueue::done(const ObjectKey& key) {
  const std::lock_guard lock(mutex_);
  const auto now = clock_->now();
  if (processing_.erase(key) == 0) return;
  if (const auto it = started_at_.find(key); it != started_at_.end()) {
    if (work_duration_) work_duration_->Observe(seconds_between(it->second, now));
    started_at_.erase(it);
  }
  if (!shutting_down_ && dirty_.contains(key)) {
    queue_.push_back(key);
    queued_at_.insert_or_assign(key, now);
    update_depth_locked();
    ready_cv_.notify_one();
  }
  if (processing_.empty()) drained_cv_.notify_all();
}

void WorkQueue::shut_down() {
  const std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  shutting_down_ = true;
  queue_.clear();
  dirty_.clear();
  queued_at_.clear();
  delayed_ = {};
  delayed_at_.clear();
  update_depth_locked();
  ready_cv_.notify_all();
}

void WorkQueue::shut_down_with_drain() {
  shut_down();
  std::unique_lock lock(mutex_);
  drained_cv_.wait(lock, [this] { return processing_.empty(); });
}

bool WorkQueue::shutting_down() const {
  const std::lock_guard lock(mutex_);
  return shutting_down_;
}

std::size_t WorkQueue::len() const {
  const std::lock_guard lock(mutex_);
  const auto now = clock_->now();
  std::size_t due = 0;
  for (const auto& [key, delay] : delayed_at_) {
    if (delay.armed && delay.ready_at <= now && !dirty_.contains(key) &&
        !processing_.contains(key)) {
      ++due;
    }
  }
  return queue_.size() + due;
}

std::size_t WorkQueue::waiting() const {
  const std::lock_guard lock(mutex_);
  const auto now = clock_->now();
  std::size_t pending = 0;
  for (const auto& [key, delay] : delayed_at_) {
    if (delay.armed && delay.ready_at > now) ++pending;
  }
  return pending;
}

std::size_t WorkQueue::in_flight() const {
  const std::lock_guard lock(mutex_);
  return processing_.size();
}

}  // namespace secprov::runtime

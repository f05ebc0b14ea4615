#include "runtime/events.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <iterator>
#include <utility>

#include "crypto/encoding.h"
#include "kube/errors.h"
#include "kube/resource.h"

namespace secprov::runtime {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxMessageBytes = 1024;

std::string string_at(const Json& object, const char* field) {
  if (!object.is_object()) return {};
  const auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// Identifies the involved object: uid, or kind/namespace/name when the uid is unknown.
std::string object_key(const ObjectReference& ref) {
  if (!ref.uid.empty()) return ref.uid;
  return ref.kind + "/" + ref.ns + "/" + ref.name;
}

// Where an Event about `object` goes: its namespace, "default" for a cluster-scoped object.
std::string event_namespace(const ObjectReference& object) {
  return object.ns.empty() ? std::string("default") : object.ns;
}

// An Event's name: the object's name + "." + the suffix in lowercase hex.
std::string event_name(const ObjectReference& object, std::uint64_t suffix) {
  std::array<char, 16> digits{};  // 64 bits: at most 16 hex digits
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), suffix, 16).ptr;
  return object.name + "." + std::string(digits.data(), end);
}

std::string truncate_utf8(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

}  // namespace

std::string_view to_string(EventType type) {
  return type == EventType::Warning ? "Warning" : "Normal";
}

ObjectReference ObjectReference::from(const Json& object, std::string_view fallback_api_version,
                                      std::string_view fallback_kind) {
  ObjectReference ref;
  ref.api_version = string_at(object, "apiVersion");
  ref.kind = string_at(object, "kind");
  if (ref.api_version.empty()) ref.api_version = fallback_api_version;
  if (ref.kind.empty()) ref.kind = fallback_kind;
  if (object.is_object()) {
    if (const auto meta = object.find("metadata"); meta != object.end()) {
      ref.ns = string_at(*meta, "namespace");
      ref.name = string_at(*meta, "name");
      ref.uid = string_at(*meta, "uid");
      ref.resource_version = string_at(*meta, "resourceVersion");
    }
  }
  return ref;
}

Json ObjectReference::to_json() const {
  Json out = Json::object();
  if (!api_version.empty()) out["apiVersion"] = api_version;
  if (!kind.empty()) out["kind"] = kind;
  if (!ns.empty()) out["namespace"] = ns;
  out["name"] = name;
  if (!uid.empty()) out["uid"] = uid;
  if (!resource_version.empty()) out["resourceVersion"] = resource_version;
  return out;
}

EventRecorder::Key EventRecorder::key_of(std::string_view text) {
  const auto digest = crypto::sha256(text);
  Key key{};
  std::copy_n(digest.begin(), key.size(), key.begin());
  return key;
}

template <typename V>
V* EventRecorder::Lru<V>::find(const Key& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, *it);
  return &(*it)->second;
}

template <typename V>
V& EventRecorder::Lru<V>::put(const Key& key, V value) {
  if (V* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  order_.emplace_front(key, std::move(value));
  index_.insert(order_.begin());
  if (order_.size() > capacity_) {
    index_.erase(std::prev(order_.end()));  // first: it is hashed by the node's key
    order_.pop_back();
  }
  return order_.front().second;
}

template <typename V>
void EventRecorder::Lru<V>::erase(const Key& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return;
  const Position at = *it;
  index_.erase(it);  // first: it is hashed by the node's key
  order_.erase(at);
}

EventRecorder::EventRecorder(std::shared_ptr<kube::Client> client, EventRecorderOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : system_clock()),
      recent_(options_.cache_size),
      buckets_(options_.cache_size),
      worker_([this](std::stop_token stop) { loop(std::move(stop)); }) {}

EventRecorder::~EventRecorder() {
  worker_.request_stop();
  if (worker_.joinable()) worker_.join();
  const std::lock_guard lock(mutex_);
  if (!queue_.empty()) {
    spdlog::debug("event recorder: {} events not posted at shutdown", queue_.size());
  }
}

void EventRecorder::record(const Json& object, EventType type, std::string reason,
                           std::string message) noexcept {
  try {
    record(ObjectReference::from(object), type, std::move(reason), std::move(message));
  } catch (...) {
    count_dropped();
  }
}

void EventRecorder::record(const ObjectReference& object, EventType type, std::string reason,
                           std::string message) noexcept {
  try {
    if (object.name.empty()) {
      count_dropped();
      spdlog::debug("event recorder: {} event for an object without name dropped", reason);
      return;
    }
    Pending event{object,
                  type,
                  std::move(reason),
                  truncate_utf8(std::move(message), kMaxMessageBytes),
                  clock_->now(),
                  clock_->wall_now()};
    {
      const std::lock_guard lock(mutex_);
      if (queue_.size() >= options_.queue_capacity || worker_.get_stop_token().stop_requested()) {
        ++dropped_;
        spdlog::debug("event recorder: queue full, dropped {} event for {}/{}", event.reason,
                      event.object.ns, event.object.name);
        return;
      }
      queue_.push_back(std::move(event));
    }
    queue_cv_.notify_one();
  } catch (const std::exception& e) {
    count_dropped();
    try {
      spdlog::warn("event recorder: cannot queue event: {}", e.what());
    } catch (...) {
    }
  } catch (...) {
    count_dropped();
  }
}

void EventRecorder::count_dropped() {
  const std::lock_guard lock(mutex_);
  ++dropped_;
}

std::uint64_t EventRecorder::dropped() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
}

void EventRecorder::flush() {
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [this] {
    return (queue_.empty() && !busy_) || worker_.get_stop_token().stop_requested();
  });
}

void EventRecorder::loop(std::stop_token stop) {
  for (;;) {
    Pending event;
    {
      std::unique_lock lock(mutex_);
      queue_cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (stop.stop_requested()) break;
      event = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    try {
      post(event);
    } catch (const std::exception& e) {
      count_dropped();
      spdlog::warn("event recorder: cannot post {} event for {}/{}: {}", event.reason,
                   event.object.ns, event.object.name, e.what());
    } catch (...) {
      count_dropped();
    }
    {
      const std::lock_guard lock(mutex_);
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
  {
    const std::lock_guard lock(mutex_);
    busy_ = false;
  }
  idle_cv_.notify_all();
}

bool EventRecorder::allow(const Key& key, Clock::time_point now) {
  if (options_.per_object_qps <= 0) return true;
  const double burst = static_cast<double>(std::max(options_.per_object_burst, 1));
  Bucket* bucket = buckets_.find(key);
  if (!bucket) bucket = &buckets_.put(key, Bucket{burst, now});
  const double elapsed = std::chrono::duration<double>(now - bucket->last).count();
  if (elapsed > 0) {
    bucket->tokens = std::min(burst, bucket->tokens + elapsed * options_.per_object_qps);
    bucket->last = now;
  }
  if (bucket->tokens < 1.0) return false;
  bucket->tokens -= 1.0;
  return true;
}

void EventRecorder::post(const Pending& event) {
  const std::string involved = object_key(event.object);
  if (!allow(key_of(involved), event.at)) {
    count_dropped();
    spdlog::debug("event recorder: rate limit dropped {} event for {}/{}", event.reason,
                  event.object.ns, event.object.name);
    return;
  }
  const Key aggregate_key = key_of(involved + '\x1f' + std::string(to_string(event.type)) + '\x1f' +
                                   event.reason + '\x1f' + event.message);
  Recent* recent = recent_.find(aggregate_key);
  if (!recent || event.at - recent->last_seen > options_.aggregation_window) {
    create(event, aggregate_key);
    return;
  }
  const Json patch{{"count", recent->count + 1}, {"lastTimestamp", format_time(event.wall_at)}};
  try {
    // The Event create() posted: the same object (part of the key), so the same name.
    client_->merge_patch(kube::resources::events(), event_namespace(event.object),
                         event_name(event.object, recent->suffix), patch,
                         /*subresource=*/{}, kube::Answer::Metadata);
    recent->count += 1;
    recent->last_seen = event.at;
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e)) throw;
    // Deleted meanwhile (events expire after an hour by default): start a new one.
    recent_.erase(aggregate_key);
    create(event, aggregate_key);
  }
}

void EventRecorder::create(const Pending& event, const Key& aggregate_key) {
  const std::string ns = event_namespace(event.object);
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(event.wall_at.time_since_epoch())
          .count();
  const std::uint64_t suffix = static_cast<std::uint64_t>(nanos) + sequence_++;
  const std::string name = event_name(event.object, suffix);
  const std::string timestamp = format_time(event.wall_at);
  const Json body{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"involvedObject", event.object.to_json()},
      {"type", to_string(event.type)},
      {"reason", event.reason},
      {"message", event.message},
      {"source", {{"component", options_.component}, {"host", options_.host}}},
      {"reportingComponent", options_.component},
      {"reportingInstance", options_.host},
      {"firstTimestamp", timestamp},
      {"lastTimestamp", timestamp},
      {"count", 1},
  };
  client_->create(kube::resources::events(), ns, body, kube::Answer::Metadata);
  recent_.put(aggregate_key, Recent{suffix, 1, event.at});
}

}  // namespace secprov::runtime

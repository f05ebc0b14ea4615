#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "kube/client.h"
#include "runtime/clock.h"

namespace secprov::runtime {

enum class EventType { Normal, Warning };
std::string_view to_string(EventType type);

// core/v1 ObjectReference of the object an event is about.
struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;

  // From an object's apiVersion, kind and metadata. Objects from list responses of built-in
  // types may lack apiVersion/kind; the fallbacks fill them in.
  static ObjectReference from(const nlohmann::json& object,
                              std::string_view fallback_api_version = {},
                              std::string_view fallback_kind = {});
  nlohmann::json to_json() const;
};

struct EventRecorderOptions {
  std::string component = "secprov-operator";  // source.component / reportingComponent
  std::string host{};                          // source.host / reportingInstance (pod name)
  std::size_t queue_capacity = 1000;           // events waiting to be posted; more are dropped
  std::size_t cache_size = 4096;               // recent events remembered for aggregation
  // An identical event (object uid, type, reason, message) within this time of the previous
  // one increments count/lastTimestamp of the existing Event instead of creating one.
  std::chrono::seconds aggregation_window{std::chrono::minutes(10)};
  // Per involved object token bucket (client-go's spam filter: burst 25, then one every
  // 5 minutes). Events beyond it are dropped. qps <= 0 disables it.
  double per_object_qps = 1.0 / 300.0;
  int per_object_burst = 25;
  std::shared_ptr<const Clock> clock{};  // null: system_clock()
};

// Posts core/v1 Events asynchronously from one background thread, so a reconciler never
// waits for the API server. Never throws to the caller; failures are logged and dropped.
//
// Messages and reasons are stored in the cluster and readable by anyone who may list
// events: callers must never put secret data (keys, tokens, Secret contents) in them.
class EventRecorder {
 public:
  explicit EventRecorder(std::shared_ptr<kube::Client> client, EventRecorderOptions options = {});
  // Stops the thread; events still queued are dropped (call flush() first to post them).
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  void record(const ObjectReference& object, EventType type, std::string reason,
              std::string message) noexcept;
  void record(const nlohmann::json& object, EventType type, std::string reason,
              std::string message) noexcept;

  // Blocks until every event recorded before the call was posted or dropped.
  void flush();
  // Events dropped: queue full, per-object rate limit, or API errors.
  std::uint64_t dropped() const;

 private:
  struct Pending {
    ObjectReference object;
    EventType type = EventType::Normal;
    std::string reason;
    std::string message;
    Clock::time_point at;
    Clock::wall_time_point wall_at;
  };
  // The first 16 bytes of a key text's SHA-256: every cache entry has the same small size
  // whatever the text (an aggregate key carries the Event's message). A false match needs a
  // 128-bit collision.
  using Key = std::array<std::uint8_t, 16>;
  static Key key_of(std::string_view text);

  struct Recent {  // an Event already in the cluster
    // Its name is the involved object's name + "." + this in hex, its namespace the object's
    // (see create()): the object is part of the aggregate key, so both are rebuilt from the
    // next identical event rather than stored.
    std::uint64_t suffix = 0;
    int count = 0;
    Clock::time_point last_seen;
  };
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  template <typename V>
  class Lru {
   public:
    explicit Lru(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
    V* find(const Key& key);  // marks as most recently used
    V& put(const Key& key, V value);
    void erase(const Key& key);

   private:
    using Entry = std::pair<Key, V>;
    using Position = typename std::list<Entry>::iterator;
    // Hash and compare a position by its node's key (a list node never moves), and find one
    // by a key: the key is stored once, and an index node is two pointers.
    struct KeyHash {
      using is_transparent = void;
      std::size_t operator()(const Key& key) const noexcept {
        std::size_t hash = 0;  // SHA-256 bytes are uniform: the first few make a good hash
        for (std::size_t i = 0; i < sizeof hash; ++i) hash = hash << 8U | key[i];
        return hash;
      }
      std::size_t operator()(Position at) const noexcept { return (*this)(at->first); }
    };
    struct KeyEqual {
      using is_transparent = void;
      static const Key& of(const Key& key) noexcept { return key; }
      static const Key& of(Position at) noexcept { return at->first; }
      template <typename A, typename B>
      bool operator()(const A& a, const B& b) const noexcept {
        return of(a) == of(b);
      }
    };

    std::size_t capacity_;
    std::list<Entry> order_;  // most recent first
    std::unordered_set<Position, KeyHash, KeyEqual> index_;
  };

  void loop(std::stop_token stop);
  void post(const Pending& event);
  bool allow(const Key& involved, Clock::time_point now);
  void create(const Pending& event, const Key& aggregate_key);
  void count_dropped();

  const std::shared_ptr<kube::Client> client_;
  const EventRecorderOptions options_;
  const std::shared_ptr<const Clock> clock_;

  mutable std::mutex mutex_;
  std::condition_variable_any queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  std::uint64_t dropped_ = 0;

  // Worker thread only.
  Lru<Recent> recent_;
  Lru<Bucket> buckets_;
  std::uint64_t sequence_ = 0;

  std::jthread worker_;  // last: starts after everything above exists, stops first
};

}  // namespace secprov::runtime

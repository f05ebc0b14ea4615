#pragma once
// The watch events that only echo the operator's own writes. Every object a create, update,
// patch or apply returned carries the resourceVersion the server gave that write; the watch
// event of the same write carries the same one. A controller that skips those events is not
// woken again by what it just did (kube-controller-manager's expectations, narrowed to "this
// exact version is ours"). Anyone else's edit has another resourceVersion and still wakes it,
// so drift is seen.
//
// The event often arrives before the write's answer has been handled. So a write is marked in
// flight before it is sent, and an event of the object that comes meanwhile is held until the
// answer: dropped when it carries the version the answer returned, delivered otherwise (also
// when the write failed). No event is lost, and only one proven ours is dropped.

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kube/client.h"
#include "runtime/object.h"

namespace secprov::runtime {

class OwnWrites {
 public:
  // Tracks objects of these types only, each "<apiVersion>/<kind>" (e.g. "v1/Secret"): the
  // types whose echoes some handler consumes, so nothing else piles up.
  explicit OwnWrites(std::set<std::string> types);
  OwnWrites(const OwnWrites&) = delete;
  OwnWrites& operator=(const OwnWrites&) = delete;

  // A write of `target` is about to be sent (kube::Client::WriteObserver::sending).
  void sending(const kube::WriteTarget& target);
  // Its answer (kube::Client::WriteObserver::answered): the object it returned, or nullptr
  // when it failed. Settles the events held for the object, on the calling thread.
  void answered(const kube::WriteTarget& target, const Json* written);

  // A watch event of `observed`: calls `echo` when it carries a version one of our writes
  // returned (that record is used up: a later event of the same version, e.g. a resync, is
  // not an echo), `deliver` otherwise. While a write of the object is in flight, the event is
  // held and one of them is called when that write is answered, from answered(). Exactly one
  // of them is called, once; never with a lock held.
  void on_event(const Json& observed, std::function<void()> echo, std::function<void()> deliver);
  // The object is gone: its records can never match again; held events are delivered.
  void forget(const Json& object);
  // Objects with records, writes in flight or held events, for tests and metrics.
  std::size_t size() const;

 private:
  struct Id {
    std::string type;
    ObjectKey key;
    auto operator<=>(const Id&) const = default;
  };
  struct Held {
    std::string version;
    std::function<void()> echo;
    std::function<void()> deliver;
  };
  struct Entry {
    int writes_in_flight = 0;
    // Versions our writes returned whose events have not come yet, oldest first: one pass may
    // write an object twice. Versions never repeat, so a stale record never matches.
    std::vector<std::string> versions;
    // Events that came while a write was in flight, in order.
    std::vector<Held> held;
    bool empty() const { return writes_in_flight == 0 && versions.empty() && held.empty(); }
  };
  // nullopt when `object` is not of a tracked type or has no name.
  std::optional<Id> id_of(const Json& object) const;
  std::optional<Id> id_of(const kube::WriteTarget& target) const;

  const std::set<std::string> types_;
  mutable std::mutex mutex_;
  std::map<Id, Entry> entries_;
};

}  // namespace secprov::runtime

#pragma once
// The watch events that only echo the operator's own writes. Every object a create, update,
// patch or apply returned carries the resourceVersion the server gave that write; the watch
// event of the same write carries the same one. A controller that skips those events is not
// woken again by what it just did (kube-controller-manager's expectations, narrowed to "this
// exact version is ours"). Anyone else's edit has another resourceVersion and still wakes it,
// so drift is seen.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/object.h"

namespace secprov::runtime {

class OwnWrites {
 public:
  // Tracks objects of these types only, each "<apiVersion>/<kind>" (e.g. "v1/Secret"): the
  // types whose echoes some handler consumes, so nothing else piles up.
  explicit OwnWrites(std::set<std::string> types);
  OwnWrites(const OwnWrites&) = delete;
  OwnWrites& operator=(const OwnWrites&) = delete;

  // Notes the object a write returned. Objects of other types, or without a name or
  // resourceVersion, are ignored.
  void record(const Json& written);
  // True when `observed` is exactly a version one of our writes returned; that record is used
  // up (a later event of the same version, e.g. a resync, is not skipped).
  bool consume_echo(const Json& observed);
  // The object is gone: its records can never match again.
  void forget(const Json& object);
  // Objects with records, for tests and metrics.
  std::size_t size() const;

 private:
  struct Id {
    std::string type;
    ObjectKey key;
    auto operator<=>(const Id&) const = default;
  };
  // nullopt when `object` is not of a tracked type or has no name.
  std::optional<Id> id_of(const Json& object) const;

  const std::set<std::string> types_;
  mutable std::mutex mutex_;
  // A few versions per object, oldest first: one pass may write an object twice, and a
  // record whose echo was handled before it was made (the event can overtake the response)
  // must not crowd out later ones. Versions never repeat, so a stale record never matches.
  std::map<Id, std::vector<std::string>> versions_;
};

}  // namespace secprov::runtime

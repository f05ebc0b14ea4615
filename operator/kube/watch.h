#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/http.h"
#include "kube/json_read.h"

namespace secprov::kube {

struct WatchOptions {
  std::string resource_version;  // resume point; "" = start now (after a list)
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  // Server-side timeoutSeconds; Client::watch caps it at ClientOptions::watch_timeout.
  std::chrono::seconds timeout{240};
};

enum class WatchEventType { Added, Modified, Deleted, Bookmark };

struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  nlohmann::json object;
  std::string resource_version() const;
};

// One watch request's stream of events. next() blocks until an event arrives.
//  - nullopt: the server ended the stream normally (timeout) or it was cancelled: re-watch
//    from the last resourceVersion.
//  - throws ApiError(Gone) on an in-stream 410 ERROR event: relist.
//  - throws ApiError(other kind) on other ERROR events, and ApiError(Decode) on a garbage
//    line; ApiError(Transport) when the connection broke mid-stream.
class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<HttpLineStream> stream);
  // Skips empty lines (keep-alives).
  std::optional<WatchEvent> next();
  // Safe from another thread: a blocked next() returns nullopt.
  void cancel();

 private:
  std::unique_ptr<HttpLineStream> stream_;
  JsonReader reader_;  // only next() reads, on the watch's own thread
};

// Parses one watch line, without the field sets of the object's managedFields
// (keep::all_but_field_sets in json_read.h); exposed for unit tests. Throws as described for
// WatchStream::next.
WatchEvent parse_watch_line(const std::string& line, JsonReader& reader);
WatchEvent parse_watch_line(const std::string& line);

}  // namespace secprov::kube

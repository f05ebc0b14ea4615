#include "kube/watch.h"

#include "kube/errors.h"
#include "kube/json_read.h"

namespace secprov::kube {
namespace {

std::optional<WatchEventType> event_type(std::string_view type) {
  if (type == "ADDED") return WatchEventType::Added;
  if (type == "MODIFIED") return WatchEventType::Modified;
  if (type == "DELETED") return WatchEventType::Deleted;
  if (type == "BOOKMARK") return WatchEventType::Bookmark;
  return std::nullopt;
}

// An ERROR event carries a metav1.Status instead of an object.
ApiError error_event(const nlohmann::json& status) {
  if (!status.is_object()) return ApiError(ErrorKind::Decode, 0, "watch ERROR without a Status");
  int code = 0;
  if (const auto it = status.find("code"); it != status.end() && it->is_number_integer()) {
    code = it->get<int>();
  }
  if (code == 410) {
    const auto message = status.value("message", std::string{});
    return ApiError(ErrorKind::Gone, 410,
                    message.empty() ? "watch resourceVersion too old" : message,
                    status.value("reason", std::string("Expired")));
  }
  return error_from_response(code, status.dump(), std::nullopt);
}

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

std::string WatchEvent::resource_version() const {
  if (!object.is_object()) return {};
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  const auto version = metadata->find("resourceVersion");
  return version != metadata->end() && version->is_string() ? version->get<std::string>()
                                                            : std::string{};
}

WatchEvent parse_watch_line(const std::string& line) {
  JsonReader reader;
  return parse_watch_line(line, reader);
}

WatchEvent parse_watch_line(const std::string& line, JsonReader& reader) {
  auto pruned = reader.pruned(line, keep::all_but_field_sets);
  // The line is not quoted in messages: it may be a Secret.
  if (!pruned || !pruned->is_object()) {
    throw ApiError(ErrorKind::Decode, 0,
                   "watch line is not a JSON object (" + std::to_string(line.size()) + " bytes)");
  }
  nlohmann::json& parsed = *pruned;
  // at() rather than iterators: GCC's -Wnull-dereference misreads json iterators.
  if (!parsed.contains("type") || !parsed.at("type").is_string() || !parsed.contains("object")) {
    throw ApiError(ErrorKind::Decode, 0, "watch event without type or object");
  }
  const std::string type_name = parsed.at("type").get<std::string>();
  nlohmann::json& object = parsed.at("object");
  if (type_name == "ERROR") throw error_event(object);
  const auto kind = event_type(type_name);
  if (!kind)
    throw ApiError(ErrorKind::Decode, 0, "unknown watch event type " + type_name.substr(0, 32));
  if (!object.is_object())
    throw ApiError(ErrorKind::Decode, 0, "watch event object is not an object");
  return WatchEvent{*kind, std::move(object)};
}

WatchStream::WatchStream(std::unique_ptr<HttpLineStream> stream) : stream_(std::move(stream)) {}

std::optional<WatchEvent> WatchStream::next() {
  while (auto line = stream_->read_line()) {
    if (blank(*line)) continue;  // keep-alive or stray separator
    return parse_watch_line(*line, reader_);
  }
  return std::nullopt;
}

void WatchStream::cancel() {
  stream_->cancel();
}

}  // namespace secprov::kube

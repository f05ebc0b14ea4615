#include "kube/client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

#include "kube/json_read.h"

namespace secprov::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A misbehaving proxy must not park a reconcile thread for long on one request.
constexpr seconds kMaxThrottleDelay{60};
constexpr seconds kDefaultThrottleDelay{1};
// Error bodies are small Status objects; stop reading a runaway one.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

// Builds "?a=b&c=d" with RFC 3986 percent-encoding (label selectors contain = , ! ( )).
class Query {
 public:
  Query& add(std::string_view key, std::string_view value) {
    if (value.empty()) return *this;
    text_ += text_.empty() ? '?' : '&';
    text_ += encode(key);
    text_ += '=';
    text_ += encode(value);
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  static std::string encode(std::string_view raw) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    for (const char c : raw) {
      const auto byte = static_cast<unsigned char>(c);
      const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                              (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' ||
                              c == '~';
      if (unreserved) {
        out += c;
      } else {
        out += '%';
        out += kHex[byte >> 4];
        out += kHex[byte & 0x0f];
      }
    }
    return out;
  }

  std::string text_;
};

bool is_success(int status) {
  return status >= 200 && status < 300;
}

std::string_view propagation_name(Propagation propagation) {
  switch (propagation) {
    case Propagation::Background:
      return "Background";
    case Propagation::Foreground:
      return "Foreground";
    case Propagation::Orphan:
      return "Orphan";
    case Propagation::Default:
      break;
  }
  return {};
}

std::string with_subresource(std::string path, const std::string& subresource) {
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

std::string metadata_string(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  const auto value = metadata->find(key);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : std::string{};
}

std::string name_of(const Json& object, std::string_view verb) {
  std::string name = metadata_string(object, "name");
  if (name.empty())
    throw std::invalid_argument(std::string(verb) + ": object has no metadata.name");
  return name;
}

// The explicit namespace wins; a namespaced object may carry its own.
std::string namespace_for(const ResourceType& type, const std::string& ns, const Json& object) {
  if (!ns.empty() || !type.namespaced) return ns;
  return metadata_string(object, "namespace");
}

Json with_type_meta(Json object, const ResourceType& type) {
  if (!object.contains("apiVersion")) object["apiVersion"] = type.api_version();
  if (!object.contains("kind")) object["kind"] = type.kind;
  return object;
}

// How much of an answer is built: the whole of it, its identity (Answer::Metadata), or a
// list's items without managedFields' field sets (what the caches keep; see json_read.h).
enum class Parse { Whole, Identity, ListForCache };

Json parse_json(const HttpResponse& response, const std::string& what, JsonReaderPool& readers,
                Parse parse = Parse::Whole) {
  if (response.body.empty()) return Json();
  std::optional<Json> parsed;
  switch (parse) {
    case Parse::Whole:
      if (auto whole = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
          !whole.is_discarded()) {
        parsed = std::move(whole);
      }
      break;
    case Parse::Identity:
      parsed = readers.identity(response.body);
      break;
    case Parse::ListForCache:
      parsed = readers.pruned(response.body, keep::all_but_field_sets);
      break;
  }
  if (!parsed) {
    throw ApiError(ErrorKind::Decode, response.status, what + ": response body is not JSON");
  }
  return std::move(*parsed);
}

Parse parse_for(Answer answer) {
  return answer == Answer::Metadata ? Parse::Identity : Parse::Whole;
}

std::optional<std::string_view> header(const HttpHeaders& headers, const std::string& name) {
  const auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string without_query(const std::string& target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

Client::Client(ClusterConfig config, ClientOptions options,
               std::unique_ptr<HttpTransport> transport)
    : config_(std::move(config)),
      options_(std::move(options)),
      transport_(std::move(transport)),
      limiter_(options_.qps, options_.burst) {
  if (!transport_) throw std::invalid_argument("Client: transport is null");
}

std::shared_ptr<Client> Client::connect(ClusterConfig config, ClientOptions options) {
  // A watch is silent for up to watch_timeout; the transport must not give up before the
  // server ends it.
  const auto inactivity = options.watch_timeout + seconds(30);
  auto transport = make_http_transport(config.server, config.tls, inactivity);
  return std::make_shared<Client>(std::move(config), std::move(options), std::move(transport));
}

void Client::add_write_observer(WriteObserver observer) {
  const std::lock_guard lock(observers_mutex_);
  auto next = observers_ ? std::make_shared<std::vector<WriteObserver>>(*observers_)
                         : std::make_shared<std::vector<WriteObserver>>();
  next->push_back(std::move(observer));
  observers_ = std::move(next);
}

// One write as its observers see it: `sending` on construction, `answered` once, from answer()
// or, when the write threw before it had an answer, from the destructor.
class Client::WriteNotice {
 public:
  WriteNotice(std::shared_ptr<const std::vector<WriteObserver>> observers, WriteTarget target)
      : observers_(std::move(observers)), target_(std::move(target)) {
    if (!observers_) return;
    for (const auto& observer : *observers_) {
      if (observer.sending) observer.sending(target_);
    }
  }
  WriteNotice(const WriteNotice&) = delete;
  WriteNotice& operator=(const WriteNotice&) = delete;
  ~WriteNotice() {
    if (!answered_) tell(nullptr);
  }

  // Hands `written` to the observers and returns it.
  Json answer(Json written) {
    answered_ = true;
    tell(&written);
    return written;
  }

 private:
  void tell(const Json* written) const {
    if (!observers_) return;
    for (const auto& observer : *observers_) {
      if (observer.answered) observer.answered(target_, written);
    }
  }

  const std::shared_ptr<const std::vector<WriteObserver>> observers_;
  const WriteTarget target_;
  bool answered_ = false;
};

Client::WriteNotice Client::notice_write(const ResourceType& type, std::string ns,
                                         std::string name) const {
  std::shared_ptr<const std::vector<WriteObserver>> observers;
  {
    const std::lock_guard lock(observers_mutex_);
    observers = observers_;
  }
  return WriteNotice(std::move(observers),
                     WriteTarget{type.api_version(), type.kind, std::move(ns), std::move(name)});
}

std::uint64_t Client::requests_sent() const {
  return requests_sent_.load();
}

HttpRequest Client::prepare(std::string method, std::string target, std::string body,
                            std::string content_type) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers["accept"] = "application/json";
  request.headers["user-agent"] = options_.user_agent;
  if (!content_type.empty()) request.headers["content-type"] = std::move(content_type);
  request.body = std::move(body);
  request.timeout = options_.request_timeout;
  return request;
}

void Client::authorize(HttpRequest& request) {
  if (!config_.token) return;
  std::string token;
  try {
    token = config_.token->token();
  } catch (const std::exception& e) {
    throw ApiError(ErrorKind::Unauthorized, 0, std::string("no bearer token: ") + e.what());
  }
  request.headers["authorization"] = "Bearer " + token;
}

HttpResponse Client::send(HttpRequest request) {
  for (int attempt = 0;; ++attempt) {
    limiter_.acquire();
    authorize(request);
    ++requests_sent_;
    const auto start = std::chrono::steady_clock::now();
    HttpResponse response;
    try {
      response = transport_->send(request);
    } catch (const ApiError& e) {
      spdlog::debug("kube {} {} failed: {}", request.method, request.target, e.what());
      throw;
    }
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    spdlog::debug("kube {} {} -> {} in {} ms", request.method, request.target, response.status,
                  elapsed.count());
    if (is_success(response.status)) return response;

    ApiError error = error_from_response(response.status, response.body,
                                         header(response.headers, "retry-after"));
    if (error.kind() != ErrorKind::TooManyRequests || attempt >= options_.max_throttle_retries) {
      throw error;
    }
    const seconds delay =
        std::min(error.retry_after().value_or(kDefaultThrottleDelay), kMaxThrottleDelay);
    spdlog::debug("kube {} {} throttled, retrying in {} s", request.method,
                  without_query(request.target), delay.count());
    std::this_thread::sleep_for(delay);
  }
}

std::unique_ptr<HttpLineStream> Client::open_stream(HttpRequest request) {
  for (int attempt = 0;; ++attempt) {
    limiter_.acquire();
    authorize(request);
    ++requests_sent_;
    std::unique_ptr<HttpLineStream> stream;
    try {
      stream = transport_->open_stream(request);
    } catch (const ApiError& e) {
      spdlog::debug("kube {} {} failed: {}", request.method, request.target, e.what());
      throw;
    }
    spdlog::debug("kube {} {} -> {} (stream)", request.method, request.target, stream->status());
    if (is_success(stream->status())) return stream;

    // An error answer is a short Status document, not a stream of events.
    std::string body;
    try {
      while (body.size() < kMaxErrorBody) {
        auto line = stream->read_line();
        if (!line) break;
        body += *line;
        body += '\n';
      }
    } catch (const ApiError&) {
      // Decode what arrived; the status code alone still classifies the error.
    }
    ApiError error =
        error_from_response(stream->status(), body, header(stream->headers(), "retry-after"));
    if (error.kind() != ErrorKind::TooManyRequests || attempt >= options_.max_throttle_retries) {
      throw error;
    }
    const seconds delay =
        std::min(error.retry_after().value_or(kDefaultThrottleDelay), kMaxThrottleDelay);
    std::this_thread::sleep_for(delay);
  }
}

Json Client::get(const ResourceType& type, const std::string& ns, const std::string& name,
                 const std::string& subresource) {
  const std::string path = with_subresource(type.object_path(ns, name), subresource);
  return parse_json(send(prepare("GET", path, {}, {})), "GET " + path, readers_);
}

Json Client::get_path(const std::string& path) {
  return parse_json(send(prepare("GET", path, {}, {})), "GET " + path, readers_);
}

std::optional<Json> Client::list_one(const ResourceType& type, const std::string& ns,
                                     const std::string& name) {
  ListOptions options;
  options.field_selector = "metadata.name=" + name;
  auto items = list(type, ns, options).items;
  if (items.empty()) return std::nullopt;
  return std::move(items.front());
}

ObjectList Client::list(const ResourceType& type, const std::string& ns,
                        const ListOptions& options) {
  ObjectList all;
  ListOptions page_options = options;
  for (;;) {
    ObjectList page = list_page(type, ns, page_options);
    if (all.resource_version.empty()) all.resource_version = page.resource_version;
    all.items.insert(all.items.end(), std::make_move_iterator(page.items.begin()),
                     std::make_move_iterator(page.items.end()));
    if (page.continue_token.empty()) break;
    page_options.continue_token = std::move(page.continue_token);
    // The continue token pins the snapshot; the server rejects a resourceVersion with it.
    page_options.resource_version.clear();
  }
  return all;
}

ObjectList Client::list_page(const ResourceType& type, const std::string& ns,
                             const ListOptions& options) {
  Query query;
  query.add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("limit", options.limit ? std::to_string(*options.limit) : std::string{})
      .add("continue", options.continue_token)
      .add("resourceVersion", options.resource_version);
  const std::string path = type.collection_path(ns);
  Json body = parse_json(send(prepare("GET", path + query.str(), {}, {})), "GET " + path, readers_,
                         Parse::ListForCache);
  if (!body.is_object()) throw ApiError(ErrorKind::Decode, 200, "GET " + path + ": not a list");

  ObjectList list;
  list.resource_version = metadata_string(body, "resourceVersion");
  list.continue_token = metadata_string(body, "continue");
  if (const auto items = body.find("items"); items != body.end() && !items->is_null()) {
    if (!items->is_array())
      throw ApiError(ErrorKind::Decode, 200, "GET " + path + ": items is not a list");
    list.items.reserve(items->size());
    // The server leaves apiVersion/kind empty on list items; callers want whole objects.
    for (auto& item : *items) list.items.push_back(with_type_meta(std::move(item), type));
  }
  return list;
}

Json Client::create(const ResourceType& type, const std::string& ns, const Json& object,
                    Answer answer) {
  const std::string in = namespace_for(type, ns, object);
  const std::string path = type.collection_path(in);
  auto notice = notice_write(type, in, metadata_string(object, "name"));
  return notice.answer(parse_json(send(prepare("POST", path, object.dump(), "application/json")),
                                  "POST " + path, readers_, parse_for(answer)));
}

Json Client::update(const ResourceType& type, const std::string& ns, const Json& object,
                    const std::string& subresource, const UpdateOptions& options) {
  const std::string in = namespace_for(type, ns, object);
  const std::string name = name_of(object, "update");
  const std::string path = with_subresource(type.object_path(in, name), subresource);
  Query query;
  query.add("fieldManager", options.field_manager);
  auto notice = notice_write(type, in, name);
  return notice.answer(
      parse_json(send(prepare("PUT", path + query.str(), object.dump(), "application/json")),
                 "PUT " + path, readers_, parse_for(options.answer)));
}

Json Client::merge_patch(const ResourceType& type, const std::string& ns, const std::string& name,
                         const Json& patch, const std::string& subresource, Answer answer) {
  const std::string path = with_subresource(type.object_path(ns, name), subresource);
  auto notice = notice_write(type, ns, name);
  return notice.answer(
      parse_json(send(prepare("PATCH", path, patch.dump(), "application/merge-patch+json")),
                 "PATCH " + path, readers_, parse_for(answer)));
}

Json Client::apply(const ResourceType& type, const std::string& ns, const Json& object,
                   const ApplyOptions& options, const std::string& subresource) {
  // Without a manager the server would attribute the fields to a generic one, and later
  // applies could no longer remove them.
  if (options.field_manager.empty())
    throw std::invalid_argument("apply: field_manager is required");
  if (!object.is_object()) throw std::invalid_argument("apply: object is not a JSON object");
  const std::string in = namespace_for(type, ns, object);
  const std::string name = name_of(object, "apply");
  const std::string path = with_subresource(type.object_path(in, name), subresource);
  Query query;
  query.add("fieldManager", options.field_manager).add("force", options.force ? "true" : "");
  auto notice = notice_write(type, in, name);
  // JSON is YAML, so the apply content type takes the JSON body as it is.
  return notice.answer(
      parse_json(send(prepare("PATCH", path + query.str(), with_type_meta(object, type).dump(),
                              "application/apply-patch+yaml")),
                 "PATCH " + path, readers_, parse_for(options.answer)));
}

Json Client::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                    const DeleteOptions& options) {
  Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  const std::string_view policy = propagation_name(options.propagation);
  if (!policy.empty()) body["propagationPolicy"] = policy;
  if (options.precondition_uid) body["preconditions"]["uid"] = *options.precondition_uid;
  if (options.precondition_resource_version) {
    body["preconditions"]["resourceVersion"] = *options.precondition_resource_version;
  }
  // The body is what the server uses; the query copy makes the policy visible in audit logs.
  Query query;
  query.add("propagationPolicy", policy);
  const std::string path = type.object_path(ns, name);
  return parse_json(send(prepare("DELETE", path + query.str(), body.dump(), "application/json")),
                    "DELETE " + path, readers_);
}

std::unique_ptr<WatchStream> Client::watch(const ResourceType& type, const std::string& ns,
                                           const WatchOptions& options) {
  // Past watch_timeout the transport's inactivity timer could fire on a quiet, healthy watch.
  const seconds timeout = options.timeout > seconds::zero()
                              ? std::min(options.timeout, options_.watch_timeout)
                              : options_.watch_timeout;
  Query query;
  query.add("watch", "1")
      .add("resourceVersion", options.resource_version)
      .add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("allowWatchBookmarks", options.allow_bookmarks ? "true" : "")
      .add("timeoutSeconds", std::to_string(timeout.count()));
  auto stream = open_stream(prepare("GET", type.collection_path(ns) + query.str(), {}, {}));
  return std::make_unique<WatchStream>(std::move(stream));
}

}  // namespace secprov::kube

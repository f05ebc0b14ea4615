#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/errors.h"
#include "kube/http.h"

namespace secprov::runtime::testing {

// A tiny in-memory API server behind kube::HttpTransport: GET/POST/PUT/PATCH (merge)/DELETE on
// object paths, resourceVersion checks on PUT (on a status subresource only when asked, as for
// merge patches), metav1.Status errors. Requests are recorded;
// `intercept` may answer a request instead (to inject failures).
class FakeApi {
 public:
  using Json = nlohmann::json;

  struct Request {
    std::string method;
    std::string path;  // without the query
    Json body;
    std::string query;  // after '?', empty without one
  };

  std::shared_ptr<kube::Client> client() {
    kube::ClusterConfig config;
    config.server = "https://fake.invalid";
    kube::ClientOptions options;
    options.qps = 0;  // no client-side throttling in tests
    options.max_throttle_retries = 0;
    options.request_timeout = std::chrono::milliseconds(100);
    return std::make_shared<kube::Client>(std::move(config), options,
                                          std::make_unique<Transport>(state_));
  }

  void put_object(const std::string& path, Json object) {
    const std::lock_guard lock(state_->mutex);
    object["metadata"]["resourceVersion"] = std::to_string(state_->next_rv++);
    state_->objects[path] = std::move(object);
  }
  std::optional<Json> object(const std::string& path) const {
    const std::lock_guard lock(state_->mutex);
    const auto it = state_->objects.find(path);
    if (it == state_->objects.end()) return std::nullopt;
    return it->second;
  }
  void erase(const std::string& path) {
    const std::lock_guard lock(state_->mutex);
    state_->objects.erase(path);
  }
  std::vector<Json> objects_under(const std::string& prefix) const {
    const std::lock_guard lock(state_->mutex);
    std::vector<Json> out;
    for (const auto& [path, object] : state_->objects) {
      if (path.rfind(prefix, 0) == 0) out.push_back(object);
    }
    return out;
  }
  std::vector<Request> requests() const {
    const std::lock_guard lock(state_->mutex);
    return state_->requests;
  }
  std::vector<Request> requests(const std::string& method) const {
    std::vector<Request> out;
    for (auto& r : requests()) {
      if (r.method == method) out.push_back(r);
    }
    return out;
  }
  // Checks a resourceVersion sent in a merge patch or a status PUT, as the real API server does
  // (off by default: most fixtures seed stores and the API with different resourceVersions).
  void check_write_preconditions() {
    const std::lock_guard lock(state_->mutex);
    state_->write_preconditions = true;
  }
  void intercept(std::function<std::optional<kube::HttpResponse>(const Request&)> f) {
    const std::lock_guard lock(state_->mutex);
    state_->intercept = std::move(f);
  }

  static kube::HttpResponse status(int code, const std::string& reason,
                                   const std::string& message) {
    return {code,
            {{"content-type", "application/json"}},
            Json{{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"status", "Failure"},
                 {"reason", reason},
                 {"message", message},
                 {"code", code}}
                .dump()};
  }

 private:
  struct State {
    std::mutex mutex;
    std::map<std::string, Json> objects;
    std::vector<Request> requests;
    std::function<std::optional<kube::HttpResponse>(const Request&)> intercept;
    int next_rv = 100;
    int next_uid = 1;
    bool write_preconditions = false;
  };

  class Transport final : public kube::HttpTransport {
   public:
    explicit Transport(std::shared_ptr<State> state) : state_(std::move(state)) {}

    kube::HttpResponse send(const kube::HttpRequest& request) override {
      std::function<std::optional<kube::HttpResponse>(const Request&)> intercept;
      const auto question = request.target.find('?');
      Request recorded{request.method, request.target.substr(0, question),
                       request.body.empty() ? Json() : Json::parse(request.body),
                       question == std::string::npos ? "" : request.target.substr(question + 1)};
      {
        const std::lock_guard lock(state_->mutex);
        state_->requests.push_back(recorded);
        intercept = state_->intercept;
      }
      if (intercept) {
        if (auto answer = intercept(recorded)) return *answer;
      }
      const std::lock_guard lock(state_->mutex);
      return handle(recorded);
    }

    std::unique_ptr<kube::HttpLineStream> open_stream(const kube::HttpRequest&) override {
      throw kube::ApiError(kube::ErrorKind::Transport, 0, "fake: streams not supported");
    }

   private:
    kube::HttpResponse ok(int code, const Json& body) {
      return {code, {{"content-type", "application/json"}}, body.dump()};
    }

    kube::HttpResponse handle(const Request& r) {
      auto& objects = state_->objects;
      if (r.method == "GET") {
        const auto it = objects.find(r.path);
        if (it != objects.end()) return ok(200, it->second);
        // A LIST of a collection (its objects directly under the path), with the one field
        // selector the operator sends, metadata.name=<name> (URL-encoded '=').
        constexpr std::string_view kByName = "fieldSelector=metadata.name%3D";
        const auto selector = r.query.find(kByName);
        if (selector == std::string::npos) {
          return status(404, "NotFound", r.path + " not found");
        }
        const auto name_start = selector + kByName.size();
        const auto wanted = r.query.substr(name_start, r.query.find('&', name_start) - name_start);
        Json items = Json::array();
        if (const auto found = objects.find(r.path + "/" + wanted); found != objects.end()) {
          items.push_back(found->second);
        }
        return ok(200, Json{{"kind", "List"},
                            {"metadata", {{"resourceVersion", std::to_string(state_->next_rv)}}},
                            {"items", items}});
      }
      if (r.method == "POST") {
        const std::string path = r.path + "/" + r.body["metadata"]["name"].get<std::string>();
        if (objects.contains(path)) return status(409, "AlreadyExists", path + " already exists");
        Json object = r.body;
        object["metadata"]["resourceVersion"] = std::to_string(state_->next_rv++);
        object["metadata"]["uid"] = "uid-" + std::to_string(state_->next_uid++);
        objects[path] = object;
        return ok(201, object);
      }
      const auto it = objects.find(r.path);
      if (it == objects.end()) return status(404, "NotFound", r.path + " not found");
      if (r.method == "PUT") {
        // A status subresource is an object of its own here, whose version a test's cache may
        // not know: checked only when asked, as merge patches are.
        const bool status_write = r.path.ends_with("/status");
        const auto sent = r.body["metadata"].value("resourceVersion", std::string{});
        if ((!status_write || state_->write_preconditions) &&
            sent != it->second["metadata"]["resourceVersion"]) {
          return status(409, "Conflict", "the object has been modified");
        }
        if (status_write) {
          // As the API server does: the status is replaced, the rest of the object kept.
          if (r.body.contains("status")) {
            it->second["status"] = r.body["status"];
          } else {
            it->second.erase("status");
          }
        } else {
          it->second = r.body;
        }
        it->second["metadata"]["resourceVersion"] = std::to_string(state_->next_rv++);
        return ok(200, it->second);
      }
      if (r.method == "PATCH") {
        // A resourceVersion in a merge patch is a precondition, as on the real API server.
        const auto sent = r.body.value("metadata", Json::object()).value("resourceVersion", Json());
        if (state_->write_preconditions && sent.is_string() &&
            sent != it->second["metadata"]["resourceVersion"]) {
          return status(409, "Conflict", "the object has been modified");
        }
        it->second.merge_patch(r.body);
        it->second["metadata"]["resourceVersion"] = std::to_string(state_->next_rv++);
        return ok(200, it->second);
      }
      if (r.method == "DELETE") {
        // DeleteOptions preconditions, as on the real API server.
        const auto preconditions =
            r.body.is_object() ? r.body.value("preconditions", Json::object()) : Json::object();
        for (const char* field : {"uid", "resourceVersion"}) {
          if (preconditions.contains(field) &&
              preconditions[field] != it->second["metadata"].value(field, Json())) {
            return status(409, "Conflict", std::string("precondition failed: ") + field);
          }
        }
        Json removed = it->second;
        objects.erase(it);
        return ok(200, removed);
      }
      return status(405, "MethodNotAllowed", r.method);
    }

    std::shared_ptr<State> state_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace secprov::runtime::testing

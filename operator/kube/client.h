#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kube/config.h"
#include "kube/errors.h"
#include "kube/http.h"
#include "kube/json_read.h"
#include "kube/rate_limiter.h"
#include "kube/resource.h"
#include "kube/watch.h"

namespace secprov::kube {

using Json = nlohmann::json;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::optional<int> limit;  // page size; list() follows `continue`, list_page() does not
  std::string continue_token;
  std::string resource_version;  // "" = most recent (quorum read)
};

struct ObjectList {
  std::vector<Json> items;
  std::string resource_version;  // of the list, to start a watch from
  std::string continue_token;    // non-empty when more pages remain
};

enum class Propagation { Default, Background, Foreground, Orphan };

struct DeleteOptions {
  Propagation propagation = Propagation::Default;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
};

// How much of a write's answer is parsed: the whole object, or only what identifies the version
// written (apiVersion, kind and metadata without managedFields), for callers that read no
// more. The rest of the answer is skipped, not built: a status write's answer is mostly the
// object's other fields and its managedFields.
enum class Answer { Object, Metadata };

struct ApplyOptions {
  std::string field_manager;
  // Take over fields owned by other managers. Only for objects this operator owns.
  bool force = false;
  Answer answer = Answer::Object;
};

struct UpdateOptions {
  // Recorded in managedFields (operation Update); empty: the server derives one from the
  // user agent.
  std::string field_manager;
  Answer answer = Answer::Object;
};

struct ClientOptions {
  double qps = 50;  // client-side limit, as client-go's QPS/Burst
  int burst = 100;
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // The server ends each watch after this; must stay below the transport inactivity timeout.
  std::chrono::seconds watch_timeout{std::chrono::seconds(240)};
  int max_throttle_retries = 3;  // 429 answers retried after Retry-After (1 s when absent)
  std::string user_agent = "secprov-operator";
};

// The object a write is about, known before it is sent.
struct WriteTarget {
  std::string api_version;  // of the resource type: "v1", "group/version"
  std::string kind;
  std::string ns;    // "" for a cluster-scoped type
  std::string name;  // "" for a create that leaves the name to the server (generateName)
};

// Typed REST verbs over an HttpTransport. Thread-safe. Every failure is an ApiError.
class Client {
 public:
  Client(ClusterConfig config, ClientOptions options, std::unique_ptr<HttpTransport> transport);
  // Builds the HTTP/1.1 transport for `config` (inactivity timeout: watch_timeout + 30 s).
  // Throws ConfigError when the TLS material is unusable.
  static std::shared_ptr<Client> connect(ClusterConfig config, ClientOptions options = {});

  Json get(const ResourceType& type, const std::string& ns, const std::string& name,
           const std::string& subresource = {});
  // GET of a path that is not a resource, e.g. "/version".
  Json get_path(const std::string& path);
  // Follows continue tokens until the last page unless options.limit is set and
  // options.continue_token is used by the caller for manual paging (see list_page).
  // Items get apiVersion/kind filled in from `type` (the server omits them in lists), and come
  // without the field sets of their managedFields (fieldsV1), as watch events do: secprov
  // reads who wrote an object, never which fields they own (kube/json_read.h).
  ObjectList list(const ResourceType& type, const std::string& ns, const ListOptions& options = {});
  ObjectList list_page(const ResourceType& type, const std::string& ns, const ListOptions& options);
  // The object of that name as the API server has it now (a quorum read), or nullopt: a list
  // of the one name, for RBAC that grants list and watch (a cache's) but not get.
  std::optional<Json> list_one(const ResourceType& type, const std::string& ns,
                               const std::string& name);
  // create/update/apply: `ns` empty takes object.metadata.namespace (namespaced types).
  Json create(const ResourceType& type, const std::string& ns, const Json& object,
              Answer answer = Answer::Object);
  // PUT with the object's metadata.resourceVersion: Conflict when it is stale.
  Json update(const ResourceType& type, const std::string& ns, const Json& object,
              const std::string& subresource = {}, const UpdateOptions& options = {});
  Json merge_patch(const ResourceType& type, const std::string& ns, const std::string& name,
                   const Json& patch, const std::string& subresource = {},
                   Answer answer = Answer::Object);
  // Server-side apply (application/apply-patch+yaml, sent as JSON). apiVersion/kind are
  // filled in from `type` when missing. Throws std::invalid_argument without field_manager.
  Json apply(const ResourceType& type, const std::string& ns, const Json& object,
             const ApplyOptions& options, const std::string& subresource = {});
  // DELETE with a DeleteOptions body. Returns the server's answer (the object being
  // deleted, or a Status).
  Json remove(const ResourceType& type, const std::string& ns, const std::string& name,
              const DeleteOptions& options = {});

  // Returns once the server accepted the watch (headers arrived); a non-2xx answer throws.
  std::unique_ptr<WatchStream> watch(const ResourceType& type, const std::string& ns,
                                     const WatchOptions& options);

  // Told of every create, update, merge_patch and apply, on the writing thread: `sending` just
  // before the request goes out, then `answered` exactly once, with the object the write
  // returned, or with nullptr when it failed (an error answer, a timeout, a transport error:
  // it may or may not have happened). E.g. to recognise the watch events that echo one's own
  // writes, whose event can arrive before the answer (runtime::OwnWrites). Either may be
  // empty. Both must be quick and must not throw.
  struct WriteObserver {
    std::function<void(const WriteTarget& target)> sending;
    std::function<void(const WriteTarget& target, const Json* written)> answered;
  };
  void add_write_observer(WriteObserver observer);

  const ClusterConfig& config() const { return config_; }
  const ClientOptions& options() const { return options_; }
  // HTTP requests handed to the transport, retries and watches included.
  std::uint64_t requests_sent() const;  // for idempotence checks and metrics

 private:
  // Rate limit, bearer token, 429 retries; non-2xx throws error_from_response.
  HttpResponse send(HttpRequest request);
  std::unique_ptr<HttpLineStream> open_stream(HttpRequest request);
  HttpRequest prepare(std::string method, std::string target, std::string body,
                      std::string content_type);
  // Sets the Authorization header from config_.token (read per attempt: tokens rotate).
  void authorize(HttpRequest& request);
  class WriteNotice;
  // Tells the write observers that a write of `target` is being sent; the notice tells them
  // its answer.
  WriteNotice notice_write(const ResourceType& type, std::string ns, std::string name) const;

  ClusterConfig config_;
  ClientOptions options_;
  std::unique_ptr<HttpTransport> transport_;
  TokenBucket limiter_;
  std::atomic<std::uint64_t> requests_sent_{0};
  JsonReaderPool readers_;  // reads the answers
  mutable std::mutex observers_mutex_;
  // Replaced whole when one is added, so a write calls them without holding the lock.
  std::shared_ptr<const std::vector<WriteObserver>> observers_;
};

}  // namespace secprov::kube

#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "controllers/context.h"
#include "kube/client.h"
#include "runtime/controller.h"
#include "runtime/heap.h"
#include "runtime/reflector.h"

namespace prometheus {
class Registry;
}

namespace secprov::controllers {

// The namespaces whose SecurityProfiles, Secrets and ConfigMaps the operator serves.
struct WatchNamespaces {
  std::vector<std::string> names;  // sorted, unique; empty: every namespace
  bool all() const noexcept { return names.empty(); }
};

struct InvalidWatchNamespaces {
  std::string message;  // names the offending entry
};

// --watch-namespaces: "" or "all" is every namespace; otherwise a comma-separated list
// of namespace names (DNS-1123 labels, "all" not among them). Pure: tested without a cluster.
std::variant<WatchNamespaces, InvalidWatchNamespaces> parse_watch_namespaces(
    std::string_view value);

struct ManagerOptions {
  std::string operator_namespace = "secprov-system";
  // With a list, every list/watch of profiles, Secrets and ConfigMaps is namespaced, so
  // namespaced Roles suffice (deploy/README.md).
  WatchNamespaces watch_namespaces;
  int workers = 2;
  std::chrono::milliseconds resync_period{std::chrono::minutes(10)};
  std::shared_ptr<prometheus::Registry> registry;
  std::shared_ptr<runtime::EventRecorder> events;
  // The one time source (for Context, reflectors, controllers).
  std::shared_ptr<const runtime::Clock> clock = runtime::system_clock();
  // --crl-base-url (see Context::crl_base_url): applies to certificates issued after a
  // change; certificates already issued keep theirs until their next renewal.
  std::string crl_base_url;
  // When freed heap goes back to the system after a burst (runtime/heap.h).
  runtime::HeapReleaseOptions heap_release{};
};

// Wires the caches and the controllers. Caches run in every replica (a standby is warm);
// controllers run only in the leader.
class Manager {
 public:
  Manager(std::shared_ptr<kube::Client> client, ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  void start_caches();
  // The fixed caches only: a Pod watch starts with the first profile that needs it, and its
  // sync is waited for by that profile's reconcile (PodWatches::synced), never here.
  bool caches_synced() const;
  // Blocks until `stop` is requested, then drains the work queues.
  void run_controllers(std::stop_token stop);
  void stop_caches();
  // The DER of the CRL the trust domain published, from the cache (any replica, no API
  // call); nullopt when there is none.
  std::optional<std::string> crl_der(std::string_view trust_domain) const;
  // The parsed SecurityProfiles of the cache (indexes of mappers.h), for the validating
  // webhook: filled in every replica, leader or not (start_caches runs before the election).
  std::shared_ptr<const ProfileStore> profiles() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
  std::vector<std::jthread> cache_threads_;
};

}  // namespace secprov::controllers

#pragma once
// What every reconciler of the operator shares: the client, the caches (stores filled by
// reflectors), the event recorder and the clock. Reconcilers read only from the stores and
// write through the client.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"
#include "runtime/events.h"
#include "runtime/store.h"

namespace prometheus {
class Registry;
}

namespace secprov::controllers {

// The one field manager for everything the operator applies.
inline constexpr const char* kFieldManager = "secprov-operator";
inline constexpr const char* kFinalizer = "secprov.io/cleanup";

struct Stores {
  std::shared_ptr<runtime::Store> profiles;         // SecurityProfiles, served namespaces
  std::shared_ptr<runtime::Store> trust_domains;    // TrustDomains (cluster-scoped)
  std::shared_ptr<runtime::Store> managed_secrets;  // label managed-by=secprov, data digests only
  std::shared_ptr<runtime::Store> managed_config_maps;  // label managed-by=secprov
  // CA key pairs in the operator namespace: only Secrets labelled secprov.io/trust-domain
  // (ca_secret_selector()), never the namespace's other Secrets.
  std::shared_ptr<runtime::Store> operator_secrets;
};

struct Context {
  std::shared_ptr<kube::Client> client;
  Stores stores;
  std::shared_ptr<runtime::EventRecorder> events;
  // For reconcilers' own metrics; null when metrics are off (unit tests).
  std::shared_ptr<prometheus::Registry> registry;
  std::string operator_namespace;
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

}  // namespace secprov::controllers

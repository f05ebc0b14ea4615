#pragma once
// What every reconciler of the operator shares: the client, the caches (stores filled by
// reflectors), the event recorder and the clock. Reconcilers read only from the stores and
// write through the client.

#include <chrono>
#include <memory>
#include <string>

#include "controllers/mappers.h"
#include "kube/client.h"
#include "runtime/clock.h"
#include "runtime/events.h"
#include "runtime/store.h"

namespace prometheus {
class Registry;
}

namespace secprov::controllers {

class CertificateFactsMemo;
class ConsistencyLedger;
class PodWatches;

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
  // The same profiles and trust domains parsed once, with the indexes of controllers/mappers.h;
  // fed by the reflectors of `profiles` and `trust_domains`. An object that does not parse is
  // only in the JSON store.
  std::shared_ptr<runtime::TypedStore<api::SecurityProfile>> typed_profiles = make_profile_store();
  std::shared_ptr<runtime::TypedStore<api::TrustDomain>> typed_trust_domains =
      make_trust_domain_store();
  // CRL ConfigMaps in the operator namespace (render::crl_config_map_selector()).
  std::shared_ptr<runtime::Store> crl_config_maps = std::make_shared<runtime::Store>();
  // Pods selected by a Sidecar profile, stripped by strip_pod (mappers.h) to what status.pods
  // and rollout read: the union of the label-selected watches of `pod_watches`.
  std::shared_ptr<runtime::Store> pods = std::make_shared<runtime::Store>();
  // Whether the watch a profile's Pods come from has listed them (PodWatches::state); null
  // (unit tests): `pods` is filled directly and always current.
  std::shared_ptr<const PodWatches> pod_watches{};
};

struct Context {
  std::shared_ptr<kube::Client> client;
  Stores stores;
  std::shared_ptr<runtime::EventRecorder> events;
  // For reconcilers' own metrics; null when metrics are off (unit tests).
  std::shared_ptr<prometheus::Registry> registry;
  std::string operator_namespace;
  // --crl-base-url: certificates issued from now on carry <base>/crl/<domain>.crl as their
  // cRLDistributionPoints; empty: none.
  std::string crl_base_url;
  // Shared by the profile and consistency controllers (consistency_controller.h); null: the
  // profile controller keeps no gauge, the consistency controller makes its own (unit tests).
  std::shared_ptr<ConsistencyLedger> consistency;
  // Shared with the managed Secrets' transform (observed.h): the facts of the certificates
  // being written. Null: each Secret's are read from it (unit tests).
  std::shared_ptr<CertificateFactsMemo> certificate_facts;
  // The one time source (tests substitute a manual clock).
  std::shared_ptr<const runtime::Clock> clock = runtime::system_clock();

  std::chrono::system_clock::time_point now() const { return clock->wall_now(); }
};

}  // namespace secprov::controllers

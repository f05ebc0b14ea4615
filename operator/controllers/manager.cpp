#include "controllers/manager.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "api/detail/syntax.h"
#include "controllers/ca_provider.h"
#include "controllers/cache_dictionary.h"
#include "controllers/consistency_controller.h"
#include "controllers/ipsec_coordination.h"
#include "controllers/mappers.h"
#include "controllers/observed.h"
#include "controllers/pod_watches.h"
#include "controllers/profile_controller.h"
#include "controllers/trust_bundle_controller.h"
#include "controllers/trust_domain_controller.h"
#include "crypto/crl.h"
#include "crypto/errors.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/trust_domain.h"
#include "runtime/object.h"
#include "runtime/own_writes.h"
#include "runtime/predicates.h"

namespace secprov::controllers {
namespace {

using runtime::ObjectPtr;

// How long a trust domain's wake-ups by its profiles' objects gather before its pass: a
// rotation's phase moves on at most this long after its last awaited object.
constexpr std::chrono::milliseconds kTrustDomainFanInWindow{500};
// The same for a namespace's trust bundle, woken by each of its profiles' passes: a burst of N
// profiles in a namespace costs a bundle pass per window instead of one per profile pass.
constexpr std::chrono::milliseconds kTrustBundleFanInWindow{500};

std::string managed_selector() {
  return std::string(render::kManagedSelector);
}

// Keeps `target` equal to the union of several reflectors' stores (one per namespace):
// each namespace relists on its own, and a relist must not drop other namespaces' objects.
runtime::EventHandlers mirror_into(std::shared_ptr<runtime::Store> target) {
  return {[target](const ObjectPtr& o) { target->upsert(o); },
          [target](const ObjectPtr&, const ObjectPtr& o) { target->upsert(o); },
          [target](const ObjectPtr& o) { target->erase(runtime::key_of(*o)); }};
}

// secprov_cache_objects{cache}: what each cache holds, so "never cached" can be observed.
runtime::EventHandlers count_into(prometheus::Gauge& gauge,
                                  std::shared_ptr<const runtime::Store> store) {
  const auto set = [&gauge, store] { gauge.Set(static_cast<double>(store->size())); };
  return {[set](const ObjectPtr&) { set(); }, [set](const ObjectPtr&, const ObjectPtr&) { set(); },
          [set](const ObjectPtr&) { set(); }};
}

runtime::Transform compacted(MetadataKept kept, runtime::Transform then = {}) {
  return [kept, then = std::move(then)](nlohmann::json object) {
    auto compact = compact_metadata(std::move(object), kept);
    // Not `then ? then(...) : compact`: the conditional operator would copy the whole tree.
    if (then) return then(std::move(compact));
    return compact;
  };
}

// The reflectors that fill one store: one for all namespaces, or one per served namespace.
struct Cache {
  std::vector<runtime::Reflector*> reflectors;

  void add_handlers(const runtime::EventHandlers& handlers) const {
    for (auto* reflector : reflectors) reflector->add_handlers(handlers);
  }
};

}  // namespace

std::variant<WatchNamespaces, InvalidWatchNamespaces> parse_watch_namespaces(
    std::string_view value) {
  if (value.empty() || value == "all") return WatchNamespaces{};
  std::set<std::string> names;
  for (std::size_t start = 0;;) {
    const auto comma = value.find(',', start);
    const auto name = value.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (name == "all") {
      return InvalidWatchNamespaces{"\"all\" cannot be combined with namespace names"};
    }
    if (name.size() > 63 || !api::detail::is_dns_label(name)) {
      return InvalidWatchNamespaces{"\"" + std::string(name) +
                                    "\" is not a namespace name (lower-case DNS label, at most "
                                    "63 characters); give \"all\" or a comma-separated list"};
    }
    names.emplace(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return WatchNamespaces{{names.begin(), names.end()}};
}

struct Manager::Parts {
  Context context;
  std::shared_ptr<CaProvider> cas;
  std::vector<std::unique_ptr<runtime::Reflector>> reflectors;
  // Not among `reflectors`: started per profile, and never waited for by caches_synced().
  std::shared_ptr<PodWatches> pod_watches;
  std::unique_ptr<SecurityProfileReconciler> profile_reconciler;
  std::unique_ptr<TrustDomainReconciler> domain_reconciler;
  std::unique_ptr<TrustBundleReconciler> bundle_reconciler;
  std::unique_ptr<runtime::Controller> profiles;
  std::unique_ptr<runtime::Controller> domains;
  std::unique_ptr<runtime::Controller> bundles;
  std::unique_ptr<ConsistencyReconciler> consistency_reconciler;
  std::unique_ptr<runtime::Controller> consistency;
  // The versions of Secrets and ConfigMaps the operator's writes returned (their echoes).
  std::shared_ptr<runtime::OwnWrites> own_writes;
  runtime::HeapReleaseOptions heap_release;
};

Manager::Manager(std::shared_ptr<kube::Client> client, ManagerOptions options)
    : parts_(std::make_unique<Parts>()) {
  auto& p = *parts_;
  const auto store = [] { return std::make_shared<runtime::Store>(); };
  // The caches with an object or more per profile keep them packed (runtime/packed.h), their
  // recurring strings as references to one dictionary.
  const auto dictionary = make_cache_dictionary();
  const auto packed_store = [&dictionary] {
    return std::make_shared<runtime::Store>(runtime::StoreForm::Packed, dictionary);
  };
  p.context.client = client;
  p.context.operator_namespace = options.operator_namespace;
  p.context.events = options.events;
  p.context.registry = options.registry;
  p.context.clock = options.clock;
  p.context.crl_base_url = options.crl_base_url;
  p.heap_release = options.heap_release;
  p.context.consistency = std::make_shared<ConsistencyLedger>(options.registry.get());
  p.context.certificate_facts = std::make_shared<CertificateFactsMemo>();
  p.context.stores = Stores{.profiles = packed_store(),
                            .trust_domains = store(),
                            .managed_secrets = packed_store(),
                            .managed_config_maps = packed_store(),
                            .operator_secrets = store(),
                            .typed_profiles = make_profile_store(),
                            .typed_trust_domains = make_trust_domain_store()};
  p.cas =
      std::make_shared<CaProvider>(p.context.stores.operator_secrets, options.operator_namespace);

  prometheus::Family<prometheus::Gauge>* cache_objects =
      options.registry ? &prometheus::BuildGauge()
                              .Name("secprov_cache_objects")
                              .Help("Objects held in each of the operator's caches")
                              .Register(*options.registry)
                       : nullptr;
  const auto& served = options.watch_namespaces;
  if (served.all()) {
    spdlog::info("serving SecurityProfiles in all namespaces");
  } else {
    std::string list;
    for (const auto& ns : served.names) list += (list.empty() ? "" : ",") + ns;
    spdlog::info("serving SecurityProfiles in namespaces {} only", list);
  }
  // `scopes`: the namespaces listed and watched ("" = all, or a cluster-scoped type).
  const auto cache = [&](const std::string& name, const kube::ResourceType& type,
                         const std::vector<std::string>& scopes, const std::string& selector,
                         const std::shared_ptr<runtime::Store>& target,
                         const runtime::Transform& transform = {}) {
    Cache result;
    for (const auto& ns : scopes) {
      runtime::ReflectorOptions reflector_options;
      reflector_options.name = scopes.size() == 1 ? name : name + "/" + ns;
      reflector_options.resync_period = options.resync_period;
      reflector_options.registry = options.registry;
      reflector_options.clock = options.clock;
      const auto own = scopes.size() == 1 ? target : store();
      spdlog::debug("cache {}: list/watch {} in {} with selector \"{}\"", name, type.plural,
                    ns.empty() ? std::string("all namespaces") : ns, selector);
      p.reflectors.push_back(std::make_unique<runtime::Reflector>(
          runtime::make_lister_watcher(client, type, ns, selector), own, reflector_options,
          transform));
      auto* reflector = p.reflectors.back().get();
      if (own != target) reflector->add_handlers(mirror_into(target));
      if (cache_objects)
        reflector->add_handlers(count_into(cache_objects->Add({{"cache", name}}), target));
      result.reflectors.push_back(reflector);
    }
    return result;
  };
  const std::vector<std::string> scopes =
      served.all() ? std::vector<std::string>{""} : served.names;
  // Profiles and trust domains are never adopted: who wrote them is of no use.
  const MetadataKept no_writers{.writers = false};
  // Profiles: the typed cache parses each whole, then the JSON one keeps it without most of
  // its status (strip_profile_status).
  const auto profiles =
      cache("securityprofiles", kube::resources::security_profiles(), scopes, "",
            p.context.stores.profiles,
            compacted(no_writers, [typed = p.context.stores.typed_profiles](nlohmann::json full) {
              return typed->admit(std::move(full), strip_profile_status);
            }));
  const auto domains = cache("trustdomains", kube::resources::trust_domains(), {""}, "",
                             p.context.stores.trust_domains, compacted(no_writers));
  // Only the operator's own objects are cached, Secrets without their private values and a
  // profile's ConfigMaps without their values (digests only).
  const auto secrets = cache("secrets", kube::resources::secrets(), scopes, managed_selector(),
                             p.context.stores.managed_secrets,
                             compacted({}, [memo = p.context.certificate_facts](nlohmann::json s) {
                               return strip_secret_data(std::move(s), memo.get());
                             }));
  const auto config_maps =
      cache("configmaps", kube::resources::config_maps(), scopes, managed_selector(),
            p.context.stores.managed_config_maps, compacted({}, strip_config_map_data));
  // Few objects, and PUT back whole (resourceVersion-conditional): their annotations stay.
  const auto keep_annotations =
      compacted({.writers = true, .last_applied = true, .creation_time = true});
  // CA key pairs only: their keys are needed in full, so nothing else may enter this cache.
  const auto ca_secrets =
      cache("ca-secrets", kube::resources::secrets(), {options.operator_namespace},
            ca_secret_selector(), p.context.stores.operator_secrets, keep_annotations);
  // The trust domains' CRL ConfigMaps: the operator namespace's ConfigMaps labelled
  // component=crl only (also when that namespace is not served).
  const auto crl_config_maps =
      cache("crl-configmaps", kube::resources::config_maps(), {options.operator_namespace},
            render::crl_config_map_selector(), p.context.stores.crl_config_maps, keep_annotations);
  // Pods (issue 9, status.pods and rollout): only those a Sidecar profile selects, one
  // list/watch per distinct namespace and selector (pod_watches.h), started and stopped as the
  // profiles come and go; stripped to names, labels, annotations, owners and container names.
  PodWatchesOptions pod_options;
  pod_options.resync_period = options.resync_period;
  pod_options.registry = options.registry;
  pod_options.objects = cache_objects ? &cache_objects->Add({{"cache", "pods"}}) : nullptr;
  pod_options.clock = options.clock;
  p.pod_watches = std::make_shared<PodWatches>(
      [client](const PodWatchKey& key) {
        return runtime::make_lister_watcher(client, kube::resources::pods(), key.ns, key.selector);
      },
      p.context.stores.pods, pod_options, strip_pod);
  p.context.stores.pod_watches = p.pod_watches;
  // The typed caches first: the handlers added below look keys up in their indexes.
  profiles.add_handlers(runtime::sync_handlers(p.context.stores.typed_profiles));
  domains.add_handlers(runtime::sync_handlers(p.context.stores.typed_trust_domains));
  // Then the Pod watches a profile needs, so they exist when its reconcile asks for them.
  profiles.add_handlers(p.pod_watches->profile_handlers(p.context.stores.typed_profiles));

  Parts* const parts = &p;
  p.domain_reconciler = std::make_unique<TrustDomainReconciler>(p.context, p.cas);
  p.bundle_reconciler = std::make_unique<TrustBundleReconciler>(p.context, p.cas);
  p.profile_reconciler = std::make_unique<SecurityProfileReconciler>(
      p.context, p.cas, [parts](const std::string& ns, const std::string& domain) {
        // A namespace's first profile gets its bundle at once (its security.yaml names it for
        // peers); afterwards a profile's pass only rechecks it, with the others of the window.
        const bool published = parts->context.stores.managed_config_maps->get(
                                   {ns, render::trust_bundle_name(domain)}) != nullptr;
        if (published) {
          parts->bundles->enqueue_batched({ns, domain}, kTrustBundleFanInWindow);
        } else {
          parts->bundles->enqueue({ns, domain});
        }
      });

  runtime::ControllerOptions controller_options;
  controller_options.workers = options.workers;
  controller_options.clock = options.clock;
  p.profiles = std::make_unique<runtime::Controller>("securityprofile", *p.profile_reconciler,
                                                     controller_options, options.registry);
  p.domains = std::make_unique<runtime::Controller>("trustdomain", *p.domain_reconciler,
                                                    controller_options, options.registry);
  p.bundles = std::make_unique<runtime::Controller>("trustbundle", *p.bundle_reconciler,
                                                    controller_options, options.registry);
  p.consistency_reconciler = std::make_unique<ConsistencyReconciler>(p.context);
  p.consistency = std::make_unique<runtime::Controller>("consistency", *p.consistency_reconciler,
                                                        controller_options, options.registry);

  // SecurityProfile: its own events, and those of the objects it owns. Not the echoes of its
  // own writes, which would each cost a pass that renders and digests again to change
  // nothing: its status writes (filtered by the predicate) and the versions of its Secrets and
  // ConfigMaps its writes returned (only the profile controller writes profile-owned ones).
  // Anyone else's edit of them still enqueues: drift.
  p.own_writes = std::make_shared<runtime::OwnWrites>(std::set<std::string>{
      kube::resources::secrets().api_version() + "/" + kube::resources::secrets().kind,
      kube::resources::config_maps().api_version() + "/" + kube::resources::config_maps().kind});
  const auto own = std::weak_ptr<runtime::OwnWrites>(p.own_writes);
  client->add_write_observer(kube::Client::WriteObserver{
      .sending =
          [own](const kube::WriteTarget& target) {
            if (const auto writes = own.lock()) writes->sending(target);
          },
      .answered =
          [own](const kube::WriteTarget& target, const nlohmann::json* written) {
            if (const auto writes = own.lock()) writes->answered(target, written);
          }});
  profiles.add_handlers(p.profiles->handler_for_primary(runtime::spec_or_metadata_changed));
  // A profile gone: what its reconciler remembers of it (nothing else says so when the profile
  // had no finalizer).
  profiles.add_handlers(runtime::EventHandlers{
      .on_delete = [reconciler = p.profile_reconciler.get()](const ObjectPtr& object) {
        reconciler->forget(runtime::uid_of(*object));
      }});
  secrets.add_handlers(
      p.profiles->handler_for_owned("secprov.io/v1alpha1", "SecurityProfile", p.own_writes));
  config_maps.add_handlers(
      p.profiles->handler_for_owned("secprov.io/v1alpha1", "SecurityProfile", p.own_writes));
  secrets.add_handlers(p.profiles->handler_for_mapped(profile_of_orphaned_certificate_secret));
  const auto typed_profiles = p.context.stores.typed_profiles;
  const auto typed_domains = p.context.stores.typed_trust_domains;
  // A trust domain's change (its CA) reaches every profile using it and every bundle; not a
  // rotation's progress report, which changes nothing they read.
  domains.add_handlers(p.profiles->handler_for_mapped(
      [typed_profiles](const nlohmann::json& domain) {
        return profiles_of_trust_domain(*typed_profiles, domain);
      },
      trust_domain_changed_beyond_progress));
  domains.add_handlers(p.bundles->handler_for_mapped(
      [typed_profiles](const nlohmann::json& domain) {
        return bundles_of_trust_domain(*typed_profiles, domain);
      },
      trust_domain_changed_beyond_progress));
  domains.add_handlers(p.domains->handler_for_primary(trust_domain_changed_beyond_progress));
  // A CA key pair Secret's change reaches the trust domains that use it.
  ca_secrets.add_handlers(
      p.domains->handler_for_mapped([typed_domains](const nlohmann::json& secret) {
        return trust_domains_of_ca_secret(*typed_domains, secret);
      }));
  // A rotation is woken by what it waits for (trust_domain_controller.h): its next key pair
  // (by label), and while it runs, bundles and Sidecar profiles' status.pods (leaves below).
  ca_secrets.add_handlers(
      p.domains->handler_for_mapped([typed_domains](const nlohmann::json& secret) {
        return trust_domain_of_leaf_secret(*typed_domains, secret);
      }));
  // Those are a fan-in: every profile's objects to its one domain, whose pass reads them all.
  // Batched (kTrustDomainFanInWindow), a rotation of N profiles costs a domain pass per
  // window instead of one per event (O(N) passes of O(N) each).
  config_maps.add_handlers(p.domains->handler_for_mapped(
      [typed_domains](const nlohmann::json& config_map) {
        return trust::rotating_domain_of_object(*typed_domains, config_map);
      },
      {}, kTrustDomainFanInWindow));
  profiles.add_handlers(p.domains->handler_for_mapped(
      [typed_domains](const nlohmann::json& profile) {
        return trust::rotating_domains_of_profile(*typed_domains, profile);
      },
      {}, kTrustDomainFanInWindow));
  // A CRL ConfigMap edited, deleted, or given a revocation: its trust domain signs again.
  crl_config_maps.add_handlers(
      p.domains->handler_for_mapped([typed_domains](const nlohmann::json& config_map) {
        return trust_domain_of_leaf_secret(*typed_domains, config_map);
      }));
  // A CRL published: the trust bundles of its domain carry it (ca.crl).
  const auto domain_objects = p.context.stores.trust_domains;
  crl_config_maps.add_handlers(p.bundles->handler_for_mapped(
      [typed_domains, typed_profiles, domain_objects](const nlohmann::json& config_map) {
        std::vector<runtime::ObjectKey> bundles;
        for (const auto& key : trust_domain_of_leaf_secret(*typed_domains, config_map)) {
          if (const auto domain = domain_objects->get(key)) {
            auto more = bundles_of_trust_domain(*typed_profiles, *domain);
            bundles.insert(bundles.end(), more.begin(), more.end());
          }
        }
        return bundles;
      }));
  // A selected Pod created, relabelled, injected or gone: its profiles' status.pods.
  p.pod_watches->add_handlers(
      p.profiles->handler_for_mapped([typed_profiles](const nlohmann::json& pod) {
        return profiles_of_pod(*typed_profiles, pod);
      }));
  // Trust bundles: profiles coming and going, and edits of the bundle itself (a ConfigMap
  // of a trust domain that no profile owns; it may be owned by its TrustDomain).
  // Only what a bundle reads: a profile's reference, existence and deletion (not its status).
  profiles.add_handlers(p.bundles->handler_for_mapped(
      bundle_of_profile, runtime::spec_or_metadata_changed, kTrustBundleFanInWindow));
  config_maps.add_handlers(p.bundles->handler_for_mapped(bundle_of_config_map));
  // A leaf reissued during a CA replacement may end the overlap of the old and new CA.
  secrets.add_handlers(p.domains->handler_for_mapped(
      [typed_domains](const nlohmann::json& secret) {
        return trust_domain_of_leaf_secret(*typed_domains, secret);
      },
      {}, kTrustDomainFanInWindow));
  // An NRF's profile or its access-token signing Secret reaches the OAuth2 producers that
  // verify its tokens (their nrf.crt and OAuth2 readiness).
  profiles.add_handlers(
      p.profiles->handler_for_mapped([typed_profiles](const nlohmann::json& profile) {
        return producers_of_nrf(*typed_profiles, profile);
      }));
  secrets.add_handlers(
      p.profiles->handler_for_mapped([typed_profiles](const nlohmann::json& secret) {
        return producers_of_signing_secret(*typed_profiles, secret);
      }));
  // An IPsec peer's spec change may release a held IPsec change (ipsec_coordination.h).
  profiles.add_handlers(
      p.profiles->handler_for_mapped([typed_profiles](const nlohmann::json& profile) {
        return ipsec_peers_of_profile(*typed_profiles, profile);
      }));
  // Consistency (issue 11): a profile and its peers on a change that can matter to them; the
  // profiles of a trust domain whose CAs changed.
  auto* const consistency = p.consistency.get();
  const auto enqueue_consistency = [typed_profiles, consistency, ledger = p.context.consistency](
                                       const ObjectPtr& old_object, const ObjectPtr& object) {
    for (const auto& key : consistency_keys(*typed_profiles, *ledger, old_object.get(), *object)) {
      consistency->enqueue(key);
    }
  };
  profiles.add_handlers(
      {[enqueue_consistency](const ObjectPtr& o) { enqueue_consistency({}, o); },
       enqueue_consistency,
       [enqueue_consistency](const ObjectPtr& o) { enqueue_consistency({}, o); }});
  domains.add_handlers(p.consistency->handler_for_mapped(
      [typed_profiles](const nlohmann::json& domain) {
        return profiles_of_trust_domain(*typed_profiles, domain);
      },
      trust_domain_changed_beyond_progress));
}

Manager::~Manager() {
  stop_caches();
}

void Manager::start_caches() {
  parts_->pod_watches->start();
  for (const auto& reflector : parts_->reflectors) {
    cache_threads_.emplace_back(
        [reflector = reflector.get()](std::stop_token stop) { reflector->run(stop); });
  }
}

bool Manager::caches_synced() const {
  for (const auto& reflector : parts_->reflectors) {
    if (!reflector->has_synced()) return false;
  }
  return true;
}

void Manager::run_controllers(std::stop_token stop) {
  std::vector<std::function<bool()>> synced;
  for (const auto& reflector : parts_->reflectors) {
    synced.push_back([r = reflector.get()] { return r->has_synced(); });
  }
  spdlog::info("starting controllers");
  const std::vector<runtime::Controller*> controllers{parts_->domains.get(), parts_->profiles.get(),
                                                      parts_->bundles.get(),
                                                      parts_->consistency.get()};
  std::vector<std::jthread> threads;
  for (auto* controller : controllers) {
    threads.emplace_back([controller, stop, synced] { controller->run(stop, synced); });
  }
  threads.emplace_back([this, stop, controllers] {
    runtime::run_heap_release(stop, *parts_->context.clock, parts_->heap_release, [&controllers] {
      std::uint64_t total = 0;
      for (const auto* controller : controllers) total += controller->passes();
      return total;
    });
  });
  threads.clear();  // joins: each run() returns once its queue drained after stop
  spdlog::info("controllers stopped");
}

std::optional<std::string> Manager::crl_der(std::string_view trust_domain) const {
  const auto& p = *parts_;
  const auto object = p.context.stores.crl_config_maps->get(
      {p.context.operator_namespace, render::crl_config_map_name(trust_domain)});
  if (!object ||
      runtime::label_of(*object, render::kTrustDomainLabel) != render::label_value(trust_domain)) {
    return std::nullopt;
  }
  const auto data = object->value("data", nlohmann::json::object());
  const auto pem =
      data.is_object() ? data.value(std::string(render::kCrlKey), std::string{}) : std::string{};
  if (pem.empty()) return std::nullopt;
  try {
    return crypto::CertificateRevocationList::from_pem(pem).der();
  } catch (const crypto::CryptoError&) {
    return std::nullopt;
  }
}

std::shared_ptr<const ProfileStore> Manager::profiles() const {
  return parts_->context.stores.typed_profiles;
}

void Manager::stop_caches() {
  for (auto& thread : cache_threads_) thread.request_stop();
  cache_threads_.clear();
  // After the profile cache stopped: no profile event starts a Pod watch any more.
  parts_->pod_watches->stop();
}

}  // namespace secprov::controllers

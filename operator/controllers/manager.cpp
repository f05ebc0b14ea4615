#include "controllers/manager.h"

#include <spdlog/spdlog.h>

#include "api/trustdomain.h"
#include "controllers/ca_provider.h"
#include "controllers/observed.h"
#include "controllers/profile_controller.h"
#include "controllers/trust_bundle_controller.h"
#include "controllers/trust_domain_controller.h"
#include "render/labels.h"
#include "runtime/object.h"

namespace secprov::controllers {
namespace {

using runtime::ObjectPtr;

std::string managed_selector() {
  return std::string(render::kManagedSelector);
}

std::string trust_domain_of_profile(const nlohmann::json& profile) {
  return profile.value("spec", nlohmann::json::object())
      .value("trustDomainRef", nlohmann::json::object())
      .value("name", std::string{});
}

// Calls `f` for the object of each event (both versions on update).
runtime::EventHandlers on_each(std::function<void(const nlohmann::json&)> f) {
  return {[f](const ObjectPtr& o) { f(*o); },
          [f](const ObjectPtr& old_object, const ObjectPtr& new_object) {
            f(*old_object);
            f(*new_object);
          },
          [f](const ObjectPtr& o) { f(*o); }};
}

}  // namespace

struct Manager::Parts {
  Context context;
  std::shared_ptr<CaProvider> cas;
  std::vector<std::unique_ptr<runtime::Reflector>> reflectors;
  std::unique_ptr<SecurityProfileReconciler> profile_reconciler;
  std::unique_ptr<TrustDomainReconciler> domain_reconciler;
  std::unique_ptr<TrustBundleReconciler> bundle_reconciler;
  std::unique_ptr<runtime::Controller> profiles;
  std::unique_ptr<runtime::Controller> domains;
  std::unique_ptr<runtime::Controller> bundles;
};

Manager::Manager(std::shared_ptr<kube::Client> client, ManagerOptions options)
    : parts_(std::make_unique<Parts>()) {
  auto& p = *parts_;
  const auto store = [] {
    return std::make_shared<runtime::Store>(runtime::StoreOptions{.indexed_labels = {}});
  };
  p.context.client = client;
  p.context.operator_namespace = options.operator_namespace;
  p.context.events = options.events;
  p.context.stores = Stores{store(), store(), store(), store(), store()};
  p.cas =
      std::make_shared<CaProvider>(p.context.stores.operator_secrets, options.operator_namespace);

  const auto reflector = [&](const std::string& name, const kube::ResourceType& type,
                             const std::string& ns, const std::string& selector,
                             const std::shared_ptr<runtime::Store>& target,
                             runtime::Transform transform = {}) {
    runtime::ReflectorOptions reflector_options;
    reflector_options.name = name;
    reflector_options.resync_period = options.resync_period;
    reflector_options.registry = options.registry;
    p.reflectors.push_back(std::make_unique<runtime::Reflector>(
        runtime::make_lister_watcher(client, type, ns, selector), target, reflector_options,
        std::move(transform)));
    return p.reflectors.back().get();
  };
  auto* profiles = reflector("securityprofiles", kube::resources::security_profiles(), "", "",
                             p.context.stores.profiles);
  auto* domains = reflector("trustdomains", kube::resources::trust_domains(), "", "",
                            p.context.stores.trust_domains);
  // Only the operator's own objects are cached, and Secrets without their private values.
  auto* secrets = reflector("secrets", kube::resources::secrets(), "", managed_selector(),
                            p.context.stores.managed_secrets, strip_secret_data);
  auto* config_maps = reflector("configmaps", kube::resources::config_maps(), "",
                                managed_selector(), p.context.stores.managed_config_maps);
  auto* ca_secrets = reflector("ca-secrets", kube::resources::secrets(), options.operator_namespace,
                               "", p.context.stores.operator_secrets);

  Parts* const parts = &p;
  p.domain_reconciler = std::make_unique<TrustDomainReconciler>(p.context, p.cas);
  p.bundle_reconciler = std::make_unique<TrustBundleReconciler>(p.context, p.cas);
  p.profile_reconciler = std::make_unique<SecurityProfileReconciler>(
      p.context, p.cas, [parts](const std::string& ns, const std::string& domain) {
        parts->bundles->enqueue({ns, domain});
      });

  runtime::ControllerOptions controller_options;
  controller_options.workers = options.workers;
  p.profiles = std::make_unique<runtime::Controller>("securityprofile", *p.profile_reconciler,
                                                     controller_options, options.registry);
  p.domains = std::make_unique<runtime::Controller>("trustdomain", *p.domain_reconciler,
                                                    controller_options, options.registry);
  p.bundles = std::make_unique<runtime::Controller>("trustbundle", *p.bundle_reconciler,
                                                    controller_options, options.registry);

  // SecurityProfile: its own events, and those of the objects it owns.
  profiles->add_handlers(p.profiles->handler_for_primary());
  secrets->add_handlers(p.profiles->handler_for_owned("secprov.io/v1alpha1", "SecurityProfile"));
  config_maps->add_handlers(
      p.profiles->handler_for_owned("secprov.io/v1alpha1", "SecurityProfile"));
  // A trust domain's change (its CA) reaches every profile using it and every bundle.
  domains->add_handlers(on_each([parts](const nlohmann::json& domain) {
    const std::string name = domain["metadata"].value("name", std::string{});
    for (const auto& profile : parts->context.stores.profiles->list()) {
      if (trust_domain_of_profile(*profile) == name)
        parts->profiles->enqueue(runtime::key_of(*profile));
    }
    for (const auto& ns : namespaces_using(*parts->context.stores.profiles, name)) {
      parts->bundles->enqueue({ns, name});
    }
  }));
  domains->add_handlers(p.domains->handler_for_primary());
  // A CA key pair Secret's change reaches the trust domains that use it.
  ca_secrets->add_handlers(on_each([parts](const nlohmann::json& secret) {
    const std::string name = secret["metadata"].value("name", std::string{});
    for (const auto& object : parts->context.stores.trust_domains->list()) {
      const auto domain = api::parse_trust_domain(*object);
      if (domain && ca_secret_name(domain.value()) == name) {
        parts->domains->enqueue(runtime::key_of(*object));
      }
    }
  }));
  // Trust bundles: profiles coming and going, and edits of the bundle itself.
  profiles->add_handlers(on_each([parts](const nlohmann::json& profile) {
    parts->bundles->enqueue(
        {profile["metadata"].value("namespace", std::string{}), trust_domain_of_profile(profile)});
  }));
  config_maps->add_handlers(on_each([parts](const nlohmann::json& config_map) {
    const auto domain = runtime::label_of(config_map, render::kTrustDomainLabel);
    if (domain && !config_map["metadata"].contains("ownerReferences")) {
      parts->bundles->enqueue({config_map["metadata"].value("namespace", std::string{}), *domain});
    }
  }));
}

Manager::~Manager() {
  stop_caches();
}

void Manager::start_caches() {
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
  std::vector<std::jthread> threads;
  for (auto* controller : {parts_->domains.get(), parts_->profiles.get(), parts_->bundles.get()}) {
    threads.emplace_back([controller, stop, synced] { controller->run(stop, synced); });
  }
  threads.clear();  // joins: each run() returns once its queue drained after stop
  spdlog::info("controllers stopped");
}

void Manager::stop_caches() {
  for (auto& thread : cache_threads_) thread.request_stop();
  cache_threads_.clear();
}

}  // namespace secprov::controllers

#include "controllers/trust_bundle_controller.h"

#include <set>

#include "api/trustdomain.h"
#include "render/names.h"
#include "render/tls.h"

namespace secprov::controllers {
namespace {

bool uses_domain(const nlohmann::json& profile, const std::string& domain) {
  if (profile["metadata"].contains("deletionTimestamp")) return false;
  const auto spec = profile.value("spec", nlohmann::json::object());
  return spec.value("trustDomainRef", nlohmann::json::object()).value("name", std::string{}) ==
         domain;
}

}  // namespace

std::vector<std::string> namespaces_using(const runtime::Store& profiles,
                                          const std::string& domain) {
  std::set<std::string> namespaces;
  for (const auto& profile : profiles.list()) {
    if (uses_domain(*profile, domain))
      namespaces.insert((*profile)["metadata"].value("namespace", ""));
  }
  return {namespaces.begin(), namespaces.end()};
}

TrustBundleReconciler::TrustBundleReconciler(Context context, std::shared_ptr<CaProvider> cas)
    : context_(std::move(context)), cas_(std::move(cas)) {}

runtime::ReconcileResult TrustBundleReconciler::reconcile(const runtime::ObjectKey& key) {
  const std::string& ns = key.ns;
  const std::string& domain_name = key.name;
  const std::string name = render::trust_bundle_name(domain_name);
  const auto cached = context_.stores.managed_config_maps->get({ns, name});

  bool used = false;
  for (const auto& profile : context_.stores.profiles->list(ns)) {
    used = used || uses_domain(*profile, domain_name);
  }
  const auto domain_object = context_.stores.trust_domains->get({"", domain_name});
  if (!used || !domain_object) {
    if (cached) {
      try {
        context_.client->remove(kube::resources::config_maps(), ns, name);
      } catch (const kube::ApiError& e) {
        if (!kube::is_not_found(e)) throw;
      }
    }
    return runtime::ReconcileResult::Done();
  }
  const auto domain = api::parse_trust_domain(*domain_object);
  if (!domain) return runtime::ReconcileResult::Done();
  const auto ca = cas_->get(domain.value(), context_.now());
  if (!ca.ca) return runtime::ReconcileResult::Done();  // the trust domain reports why

  const auto desired =
      render::trust_bundle_config_map(domain_name, ns, ca.ca->certificate().to_pem());
  if (cached) {
    // Keys and labels that other tools add are theirs; only the operator's are compared.
    bool intact = true;
    const auto data = (*cached).value("data", nlohmann::json::object());
    for (const auto& [data_key, value] : desired["data"].items()) {
      intact = intact && data.value(data_key, nlohmann::json()) == value;
    }
    const auto labels = (*cached)["metadata"].value("labels", nlohmann::json::object());
    for (const auto& [label, value] : desired["metadata"]["labels"].items()) {
      intact = intact && labels.value(label, nlohmann::json()) == value;
    }
    if (intact) return runtime::ReconcileResult::Done();
  }
  context_.client->apply(
      kube::resources::config_maps(), ns, desired,
      kube::ApplyOptions{.field_manager = kFieldManager, .force = cached != nullptr});
  return runtime::ReconcileResult::Done();
}

}  // namespace secprov::controllers

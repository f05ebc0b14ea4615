#include "controllers/trust_bundle_controller.h"

#include <algorithm>
#include <set>

#include "api/trustdomain.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/tls.h"
#include "render/trust_domain.h"
#include "runtime/object.h"

namespace secprov::controllers {
namespace {

std::string trust_domain_ref(const nlohmann::json& profile) {
  return runtime::string_at(profile, {"spec", "trustDomainRef", "name"});
}

// Read from the cached JSON: a profile that does not parse still has its bundle.
bool uses_domain(const nlohmann::json& profile, const std::string& domain) {
  if (runtime::find_at(profile, {"metadata", "deletionTimestamp"}) != nullptr) return false;
  // A SEPP's interconnect domain too (spec.n32.trustDomainRef): its N32 roots are published.
  return trust_domain_ref(profile) == domain ||
         runtime::string_at(profile, {"spec", "n32", "trustDomainRef", "name"}) == domain;
}

// A foreign bundle is looked at again now and then: when it goes, the watch of managed
// ConfigMaps does not see it (it never carried the label).
constexpr std::chrono::minutes kForeignRecheck{5};

}  // namespace

std::vector<std::string> namespaces_using(const ProfileStore& profiles, const std::string& domain) {
  std::set<std::string> namespaces;
  for (auto& key : profiles.keys_by_index(index::kProfileTrustDomain, domain)) {
    namespaces.insert(std::move(key.ns));
  }
  for (const auto& profile : profiles.unparsed()) {
    if (trust_domain_ref(*profile) == domain) {
      namespaces.insert(runtime::string_at(*profile, {"metadata", "namespace"}));
    }
  }
  return {namespaces.begin(), namespaces.end()};
}

std::optional<runtime::ObjectKey> trust_bundle_key(const nlohmann::json& config_map) {
  const auto key = runtime::try_key_of(config_map);
  if (!key) return std::nullopt;
  for (const auto& reference : runtime::owner_references_of(config_map)) {
    if (reference.controller && trust::is_trust_domain_reference(reference) &&
        key->name == render::trust_bundle_name(reference.name)) {
      return runtime::ObjectKey{key->ns, reference.name};
    }
  }
  const auto label = runtime::label_of(config_map, render::kTrustDomainLabel);
  constexpr std::string_view kSuffix = "-ca";
  if (!label || !key->name.ends_with(kSuffix)) return std::nullopt;
  const std::string domain = key->name.substr(0, key->name.size() - kSuffix.size());
  if (render::label_value(domain) != *label) return std::nullopt;
  return runtime::ObjectKey{key->ns, domain};
}

TrustBundleReconciler::TrustBundleReconciler(Context context, std::shared_ptr<CaProvider> cas)
    : context_(std::move(context)), cas_(std::move(cas)) {}

std::optional<nlohmann::json> TrustBundleReconciler::fetch(const std::string& ns,
                                                           const std::string& name) {
  // Only for a name that exists but is not in the cache.
  return context_.client->list_one(kube::resources::config_maps(), ns, name);
}

std::string TrustBundleReconciler::published_crl(const std::string& domain,
                                                 const std::string& domain_uid) const {
  const auto crl = context_.stores.crl_config_maps->get(
      {context_.operator_namespace, render::crl_config_map_name(domain)});
  // Only the domain's own: a foreign ConfigMap of that name publishes nothing for it.
  if (!crl || trust::crl_ownership(*crl, domain, domain_uid) != trust::Ownership::Ours) return {};
  const auto data = crl->value("data", nlohmann::json::object());
  if (!data.is_object()) return {};
  return data.value(std::string(render::kCrlKey), std::string{});
}

bool TrustBundleReconciler::in_use(const std::string& ns, const std::string& domain) const {
  // The index finds the candidates; the cached JSON says whether each is being deleted (and
  // confirms the reference, should the index be a moment behind).
  const auto& typed = *context_.stores.typed_profiles;
  const auto value = index::namespace_trust_domain(ns, domain);
  const auto uses = [&](const runtime::ObjectKey& key) {
    const auto profile = context_.stores.profiles->get(key);
    return profile && uses_domain(*profile, domain);
  };
  // The first candidates settle it in nearly every pass (a profile being deleted is rare).
  // Copying every key each time made a burst of n profiles in one namespace cost O(n^2): a
  // bundle pass follows each profile's.
  constexpr std::size_t kFirstCandidates = 8;
  const auto first =
      typed.keys_by_index(index::kProfileNamespaceTrustDomain, value, kFirstCandidates);
  if (std::ranges::any_of(first, uses)) return true;
  if (first.size() == kFirstCandidates &&
      std::ranges::any_of(typed.keys_by_index(index::kProfileNamespaceTrustDomain, value), uses)) {
    return true;
  }
  for (const auto& profile : typed.unparsed(ns)) {
    if (uses_domain(*profile, domain)) return true;
  }
  return false;
}

runtime::ReconcileResult TrustBundleReconciler::report_foreign(const nlohmann::json* domain_object,
                                                               const std::string& ns,
                                                               const std::string& name) {
  if (domain_object != nullptr) {
    context_.events->record(
        *domain_object, runtime::EventType::Warning, "TrustBundleConflict",
        "ConfigMap " + ns + "/" + name + " exists and is not this TrustDomain's (no " +
            std::string(render::kManagedByLabel) +
            "=secprov label or no controller ownerReference to the TrustDomain): left unchanged, "
            "the trust bundle is not published there");
  }
  return runtime::ReconcileResult::RequeueAfter(kForeignRecheck);
}

runtime::ReconcileResult TrustBundleReconciler::reconcile(const runtime::ObjectKey& key) {
  const std::string& ns = key.ns;
  const std::string& domain_name = key.name;
  const std::string name = render::trust_bundle_name(domain_name);
  const auto cached = context_.stores.managed_config_maps->get({ns, name});

  const bool used = in_use(ns, domain_name);
  const auto domain_object = context_.stores.trust_domains->get({"", domain_name});
  const std::string domain_uid = domain_object ? runtime::uid_of(*domain_object) : std::string{};
  if (!used || !domain_object) {
    if (!cached) return runtime::ReconcileResult::Done();
    if (trust::bundle_ownership(*cached, domain_name, domain_uid) != trust::Ownership::Ours) {
      // Not ours to delete. Reported only while the domain is in use here: an unused foreign
      // ConfigMap of that name is no concern of the operator's.
      return runtime::ReconcileResult::Done();
    }
    kube::DeleteOptions options;
    // The UID precondition: an object recreated under this name meanwhile is not touched.
    options.precondition_uid = runtime::uid_of(*cached);
    try {
      context_.client->remove(kube::resources::config_maps(), ns, name, options);
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e) && e.kind() != kube::ErrorKind::Conflict) throw;
    }
    return runtime::ReconcileResult::Done();
  }
  const auto domain = context_.stores.typed_trust_domains->parsed(*domain_object);
  if (!domain) return runtime::ReconcileResult::Done();
  const auto ca = cas_->get(*domain, context_.now());
  if (!ca.ca) return runtime::ReconcileResult::Done();  // the trust domain reports why
  // Only the CA accepted for issuing is published: a changed key pair waits for the user.
  if (ca.ca->certificate().sha256_fingerprint() != domain->status.ca_fingerprint) {
    return runtime::ReconcileResult::Done();
  }

  const auto desired = render::trust_bundle_config_map(
      domain_name, ns,
      api::trust_bundle_pem(ca.ca->certificate_pem(), domain->status,
                            std::chrono::time_point_cast<std::chrono::seconds>(context_.now())),
      render::trust_domain_owner_reference(domain_name, domain_uid),
      published_crl(domain_name, domain_uid));
  std::optional<nlohmann::json> existing;
  if (cached) {
    existing = *cached;
  } else {
    try {
      // Create, not apply: server-side apply would merge into a foreign object of that name.
      context_.client->create(kube::resources::config_maps(), ns, desired);
      return runtime::ReconcileResult::Done();
    } catch (const kube::ApiError& e) {
      if (!kube::is_already_exists(e)) throw;
    }
    // Not in the cache of managed ConfigMaps: someone else's, or ours with the cache behind.
    existing = fetch(ns, name);
  }
  if (!existing) return runtime::ReconcileResult::Requeue();  // gone meanwhile: create again
  const auto ownership = trust::bundle_ownership(*existing, domain_name, domain_uid);
  if (ownership == trust::Ownership::Foreign) {
    return report_foreign(domain_object.get(), ns, name);
  }
  if (ownership == trust::Ownership::Ours) {
    // Keys and labels that other tools add are theirs; only the operator's are compared.
    bool intact = true;
    const auto data = existing->value("data", nlohmann::json::object());
    for (const auto& [data_key, value] : desired["data"].items()) {
      intact = intact && data.value(data_key, nlohmann::json()) == value;
    }
    for (const auto& [label, value] : desired["metadata"]["labels"].items()) {
      intact = intact && runtime::label_of(*existing, label) == value.get<std::string>();
    }
    if (intact) return runtime::ReconcileResult::Done();
  }
  context_.client->apply(kube::resources::config_maps(), ns, desired,
                         kube::ApplyOptions{.field_manager = kFieldManager, .force = true});
  return runtime::ReconcileResult::Done();
}

}  // namespace secprov::controllers

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controllers/ca_provider.h"
#include "controllers/context.h"
#include "controllers/mappers.h"
#include "controllers/ownership.h"
#include "runtime/controller.h"

namespace secprov::controllers {

// Owns the "<trustdomain>-ca" ConfigMap in each namespace: present, with the trust bundle
// (the accepted CA plus previous CAs in overlap, api::trust_bundle_pem), while a
// SecurityProfile there uses the trust domain; removed when none does, and only when it is
// the operator's (trust::Ownership::Ours). Keys are {namespace, trust domain name}.
class TrustBundleReconciler final : public runtime::Reconciler {
 public:
  TrustBundleReconciler(Context context, std::shared_ptr<CaProvider> cas);
  runtime::ReconcileResult reconcile(const runtime::ObjectKey& key) override;

 private:
  runtime::ReconcileResult report_foreign(const nlohmann::json* domain_object,
                                          const std::string& ns, const std::string& name);
  std::optional<nlohmann::json> fetch(const std::string& ns, const std::string& name);
  // ca.crl of the domain's own CRL ConfigMap (cache); empty when none is published yet.
  std::string published_crl(const std::string& domain, const std::string& domain_uid) const;
  // Whether a profile in `ns` (not being deleted) references `domain`: an index lookup.
  bool in_use(const std::string& ns, const std::string& domain) const;

  Context context_;
  std::shared_ptr<CaProvider> cas_;
};

// The namespaces whose profiles reference `domain` (for fan-out when a CA changes), ordered:
// an index lookup, plus the profiles that do not parse (their bundle stays while their spec
// is fixed). Profiles being deleted are included; the bundle reconciler tells them apart.
// O(log P + k log k + u) for k users of the domain and u unparsed profiles.
std::vector<std::string> namespaces_using(const ProfileStore& profiles, const std::string& domain);

// The bundle key {namespace, trust domain} of a ConfigMap event: its TrustDomain
// ownerReference, else (an older operator's bundle) its trust-domain label when the name is
// "<domain>-ca". nullopt for other ConfigMaps.
std::optional<runtime::ObjectKey> trust_bundle_key(const nlohmann::json& config_map);

}  // namespace secprov::controllers

#pragma once

#include <memory>

#include "controllers/ca_provider.h"
#include "controllers/context.h"
#include "runtime/controller.h"

namespace secprov::controllers {

// Owns the "<trustdomain>-ca" ConfigMap in each namespace: present, with the CA bundle,
// while a SecurityProfile there uses the trust domain; removed when none does.
// Keys are {namespace, trust domain name}.
class TrustBundleReconciler final : public runtime::Reconciler {
 public:
  TrustBundleReconciler(Context context, std::shared_ptr<CaProvider> cas);
  runtime::ReconcileResult reconcile(const runtime::ObjectKey& key) override;

 private:
  Context context_;
  std::shared_ptr<CaProvider> cas_;
};

// The namespaces whose profiles use `domain` (for fan-out when a CA changes).
std::vector<std::string> namespaces_using(const runtime::Store& profiles,
                                          const std::string& domain);

}  // namespace secprov::controllers

#pragma once

#include <memory>

#include "controllers/ca_provider.h"
#include "controllers/context.h"
#include "runtime/controller.h"

namespace secprov::controllers {

// Owns a TrustDomain's CA key pair Secret (when generated) and the TrustDomain status:
// CA fingerprint, notAfter, Secret name and the Ready/Stalled conditions.
class TrustDomainReconciler final : public runtime::Reconciler {
 public:
  TrustDomainReconciler(Context context, std::shared_ptr<CaProvider> cas);
  runtime::ReconcileResult reconcile(const runtime::ObjectKey& key) override;

 private:
  void generate_ca(const api::TrustDomain& domain, const nlohmann::json& object);

  Context context_;
  std::shared_ptr<CaProvider> cas_;
};

}  // namespace secprov::controllers

#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "controllers/ca_provider.h"
#include "controllers/context.h"
#include "controllers/drift.h"
#include "runtime/controller.h"

namespace secprov::controllers {

// Reconciles one SecurityProfile into its generated objects and owns its status.
// The work is split in steps that each own one generated object (TLS Secret, settings
// ConfigMap, IPsec Secret); the reconciler composes their outcomes into one status, written
// once and only when it changed. The namespace's trust bundle is the TrustBundleReconciler's.
class SecurityProfileReconciler final : public runtime::Reconciler {
 public:
  using BundleNotifier = std::function<void(const std::string& ns, const std::string& domain)>;
  SecurityProfileReconciler(Context context, std::shared_ptr<CaProvider> cas,
                            BundleNotifier bundle_changed);
  runtime::ReconcileResult reconcile(const runtime::ObjectKey& key) override;

  // What one step did to its object, for status.
  struct Outcome {
    std::optional<api::GeneratedObject> object;  // absent: the object is not wanted
    Assessment assessment;
    bool wrote = false;
    std::optional<api::CertificateStatus> certificate;
    std::optional<std::chrono::system_clock::time_point> next_check;
  };

 private:
  struct Pass;  // one reconcile's inputs
  runtime::ReconcileResult finalize(const nlohmann::json& object,
                                    const api::SecurityProfile& profile);
  bool ensure_finalizer(const nlohmann::json& object);
  Outcome reconcile_tls(const Pass& pass);
  Outcome reconcile_config(const Pass& pass);
  Outcome reconcile_ipsec(const Pass& pass);
  void apply_owned(const nlohmann::json& desired, const Observation& observed);
  void remove_owned(const kube::ResourceType& type, const std::string& ns, const std::string& name);
  std::optional<nlohmann::json> fetch_secret_data(const std::string& ns, const std::string& name);

  Context context_;
  std::shared_ptr<CaProvider> cas_;
  BundleNotifier bundle_changed_;
};

}  // namespace secprov::controllers

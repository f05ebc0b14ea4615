#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "controllers/ca_provider.h"
#include "controllers/context.h"
#include "controllers/drift.h"
#include "controllers/issuance_limiter.h"
#include "runtime/controller.h"

namespace secprov::controllers {

// Who an object that bears one of a profile's generated names belongs to.
enum class Ownership {
  Absent,    // no such object
  Ours,      // its controller ownerReference is this profile's UID
  Released,  // managed-by secprov, this profile's name, no controller: left by a Retain
             // deletion of a profile of the same name; adopted (as Kubernetes controllers
             // adopt orphans that match them)
  Foreign,   // anything else: never written, never deleted
};
Ownership ownership_of(const nlohmann::json* object, const api::SecurityProfile& profile);
// What may be deleted or released: the controller ownerReference is the profile's UID and the
// managed-by label is present.
bool removable_by(const nlohmann::json& object, const std::string& profile_uid);

// Reconciles one SecurityProfile into its generated objects and owns its status.
// Each pass: render everything the profile asks for (a render error is terminal and writes
// nothing), look at the objects bearing the generated names (a foreign one stalls the profile
// before anything is written), then let one step per object (TLS Secret, settings ConfigMap,
// IPsec Secret) decide and write, and compose one status, written only when it changed.
// The namespace's trust bundle is the TrustBundleReconciler's.
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
    std::optional<std::string> ca_expiring;              // message, when renewal is held back
    std::optional<std::chrono::milliseconds> throttled;  // issuance refused by the limiter
  };
  struct Target;  // one generated name: what is there and who owns it
  struct Plan;    // everything rendered before anything is written

 private:
  struct Pass;  // one reconcile's inputs
  runtime::ReconcileResult finalize(const nlohmann::json& object,
                                    const api::SecurityProfile& profile);
  bool ensure_finalizer(const nlohmann::json& object);
  Target observe_target(const api::SecurityProfile& profile, const kube::ResourceType& type,
                        const std::string& name, bool wanted);
  void claim(Target& target, const Pass& pass);
  Outcome reconcile_tls(const Pass& pass, const Target& target);
  Outcome reconcile_config(const Pass& pass, const Target& target);
  Outcome reconcile_ipsec(const Pass& pass, const Target& target);
  void remove_unwanted(const Pass& pass, const Target& target);
  void write(const nlohmann::json& desired, const Target& target);
  bool repair_metadata(const Pass& pass, const Target& target, const Observation& observed,
                       const std::string& desired_input_digest);
  std::optional<nlohmann::json> fetch_secret_data(const std::string& ns, const std::string& name);

  Context context_;
  std::shared_ptr<CaProvider> cas_;
  BundleNotifier bundle_changed_;
  IssuanceLimiter limiter_;
};

}  // namespace secprov::controllers

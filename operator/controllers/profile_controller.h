#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "controllers/ca_provider.h"
#include "controllers/context.h"
#include "controllers/drift.h"
#include "controllers/issuance_limiter.h"
#include "controllers/policies.h"
#include "controllers/trust_domain_controller.h"
#include "render/profile.h"
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
  // The profile is gone from the cache: drop what is remembered of it (by UID).
  void forget(const std::string& profile_uid);

  // What one step did to its object, for status.
  struct Outcome {
    std::optional<api::GeneratedObject> object;  // absent: the object is not wanted
    Assessment assessment;
    bool wrote = false;
    std::optional<api::CertificateStatus> certificate;
    std::optional<std::chrono::system_clock::time_point> next_check;
    std::optional<std::string> ca_expiring;              // message, when renewal is held back
    std::optional<std::chrono::milliseconds> throttled;  // issuance refused by the limiter
    // Why the NF is not protected as the profile says although its objects are written
    // (OAuth2: tokens cannot be signed or verified): Ready False with this reason.
    std::optional<policies::Reason> not_ready;
  };
  struct Target;  // one generated name: what is there and who owns it

 private:
  struct Pass;  // one reconcile's inputs: the profile, its issuer and its rendered plan
  struct Issuer {
    api::TrustDomain domain;
    std::shared_ptr<const crypto::CertificateAuthority> ca;
  };
  // The trust domain's key pair holds the CA a rotation has just promoted and its status does
  // not say so yet (policies::IssuerVerdict::Promoted): keep what is issued, write nothing.
  struct IssuerPromoted {
    policies::Reason why;
  };
  using IssuerOrWhy = std::variant<Issuer, IssuerPromoted, policies::Reason>;
  runtime::ReconcileResult apply(const nlohmann::json& object, const api::SecurityProfile& profile,
                                 std::chrono::system_clock::time_point now);
  runtime::ReconcileResult cleanup(const nlohmann::json& object,
                                   const api::SecurityProfile& profile);
  // The key's certificate Secrets held by render::kRevocationFinalizer: one being deleted has
  // its certificate revoked as policies::revocation_on_deletion says, then the finalizer
  // removed; one orphaned (policies::revocation_hold_orphaned) only the latter. Whether any was.
  bool release_deleted_certificates(const runtime::ObjectKey& key,
                                    const nlohmann::json* profile_object);
  // The trust domain and the CA it accepted, or why the profile cannot be issued for.
  IssuerOrWhy resolve_issuer(const api::SecurityProfile& profile,
                             std::chrono::system_clock::time_point now) const;
  // Fills status from the steps' outcomes and status.pods (`pods`, Sidecar profiles only);
  // returns when to look again.
  std::optional<std::chrono::system_clock::time_point> compose_status(
      api::SecurityProfileStatus& status, const Pass& pass, const std::vector<Outcome>& outcomes,
      const api::Boxed<api::PodsStatus>& pods);
  // Sidecar profiles (issue 9): status.pods from the Pod cache, and with rollout: Restart the
  // owning Deployments and StatefulSets of Pods with an older configuration digest get the
  // current digest in their pod template (once per digest; errors are Warning Events).
  api::Boxed<api::PodsStatus> reconcile_pods(const Pass& pass);
  void roll_out(const Pass& pass, const std::string& digest,
                const std::vector<const nlohmann::json*>& stale_pods);
  // A planned object as the cache has it.
  Target observe_target(const api::SecurityProfile& profile, const render::ObjectPlan& planned);
  // A wanted object the cache does not hold, read from the server: absent, ours without its
  // label, or someone else's.
  void read_uncached(const api::SecurityProfile& profile, Target& target);
  void claim(Target& target, const Pass& pass);
  Outcome reconcile_tls(const Pass& pass, Target& target);
  Outcome reconcile_config(const Pass& pass, Target& target);
  Outcome reconcile_ipsec(const Pass& pass, Target& target);
  // OAuth2 (render/oauth2.h): an authorization server's signing Secret, issued and renewed
  // like the TLS certificate; a producer's nrf.crt, read from its NRF's signing Secret.
  Outcome reconcile_oauth2_signing(const Pass& pass);
  // A Secret read from the server (the cache holds digests only); nullopt when absent.
  std::optional<nlohmann::json> read_secret(const std::string& ns, const std::string& name);
  // Deletes `current` (UID precondition) when it is this profile's (ownerReference UID and
  // managed-by label); anything else is left in place.
  void remove_owned_secret(const nlohmann::json& current, const std::string& profile_uid);
  std::optional<policies::Reason> add_nrf_certificate(const api::SecurityProfile& profile,
                                                      render::ProfilePlan& plan);
  // N32 (render/n32.h): a SEPP's certificate from its interconnect TrustDomain
  // (spec.n32.trustDomainRef), Secret <profile>-n32, issued and renewed like the signing one.
  Outcome reconcile_n32(const Pass& pass);
  IssuerOrWhy resolve_domain(const std::string& name,
                             std::chrono::system_clock::time_point now) const;
  void remove_unwanted(const Pass& pass, const Target& target);
  // A Warning Event when the revocation of a replaced certificate could not be recorded.
  void report_revocation(const nlohmann::json& object, const std::string& trust_domain,
                         RevocationRecord record);
  void write(const nlohmann::json& desired, Target& target);
  // Deletes what this pass created (UID precondition): an optimistic pass that met a name
  // taken by another object leaves the profile as it found it.
  void roll_back_created(const Pass& pass, const std::vector<Target>& targets);
  // Profiles (UIDs) whose next pass reads every name the cache lacks from the server.
  bool take_absence_check(const std::string& profile_uid);
  void require_absence_check(const std::string& profile_uid);
  bool repair_metadata(const Pass& pass, const Target& target, const Observation& observed,
                       const std::string& desired_input_digest);
  std::optional<std::string> stored_value(const Pass& pass, Target& target, std::string_view key);
  void refetch(const Pass& pass, Target& target);
  crypto::PrivateKey key_for_issuing(const Pass& pass, Target& target, const Observation& observed);

  Context context_;
  std::shared_ptr<CaProvider> cas_;
  BundleNotifier bundle_changed_;
  IssuanceLimiter limiter_;
  std::mutex absence_checks_mutex_;
  std::set<std::string> absence_checks_;  // at most one entry per profile that met a conflict
};

}  // namespace secprov::controllers

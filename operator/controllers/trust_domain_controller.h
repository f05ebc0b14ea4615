#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/trustdomain.h"
#include "controllers/ca_provider.h"
#include "controllers/context.h"
#include "controllers/mappers.h"
#include "controllers/ownership.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/leaf_facts.h"
#include "render/trust_domain.h"
#include "runtime/controller.h"

namespace secprov::controllers {

// ---- Pure decisions of the TrustDomain reconciler (the shape of cert-manager's policies) ----
namespace trust {

// What is observed of a trust domain's CA key pair Secret, and what was accepted before.
struct CaObservation {
  bool generated = false;          // spec.ca.generate (else an imported spec.ca.secretRef)
  std::string secret;              // "<namespace>/<name>" of the key pair Secret, for messages
  bool secret_exists = false;      // in the CA Secret cache
  std::string loaded_fingerprint;  // the usable CA in the Secret; empty when none
  std::optional<CaUnavailable> load_error;  // why the Secret's content is unusable
  std::string accepted_fingerprint;         // status.caFingerprint: the CA accepted for issuing
  std::optional<std::string> replacement;   // a replace-ca token not yet processed
};

enum class CaAction {
  Generate,             // the first CA of a generated domain: create its key pair Secret
  Accept,               // the Secret holds the accepted CA (or the first one): Ready
  GenerateReplacement,  // replace-ca on a generated domain: write a new key pair
  AcceptReplacement,    // replace-ca: the Secret's new CA becomes the accepted one
  Stall,                // keep the accepted CA, accept nothing else, say why
};

struct CaDecision {
  CaAction action = CaAction::Stall;
  std::string reason;  // CamelCase, for conditions and Events
  std::string message;
};

// A missing or different key pair never replaces a CA that was accepted: only a pending
// replace-ca token does (a new CA for a generated domain, the Secret's CA for an imported one).
CaDecision decide_ca(const CaObservation& observed);

struct ExpiryDecision {
  bool expiring = false;  // condition CAExpiringSoon
  std::string reason;
  std::string message;
  // When it becomes due (requeue then); nullopt when there is no CA or it is already due.
  std::optional<std::chrono::system_clock::time_point> due;
};

// CAExpiringSoon from now >= notAfter - kCaRenewBefore (the date in the message).
ExpiryDecision decide_ca_expiry(std::optional<api::Timestamp> ca_not_after,
                                std::chrono::system_clock::time_point now);

struct RetainedCas {
  std::vector<api::PreviousCa> kept;
  std::vector<std::string> dropped;  // one message per CA leaving the trust bundles
};

// The previous CAs still needed in the trust bundles: not expired, and a leaf of the domain
// still chains to them (`in_use`: their fingerprints). At most kMaxPreviousCas, newest first.
RetainedCas retain_previous_cas(const std::vector<api::PreviousCa>& previous,
                                const std::set<std::string>& in_use, api::Timestamp now);

// ---- Staged CA rotation (generated domains; replace-ca starts it) ----

// What the rotation machine looks at: status, the key pair Secrets, and what the current
// phase's gate still waits for (rotation_waiting).
struct RotationObservation {
  std::optional<api::CaRotation> rotation;  // status.rotation
  std::optional<std::string> token;         // a replace-ca value not yet processed
  std::string accepted;                     // status.caFingerprint
  std::string issuing;  // the CA in the key pair Secret; empty when none is usable
  std::string next;     // the CA in the next key pair Secret for `token`; empty when none
  std::int64_t waiting = 0;
};

enum class RotationAction {
  None,          // no rotation, nothing asked
  GenerateNext,  // write the new CA into the next key pair Secret (create, idempotent)
  Distribute,    // status.rotation: Distributing with the next Secret's CA
  Wait,          // the phase's gate is not passed yet (reason and message say why)
  Promote,       // write the new key pair into the issuing Secret
  Reissue,       // the issuing Secret holds the new CA: it becomes the accepted one
  Retire,        // every leaf chains to the new CA: the old one leaves the bundles
  Complete,      // no bundle carries the old CA: delete the next Secret, phase Complete
};

struct RotationDecision {
  RotationAction action = RotationAction::None;
  std::string reason;
  std::string message;
  // A replace-ca value that arrived during a rotation: refused (spent, Warning Event).
  std::optional<std::string> refused_token;
};

// The phase machine: every step is derived from status and the Secrets, so a restarted
// operator resumes where the previous one stopped.
RotationDecision decide_rotation(const RotationObservation& observed);

// ---- The next key pair Secret of a rotation ("<ca-secret>-next", operator namespace) ----
// The issuing key pair is unowned on purpose (it outlives the TrustDomain); the next one is
// disposable, so it carries the ownership marks: the managed-by label and a controller
// ownerReference to the TrustDomain's UID (garbage-collected with it).
inline constexpr std::string_view kNextCaSecretNotOwned = "NextCaSecretNotOwned";
struct NextCaOwnership {
  Ownership ownership = Ownership::Foreign;
  std::string reason;  // kNextCaSecretNotOwned when Foreign; empty otherwise
  std::string message;
};

// Whose a Secret of the next key pair's name is, before the rotation reads, writes or deletes
// it. Ours: labels managed-by=secprov and trust-domain=<domain>, and a controller
// ownerReference to the TrustDomain (`domain_uid`; empty: by name). Adoptable: the next key
// pair of a rotation started by a version without the marks: the trust-domain label, no
// managed-by label and no ownerReferences, written by the operator's field manager, and its
// replace-ca annotation is `token` (the rotation's, or the pending one): it is given the marks
// before it is used. Anything else is Foreign: never written over nor deleted, and not used.
NextCaOwnership next_ca_secret_ownership(const nlohmann::json& secret, const std::string& domain,
                                         const std::string& domain_uid, const std::string& token);

// One object of a domain, as the rotation gates see it.
struct RotationObject {
  std::string owner;  // "SecurityProfile ns/name" or "ConfigMap ns/name": what is waited for
  std::optional<std::set<std::string>> bundle;  // fingerprints of ca.crt; nullopt: no ca.crt
  std::optional<bool> leaf_from_new;            // tls.crt issued by the new CA; nullopt: no leaf
  bool pods_pending = false;  // Sidecar: injected Pods not at the current digest (or unknown)
};

struct RotationWaiting {
  std::int64_t count = 0;
  std::vector<std::string> names;  // sorted, distinct, at most api::kMaxRotationWaiting
  friend bool operator==(const RotationWaiting&, const RotationWaiting&) = default;
};

// What `phase` waits for: Distributing, every bundle carrying the new CA and every Sidecar's
// Pods at the current digest; Reissuing, every leaf issued by the new CA; Retiring, no bundle
// carrying the old CA. Counted by owner.
RotationWaiting rotation_waiting(api::RotationPhase phase,
                                 const std::vector<RotationObject>& objects,
                                 const std::string& new_fingerprint,
                                 const std::string& old_fingerprint);

// ---- What wakes a rotation (the manager's event mapping; pure over the caches) ----

// A bundle ConfigMap, a leaf Secret or a next key pair -> the TrustDomain of its
// secprov.io/trust-domain label, when that domain is rotating (status.rotation in progress).
std::vector<runtime::ObjectKey> rotating_domain_of_object(const TrustDomainStore& domains,
                                                          const runtime::Json& object);
// A SecurityProfile (its status.pods moves a Sidecar's gate) -> the TrustDomains it references
// (spec.trustDomainRef, spec.n32.trustDomainRef) that are rotating.
std::vector<runtime::ObjectKey> rotating_domains_of_profile(const TrustDomainStore& domains,
                                                            const runtime::Json& profile);

// The rotation gates' facts parsed from PEM, remembered by content (a Secret's cached data
// digest, a ConfigMap's text): every bundle of a domain is the same text, and a leaf changes
// only when reissued, so a pass parses only what changed since the last one. One per domain,
// used by one reconcile at a time; rebuilt each pass from what that pass looked at.
class GateMemo {
 public:
  // Fingerprints of the certificates in `pem`, remembered under `digest` (empty: not kept).
  std::set<std::string> bundle(const std::string& digest, const std::string& pem);
  // Whether `leaf` is issued by `ca` (fingerprint `ca_fingerprint`), remembered under
  // `digest` (tls.crt's); nullopt when there is no leaf. `ca` is prepared once by the caller
  // for all the leaves of a pass.
  std::optional<bool> issued_by(const std::string& digest, const crypto::LeafFacts* leaf,
                                const crypto::LeafFacts::Issuer& ca,
                                const std::string& ca_fingerprint);
  // Whether issued_by() under `digest` answers from memory: the caller then need not decode
  // the leaf (a null one is not read).
  bool knows_issued(const std::string& digest, const std::string& ca_fingerprint) const;
  // Keeps only what was looked up since the last call (bounded by the live objects).
  void end_pass();
  std::size_t parses() const { return parses_; }

 private:
  struct Entries {
    std::map<std::string, std::set<std::string>> bundles;
    std::map<std::string, std::optional<bool>> issued;
  };
  Entries previous_, current_;
  std::size_t parses_ = 0;
};

struct Event {
  runtime::EventType type = runtime::EventType::Warning;
  std::string reason;
  std::string message;
  friend bool operator==(const Event&, const Event&) = default;
};

// Warning Events for the transitions between two condition sets: Stalled becoming True or
// changing its reason, CAExpiringSoon becoming True. Nothing when nothing transitioned, so
// a reconcile that finds the same state says nothing again.
std::vector<Event> transition_events(const std::vector<api::Condition>& before,
                                     const std::vector<api::Condition>& after);

}  // namespace trust

// Records `certificate` (issued by the domain's CA, being replaced or deleted) as revoked at
// `now` in the domain's CRL ConfigMap, for the TrustDomain reconciler to sign into the next
// CRL. Conditional on the cached resourceVersion: a Conflict (kube::ApiError) is thrown for
// the caller's retry, before it replaces the certificate. Nothing when already recorded or
// expired, nor when the ConfigMap of that name is not the TrustDomain's (NotOurs: the caller
// reports it; the certificate is replaced all the same).
enum class RevocationRecord { Recorded, AlreadyRecorded, NotNeeded, NotOurs };
RevocationRecord record_revocation(const Context& context, const std::string& trust_domain,
                                   const crypto::LeafFacts& certificate,
                                   std::chrono::system_clock::time_point now);

// Owns a TrustDomain's CA key pair Secret (when generated) and the TrustDomain status: the
// accepted CA (fingerprint, notAfter), the previous CAs still in the trust bundles, the
// replace-ca token processed, and the Ready/Stalled/CAExpiringSoon conditions.
class TrustDomainReconciler final : public runtime::Reconciler {
 public:
  TrustDomainReconciler(Context context, std::shared_ptr<CaProvider> cas);
  runtime::ReconcileResult reconcile(const runtime::ObjectKey& key) override;

 private:
  // Creates the key pair Secret, or replaces the CA in `existing` (resourceVersion
  // precondition: a stale cache gets Conflict and nothing is generated twice).
  // `name` overrides the Secret's name and marks it as the TrustDomain's (the next key pair of
  // a rotation). False when a create found the name taken (nothing written).
  bool write_ca(const api::TrustDomain& domain, const nlohmann::json& object,
                const render::CaRequest& request, const nlohmann::json* existing,
                const std::optional<std::string>& token, const std::string& name = {});
  // The namespaces whose profiles use the domain: where its bundles and leaves are.
  std::vector<std::string> domain_namespaces(const api::TrustDomain& domain) const;
  // Visits the managed Secrets of `namespaces` labelled for the domain (profiles' objects, an
  // NF's own), less the next CA key pair, which the TrustDomain owns (cached here too when the
  // operator namespace is served): a CA, not a leaf or a bundle. One at a time: the cache
  // expands each as it is read, and a domain's 10,000 leaves expanded at once were the
  // operator's peak of memory during a rotation. `visit` returns false to stop.
  void visit_domain_secrets(const api::TrustDomain& domain,
                            const std::vector<std::string>& namespaces,
                            const std::function<bool(const nlohmann::json&)>& visit) const;
  // The domain's trust bundle ConfigMaps in `namespaces`.
  std::vector<runtime::ObjectPtr> domain_bundles(const api::TrustDomain& domain,
                                                 const std::vector<std::string>& namespaces) const;
  // The PEM of a CA by fingerprint, from what the operator published (the domain's trust
  // bundles and TLS Secrets' ca.crt); nullopt when no published copy is left.
  std::optional<std::string> published_ca_pem(const api::TrustDomain& domain,
                                              const std::string& fingerprint) const;
  // Signs and publishes the domain's CRL ConfigMap when it is missing, not the CA's, due for
  // refresh, or behind the recorded revocations. Returns the CRL's refresh time.
  std::chrono::system_clock::time_point publish_crl(const api::TrustDomain& domain,
                                                    const crypto::CertificateAuthority& ca,
                                                    std::chrono::system_clock::time_point now);
  // A "<domain>-crl" ConfigMap that is not the domain's: a Warning Event on the TrustDomain,
  // nothing written; looked at again after kForeignRecheck (the returned time).
  std::chrono::system_clock::time_point report_foreign_crl(
      const api::TrustDomain& domain, const std::string& name,
      std::chrono::system_clock::time_point now);
  // An object of the operator namespace by name, through a list (RBAC: list, not get; the
  // caches hold labelled objects only).
  std::optional<nlohmann::json> fetch(const kube::ResourceType& type,
                                      const std::string& name) const;
  // The staged rotation of a generated domain: may write the next or the issuing key pair
  // Secret (then returns the requeue) or move `status` on; appends the phase Events.
  // `blocked`: a foreign Secret holds the next key pair's name; nothing of it was touched.
  std::optional<runtime::ReconcileResult> rotate(
      const api::TrustDomain& domain, const nlohmann::json& object, api::TrustDomainStatus& status,
      std::vector<trust::Event>& events, std::optional<std::string>& token,
      const crypto::CertificateAuthority* issuing, std::optional<trust::NextCaOwnership>& blocked);
  // The domain's objects as the rotation gates see them (caches only).
  std::vector<trust::RotationObject> rotation_objects(const api::TrustDomain& domain,
                                                      const std::string& new_ca_pem,
                                                      trust::GateMemo& memo) const;
  // Fingerprints of `previous` CAs that issued a leaf of the domain still in the cache.
  std::set<std::string> previous_cas_in_use(const api::TrustDomain& domain,
                                            const std::vector<api::PreviousCa>& previous,
                                            trust::GateMemo& memo) const;
  // The domain's gate memo (created on first use); dropped when nothing overlaps any more.
  std::shared_ptr<trust::GateMemo> memo_of(const std::string& domain);
  void drop_memo(const std::string& domain);

  Context context_;
  std::shared_ptr<CaProvider> cas_;
  // Reconciles of different domains run at once: the map is guarded, each memo is used by its
  // domain's reconcile alone.
  std::mutex memos_mutex_;
  std::map<std::string, std::shared_ptr<trust::GateMemo>> memos_;
};

}  // namespace secprov::controllers

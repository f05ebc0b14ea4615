#pragma once
// Whether a certificate must be issued, as named pure checks each returning a reason and a
// message (the shape of cert-manager's certificates/policies). Drift of the stored objects
// and spec changes are judged by assess() (drift.h); these look at the certificate itself.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/condition.h"
#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "crypto/certificate.h"
#include "crypto/leaf_facts.h"

namespace secprov::controllers::policies {

struct Input {
  const crypto::LeafFacts* leaf = nullptr;  // the stored leaf; null when absent or unreadable
  const crypto::Certificate* ca = nullptr;  // the CA accepted for issuing (never null)
  // ca prepared for the issuer checks, once for all a pass's leaves (never null).
  const crypto::LeafFacts::Issuer* issuer = nullptr;
  std::chrono::system_clock::time_point now;
  std::chrono::seconds duration{0};
  std::chrono::seconds renew_before{0};
};

struct Reason {
  std::string reason;  // CamelCase, for Events and conditions
  std::string message;
};

std::optional<Reason> certificate_missing(const Input& input);  // DoesNotExist
std::optional<Reason> issuer_changed(const Input& input);       // IssuerChanged
// Renewing: inside the renewal window, and a certificate issued now would not itself be
// inside it at once (else renewing cannot help and would only loop).
std::optional<Reason> renewal_due(const Input& input);

// The first trigger that holds, in the order above; nullopt: keep the certificate.
std::optional<Reason> issuing_needed(const Input& input);

// Not a trigger: why a certificate inside its renewal window is kept. CAExpiringSoon when the
// CA's notAfter caps what can be issued, RenewBeforeNotBelowDuration when renewBefore is at
// least the duration. nullopt when the certificate is outside its window.
std::optional<Reason> renewal_held_back(const Input& input);

// CertificateReplaced: the stored leaf is not the certificate status records as written,
// and it is not the operator's own later write whose status was lost (a leaf of the same CA
// with a later notBefore, after a crash between the Secret and the status write). The
// data-digests annotation is the object's own claim; status says what was written.
// recorded_* describe status.certificate (null: nothing recorded, nothing to compare).
std::optional<Reason> certificate_replaced(
    const Input& input, const api::HexText* recorded_fingerprint,
    std::optional<std::chrono::system_clock::time_point> recorded_not_before);

// Whether a name the label-selected cache does not hold may be taken as free, so its object
// is created without a GET first: only on a profile's first provisioning (status records no
// object), and not while it is Stalled on an ObjectConflict (then every name is read). A
// name another object holds still fails the create (AlreadyExists), and that pass is undone.
bool cache_absence_trusted(const api::SecurityProfileStatus& status);

// KeyCompromised: a certificate being replaced is revoked (listed in its trust domain's CRL)
// only when its private key can no longer be trusted: the stored key was edited or removed
// (someone else wrote it). A routine renewal or a spec change, even with a new key,
// supersedes the certificate without revoking it: the NF may serve it until it reloads
// (Open5GS reads it only at start) and its peers must keep accepting it meanwhile. Only
// certificates of the current CA are listed: its CRL speaks for nothing else.
std::optional<Reason> revocation_on_replacement(bool stored_key_drifted, bool issued_by_current_ca);

// Whether a profile's pass runs under its own finalizer (runtime::with_finalizer). Retain
// needs one: the generated objects are released before the garbage collector would delete
// them. Delete does not: the owner references delete them, and the certificate Secrets' own
// finalizer revokes their certificates (render::kRevocationFinalizer), so a profile costs no
// finalizer write. A profile that already holds the finalizer (written by an earlier version
// or while it was Retain) keeps it until its deletion, which it then guards as before.
bool profile_finalizer_needed(api::DeletionPolicy policy, bool holds_finalizer);

// ProfileDeleted: a certificate Secret being deleted (still held by render::kRevocationFinalizer)
// has its certificate revoked when the profile that owned it is gone or going: nobody is to
// use it again. Not while that profile lives on (someone deleted the Secret, or the profile
// stopped asking for it): the profile issues again or leaves it unused, and the copy the NF
// may still have mounted is not cut off before its successor arrives. A Secret no profile
// controls (released by a Retain deletion) stays in use: not revoked either.
std::optional<Reason> revocation_on_deletion(bool controlled_by_a_profile, bool profile_lives);
// A certificate Secret no profile controls any more, and whose profile is gone or going (it
// was deleted with propagation Orphan), is left in place and in use: its revocation finalizer,
// which nothing would remove at its deletion, is let go. While a profile of its name lives, it
// is that profile's to adopt, and the finalizer stays.
bool revocation_hold_orphaned(bool controlled_by_a_profile, bool a_profile_of_its_name_lives);

// The Event reason of an issuance: Issued (no certificate before), Reissued (repairing drift
// or another trigger), Renewed (renewal due).
std::string issuance_reason(bool had_certificate, bool repairing,
                            const std::optional<Reason>& trigger);

// When to look at the certificate again: the start of its renewal window, or its expiry
// when renewal is held back.
std::chrono::system_clock::time_point next_check(const Input& input);

// Whether the CA in a trust domain's key-pair Secret may issue a profile's certificates.
//   Accepted  the domain is Ready and status.caFingerprint names that CA;
//   Promoted  a rotation has just promoted its new CA into the key pair (the Secret holds
//             status.rotation's new CA, status still names the old one and the phase is
//             Distributing, so every bundle carries the new CA already). The trust domain
//             has not accepted it yet; its status moves to Reissuing next, and that update
//             wakes the profile. Meanwhile the old CA, trusted everywhere, still vouches for
//             what was issued: the profile keeps it, not Ready=False for an instant;
//   Refused   TrustDomainNotReady: anything else. A replaced or regenerated key pair is the
//             trust domain's decision (its CAKeyPair* conditions), never taken here.
enum class IssuerVerdict { Accepted, Promoted, Refused };
struct IssuerCheck {
  IssuerVerdict verdict = IssuerVerdict::Refused;
  Reason why;  // empty when Accepted
};
IssuerCheck issuer_acceptance(const std::string& domain_name, const api::TrustDomainStatus& status,
                              const std::string& key_pair_fingerprint);

// The Enforced condition: whether the NF of spec.outputs, with the enabler sidecar where the
// profile has one, enforces what the profile asks, from the native-limits table
// (render/native_limits.h). The sidecar closes a row about the NF's TLS server when it has
// spec.enabler.inbound and one about its TLS client when it has spec.enabler.outbound peers;
// it never closes OAuth2 or N32 rows.
//   True  NativelyEnforced   no row finds the profile asking for more than those NFs do;
//   True  EnforcedByEnabler  the sidecar closes every row that does (the message names them),
//                            or, with no native output, it does all the profile asks;
//   False EnforcementGaps    the message's first line lists the open gap codes per output
//                            (what `kubectl get securityprofile` shows), then one line per
//                            gap, the rows the sidecar closes, the remedy for the rows it
//                            would close, and those it never does;
//   Unknown ConsumerUnknown  no native output is selected and the profile asks of the NF
//                            something no sidecar does for it (its TLS without a sidecar,
//                            OAuth2, N32): secprov writes the Secrets and security.yaml, and
//                            what consumes them is not known, so neither is what it enforces.
struct Enforcement {
  api::ConditionStatus status = api::ConditionStatus::Unknown;
  Reason reason;
};
Enforcement enforcement(const api::SecurityProfile& profile);

}  // namespace secprov::controllers::policies

namespace secprov::controllers::policies {

// OAuth2 producers (render::is_oauth2_producer) verify access tokens with the certificate of
// their NRF; one that cannot is not protected as the profile says (not Ready).
//   OAuth2NrfUnknown           spec.sbi.oauth2.nrfInstanceId is not set: no NRF to look for;
//   OAuth2NrfNotFound          no profile of the namespace is that NRF (an authorization server);
//   OAuth2NrfSigningPending    the NRF's signing certificate is not issued yet;
//   OAuth2AlgorithmNotAccepted the NRF signs with an algorithm the producer does not accept.
// nrf: the NRF's profile, null when not found; nrf_certificate_known: its signing
// certificate was read. nullopt: the producer can verify the NRF's tokens.
std::optional<Reason> oauth2_verification_gap(const api::SecurityProfile& producer,
                                              const api::SecurityProfile* nrf,
                                              bool nrf_certificate_known);
// The algorithm part alone: OAuth2AlgorithmNotAccepted when `nrf_algorithm` is not among the
// producer's acceptedAlgorithms.
std::optional<Reason> oauth2_algorithm_not_accepted(const api::SecurityProfile& producer,
                                                    api::JwsAlgorithm nrf_algorithm);

}  // namespace secprov::controllers::policies

namespace secprov::controllers::policies {

// ---- Pods of Sidecar profiles (issue 9, "Pods in status, and rollout") ----
// Pure over the Pod cache's stripped Pods (strip_pod in mappers.h).

// Whether a Sidecar profile's selector selects `pod`: same namespace, a non-empty
// spec.selector.matchLabels all among the Pod's labels (the webhook's rule).
bool pod_selected(const api::SecurityProfile& profile, const nlohmann::json& pod);

enum class PodState {
  NotApplicable,   // hostNetwork, opted out (secprov.io/inject: "false"), finished or deleting
  Injected,        // the enabler container and secprov.io/profile naming this profile
  StaleDigest,     // injected, but secprov.io/enabler-digest is not `digest`
  WithoutEnabler,  // anything else
};
PodState pod_state(const nlohmann::json& pod, const std::string& profile_name,
                   const std::string& digest);

// status.pods from the selected Pods: counts, and the names sorted and cut to
// api::kMaxStatusPodNames.
api::PodsStatus pods_status(const std::vector<const nlohmann::json*>& selected_pods,
                            const std::string& profile_name, const std::string& digest);

// Drifted from status.pods: PodsWithoutEnabler (any Pod without the enabler, first) or
// PodsStale (injected Pods with an old digest), the message naming the counts; nullopt: none.
std::optional<Reason> pods_drift(const api::PodsStatus& pods);

// rollout: Restart -> the value to write into the owning workload's pod template annotation
// secprov.io/enabler-digest: the current digest, when some Pod runs an older one and the
// template does not carry it yet (so each digest is written at most once, and an operator
// restart writes nothing). None, an empty digest, no stale Pod: nullopt.
std::optional<std::string> rollout_annotation(api::EnablerRollout rollout,
                                              const std::string& digest, std::int64_t stale_pods,
                                              const std::optional<std::string>& template_value);

// The controller owner of an object (ownerReferences[controller=true]): {kind, name}.
struct OwnerRef {
  std::string kind;
  std::string name;
  friend bool operator==(const OwnerRef&, const OwnerRef&) = default;
};
std::optional<OwnerRef> controller_owner(const nlohmann::json& object);

}  // namespace secprov::controllers::policies

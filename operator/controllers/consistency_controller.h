#pragma once
// The consistency controller (issue 11): for each SecurityProfile, the consistency checks
// (operator/check/) of every pair it is an end of, as the Consistent condition, the bounded
// status.consistency list, Events on changes of state and the gauge
// secprov_inconsistent_pairs{interface}. Keyed per profile; a profile's change enqueues it and
// its peers (cache indexes: namespace + NF type, peer names, and the previous peers its status
// lists), a TrustDomain's change the profiles that use it. It never polls.
//
// It writes only the Consistent condition and status.consistency, over the observed status;
// the profile controller carries both over from the observed status, so neither undoes the
// other (both write with a resourceVersion precondition). The first evaluation of each
// generation rides on the profile controller's own status write (fold_consistency), so a new
// profile costs one status write; this controller then writes only what differs.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/condition.h"
#include "api/securityprofile.h"
#include "check/check.h"
#include "controllers/context.h"
#include "controllers/mappers.h"
#include "runtime/controller.h"

namespace prometheus {
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace secprov::controllers {

inline constexpr std::string_view kConditionConsistent = "Consistent";

namespace index {
// SecurityProfiles by "<ns>/<spec.nfType>": the candidates of catalogue relations.
inline constexpr std::string_view kProfileNamespaceNfType = "namespace/spec.nfType";
// SecurityProfiles by "<ns>/<name>" of each peer their spec names (IPsec peers, enabler
// outbound names and hosts' first label, N32 peers' fqdn first label): the reverse of
// explicit peer lists.
inline constexpr std::string_view kProfileNamedPeer = "namespace/namedPeer";
// SecurityProfiles that describe external peers (spec.consistency.externalPeers), by namespace:
// an external peer may pair with any profile of the namespace, whoever describes it.
inline constexpr std::string_view kProfileDescribesExternalPeers = "namespace/externalPeers";
}  // namespace index

// Adds the three indexes above to the profile store (idempotent).
void add_consistency_indexes(ProfileStore& profiles);

// ---- pure parts (unit tested)

// What one evaluation says for one profile.
struct ConsistencyOutcome {
  api::Condition condition;                     // Consistent (lastTransitionTime unset)
  std::vector<api::ConsistencyResult> results;  // inconsistent first, at most the bound
  // (interface, a, b) of every inconsistent pair, for the gauge.
  std::set<std::tuple<std::string, std::string, std::string>> inconsistent;
};

// `self_id` is "<ns>/<name>"; peers of the same namespace are named "<name>" in the results,
// external ones "external/<name>". `scoped`: spec.consistency.scope is set (the NoPeers
// message says so).
ConsistencyOutcome consistency_outcome(const std::string& self_id,
                                       const std::vector<check::PairResult>& pairs,
                                       std::int64_t generation, bool scoped);

// The keys whose consistency may change when `profile` changes (itself excluded): its
// candidates by NF type and named peers, the profiles naming it, and the previous peers in
// its status.consistency. Index lookups only.
std::vector<runtime::ObjectKey> consistency_peers(const ProfileStore& profiles,
                                                  const api::SecurityProfile& profile);

// ---- one evaluation, whichever controller writes it

// `profile`'s pairs among the candidates the cache indexes name (consistency_peers and the
// profiles describing external peers, shared, not copied) and the trust domains they use,
// judged by check::evaluate_for and summed up by consistency_outcome. Never the whole
// namespace: a burst of n profiles would cost n^2. The profile store needs
// add_consistency_indexes.
ConsistencyOutcome evaluate_consistency(const Stores& stores, const api::SecurityProfile& profile);

// True while the profile controller has not written the status of `profile`'s generation
// (status.observedGeneration behind metadata.generation). That write carries the generation's
// first Consistent evaluation (fold_consistency), so the consistency controller leaves the
// profile to it until then: one status write for a new profile, not two.
bool first_evaluation_pending(const api::SecurityProfile& profile);

// An evaluation set into a status, and the Consistent state it replaced.
struct ConsistencyChange {
  ConsistencyOutcome outcome;
  std::optional<api::ConditionStatus> before;  // nullopt: no Consistent condition yet
};

// Evaluates `profile` (evaluate_consistency) and sets the Consistent condition and
// status.consistency of `status`.
ConsistencyChange fold_consistency(const Stores& stores, const api::SecurityProfile& profile,
                                   api::SecurityProfileStatus& status,
                                   std::chrono::system_clock::time_point now);

// Once `change` is written to `object`'s status, by either controller: an Event on a change of
// state, and on a first evaluation that finds a mismatch. Never for a status not written, so a
// change is told once whoever wrote it.
void record_consistency_change(runtime::EventRecorder& events, const nlohmann::json& object,
                               const ConsistencyChange& change);

// Which pairs are inconsistent, by the profile that last said so: the gauge's numbers.
class InconsistentPairs {
 public:
  using PairKey = std::tuple<std::string, std::string, std::string>;  // interface, a, b
  // Replaces what `profile` says; returns the interfaces whose count changed.
  std::set<std::string> update(const std::string& profile, const std::set<PairKey>& pairs);
  std::size_t count(const std::string& interface) const;

 private:
  std::map<std::string, std::set<PairKey>> by_profile_;
  std::map<PairKey, int> pairs_;  // how many profiles say so
};

class ConsistencyReconciler final : public runtime::Reconciler {
 public:
  explicit ConsistencyReconciler(Context context);
  runtime::ReconcileResult reconcile(const runtime::ObjectKey& key) override;

 private:
  void set_gauges(const std::string& profile, const std::set<InconsistentPairs::PairKey>& pairs);

  Context context_;
  prometheus::Family<prometheus::Gauge>* gauge_ = nullptr;
  std::mutex mutex_;  // guards pairs_ (two workers)
  InconsistentPairs pairs_;
};

// A profile event -> when it came or went, or its spec (generation), labels or
// status.consistency changed: the profile and its peers (consistency_peers of the old and the
// new version). When only its Consistent condition changed: the profile alone. Nothing for
// other status changes.
std::vector<runtime::ObjectKey> consistency_keys(const ProfileStore& profiles,
                                                 const runtime::Json* old_object,
                                                 const runtime::Json& object);

}  // namespace secprov::controllers

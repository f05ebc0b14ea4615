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
// profile costs one status write and one evaluation; this controller evaluates it again only
// when a peer changed meanwhile (ConsistencyLedger), and writes only what differs.

#include <array>
#include <chrono>
#include <cstdint>
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
class Counter;
class Gauge;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace secprov::controllers {

using api::kConditionConsistent;

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

// The two controllers that evaluate a profile's consistency (ConsistencyLedger::evaluations).
enum class Evaluator {
  ProfileController,      // folded into a generation's first status write (begin_fold)
  ConsistencyController,  // the consistency controller's own evaluation (evaluate)
};
// The label secprov_consistency_evaluations_total{controller} gives `evaluator`: the
// controller's name, "securityprofile" or "consistency".
std::string_view metric_label(Evaluator evaluator);

// What the two controllers that evaluate consistency (the profile controller's fold and the
// consistency controller) share, one per operator (Context::consistency); thread-safe:
// - the gauge secprov_inconsistent_pairs{interface}, set by whichever evaluation of a profile
//   began last (not finished last: a late write must not put back an older view);
// - the counter secprov_consistency_evaluations_total{controller};
// - the profiles the consistency controller left to the profile controller's first evaluation
//   (first_evaluation_pending) after a peer's change that evaluation may not have seen: only
//   those are evaluated again once the profile controller's write lands (consistency_keys).
class ConsistencyLedger {
 public:
  using PairKey = InconsistentPairs::PairKey;
  using Ticket = std::uint64_t;  // an evaluation's place in line
  // Null registry: no metrics (unit tests); the counts are kept all the same.
  explicit ConsistencyLedger(prometheus::Registry* registry);

  // The profile controller, before its fold reads the caches: that evaluation sees whatever
  // change made the consistency controller leave `key` to it so far, so the mark goes.
  Ticket begin_fold(const runtime::ObjectKey& key);
  // The consistency controller, before it reads `key`'s profile: `key` is marked left to the
  // profile controller (a write landing after the read finds the mark; one landing before is
  // seen by the read) until evaluate or forget.
  Ticket defer(const runtime::ObjectKey& key);
  // The consistency controller evaluates `key` itself after all: the mark goes.
  void evaluate(const runtime::ObjectKey& key);
  bool deferred(const runtime::ObjectKey& key) const;
  // `key`'s inconsistent pairs as the evaluation that began at `ticket` found them, unless an
  // evaluation that began later was set already.
  void set(const runtime::ObjectKey& key, Ticket ticket, const std::set<PairKey>& pairs);
  // `key` is gone (or does not parse): none of its pairs count, no mark. A fold's set landing
  // after it is undone by the next: the finalizer goes in a later profile controller pass,
  // whose deletion brings `key` to the consistency controller again.
  void forget(const runtime::ObjectKey& key);

  std::size_t inconsistent(const std::string& interface) const;
  // Evaluations begun by `evaluator`: begin_fold (ProfileController) or evaluate
  // (ConsistencyController).
  std::uint64_t evaluations(Evaluator evaluator) const;

 private:
  void set_locked(const runtime::ObjectKey& key, const std::set<PairKey>& pairs);
  void count_locked(Evaluator evaluator);

  mutable std::mutex mutex_;
  Ticket last_ = 0;
  std::map<runtime::ObjectKey, Ticket> set_by_;  // the ticket each profile's pairs are from
  std::set<runtime::ObjectKey> deferred_;
  InconsistentPairs pairs_;
  static constexpr std::size_t kEvaluators = 2;           // the values of Evaluator
  std::array<std::uint64_t, kEvaluators> evaluations_{};  // by Evaluator
  prometheus::Family<prometheus::Gauge>* gauge_ = nullptr;
  std::array<prometheus::Counter*, kEvaluators> evaluations_metric_{};  // by Evaluator
};

class ConsistencyReconciler final : public runtime::Reconciler {
 public:
  // Uses context.consistency, or a ledger of its own when it is null (unit tests).
  explicit ConsistencyReconciler(Context context);
  runtime::ReconcileResult reconcile(const runtime::ObjectKey& key) override;

 private:
  Context context_;
  std::shared_ptr<ConsistencyLedger> ledger_;
};

// A profile event -> when it came or went, or its spec (generation), labels or
// status.consistency changed: its peers (consistency_peers of the old and the new version).
// The profile itself when it came or went or its spec or labels changed, except while the
// profile controller's first evaluation of its generation is pending (that write carries it);
// when only its evaluation in status changed (Consistent, status.consistency: a write landing),
// only if `ledger` deferred it. Nothing for other status changes.
std::vector<runtime::ObjectKey> consistency_keys(const ProfileStore& profiles,
                                                 const ConsistencyLedger& ledger,
                                                 const runtime::Json* old_object,
                                                 const runtime::Json& object);

}  // namespace secprov::controllers

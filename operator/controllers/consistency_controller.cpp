#include "controllers/consistency_controller.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "check/catalogue.h"
#include "check/scope.h"
#include "controllers/conditions.h"
#include "controllers/observed.h"
#include "controllers/status_writer.h"
#include "kube/resource.h"
#include "runtime/object.h"

namespace secprov::controllers {
namespace {

using runtime::Json;
using runtime::ObjectKey;

constexpr std::size_t kMaxResultMessage = 1024;  // the CRD's maxLength
constexpr std::size_t kConditionPeersNamed = 3;  // inconsistent pairs spelled out

std::string bounded(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  s.resize(max - 3);
  return s + "...";
}

std::string first_label(std::string_view host) {
  return std::string(host.substr(0, host.find('.')));
}

std::string ns_key(std::string_view ns, std::string_view value) {
  return std::string(ns) + "/" + std::string(value);
}

std::vector<std::string> named_peers(const api::SecurityProfile& p) {
  std::vector<std::string> out;
  if (p.spec.ipsec) {
    for (const auto& i : p.spec.ipsec->interfaces) {
      for (const auto& peer : i.peers) out.push_back(peer.name);
    }
  }
  if (p.spec.enabler) {
    for (const auto& o : p.spec.enabler->outbound) {
      out.push_back(o.name);
      out.push_back(first_label(o.host));
      out.push_back(first_label(api::effective_server_name(o)));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The NF types a profile of `type` can pair with by the catalogue (either direction).
std::set<api::NfType> related_types(api::NfType type) {
  std::set<api::NfType> out;
  const check::EndType self{type};
  for (const auto& r : check::catalogue()) {
    if (r.a == self) {
      if (const auto* t = std::get_if<api::NfType>(&r.b)) out.insert(*t);
    }
    if (r.b == self) {
      if (const auto* t = std::get_if<api::NfType>(&r.a)) out.insert(*t);
    }
  }
  return out;
}

// The profile `object` is a version of, as far as consistency_peers reads it (its spec,
// metadata and status.consistency). The typed cache holds only the latest version: an older
// one (the old object of an update) is parsed from what the JSON cache kept of it, without
// the store-only status digest (strip_profile_status).
std::optional<api::SecurityProfile> peers_view(const ProfileStore& profiles, const Json& object) {
  if (const auto parsed = profiles.parsed(object)) return *parsed;
  if (!is_stripped_profile(object)) return std::nullopt;
  Json parseable = object;
  parseable.erase(kCachedStatusDigestField);
  auto parsed = api::parse_security_profile(parseable);
  if (!parsed) return std::nullopt;
  return std::move(parsed).value();
}

bool deleting(const Json& object) {
  const auto m = object.find("metadata");
  return m != object.end() && m->is_object() && m->contains("deletionTimestamp");
}

Json field(const Json& object, const char* a, const char* b) {
  const auto x = object.find(a);
  if (x == object.end() || !x->is_object()) return nullptr;
  const auto y = x->find(b);
  return y == x->end() ? Json(nullptr) : *y;
}

}  // namespace

void add_consistency_indexes(ProfileStore& profiles) {
  using Values = std::vector<std::string>;
  profiles.add_index(std::string(index::kProfileNamespaceNfType),
                     [](const api::SecurityProfile& p) {
                       return Values{ns_key(p.metadata.namespace_, api::to_string(p.spec.nf_type))};
                     });
  profiles.add_index(std::string(index::kProfileNamedPeer), [](const api::SecurityProfile& p) {
    Values out;
    for (const auto& name : named_peers(p)) out.push_back(ns_key(p.metadata.namespace_, name));
    return out;
  });
  profiles.add_index(
      std::string(index::kProfileDescribesExternalPeers), [](const api::SecurityProfile& p) {
        const bool describes = p.spec.consistency && !p.spec.consistency->external_peers.empty();
        return describes ? Values{p.metadata.namespace_} : Values{};
      });
}

ConsistencyOutcome consistency_outcome(const std::string& self_id,
                                       const std::vector<check::PairResult>& pairs,
                                       std::int64_t generation, bool scoped) {
  ConsistencyOutcome out;
  const std::string ns_prefix = self_id.substr(0, self_id.find('/') + 1);
  std::vector<api::ConsistencyResult> results;
  std::set<std::string> peers;
  for (const auto& pair : pairs) {
    std::string peer = pair.a == self_id ? pair.b : pair.a;
    if (peer.starts_with(ns_prefix)) peer.erase(0, ns_prefix.size());
    peers.insert(peer);
    const auto& f = pair.findings;
    const auto decided = std::find_if(f.begin(), f.end(), [](const check::Finding& x) {
      return x.severity != check::Severity::Info;
    });
    api::ConsistencyResult r;
    r.peer = peer;
    r.interface = std::string(check::to_string(pair.interface));
    r.consistent = pair.consistent();
    if (decided != f.end()) {
      r.reason = decided->reason;
      r.message = bounded(decided->message, kMaxResultMessage);
      out.inconsistent.emplace(r.interface, pair.a, pair.b);
    } else {
      r.reason = "Consistent";
      // What was not decided (Info) is said, never passed over silently.
      r.message = f.empty() ? "" : bounded(f.front().message, kMaxResultMessage);
    }
    results.push_back(std::move(r));
  }
  std::stable_sort(results.begin(), results.end(), [](const auto& x, const auto& y) {
    return std::tie(x.consistent, x.peer, x.interface) <
           std::tie(y.consistent, y.peer, y.interface);
  });
  const auto bad = static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const auto& r) { return !r.consistent; }));
  if (results.empty()) {
    out.condition = make_condition(
        kConditionConsistent, true, generation, "NoPeers",
        std::string("no peer to check: no profile of the namespace") +
            (scoped ? " matching spec.consistency.scope" : "") +
            " nor external peer pairs with this profile by the interface catalogue or a peer list");
  } else if (bad == 0) {
    out.condition =
        make_condition(kConditionConsistent, true, generation, "Consistent",
                       "consistent with " + std::to_string(peers.size()) + " peer(s) on " +
                           std::to_string(results.size()) + " pair(s)");
  } else {
    std::string message =
        std::to_string(bad) + " of " + std::to_string(results.size()) + " pair(s) inconsistent";
    for (std::size_t i = 0; i < bad && i < kConditionPeersNamed; ++i) {
      const auto& r = results[i];
      message += "; " + r.peer + " " + r.interface + " " + r.reason + ": " + r.message;
    }
    if (bad > kConditionPeersNamed) {
      message +=
          "; and " + std::to_string(bad - kConditionPeersNamed) + " more (status.consistency)";
    }
    out.condition =
        make_condition(kConditionConsistent, false, generation, results.front().reason, message);
  }
  if (results.size() > api::kMaxConsistencyResults) results.resize(api::kMaxConsistencyResults);
  out.results = std::move(results);
  return out;
}

std::vector<ObjectKey> consistency_peers(const ProfileStore& profiles,
                                         const api::SecurityProfile& profile) {
  const auto& ns = profile.metadata.namespace_;
  std::set<ObjectKey> out;
  for (const auto type : related_types(profile.spec.nf_type)) {
    for (auto& k :
         profiles.keys_by_index(index::kProfileNamespaceNfType, ns_key(ns, api::to_string(type)))) {
      out.insert(std::move(k));
    }
  }
  for (const auto& name : named_peers(profile)) out.insert({ns, name});
  for (const auto& name : {profile.metadata.name, api::effective_service_name(profile)}) {
    for (auto& k : profiles.keys_by_index(index::kProfileNamedPeer, ns_key(ns, name))) {
      out.insert(std::move(k));
    }
  }
  for (const auto& r : profile.status.consistency) {
    if (!r.peer.starts_with("external/")) out.insert({ns, r.peer});
  }
  out.erase({ns, profile.metadata.name});
  return {out.begin(), out.end()};
}

std::vector<ObjectKey> consistency_keys(const ProfileStore& profiles,
                                        const ConsistencyLedger& ledger, const Json* old_object,
                                        const Json& object) {
  const auto key = runtime::try_key_of(object);
  if (!key) return {};
  // What the profile's own evaluation reads: it came or went, its spec, its labels.
  const bool changed =
      old_object == nullptr ||
      field(*old_object, "metadata", "generation") != field(object, "metadata", "generation") ||
      field(*old_object, "metadata", "labels") != field(object, "metadata", "labels") ||
      deleting(object) != deleting(*old_object);
  // Our own write of status.consistency reaches the peers (a change of trust seen from one
  // side). Any other status-only change (the profile controller's) changes no check.
  const bool fan_out = changed || field(*old_object, "status", "consistency") !=
                                      field(object, "status", "consistency");
  std::vector<ObjectKey> out;
  if (changed) {
    // The profile itself not while the profile controller's write of its generation's first
    // evaluation is pending (that write carries it): a new profile is evaluated once. A
    // deleted one (gone from the cache) or one being deleted still comes: the gauge forgets
    // it.
    const bool pending =
        profiles.get(*key) != nullptr && !deleting(object) &&
        field(object, "status", "observedGeneration") != field(object, "metadata", "generation");
    if (!pending) out.push_back(*key);
  } else if (fan_out ||
             consistent_condition_digest(*old_object) != consistent_condition_digest(object)) {
    // Its evaluation written, as when the profile controller wrote a generation's first
    // evaluation (fold_consistency): evaluated again only if a peer's change was left to that
    // evaluation after it had begun (ConsistencyLedger).
    if (ledger.deferred(*key)) out.push_back(*key);
  }
  if (!fan_out) return out;
  for (const Json* o : {old_object, &object}) {
    if (o == nullptr) continue;
    if (const auto p = peers_view(profiles, *o)) {
      auto more = consistency_peers(profiles, *p);
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  return out;
}

std::set<std::string> InconsistentPairs::update(const std::string& profile,
                                                const std::set<PairKey>& pairs) {
  std::set<std::string> changed;
  auto& mine = by_profile_[profile];
  for (const auto& p : mine) {
    if (pairs.contains(p)) continue;
    if (--pairs_[p] == 0) {
      pairs_.erase(p);
      changed.insert(std::get<0>(p));
    }
  }
  for (const auto& p : pairs) {
    if (mine.contains(p)) continue;
    if (++pairs_[p] == 1) changed.insert(std::get<0>(p));
  }
  if (pairs.empty()) {
    by_profile_.erase(profile);
  } else {
    mine = pairs;
  }
  return changed;
}

std::size_t InconsistentPairs::count(const std::string& interface) const {
  return static_cast<std::size_t>(std::count_if(pairs_.begin(), pairs_.end(), [&](const auto& e) {
    return std::get<0>(e.first) == interface;
  }));
}

std::string_view metric_label(Evaluator evaluator) {
  switch (evaluator) {
    case Evaluator::ProfileController:
      return "securityprofile";
    case Evaluator::ConsistencyController:
      return "consistency";
  }
  return "";
}

ConsistencyLedger::ConsistencyLedger(prometheus::Registry* registry) {
  if (!registry) return;
  gauge_ = &prometheus::BuildGauge()
                .Name("secprov_inconsistent_pairs")
                .Help(
                    "Pairs of peer NFs whose security configuration is inconsistent, by "
                    "interface (issue 11 consistency checks)")
                .Register(*registry);
  // Every interface is shown, zero included.
  for (const auto i : {check::Interface::Sbi, check::Interface::N2, check::Interface::N3,
                       check::Interface::N4, check::Interface::N9, check::Interface::N32}) {
    gauge_->Add({{"interface", std::string(check::to_string(i))}}).Set(0);
  }
  auto& evaluations = prometheus::BuildCounter()
                          .Name("secprov_consistency_evaluations_total")
                          .Help(
                              "Consistency evaluations of a profile, by the controller that "
                              "made them (securityprofile: a generation's first, folded into "
                              "its status write)")
                          .Register(*registry);
  for (const auto e : {Evaluator::ProfileController, Evaluator::ConsistencyController}) {
    evaluations_metric_[static_cast<std::size_t>(e)] =
        &evaluations.Add({{"controller", std::string(metric_label(e))}});
  }
}

void ConsistencyLedger::count_locked(Evaluator evaluator) {
  const auto i = static_cast<std::size_t>(evaluator);
  ++evaluations_[i];
  if (evaluations_metric_[i]) evaluations_metric_[i]->Increment();
}

ConsistencyLedger::Ticket ConsistencyLedger::begin_fold(const ObjectKey& key) {
  const std::lock_guard lock(mutex_);
  deferred_.erase(key);
  count_locked(Evaluator::ProfileController);
  return ++last_;
}

ConsistencyLedger::Ticket ConsistencyLedger::defer(const ObjectKey& key) {
  const std::lock_guard lock(mutex_);
  deferred_.insert(key);
  return ++last_;
}

void ConsistencyLedger::evaluate(const ObjectKey& key) {
  const std::lock_guard lock(mutex_);
  deferred_.erase(key);
  count_locked(Evaluator::ConsistencyController);
}

bool ConsistencyLedger::deferred(const ObjectKey& key) const {
  const std::lock_guard lock(mutex_);
  return deferred_.contains(key);
}

void ConsistencyLedger::set(const ObjectKey& key, Ticket ticket, const std::set<PairKey>& pairs) {
  const std::lock_guard lock(mutex_);
  auto& set_by = set_by_[key];
  if (set_by > ticket) return;  // a later view is shown already
  set_by = ticket;
  set_locked(key, pairs);
}

void ConsistencyLedger::forget(const ObjectKey& key) {
  const std::lock_guard lock(mutex_);
  set_by_.erase(key);
  deferred_.erase(key);
  set_locked(key, {});
}

void ConsistencyLedger::set_locked(const ObjectKey& key, const std::set<PairKey>& pairs) {
  for (const auto& interface : pairs_.update(key.to_string(), pairs)) {
    if (gauge_) {
      gauge_->Add({{"interface", interface}}).Set(static_cast<double>(pairs_.count(interface)));
    }
  }
}

std::size_t ConsistencyLedger::inconsistent(const std::string& interface) const {
  const std::lock_guard lock(mutex_);
  return pairs_.count(interface);
}

std::uint64_t ConsistencyLedger::evaluations(Evaluator evaluator) const {
  const std::lock_guard lock(mutex_);
  return evaluations_[static_cast<std::size_t>(evaluator)];
}

ConsistencyReconciler::ConsistencyReconciler(Context context)
    : context_(std::move(context)),
      ledger_(context_.consistency ? context_.consistency
                                   : std::make_shared<ConsistencyLedger>(context_.registry.get())) {
  add_consistency_indexes(*context_.stores.typed_profiles);
}

ConsistencyOutcome evaluate_consistency(const Stores& stores, const api::SecurityProfile& profile) {
  const auto& profiles = *stores.typed_profiles;
  const auto& ns = profile.metadata.namespace_;
  std::vector<std::shared_ptr<const api::SecurityProfile>> held;
  std::set<runtime::ObjectKey> taken;
  for (const auto& k : consistency_peers(profiles, profile)) {
    if (auto p = profiles.get(k); p && taken.insert(k).second) held.push_back(std::move(p));
  }
  for (auto& p : profiles.by_index(index::kProfileDescribesExternalPeers, ns)) {
    if (p && taken.insert({p->metadata.namespace_, p->metadata.name}).second) {
      held.push_back(std::move(p));
    }
  }
  std::vector<const api::SecurityProfile*> ptrs;
  ptrs.reserve(held.size());
  for (const auto& p : held) ptrs.push_back(p.get());
  auto scope = check::scope_for(profile, ptrs, {});
  std::set<std::string> domain_names;
  for (const auto& p : scope.profiles) {
    domain_names.insert(p.spec.trust_domain_ref.name);
    if (p.spec.n32 && p.spec.n32->trust_domain_ref) {
      domain_names.insert(p.spec.n32->trust_domain_ref->name);
    }
  }
  for (const auto& name : domain_names) {
    if (const auto d = stores.typed_trust_domains->get({"", name})) {
      scope.trust_domains.push_back(check::trust_domain_info(*d));
    }
  }
  const auto id = ns + "/" + profile.metadata.name;
  const bool scoped = profile.spec.consistency && profile.spec.consistency->scope.has_value();
  return consistency_outcome(id, check::evaluate_for(scope, id), profile.metadata.generation,
                             scoped);
}

bool first_evaluation_pending(const api::SecurityProfile& profile) {
  return profile.status.observed_generation != profile.metadata.generation;
}

ConsistencyChange fold_consistency(const Stores& stores, const api::SecurityProfile& profile,
                                   api::SecurityProfileStatus& status,
                                   std::chrono::system_clock::time_point now) {
  // Judged as it stands once written: the NF instance ID this write sets (an NRF's, for the
  // OAuth2 pairs) counts already.
  std::optional<api::SecurityProfile> as_written;
  if (status.nf_instance_id != profile.status.nf_instance_id) {
    as_written = profile;
    as_written->status.nf_instance_id = status.nf_instance_id;
  }
  ConsistencyChange change{evaluate_consistency(stores, as_written ? *as_written : profile),
                           std::nullopt};
  if (const auto* c = api::find_condition(status.conditions, kConditionConsistent)) {
    change.before = c->status;
  }
  api::set_condition(status.conditions, change.outcome.condition, seconds_of(now));
  status.consistency = change.outcome.results;
  return change;
}

void record_consistency_change(runtime::EventRecorder& events, const Json& object,
                               const ConsistencyChange& change) {
  const auto now = change.outcome.condition.status;
  if (change.before ? *change.before == now : now != api::ConditionStatus::False) return;
  const bool ok = now == api::ConditionStatus::True;
  events.record(object, ok ? runtime::EventType::Normal : runtime::EventType::Warning,
                ok ? "Consistent" : "Inconsistent", change.outcome.condition.message);
}

runtime::ReconcileResult ConsistencyReconciler::reconcile(const ObjectKey& key) {
  // Marked before the profile is read (ConsistencyLedger::defer); the mark goes below unless
  // the profile controller's first evaluation is pending.
  const auto ticket = ledger_->defer(key);
  const auto object = context_.stores.profiles->get(key);
  if (!object || deleting(*object)) {
    ledger_->forget(key);
    return runtime::ReconcileResult::Done();
  }
  // The whole profile, never a view of a stripped one: its status is written back.
  const auto profile = context_.stores.typed_profiles->parsed(*object);
  if (!profile) {  // the profile controller reports InvalidSpec
    ledger_->forget(key);
    return runtime::ReconcileResult::Done();
  }
  // Left to the profile controller's write; consistency_keys brings the profile back here
  // after that write only if it stays marked (a peer changed after that evaluation began).
  if (first_evaluation_pending(*profile)) return runtime::ReconcileResult::Done();
  ledger_->evaluate(key);
  api::SecurityProfileStatus status = profile->status;
  const auto change = fold_consistency(context_.stores, *profile, status, context_.now());
  // Idempotent: nothing is written when the evaluation equals the status.
  if (write_status_if_changed(*context_.client, kube::resources::security_profiles(), *object,
                              api::to_json(status))) {
    record_consistency_change(*context_.events, *object, change);
  }
  ledger_->set(key, ticket, change.outcome.inconsistent);
  return runtime::ReconcileResult::Done();
}

}  // namespace secprov::controllers

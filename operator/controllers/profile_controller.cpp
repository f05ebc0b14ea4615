#include "controllers/profile_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "api/constants.h"
#include "controllers/conditions.h"
#include "controllers/consistency_controller.h"
#include "controllers/ipsec_coordination.h"
#include "controllers/pod_watches.h"
#include "controllers/policies.h"
#include "controllers/status_writer.h"
#include "controllers/trust_domain_controller.h"
#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "crypto/kdf.h"
#include "render/digest.h"
#include "render/enabler.h"
#include "render/injection.h"
#include "render/labels.h"
#include "render/n32.h"
#include "render/names.h"
#include "render/oauth2.h"
#include "render/profile.h"
#include "render/trust_domain.h"
#include "runtime/finalizer.h"
#include "runtime/object.h"

namespace secprov::controllers {
namespace {

using Clock = std::chrono::system_clock;
using Json = nlohmann::json;

// status.objects[].digest of an object as written.
std::string written_digest(const Json& desired) {
  return render::object_digest(
      render::data_digests(desired.at("data"), render::data_encoding_of(desired)));
}

const api::GeneratedObject* previous_entry(const api::SecurityProfileStatus& status,
                                           const std::string& kind, const std::string& name) {
  const auto found = std::find_if(status.objects.begin(), status.objects.end(),
                                  [&](const auto& o) { return o.kind == kind && o.name == name; });
  return found == status.objects.end() ? nullptr : &*found;
}

std::optional<crypto::LeafFacts> stored_leaf(const Json* secret) {
  return secret == nullptr ? std::nullopt : secret_leaf(*secret);
}

// The NF instance ID: the spec's, else the one in use (status, else the stored certificate's
// SAN, so a status lost between issuing and writing it is recovered), else a new one.
std::string nf_instance_id_for(const api::SecurityProfile& profile,
                               const std::optional<crypto::LeafFacts>& stored) {
  if (const auto known = api::effective_nf_instance_id(profile)) return *known;
  if (stored) {
    for (const auto& uri : stored->uris()) {
      if (uri.rfind("urn:uuid:", 0) == 0) return uri.substr(9);
    }
  }
  return crypto::random_uuid();
}

api::CertificateStatus certificate_status(const crypto::LeafFacts& leaf,
                                          std::chrono::seconds renew_before) {
  api::CertificateStatus status;
  status.serial_number = leaf.serial_hex();
  status.sha256_fingerprint = leaf.sha256_fingerprint();
  status.not_before = seconds_of(leaf.not_before());
  status.not_after = seconds_of(leaf.not_after());
  status.renewal_time = seconds_of(leaf.not_after() - renew_before);
  return status;
}

std::optional<runtime::OwnerReference> controller_reference(const Json& object) {
  for (auto& reference : runtime::owner_references_of(object)) {
    if (reference.controller) return reference;
  }
  return std::nullopt;
}

// Removes render::kRevocationFinalizer from a Secret as the server or the cache has it
// (a Conflict is thrown: the pass is retried). Whether the Secret held it; one gone already is
// done.
bool let_go_of_revocation(kube::Client& client, const Json& secret) {
  try {
    return runtime::remove_finalizer(client, kube::resources::secrets(), secret,
                                     render::kRevocationFinalizer);
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e)) throw;
    return true;
  }
}

// After the operator's own DELETE of a generated Secret (its certificate revoked or kept by
// the caller's decision), the revocation finalizer is let go at once: the deletion's event
// may be taken for the echo of that write and bring no pass that would. `answer` is the
// DELETE's (the object still held, or a Status).
void let_go_after_delete(kube::Client& client, const kube::ResourceType& type, const Json& answer) {
  if (type == kube::resources::secrets()) let_go_of_revocation(client, answer);
}

// Deletes an object the operator decided to remove, if it is still the one of `uid` (an
// object recreated under the name meanwhile is not touched); gone already is done.
void remove_decided(kube::Client& client, const kube::ResourceType& type, const std::string& ns,
                    const std::string& name, const std::string& uid) {
  try {
    const auto answer =
        client.remove(type, ns, name,
                      kube::DeleteOptions{.propagation = kube::Propagation::Default,
                                          .precondition_uid = uid,
                                          .precondition_resource_version = std::nullopt});
    let_go_after_delete(client, type, answer);
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e) && e.kind() != kube::ErrorKind::Conflict) throw;
  }
}

bool has_managed_label(const Json& object) {
  return runtime::label_of(object, render::kManagedByLabel) == std::string(render::kManagedByValue);
}

// Waits between re-checks of a name taken by a foreign object: the object is outside the
// label-selected cache, so no event says when it goes. Grows with the time already stalled.
std::chrono::milliseconds conflict_recheck_delay(const api::SecurityProfileStatus& status,
                                                 Clock::time_point now) {
  constexpr auto kMin = std::chrono::seconds(5);
  constexpr auto kMax = std::chrono::minutes(5);
  std::chrono::seconds stalled_for{0};
  if (const auto* c = api::find_condition(status.conditions, api::kConditionStalled);
      c != nullptr && c->status == api::ConditionStatus::True && c->reason == "ObjectConflict") {
    stalled_for =
        std::chrono::duration_cast<std::chrono::seconds>(seconds_of(now) - c->last_transition_time);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::clamp<std::chrono::seconds>(stalled_for, kMin, kMax));
}

}  // namespace

Ownership ownership_of(const Json* object, const api::SecurityProfile& profile) {
  if (object == nullptr) return Ownership::Absent;
  if (const auto reference = controller_reference(*object)) {
    return reference->uid == profile.metadata.uid ? Ownership::Ours : Ownership::Foreign;
  }
  if (has_managed_label(*object) && runtime::label_of(*object, render::kProfileLabel) ==
                                        render::label_value(profile.metadata.name)) {
    return Ownership::Released;
  }
  return Ownership::Foreign;
}

bool removable_by(const Json& object, const std::string& profile_uid) {
  const auto reference = controller_reference(object);
  return reference && reference->uid == profile_uid && has_managed_label(object);
}

struct SecurityProfileReconciler::Target {
  kube::ResourceType type;
  std::string kind;
  std::string name;
  bool wanted = false;
  runtime::ObjectPtr current;  // as cached (Secrets: digests only), or fetched and stripped
  bool in_cache = false;
  Ownership ownership = Ownership::Absent;
  std::optional<crypto::LeafFacts> leaf;  // tls.crt's leaf, decoded once per pass
  // Secret data as the server has it (private values), read only when material is reused.
  std::optional<Json> data;
  std::string created_uid;  // of the object this pass created
  const Json* object() const { return current.get(); }
};

struct SecurityProfileReconciler::Pass {
  const Json& object;
  const api::SecurityProfile& profile;
  const api::TrustDomain& domain;
  const crypto::CertificateAuthority& ca;
  const crypto::LeafFacts::Issuer& issuer;  // ca, prepared once for every leaf of the pass
  Clock::time_point now;
  render::ProfilePlan plan;
};

SecurityProfileReconciler::SecurityProfileReconciler(Context context,
                                                     std::shared_ptr<CaProvider> cas,
                                                     BundleNotifier bundle_changed)
    : context_(std::move(context)),
      cas_(std::move(cas)),
      bundle_changed_(std::move(bundle_changed)),
      limiter_(IssuanceLimiter::Options{}, context_.registry) {
  add_consistency_indexes(*context_.stores.typed_profiles);  // for fold_consistency
}

SecurityProfileReconciler::Target SecurityProfileReconciler::observe_target(
    const api::SecurityProfile& profile, const render::ObjectPlan& planned) {
  const bool is_secret = planned.kind == "Secret";
  Target target{.type = is_secret ? kube::resources::secrets() : kube::resources::config_maps(),
                .kind = planned.kind,
                .name = planned.name,
                .wanted = planned.wanted,
                .current = nullptr,
                .in_cache = false,
                .ownership = Ownership::Absent,
                .leaf = std::nullopt,
                .data = std::nullopt,
                .created_uid = {}};
  const auto& store =
      is_secret ? context_.stores.managed_secrets : context_.stores.managed_config_maps;
  if (auto cached = store->get({profile.metadata.namespace_, planned.name})) {
    target.current = std::move(cached);
    target.in_cache = true;
  }
  target.ownership = ownership_of(target.object(), profile);
  return target;
}

void SecurityProfileReconciler::read_uncached(const api::SecurityProfile& profile, Target& target) {
  if (target.in_cache || !target.wanted) return;
  // Not in the label-selected cache: absent, ours without its label, or someone else's.
  try {
    auto fetched = context_.client->get(target.type, profile.metadata.namespace_, target.name);
    target.current = std::make_shared<const Json>(
        target.kind == "Secret" ? strip_secret_data(std::move(fetched)) : std::move(fetched));
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e)) throw;
  }
  target.ownership = ownership_of(target.object(), profile);
}

// Takes a released object back: it carries this profile's name and secprov's label, and no
// controller. Only the ownerReference (and a certificate Secret's revocation hold) is written;
// the content is judged afterwards.
void SecurityProfileReconciler::claim(Target& target, const Pass& pass) {
  if (target.ownership != Ownership::Released) return;
  const auto& current = *target.current;
  auto references = current["metadata"].value("ownerReferences", Json::array());
  references.push_back(render::owner_reference(pass.profile));
  Json patch = {{"metadata",
                 {{"ownerReferences", references},
                  {"resourceVersion", current["metadata"]["resourceVersion"]}}}};
  if (target.type == kube::resources::secrets() &&
      target.name == render::tls_secret_name(pass.profile) &&
      !runtime::has_finalizer(current, render::kRevocationFinalizer)) {
    // Released without it (Retain): its deletion waits for the revocation again.
    patch["metadata"]["finalizers"] = current["metadata"].value("finalizers", Json::array());
    render::mark_revocable(patch, pass.profile.spec.trust_domain_ref.name);
  }
  auto updated = context_.client->merge_patch(target.type, pass.profile.metadata.namespace_,
                                              target.name, patch);
  target.current = std::make_shared<const Json>(
      target.kind == "Secret" ? strip_secret_data(std::move(updated)) : std::move(updated));
  target.ownership = Ownership::Ours;
  context_.events->record(
      pass.object, runtime::EventType::Normal, "Adopted",
      target.kind + " " + target.name + " left by a deleted profile of this name is adopted");
}

void SecurityProfileReconciler::write(const Json& desired, Target& target) {
  const auto& ns = desired["metadata"]["namespace"].get<std::string>();
  if (target.ownership == Ownership::Absent) {
    // Create, never apply: an object that appeared since it was observed is not taken over.
    const auto created = context_.client->create(target.type, ns, desired, kube::Answer::Metadata);
    target.created_uid = runtime::uid_of(created);
    return;
  }
  context_.client->apply(
      target.type, ns, desired,
      kube::ApplyOptions{
          .field_manager = kFieldManager, .force = true, .answer = kube::Answer::Metadata});
}

void SecurityProfileReconciler::roll_back_created(const Pass& pass,
                                                  const std::vector<Target>& targets) {
  for (const auto& target : targets) {
    if (target.created_uid.empty()) continue;
    // Gone already, or no longer the object created: nothing to undo.
    remove_decided(*context_.client, target.type, pass.profile.metadata.namespace_, target.name,
                   target.created_uid);
  }
}

bool SecurityProfileReconciler::take_absence_check(const std::string& profile_uid) {
  const std::lock_guard lock(absence_checks_mutex_);
  return absence_checks_.erase(profile_uid) > 0;
}

void SecurityProfileReconciler::require_absence_check(const std::string& profile_uid) {
  const std::lock_guard lock(absence_checks_mutex_);
  absence_checks_.insert(profile_uid);
}

// Puts back the labels and the ownerReference of an object whose data is intact, without
// rewriting the data: a stripped label must not cost a new key.
bool SecurityProfileReconciler::repair_metadata(const Pass& pass, const Target& target,
                                                const Observation& observed,
                                                const std::string& desired_input_digest) {
  // Only when the data is what this spec renders: a spec change rewrites the data.
  if (!observed.exists || !observed.drifted_keys.empty() ||
      observed.input_digest != desired_input_digest) {
    return false;
  }
  Json patch = {{"metadata",
                 {{"labels", render::managed_labels(pass.profile)},
                  {"resourceVersion", (*target.current)["metadata"]["resourceVersion"]}}}};
  if (!observed.owner_intact) {
    auto references = (*target.current)["metadata"].value("ownerReferences", Json::array());
    references.push_back(render::owner_reference(pass.profile));
    patch["metadata"]["ownerReferences"] = references;
  }
  context_.client->merge_patch(target.type, pass.profile.metadata.namespace_, target.name, patch);
  return true;
}

void SecurityProfileReconciler::remove_unwanted(const Pass& pass, const Target& target) {
  if (target.wanted || !target.current) return;
  if (!removable_by(*target.current, pass.profile.metadata.uid)) {
    return;  // another profile's or a user's object that merely has the name: not ours
  }
  remove_decided(*context_.client, target.type, pass.profile.metadata.namespace_, target.name,
                 runtime::uid_of(*target.current));
}

// One private value of a Secret, read from the server (the cache keeps only digests) at
// most once per pass and object.
std::optional<std::string> SecurityProfileReconciler::stored_value(const Pass& pass, Target& target,
                                                                   std::string_view key) {
  if (!target.data) {
    try {
      target.data = context_.client->get(target.type, pass.profile.metadata.namespace_, target.name)
                        .value("data", Json::object());
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;
      target.data = Json::object();
    }
  }
  const auto value = target.data->value(std::string(key), Json());
  if (!value.is_string()) return std::nullopt;
  return crypto::base64_decode(value.get<std::string>());
}

// Replaces the cached view of a target by the server's.
void SecurityProfileReconciler::refetch(const Pass& pass, Target& target) {
  try {
    auto fetched = context_.client->get(target.type, pass.profile.metadata.namespace_, target.name);
    target.data = fetched.value("data", Json::object());
    target.current = std::make_shared<const Json>(strip_secret_data(std::move(fetched)));
    target.in_cache = false;
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e)) throw;
    target.current.reset();
    target.ownership = Ownership::Absent;
  }
  target.leaf = stored_leaf(target.object());
}

// The key to certify: the stored one when the policy keeps keys and it is intact and of the
// requested algorithm, else a new one.
crypto::PrivateKey SecurityProfileReconciler::key_for_issuing(const Pass& pass, Target& target,
                                                              const Observation& observed) {
  const auto algorithm = pass.plan.certificate->key_algorithm;
  if (pass.profile.spec.sbi.tls.certificate.rotation_policy == api::RotationPolicy::Never &&
      observed.exists && !observed.drifted_keys.contains("tls.key")) {
    if (const auto pem = stored_value(pass, target, render::kTlsPrivateKeyKey)) {
      try {
        auto kept = crypto::PrivateKey::from_pem(*pem);
        if (kept.algorithm() == algorithm) return kept;
      } catch (const crypto::CryptoError&) {
        // An unreadable key is replaced.
      }
    }
  }
  return crypto::PrivateKey::generate(algorithm);
}

void SecurityProfileReconciler::report_revocation(const nlohmann::json& object,
                                                  const std::string& trust_domain,
                                                  RevocationRecord record) {
  if (record != RevocationRecord::NotOurs) return;
  context_.events->record(object, runtime::EventType::Warning, "RevocationNotRecorded",
                          "the replaced certificate is not revoked: ConfigMap " +
                              context_.operator_namespace + "/" +
                              render::crl_config_map_name(trust_domain) + " is not TrustDomain " +
                              trust_domain + "'s CRL and is left unchanged");
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_tls(const Pass& pass,
                                                                            Target& target) {
  Outcome outcome;
  if (!target.wanted) return outcome;
  const auto& profile = pass.profile;
  const auto& request = *pass.plan.certificate;
  const auto* previous = previous_entry(profile.status, "Secret", target.name);
  const auto* recorded = profile.status.certificate ? &*profile.status.certificate : nullptr;

  if (target.leaf && target.in_cache && recorded &&
      target.leaf->sha256_fingerprint() != recorded->sha256_fingerprint) {
    // The cache may not have seen the operator's last write yet (the status event can come
    // before the Secret's): judge the object as the API server has it.
    refetch(pass, target);
  }
  const auto& leaf = target.leaf;
  auto observed = observe(target.object(), pass.plan.labels, profile.metadata.uid);
  const auto certificate_input = [&](const crypto::LeafFacts* certificate) {
    return policies::Input{.leaf = certificate,
                           .ca = &pass.ca.certificate(),
                           .issuer = &pass.issuer,
                           .now = pass.now,
                           .duration = request.duration,
                           .renew_before = request.renew_before};
  };
  const auto current = certificate_input(leaf ? &*leaf : nullptr);
  if (previous != nullptr && recorded != nullptr &&
      policies::certificate_replaced(current, &recorded->sha256_fingerprint,
                                     recorded->not_before)) {
    observed.drifted_keys.emplace(std::string(render::kTlsCertificateKey), KeyDrift::Modified);
  }
  outcome.assessment =
      assess({"Secret", target.name, &observed, previous, pass.plan.tls.input_digest,
              profile.spec.drift_policy, seconds_of(pass.now)});
  const auto trigger = policies::issuing_needed(current);
  const auto action = outcome.assessment.action;
  std::optional<crypto::LeafFacts> kept_or_issued = leaf;

  if (action == Action::Write && !trigger &&
      repair_metadata(pass, target, observed, pass.plan.tls.input_digest)) {
    outcome.assessment.state = api::ObjectState::InSync;
    outcome.wrote = true;
    outcome.object = api::GeneratedObject{"Secret", target.name, observed.object_digest,
                                          api::ObjectState::InSync};
  } else if (action == Action::Write || (action == Action::None && trigger)) {
    if (const auto wait = limiter_.try_take(profile.metadata.uid, pass.now)) {
      outcome.throttled = *wait;
      context_.events->record(pass.object, runtime::EventType::Warning, "IssuanceThrottled",
                              "certificate issuance for this profile exceeds its rate limit; "
                              "held back");
      outcome.object = api::GeneratedObject{"Secret", target.name, observed.object_digest,
                                            outcome.assessment.state};
    } else {
      const auto key = key_for_issuing(pass, target, observed);
      const auto& trust_domain = profile.spec.trust_domain_ref.name;
      // Revoked before its successor, when its key is no longer to be trusted.
      if (leaf && policies::revocation_on_replacement(
                      observed.drifted_keys.contains(std::string(render::kTlsPrivateKeyKey)),
                      leaf->issued_by(pass.issuer))) {
        report_revocation(pass.object, trust_domain,
                          record_revocation(context_, trust_domain, *leaf, pass.now));
      }
      auto certificate = request.certificate;
      // At issuance only: a changed --crl-base-url reaches certificates as they renew.
      certificate.crl_distribution_point =
          render::crl_distribution_point(context_.crl_base_url, trust_domain);
      render::set_validity(certificate, request.duration, pass.now,
                           pass.ca.certificate().not_after());
      const auto issued = pass.ca.issue(key, certificate, pass.now);
      const auto chain = issued.to_pem() + pass.ca.certificate_pem();
      kept_or_issued = issued_leaf_facts(issued, chain, context_.certificate_facts.get());
      const auto desired = pass.plan.tls_secret(chain, key.to_pkcs8_pem());
      write(desired, target);
      outcome.wrote = true;
      const auto what =
          policies::issuance_reason(leaf.has_value(), outcome.assessment.repair, trigger);
      context_.events->record(pass.object, runtime::EventType::Normal, what,
                              what + " certificate serial " + issued.serial_hex() +
                                  " valid until " +
                                  api::format_rfc3339(seconds_of(issued.not_after())) +
                                  (trigger ? " (" + trigger->reason + ")" : ""));
      outcome.object = api::GeneratedObject{"Secret", target.name, written_digest(desired),
                                            api::ObjectState::InSync};
    }
  } else if (action == Action::None && target.current &&
             secret_value_digest(*target.current, render::kCaBundleKey) !=
                 render::value_digest(pass.plan.trust_bundle_pem)) {
    // The trust domain's bundle changed (a CA replaced or an overlap ended): ca.crt follows
    // with the same key and certificate, since peers' trust, not this NF's identity, moved.
    const auto desired =
        pass.plan.tls_secret(stored_value(pass, target, render::kTlsCertificateKey).value_or(""),
                             stored_value(pass, target, render::kTlsPrivateKeyKey).value_or(""));
    write(desired, target);
    outcome.wrote = true;
    context_.events->record(pass.object, runtime::EventType::Normal, "TrustBundleUpdated",
                            "ca.crt of Secret " + target.name + " follows the trust bundle");
    outcome.object = api::GeneratedObject{"Secret", target.name, written_digest(desired),
                                          api::ObjectState::InSync};
  } else {
    outcome.object = api::GeneratedObject{"Secret", target.name, observed.object_digest,
                                          outcome.assessment.state};
  }
  if (kept_or_issued) {
    const auto after = certificate_input(&*kept_or_issued);
    // Under Report a replaced certificate is left, and status keeps the one the operator
    // wrote, so the replacement stays visible as drift on the next pass too.
    outcome.certificate = action == Action::ReportOnly && recorded
                              ? *recorded
                              : certificate_status(*kept_or_issued, request.renew_before);
    outcome.next_check = policies::next_check(after);
    if (const auto held = policies::renewal_held_back(after);
        held && held->reason == "CAExpiringSoon") {
      outcome.ca_expiring = held->message;
    }
  }
  return outcome;
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_config(const Pass& pass,
                                                                               Target& target) {
  const auto& profile = pass.profile;
  const auto& desired = pass.plan.config_map;
  const auto observed = observe(target.object(), pass.plan.labels, profile.metadata.uid);
  Outcome outcome;
  outcome.assessment =
      assess({"ConfigMap", target.name, &observed,
              previous_entry(profile.status, "ConfigMap", target.name),
              pass.plan.config.input_digest, profile.spec.drift_policy, seconds_of(pass.now)});
  if (outcome.assessment.action == Action::Write &&
      !repair_metadata(pass, target, observed, pass.plan.config.input_digest)) {
    write(desired, target);
    outcome.wrote = true;
    outcome.object = api::GeneratedObject{"ConfigMap", target.name, written_digest(desired),
                                          api::ObjectState::InSync};
  } else {
    outcome.wrote = outcome.assessment.action == Action::Write;
    outcome.object =
        api::GeneratedObject{"ConfigMap", target.name, observed.object_digest,
                             outcome.wrote ? api::ObjectState::InSync : outcome.assessment.state};
  }
  return outcome;
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_ipsec(const Pass& pass,
                                                                              Target& target) {
  Outcome outcome;
  if (!target.wanted) return outcome;
  const auto& profile = pass.profile;
  const auto observed = observe(target.object(), pass.plan.labels, profile.metadata.uid);
  outcome.assessment = assess(
      {"Secret", target.name, &observed, previous_entry(profile.status, "Secret", target.name),
       pass.plan.ipsec.input_digest, profile.spec.drift_policy, seconds_of(pass.now)});
  if (outcome.assessment.action != Action::Write) {
    outcome.object = api::GeneratedObject{"Secret", target.name, observed.object_digest,
                                          outcome.assessment.state};
    return outcome;
  }
  if (repair_metadata(pass, target, observed, pass.plan.ipsec.input_digest)) {
    outcome.wrote = true;
    outcome.object = api::GeneratedObject{"Secret", target.name, observed.object_digest,
                                          api::ObjectState::InSync};
    return outcome;
  }
  // A spec change that would break a consistent link while the peer's spec still has the
  // old parameters waits: the Secret keeps what is on the wire (drift repair waits too), and
  // the peer's spec change brings this profile back (ipsec_peers_of_profile).
  if (observed.exists && !observed.input_digest.empty() &&
      observed.input_digest != pass.plan.ipsec.input_digest) {
    if (const auto applied = policies::applied_ipsec_profile(pass.object, *target.current)) {
      std::vector<api::SecurityProfile> peers;
      for (const auto& p : context_.stores.typed_profiles->by_index(index::kProfileNamespace,
                                                                    profile.metadata.namespace_)) {
        if (p) peers.push_back(*p);
      }
      if (auto pending = policies::ipsec_change_pending(*applied, profile, peers)) {
        outcome.object = api::GeneratedObject{"Secret", target.name, observed.object_digest,
                                              api::ObjectState::InSync};
        outcome.not_ready = std::move(pending);
        return outcome;
      }
    }
  }
  // One PSK per link, derived from the trust domain's CA key: the profile at the other end
  // (same trust domain) derives the very same bytes, and a drifted or older (random) PSK is
  // repaired to it. Secret material: never logged.
  render::IpsecMaterial material;
  for (const auto& psk : render::pre_shared_key_inputs(profile)) {
    material.pre_shared_keys[psk.name] = crypto::base64_encode(crypto::derive_key(
        pass.ca.key(), render::kPreSharedKeySalt, psk.info, render::kPreSharedKeyBytes));
  }
  const auto desired = pass.plan.ipsec_secret(material);
  write(desired, target);
  outcome.wrote = true;
  outcome.object = api::GeneratedObject{"Secret", target.name, written_digest(desired),
                                        api::ObjectState::InSync};
  return outcome;
}

std::optional<Json> SecurityProfileReconciler::read_secret(const std::string& ns,
                                                           const std::string& name) {
  try {
    return context_.client->get(kube::resources::secrets(), ns, name);
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e)) throw;
    return std::nullopt;
  }
}

void SecurityProfileReconciler::remove_owned_secret(const Json& current,
                                                    const std::string& profile_uid) {
  if (!removable_by(current, profile_uid)) return;
  const auto& metadata = current.at("metadata");
  remove_decided(*context_.client, kube::resources::secrets(),
                 metadata.value("namespace", std::string{}), metadata.value("name", std::string{}),
                 metadata.value("uid", std::string{}));
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_oauth2_signing(
    const Pass& pass) {
  Outcome outcome;
  const auto& profile = pass.profile;
  const auto& ns = profile.metadata.namespace_;
  const auto name = render::oauth2_signing_secret_name(profile);
  const auto request =
      render::oauth2_signing_request(profile, pass.domain, pass.plan.nf_instance_id);
  // Read from the server: the cache holds digests only, and the leaf decides renewal.
  std::optional<Json> current;
  if (request || render::is_authorization_server(profile) ||
      context_.stores.managed_secrets->get({ns, name})) {
    current = read_secret(ns, name);
  }
  if (!request) {
    if (current) remove_owned_secret(*current, profile.metadata.uid);
    if (render::is_authorization_server(profile)) {
      outcome.not_ready = policies::Reason{
          "OAuth2SigningAlgorithmUnsupported",
          "spec.sbi.oauth2.acceptedAlgorithms has no algorithm secprov can issue an "
          "access-token signing key for (ES256, ES384, RS*, PS*)"};
    }
    return outcome;
  }
  if (current && ownership_of(&*current, profile) == Ownership::Foreign) {
    outcome.not_ready = policies::Reason{
        "ObjectConflict", "Secret " + ns + "/" + name +
                              " exists and is not owned by this profile; the access-token "
                              "signing certificate cannot be written"};
    return outcome;
  }
  const auto algorithm = *render::oauth2_signing_algorithm(profile);
  const auto digest = render::oauth2_signing_input_digest(
      *request, algorithm, pass.ca.certificate().sha256_fingerprint(), pass.plan.labels);
  auto leaf = current ? stored_leaf(&*current) : std::nullopt;
  const bool inputs_changed =
      !current || runtime::annotation_of(*current, render::kInputDigestAnnotation) != digest ||
      !leaf || !leaf->oauth_access_token_signing();
  const auto input_for = [&](const crypto::LeafFacts* certificate) {
    return policies::Input{.leaf = certificate,
                           .ca = &pass.ca.certificate(),
                           .issuer = &pass.issuer,
                           .now = pass.now,
                           .duration = request->duration,
                           .renew_before = request->renew_before};
  };
  const auto trigger = policies::issuing_needed(input_for(leaf ? &*leaf : nullptr));
  if (inputs_changed || trigger) {
    const auto key = crypto::PrivateKey::generate(request->key_algorithm);
    auto certificate = request->certificate;
    render::set_validity(certificate, request->duration, pass.now,
                         pass.ca.certificate().not_after());
    const auto issued = pass.ca.issue(key, certificate, pass.now);
    const auto chain = issued.to_pem() + pass.ca.certificate_pem();
    leaf = issued_leaf_facts(issued, chain, context_.certificate_facts.get());
    const auto desired = render::oauth2_signing_secret(profile, chain, key.to_pkcs8_pem(), digest);
    if (current) {
      context_.client->apply(kube::resources::secrets(), ns, desired,
                             kube::ApplyOptions{.field_manager = kFieldManager, .force = true});
    } else {
      context_.client->create(kube::resources::secrets(), ns, desired);
    }
    context_.events->record(pass.object, runtime::EventType::Normal, "OAuth2SigningIssued",
                            "access-token signing certificate (" +
                                std::string(api::to_string(algorithm)) + ") serial " +
                                issued.serial_hex() + " valid until " +
                                api::format_rfc3339(seconds_of(issued.not_after())));
    outcome.wrote = true;
    outcome.object =
        api::GeneratedObject{"Secret", name, written_digest(desired), api::ObjectState::InSync};
  } else {
    outcome.object =
        api::GeneratedObject{"Secret", name, written_digest(*current), api::ObjectState::InSync};
  }
  outcome.next_check = policies::next_check(input_for(&*leaf));
  return outcome;
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_n32(const Pass& pass) {
  Outcome outcome;
  const auto& profile = pass.profile;
  const auto& ns = profile.metadata.namespace_;
  const auto name = render::n32_secret_name(profile);
  const auto interconnect = render::n32_trust_domain(profile);
  // Read from the server: the cache holds digests only, and the leaf decides renewal.
  std::optional<Json> current;
  if (interconnect || context_.stores.managed_secrets->get({ns, name})) {
    current = read_secret(ns, name);
  }
  if (!interconnect) {
    // trustDomainRef removed: N32 uses the SBI certificate again; ours goes.
    if (current) remove_owned_secret(*current, profile.metadata.uid);
    return outcome;
  }
  auto issuer = resolve_domain(*interconnect, pass.now);
  if (std::holds_alternative<IssuerPromoted>(issuer)) {
    // The interconnect domain's status moves on next and wakes the SEPP: the N32 Secret and
    // its status entry stay as they are meanwhile.
    for (const auto& written : profile.status.objects) {
      if (written.kind == "Secret" && written.name == name) outcome.object = written;
    }
    return outcome;
  }
  if (const auto* why = std::get_if<policies::Reason>(&issuer)) {
    // Nothing N32 is written. The TrustDomain's events requeue the SEPP (profiles_of_trust_
    // domain maps spec.n32.trustDomainRef too); the bounded recheck is a safety net only.
    constexpr std::chrono::seconds kRecheck{60};
    outcome.not_ready = policies::Reason{
        "N32" + why->reason, "spec.n32.trustDomainRef: " + why->message +
                                 "; the N32 certificate (Secret " + name + ") cannot be issued"};
    outcome.next_check = pass.now + kRecheck;
    return outcome;
  }
  if (current && ownership_of(&*current, profile) == Ownership::Foreign) {
    outcome.not_ready = policies::Reason{
        "ObjectConflict", "Secret " + ns + "/" + name +
                              " exists and is not owned by this profile; the N32 certificate "
                              "cannot be written"};
    return outcome;
  }
  const auto& [domain, ca] = std::get<Issuer>(issuer);
  const auto request = render::n32_certificate_request(profile, domain, pass.plan.nf_instance_id);
  const auto digest =
      render::n32_input_digest(*request, ca->certificate().sha256_fingerprint(), pass.plan.labels);
  const auto bundle =
      api::trust_bundle_pem(ca->certificate_pem(), domain.status, seconds_of(pass.now));
  const auto stored = [&](std::string_view key) {
    const auto data = (*current).value("data", Json::object());
    return crypto::base64_decode(data.value(std::string(key), std::string{})).value_or("");
  };
  auto leaf = current ? stored_leaf(&*current) : std::nullopt;
  const crypto::LeafFacts::Issuer n32_issuer(ca->certificate());  // for every check below
  const bool inputs_changed =
      !current || !leaf || !leaf->issued_by(n32_issuer) ||
      runtime::annotation_of(*current, render::kInputDigestAnnotation) != digest;
  const auto input_for = [&](const crypto::LeafFacts* certificate) {
    return policies::Input{.leaf = certificate,
                           .ca = &ca->certificate(),
                           .issuer = &n32_issuer,
                           .now = pass.now,
                           .duration = request->duration,
                           .renew_before = request->renew_before};
  };
  const auto trigger = policies::issuing_needed(input_for(leaf ? &*leaf : nullptr));
  const auto write_secret = [&](const Json& desired) {
    if (current) {
      context_.client->apply(kube::resources::secrets(), ns, desired,
                             kube::ApplyOptions{.field_manager = kFieldManager, .force = true});
    } else {
      context_.client->create(kube::resources::secrets(), ns, desired);
    }
    outcome.wrote = true;
    outcome.object =
        api::GeneratedObject{"Secret", name, written_digest(desired), api::ObjectState::InSync};
  };
  if (inputs_changed || trigger) {
    const auto key = crypto::PrivateKey::generate(request->key_algorithm);
    auto certificate = request->certificate;
    certificate.crl_distribution_point =
        render::crl_distribution_point(context_.crl_base_url, *interconnect);
    render::set_validity(certificate, request->duration, pass.now, ca->certificate().not_after());
    const auto issued = ca->issue(key, certificate, pass.now);
    const auto chain = issued.to_pem() + ca->certificate_pem();
    leaf = issued_leaf_facts(issued, chain, context_.certificate_facts.get());
    write_secret(render::n32_secret(profile, chain, key.to_pkcs8_pem(), bundle, digest));
    context_.events->record(pass.object, runtime::EventType::Normal, "N32CertificateIssued",
                            "N32 certificate from TrustDomain " + *interconnect + " serial " +
                                issued.serial_hex() + " valid until " +
                                api::format_rfc3339(seconds_of(issued.not_after())));
  } else if (stored(render::kCaBundleKey) != bundle) {
    // The interconnect bundle changed (a CA replaced or an overlap ended): ca.crt follows,
    // with the same key and certificate.
    write_secret(render::n32_secret(profile, stored(render::kTlsCertificateKey),
                                    stored(render::kTlsPrivateKeyKey), bundle, digest));
  } else {
    outcome.object =
        api::GeneratedObject{"Secret", name, written_digest(*current), api::ObjectState::InSync};
  }
  outcome.next_check = policies::next_check(input_for(&*leaf));
  return outcome;
}

// An OAuth2 producer's nrf.crt: the leaf of its NRF's signing Secret (public part only).
std::optional<policies::Reason> SecurityProfileReconciler::add_nrf_certificate(
    const api::SecurityProfile& profile, render::ProfilePlan& plan) {
  if (!render::is_oauth2_producer(profile)) return std::nullopt;
  const auto& ns = profile.metadata.namespace_;
  ProfileStore::Ptr nrf;
  if (const auto& id = profile.spec.sbi.oauth2->nrf_instance_id) {
    const auto keys = context_.stores.typed_profiles->keys_by_index(
        index::kProfileAuthorizationServer, ns + "/" + render::normalized_nf_instance_id(*id));
    if (!keys.empty()) nrf = context_.stores.typed_profiles->get(keys.front());
  }
  std::optional<std::string> pem;
  if (nrf && render::is_authorization_server(*nrf)) {
    try {
      const auto secret = context_.client->get(kube::resources::secrets(), ns,
                                               render::oauth2_signing_secret_name(*nrf));
      // Only the NRF's own Secret: never a certificate someone else put under that name.
      if (removable_by(secret, nrf->metadata.uid)) {
        const auto leaf = secret_certificate(secret);
        if (leaf && leaf->extended_key_usage() &&
            leaf->extended_key_usage()->oauth_access_token_signing) {
          pem = leaf->to_pem();
        }
      }
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;
    }
  }
  if (pem) render::add_nrf_certificate(plan, *pem);
  return policies::oauth2_verification_gap(profile, nrf.get(), pem.has_value());
}

runtime::ReconcileResult SecurityProfileReconciler::cleanup(const Json& object,
                                                            const api::SecurityProfile& profile) {
  take_absence_check(profile.metadata.uid);  // forgotten with the profile
  const auto& ns = profile.metadata.namespace_;
  const std::vector<std::pair<kube::ResourceType, std::string>> names = {
      {kube::resources::secrets(), render::tls_secret_name(profile)},
      {kube::resources::config_maps(), render::config_map_name(profile)},
      {kube::resources::secrets(), render::ipsec_secret_name(profile)},
      {kube::resources::secrets(), render::oauth2_signing_secret_name(profile)},
      {kube::resources::secrets(), render::n32_secret_name(profile)}};
  for (const auto& [type, name] : names) {
    // Read from the server, not the cache: an object outside the label-selected cache may
    // still bear the name, and it must be recognised as not ours.
    Json current;
    try {
      current = context_.client->get(type, ns, name);
    } catch (const kube::ApiError& e) {
      if (kube::is_not_found(e)) continue;
      throw;
    }
    const std::string kind = type == kube::resources::secrets() ? "Secret" : "ConfigMap";
    if (!removable_by(current, profile.metadata.uid)) {
      context_.events->record(object, runtime::EventType::Warning, "NotOwned",
                              kind + " " + name +
                                  " is left in place: it is not owned by this profile (no "
                                  "controller ownerReference to it, or no managed-by label)");
      continue;
    }
    try {
      if (profile.spec.deletion_policy == api::DeletionPolicy::Delete) {
        if (name == render::tls_secret_name(profile)) {
          // The deleted certificate is revoked (a retained one stays in use).
          if (const auto leaf = stored_leaf(&current)) {
            report_revocation(object, profile.spec.trust_domain_ref.name,
                              record_revocation(context_, profile.spec.trust_domain_ref.name, *leaf,
                                                context_.now()));
          }
        }
        if (const auto interconnect = render::n32_trust_domain(profile);
            interconnect && name == render::n32_secret_name(profile)) {
          if (const auto leaf = stored_leaf(&current)) {
            report_revocation(object, *interconnect,
                              record_revocation(context_, *interconnect, *leaf, context_.now()));
          }
        }
        // Revoked above: its own finalizer has nothing left to do.
        let_go_after_delete(
            *context_.client, type,
            context_.client->remove(
                type, ns, name,
                kube::DeleteOptions{
                    .propagation = kube::Propagation::Default,
                    .precondition_uid = current["metadata"].value("uid", std::string{}),
                    .precondition_resource_version = std::nullopt}));
        continue;
      }
      // Retain: release the object from the profile so the garbage collector keeps it, and
      // its certificate from revocation on deletion (it stays in use).
      Json references = Json::array();
      for (const auto& reference : current["metadata"].value("ownerReferences", Json::array())) {
        if (reference.value("uid", std::string{}) != profile.metadata.uid) {
          references.push_back(reference);
        }
      }
      Json release = {{"ownerReferences", references},
                      {"resourceVersion", current["metadata"]["resourceVersion"]}};
      if (auto finalizers = runtime::finalizers_without(current, render::kRevocationFinalizer)) {
        release["finalizers"] = std::move(*finalizers);
      }
      context_.client->merge_patch(type, ns, name, {{"metadata", std::move(release)}});
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;  // a Conflict retries the whole finalization
    }
  }
  limiter_.forget(profile.metadata.uid);
  bundle_changed_(ns, profile.spec.trust_domain_ref.name);
  if (const auto interconnect = render::n32_trust_domain(profile)) {
    bundle_changed_(ns, *interconnect);
  }
  return runtime::ReconcileResult::Done();
}

namespace {

// Whether the API server has the profile of `key` with this UID, not being deleted.
bool profile_lives_on_server(kube::Client& client, const runtime::ObjectKey& key,
                             const std::string& uid) {
  const auto found = client.list_one(kube::resources::security_profiles(), key.ns, key.name);
  return found && runtime::uid_of(*found) == uid &&
         runtime::find_at(*found, {"metadata", "deletionTimestamp"}) == nullptr;
}

}  // namespace

bool SecurityProfileReconciler::release_deleted_certificates(const runtime::ObjectKey& key,
                                                             const Json* profile_object) {
  api::SecurityProfile named;  // the generated names depend on the profile's name alone
  named.metadata.name = key.name;
  named.metadata.namespace_ = key.ns;
  bool released = false;
  for (const auto& name : {render::tls_secret_name(named), render::n32_secret_name(named)}) {
    const auto secret = context_.stores.managed_secrets->get({key.ns, name});
    if (!secret || !runtime::has_finalizer(*secret, render::kRevocationFinalizer)) continue;
    const auto owner = controller_reference(*secret);
    const std::string owner_uid =
        owner && owner->kind == api::kSecurityProfileKind ? owner->uid : std::string{};
    const bool a_profile_lives =
        profile_object != nullptr &&
        runtime::find_at(*profile_object, {"metadata", "deletionTimestamp"}) == nullptr;
    if (runtime::find_at(*secret, {"metadata", "deletionTimestamp"}) == nullptr) {
      if (policies::revocation_hold_orphaned(!owner_uid.empty(), a_profile_lives)) {
        let_go_of_revocation(*context_.client, *secret);
        released = true;
      }
      continue;
    }
    // The garbage collector deletes a profile's Secrets once the profile is gone from the API
    // server, and this cache may not have seen it go yet: a profile the cache still holds is
    // asked for, so a lagging watch never lets a deleted profile's certificate go unrevoked.
    const bool profile_lives = a_profile_lives && runtime::uid_of(*profile_object) == owner_uid &&
                               profile_lives_on_server(*context_.client, key, owner_uid);
    if (policies::revocation_on_deletion(!owner_uid.empty(), profile_lives)) {
      const auto domain = runtime::annotation_of(*secret, render::kIssuerAnnotation);
      if (const auto leaf = secret_leaf(*secret); leaf && domain && !domain->empty()) {
        const auto record = record_revocation(context_, *domain, *leaf, context_.now());
        if (record == RevocationRecord::NotOurs) {
          context_.events->record(*secret, runtime::EventType::Warning, "RevocationNotRecorded",
                                  "the certificate of this deleted Secret is not revoked: the CRL "
                                  "ConfigMap of trust domain " +
                                      *domain + " is not the operator's");
        }
      }
    }
    let_go_of_revocation(*context_.client, *secret);  // a Conflict throws: retried
    released = true;
  }
  return released;
}

void SecurityProfileReconciler::forget(const std::string& profile_uid) {
  take_absence_check(profile_uid);
  limiter_.forget(profile_uid);
}

runtime::ReconcileResult SecurityProfileReconciler::reconcile(const runtime::ObjectKey& key) {
  const auto object = context_.stores.profiles->get(key);
  // Certificate Secrets being deleted are revoked (or not) and let go first; their deletion
  // brings the key back.
  if (release_deleted_certificates(key, object.get())) return runtime::ReconcileResult::Done();
  if (!object) return runtime::ReconcileResult::Done();
  const auto now = context_.now();
  // Parsed once, when it entered the cache (TypedStore::admit).
  const auto profile = context_.stores.typed_profiles->parsed(*object);
  if (!profile) {
    // Deleted or replaced since it was read: the event that did it brings the key back.
    if (is_stripped_profile(*object)) return runtime::ReconcileResult::Done();
    // The CRD schema normally rejects this first; say what is wrong and touch nothing.
    const auto parsed = api::parse_security_profile(*object);
    const std::string why =
        parsed ? std::string("does not parse") : parsed.errors().front().message();
    api::SecurityProfileStatus status;
    status.observed_generation = (*object)["metadata"].value("generation", std::int64_t{0});
    set_summary(status.conditions, status.observed_generation, seconds_of(now),
                Summary::stalled("InvalidSpec", why));
    write_status_if_changed(*context_.client, kube::resources::security_profiles(), *object,
                            api::to_json(status));
    throw runtime::TerminalError("InvalidSpec", "SecurityProfile " + key.ns + "/" + key.name +
                                                    " does not parse; see its status");
  }
  if (!policies::profile_finalizer_needed(profile->spec.deletion_policy,
                                          runtime::has_finalizer(*object, kFinalizer))) {
    // Delete: the garbage collector removes the generated objects (owner references), and
    // their certificates are revoked through the Secrets' own finalizer.
    if ((*object)["metadata"].contains("deletionTimestamp")) {
      return runtime::ReconcileResult::Done();
    }
    return apply(*object, *profile, now);
  }
  return runtime::with_finalizer(*context_.client, kube::resources::security_profiles(), *object,
                                 kFinalizer, [&](runtime::FinalizerEvent event) {
                                   return event == runtime::FinalizerEvent::Cleanup
                                              ? cleanup(*object, *profile)
                                              : apply(*object, *profile, now);
                                 });
}

SecurityProfileReconciler::IssuerOrWhy SecurityProfileReconciler::resolve_issuer(
    const api::SecurityProfile& profile, Clock::time_point now) const {
  return resolve_domain(profile.spec.trust_domain_ref.name, now);
}

SecurityProfileReconciler::IssuerOrWhy SecurityProfileReconciler::resolve_domain(
    const std::string& name, Clock::time_point now) const {
  const auto object = context_.stores.trust_domains->get({"", name});
  if (!object) return policies::Reason{"TrustDomainNotFound", "TrustDomain " + name + " not found"};
  const auto domain = context_.stores.typed_trust_domains->parsed(*object);
  if (!domain) return policies::Reason{"TrustDomainInvalid", "TrustDomain " + name + " is invalid"};
  auto ca = cas_->get(*domain, now);
  if (!ca.ca) {
    return policies::Reason{"TrustDomainNotReady", "TrustDomain " + name + ": " + ca.error.reason +
                                                       ": " + ca.error.message};
  }
  // Issue only from the CA the trust domain accepted.
  auto check =
      policies::issuer_acceptance(name, domain->status, ca.ca->certificate().sha256_fingerprint());
  switch (check.verdict) {
    case policies::IssuerVerdict::Accepted:
      return Issuer{*domain, std::move(ca.ca)};
    case policies::IssuerVerdict::Promoted:
      return IssuerPromoted{std::move(check.why)};
    case policies::IssuerVerdict::Refused:
      break;
  }
  return std::move(check.why);
}

namespace {

// Where status.pods of `profile` stands: Synced also when no watch is needed (not Sidecar, or a
// selector that selects nothing) or when the store is filled without watches (unit tests).
PodWatchState pod_watch_state(const Context& context, const api::SecurityProfile& profile) {
  if (!context.stores.pod_watches) return PodWatchState::Synced;
  const auto key = pod_watch_of(profile);
  return key ? context.stores.pod_watches->state(*key) : PodWatchState::Synced;
}

// Writes `status` unless it is what the profile shows; returns whether it wrote. The first
// status of a generation carries the generation's first Consistent evaluation too
// (consistency_controller.h): a new profile costs one status write and one evaluation, whose
// pairs the gauge counts once the write is made.
bool write_profile_status(const Context& context, const Json& object,
                          const api::SecurityProfile& profile, api::SecurityProfileStatus& status,
                          Clock::time_point now) {
  const runtime::ObjectKey key{profile.metadata.namespace_, profile.metadata.name};
  std::optional<ConsistencyChange> consistency;
  ConsistencyLedger::Ticket ticket = 0;
  if (first_evaluation_pending(profile)) {
    if (context.consistency) ticket = context.consistency->begin_fold(key);
    consistency = fold_consistency(context.stores, profile, status, now);
  }
  if (!write_status_if_changed(*context.client, kube::resources::security_profiles(), object,
                               api::to_json(status))) {
    return false;
  }
  if (consistency) {
    record_consistency_change(*context.events, object, *consistency);
    if (context.consistency) {
      context.consistency->set(key, ticket, consistency->outcome.inconsistent);
    }
  }
  return true;
}

}  // namespace

runtime::ReconcileResult SecurityProfileReconciler::apply(const Json& object,
                                                          const api::SecurityProfile& profile,
                                                          Clock::time_point now) {
  api::SecurityProfileStatus status = profile.status;
  const auto generation = profile.metadata.generation;
  status.observed_generation = generation;
  // Terminal (runtime::TerminalError: recorded, never retried) unless `retry` is given: the
  // profile waits for its spec or the trust domain to change, and their events bring it back.
  const auto stalled = [&](const policies::Reason& why,
                           std::optional<std::chrono::milliseconds> retry = std::nullopt) {
    set_summary(status.conditions, generation, seconds_of(now),
                Summary::stalled(why.reason, why.message));
    if (write_profile_status(context_, object, profile, status, now)) {
      context_.events->record(object, runtime::EventType::Warning, why.reason, why.message);
    }
    if (!retry) {
      throw runtime::TerminalError(why.reason, "SecurityProfile " + profile.metadata.namespace_ +
                                                   "/" + profile.metadata.name +
                                                   " stalled: " + why.reason);
    }
    return runtime::ReconcileResult::RequeueAfter(*retry);
  };

  auto issuer = resolve_issuer(profile, now);
  if (const auto* why = std::get_if<policies::Reason>(&issuer)) return stalled(*why);
  if (const auto* promoted = std::get_if<IssuerPromoted>(&issuer)) {
    // No requeue: the trust domain's status update (a new caFingerprint) wakes the profile.
    spdlog::debug("SecurityProfile {}/{} waits: {}", profile.metadata.namespace_,
                  profile.metadata.name, promoted->why.message);
    return runtime::ReconcileResult::Done();
  }
  const auto& [domain, ca] = std::get<Issuer>(issuer);

  // The stored certificate, decoded once for the whole pass.
  const auto& ns = profile.metadata.namespace_;
  const auto cached_tls =
      context_.stores.managed_secrets->get({ns, render::tls_secret_name(profile)});
  const auto cached_leaf = stored_leaf(cached_tls.get());

  // Render everything first: input that cannot be rendered writes nothing and stays Stalled
  // until the spec changes (no retries: the same input fails the same way).
  std::optional<render::ProfilePlan> plan;
  try {
    plan = render::plan_profile(
        profile, domain, nf_instance_id_for(profile, cached_leaf),
        render::IssuerInputs{
            ca->certificate().sha256_fingerprint(),
            api::trust_bundle_pem(ca->certificate_pem(), domain.status, seconds_of(now))});
  } catch (const std::invalid_argument& e) {  // RenderError names the field
    return stalled({"InvalidSpec", std::string("cannot render ") + e.what()});
  }
  status.nf_instance_id = plan->nf_instance_id;
  const auto oauth2_gap = add_nrf_certificate(profile, *plan);

  // Look at every name before writing anything: a name taken by someone else's object stops
  // the whole profile, so it is never half provisioned.
  std::vector<Target> targets;
  for (const auto* planned : plan->objects()) {
    targets.push_back(observe_target(profile, *planned));
  }
  // A new profile of which the cache holds nothing: its names are taken as free without a GET
  // each. A create that meets another object undoes the pass, and the next one reads them.
  const bool trust_absence =
      !take_absence_check(profile.metadata.uid) &&
      policies::cache_absence_trusted(profile.status) &&
      std::ranges::none_of(targets, [](const Target& target) { return target.in_cache; });
  if (!trust_absence) {
    for (auto& target : targets) read_uncached(profile, target);
  }
  targets[0].leaf =
      targets[0].current == cached_tls ? cached_leaf : stored_leaf(targets[0].object());
  for (const auto& target : targets) {
    if (target.wanted && target.ownership == Ownership::Foreign) {
      return stalled(
          {"ObjectConflict", target.kind + " " + ns + "/" + target.name +
                                 " exists and is not owned by this profile; it is left untouched. "
                                 "Delete or rename it, or rename the profile"},
          conflict_recheck_delay(profile.status, now));
    }
  }

  const crypto::LeafFacts::Issuer ca_issuer(ca->certificate());
  Pass pass{object, profile, domain, *ca, ca_issuer, now, std::move(*plan)};
  // A Conflict (stale view) or AlreadyExists (created since observed) throws: the next pass,
  // with backoff, looks again.
  for (auto& target : targets) claim(target, pass);
  std::vector<Outcome> outcomes;
  try {
    outcomes.push_back(reconcile_tls(pass, targets[0]));
    outcomes.push_back(reconcile_config(pass, targets[1]));
    outcomes.push_back(reconcile_ipsec(pass, targets[2]));
  } catch (const kube::ApiError& e) {
    if (trust_absence && kube::is_already_exists(e)) {
      // A name the cache did not hold is taken: nothing of this pass stays, and the retry
      // (rate-limited, as every error) reads the names from the server and stalls on it.
      require_absence_check(profile.metadata.uid);
      roll_back_created(pass, targets);
    }
    throw;
  }
  outcomes.push_back(reconcile_oauth2_signing(pass));
  outcomes.push_back(reconcile_n32(pass));
  if (oauth2_gap) {
    Outcome gap;
    gap.not_ready = oauth2_gap;
    outcomes.push_back(std::move(gap));
  }
  for (const auto& target : targets) remove_unwanted(pass, target);
  bundle_changed_(ns, profile.spec.trust_domain_ref.name);
  if (const auto interconnect = render::n32_trust_domain(profile)) {
    bundle_changed_(ns, *interconnect);  // the N32 roots partners are given
  }

  // status.pods only from a Pod watch that has listed its Pods (one still starting would say
  // 0); until then it stays as it was and the profile is looked at again soon.
  const auto pod_watch = pod_watch_state(context_, profile);
  if (pod_watch == PodWatchState::OverCap) {
    Outcome limit;
    limit.not_ready = policies::Reason{
        "PodWatchLimitExceeded",
        "the operator watches the Pods of at most " + std::to_string(kMaxPodWatches) +
            " distinct namespaces and selectors at once; this profile's Pods are not watched, "
            "status.pods is not current"};
    outcomes.push_back(std::move(limit));
  }
  const auto pods = pod_watch == PodWatchState::Synced ? reconcile_pods(pass) : profile.status.pods;
  auto next_check = compose_status(status, pass, outcomes, pods);
  if (pod_watch == PodWatchState::OverCap) {
    const auto later = now + std::chrono::seconds(30);
    if (!next_check || later < *next_check) next_check = later;
  }
  if (write_profile_status(context_, object, profile, status, now)) {
    // Entering or leaving an IPsec hold, once: only a written status changes the state.
    if (const auto hold = policies::ipsec_hold_event(profile.status, status)) {
      context_.events->record(
          object, hold->warning ? runtime::EventType::Warning : runtime::EventType::Normal,
          hold->why.reason, hold->why.message);
    }
  }
  if (pod_watch == PodWatchState::Pending) {
    // A watch's first list usually lands within milliseconds. The key's rate-limited backoff
    // (exponential, capped) looks again, and one that cannot list (RBAC, say) is not polled
    // at a fixed rate forever; the next pass after it listed computes the renewal requeue.
    return runtime::ReconcileResult::Requeue();
  }
  if (next_check) {
    const auto delay =
        std::max(std::chrono::milliseconds(100),
                 std::chrono::duration_cast<std::chrono::milliseconds>(*next_check - now));
    return runtime::ReconcileResult::RequeueAfter(delay);
  }
  return runtime::ReconcileResult::Done();
}

api::Boxed<api::PodsStatus> SecurityProfileReconciler::reconcile_pods(const Pass& pass) {
  const auto& profile = pass.profile;
  if (!api::enabler_sidecar(profile)) return std::nullopt;
  std::string digest;
  try {
    digest = render::enabler_config_digest(profile);
  } catch (const std::exception&) {  // plan_profile rendered it already; nothing to compare
    return std::nullopt;
  }
  const auto cached = context_.stores.pods->list(profile.metadata.namespace_);
  std::vector<const Json*> selected;
  std::vector<const Json*> stale;
  for (const auto& pod : cached) {
    if (!pod || !policies::pod_selected(profile, *pod)) continue;
    selected.push_back(pod.get());
    if (policies::pod_state(*pod, profile.metadata.name, digest) ==
        policies::PodState::StaleDigest) {
      stale.push_back(pod.get());
    }
  }
  auto pods = policies::pods_status(selected, profile.metadata.name, digest);
  roll_out(pass, digest, stale);
  return pods;
}

void SecurityProfileReconciler::roll_out(const Pass& pass, const std::string& digest,
                                         const std::vector<const Json*>& stale_pods) {
  const auto rollout =
      pass.profile.spec.enabler ? pass.profile.spec.enabler->rollout : api::kDefaultEnablerRollout;
  if (!policies::rollout_annotation(rollout, digest, static_cast<std::int64_t>(stale_pods.size()),
                                    std::nullopt)) {
    return;
  }
  // Built here: the kube layer names only the resources every controller uses.
  const kube::ResourceType replica_sets{"apps", "v1", "replicasets", "ReplicaSet", true};
  const kube::ResourceType deployments{"apps", "v1", "deployments", "Deployment", true};
  const kube::ResourceType stateful_sets{"apps", "v1", "statefulsets", "StatefulSet", true};
  const auto& ns = pass.profile.metadata.namespace_;
  const std::string annotation(render::kInjectedDigestAnnotation);
  std::set<std::pair<std::string, std::string>> workloads;  // {kind, name}
  for (const auto* pod : stale_pods) {
    auto owner = policies::controller_owner(*pod);
    try {
      if (owner && owner->kind == "ReplicaSet") {
        owner = policies::controller_owner(context_.client->get(replica_sets, ns, owner->name));
      }
    } catch (const kube::ApiError& e) {
      spdlog::warn("rollout of {}/{}: ReplicaSet {}: {}", ns, pass.profile.metadata.name,
                   owner->name, e.what());
      continue;
    }
    if (owner && (owner->kind == "Deployment" || owner->kind == "StatefulSet")) {
      workloads.emplace(owner->kind, owner->name);
    }
  }
  for (const auto& [kind, name] : workloads) {
    const auto& type = kind == "Deployment" ? deployments : stateful_sets;
    try {
      const auto workload = context_.client->get(type, ns, name);
      const auto annotations = workload.value("spec", Json::object())
                                   .value("template", Json::object())
                                   .value("metadata", Json::object())
                                   .value("annotations", Json::object());
      std::optional<std::string> current;
      if (annotations.is_object() && annotations.contains(annotation) &&
          annotations[annotation].is_string()) {
        current = annotations[annotation].get<std::string>();
      }
      const auto value = policies::rollout_annotation(
          rollout, digest, static_cast<std::int64_t>(stale_pods.size()), current);
      if (!value) continue;
      context_.client->merge_patch(
          type, ns, name,
          Json{
              {"spec", {{"template", {{"metadata", {{"annotations", {{annotation, *value}}}}}}}}}});
      context_.events->record(pass.object, runtime::EventType::Normal, "RolloutRestarted",
                              kind + " " + name + ": pod template annotated with enabler digest " +
                                  *value + " (rollout: Restart)");
    } catch (const kube::ApiError& e) {
      context_.events->record(pass.object, runtime::EventType::Warning, "RolloutFailed",
                              kind + " " + name + ": " + e.what());
    }
  }
}

std::optional<std::chrono::system_clock::time_point> SecurityProfileReconciler::compose_status(
    api::SecurityProfileStatus& status, const Pass& pass, const std::vector<Outcome>& outcomes,
    const api::Boxed<api::PodsStatus>& pods) {
  const auto generation = pass.profile.metadata.generation;
  const auto now = seconds_of(pass.now);
  status.objects.clear();
  status.certificate.reset();
  bool drifted = false;
  bool throttled = false;
  std::optional<Clock::time_point> next_check;
  std::optional<std::string> ca_expiring;
  for (const auto& outcome : outcomes) {
    if (outcome.object) status.objects.push_back(*outcome.object);
    if (outcome.certificate) status.certificate = outcome.certificate;
    if (outcome.ca_expiring) ca_expiring = outcome.ca_expiring;
    for (const auto& finding : outcome.assessment.findings) {
      api::add_drift_finding(status, finding);
      const bool reported = finding.action == api::DriftAction::Reported;
      context_.events->record(
          pass.object, reported ? runtime::EventType::Warning : runtime::EventType::Normal,
          reported ? "DriftDetected" : "DriftRepaired",
          finding.kind + " " + finding.name + " " +
              (finding.field.empty() ? "" : finding.field + " ") + finding.reason);
    }
    drifted = drifted || outcome.assessment.action == Action::ReportOnly;
    throttled = throttled || outcome.throttled.has_value();
    auto check = outcome.next_check;
    if (outcome.throttled) check = pass.now + *outcome.throttled;
    if (check && (!next_check || *check < *next_check)) next_check = check;
  }
  // Pods running without the enabler or with an older configuration also set Drifted; the
  // generated objects' drift names the reason when both hold.
  status.pods = pods;
  const auto pods_drift = pods ? policies::pods_drift(*pods) : std::nullopt;
  const std::string objects_message =
      "generated objects differ from the desired state; policy Report leaves them";
  set_abnormal_true(status.conditions,
                    drifted
                        ? make_condition(api::kConditionDrifted, true, generation, "DriftReported",
                                         pods_drift ? objects_message + "; " + pods_drift->message
                                                    : objects_message)
                    : pods_drift ? make_condition(api::kConditionDrifted, true, generation,
                                                  pods_drift->reason, pods_drift->message)
                                 : make_condition(api::kConditionDrifted, false, generation, {}),
                    now);
  const bool was_expiring =
      api::is_condition_true(pass.profile.status.conditions, api::kConditionCAExpiringSoon);
  set_abnormal_true(status.conditions,
                    ca_expiring
                        ? make_condition(api::kConditionCAExpiringSoon, true, generation,
                                         "CAExpiringSoon", *ca_expiring)
                        : make_condition(api::kConditionCAExpiringSoon, false, generation, {}),
                    now);
  if (ca_expiring && !was_expiring) {
    context_.events->record(pass.object, runtime::EventType::Warning, "CAExpiringSoon",
                            *ca_expiring);
  }
  // Ready says the objects are written; Enforced says whether the NF behind them enforces
  // them (from the spec alone: the same for every pass of one generation).
  const auto enforced = policies::enforcement(pass.profile);
  api::set_condition(status.conditions,
                     make_condition(api::kConditionEnforced, enforced.status, generation,
                                    enforced.reason.reason, enforced.reason.message),
                     now);
  auto summary =
      drifted ? Summary::not_ready("Drifted", "generated objects have drifted (policy Report)")
              : Summary::ready("Provisioned", "all generated objects are in sync");
  for (const auto& outcome : outcomes) {
    if (outcome.not_ready && !drifted) {
      summary = Summary::not_ready(outcome.not_ready->reason, outcome.not_ready->message);
    }
  }
  if (throttled) {
    summary.reconciling_reason = "IssuanceThrottled";
    summary.reconciling_message = "certificate issuance is rate limited; retrying";
  }
  set_summary(status.conditions, generation, now, summary);
  return next_check;
}

}  // namespace secprov::controllers

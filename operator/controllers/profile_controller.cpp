#include "controllers/profile_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/constants.h"
#include "controllers/conditions.h"
#include "controllers/policies.h"
#include "controllers/status_writer.h"
#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "render/certificate.h"
#include "render/config.h"
#include "render/errors.h"
#include "render/ipsec.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/tls.h"
#include "runtime/object.h"

namespace secprov::controllers {
namespace {

using Clock = std::chrono::system_clock;
using Json = nlohmann::json;

std::string input_digest(const Json& inputs) {
  return "sha256:" + crypto::sha256_hex(inputs.dump());
}

// Adds the annotations by which the next pass recognises its own writing.
Json annotated(Json desired, const std::string& digest_of_inputs, bool is_secret) {
  const auto& data = desired.value("data", Json::object());
  const auto digests =
      is_secret ? data_digests_of_secret_data(data) : data_digests_of_config_map_data(data);
  auto& annotations = desired["metadata"]["annotations"];
  annotations[kInputDigestAnnotation] = digest_of_inputs;
  annotations[kDataDigestsAnnotation] = Json(digests).dump();
  return desired;
}

const api::GeneratedObject* previous_entry(const api::SecurityProfileStatus& status,
                                           const std::string& kind, const std::string& name) {
  const auto found = std::find_if(status.objects.begin(), status.objects.end(),
                                  [&](const auto& o) { return o.kind == kind && o.name == name; });
  return found == status.objects.end() ? nullptr : &*found;
}

std::optional<crypto::Certificate> stored_leaf(const Json* secret) {
  if (secret == nullptr) return std::nullopt;
  const auto data = secret->value("data", Json::object());
  if (!data.contains("tls.crt") || !data["tls.crt"].is_string()) return std::nullopt;
  try {
    const auto pem = crypto::base64_decode(data["tls.crt"].get<std::string>());
    if (!pem) return std::nullopt;
    return crypto::Certificate::from_pem(*pem);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> nf_instance_id_from_certificate(const Json* secret) {
  if (const auto leaf = stored_leaf(secret)) {
    for (const auto& uri : leaf->uris()) {
      if (uri.rfind("urn:uuid:", 0) == 0) return uri.substr(9);
    }
  }
  return std::nullopt;
}

api::CertificateStatus certificate_status(const crypto::Certificate& leaf,
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
  std::optional<Json> current;  // as cached (Secrets: digests only), or fetched and stripped
  bool in_cache = false;
  Ownership ownership = Ownership::Absent;
  const Json* object() const { return current ? &*current : nullptr; }
};

struct SecurityProfileReconciler::Plan {
  std::optional<render::CertificateRequest> certificate;  // when a certificate is needed
  Json config_map;                                        // the settings ConfigMap
  std::string config_digest;
  std::string tls_digest;
  std::string ipsec_digest;      // empty when IPsec is off
  std::string trust_bundle_pem;  // ca.crt: the CA and the previous CAs still in overlap
};

struct SecurityProfileReconciler::Pass {
  const Json& object;
  const api::SecurityProfile& profile;
  const api::TrustDomain& domain;
  const crypto::CertificateAuthority& ca;
  std::string nf_instance_id;
  Clock::time_point now;
  Plan plan;
};

SecurityProfileReconciler::SecurityProfileReconciler(Context context,
                                                     std::shared_ptr<CaProvider> cas,
                                                     BundleNotifier bundle_changed)
    : context_(std::move(context)),
      cas_(std::move(cas)),
      bundle_changed_(std::move(bundle_changed)),
      limiter_(IssuanceLimiter::Options{}, context_.registry) {}

SecurityProfileReconciler::Target SecurityProfileReconciler::observe_target(
    const api::SecurityProfile& profile, const kube::ResourceType& type, const std::string& name,
    bool wanted) {
  const bool is_secret = type == kube::resources::secrets();
  Target target{type,
                is_secret ? "Secret" : "ConfigMap",
                name,
                wanted,
                std::nullopt,
                false,
                Ownership::Absent};
  const auto& store =
      is_secret ? context_.stores.managed_secrets : context_.stores.managed_config_maps;
  if (const auto cached = store->get({profile.metadata.namespace_, name})) {
    target.current = *cached;
    target.in_cache = true;
  } else if (wanted) {
    // Not in the label-selected cache: absent, ours without its label, or someone else's.
    try {
      auto fetched = context_.client->get(type, profile.metadata.namespace_, name);
      target.current = is_secret ? strip_secret_data(std::move(fetched)) : std::move(fetched);
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;
    }
  }
  target.ownership = ownership_of(target.object(), profile);
  return target;
}

// Takes a released object back: it carries this profile's name and secprov's label, and no
// controller. Only the ownerReference is written; the content is judged afterwards.
void SecurityProfileReconciler::claim(Target& target, const Pass& pass) {
  if (target.ownership != Ownership::Released) return;
  auto references = (*target.current)["metadata"].value("ownerReferences", Json::array());
  references.push_back(render::owner_reference(pass.profile));
  auto updated = context_.client->merge_patch(
      target.type, pass.profile.metadata.namespace_, target.name,
      {{"metadata",
        {{"ownerReferences", references},
         {"resourceVersion", (*target.current)["metadata"]["resourceVersion"]}}}});
  target.current = target.kind == "Secret" ? strip_secret_data(std::move(updated)) : updated;
  target.ownership = Ownership::Ours;
  context_.events->record(
      pass.object, runtime::EventType::Normal, "Adopted",
      target.kind + " " + target.name + " left by a deleted profile of this name is adopted");
}

void SecurityProfileReconciler::write(const Json& desired, const Target& target) {
  const auto& ns = desired["metadata"]["namespace"].get<std::string>();
  if (target.ownership == Ownership::Absent) {
    // Create, never apply: an object that appeared since it was observed is not taken over.
    context_.client->create(target.type, ns, desired);
    return;
  }
  context_.client->apply(target.type, ns, desired,
                         kube::ApplyOptions{.field_manager = kFieldManager, .force = true});
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
  try {
    context_.client->remove(
        target.type, pass.profile.metadata.namespace_, target.name,
        kube::DeleteOptions{
            .propagation = kube::Propagation::Default,
            .precondition_uid = (*target.current)["metadata"].value("uid", std::string{}),
            .precondition_resource_version = std::nullopt});
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e) && e.kind() != kube::ErrorKind::Conflict) throw;
  }
}

std::optional<Json> SecurityProfileReconciler::fetch_secret_data(const std::string& ns,
                                                                 const std::string& name) {
  try {
    return context_.client->get(kube::resources::secrets(), ns, name).value("data", Json::object());
  } catch (const kube::ApiError& e) {
    if (kube::is_not_found(e)) return std::nullopt;
    throw;
  }
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_tls(const Pass& pass,
                                                                            const Target& target) {
  Outcome outcome;
  if (!target.wanted) return outcome;
  const auto& profile = pass.profile;
  const auto& ns = profile.metadata.namespace_;
  const auto& request = *pass.plan.certificate;
  const auto* previous = previous_entry(profile.status, "Secret", target.name);

  Target fresh = target;
  auto leaf = stored_leaf(fresh.object());
  if (leaf && fresh.in_cache && profile.status.certificate &&
      leaf->sha256_fingerprint() != profile.status.certificate->sha256_fingerprint) {
    // The cache may not have seen the operator's last write yet (the status event can come
    // before the Secret's): judge the object as the API server has it.
    try {
      fresh.current = strip_secret_data(context_.client->get(target.type, ns, target.name));
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;
      fresh.current.reset();
      fresh.ownership = Ownership::Absent;
    }
    leaf = stored_leaf(fresh.object());
  }
  auto observed = observe(fresh.object(), render::managed_labels(profile), profile.metadata.uid);
  // The data-digests annotation is the object's own claim; status says what was written. A
  // certificate that differs from the one status records was replaced, whatever the
  // annotation says.
  // A certificate of this CA newer than the recorded one is the operator's own write whose
  // status was lost (a crash between the two writes); anything else was put there by someone.
  if (leaf && profile.status.certificate && previous != nullptr &&
      leaf->sha256_fingerprint() != profile.status.certificate->sha256_fingerprint) {
    const auto& recorded = *profile.status.certificate;
    const bool own_newer_write = leaf->issued_by(pass.ca.certificate()) && recorded.not_before &&
                                 seconds_of(leaf->not_before()) > *recorded.not_before;
    if (!own_newer_write) observed.drifted_keys.emplace("tls.crt", KeyDrift::Modified);
  }
  outcome.assessment = assess({"Secret", fresh.name, &observed, previous, pass.plan.tls_digest,
                               profile.spec.drift_policy, seconds_of(pass.now)});

  const policies::Input certificate_input{.leaf = leaf ? &*leaf : nullptr,
                                          .ca = &pass.ca.certificate(),
                                          .now = pass.now,
                                          .duration = request.duration,
                                          .renew_before = request.renew_before};
  const auto trigger = policies::issuing_needed(certificate_input);
  if (outcome.assessment.action == Action::Write && !trigger &&
      repair_metadata(pass, fresh, observed, pass.plan.tls_digest)) {
    outcome.assessment.state = api::ObjectState::InSync;
    outcome.wrote = true;
    outcome.object = api::GeneratedObject{"Secret", fresh.name, observed.content_digest,
                                          outcome.assessment.state};
  } else if (outcome.assessment.action == Action::Write ||
             (outcome.assessment.action == Action::None && trigger)) {
    if (const auto wait = limiter_.try_take(profile.metadata.uid, pass.now)) {
      outcome.throttled = *wait;
      context_.events->record(pass.object, runtime::EventType::Warning, "IssuanceThrottled",
                              "certificate issuance for this profile exceeds its rate limit; "
                              "held back");
      outcome.object = api::GeneratedObject{"Secret", fresh.name, observed.content_digest,
                                            outcome.assessment.state};
    } else {
      // A new key unless the policy keeps it and the stored one is intact.
      std::optional<crypto::PrivateKey> key;
      const auto& spec = profile.spec.sbi.tls.certificate;
      if (spec.rotation_policy == api::RotationPolicy::Never && observed.exists &&
          !observed.drifted_keys.contains("tls.key")) {
        if (const auto data = fetch_secret_data(ns, fresh.name);
            data && data->contains("tls.key")) {
          if (const auto pem = crypto::base64_decode((*data)["tls.key"].get<std::string>())) {
            try {
              auto kept = crypto::PrivateKey::from_pem(*pem);
              if (kept.algorithm() == request.key_algorithm) key = std::move(kept);
            } catch (const crypto::CryptoError&) {
              // An unreadable key is replaced below.
            }
          }
        }
      }
      if (!key) key = crypto::PrivateKey::generate(request.key_algorithm);
      auto certificate = request.certificate;
      render::set_validity(certificate, request.duration, pass.now,
                           pass.ca.certificate().not_after());
      const auto csr = crypto::CertificateSigningRequest::create(*key, certificate);
      const auto issued = pass.ca.sign(csr, certificate, pass.now);
      const std::string ca_pem = pass.ca.certificate().to_pem();
      const auto desired =
          annotated(render::tls_secret(
                        profile, render::TlsMaterial{issued.to_pem() + ca_pem, key->to_pkcs8_pem(),
                                                     pass.plan.trust_bundle_pem}),
                    pass.plan.tls_digest, true);
      write(desired, fresh);
      outcome.wrote = true;
      const std::string what = !leaf                                      ? "Issued"
                               : outcome.assessment.repair                ? "Reissued"
                               : trigger && trigger->reason == "Renewing" ? "Renewed"
                                                                          : "Reissued";
      context_.events->record(pass.object, runtime::EventType::Normal, what,
                              what + " certificate serial " + issued.serial_hex() +
                                  " valid until " +
                                  api::format_rfc3339(seconds_of(issued.not_after())) +
                                  (trigger ? " (" + trigger->reason + ")" : ""));
      leaf = issued;
      outcome.object = api::GeneratedObject{
          "Secret", fresh.name, combined_digest(data_digests_of_secret_data(desired.at("data"))),
          api::ObjectState::InSync};
    }
  } else if (outcome.assessment.action == Action::None && fresh.current &&
             (*fresh.current)["data"].value("ca.crt", std::string{}) !=
                 crypto::base64_encode(pass.plan.trust_bundle_pem)) {
    // The trust domain's bundle changed (a CA replaced or an overlap ended): ca.crt follows
    // with the same key and certificate, since peers' trust, not this NF's identity, moved.
    const auto data = fetch_secret_data(ns, fresh.name);
    const auto stored = [&](const char* key) {
      return data ? crypto::base64_decode(data->value(key, std::string{})).value_or("") : "";
    };
    const auto desired = annotated(
        render::tls_secret(profile, render::TlsMaterial{stored("tls.crt"), stored("tls.key"),
                                                        pass.plan.trust_bundle_pem}),
        pass.plan.tls_digest, true);
    write(desired, fresh);
    outcome.wrote = true;
    context_.events->record(pass.object, runtime::EventType::Normal, "TrustBundleUpdated",
                            "ca.crt of Secret " + fresh.name + " follows the trust bundle");
    outcome.object = api::GeneratedObject{
        "Secret", fresh.name, combined_digest(data_digests_of_secret_data(desired.at("data"))),
        api::ObjectState::InSync};
  } else {
    outcome.object = api::GeneratedObject{"Secret", fresh.name, observed.content_digest,
                                          outcome.assessment.state};
  }
  if (leaf) {
    const policies::Input after{.leaf = &*leaf,
                                .ca = &pass.ca.certificate(),
                                .now = pass.now,
                                .duration = request.duration,
                                .renew_before = request.renew_before};
    // Under Report a replaced certificate is left, and status keeps the one the operator
    // wrote, so the replacement stays visible as drift on the next pass too.
    outcome.certificate =
        outcome.assessment.action == Action::ReportOnly && profile.status.certificate
            ? *profile.status.certificate
            : certificate_status(*leaf, request.renew_before);
    outcome.next_check = policies::next_check(after);
    if (const auto held = policies::renewal_held_back(after);
        held && held->reason == "CAExpiringSoon") {
      outcome.ca_expiring = held->message;
    }
  }
  return outcome;
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_config(
    const Pass& pass, const Target& target) {
  const auto& profile = pass.profile;
  const auto desired = annotated(pass.plan.config_map, pass.plan.config_digest, false);
  const auto observed =
      observe(target.object(), render::managed_labels(profile), profile.metadata.uid);
  Outcome outcome;
  outcome.assessment =
      assess({"ConfigMap", target.name, &observed,
              previous_entry(profile.status, "ConfigMap", target.name), pass.plan.config_digest,
              profile.spec.drift_policy, seconds_of(pass.now)});
  if (outcome.assessment.action == Action::Write &&
      !repair_metadata(pass, target, observed, pass.plan.config_digest)) {
    write(desired, target);
    outcome.wrote = true;
    outcome.object =
        api::GeneratedObject{"ConfigMap", target.name,
                             combined_digest(data_digests_of_config_map_data(desired.at("data"))),
                             api::ObjectState::InSync};
  } else {
    outcome.wrote = outcome.assessment.action == Action::Write;
    outcome.object =
        api::GeneratedObject{"ConfigMap", target.name, observed.content_digest,
                             outcome.wrote ? api::ObjectState::InSync : outcome.assessment.state};
  }
  return outcome;
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_ipsec(
    const Pass& pass, const Target& target) {
  Outcome outcome;
  if (!target.wanted) return outcome;
  const auto& profile = pass.profile;
  const auto& ns = profile.metadata.namespace_;
  const auto observed =
      observe(target.object(), render::managed_labels(profile), profile.metadata.uid);
  outcome.assessment = assess(
      {"Secret", target.name, &observed, previous_entry(profile.status, "Secret", target.name),
       pass.plan.ipsec_digest, profile.spec.drift_policy, seconds_of(pass.now)});
  if (outcome.assessment.action != Action::Write) {
    outcome.object = api::GeneratedObject{"Secret", target.name, observed.content_digest,
                                          outcome.assessment.state};
    return outcome;
  }
  if (repair_metadata(pass, target, observed, pass.plan.ipsec_digest)) {
    outcome.wrote = true;
    outcome.object = api::GeneratedObject{"Secret", target.name, observed.content_digest,
                                          api::ObjectState::InSync};
    return outcome;
  }
  // Keep every PSK that is still intact: peers were configured with it.
  render::IpsecMaterial material;
  if (observed.exists) {
    if (const auto data = fetch_secret_data(ns, target.name)) {
      for (const auto& psk : render::required_pre_shared_keys(profile)) {
        if (!data->contains(psk) || observed.drifted_keys.contains(psk)) continue;
        if (const auto value = crypto::base64_decode((*data)[psk].get<std::string>())) {
          material.pre_shared_keys[psk] = *value;
        }
      }
    }
  }
  for (const auto& psk : render::required_pre_shared_keys(profile)) {
    if (!material.pre_shared_keys.contains(psk)) {
      material.pre_shared_keys[psk] = crypto::random_base64(32);
    }
  }
  const auto desired =
      annotated(*render::ipsec_secret(profile, material), pass.plan.ipsec_digest, true);
  write(desired, target);
  outcome.wrote = true;
  outcome.object = api::GeneratedObject{
      "Secret", target.name, combined_digest(data_digests_of_secret_data(desired.at("data"))),
      api::ObjectState::InSync};
  return outcome;
}

bool SecurityProfileReconciler::ensure_finalizer(const Json& object) {
  auto finalizers = object["metadata"].value("finalizers", Json::array());
  for (const auto& f : finalizers) {
    if (f == kFinalizer) return false;
  }
  finalizers.push_back(kFinalizer);
  // resourceVersion in a merge patch is a precondition: a stale cache gets Conflict.
  context_.client->merge_patch(
      kube::resources::security_profiles(), object["metadata"]["namespace"],
      object["metadata"]["name"],
      {{"metadata",
        {{"finalizers", finalizers}, {"resourceVersion", object["metadata"]["resourceVersion"]}}}});
  return true;
}

runtime::ReconcileResult SecurityProfileReconciler::finalize(const Json& object,
                                                             const api::SecurityProfile& profile) {
  const auto& ns = profile.metadata.namespace_;
  auto finalizers = object["metadata"].value("finalizers", Json::array());
  const auto ours = std::find(finalizers.begin(), finalizers.end(), Json(kFinalizer));
  if (ours == finalizers.end()) return runtime::ReconcileResult::Done();

  const std::vector<std::pair<kube::ResourceType, std::string>> names = {
      {kube::resources::secrets(), render::tls_secret_name(profile)},
      {kube::resources::config_maps(), render::config_map_name(profile)},
      {kube::resources::secrets(), render::ipsec_secret_name(profile)}};
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
        context_.client->remove(
            type, ns, name,
            kube::DeleteOptions{.propagation = kube::Propagation::Default,
                                .precondition_uid = current["metadata"].value("uid", std::string{}),
                                .precondition_resource_version = std::nullopt});
        continue;
      }
      // Retain: release the object from the profile so the garbage collector keeps it.
      Json references = Json::array();
      for (const auto& reference : current["metadata"].value("ownerReferences", Json::array())) {
        if (reference.value("uid", std::string{}) != profile.metadata.uid) {
          references.push_back(reference);
        }
      }
      context_.client->merge_patch(
          type, ns, name,
          {{"metadata",
            {{"ownerReferences", references},
             {"resourceVersion", current["metadata"]["resourceVersion"]}}}});
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;  // a Conflict retries the whole finalization
    }
  }
  finalizers.erase(ours);
  context_.client->merge_patch(
      kube::resources::security_profiles(), ns, profile.metadata.name,
      {{"metadata",
        {{"finalizers", finalizers}, {"resourceVersion", object["metadata"]["resourceVersion"]}}}});
  limiter_.forget(profile.metadata.uid);
  bundle_changed_(ns, profile.spec.trust_domain_ref.name);
  return runtime::ReconcileResult::Done();
}

runtime::ReconcileResult SecurityProfileReconciler::reconcile(const runtime::ObjectKey& key) {
  const auto object = context_.stores.profiles->get(key);
  if (!object) return runtime::ReconcileResult::Done();
  const auto now = context_.now();
  const auto parsed = api::parse_security_profile(*object);
  if (!parsed) {
    // The CRD schema normally rejects this first; say what is wrong and touch nothing.
    api::SecurityProfileStatus status;
    const auto generation = (*object)["metadata"].value("generation", std::int64_t{0});
    status.observed_generation = generation;
    const std::string message = parsed.errors().front().message();
    api::set_condition(status.conditions,
                       make_condition("Ready", false, generation, "InvalidSpec", message),
                       seconds_of(now));
    api::set_condition(status.conditions,
                       make_condition("Stalled", true, generation, "InvalidSpec", message),
                       seconds_of(now));
    write_status_if_changed(*context_.client, kube::resources::security_profiles(), *object,
                            api::to_json(status));
    return runtime::ReconcileResult::Done();
  }
  const api::SecurityProfile& profile = parsed.value();
  if ((*object)["metadata"].contains("deletionTimestamp")) return finalize(*object, profile);
  if (ensure_finalizer(*object)) {
    return runtime::ReconcileResult::Done();  // the update comes back through the watch
  }

  api::SecurityProfileStatus status = profile.status;
  const auto generation = profile.metadata.generation;
  status.observed_generation = generation;
  // Terminal unless `retry` is given: the profile waits for its spec or the trust domain to
  // change, and their events bring it back.
  const auto stalled = [&](const std::string& reason, const std::string& message,
                           std::optional<std::chrono::milliseconds> retry = std::nullopt) {
    api::set_condition(status.conditions,
                       make_condition("Ready", false, generation, reason, message),
                       seconds_of(now));
    api::set_condition(status.conditions,
                       make_condition("Stalled", true, generation, reason, message),
                       seconds_of(now));
    api::set_condition(status.conditions, make_condition("Reconciling", false, generation, reason),
                       seconds_of(now));
    if (write_status_if_changed(*context_.client, kube::resources::security_profiles(), *object,
                                api::to_json(status))) {
      context_.events->record(*object, runtime::EventType::Warning, reason, message);
    }
    return retry ? runtime::ReconcileResult::RequeueAfter(*retry)
                 : runtime::ReconcileResult::Done();
  };

  const auto& domain_name = profile.spec.trust_domain_ref.name;
  const auto domain_object = context_.stores.trust_domains->get({"", domain_name});
  if (!domain_object) {
    return stalled("TrustDomainNotFound", "TrustDomain " + domain_name + " not found");
  }
  const auto domain = api::parse_trust_domain(*domain_object);
  if (!domain) return stalled("TrustDomainInvalid", "TrustDomain " + domain_name + " is invalid");
  const auto ca = cas_->get(domain.value(), now);
  if (!ca.ca) {
    return stalled("TrustDomainNotReady",
                   "TrustDomain " + domain_name + ": " + ca.error.reason + ": " + ca.error.message);
  }
  // Issue only from the CA the trust domain accepted: a replaced or regenerated key pair is
  // the TrustDomain's decision, never taken here (see its CAKeyPair* conditions).
  if (!api::is_condition_true(domain.value().status.conditions, api::kConditionReady) ||
      domain.value().status.ca_fingerprint != ca.ca->certificate().sha256_fingerprint()) {
    return stalled("TrustDomainNotReady", "TrustDomain " + domain_name +
                                              " has not accepted the CA in its key-pair Secret; "
                                              "see its conditions");
  }

  // The NF instance ID: the spec's, else the one in use (status, else the certificate's SAN,
  // so a status lost between issuing and writing it is recovered), else a new one. Always in
  // lower case (RFC 4122 output form), as the SAN carries it.
  std::string nf_instance_id;
  if (const auto known = api::effective_nf_instance_id(profile)) {
    nf_instance_id = *known;
  } else if (const auto from_certificate = nf_instance_id_from_certificate(
                 context_.stores.managed_secrets
                     ->get({profile.metadata.namespace_, render::tls_secret_name(profile)})
                     .get())) {
    nf_instance_id = *from_certificate;
  } else {
    nf_instance_id = crypto::random_uuid();
  }
  nf_instance_id = render::normalized_nf_instance_id(nf_instance_id);
  status.nf_instance_id = nf_instance_id;

  // Render everything first: input that cannot be rendered writes nothing and stays Stalled
  // until the spec changes (no retries: the same input fails the same way).
  Plan plan;
  plan.trust_bundle_pem =
      api::trust_bundle_pem(ca.ca->certificate().to_pem(), domain.value().status, seconds_of(now));
  try {
    if (render::needs_certificate(profile)) {
      plan.certificate = render::certificate_request(profile, domain.value(), nf_instance_id);
      const auto& c = plan.certificate->certificate;
      plan.tls_digest = input_digest(
          {{"keyAlgorithm", api::to_string(profile.spec.sbi.tls.certificate.key_algorithm)},
           {"duration", profile.spec.sbi.tls.certificate.duration},
           {"dnsNames", c.dns_names},
           {"uri", c.uris},
           {"subject", {c.subject.country, c.subject.organization}},
           {"ca", ca.ca->certificate().sha256_fingerprint()},
           {"nfType", c.nf_types},
           {"labels", render::managed_labels(profile)}});
    }
    plan.config_map = render::security_config_map(profile, nf_instance_id);
    plan.config_digest = input_digest(plan.config_map);
    if (profile.spec.ipsec && !profile.spec.ipsec->interfaces.empty()) {
      // The PSKs are random, so the inputs are the spec and the names of the keys, not values.
      render::IpsecMaterial placeholders;
      for (const auto& psk : render::required_pre_shared_keys(profile)) {
        placeholders.pre_shared_keys[psk] = "<" + psk + ">";
      }
      plan.ipsec_digest = input_digest({{"swanctl", render::swanctl_conf(profile, placeholders)},
                                        {"labels", render::managed_labels(profile)}});
    }
  } catch (const render::RenderError& e) {
    return stalled("InvalidSpec", std::string("cannot render ") + e.what());
  } catch (const std::invalid_argument& e) {
    return stalled("InvalidSpec", std::string("cannot render: ") + e.what());
  }

  // Look at every name before writing anything: a name taken by someone else's object stops
  // the whole profile, so it is never half provisioned.
  const auto& ns = profile.metadata.namespace_;
  std::vector<Target> targets;
  targets.push_back(observe_target(profile, kube::resources::secrets(),
                                   render::tls_secret_name(profile), plan.certificate.has_value()));
  targets.push_back(observe_target(profile, kube::resources::config_maps(),
                                   render::config_map_name(profile), true));
  targets.push_back(observe_target(profile, kube::resources::secrets(),
                                   render::ipsec_secret_name(profile), !plan.ipsec_digest.empty()));
  for (const auto& target : targets) {
    if (target.wanted && target.ownership == Ownership::Foreign) {
      return stalled("ObjectConflict",
                     target.kind + " " + ns + "/" + target.name +
                         " exists and is not owned by this profile; it is left untouched. "
                         "Delete or rename it, or rename the profile",
                     conflict_recheck_delay(profile.status, now));
    }
  }

  Pass pass{*object, profile, domain.value(), *ca.ca, nf_instance_id, now, std::move(plan)};
  // A Conflict (stale view) or AlreadyExists (created since observed) throws: the next pass,
  // with backoff, looks again.
  for (auto& target : targets) claim(target, pass);
  std::vector<Outcome> outcomes;
  outcomes.push_back(reconcile_tls(pass, targets[0]));
  outcomes.push_back(reconcile_config(pass, targets[1]));
  outcomes.push_back(reconcile_ipsec(pass, targets[2]));
  for (const auto& target : targets) remove_unwanted(pass, target);
  bundle_changed_(ns, domain_name);

  status.objects.clear();
  status.certificate.reset();
  bool drifted = false;
  bool repaired = false;
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
          *object, reported ? runtime::EventType::Warning : runtime::EventType::Normal,
          reported ? "DriftDetected" : "DriftRepaired",
          finding.kind + " " + finding.name + " " +
              (finding.field.empty() ? "" : finding.field + " ") + finding.reason);
    }
    drifted = drifted || outcome.assessment.action == Action::ReportOnly;
    repaired = repaired || outcome.assessment.repair;
    auto check = outcome.next_check;
    if (outcome.throttled) check = now + *outcome.throttled;
    if (check && (!next_check || *check < *next_check)) next_check = check;
  }
  const bool throttled = std::any_of(outcomes.begin(), outcomes.end(),
                                     [](const auto& o) { return o.throttled.has_value(); });
  api::set_condition(
      status.conditions,
      drifted ? make_condition("Drifted", true, generation, "DriftReported",
                               "generated objects differ from the desired state; policy "
                               "Report leaves them")
              : make_condition("Drifted", false, generation, repaired ? "DriftRepaired" : "InSync"),
      seconds_of(now));
  const bool was_expiring =
      api::is_condition_true(profile.status.conditions, api::kConditionCAExpiringSoon);
  api::set_condition(status.conditions,
                     ca_expiring ? make_condition(std::string(api::kConditionCAExpiringSoon), true,
                                                  generation, "CAExpiringSoon", *ca_expiring)
                                 : make_condition(std::string(api::kConditionCAExpiringSoon), false,
                                                  generation, "CAValid"),
                     seconds_of(now));
  if (ca_expiring && !was_expiring) {
    context_.events->record(*object, runtime::EventType::Warning, "CAExpiringSoon", *ca_expiring);
  }
  api::set_condition(status.conditions, make_condition("Stalled", false, generation, "Provisioned"),
                     seconds_of(now));
  api::set_condition(status.conditions,
                     throttled
                         ? make_condition("Reconciling", true, generation, "IssuanceThrottled",
                                          "certificate issuance is rate limited; retrying")
                         : make_condition("Reconciling", false, generation, "Provisioned"),
                     seconds_of(now));
  api::set_condition(status.conditions,
                     drifted ? make_condition("Ready", false, generation, "Drifted",
                                              "generated objects have drifted (policy Report)")
                             : make_condition("Ready", true, generation, "Provisioned",
                                              "all generated objects are in sync"),
                     seconds_of(now));
  write_status_if_changed(*context_.client, kube::resources::security_profiles(), *object,
                          api::to_json(status));

  if (next_check) {
    const auto delay =
        std::max(std::chrono::milliseconds(100),
                 std::chrono::duration_cast<std::chrono::milliseconds>(*next_check - now));
    return runtime::ReconcileResult::RequeueAfter(delay);
  }
  return runtime::ReconcileResult::Done();
}

}  // namespace secprov::controllers

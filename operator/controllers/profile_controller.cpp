#include "controllers/profile_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controllers/conditions.h"
#include "controllers/status_writer.h"
#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "render/config.h"
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

std::optional<std::string> nf_instance_id_from_certificate(const Json* cached_secret) {
  if (cached_secret == nullptr) return std::nullopt;
  const auto data = cached_secret->value("data", Json::object());
  if (!data.contains("tls.crt")) return std::nullopt;
  try {
    const auto pem = crypto::base64_decode(data["tls.crt"].get<std::string>());
    if (!pem) return std::nullopt;
    for (const auto& uri : crypto::Certificate::from_pem(*pem).uris()) {
      if (uri.rfind("urn:uuid:", 0) == 0) return uri.substr(9);
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::optional<crypto::Certificate> cached_leaf(const Json* cached_secret) {
  if (cached_secret == nullptr) return std::nullopt;
  const auto data = cached_secret->value("data", Json::object());
  if (!data.contains("tls.crt") || !data["tls.crt"].is_string()) return std::nullopt;
  try {
    const auto pem = crypto::base64_decode(data["tls.crt"].get<std::string>());
    if (!pem) return std::nullopt;
    return crypto::Certificate::from_pem(*pem);
  } catch (const std::exception&) {
    return std::nullopt;
  }
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

}  // namespace

struct SecurityProfileReconciler::Pass {
  const Json& object;
  const api::SecurityProfile& profile;
  const api::TrustDomain& domain;
  const crypto::CertificateAuthority& ca;
  std::string nf_instance_id;
  Clock::time_point now;
};

SecurityProfileReconciler::SecurityProfileReconciler(Context context,
                                                     std::shared_ptr<CaProvider> cas,
                                                     BundleNotifier bundle_changed)
    : context_(std::move(context)),
      cas_(std::move(cas)),
      bundle_changed_(std::move(bundle_changed)) {}

void SecurityProfileReconciler::apply_owned(const Json& desired, const Observation& observed) {
  const bool is_secret = desired.at("kind") == "Secret";
  const auto type = is_secret ? kube::resources::secrets() : kube::resources::config_maps();
  // Force only where the object is already this profile's: never take over someone else's.
  context_.client->apply(type, desired["metadata"]["namespace"], desired,
                         kube::ApplyOptions{.field_manager = kFieldManager,
                                            .force = observed.exists && observed.owner_intact});
}

void SecurityProfileReconciler::remove_owned(const kube::ResourceType& type, const std::string& ns,
                                             const std::string& name) {
  try {
    context_.client->remove(type, ns, name);
  } catch (const kube::ApiError& e) {
    if (!kube::is_not_found(e)) throw;
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

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_tls(const Pass& pass) {
  const auto& profile = pass.profile;
  const auto& ns = profile.metadata.namespace_;
  const std::string name = render::tls_secret_name(profile);
  const auto cached = context_.stores.managed_secrets->get({ns, name});
  Outcome outcome;
  if (profile.spec.sbi.tls.mode == api::TlsMode::Disabled) {
    if (cached) remove_owned(kube::resources::secrets(), ns, name);
    return outcome;
  }

  const auto& certificate_spec = profile.spec.sbi.tls.certificate;
  const auto renew_before =
      api::certificate_renew_before(profile).value_or(std::chrono::hours(720));
  const auto duration = api::certificate_duration(profile).value_or(std::chrono::hours(2160));
  const auto dns_names = render::sbi_dns_names(profile);
  const std::string uri = "urn:uuid:" + pass.nf_instance_id;
  const crypto::DistinguishedName subject{.country = pass.domain.spec.country,
                                          .organization = api::effective_organization(pass.domain),
                                          .organizational_unit = {},
                                          .common_name = {}};
  const std::string digest =
      input_digest({{"keyAlgorithm", api::to_string(certificate_spec.key_algorithm)},
                    {"duration", certificate_spec.duration},
                    {"dnsNames", dns_names},
                    {"uri", uri},
                    {"subject", {subject.country, subject.organization}},
                    {"ca", pass.ca.certificate().sha256_fingerprint()},
                    {"nfType", api::to_string(profile.spec.nf_type)},
                    {"labels", render::managed_labels(profile)}});

  const auto observed =
      observe(cached.get(), render::managed_labels(profile), profile.metadata.uid);
  const auto* previous = previous_entry(profile.status, "Secret", name);
  outcome.assessment = assess({"Secret", name, &observed, previous, digest,
                               profile.spec.drift_policy, seconds_of(pass.now)});
  auto leaf = cached_leaf(cached.get());
  const bool renewal_due = leaf && pass.now >= leaf->not_after() - renew_before;
  const bool issuer_changed = leaf && !leaf->issued_by(pass.ca.certificate());
  if (outcome.assessment.action == Action::None && (renewal_due || issuer_changed || !leaf)) {
    outcome.assessment.action = Action::Write;
  }

  if (outcome.assessment.action == Action::Write) {
    // A new key unless the policy keeps it and the stored one is intact.
    std::optional<crypto::PrivateKey> key;
    if (certificate_spec.rotation_policy == api::RotationPolicy::Never && observed.exists &&
        !observed.drifted_keys.contains("tls.key")) {
      if (const auto data = fetch_secret_data(ns, name); data && data->contains("tls.key")) {
        if (const auto pem = crypto::base64_decode((*data)["tls.key"].get<std::string>())) {
          try {
            auto kept = crypto::PrivateKey::from_pem(*pem);
            if (kept.algorithm() == crypto::parse_key_algorithm(std::string(
                                        api::to_string(certificate_spec.key_algorithm)))) {
              key = std::move(kept);
            }
          } catch (const crypto::CryptoError&) {
            // An unreadable key is replaced below.
          }
        }
      }
    }
    if (!key) {
      key = crypto::PrivateKey::generate(
          crypto::parse_key_algorithm(std::string(api::to_string(certificate_spec.key_algorithm)))
              .value_or(crypto::KeyAlgorithm::EcdsaP256));
    }
    crypto::CertificateTemplate request;
    request.subject = subject;
    request.dns_names = dns_names;
    request.uris = {uri};
    request.not_before = pass.now - std::chrono::minutes(1);  // tolerate small clock skew
    request.not_after = std::min(pass.now + duration, pass.ca.certificate().not_after());
    request.server_auth = true;
    request.client_auth = true;
    request.nf_types = {std::string(api::to_string(profile.spec.nf_type))};
    const auto csr = crypto::CertificateSigningRequest::create(*key, request);
    const auto issued = pass.ca.sign(csr, request, pass.now);
    const std::string ca_pem = pass.ca.certificate().to_pem();
    const auto desired = annotated(
        render::tls_secret(
            profile, render::TlsMaterial{issued.to_pem() + ca_pem, key->to_pkcs8_pem(), ca_pem}),
        digest, true);
    apply_owned(desired, observed);
    outcome.wrote = true;
    const std::string what =
        !leaf ? "Issued" : (outcome.assessment.repair ? "Reissued" : "Renewed");
    context_.events->record(pass.object, runtime::EventType::Normal, what,
                            what + " certificate serial " + issued.serial_hex() + " valid until " +
                                api::format_rfc3339(seconds_of(issued.not_after())));
    leaf = issued;
    outcome.object = api::GeneratedObject{
        "Secret", name, combined_digest(data_digests_of_secret_data(desired.at("data"))),
        api::ObjectState::InSync};
  } else {
    outcome.object =
        api::GeneratedObject{"Secret", name, observed.content_digest, outcome.assessment.state};
  }
  if (leaf) {
    outcome.certificate = certificate_status(*leaf, renew_before);
    outcome.next_check = leaf->not_after() - renew_before;
  }
  return outcome;
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_config(const Pass& pass) {
  const auto& profile = pass.profile;
  const auto& ns = profile.metadata.namespace_;
  const auto desired_plain = render::security_config_map(profile, pass.nf_instance_id);
  const std::string name = desired_plain["metadata"]["name"];
  const std::string digest = input_digest(desired_plain);
  const auto desired = annotated(desired_plain, digest, false);
  const auto cached = context_.stores.managed_config_maps->get({ns, name});
  const auto observed =
      observe(cached.get(), render::managed_labels(profile), profile.metadata.uid);
  Outcome outcome;
  outcome.assessment =
      assess({"ConfigMap", name, &observed, previous_entry(profile.status, "ConfigMap", name),
              digest, profile.spec.drift_policy, seconds_of(pass.now)});
  if (outcome.assessment.action == Action::Write) {
    apply_owned(desired, observed);
    outcome.wrote = true;
    outcome.object = api::GeneratedObject{
        "ConfigMap", name, combined_digest(data_digests_of_config_map_data(desired.at("data"))),
        api::ObjectState::InSync};
  } else {
    outcome.object =
        api::GeneratedObject{"ConfigMap", name, observed.content_digest, outcome.assessment.state};
  }
  return outcome;
}

SecurityProfileReconciler::Outcome SecurityProfileReconciler::reconcile_ipsec(const Pass& pass) {
  const auto& profile = pass.profile;
  const auto& ns = profile.metadata.namespace_;
  const std::string name = render::ipsec_secret_name(profile);
  const auto cached = context_.stores.managed_secrets->get({ns, name});
  Outcome outcome;
  if (!profile.spec.ipsec || profile.spec.ipsec->interfaces.empty()) {
    if (cached) remove_owned(kube::resources::secrets(), ns, name);
    return outcome;
  }
  // The PSKs are random, so the inputs are the spec and the names of the keys, not values.
  render::IpsecMaterial placeholders;
  for (const auto& psk : render::required_pre_shared_keys(profile)) {
    placeholders.pre_shared_keys[psk] = "<" + psk + ">";
  }
  const std::string digest = input_digest({{"swanctl", render::swanctl_conf(profile, placeholders)},
                                           {"labels", render::managed_labels(profile)}});
  const auto observed =
      observe(cached.get(), render::managed_labels(profile), profile.metadata.uid);
  outcome.assessment =
      assess({"Secret", name, &observed, previous_entry(profile.status, "Secret", name), digest,
              profile.spec.drift_policy, seconds_of(pass.now)});
  if (outcome.assessment.action != Action::Write) {
    outcome.object =
        api::GeneratedObject{"Secret", name, observed.content_digest, outcome.assessment.state};
    return outcome;
  }
  // Keep every PSK that is still intact: peers were configured with it.
  render::IpsecMaterial material;
  if (observed.exists || outcome.assessment.repair) {
    if (const auto data = fetch_secret_data(ns, name)) {
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
  const auto desired = annotated(*render::ipsec_secret(profile, material), digest, true);
  apply_owned(desired, observed);
  outcome.wrote = true;
  outcome.object = api::GeneratedObject{
      "Secret", name, combined_digest(data_digests_of_secret_data(desired.at("data"))),
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

  const std::vector<std::pair<kube::ResourceType, std::string>> owned = {
      {kube::resources::secrets(), render::tls_secret_name(profile)},
      {kube::resources::config_maps(), render::config_map_name(profile)},
      {kube::resources::secrets(), render::ipsec_secret_name(profile)}};
  for (const auto& [type, name] : owned) {
    if (profile.spec.deletion_policy == api::DeletionPolicy::Delete) {
      remove_owned(type, ns, name);
      continue;
    }
    // Retain: release the objects from the profile so the garbage collector keeps them.
    const auto& store = type == kube::resources::secrets() ? context_.stores.managed_secrets
                                                           : context_.stores.managed_config_maps;
    const auto cached = store->get({ns, name});
    if (!cached) continue;
    Json references = Json::array();
    for (const auto& reference : (*cached)["metadata"].value("ownerReferences", Json::array())) {
      if (reference.value("uid", std::string{}) != profile.metadata.uid)
        references.push_back(reference);
    }
    try {
      context_.client->merge_patch(type, ns, name,
                                   {{"metadata", {{"ownerReferences", references}}}});
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;
    }
  }
  finalizers.erase(ours);
  context_.client->merge_patch(
      kube::resources::security_profiles(), ns, profile.metadata.name,
      {{"metadata",
        {{"finalizers", finalizers}, {"resourceVersion", object["metadata"]["resourceVersion"]}}}});
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
  const auto stalled = [&](const std::string& reason, const std::string& message) {
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
    return runtime::ReconcileResult::Done();  // trust domain events bring it back
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

  // The NF instance ID: the spec's, else the one in use (status, else the certificate's SAN,
  // so a status lost between issuing and writing it is recovered), else a new one.
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
  status.nf_instance_id = nf_instance_id;

  const Pass pass{*object, profile, domain.value(), *ca.ca, nf_instance_id, now};
  std::vector<Outcome> outcomes;
  try {
    outcomes.push_back(reconcile_tls(pass));
    outcomes.push_back(reconcile_config(pass));
    outcomes.push_back(reconcile_ipsec(pass));
  } catch (const kube::ApiError& e) {
    if (e.kind() == kube::ErrorKind::Conflict) {
      // Server-side apply refused to take fields another manager owns.
      return stalled("ObjectConflict", std::string("an object of this profile is owned by another "
                                                   "manager: ") +
                                           e.what());
    }
    throw;
  }
  bundle_changed_(profile.metadata.namespace_, domain_name);

  status.objects.clear();
  status.certificate.reset();
  bool drifted = false;
  bool repaired = false;
  std::optional<Clock::time_point> next_check;
  for (const auto& outcome : outcomes) {
    if (outcome.object) status.objects.push_back(*outcome.object);
    if (outcome.certificate) status.certificate = outcome.certificate;
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
    if (outcome.next_check && (!next_check || *outcome.next_check < *next_check)) {
      next_check = outcome.next_check;
    }
  }
  api::set_condition(
      status.conditions,
      drifted ? make_condition("Drifted", true, generation, "DriftReported",
                               "generated objects differ from the desired state; policy "
                               "Report leaves them")
              : make_condition("Drifted", false, generation, repaired ? "DriftRepaired" : "InSync"),
      seconds_of(now));
  api::set_condition(status.conditions, make_condition("Stalled", false, generation, "Provisioned"),
                     seconds_of(now));
  api::set_condition(status.conditions,
                     make_condition("Reconciling", false, generation, "Provisioned"),
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

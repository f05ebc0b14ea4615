#include "controllers/trust_domain_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "controllers/conditions.h"
#include "controllers/mappers.h"
#include "controllers/observed.h"
#include "controllers/status_writer.h"
#include "controllers/trust_bundle_controller.h"
#include "crypto/authority.h"
#include "crypto/crl.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "render/errors.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/trust_domain.h"
#include "runtime/object.h"

namespace secprov::controllers {

namespace trust {
namespace {

std::string short_fingerprint(const std::string& fingerprint) {
  return fingerprint.substr(0, 16);
}

std::string replace_hint(bool generated) {
  return std::string("; restore it, or set annotation ") + std::string(api::kReplaceCaAnnotation) +
         " to a new value to " + (generated ? "generate a new CA" : "accept the Secret's CA");
}

}  // namespace

CaDecision decide_ca(const CaObservation& o) {
  const bool usable = !o.loaded_fingerprint.empty();
  const std::string& accepted = o.accepted_fingerprint;
  if (accepted.empty()) {  // nothing issued yet: the first CA is simply taken
    if (usable) {
      return {CaAction::Accept, "CAReady",
              "CA " + short_fingerprint(o.loaded_fingerprint) + " loaded from Secret " + o.secret};
    }
    if (!o.secret_exists) {
      if (o.generated) {
        return {CaAction::Generate, "CAGenerating", "generating a CA in Secret " + o.secret};
      }
      return {CaAction::Stall, "CASecretNotFound",
              o.load_error ? o.load_error->message : "Secret " + o.secret + " not found"};
    }
    return {CaAction::Stall, o.load_error ? o.load_error->reason : "InvalidCA",
            o.load_error ? o.load_error->message : "Secret " + o.secret + " holds no usable CA"};
  }

  if (o.replacement) {
    const std::string asked =
        " (" + std::string(api::kReplaceCaAnnotation) + "=" + *o.replacement + ")";
    if (usable && o.loaded_fingerprint != accepted) {
      return {CaAction::AcceptReplacement, "CAReplaced",
              "CA " + short_fingerprint(accepted) + " replaced by CA " +
                  short_fingerprint(o.loaded_fingerprint) + " from Secret " + o.secret + asked +
                  "; the previous CA stays in the trust bundles until every certificate of the "
                  "domain is reissued"};
    }
    if (o.generated) {
      return {CaAction::GenerateReplacement, "CAReplacing",
              "generating a new CA in Secret " + o.secret + " to replace CA " +
                  short_fingerprint(accepted) + asked};
    }
    // An imported CA is replaced by putting the new one in the Secret: wait for it.
    if (usable) {
      return {CaAction::Accept, "CAReady",
              "CA " + short_fingerprint(accepted) + " loaded from Secret " + o.secret + "; " +
                  std::string(api::kReplaceCaAnnotation) + "=" + *o.replacement +
                  " waits for a different CA in the Secret"};
    }
  }

  if (!o.secret_exists) {
    return {CaAction::Stall, "CAKeyPairMissing",
            "the CA key pair Secret " + o.secret + " is missing; the CA accepted for issuing (" +
                accepted + ") is kept and nothing is issued or regenerated" +
                replace_hint(o.generated)};
  }
  if (!usable) {
    const std::string why = o.load_error ? o.load_error->message : "no usable CA";
    return {CaAction::Stall, o.load_error ? o.load_error->reason : "InvalidCA",
            why + "; the CA accepted for issuing (" + accepted + ") is kept and nothing is issued" +
                replace_hint(o.generated)};
  }
  if (o.loaded_fingerprint != accepted) {
    return {CaAction::Stall, "CAKeyPairChanged",
            "Secret " + o.secret + " holds CA " + o.loaded_fingerprint +
                ", not the CA accepted for issuing (" + accepted + "); nothing is issued from it" +
                replace_hint(false)};
  }
  return {CaAction::Accept, "CAReady",
          "CA " + short_fingerprint(accepted) + " loaded from Secret " + o.secret};
}

ExpiryDecision decide_ca_expiry(std::optional<api::Timestamp> ca_not_after,
                                std::chrono::system_clock::time_point now) {
  if (!ca_not_after) return {false, "NoCA", "no CA accepted yet", std::nullopt};
  const auto due = std::chrono::system_clock::time_point(*ca_not_after) - api::kCaRenewBefore;
  const std::string date = api::format_rfc3339(*ca_not_after);
  if (now >= due) {
    return {true, "CAExpiringSoon",
            "the CA expires at " + date +
                ", within the 720h renewBefore of the certificates it "
                "issues: they cannot get their full validity; replace the CA (annotation " +
                std::string(api::kReplaceCaAnnotation) + ")",
            std::nullopt};
  }
  return {false, "CAValid", "the CA expires at " + date, due};
}

RetainedCas retain_previous_cas(const std::vector<api::PreviousCa>& previous,
                                const std::set<std::string>& in_use, api::Timestamp now) {
  RetainedCas result;
  for (const auto& ca : previous) {
    const std::string name = "previous CA " + short_fingerprint(ca.fingerprint);
    if (ca.not_after && now >= *ca.not_after) {
      result.dropped.push_back(name + " has expired: removed from the trust bundles");
    } else if (!in_use.contains(ca.fingerprint)) {
      result.dropped.push_back(name +
                               " issued no certificate still in use: removed from the trust "
                               "bundles");
    } else if (result.kept.size() >= api::kMaxPreviousCas) {
      result.dropped.push_back(name + " exceeds the " + std::to_string(api::kMaxPreviousCas) +
                               " previous CAs kept: removed from the trust bundles");
    } else {
      result.kept.push_back(ca);
    }
  }
  return result;
}

RotationDecision decide_rotation(const RotationObservation& o) {
  RotationDecision d;
  const bool in_progress = api::rotation_in_progress(o.rotation);
  if (!in_progress) {
    // The first CA is simply taken (decide_ca); a rotation replaces an accepted one.
    if (!o.token || o.accepted.empty()) return d;
    const std::string asked = " (" + std::string(api::kReplaceCaAnnotation) + "=" + *o.token + ")";
    if (o.next.empty() || o.next == o.accepted) {
      d.action = RotationAction::GenerateNext;
      d.reason = "RotationStarting";
      d.message =
          "generating the new CA that will replace CA " + short_fingerprint(o.accepted) + asked;
      return d;
    }
    d.action = RotationAction::Distribute;
    d.reason = "RotationDistributing";
    d.message = "new CA " + short_fingerprint(o.next) + " added to every trust bundle; CA " +
                short_fingerprint(o.accepted) + " still issues" + asked;
    return d;
  }
  const auto& r = *o.rotation;
  if (o.token && *o.token != r.token) {
    // One rotation at a time: trust never changes under a rotation that is half done.
    d.refused_token = *o.token;
  }
  const std::string waiting = std::to_string(o.waiting);
  switch (r.phase) {
    case api::RotationPhase::Distributing:
      if (o.issuing == r.new_ca_fingerprint && o.accepted != r.new_ca_fingerprint) {
        d.action = RotationAction::Reissue;
        d.reason = "RotationReissuing";
        d.message = "new CA " + short_fingerprint(r.new_ca_fingerprint) +
                    " issues every certificate; CA " + short_fingerprint(r.old_ca_fingerprint) +
                    " stays trusted until none chains to it";
      } else if (o.waiting > 0) {
        d.action = RotationAction::Wait;
        d.reason = "Distributing";
        d.message = "waiting for " + waiting + " profile(s) or trust bundle(s) to carry new CA " +
                    short_fingerprint(r.new_ca_fingerprint) +
                    " (and Sidecar Pods to be at the current configuration)";
      } else if (o.next != r.new_ca_fingerprint) {
        d.action = RotationAction::Wait;
        d.reason = "NewCAKeyPairMissing";
        d.message = "every bundle carries new CA " + short_fingerprint(r.new_ca_fingerprint) +
                    " but its key pair Secret is missing or changed; CA " +
                    short_fingerprint(r.old_ca_fingerprint) +
                    " keeps issuing; restore the Secret to continue";
      } else {
        d.action = RotationAction::Promote;
        d.reason = "RotationPromoting";
        d.message = "every bundle carries new CA " + short_fingerprint(r.new_ca_fingerprint) +
                    ": it becomes the issuing CA";
      }
      return d;
    case api::RotationPhase::Reissuing:
      if (o.waiting > 0) {
        d.action = RotationAction::Wait;
        d.reason = "Reissuing";
        d.message = "waiting for " + waiting + " profile(s) to get certificates from new CA " +
                    short_fingerprint(r.new_ca_fingerprint) + "; CA " +
                    short_fingerprint(r.old_ca_fingerprint) + " is still trusted";
      } else {
        d.action = RotationAction::Retire;
        d.reason = "RotationRetiring";
        d.message = "every certificate chains to new CA " +
                    short_fingerprint(r.new_ca_fingerprint) + ": CA " +
                    short_fingerprint(r.old_ca_fingerprint) + " is removed from the trust bundles";
      }
      return d;
    case api::RotationPhase::Retiring:
      if (o.waiting > 0) {
        d.action = RotationAction::Wait;
        d.reason = "Retiring";
        d.message = "waiting for " + waiting + " profile(s) or trust bundle(s) to drop CA " +
                    short_fingerprint(r.old_ca_fingerprint);
      } else {
        d.action = RotationAction::Complete;
        d.reason = "RotationComplete";
        d.message = "CA " + short_fingerprint(r.old_ca_fingerprint) + " replaced by CA " +
                    short_fingerprint(r.new_ca_fingerprint) + " in every bundle and certificate";
      }
      return d;
    case api::RotationPhase::Complete:
      break;
  }
  return d;
}

RotationWaiting rotation_waiting(api::RotationPhase phase,
                                 const std::vector<RotationObject>& objects,
                                 const std::string& new_fingerprint,
                                 const std::string& old_fingerprint) {
  std::set<std::string> owners;
  for (const auto& object : objects) {
    bool waits = false;
    switch (phase) {
      case api::RotationPhase::Distributing:
        waits = (object.bundle && !object.bundle->contains(new_fingerprint)) || object.pods_pending;
        break;
      case api::RotationPhase::Reissuing:
        waits = object.leaf_from_new.has_value() && !*object.leaf_from_new;
        break;
      case api::RotationPhase::Retiring:
        waits = object.bundle && object.bundle->contains(old_fingerprint);
        break;
      case api::RotationPhase::Complete:
        break;
    }
    if (waits) owners.insert(object.owner);
  }
  RotationWaiting result;
  result.count = static_cast<std::int64_t>(owners.size());
  for (const auto& owner : owners) {
    if (result.names.size() >= api::kMaxRotationWaiting) break;
    result.names.push_back(owner);
  }
  return result;
}

NextCaOwnership next_ca_secret_ownership(const nlohmann::json& secret, const std::string& domain,
                                         const std::string& domain_uid, const std::string& token) {
  const auto ownership = next_ca_ownership(secret, domain, domain_uid, token);
  if (ownership != Ownership::Foreign) return {ownership, {}, {}};
  const auto& metadata = secret.value("metadata", nlohmann::json::object());
  const std::string name =
      metadata.value("namespace", std::string{}) + "/" + metadata.value("name", std::string{});
  return {Ownership::Foreign, std::string(kNextCaSecretNotOwned),
          "Secret " + name + " is not this TrustDomain's next CA key pair (it needs labels " +
              std::string(render::kManagedByLabel) + "=" + std::string(render::kManagedByValue) +
              " and " + std::string(render::kTrustDomainLabel) + "=" + render::label_value(domain) +
              " and a controller ownerReference to TrustDomain " + domain +
              "): left unchanged and unused; the rotation waits until it is removed"};
}

namespace {

std::vector<runtime::ObjectKey> if_rotating(const TrustDomainStore& domains,
                                            std::vector<runtime::ObjectKey> keys) {
  std::erase_if(keys, [&](const runtime::ObjectKey& key) {
    const auto domain = domains.get(key);
    return !domain || !api::rotation_in_progress(domain->status.rotation);
  });
  return keys;
}

}  // namespace

std::vector<runtime::ObjectKey> rotating_domain_of_object(const TrustDomainStore& domains,
                                                          const runtime::Json& object) {
  return if_rotating(domains, trust_domain_of_leaf_secret(domains, object));
}

std::vector<runtime::ObjectKey> rotating_domains_of_profile(const TrustDomainStore& domains,
                                                            const runtime::Json& profile) {
  std::vector<runtime::ObjectKey> keys;
  for (const auto& bundle : bundle_of_profile(profile)) keys.push_back({"", bundle.name});
  return if_rotating(domains, std::move(keys));
}

std::set<std::string> GateMemo::bundle(const std::string& digest, const std::string& pem) {
  if (!digest.empty()) {
    if (const auto found = current_.bundles.find(digest); found != current_.bundles.end()) {
      return found->second;
    }
    if (auto found = previous_.bundles.find(digest); found != previous_.bundles.end()) {
      return current_.bundles.emplace(digest, std::move(found->second)).first->second;
    }
  }
  ++parses_;
  std::set<std::string> fingerprints;
  try {
    for (const auto& c : crypto::Certificate::parse_chain(pem)) {
      fingerprints.insert(c.sha256_fingerprint());
    }
  } catch (const crypto::CryptoError&) {
    fingerprints.clear();  // unreadable: carries nothing
  }
  if (!digest.empty()) current_.bundles.emplace(digest, fingerprints);
  return fingerprints;
}

std::optional<bool> GateMemo::issued_by(const std::string& digest, const crypto::LeafFacts* leaf,
                                        const crypto::LeafFacts::Issuer& ca,
                                        const std::string& ca_fingerprint) {
  const std::string key = digest.empty() ? std::string{} : digest + "|" + ca_fingerprint;
  if (!key.empty()) {
    if (const auto found = current_.issued.find(key); found != current_.issued.end()) {
      return found->second;
    }
    if (auto found = previous_.issued.find(key); found != previous_.issued.end()) {
      return current_.issued.emplace(key, found->second).first->second;
    }
  }
  ++parses_;
  std::optional<bool> issued;
  if (leaf != nullptr) issued = leaf->issued_by(ca);
  if (!key.empty()) current_.issued.emplace(key, issued);
  return issued;
}

bool GateMemo::knows_issued(const std::string& digest, const std::string& ca_fingerprint) const {
  if (digest.empty()) return false;
  const std::string key = digest + "|" + ca_fingerprint;
  return current_.issued.contains(key) || previous_.issued.contains(key);
}

void GateMemo::end_pass() {
  previous_ = std::move(current_);
  current_ = {};
}

std::vector<Event> transition_events(const std::vector<api::Condition>& before,
                                     const std::vector<api::Condition>& after) {
  std::vector<Event> events;
  const auto is_true = [](const api::Condition* c) {
    return c != nullptr && c->status == api::ConditionStatus::True;
  };
  const auto* stalled_before = api::find_condition(before, api::kConditionStalled);
  const auto* stalled_after = api::find_condition(after, api::kConditionStalled);
  if (is_true(stalled_after) &&
      (!is_true(stalled_before) || stalled_before->reason != stalled_after->reason)) {
    events.push_back({runtime::EventType::Warning, stalled_after->reason, stalled_after->message});
  }
  const auto* expiring_before = api::find_condition(before, api::kConditionCAExpiringSoon);
  const auto* expiring_after = api::find_condition(after, api::kConditionCAExpiringSoon);
  if (is_true(expiring_after) && !is_true(expiring_before)) {
    events.push_back(
        {runtime::EventType::Warning, expiring_after->reason, expiring_after->message});
  }
  return events;
}

}  // namespace trust

namespace {

std::vector<crypto::Certificate> certificates_in(const std::optional<std::string>& pem) {
  if (!pem) return {};
  try {
    return crypto::Certificate::parse_chain(*pem);
  } catch (const crypto::CryptoError&) {
    return {};
  }
}

// While CAs overlap, a safety net for the leaf events the manager may not route here.
constexpr std::chrono::seconds kOverlapRecheck{10};
constexpr std::chrono::hours kLongestWait{24};
// A foreign "<domain>-crl" is looked at again now and then: when it goes, the watch of CRL
// ConfigMaps may not see it (it need not carry the label).
constexpr std::chrono::minutes kForeignRecheck{5};
// During a rotation, a bound: the events of what the gates look at wake the domain
// (rotating_domain_of_object, rotating_domains_of_profile), this only in case one is missed.
constexpr std::chrono::seconds kRotationRecheck{30};

// The key pair Secret of a rotation's new CA, next to the issuing one.
std::string next_ca_secret_name(const api::TrustDomain& domain) {
  constexpr std::string_view kSuffix = "-next";
  std::string base = ca_secret_name(domain);
  if (base.size() + kSuffix.size() > 253) {
    base.resize(253 - kSuffix.size());
    while (!base.empty() && (base.back() == '-' || base.back() == '.')) base.pop_back();
  }
  return base + std::string(kSuffix);
}

// A CA key pair from a cached Secret labelled for `domain`; nullopt when unusable.
std::optional<crypto::CertificateAuthority> load_key_pair(
    const nlohmann::json* secret, const std::string& domain,
    std::chrono::system_clock::time_point now) {
  if (secret == nullptr ||
      runtime::label_of(*secret, render::kTrustDomainLabel) != render::label_value(domain)) {
    return std::nullopt;
  }
  const auto data = secret->value("data", nlohmann::json::object());
  const auto cert = data_value(data, render::kTlsCertificateKey, DataEncoding::Base64);
  const auto key = data_value(data, render::kTlsPrivateKeyKey, DataEncoding::Base64);
  if (!cert || !key) return std::nullopt;
  try {
    return crypto::CertificateAuthority::load(*cert, *key, now);
  } catch (const crypto::CryptoError&) {
    return std::nullopt;
  }
}

}  // namespace

RevocationRecord record_revocation(const Context& context, const std::string& trust_domain,
                                   const crypto::LeafFacts& certificate,
                                   std::chrono::system_clock::time_point now) {
  // Expired: refused anyway, no entry needed.
  if (certificate.not_after() <= now) return RevocationRecord::NotNeeded;
  const render::Revocation revocation{
      certificate.serial_hex(), std::chrono::floor<std::chrono::seconds>(now),
      std::chrono::floor<std::chrono::seconds>(certificate.not_after())};
  const std::string name = render::crl_config_map_name(trust_domain);
  const auto existing = context.stores.crl_config_maps->get({context.operator_namespace, name});
  const auto domain_object = context.stores.trust_domains->get({"", trust_domain});
  const std::string domain_uid = domain_object ? runtime::uid_of(*domain_object) : std::string{};
  if (existing &&
      trust::crl_ownership(*existing, trust_domain, domain_uid) == trust::Ownership::Foreign) {
    return RevocationRecord::NotOurs;
  }
  auto revocations =
      existing ? render::recorded_revocations(*existing) : std::vector<render::Revocation>{};
  if (std::any_of(revocations.begin(), revocations.end(), [&](const render::Revocation& r) {
        return r.serial_hex == revocation.serial_hex;
      })) {
    return RevocationRecord::AlreadyRecorded;
  }
  revocations.push_back(revocation);
  if (existing) {
    auto updated = *existing;
    updated["metadata"].erase("managedFields");
    updated["data"][std::string(render::kRevocationsKey)] =
        render::revocations_value(revocations, now);
    context.client->update(kube::resources::config_maps(), context.operator_namespace, updated);
  } else {
    // No CRL yet: the ConfigMap starts with the record, owned by the TrustDomain from the
    // start (garbage-collected with it); its reconciler signs it. A TrustDomain already gone
    // takes its CA, and so any CRL of it, along: nothing to record, nothing left behind.
    if (domain_uid.empty()) return RevocationRecord::NotNeeded;
    api::TrustDomain domain;
    domain.metadata.name = trust_domain;
    domain.metadata.uid = domain_uid;
    context.client->create(
        kube::resources::config_maps(), context.operator_namespace,
        render::crl_config_map(
            domain, context.operator_namespace, "", revocations,
            render::trust_domain_owner_reference(trust_domain, domain.metadata.uid)));
  }
  spdlog::info("TrustDomain {}: certificate serial {} recorded as revoked", trust_domain,
               revocation.serial_hex);
  return RevocationRecord::Recorded;
}

TrustDomainReconciler::TrustDomainReconciler(Context context, std::shared_ptr<CaProvider> cas)
    : context_(std::move(context)), cas_(std::move(cas)) {}

bool TrustDomainReconciler::write_ca(const api::TrustDomain& domain, const nlohmann::json& object,
                                     const render::CaRequest& request,
                                     const nlohmann::json* existing,
                                     const std::optional<std::string>& token,
                                     const std::string& name) {
  const auto ca = crypto::CertificateAuthority::create_self_signed(
      request.key_algorithm, request.subject, request.validity, context_.now());
  nlohmann::json secret =
      render::ca_key_pair_secret(domain, context_.operator_namespace,
                                 render::CaMaterial{ca.certificate_pem(), ca.key().to_pkcs8_pem()},
                                 token, existing != nullptr ? &existing->at("metadata") : nullptr);
  if (!name.empty()) {
    // The next key pair is disposable: owned by the TrustDomain (next_ca_secret_ownership).
    auto& metadata = secret["metadata"];
    metadata["name"] = name;
    metadata["labels"][std::string(render::kManagedByLabel)] = render::kManagedByValue;
    metadata["ownerReferences"] = nlohmann::json::array(
        {render::trust_domain_owner_reference(domain.metadata.name, domain.metadata.uid)});
  }
  const std::string fingerprint = ca.certificate().sha256_fingerprint().substr(0, 16);
  if (existing != nullptr) {
    // PUT with the cached resourceVersion: a cache behind our own write gets Conflict
    // (retried) instead of a second new CA.
    context_.client->update(kube::resources::secrets(), context_.operator_namespace, secret);
  } else {
    // Create, never apply: a CA that exists (perhaps created by a previous run whose cache
    // is behind) must not be replaced.
    try {
      context_.client->create(kube::resources::secrets(), context_.operator_namespace, secret);
    } catch (const kube::ApiError& e) {
      if (!kube::is_already_exists(e)) throw;
      return false;
    }
  }
  context_.events->record(
      object, runtime::EventType::Normal, "CAGenerated",
      "generated CA " + fingerprint + " in Secret " +
          (name.empty() ? ca_secret_name(domain) : name) +
          (token ? " (" + std::string(api::kReplaceCaAnnotation) + "=" + *token + ")"
                 : std::string{}));
  return true;
}

std::vector<std::string> TrustDomainReconciler::domain_namespaces(
    const api::TrustDomain& domain) const {
  return namespaces_using(*context_.stores.typed_profiles, domain.metadata.name);
}

void TrustDomainReconciler::visit_domain_secrets(
    const api::TrustDomain& domain, const std::vector<std::string>& namespaces,
    const std::function<bool(const nlohmann::json&)>& visit) const {
  const std::string label = render::label_value(domain.metadata.name);
  const auto& secrets = *context_.stores.managed_secrets;
  for (const auto& ns : namespaces) {
    for (const auto& key : secrets.keys(ns)) {
      const auto secret = secrets.get(key);
      if (!secret || runtime::label_of(*secret, render::kTrustDomainLabel) != label ||
          std::ranges::any_of(runtime::owner_references_of(*secret),
                              [](const runtime::OwnerReference& r) {
                                return r.controller && trust::is_trust_domain_reference(r);
                              })) {
        continue;
      }
      if (!visit(*secret)) return;
    }
  }
}

std::vector<runtime::ObjectPtr> TrustDomainReconciler::domain_bundles(
    const api::TrustDomain& domain, const std::vector<std::string>& namespaces) const {
  const std::string label = render::label_value(domain.metadata.name);
  const std::string name = render::trust_bundle_name(domain.metadata.name);
  std::vector<runtime::ObjectPtr> bundles;
  for (const auto& ns : namespaces) {
    auto config_map = context_.stores.managed_config_maps->get({ns, name});
    if (config_map && runtime::label_of(*config_map, render::kTrustDomainLabel) == label) {
      bundles.push_back(std::move(config_map));
    }
  }
  return bundles;
}

std::optional<std::string> TrustDomainReconciler::published_ca_pem(
    const api::TrustDomain& domain, const std::string& fingerprint) const {
  const auto find_in = [&](const std::optional<std::string>& pem) -> std::optional<std::string> {
    for (const auto& certificate : certificates_in(pem)) {
      if (certificate.sha256_fingerprint() == fingerprint) return certificate.to_pem();
    }
    return std::nullopt;
  };
  const auto namespaces = domain_namespaces(domain);
  for (const auto& config_map : domain_bundles(domain, namespaces)) {
    if (auto pem = find_in(data_value(config_map->value("data", nlohmann::json()),
                                      render::kCaBundleKey, DataEncoding::Plain)))
      return pem;
  }
  std::optional<std::string> found;
  visit_domain_secrets(domain, namespaces, [&](const nlohmann::json& secret) {
    const auto fingerprints = secret_ca_fingerprints(secret);
    if (!fingerprints || !fingerprints->contains(fingerprint)) return true;
    // The cache keeps the fingerprints only: the PEM is read from the server.
    const auto key = runtime::try_key_of(secret);
    if (!key) return true;
    try {
      const auto fetched = context_.client->get(kube::resources::secrets(), key->ns, key->name);
      found = find_in(data_value(fetched.value("data", nlohmann::json()), render::kCaBundleKey,
                                 DataEncoding::Base64));
    } catch (const kube::ApiError& e) {
      if (!kube::is_not_found(e)) throw;
    }
    return !found;
  });
  return found;
}

std::chrono::system_clock::time_point TrustDomainReconciler::publish_crl(
    const api::TrustDomain& domain, const crypto::CertificateAuthority& ca,
    std::chrono::system_clock::time_point now) {
  const std::string name = render::crl_config_map_name(domain.metadata.name);
  std::shared_ptr<const nlohmann::json> existing =
      context_.stores.crl_config_maps->get({context_.operator_namespace, name});
  if (existing && trust::crl_ownership(*existing, domain.metadata.name, domain.metadata.uid) ==
                      trust::Ownership::Foreign) {
    return report_foreign_crl(domain, name, now);
  }
  const auto revocations =
      existing ? render::recorded_revocations(*existing) : std::vector<render::Revocation>{};
  std::optional<crypto::CertificateRevocationList> current;
  if (existing) {
    const auto pem =
        data_value(existing->value("data", nlohmann::json()), render::kCrlKey, DataEncoding::Plain);
    try {
      if (pem && !pem->empty()) current = crypto::CertificateRevocationList::from_pem(*pem);
    } catch (const crypto::CryptoError&) {
      // Unreadable: replaced below.
    }
  }
  const auto upper = [](std::string serial) {
    std::transform(serial.begin(), serial.end(), serial.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return serial;
  };
  std::set<std::string> listed;
  if (current) {
    for (const auto& entry : current->revoked()) listed.insert(upper(entry.serial_hex));
  }
  std::set<std::string> wanted;
  for (const auto& entry : render::crl_request(revocations, now, 1).revoked) {
    wanted.insert(upper(entry.serial_hex));
  }
  const auto previous_number = current ? current->number().value_or(0) : 0;
  spdlog::debug("TrustDomain {}: CRL ConfigMap {}, CRL {}, number {}", domain.metadata.name,
                existing ? "cached" : "absent", current ? "readable" : "unreadable",
                previous_number);
  if (current && current->issued_by(ca.certificate()) && listed == wanted &&
      !render::crl_refresh_due(current->next_update(), now)) {
    return render::crl_refresh_at(*current->next_update());
  }
  // crlNumber grows with every CRL written (RFC 5280 5.2.3), also across a CA replacement
  // and a CRL edited or deleted by hand: at least the Unix time of its issue in milliseconds.
  const auto since_epoch =
      std::chrono::floor<std::chrono::milliseconds>(now).time_since_epoch().count();
  const auto number =
      std::max<std::uint64_t>(previous_number + 1, static_cast<std::uint64_t>(since_epoch));
  const auto crl = crypto::issue_crl(ca, render::crl_request(revocations, now, number));
  nlohmann::json owner = nullptr;
  if (!domain.metadata.uid.empty()) {
    owner = render::trust_domain_owner_reference(domain.metadata.name, domain.metadata.uid);
  }
  std::vector<render::Revocation> unexpired;
  for (const auto& revocation : revocations) {
    if (revocation.not_after > now) unexpired.push_back(revocation);
  }
  auto desired =
      render::crl_config_map(domain, context_.operator_namespace, crl.to_pem(), unexpired, owner);
  if (existing) {
    // Conditional on the cached resourceVersion: a revocation appended meanwhile is not lost
    // (Conflict, retried with it).
    auto metadata = existing->at("metadata");
    metadata.erase("managedFields");
    for (const auto& [key, value] : desired["metadata"]["labels"].items()) {
      metadata["labels"][key] = value;
    }
    if (owner.is_object()) metadata["ownerReferences"] = desired["metadata"]["ownerReferences"];
    desired["metadata"] = std::move(metadata);
    context_.client->update(kube::resources::config_maps(), context_.operator_namespace, desired);
  } else {
    try {
      context_.client->create(kube::resources::config_maps(), context_.operator_namespace, desired);
    } catch (const kube::ApiError& e) {
      if (!kube::is_already_exists(e)) throw;
      // Not in the cache: ours with the cache behind (the watch brings it), or someone
      // else's, perhaps without the labels the cache selects.
      const auto found = fetch(kube::resources::config_maps(), name);
      if (found && trust::crl_ownership(*found, domain.metadata.name, domain.metadata.uid) ==
                       trust::Ownership::Foreign) {
        return report_foreign_crl(domain, name, now);
      }
    }
  }
  spdlog::info("TrustDomain {}: published CRL {} listing {} certificate(s) in ConfigMap {}/{}",
               domain.metadata.name, number, wanted.size(), context_.operator_namespace, name);
  return render::crl_refresh_at(*crl.next_update());
}

std::chrono::system_clock::time_point TrustDomainReconciler::report_foreign_crl(
    const api::TrustDomain& domain, const std::string& name,
    std::chrono::system_clock::time_point now) {
  if (const auto object = context_.stores.trust_domains->get({"", domain.metadata.name})) {
    context_.events->record(
        *object, runtime::EventType::Warning, "CRLConflict",
        "ConfigMap " + context_.operator_namespace + "/" + name +
            " exists and is not this TrustDomain's (no " + std::string(render::kComponentLabel) +
            "=" + std::string(render::kCrlComponent) +
            " label or no controller ownerReference to the TrustDomain): left unchanged, no "
            "CRL is published and no revocation recorded until it is removed");
  }
  spdlog::warn("TrustDomain {}: ConfigMap {}/{} is not its CRL; left unchanged",
               domain.metadata.name, context_.operator_namespace, name);
  return now + kForeignRecheck;
}

std::optional<nlohmann::json> TrustDomainReconciler::fetch(const kube::ResourceType& type,
                                                           const std::string& name) const {
  return context_.client->list_one(type, context_.operator_namespace, name);
}

std::set<std::string> TrustDomainReconciler::previous_cas_in_use(
    const api::TrustDomain& domain, const std::vector<api::PreviousCa>& previous,
    trust::GateMemo& memo) const {
  std::set<std::string> in_use;
  if (previous.empty()) return in_use;
  // Each prepared once for all the domain's leaves.
  std::vector<std::pair<std::string, crypto::LeafFacts::Issuer>> cas;
  for (const auto& ca : previous) {
    const auto parsed = certificates_in(ca.certificate_pem);
    if (!parsed.empty()) {
      cas.emplace_back(ca.fingerprint, crypto::LeafFacts::Issuer(parsed.front()));
    }
  }
  visit_domain_secrets(domain, domain_namespaces(domain), [&](const nlohmann::json& secret) {
    const auto digest = secret_value_digest(secret, render::kTlsCertificateKey);
    // Decoded only for a lookup the memo cannot answer.
    std::optional<crypto::LeafFacts> leaf;
    bool decoded_leaf = false;
    for (const auto& [fingerprint, ca] : cas) {
      if (!decoded_leaf && !memo.knows_issued(digest, fingerprint)) {
        leaf = secret_leaf(secret);
        decoded_leaf = true;
        if (!leaf) break;
      }
      if (memo.issued_by(digest, leaf ? &*leaf : nullptr, ca, fingerprint).value_or(false)) {
        in_use.insert(fingerprint);
      }
    }
    return true;
  });
  return in_use;
}

std::vector<trust::RotationObject> TrustDomainReconciler::rotation_objects(
    const api::TrustDomain& domain, const std::string& new_ca_pem, trust::GateMemo& memo) const {
  std::vector<trust::RotationObject> objects;
  std::optional<crypto::Certificate> new_ca;
  if (const auto parsed = certificates_in(new_ca_pem); !parsed.empty()) new_ca = parsed.front();
  const std::string new_fingerprint = new_ca ? new_ca->sha256_fingerprint() : std::string{};
  // Prepared once for all the domain's leaves.
  const auto new_issuer = new_ca ? std::optional(crypto::LeafFacts::Issuer(*new_ca)) : std::nullopt;
  const auto owner_of = [](const nlohmann::json& object, std::string_view kind) {
    const auto key = runtime::try_key_of(object);
    const std::string ns = key ? key->ns : std::string{};
    for (const auto& reference : runtime::owner_references_of(object)) {
      if (reference.controller && reference.kind == "SecurityProfile") {
        return "SecurityProfile " + ns + "/" + reference.name;
      }
    }
    return std::string(kind) + " " + ns + "/" + (key ? key->name : std::string{});
  };
  // The cache holds the fingerprints of ca.crt and the leaf's facts; a signature is checked
  // only for a leaf the memo does not know.
  const auto namespaces = domain_namespaces(domain);
  visit_domain_secrets(domain, namespaces, [&](const nlohmann::json& secret) {
    trust::RotationObject object;
    object.owner = owner_of(secret, "Secret");
    object.bundle = secret_ca_fingerprints(secret);
    const auto leaf_digest = secret_value_digest(secret, render::kTlsCertificateKey);
    if (new_issuer && memo.knows_issued(leaf_digest, new_fingerprint)) {
      object.leaf_from_new = memo.issued_by(leaf_digest, nullptr, *new_issuer, new_fingerprint);
    } else if (const auto leaf = secret_leaf(secret)) {
      object.leaf_from_new =
          new_issuer ? memo.issued_by(leaf_digest, &*leaf, *new_issuer, new_fingerprint) : false;
    }
    if (object.bundle || object.leaf_from_new) objects.push_back(std::move(object));
    return true;
  });
  for (const auto& config_map : domain_bundles(domain, namespaces)) {
    trust::RotationObject object;
    object.owner = owner_of(*config_map, "ConfigMap");
    const auto text = data_value(config_map->value("data", nlohmann::json()), render::kCaBundleKey,
                                 DataEncoding::Plain)
                          .value_or(std::string{});
    // A ConfigMap keeps no digest: its text is the key (every bundle of a domain is the same).
    object.bundle = memo.bundle(text.empty() ? std::string{} : "text:" + text, text);
    objects.push_back(std::move(object));
  }
  // Sidecar profiles: their Pods must run the current configuration before the issuer moves.
  const auto& profiles = *context_.stores.typed_profiles;
  for (const auto& key : profiles.keys_by_index(index::kProfileTrustDomain, domain.metadata.name)) {
    const auto profile = profiles.get(key);
    if (!profile || !profile->spec.enabler ||
        profile->spec.enabler->mode != api::EnablerMode::Sidecar) {
      continue;
    }
    trust::RotationObject object;
    object.owner = "SecurityProfile " + key.ns + "/" + key.name;
    object.pods_pending = !profile->status.pods || profile->status.pods->stale_digest > 0;
    objects.push_back(std::move(object));
  }
  return objects;
}

std::shared_ptr<trust::GateMemo> TrustDomainReconciler::memo_of(const std::string& domain) {
  const std::lock_guard lock(memos_mutex_);
  auto& memo = memos_[domain];
  if (!memo) memo = std::make_shared<trust::GateMemo>();
  return memo;
}

void TrustDomainReconciler::drop_memo(const std::string& domain) {
  const std::lock_guard lock(memos_mutex_);
  memos_.erase(domain);
}

std::optional<runtime::ReconcileResult> TrustDomainReconciler::rotate(
    const api::TrustDomain& domain, const nlohmann::json& object, api::TrustDomainStatus& status,
    std::vector<trust::Event>& events, std::optional<std::string>& token,
    const crypto::CertificateAuthority* issuing, std::optional<trust::NextCaOwnership>& blocked) {
  const auto now = context_.now();
  const std::string next_name = next_ca_secret_name(domain);
  const auto next_secret =
      context_.stores.operator_secrets->get({context_.operator_namespace, next_name});
  const bool in_progress = api::rotation_in_progress(status.rotation);
  const std::string wanted_token = in_progress ? status.rotation->token : token.value_or("");
  if (!in_progress && !token) return std::nullopt;  // nothing asked: the name is not ours to judge
  // Whose the next key pair's name is, before anything reads, writes or deletes it.
  if (next_secret) {
    auto ownership = trust::next_ca_secret_ownership(*next_secret, domain.metadata.name,
                                                     domain.metadata.uid, wanted_token);
    if (ownership.ownership == trust::Ownership::Foreign) {
      blocked = std::move(ownership);
      return std::nullopt;
    }
    if (ownership.ownership == trust::Ownership::Adoptable) {
      // A rotation started by a version without the marks: they are added (PUT with the
      // cached resourceVersion, the key pair unchanged), and its event brings the domain back.
      auto adopted = *next_secret;
      adopted["metadata"].erase("managedFields");
      adopted["metadata"]["labels"][std::string(render::kManagedByLabel)] = render::kManagedByValue;
      adopted["metadata"]["ownerReferences"] = nlohmann::json::array(
          {render::trust_domain_owner_reference(domain.metadata.name, domain.metadata.uid)});
      context_.client->update(kube::resources::secrets(), context_.operator_namespace, adopted);
      spdlog::info("TrustDomain {}: adopted next CA key pair Secret {}/{} of rotation {}",
                   domain.metadata.name, context_.operator_namespace, next_name, wanted_token);
      return runtime::ReconcileResult::RequeueAfter(std::chrono::seconds(1));
    }
  }
  const auto next_ca = load_key_pair(next_secret.get(), domain.metadata.name, now);

  trust::RotationObservation observed;
  observed.rotation = status.rotation;
  observed.token = token;
  observed.accepted = status.ca_fingerprint;
  if (issuing != nullptr) observed.issuing = issuing->certificate().sha256_fingerprint();
  // The next key pair counts only for the token that asked for it: a leftover is replaced.
  if (next_ca && !wanted_token.empty() &&
      runtime::annotation_of(*next_secret, api::kReplaceCaAnnotation) == wanted_token) {
    observed.next = next_ca->certificate().sha256_fingerprint();
  }
  trust::RotationWaiting waiting;
  if (in_progress) {
    waiting = trust::rotation_waiting(
        status.rotation->phase,
        rotation_objects(domain, status.rotation->new_ca_certificate_pem,
                         *memo_of(domain.metadata.name)),
        status.rotation->new_ca_fingerprint, status.rotation->old_ca_fingerprint);
    observed.waiting = waiting.count;
  }
  const auto decision = trust::decide_rotation(observed);

  if (decision.refused_token) {
    status.ca_replacement_token = *decision.refused_token;
    events.push_back({runtime::EventType::Warning, "RotationInProgress",
                      std::string(api::kReplaceCaAnnotation) + "=" + *decision.refused_token +
                          " ignored: rotation " + status.rotation->token + " is in phase " +
                          std::string(api::to_string(status.rotation->phase)) +
                          "; set a new value once it is Complete"});
    token.reset();
  }
  const auto enter = [&](api::RotationPhase phase) {
    status.rotation->phase = phase;
    status.rotation->phase_since = seconds_of(now);
    status.rotation->waiting_count = 0;
    status.rotation->waiting_for.clear();
    status.rotation->message = decision.message;
    events.push_back({runtime::EventType::Normal, decision.reason, decision.message});
  };
  switch (decision.action) {
    case trust::RotationAction::None:
      return std::nullopt;
    case trust::RotationAction::GenerateNext:
      try {
        if (!write_ca(domain, object, render::ca_request(domain), next_secret.get(), token,
                      next_name)) {
          // The name is taken by a Secret the CA cache does not hold (not labelled for the
          // domain), or ours with the cache behind: only ours may wait for the watch.
          if (const auto found = fetch(kube::resources::secrets(), next_name)) {
            auto ownership = trust::next_ca_secret_ownership(*found, domain.metadata.name,
                                                             domain.metadata.uid, wanted_token);
            if (ownership.ownership == trust::Ownership::Foreign) {
              blocked = std::move(ownership);
              return std::nullopt;
            }
          }
        }
      } catch (const render::RenderError& e) {
        events.push_back({runtime::EventType::Warning, "InvalidSpec",
                          std::string("cannot render the new CA: ") + e.what()});
        return std::nullopt;
      }
      // The next Secret's event brings the domain back (mapped by its trust-domain label).
      return runtime::ReconcileResult::RequeueAfter(kRotationRecheck);
    case trust::RotationAction::Distribute: {
      if (issuing == nullptr) return std::nullopt;
      api::CaRotation rotation;
      rotation.token = *token;
      rotation.new_ca_fingerprint = observed.next;
      rotation.new_ca_certificate_pem = next_ca->certificate_pem();
      rotation.new_ca_not_after = seconds_of(next_ca->certificate().not_after());
      rotation.old_ca_fingerprint = status.ca_fingerprint;
      rotation.old_ca_certificate_pem = issuing->certificate_pem();
      status.rotation = std::move(rotation);
      status.ca_replacement_token = *token;
      token.reset();
      enter(api::RotationPhase::Distributing);
      return std::nullopt;
    }
    case trust::RotationAction::Wait:
      status.rotation->waiting_count = waiting.count;
      status.rotation->waiting_for = waiting.names;
      status.rotation->message = decision.message;
      return std::nullopt;
    case trust::RotationAction::Promote: {
      const auto current = context_.stores.operator_secrets->get(
          {context_.operator_namespace, ca_secret_name(domain)});
      if (!current) return std::nullopt;  // decide_ca says why
      // PUT with the cached resourceVersion: the issuing key pair changes once.
      context_.client->update(
          kube::resources::secrets(), context_.operator_namespace,
          render::ca_key_pair_secret(
              domain, context_.operator_namespace,
              render::CaMaterial{next_ca->certificate_pem(), next_ca->key().to_pkcs8_pem()},
              status.rotation->token, &current->at("metadata")));
      spdlog::info("TrustDomain {}: rotation {}: new CA {} promoted to issuing",
                   domain.metadata.name, status.rotation->token,
                   status.rotation->new_ca_fingerprint.substr(0, 16));
      // The key pair Secret's event brings the domain back; the status moves on then.
      return runtime::ReconcileResult::RequeueAfter(std::chrono::seconds(1));
    }
    case trust::RotationAction::Reissue: {
      auto& rotation = *status.rotation;
      std::erase_if(status.previous_cas, [&](const api::PreviousCa& p) {
        return p.fingerprint == rotation.old_ca_fingerprint ||
               p.fingerprint == rotation.new_ca_fingerprint;
      });
      status.previous_cas.insert(
          status.previous_cas.begin(),
          api::PreviousCa{rotation.old_ca_fingerprint, rotation.old_ca_certificate_pem,
                          status.ca_not_after});
      status.ca_fingerprint = rotation.new_ca_fingerprint;
      status.ca_not_after = rotation.new_ca_not_after;
      enter(api::RotationPhase::Reissuing);
      return std::nullopt;
    }
    case trust::RotationAction::Retire:
      std::erase_if(status.previous_cas, [&](const api::PreviousCa& p) {
        return p.fingerprint == status.rotation->old_ca_fingerprint;
      });
      enter(api::RotationPhase::Retiring);
      return std::nullopt;
    case trust::RotationAction::Complete:
      if (next_secret) {  // ours: judged above
        kube::DeleteOptions options;
        options.precondition_uid = runtime::uid_of(*next_secret);
        try {
          context_.client->remove(kube::resources::secrets(), context_.operator_namespace,
                                  next_name, options);
        } catch (const kube::ApiError& e) {
          if (!kube::is_not_found(e) && e.kind() != kube::ErrorKind::Conflict) throw;
        }
      }
      enter(api::RotationPhase::Complete);
      return std::nullopt;
  }
  return std::nullopt;
}

runtime::ReconcileResult TrustDomainReconciler::reconcile(const runtime::ObjectKey& key) {
  const auto object = context_.stores.trust_domains->get(key);
  if (!object) {
    drop_memo(key.name);
    return runtime::ReconcileResult::Done();
  }
  const auto parsed = api::parse_trust_domain(*object);
  if (!parsed) {
    spdlog::warn("TrustDomain {} is invalid: {}", key.to_string(),
                 parsed.errors().front().message());
    return runtime::ReconcileResult::Done();
  }
  const api::TrustDomain& domain = parsed.value();
  const auto now = context_.now();
  const auto generation = domain.metadata.generation;

  const std::string secret_name = ca_secret_name(domain);
  const auto secret =
      context_.stores.operator_secrets->get({context_.operator_namespace, secret_name});
  const auto loaded = cas_->get(domain, now);
  trust::CaObservation observed;
  observed.generated = domain.spec.ca.generate.has_value();
  observed.secret = context_.operator_namespace + "/" + secret_name;
  observed.secret_exists = secret != nullptr;
  if (loaded.ca) observed.loaded_fingerprint = loaded.ca->certificate().sha256_fingerprint();
  if (!loaded.ca) observed.load_error = loaded.error;
  api::TrustDomainStatus status = domain.status;
  std::vector<trust::Event> events;
  auto token = api::pending_ca_replacement(*object, domain.status);
  // A generated CA that issues is replaced in stages (rotate). An imported one, the first CA,
  // and a lost or broken key pair (nothing can issue: no stage to keep) as decide_ca says.
  const bool issuing_accepted =
      !status.ca_fingerprint.empty() && observed.loaded_fingerprint == status.ca_fingerprint;
  std::optional<trust::NextCaOwnership> blocked;
  if (observed.generated && (issuing_accepted || api::rotation_in_progress(status.rotation))) {
    if (auto result = rotate(domain, *object, status, events, token, loaded.ca.get(), blocked)) {
      return *result;
    }
    token.reset();
  }
  observed.accepted_fingerprint = status.ca_fingerprint;
  observed.replacement = token;
  auto decision = trust::decide_ca(observed);

  if (decision.action == trust::CaAction::Generate ||
      decision.action == trust::CaAction::GenerateReplacement) {
    try {
      write_ca(domain, *object, render::ca_request(domain),
               decision.action == trust::CaAction::GenerateReplacement ? secret.get() : nullptr,
               observed.replacement);
      // The new Secret arrives through the watch and enqueues this domain again; the status
      // moves to the new CA only then, when every cache can see it.
      return runtime::ReconcileResult::RequeueAfter(std::chrono::seconds(5));
    } catch (const render::RenderError& e) {
      // The spec cannot say which CA to make: terminal until it changes.
      decision = {trust::CaAction::Stall, "InvalidSpec", std::string("cannot render ") + e.what()};
    }
  }

  status.observed_generation = generation;
  status.ca_secret_name = secret_name;
  if (decision.action == trust::CaAction::AcceptReplacement) {
    // The replaced CA stays trusted: its PEM from the Secret is gone, so it comes from what
    // was published. When nothing published it, nothing can chain to it.
    if (const auto pem = published_ca_pem(domain, status.ca_fingerprint)) {
      std::erase_if(status.previous_cas, [&](const api::PreviousCa& p) {
        return p.fingerprint == status.ca_fingerprint;
      });
      status.previous_cas.insert(status.previous_cas.begin(),
                                 api::PreviousCa{status.ca_fingerprint, *pem, status.ca_not_after});
    }
    events.push_back({runtime::EventType::Normal, decision.reason, decision.message});
  }
  const bool accepted = decision.action == trust::CaAction::Accept ||
                        decision.action == trust::CaAction::AcceptReplacement;
  if (accepted) {
    const auto& certificate = loaded.ca->certificate();
    status.ca_fingerprint = certificate.sha256_fingerprint();
    status.ca_not_after = seconds_of(certificate.not_after());
    // A replacement is done; a token present when the first CA was taken is spent with it.
    if (observed.replacement && (decision.action == trust::CaAction::AcceptReplacement ||
                                 domain.status.ca_fingerprint.empty())) {
      status.ca_replacement_token = *observed.replacement;
    }
  }
  set_summary(status.conditions, generation, seconds_of(now),
              accepted ? Summary::ready(decision.reason, decision.message)
                       : Summary::stalled(decision.reason, decision.message));

  auto retained = trust::retain_previous_cas(
      status.previous_cas,
      previous_cas_in_use(domain, status.previous_cas, *memo_of(domain.metadata.name)),
      seconds_of(now));
  status.previous_cas = std::move(retained.kept);
  for (auto& message : retained.dropped) {
    events.push_back({runtime::EventType::Normal, "PreviousCARemoved", std::move(message)});
  }

  const auto expiry = trust::decide_ca_expiry(status.ca_not_after, now);
  set_abnormal_true(status.conditions,
                    make_condition(api::kConditionCAExpiringSoon, expiry.expiring, generation,
                                   expiry.reason, expiry.message),
                    seconds_of(now));

  if (blocked) {
    // The rotation stops (or does not start) while a foreign Secret holds the name: said once
    // by the condition's transition, retried through the rate-limited queue.
    const bool rotating = api::rotation_in_progress(status.rotation);
    if (rotating) status.rotation->message = blocked->message;
    api::set_condition(status.conditions,
                       make_condition(api::kConditionRotating, rotating, generation,
                                      blocked->reason, blocked->message),
                       seconds_of(now));
    const auto* before = api::find_condition(domain.status.conditions, api::kConditionRotating);
    if (before == nullptr || before->reason != blocked->reason) {
      events.push_back({runtime::EventType::Warning, blocked->reason, blocked->message});
    }
  } else if (!status.rotation) {
    // Not blocked any more, and nothing started: no Rotating condition to keep.
    const auto* rotating = api::find_condition(status.conditions, api::kConditionRotating);
    if (rotating != nullptr && rotating->reason == trust::kNextCaSecretNotOwned) {
      api::remove_condition(status.conditions, api::kConditionRotating);
    }
  } else {
    const auto& rotation = *status.rotation;
    const bool rotating = api::rotation_in_progress(status.rotation);
    api::set_condition(
        status.conditions,
        make_condition(api::kConditionRotating, rotating, generation,
                       rotating ? std::string(api::to_string(rotation.phase)) : "RotationComplete",
                       rotation.message.empty() ? "rotation " + rotation.token : rotation.message),
        seconds_of(now));
  }

  auto transitions = trust::transition_events(domain.status.conditions, status.conditions);
  events.insert(events.begin(), transitions.begin(), transitions.end());
  if (write_status_if_changed(*context_.client, kube::resources::trust_domains(), *object,
                              api::to_json(status))) {
    for (const auto& event : events) {
      context_.events->record(*object, event.type, event.reason, event.message);
    }
  }

  std::optional<std::chrono::milliseconds> next;
  if (accepted) {
    const auto refresh = publish_crl(domain, *loaded.ca, now);
    next = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(refresh - now),
                      std::chrono::milliseconds(1000),
                      std::chrono::duration_cast<std::chrono::milliseconds>(kLongestWait));
  }
  if (expiry.due) {
    // Exact when it comes close; a far date is approached in steps (no timer decades out).
    const auto due = std::min<std::chrono::milliseconds>(
        std::chrono::ceil<std::chrono::milliseconds>(*expiry.due - now), kLongestWait);
    next = next ? std::min(*next, due) : due;
  }
  if (!status.previous_cas.empty() && (!next || *next > kOverlapRecheck)) next = kOverlapRecheck;
  if (api::rotation_in_progress(status.rotation) && (!next || *next > kRotationRecheck)) {
    next = kRotationRecheck;
  }
  if (api::rotation_in_progress(status.rotation) || !status.previous_cas.empty()) {
    memo_of(domain.metadata.name)->end_pass();
  } else {
    drop_memo(domain.metadata.name);
  }
  if (blocked) {
    spdlog::warn("TrustDomain {}: {}", domain.metadata.name, blocked->message);
    return runtime::ReconcileResult::Requeue();
  }
  if (next) return runtime::ReconcileResult::RequeueAfter(*next);
  return runtime::ReconcileResult::Done();
}

}  // namespace secprov::controllers

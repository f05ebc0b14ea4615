#include "controllers/trust_domain_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "controllers/conditions.h"
#include "controllers/status_writer.h"
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

std::optional<std::string> decoded(const nlohmann::json& data, std::string_view key, bool base64) {
  if (!data.is_object()) return std::nullopt;
  const auto found = data.find(key);
  if (found == data.end() || !found->is_string()) return std::nullopt;
  if (!base64) return found->get<std::string>();
  return crypto::base64_decode(found->get<std::string>());
}

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

}  // namespace

RevocationRecord record_revocation(const Context& context, const std::string& trust_domain,
                                   const crypto::Certificate& certificate,
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

void TrustDomainReconciler::write_ca(const api::TrustDomain& domain, const nlohmann::json& object,
                                     const render::CaRequest& request,
                                     const nlohmann::json* existing,
                                     const std::optional<std::string>& token) {
  const auto ca = crypto::CertificateAuthority::create_self_signed(
      request.key_algorithm, request.subject, request.validity, context_.now());
  const nlohmann::json secret = render::ca_key_pair_secret(
      domain, context_.operator_namespace,
      render::CaMaterial{ca.certificate().to_pem(), ca.key().to_pkcs8_pem()}, token,
      existing != nullptr ? &existing->at("metadata") : nullptr);
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
      return;
    }
  }
  context_.events->record(
      object, runtime::EventType::Normal, "CAGenerated",
      "generated CA " + fingerprint + " in Secret " + ca_secret_name(domain) +
          (token ? " (" + std::string(api::kReplaceCaAnnotation) + "=" + *token + ")"
                 : std::string{}));
}

std::optional<std::string> TrustDomainReconciler::published_ca_pem(
    const api::TrustDomain& domain, const std::string& fingerprint) const {
  const std::string label = render::label_value(domain.metadata.name);
  const std::string bundle = render::trust_bundle_name(domain.metadata.name);
  const auto find_in = [&](const std::optional<std::string>& pem) -> std::optional<std::string> {
    for (const auto& certificate : certificates_in(pem)) {
      if (certificate.sha256_fingerprint() == fingerprint) return certificate.to_pem();
    }
    return std::nullopt;
  };
  for (const auto& config_map : context_.stores.managed_config_maps->list()) {
    if ((*config_map)["metadata"].value("name", std::string{}) != bundle ||
        runtime::label_of(*config_map, render::kTrustDomainLabel) != label) {
      continue;
    }
    if (auto pem = find_in(
            decoded(config_map->value("data", nlohmann::json()), render::kCaBundleKey, false)))
      return pem;
  }
  for (const auto& secret : context_.stores.managed_secrets->list()) {
    if (runtime::label_of(*secret, render::kTrustDomainLabel) != label) continue;
    if (auto pem =
            find_in(decoded(secret->value("data", nlohmann::json()), render::kCaBundleKey, true)))
      return pem;
  }
  return std::nullopt;
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
    const auto pem = decoded(existing->value("data", nlohmann::json()), render::kCrlKey, false);
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
      const auto found = fetch_config_map(name);
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

std::optional<nlohmann::json> TrustDomainReconciler::fetch_config_map(
    const std::string& name) const {
  kube::ListOptions options;
  options.field_selector = "metadata.name=" + name;
  auto items =
      context_.client->list(kube::resources::config_maps(), context_.operator_namespace, options)
          .items;
  if (items.empty()) return std::nullopt;
  return std::move(items.front());
}

std::set<std::string> TrustDomainReconciler::previous_cas_in_use(
    const api::TrustDomain& domain, const std::vector<api::PreviousCa>& previous) const {
  std::set<std::string> in_use;
  if (previous.empty()) return in_use;
  std::vector<std::pair<std::string, crypto::Certificate>> cas;
  for (const auto& ca : previous) {
    const auto parsed = certificates_in(ca.certificate_pem);
    if (!parsed.empty()) cas.emplace_back(ca.fingerprint, parsed.front());
  }
  const std::string label = render::label_value(domain.metadata.name);
  for (const auto& secret : context_.stores.managed_secrets->list()) {
    if (runtime::label_of(*secret, render::kTrustDomainLabel) != label) continue;
    const auto chain = certificates_in(
        decoded(secret->value("data", nlohmann::json()), render::kTlsCertificateKey, true));
    if (chain.empty()) continue;
    for (const auto& [fingerprint, ca] : cas) {
      if (chain.front().issued_by(ca)) in_use.insert(fingerprint);
    }
  }
  return in_use;
}

runtime::ReconcileResult TrustDomainReconciler::reconcile(const runtime::ObjectKey& key) {
  const auto object = context_.stores.trust_domains->get(key);
  if (!object) return runtime::ReconcileResult::Done();
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
  observed.accepted_fingerprint = domain.status.ca_fingerprint;
  observed.replacement = api::pending_ca_replacement(*object, domain.status);
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

  api::TrustDomainStatus status = domain.status;
  status.observed_generation = generation;
  status.ca_secret_name = secret_name;
  std::vector<trust::Event> events;
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
      status.previous_cas, previous_cas_in_use(domain, status.previous_cas), seconds_of(now));
  status.previous_cas = std::move(retained.kept);
  for (auto& message : retained.dropped) {
    events.push_back({runtime::EventType::Normal, "PreviousCARemoved", std::move(message)});
  }

  const auto expiry = trust::decide_ca_expiry(status.ca_not_after, now);
  api::set_condition(status.conditions,
                     make_condition(api::kConditionCAExpiringSoon, expiry.expiring, generation,
                                    expiry.reason, expiry.message),
                     seconds_of(now));

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
  if (next) return runtime::ReconcileResult::RequeueAfter(*next);
  return runtime::ReconcileResult::Done();
}

}  // namespace secprov::controllers

#include "controllers/policies.h"

#include <algorithm>

#include "api/text.h"
#include "api/time.h"
#include "render/injection.h"
#include "render/native_limits.h"
#include "render/oauth2.h"
#include "runtime/object.h"

namespace secprov::controllers::policies {
namespace {

using Clock = std::chrono::system_clock;

std::string date(Clock::time_point t) {
  return api::format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(t));
}

// What a certificate issued now would get: the CA caps the requested duration.
Clock::time_point issuable_not_after(const Input& input) {
  return std::min(input.now + input.duration, input.ca->not_after());
}

bool in_renewal_window(const Input& input) {
  return input.leaf != nullptr && input.now >= input.leaf->not_after() - input.renew_before;
}

}  // namespace

IssuerCheck issuer_acceptance(const std::string& domain_name, const api::TrustDomainStatus& status,
                              const std::string& key_pair_fingerprint) {
  const bool ready = api::is_condition_true(status.conditions, api::kConditionReady);
  if (ready && !status.ca_fingerprint.empty() && key_pair_fingerprint == status.ca_fingerprint) {
    return {IssuerVerdict::Accepted, {}};
  }
  const auto& rotation = status.rotation;
  if (ready && api::rotation_in_progress(rotation) &&
      rotation->phase == api::RotationPhase::Distributing &&
      !rotation->new_ca_fingerprint.empty() &&
      key_pair_fingerprint == rotation->new_ca_fingerprint &&
      status.ca_fingerprint == rotation->old_ca_fingerprint) {
    return {IssuerVerdict::Promoted,
            {"CAPromotionPending", "TrustDomain " + domain_name + ": rotation " + rotation->token +
                                       " promoted its new CA; its status has not accepted it "
                                       "yet"}};
  }
  return {IssuerVerdict::Refused,
          {"TrustDomainNotReady", "TrustDomain " + domain_name +
                                      " has not accepted the CA in its key-pair Secret; see its "
                                      "conditions"}};
}

std::optional<Reason> certificate_missing(const Input& input) {
  if (input.leaf != nullptr) return std::nullopt;
  return Reason{"DoesNotExist", "no readable certificate is stored"};
}

std::optional<Reason> issuer_changed(const Input& input) {
  if (input.leaf == nullptr || input.leaf->issued_by(*input.issuer)) return std::nullopt;
  return Reason{"IssuerChanged", "the stored certificate was not issued by the trust domain's CA"};
}

std::optional<Reason> renewal_due(const Input& input) {
  if (!in_renewal_window(input)) return std::nullopt;
  if (issuable_not_after(input) - input.renew_before <= input.now) return std::nullopt;
  return Reason{"Renewing", "the certificate expires at " + date(input.leaf->not_after()) +
                                ", inside its renewal window"};
}

std::optional<Reason> issuing_needed(const Input& input) {
  for (const auto check : {certificate_missing, issuer_changed, renewal_due}) {
    if (auto reason = check(input)) return reason;
  }
  return std::nullopt;
}

std::optional<Reason> renewal_held_back(const Input& input) {
  if (!in_renewal_window(input) || renewal_due(input)) return std::nullopt;
  if (input.ca->not_after() < input.now + input.duration) {
    return Reason{"CAExpiringSoon",
                  "the CA expires at " + date(input.ca->not_after()) +
                      ", inside this certificate's renewal window: it is not renewed again "
                      "until the trust domain's CA is replaced"};
  }
  return Reason{"RenewBeforeNotBelowDuration",
                "renewBefore is not shorter than the duration: the certificate is kept until "
                "it expires"};
}

bool cache_absence_trusted(const api::SecurityProfileStatus& status) {
  if (!status.objects.empty()) return false;
  const auto* stalled = api::find_condition(status.conditions, api::kConditionStalled);
  return stalled == nullptr || stalled->status != api::ConditionStatus::True ||
         stalled->reason != "ObjectConflict";
}

std::optional<Reason> certificate_replaced(const Input& input,
                                           const api::HexText* recorded_fingerprint,
                                           std::optional<Clock::time_point> recorded_not_before) {
  if (input.leaf == nullptr || recorded_fingerprint == nullptr ||
      input.leaf->sha256_fingerprint() == *recorded_fingerprint) {
    return std::nullopt;
  }
  const bool own_later_write = input.leaf->issued_by(*input.issuer) && recorded_not_before &&
                               input.leaf->not_before() > *recorded_not_before;
  if (own_later_write) return std::nullopt;
  return Reason{"CertificateReplaced",
                "the stored certificate is not the one this profile's status records"};
}

std::optional<Reason> revocation_on_replacement(bool stored_key_drifted,
                                                bool issued_by_current_ca) {
  if (!stored_key_drifted || !issued_by_current_ca) return std::nullopt;
  return Reason{"KeyCompromised",
                "the stored private key was edited or removed: the certificate it belonged "
                "to is revoked"};
}

bool profile_finalizer_needed(api::DeletionPolicy policy, bool holds_finalizer) {
  return holds_finalizer || policy == api::DeletionPolicy::Retain;
}

std::optional<Reason> revocation_on_deletion(bool controlled_by_a_profile, bool profile_lives) {
  if (!controlled_by_a_profile || profile_lives) return std::nullopt;
  return Reason{"ProfileDeleted",
                "the profile that owned the certificate is deleted: the certificate is revoked"};
}

bool revocation_hold_orphaned(bool controlled_by_a_profile, bool a_profile_of_its_name_lives) {
  return !controlled_by_a_profile && !a_profile_of_its_name_lives;
}

std::string issuance_reason(bool had_certificate, bool repairing,
                            const std::optional<Reason>& trigger) {
  if (!had_certificate) return "Issued";
  if (!repairing && trigger && trigger->reason == "Renewing") return "Renewed";
  return "Reissued";
}

Clock::time_point next_check(const Input& input) {
  if (input.leaf == nullptr) return input.now;
  if (renewal_held_back(input)) return input.leaf->not_after();
  return input.leaf->not_after() - input.renew_before;
}

namespace {

std::string joined(const std::vector<std::string>& items) {
  return api::join(items, ", ");
}

std::string gap_name(const render::EnforcementGap& gap) {
  return std::string(render::output_name(gap.output)) + " " + gap.code;
}

// No native output: the enabler alone says what is known of the NF.
Enforcement enforcement_without_output(const api::SecurityProfile& profile) {
  const bool sidecar = api::enabler_sidecar(profile);
  const auto unknown = render::asked_of_unknown_nf(profile);
  if (sidecar && unknown.empty()) {
    return {api::ConditionStatus::True,
            {"EnforcedByEnabler",
             "enabler: no gap\nthe enabler sidecar terminates the NF's inbound TLS and "
             "originates its TLS to the peers of spec.enabler.outbound, with the profile's "
             "versions, cipher suites, groups and certificates; the profile asks nothing else "
             "of the NF"}};
  }
  if (!sidecar) {
    return {api::ConditionStatus::Unknown,
            {"ConsumerUnknown",
             "consumer unknown (no spec.outputs)\n"
             "no native output is selected: secprov writes the Secrets and security.yaml only, "
             "and whether the NF enforces them depends on a consumer secprov does not know; "
             "select spec.outputs.open5gs or spec.outputs.free5gc, or put the enabler sidecar "
             "in front of the NF (spec.enabler.mode: Sidecar)"}};
  }
  return {
      api::ConditionStatus::Unknown,
      {"ConsumerUnknown", "consumer unknown for " + joined(unknown) + " (no spec.outputs)\n" +
                              "the enabler sidecar does not carry " + joined(unknown) +
                              ": that depends on the NF, which secprov does not know; select "
                              "spec.outputs.open5gs or spec.outputs.free5gc" +
                              (render::enabler_takes_over(profile, render::TlsSide::Client)
                                   ? ""
                                   : ", or route the NF's peers through spec.enabler.outbound")}};
}

}  // namespace

Enforcement enforcement(const api::SecurityProfile& profile) {
  const auto outputs = render::native_outputs(profile.spec.outputs);
  if (outputs.empty()) return enforcement_without_output(profile);
  std::string names;
  for (const auto output : outputs)
    names += (names.empty() ? "" : ", ") + std::string(render::output_name(output));
  std::vector<render::EnforcementGap> gaps;
  std::vector<std::string> closed;  // gaps the enabler sidecar closes
  for (auto& gap : render::enforcement_gaps(profile)) {
    if (render::enabler_takes_over(profile, gap.side)) {
      closed.push_back(gap_name(gap));
    } else {
      gaps.push_back(std::move(gap));
    }
  }
  const std::string by_enabler =
      closed.empty() ? "" : "\nclosed by the enabler sidecar (spec.enabler): " + joined(closed);
  if (gaps.empty()) {
    if (!closed.empty()) {
      return {api::ConditionStatus::True,
              {"EnforcedByEnabler",
               names + " + enabler: no gap" + by_enabler +
                   "\nthe NF enforces by itself the rest of what this profile asks"}};
    }
    return {api::ConditionStatus::True,
            {"NativelyEnforced",
             names + ": no gap\nthe NF enforces by itself what this profile asks: no row of "
                     "secprov's native-limits table (Open5GS v2.7.7, free5GC v1.4.5) applies"}};
  }
  // First line: the codes per output, the one kubectl prints (it cuts a cell at a newline).
  std::string summary;
  for (const auto output : outputs) {
    std::string codes;
    for (const auto& gap : gaps) {
      if (gap.output == output) codes += (codes.empty() ? "" : ", ") + gap.code;
    }
    if (codes.empty()) continue;
    summary +=
        (summary.empty() ? "" : "; ") + std::string(render::output_name(output)) + ": " + codes;
  }
  std::string message = summary;
  for (const auto& gap : gaps) message += "\n" + gap_name(gap) + ": " + gap.message;
  message += by_enabler;
  // The remedy: what the enabler would close, and what it never does.
  std::vector<std::string> server, client, never;
  for (const auto& gap : gaps) {
    (gap.side == render::TlsSide::Server   ? server
     : gap.side == render::TlsSide::Client ? client
                                           : never)
        .push_back(gap_name(gap));
  }
  std::vector<std::string> remedies;
  if (!server.empty()) {
    remedies.push_back(joined(server) +
                       " with spec.enabler.inbound (it terminates the NF's inbound TLS)");
  }
  if (!client.empty()) {
    remedies.push_back(joined(client) +
                       " with spec.enabler.outbound (it originates TLS to the NF's peers)");
  }
  if (!remedies.empty()) {
    message += "\nremedy: the enabler sidecar (spec.enabler.mode: Sidecar) closes " +
               api::join(remedies, "; ");
  }
  if (!never.empty()) {
    message +=
        "\nnot closed by the enabler, which terminates and originates TLS only: " + joined(never);
  }
  return {api::ConditionStatus::False, {"EnforcementGaps", std::move(message)}};
}

}  // namespace secprov::controllers::policies

namespace secprov::controllers::policies {

std::optional<Reason> oauth2_algorithm_not_accepted(const api::SecurityProfile& producer,
                                                    api::JwsAlgorithm nrf_algorithm) {
  if (!producer.spec.sbi.oauth2) return std::nullopt;
  const auto& accepted = producer.spec.sbi.oauth2->accepted_algorithms;
  if (std::find(accepted.begin(), accepted.end(), nrf_algorithm) != accepted.end()) {
    return std::nullopt;
  }
  std::string list;
  for (const auto algorithm : accepted) {
    list += (list.empty() ? "" : ", ") + std::string(api::to_string(algorithm));
  }
  return Reason{"OAuth2AlgorithmNotAccepted",
                "the NRF signs access tokens with " + std::string(api::to_string(nrf_algorithm)) +
                    ", which spec.sbi.oauth2.acceptedAlgorithms (" + list +
                    ") does not accept: this producer would reject every token"};
}

std::optional<Reason> oauth2_verification_gap(const api::SecurityProfile& producer,
                                              const api::SecurityProfile* nrf,
                                              bool nrf_certificate_known) {
  if (!render::is_oauth2_producer(producer)) return std::nullopt;
  const auto& id = producer.spec.sbi.oauth2->nrf_instance_id;
  if (!id) {
    return Reason{"OAuth2NrfUnknown",
                  "spec.sbi.oauth2.nrfInstanceId is not set: the NRF whose access tokens this "
                  "producer verifies is unknown, so nrf.crt cannot be rendered"};
  }
  if (nrf == nullptr || !render::is_authorization_server(*nrf)) {
    return Reason{"OAuth2NrfNotFound", "no SecurityProfile of this namespace is the NRF " + *id +
                                           " with OAuth2 enabled (nfType NRF, nfInstanceId " + *id +
                                           "): nrf.crt cannot be rendered"};
  }
  const auto algorithm = render::oauth2_signing_algorithm(*nrf);
  if (!algorithm) {
    return Reason{"OAuth2NrfSigningPending",
                  "the NRF " + nrf->metadata.name +
                      " accepts no algorithm secprov can issue a signing key for"};
  }
  if (auto why = oauth2_algorithm_not_accepted(producer, *algorithm)) return why;
  if (!nrf_certificate_known) {
    return Reason{"OAuth2NrfSigningPending", "the signing certificate of the NRF " +
                                                 nrf->metadata.name + " is not issued yet"};
  }
  return std::nullopt;
}

}  // namespace secprov::controllers::policies

namespace secprov::controllers::policies {
namespace {

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json null;
  if (!object.is_object()) return null;
  const auto it = object.find(key);
  return it == object.end() ? null : *it;
}

bool has_container(const nlohmann::json& pod, std::string_view name) {
  const auto& spec = member(pod, "spec");
  for (const char* list : {"initContainers", "containers"}) {
    const auto& containers = member(spec, list);
    if (!containers.is_array()) continue;
    for (const auto& c : containers) {
      const auto& n = member(c, "name");
      if (n.is_string() && n.get<std::string>() == name) return true;
    }
  }
  return false;
}

std::string count(std::int64_t n, const char* what) {
  return std::to_string(n) + " " + what;
}

}  // namespace

bool pod_selected(const api::SecurityProfile& profile, const nlohmann::json& pod) {
  const auto& metadata = member(pod, "metadata");
  const auto& ns = member(metadata, "namespace");
  if (!ns.is_string() || ns.get<std::string>() != profile.metadata.namespace_) return false;
  const auto& wanted = profile.spec.selector.match_labels;
  const auto& labels = member(metadata, "labels");
  if (wanted.empty() || !labels.is_object()) return false;
  return std::all_of(wanted.begin(), wanted.end(), [&](const api::Labels::value_type& kv) {
    const auto& v = member(labels, kv.first.c_str());
    return v.is_string() && v.get<std::string>() == kv.second;
  });
}

PodState pod_state(const nlohmann::json& pod, const std::string& profile_name,
                   const std::string& digest) {
  const auto& host_network = member(member(pod, "spec"), "hostNetwork");
  if (host_network.is_boolean() && host_network.get<bool>()) return PodState::NotApplicable;
  if (runtime::annotation_of(pod, render::kInjectAnnotation) == "false") {
    return PodState::NotApplicable;
  }
  if (!member(member(pod, "metadata"), "deletionTimestamp").is_null()) {
    return PodState::NotApplicable;
  }
  const auto& phase = member(member(pod, "status"), "phase");
  if (phase.is_string() && (phase == "Succeeded" || phase == "Failed")) {
    return PodState::NotApplicable;
  }
  if (!has_container(pod, render::kEnablerContainerName) ||
      runtime::annotation_of(pod, render::kInjectedProfileAnnotation) != profile_name) {
    return PodState::WithoutEnabler;
  }
  return runtime::annotation_of(pod, render::kInjectedDigestAnnotation) == digest
             ? PodState::Injected
             : PodState::StaleDigest;
}

api::PodsStatus pods_status(const std::vector<const nlohmann::json*>& selected_pods,
                            const std::string& profile_name, const std::string& digest) {
  api::PodsStatus status;
  for (const auto* pod : selected_pods) {
    const auto state = pod_state(*pod, profile_name, digest);
    if (state == PodState::NotApplicable) continue;
    ++status.selected;
    const auto& name = member(member(*pod, "metadata"), "name");
    const auto pod_name = name.is_string() ? name.get<std::string>() : std::string{};
    if (state == PodState::WithoutEnabler) {
      ++status.without_enabler;
      status.without_enabler_names.push_back(pod_name);
      continue;
    }
    ++status.injected;
    if (state == PodState::StaleDigest) {
      ++status.stale_digest;
      status.stale_digest_names.push_back(pod_name);
    }
  }
  for (auto* names : {&status.without_enabler_names, &status.stale_digest_names}) {
    std::sort(names->begin(), names->end());
    if (names->size() > api::kMaxStatusPodNames) names->resize(api::kMaxStatusPodNames);
  }
  return status;
}

std::optional<Reason> pods_drift(const api::PodsStatus& pods) {
  if (pods.without_enabler == 0 && pods.stale_digest == 0) return std::nullopt;
  const std::string message = count(pods.without_enabler, "of ") + std::to_string(pods.selected) +
                              " selected Pods run without the enabler; " +
                              count(pods.stale_digest, "of ") + std::to_string(pods.injected) +
                              " injected Pods run an older enabler configuration (see status.pods)";
  return Reason{pods.without_enabler > 0 ? "PodsWithoutEnabler" : "PodsStale", message};
}

std::optional<std::string> rollout_annotation(api::EnablerRollout rollout,
                                              const std::string& digest, std::int64_t stale_pods,
                                              const std::optional<std::string>& template_value) {
  if (rollout != api::EnablerRollout::Restart || digest.empty() || stale_pods <= 0) {
    return std::nullopt;
  }
  if (template_value == digest) return std::nullopt;
  return digest;
}

std::optional<OwnerRef> controller_owner(const nlohmann::json& object) {
  const auto& owners = member(member(object, "metadata"), "ownerReferences");
  if (!owners.is_array()) return std::nullopt;
  for (const auto& owner : owners) {
    const auto& controller = member(owner, "controller");
    if (!controller.is_boolean() || !controller.get<bool>()) continue;
    const auto& kind = member(owner, "kind");
    const auto& name = member(owner, "name");
    if (kind.is_string() && name.is_string()) {
      return OwnerRef{kind.get<std::string>(), name.get<std::string>()};
    }
  }
  return std::nullopt;
}

}  // namespace secprov::controllers::policies

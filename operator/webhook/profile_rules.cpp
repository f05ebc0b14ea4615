#include "webhook/profile_rules.h"

#include <algorithm>
#include <cctype>

namespace secprov::webhook::rules {
namespace {

bool same_object(const api::SecurityProfile& a, const api::SecurityProfile& b) {
  return a.metadata.namespace_ == b.metadata.namespace_ && a.metadata.name == b.metadata.name;
}

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The others (not the candidate), sorted by namespace and name so the one named is stable.
std::vector<const api::SecurityProfile*> others_sorted(const api::SecurityProfile& candidate,
                                                       const Profiles& profiles) {
  std::vector<const api::SecurityProfile*> out;
  for (const auto& p : profiles) {
    if (p && !same_object(*p, candidate)) out.push_back(p.get());
  }
  std::ranges::sort(out, [](const auto* a, const auto* b) {
    return std::tie(a->metadata.namespace_, a->metadata.name) <
           std::tie(b->metadata.namespace_, b->metadata.name);
  });
  return out;
}

}  // namespace

bool selectors_may_overlap(const api::LabelSelector& a, const api::LabelSelector& b) {
  for (const auto& [key, value] : a.match_labels) {
    const auto it = b.match_labels.find(key);
    if (it != b.match_labels.end() && it->second != value) return false;
  }
  return true;
}

std::optional<Reason> overlapping_selector(const api::SecurityProfile& candidate,
                                           const Profiles& same_namespace) {
  for (const auto* other : others_sorted(candidate, same_namespace)) {
    if (other->metadata.namespace_ != candidate.metadata.namespace_) continue;
    if (!selectors_may_overlap(candidate.spec.selector, other->spec.selector)) continue;
    const std::string field = "spec.selector.matchLabels";
    return Reason{"OverlappingSelector", field,
                  field + ": may select the same Pods as SecurityProfile \"" +
                      other->metadata.name +
                      "\" in this namespace (no label key has different values in the two "
                      "selectors); give each NF instance's profile a selector that excludes the "
                      "other's Pods"};
  }
  return std::nullopt;
}

std::optional<Reason> duplicate_nf_instance_id(const api::SecurityProfile& candidate,
                                               const Profiles& same_trust_domain) {
  const auto id = api::effective_nf_instance_id(candidate);
  if (!id || id->empty()) return std::nullopt;
  const auto wanted = lower(*id);
  for (const auto* other : others_sorted(candidate, same_trust_domain)) {
    if (other->spec.trust_domain_ref.name != candidate.spec.trust_domain_ref.name) continue;
    const auto theirs = api::effective_nf_instance_id(*other);
    if (!theirs || lower(*theirs) != wanted) continue;
    const std::string field =
        candidate.spec.nf_instance_id ? "spec.nfInstanceId" : "status.nfInstanceId";
    return Reason{"DuplicateNfInstanceId", field,
                  field + ": " + *id + " is already the nfInstanceId of SecurityProfile \"" +
                      other->metadata.namespace_ + "/" + other->metadata.name +
                      "\" in trust domain \"" + candidate.spec.trust_domain_ref.name +
                      "\"; an NF instance ID must be unique in its trust domain (its "
                      "certificate's SAN URI urn:uuid:<id> names one instance)"};
  }
  return std::nullopt;
}

std::vector<Reason> cross_object_violations(const api::SecurityProfile& candidate,
                                            const Profiles& same_namespace,
                                            const Profiles& same_trust_domain) {
  std::vector<Reason> out;
  if (auto r = overlapping_selector(candidate, same_namespace)) out.push_back(std::move(*r));
  if (auto r = duplicate_nf_instance_id(candidate, same_trust_domain)) {
    out.push_back(std::move(*r));
  }
  return out;
}

std::vector<std::string> deprecation_warnings(const api::SecurityProfile& profile) {
  std::vector<std::string> out;
  const auto& tls = profile.spec.sbi.tls;
  if (tls.mode != api::TlsMode::Disabled && tls.max_version == api::TlsVersion::V1_2) {
    out.push_back(
        "spec.sbi.tls.maxVersion: 1.2 makes TLS 1.2 the only version; TLS 1.2 is deprecated "
        "for the SBI (TS 33.210 6.2.2 asks for TLS 1.3 support), set maxVersion 1.3");
  }
  if (profile.spec.ipsec) {
    const auto& interfaces = profile.spec.ipsec->interfaces;
    for (std::size_t i = 0; i < interfaces.size(); ++i) {
      if (interfaces[i].authentication != api::IpsecAuthentication::PreSharedKey) continue;
      out.push_back("spec.ipsec.interfaces[" + std::to_string(i) +
                    "].authentication: PreSharedKey on " +
                    std::string(api::to_string(interfaces[i].name)) +
                    " is allowed but deprecated; certificate-based IKEv2 authentication is "
                    "what TS 33.501 and TS 33.210 ask for");
    }
  }
  return out;
}

}  // namespace secprov::webhook::rules

#include "controllers/ipsec_coordination.h"

#include <algorithm>
#include <set>

#include "api/constants.h"
#include "check/impact.h"
#include "controllers/consistency_controller.h"
#include "runtime/object.h"

namespace secprov::controllers::policies {
namespace {

constexpr std::string_view kHeld = "IpsecChangePending";

bool held(const api::SecurityProfileStatus& status) {
  const auto* ready = api::find_condition(status.conditions, api::kConditionReady);
  return ready != nullptr && ready->reason == kHeld;
}

}  // namespace

std::optional<Reason> ipsec_change_pending(const api::SecurityProfile& applied,
                                           const api::SecurityProfile& desired,
                                           const std::vector<api::SecurityProfile>& peers) {
  if (applied.spec.ipsec == desired.spec.ipsec) return std::nullopt;
  check::Scope before;
  check::Scope after;
  for (const auto& p : peers) {
    if (p.metadata.namespace_ == desired.metadata.namespace_ &&
        p.metadata.name == desired.metadata.name) {
      continue;
    }
    before.profiles.push_back(p);
    after.profiles.push_back(p);
  }
  before.profiles.push_back(applied);
  after.profiles.push_back(desired);
  const auto self = desired.metadata.namespace_ + "/" + desired.metadata.name;
  const auto impact = check::preview(before, after, self, {});
  std::string waits;
  std::set<std::string> waited_for;
  for (const auto& broken : impact.broken) {
    if (!check::ipsec_interface(broken.interface)) continue;  // SBI and N32 are not held here
    for (const auto& peer : broken.peers) {
      waited_for.insert(peer);
      waits += (waits.empty() ? "" : "; ") + std::string(check::to_string(broken.interface)) +
               " with " + peer;
    }
    for (const auto& f : broken.findings) waits += " (" + f.reason + ": " + f.message + ")";
  }
  if (waited_for.empty()) return std::nullopt;
  std::string names;
  for (const auto& peer : waited_for) names += (names.empty() ? "" : ", ") + peer;
  return Reason{std::string(kHeld),
                "the new spec.ipsec would break the consistent IPsec link " + waits +
                    "; the IPsec Secret keeps the configuration in use until the spec of " + names +
                    " matches, then both switch"};
}

std::optional<HoldEvent> ipsec_hold_event(const api::SecurityProfileStatus& before,
                                          const api::SecurityProfileStatus& after) {
  const bool was = held(before);
  const bool is = held(after);
  if (!was && is) {
    return HoldEvent{
        true,
        {std::string(kHeld), api::find_condition(after.conditions, api::kConditionReady)->message}};
  }
  if (was && !is) {
    return HoldEvent{false,
                     {"IpsecChangeApplied",
                      "the IPsec hold is over: the peers' specs agree with this spec.ipsec and the "
                      "IPsec Secret carries it"}};
  }
  return std::nullopt;
}

std::optional<api::SecurityProfile> applied_ipsec_profile(const nlohmann::json& profile_object,
                                                          const nlohmann::json& secret) {
  const auto applied = runtime::annotation_of(secret, kIpsecAppliedSpecAnnotation);
  if (!applied) return std::nullopt;
  const auto ipsec = nlohmann::json::parse(*applied, nullptr, false);
  if (ipsec.is_discarded()) return std::nullopt;
  if (!profile_object.contains("spec") || !profile_object["spec"].is_object()) return std::nullopt;
  // Its type, metadata and spec only: the comparison reads specs, and a cached profile's status
  // is a stripped one that does not parse (strip_profile_status).
  nlohmann::json object = nlohmann::json::object();
  for (const char* field : {"apiVersion", "kind", "metadata", "spec"}) {
    if (profile_object.contains(field)) object[field] = profile_object[field];
  }
  if (ipsec.is_null()) {
    object["spec"].erase("ipsec");
  } else {
    object["spec"]["ipsec"] = ipsec;
  }
  auto parsed = api::parse_security_profile(object);
  if (!parsed) return std::nullopt;
  return std::move(parsed).value();
}

}  // namespace secprov::controllers::policies

namespace secprov::controllers {
namespace {

// The peers[].name of spec.ipsec.interfaces[] in a profile as stored.
std::set<std::string> listed_peers(const nlohmann::json& profile) {
  std::set<std::string> out;
  const auto* interfaces = runtime::find_at(profile, {"spec", "ipsec", "interfaces"});
  if (interfaces == nullptr || !interfaces->is_array()) return out;
  for (const auto& interface : *interfaces) {
    const auto* peers = runtime::find_at(interface, {"peers"});
    if (peers == nullptr || !peers->is_array()) continue;
    for (const auto& peer : *peers) {
      auto name = runtime::string_at(peer, {"name"});
      if (!name.empty()) out.insert(std::move(name));
    }
  }
  return out;
}

}  // namespace

std::vector<runtime::ObjectKey> ipsec_peers_of_profile(const ProfileStore& profiles,
                                                       const nlohmann::json& profile) {
  const auto ns = runtime::string_at(profile, {"metadata", "namespace"});
  const auto name = runtime::string_at(profile, {"metadata", "name"});
  // Index look-ups only (no scan of the namespace: a burst of n profiles would cost n^2): the
  // profiles this one lists, and those listing it (consistency's named-peer index).
  auto linked = listed_peers(profile);
  for (const auto& other : profiles.by_index(index::kProfileNamedPeer, ns + "/" + name)) {
    if (other) linked.insert(other->metadata.name);
  }
  linked.erase(name);
  std::vector<runtime::ObjectKey> out;
  for (const auto& other_name : linked) {
    const auto other = profiles.get({ns, other_name});
    if (other && other->spec.ipsec) out.push_back({ns, other_name});
  }
  return out;
}

}  // namespace secprov::controllers

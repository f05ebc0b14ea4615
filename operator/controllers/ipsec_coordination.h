#pragma once
// Co-ordinated IPsec changes on a link (issue 11, co-operation): a profile whose new
// spec.ipsec would break a consistent link with a peer that still has the old parameters
// (proposals, authentication, PSK inputs, mode, selectors) keeps its IPsec Secret as it is
// until the peer's spec catches up; then both render the new configuration. Pure over the
// profiles (the check/ layer decides what consistent means), in the shape of policies.h.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "controllers/mappers.h"
#include "controllers/policies.h"
#include "render/ipsec.h"
#include "runtime/object.h"

namespace secprov::controllers::policies {

// The IPsec Secret's annotation holding the spec.ipsec it was rendered from (render/ipsec.h).
inline constexpr const char* kIpsecAppliedSpecAnnotation = "secprov.io/ipsec-applied-spec";
static_assert(std::string_view(kIpsecAppliedSpecAnnotation) == render::kIpsecAppliedSpecAnnotation);

// IpsecChangePending: an IPsec link of `desired` with a profile of `peers` is consistent
// with `applied` (the spec the Secret was rendered from) and inconsistent with `desired`
// (check::preview over the namespace, IPsec interfaces only). The message names each such
// peer, the interface, the mismatch and that the Secret waits for the peer's spec. nullopt:
// write the new configuration (nothing breaks, or the link was broken already).
// `peers`: the profiles of the namespace; one named like `desired` is skipped.
std::optional<Reason> ipsec_change_pending(const api::SecurityProfile& applied,
                                           const api::SecurityProfile& desired,
                                           const std::vector<api::SecurityProfile>& peers);

// The Event of a change of hold state, from the status before and after a pass whose status
// was written (Ready's reason says whether the profile is held): Warning IpsecChangePending,
// with the hold's message, on entering the hold; Normal IpsecChangeApplied when it ends (the
// peers' specs match and the Secret carries the spec, whichever pass wrote it: a pass retried
// after a conflict finds the Secret already switched). nullopt otherwise: the hold goes on, or
// there was none.
struct HoldEvent {
  bool warning = false;
  Reason why;
};
std::optional<HoldEvent> ipsec_hold_event(const api::SecurityProfileStatus& before,
                                          const api::SecurityProfileStatus& after);

// `desired` with spec.ipsec as the annotation of `secret` records it; nullopt when the
// Secret carries no such annotation or it does not parse as spec.ipsec. `profile_object`
// is the profile as stored (its spec.ipsec is replaced; its status is not read).
std::optional<api::SecurityProfile> applied_ipsec_profile(const nlohmann::json& profile_object,
                                                          const nlohmann::json& secret);

}  // namespace secprov::controllers::policies

namespace secprov::controllers {

// SecurityProfile -> the profiles of its namespace at the other end of one of its IPsec
// links (it names them in peers[], or they name it), so a held change is looked at again
// when the peer's spec changes. O(P_ns).
std::vector<runtime::ObjectKey> ipsec_peers_of_profile(const ProfileStore& profiles,
                                                       const nlohmann::json& profile);

}  // namespace secprov::controllers

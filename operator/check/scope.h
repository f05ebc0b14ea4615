#pragma once
// Building a check::Scope from the typed API objects (profiles of one namespace, TrustDomains,
// the externalPeers the profiles describe), and evaluating the pairs of one end only. Pure:
// the consistency controller, the admission webhook and secprovctl call the same functions.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "check/check.h"
#include "check/peers.h"

namespace secprov::check {

// A TrustDomain as the checks see it: status.caFingerprint, the new CA of a rotation in
// progress, then status.previousCas (all trusted, the first one issues); the PLMN of a 3GPP
// domain name (…mnc<MNC>.mcc<MCC>.3gppnetwork.org), if any.
TrustDomainInfo trust_domain_info(const api::TrustDomain& domain);
// The PLMN ID in a 3GPP domain name ("5gc.mnc001.mcc001.3gppnetwork.org" -> 001/01... as
// written); empty when the name carries none.
std::vector<api::PlmnId> plmns_of_domain(std::string_view domain);

// spec.consistency.externalPeers[] as the checks describe it. Type "SEPP" is a remote PLMN's
// SEPP (ExternalKind::RemoteSepp), "gNB" a gNB, any other NF type that NF.
ExternalPeer external_peer(const api::ExternalPeerSpec& spec);

// matchLabels semantics: every label of the selector is on the object (empty: everything).
bool selects(const api::LabelSelector& selector, const api::Labels& labels);

// Whole-namespace scope (secprovctl, reports): every profile of `namespace_` that `selector`
// matches (all when absent), in the order given; the external peers their specs describe (the
// first description of a name wins); every trust domain.
Scope build_scope(std::span<const api::SecurityProfile* const> profiles,
                  std::span<const api::TrustDomain* const> domains, std::string_view namespace_,
                  const std::optional<api::LabelSelector>& selector = std::nullopt);
Scope build_scope(const std::vector<api::SecurityProfile>& profiles,
                  const std::vector<api::TrustDomain>& domains, std::string_view namespace_,
                  const std::optional<api::LabelSelector>& selector = std::nullopt);

// The scope as `self` sees it: self first, then the profiles of its namespace that its
// spec.consistency.scope matches and that can pair with it (a catalogue relation with its NF
// type, an NRF for OAuth2, or a peer list: IPsec, N32 or enabler outbound), so that one change
// in a big namespace copies only candidates; self's external peers first, then those of the
// other profiles of the scope (candidates or not).
// `profiles` may hold self (by namespace/name) and other namespaces: both are skipped.
Scope scope_for(const api::SecurityProfile& self,
                std::span<const api::SecurityProfile* const> profiles,
                std::span<const api::TrustDomain* const> domains);

// The pairs of `scope` with `end_id` ("<namespace>/<name>", "external/<name>") at an end
// (discover_pairs(scope, end_id)), evaluated: what evaluate(scope).involving(end_id) gives,
// without discovering the other pairs (linear in the scope, not quadratic). Sorted by
// interface, a, b.
std::vector<PairResult> evaluate_for(const Scope& scope, std::string_view end_id);

}  // namespace secprov::check

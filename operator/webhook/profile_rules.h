#pragma once
// The SecurityProfile rules that span objects, which neither the CRD schema nor
// api::validate() can say, as named pure checks each returning a reason and a message (the
// shape of controllers/policies.h). The single-object rules are api::check_security_profile's;
// they are not repeated here. Malformed PLMN IDs and peer FQDNs are refused there already (the
// CRD's patterns on spec.n32.peers[].plmns[].mcc/mnc and fqdn, mirrored by api::validate()).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/securityprofile.h"

namespace secprov::webhook::rules {

struct Reason {
  std::string reason;   // CamelCase
  std::string field;    // the candidate's field the message is about
  std::string message;  // "<field>: ..." as kubectl shows it
};

using Profiles = std::vector<std::shared_ptr<const api::SecurityProfile>>;

// Two selectors may select one Pod unless some key both name has different values in each
// (matchLabels only: a Pod carrying the union of both maps matches both). An empty selector
// selects every Pod.
bool selectors_may_overlap(const api::LabelSelector& a, const api::LabelSelector& b);

// OverlappingSelector: another profile of the candidate's namespace may select the same Pods
// (two profiles would give one NF two certificates and two configurations). `same_namespace`
// may hold the candidate itself (an UPDATE): an object with its namespace and name is skipped.
// The first such profile by name is named.
std::optional<Reason> overlapping_selector(const api::SecurityProfile& candidate,
                                           const Profiles& same_namespace);

// DuplicateNfInstanceId: another profile of the candidate's trust domain, in any namespace,
// has the same nfInstanceId (spec, else the one the operator generated into status; UUIDs
// compared case-insensitively). Two NF instances with one ID are one instance to the NRF, and
// their certificates carry the same SAN URI. The candidate's own object is skipped.
std::optional<Reason> duplicate_nf_instance_id(const api::SecurityProfile& candidate,
                                               const Profiles& same_trust_domain);

// The rules above in order; every one that holds.
std::vector<Reason> cross_object_violations(const api::SecurityProfile& candidate,
                                            const Profiles& same_namespace,
                                            const Profiles& same_trust_domain);

// Deprecated but allowed choices, as admission warnings (kubectl prints "Warning: ..."):
// TLS 1.2 as the only version (maxVersion 1.2 with TLS on), and each IPsec interface that
// authenticates with a pre-shared key (allowed there, but certificates are what TS 33.501 and
// TS 33.210 ask for).
std::vector<std::string> deprecation_warnings(const api::SecurityProfile& profile);

}  // namespace secprov::webhook::rules

#pragma once
// IPsec (IKEv2/ESP, strongSwan swanctl) checks of one link on N2/N3/N4/N9: what each end
// must have so that the two rendered configurations (render/ipsec.h) establish a CHILD_SA
// (docs consumers.md, strongSwan). Identities, PSK inputs and traffic selectors come from
// render/ and api/, never recomputed here. Pure.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "check/finding.h"
#include "check/peers.h"
#include "render/ipsec.h"

namespace secprov::check {

struct IpsecEnd {
  std::string id;                               // End::id()
  std::string name;                             // what the other end's peers[].name says for it
  std::optional<api::IpsecInterfaceSpec> spec;  // nullopt: the interface is not configured
  std::optional<api::IpsecPeer> peer;           // its peers[] entry for the other end
  std::string local_id;                         // the IKE identity it presents
  std::vector<std::string> certificate_ids;     // identities in its certificate
  std::string remote_id;                        // the identity it expects from the other end
  bool external = false;
  // PreSharedKey: a profile's HKDF input for this link (render::pre_shared_key_inputs); an
  // external peer holds the profile's key only when it says so.
  std::optional<render::PreSharedKeyInput> psk_input;
  bool holds_profile_psk = false;
  // Its selectors towards the other end (api::peer_traffic_selectors), and towards its
  // other peers (name, selectors).
  std::optional<api::PeerTrafficSelectors> selectors;
  std::vector<std::pair<std::string, api::PeerTrafficSelectors>> other_selectors;
};

// `self`'s side of its link with `other` on `interface`.
IpsecEnd ipsec_end(const End& self, const End& other, api::IpsecInterface interface);

struct IpsecPair {
  std::string_view interface;  // "N4", ...
  const IpsecEnd& a;
  const IpsecEnd& b;
  const std::set<std::string>& cluster_ip_addresses;
};

// IpsecNotConfigured: an end has no such interface.
Outcome ipsec_configured(const IpsecPair& pair);
// IpsecPeerNotListed: an end does not list the other among its peers.
Outcome ipsec_lists_each_other(const IpsecPair& pair);
// IpsecAuthenticationMismatch: Certificate on one end, PreSharedKey on the other.
Outcome ipsec_same_authentication(const IpsecPair& pair);
// IpsecIdMismatch: A's remote ID is not B's local ID (or the reverse).
Outcome ipsec_identities_mirrored(const IpsecPair& pair);
// IpsecIdNotInCertificate: with Certificate, an end's local ID is not in its certificate.
Outcome ipsec_id_in_certificate(const IpsecPair& pair);
// PskNotShared: with PreSharedKey, the two ends do not hold one key (profiles: the same HKDF
// input, i.e. one trust domain and each naming the other; an external peer: given it).
Outcome ipsec_pre_shared_key_shared(const IpsecPair& pair);
// NoCommonIkeProposal / NoCommonEspProposal: no proposal pair with an algorithm in common
// for every transform type (strongSwan's proposal selection).
Outcome ipsec_proposals_overlap(const IpsecPair& pair);
// IpsecModeMismatch: Tunnel on one end, Transport on the other.
Outcome ipsec_same_mode(const IpsecPair& pair);
// TrafficSelectorsNotMirrored (Error: disjoint) / TrafficSelectorsNarrowed (Warning: they
// overlap, and the responder narrows them): A's local is not B's remote, or the reverse.
Outcome ipsec_traffic_selectors_mirrored(const IpsecPair& pair);
// IpsecAddressFamilyMismatch: an end's localAddress and its peer's address (or the two
// localAddresses) are of different IP families.
Outcome ipsec_same_family(const IpsecPair& pair);
// IpsecPeerAddressMismatch: the address an end dials is not the other's localAddress.
Outcome ipsec_peer_address_matches(const IpsecPair& pair);
// DuplicateTrafficSelectors: an end has the selectors of this link for another peer too
// (one kernel policy; the second overwrites the first).
Outcome ipsec_no_duplicate_selectors(const IpsecPair& pair);
// PeerAddressIsClusterIp: an end's peer address is a ClusterIP Service (ESP does not cross).
Outcome ipsec_peer_not_cluster_ip(const IpsecPair& pair);

// The checks above in that order; after a missing interface or peer entry, only those.
std::vector<Finding> check_ipsec(const IpsecPair& pair);

// Whether two strongSwan proposal lists have a proposal pair in common (exposed for tests).
bool proposals_overlap(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace secprov::check

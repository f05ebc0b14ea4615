#pragma once
// N32 checks between two SEPPs (TS 33.501 13.1.2, 13.2, TS 29.573): a SEPP profile and
// another SEPP profile of the scope, or a remote PLMN's SEPP described inline. Where the
// API has no field for a parameter, the check says so (Info, NotModelled) rather than pass.
// Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "check/finding.h"
#include "check/peers.h"

namespace secprov::check {

struct N32End {
  std::string id;
  std::string name;
  bool external = false;
  std::optional<api::N32Capability> capability;  // nullopt: no N32 configured
  bool tls = false;                              // TLS on (N32-c is mutual TLS)
  std::string sender;                            // its N32 sender FQDN
  std::vector<api::PlmnId> plmns;                // the PLMNs it serves; empty: not known
  std::optional<api::N32Peer> peer;              // its spec.n32.peers[] entry for the other
  // The CA fingerprints (anchor ids, peers.h) it trusts for the other end: the roots of
  // that peer's trustAnchorRef (Scope::trust_anchors, or a trust bundle ConfigMap of a
  // scope's trust domain); an external SEPP's trusted fingerprints. nullopt: not known.
  std::optional<std::vector<std::string>> anchors_for_peer;
  std::string issuer;                 // anchor id of its N32 certificate's issuer
  std::optional<bool> separate_n32f;  // nullopt: not modelled
  std::optional<std::vector<api::JweCipherSuite>> jwe_cipher_suites;
};

N32End n32_end(const End& self, const End& other, const Scope& scope);

struct N32Pair {
  const N32End& a;
  const N32End& b;
};

// N32NotConfigured: a SEPP profile of the pair has no spec.n32.
Outcome n32_configured(const N32Pair& pair);
// N32PeerNotListed: a SEPP profile does not list the other among its N32 peers.
Outcome n32_lists_each_other(const N32Pair& pair);
// N32CapabilityMismatch: TLS on one end, PRINS on the other.
Outcome n32_same_capability(const N32Pair& pair);
// N32WithoutTls: an end has TLS off, so N32-c is not mutual TLS.
Outcome n32_tls_on(const N32Pair& pair);
// N32ReceiverMismatch: a receiver (peers[].fqdn) is not the peer's sender.
Outcome n32_receiver_is_peer_sender(const N32Pair& pair);
// N32PlmnMismatch: the PLMNs an end binds to the peer's roots are not the peer's.
Outcome n32_plmns_match(const N32Pair& pair);
// N32PeerRootNotTrusted (Error) / N32TrustAnchorUnknown (Info): the peer's certificate does
// not chain to the roots bound to its PLMN IDs.
Outcome n32_peer_chains_to_plmn_anchor(const N32Pair& pair);
// N32fNotSeparate (Error) / N32fSeparationNotModelled (Info): with TLS, N32-f must be its
// own TLS connection. The API has no field for it: the Open5GS rendering always writes a
// separate n32f entry; for any other consumer it is not known.
Outcome n32_separate_n32f(const N32Pair& pair);
// N32NoCommonJweSuite: PRINS without a JWE cipher suite in common.
Outcome n32_common_jwe_suite(const N32Pair& pair);
// N32PrinsPoliciesNotModelled (Info): PRINS data-type encryption and modification
// policies have no API field, so whether they match is not checked.
Outcome n32_prins_policies(const N32Pair& pair);

// The checks above in that order; after a missing N32 configuration or peer entry, only
// those.
std::vector<Finding> check_n32(const N32Pair& pair);

}  // namespace secprov::check

#pragma once
// The scope a check runs over, its external peers, and which pairs talk: pair discovery
// among the profiles of one scope from the catalogue (catalogue.h) and from the peers the
// specs list explicitly (IPsec peers, N32 peers, the enabler's outbound peers). Pure.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "check/catalogue.h"
#include "render/native_limits.h"

namespace secprov::check {

// A peer that is not a SecurityProfile of the scope, described inline with what it does:
// a gNB, a remote PLMN's SEPP, or an NF (possibly one whose native limits are known).
// Defaults are the API's, so a peer described only by what differs compares as configured.
struct ExternalPeer {
  std::string name;  // unique among the scope's external peers; what profiles' peers[].name say
  EndType type = ExternalKind::Gnb;
  // The NF software when it runs natively (no enabler): its effective capability then comes
  // from render::native_limits, not from `tls` alone.
  std::optional<api::NfImplementation> implementation;
  // ---- TLS (SBI, N32-c) ----
  api::TlsSpec tls;                               // mode, versions, suites, groups, key algorithm
  std::vector<std::string> dns_names;             // dNSName SANs of its certificate
  std::optional<std::string> dials;               // as a consumer: the name it dials (SNI)
  std::optional<std::string> issuer_fingerprint;  // SHA-256 (hex) of the CA that issued it
  std::vector<std::string> trusted_fingerprints;  // SHA-256 (hex) of the CAs it trusts
  // ---- OAuth2 (an NF) ----
  std::optional<api::OAuth2Spec> oauth2;
  // ---- N32 (a remote SEPP) ----
  std::optional<api::N32Capability> n32_capability;
  std::string n32_sender;          // its N32 sender FQDN (what our receiver must say)
  std::vector<api::PlmnId> plmns;  // the PLMNs it serves (in its certificate)
  std::vector<api::JweCipherSuite> jwe_cipher_suites;  // PRINS
  std::optional<bool> separate_n32f;  // N32-f on its own TLS connection; nullopt: not known
  // ---- IPsec (a gNB, a SEG, an NF) ----
  // The interface as the peer configures it: its localAddress, mode, proposals,
  // authentication and traffic selectors; its peers[] name the profiles it talks to (by
  // profile name) with the remoteId it expects.
  std::optional<api::IpsecInterfaceSpec> ipsec;
  std::string ipsec_local_id;                 // the IKE identity it presents
  std::vector<std::string> certificate_ids;   // identities its certificate carries
  bool holds_profile_pre_shared_key = false;  // PreSharedKey: given the profile's PSK
};

// A trust domain as the checks need it: the SHA-256 fingerprints (hex) of its CAs, the
// accepted one first, then the previous ones still in its bundle (status.previousCas).
// Without fingerprints, ends of the same domain trust each other by name alone.
struct TrustDomainInfo {
  std::string name;
  std::vector<std::string> fingerprints;
  std::vector<api::PlmnId> plmns;  // the PLMNs whose NFs (SEPPs) it certifies; may be empty
};

struct Scope {
  std::vector<api::SecurityProfile> profiles;  // one namespace, or a labelled set
  std::vector<TrustDomainInfo> trust_domains;
  std::vector<ExternalPeer> external_peers;
  // Root fingerprints inside objects the operator never reads (an N32 peer's
  // trustAnchorRef), keyed by trust_anchor_key(). Absent: not known (an Info finding).
  std::map<std::string, std::vector<std::string>> trust_anchors;
  // Addresses known to be ClusterIP Services: ESP does not cross them.
  std::set<std::string> cluster_ip_addresses;
};

// "<namespace>/<kind>/<name>/<key>" of a trustAnchorRef in `namespace_`.
std::string trust_anchor_key(std::string_view namespace_, const api::TrustAnchorRef& ref);

// The profiles of `profiles` in `namespace_`, in the order given.
std::vector<api::SecurityProfile> in_namespace(const std::vector<api::SecurityProfile>& profiles,
                                               std::string_view namespace_);

// One end of a pair: a profile of the scope or an external peer.
struct End {
  const api::SecurityProfile* profile = nullptr;
  const ExternalPeer* external = nullptr;
  std::string id() const;  // "<namespace>/<name>" or "external/<name>"
  EndType type() const;
  friend bool operator==(const End&, const End&) = default;  // the same object of the scope
};

struct Pair {
  Interface interface = Interface::Sbi;
  const Relation* relation = nullptr;  // nullptr: listed explicitly, not in the catalogue
  End a;                               // SBI: the consumer
  End b;                               // SBI: the producer
  // SBI: the name the consumer dials when its spec says (enabler outbound serverName/host,
  // an external peer's `dials`); empty: the producer's advertised name.
  std::string dialled_name;
};

// The catalogue interface of an IPsec interface of the API. Xn has none (gNB-gNB, no profile
// end): callers skip it first.
Interface from_ipsec(api::IpsecInterface i);

// Every pair of the scope, sorted by interface, then a, then b:
//   SBI: each ordered (consumer, producer) of the catalogue, profiles and external NFs, and
//        each enabler outbound peer that names a profile or external peer;
//   IPsec: each link one end lists (peers[].name: a profile of its namespace or an external
//        peer; an external peer's own peers naming a profile), once per interface;
//   N32: each SEPP peer whose fqdn is another SEPP profile's N32 sender, or an external
//        RemoteSEPP's (or whose name is that peer's).
// With `end` ("<namespace>/<name>", "external/<name>"), only the pairs with that end at a or
// b, found without discovering the others (linear in the scope, not quadratic); none when no
// end of the scope has that id.
std::vector<Pair> discover_pairs(const Scope& scope,
                                 std::optional<std::string_view> end = std::nullopt);

// Whether an entry of `lister`'s peer lists names `end`, an end of the same scope (as
// discover_pairs and unresolved_peers match them): an IPsec peer by name (a profile of its
// namespace or an external peer); an N32 peer by fqdn (a SEPP profile's N32 sender, an
// external RemoteSEPP's sender) or by the RemoteSEPP's name; an enabler outbound peer by name
// or host (a profile's SBI DNS names, with its server name too; an external's dnsNames).
bool names_end(const api::SecurityProfile& lister, const api::IpsecPeer& peer, const End& end);
bool names_end(const api::SecurityProfile& lister, const api::N32Peer& peer, const End& end);
bool names_end(const api::SecurityProfile& lister, const api::EnablerOutbound& outbound,
               const End& end);

// The peers specs list that are neither a profile of the scope nor an external peer, so
// that no pair checks them: "<interface> <end id> -> <peer>", sorted. A gNB or a remote
// SEPP becomes checkable once described as an ExternalPeer.
std::vector<std::string> unresolved_peers(const Scope& scope);

}  // namespace secprov::check

namespace secprov::check {

// The native-limit gaps (render::enforcement_gaps) of an end: a profile's, less the rows its
// enabler sidecar closes (render::enabler_takes_over: the sidecar enforces exactly the profile
// on the sides it takes over), or an external peer's with an `implementation` (its parameters
// read as a profile of that output). Empty: the end does what its parameters say. `dialled`,
// when the end is a client dialling that end: its client rows are closed only when one of its
// enabler's outbound peers names it (otherwise the NF dials it by itself).
std::vector<render::EnforcementGap> native_gaps(const End& end, const End* dialled = nullptr);
// Whether one of `gaps` is the row (output, code).
bool has_gap(const std::vector<render::EnforcementGap>& gaps, api::NfImplementation output,
             std::string_view code);

// The trust anchors of an end, as ids compared by the checks: "sha256:<hex>" for a known
// CA fingerprint, "trustdomain:<name>" for a domain of the scope whose fingerprints are not
// given (two ends of one such domain still match).
struct Anchors {
  std::string issuer;                // the CA that issued the end's certificate; "" unknown
  std::vector<std::string> trusted;  // the CAs the end trusts
};
Anchors anchors(const End& end, const Scope& scope);
// "sha256:" + the fingerprint in lower-case hex without separators.
std::string fingerprint_id(std::string_view fingerprint);
// Whether the anchor id names a CA only by its domain (its fingerprint is not known).
bool anchor_unresolved(std::string_view id);

}  // namespace secprov::check

#pragma once
// IPsec (IKEv2/ESP) for the non-SBI interfaces as a strongSwan swanctl.conf, with the
// pre-shared keys the controller derives passed in.
//
// Identities (both ways, so the two ends of a link agree without seeing each other):
//   local.id  = primary_dns_name(profile), a dNSName SAN of the profile's certificate;
//   remote.id = the peer's remoteId, else the certificate name of the SecurityProfile named
//               like the peer in the same namespace: service_dns_name(peer.name, namespace),
//               i.e. "<peer.name>.<namespace>.svc", which is that profile's local.id when it
//               keeps the default serviceName and has no extraDnsNames. Any other peer (a
//               gNB, a profile with its own names) needs remoteId.
// Pre-shared keys: one per link, derived (HKDF-SHA256) by the reconciler from the trust
// domain's CA key with pre_shared_key_inputs() as context, so both profiles of a link, in
// the same trust domain, hold the same bytes. A CA rotation changes it on both ends together.

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"

namespace secprov::render {

struct IpsecMaterial {
  std::map<std::string, std::string> pre_shared_keys;  // name (see below) -> PSK
};

// "<interface lower-case>-<peer>", e.g. "n3-gnb-1": the swanctl connection and child name.
std::string ipsec_connection_name(api::IpsecInterface interface, const std::string& peer);
// "psk-<interface lower-case>-<peer>", e.g. "psk-n3-gnb-1": the PSK's name and data key.
std::string pre_shared_key_name(api::IpsecInterface interface, const std::string& peer);

// The PSKs the profile needs: one per peer of each PreSharedKey interface, sorted.
std::vector<std::string> required_pre_shared_keys(const api::SecurityProfile& profile);

// The IKE identity this profile presents (local.id): primary_dns_name, which is in the SAN of
// the certificate it is issued.
std::string ipsec_local_id(const api::SecurityProfile& profile);
// The IKE identity expected from `peer` (remote.id): remoteId, else
// service_dns_name(peer.name, profile's namespace) (see the top of this file).
std::string effective_remote_id(const api::SecurityProfile& profile, const api::IpsecPeer& peer);

// HKDF salt and length of a derived PSK (the Secret holds its base64, swanctl.conf its hex).
inline constexpr std::string_view kPreSharedKeySalt = "secprov.io/ipsec-psk/v1";
inline constexpr std::size_t kPreSharedKeyBytes = 32;
// The IPsec Secret's annotation: the spec.ipsec (api::to_json) it was rendered from, so that
// a change that must wait for the peer can be compared with what is on the wire
// (controllers/ipsec_coordination.h). Parameters only, no key material.
inline constexpr std::string_view kIpsecAppliedSpecAnnotation = "secprov.io/ipsec-applied-spec";
// What the reconciler derives one PSK from, besides the trust domain's secret.
struct PreSharedKeyInput {
  std::string name;  // pre_shared_key_name(...)
  // HKDF info: "<trustDomainRef>\n<interface>\n<a>\n<b>" where a < b are "<ns>/<profile>"
  // and "<ns>/<peer.name>": the same on both ends of the link.
  std::string info;
  friend bool operator==(const PreSharedKeyInput&, const PreSharedKeyInput&) = default;
};
// One per required_pre_shared_keys() name, in that order.
std::vector<PreSharedKeyInput> pre_shared_key_inputs(const api::SecurityProfile& profile);

// swanctl.conf: a connection per interface and peer (interfaces in API order, peers by
// name), each child with its peer's own traffic selectors (api::peer_traffic_selectors:
// remote_ts is the peer's address as a host prefix unless the interface gives it), PSK secrets for
// PreSharedKey interfaces (written as 0x<hex> of the PSK string's bytes, so a peer configures the
// very same string). Throws std::invalid_argument when a required PSK is missing or empty, or a
// value cannot be written safely (control characters), or a lifetime is not a valid duration.
std::string swanctl_conf(const api::SecurityProfile& profile, const IpsecMaterial& material);

// Secret "<profile>-ipsec", type Opaque, data swanctl.conf plus one key per required PSK
// (base64); managed labels, owner reference (digest annotations: ProfilePlan). nullopt when the
// profile has no IPsec interface. PSKs in `material` that are not required are ignored.
// Throws as swanctl_conf, and without profile name, namespace or uid.
std::optional<nlohmann::json> ipsec_secret(const api::SecurityProfile& profile,
                                           const IpsecMaterial& material);

}  // namespace secprov::render

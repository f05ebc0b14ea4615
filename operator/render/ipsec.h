#pragma once
// IPsec (IKEv2/ESP) for the non-SBI interfaces as a strongSwan swanctl.conf, with the
// pre-shared keys the controller generates (or reuses) passed in.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
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

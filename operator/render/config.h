#pragma once
// The NF's security ConfigMap: one neutral document with the effective settings
// (security.yaml) plus, on request, native fragments for Open5GS and free5GC that point
// at the mounted files (see names.h). The YAML is emitted deterministically: fixed key
// order, list-map and set entries without semantic order sorted, everything else in spec
// order (cipher suites, groups and proposals are preferences).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/securityprofile.h"

namespace secprov::render {

// The documents alone (nf_instance_id: the effective NF instance ID, spec or generated).
std::string security_yaml(const api::SecurityProfile& profile, const std::string& nf_instance_id);
// Both native fragments follow the enabler sidecar where it carries the SBI: with
// spec.enabler.inbound the NF serves h2c on 127.0.0.1:<inbound.port> (HAProxy forwards there),
// and an NRF that an outbound peer names is dialled as http://127.0.0.1:<localPort>.
//
// Open5GS: <nf>.sbi (server advertise = primary_dns_name, in the certificate, with the
// enabler's tlsPort behind it; NRF client URI from oauth2.nrfApiRoot as https://<fqdn> when
// TLS is on) and <nf>.default.tls. No document for the UPF (std::nullopt): the Open5GS UPF
// has no SBI, so outputs.open5gs yields no open5gs.yaml key for it.
std::optional<std::string> open5gs_yaml(const api::SecurityProfile& profile);
// free5GC: configuration.sbi (NRF: cert and rootcert, each with pem and key, and
// oauth: false, since free5GC OAuth2 cannot work from read-only mounted material; other
// NFs: tls, unless the enabler fronts them: then bindingIPv4 and port) and nrfUri from
// oauth2.nrfApiRoot when the profile names it.
std::string free5gc_yaml(const api::SecurityProfile& profile);

// ConfigMap "<profile>-security" with security.yaml, and open5gs.yaml / free5gc.yaml when
// spec.outputs asks for them (never open5gs.yaml for a UPF); managed labels, owner reference
// (digest annotations: ProfilePlan). Throws std::invalid_argument when nf_instance_id is empty or
// the profile has no name, namespace or uid.
nlohmann::json security_config_map(const api::SecurityProfile& profile,
                                   const std::string& nf_instance_id);

}  // namespace secprov::render

#pragma once
// Internal: spec.enabler (issue 9) parse, validate and JSON, kept apart from the rest of the
// SecurityProfile so that the CRD mirror of each rule is easy to find.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/detail/checks.h"
#include "api/errors.h"
#include "api/securityprofile.h"

namespace secprov::api::detail {

// The CRD's messages for spec.enabler's x-kubernetes-validations rules.
inline constexpr std::string_view kEnablerTlsPortMessage =
    "inbound.tlsPort must differ from inbound.port (the NF's plaintext port)";
inline constexpr std::string_view kEnablerOutboundPortMessage =
    "every outbound localPort must differ from inbound.port, inbound.tlsPort and the other "
    "outbound localPorts";
inline constexpr std::string_view kEnablerSidecarNeedsTrafficMessage =
    "mode Sidecar needs inbound or at least one outbound entry";
inline constexpr std::string_view kEnablerImageMessage =
    "image.reference is a full image string: it excludes repository and tag";
inline constexpr std::string_view kEnablerNeedsTlsMessage =
    "enabler.mode Sidecar needs sbi.tls.mode TLS or MutualTLS: the enabler serves the profile's "
    "certificate";

EnablerSpec parse_enabler(const nlohmann::json& j, const std::string& path, FieldErrors& errs);
// Rules of spec.enabler alone, and the one across spec (Sidecar needs SBI TLS).
void validate_enabler(Checks& c, const SecurityProfileSpec& spec);
nlohmann::json enabler_json(const EnablerSpec& e);

}  // namespace secprov::api::detail

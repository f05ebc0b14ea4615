#pragma once
// A second template of the security enabler (issue 9) for users who run Envoy instead of
// HAProxy: an Envoy v3 static bootstrap equivalent to haproxy_cfg() for the same profile, with
// the same mounted inputs (render/enabler.h). Not wired: the operator puts only haproxy.cfg
// into the ConfigMap and injects HAProxy; Envoy is not packaged in Debian, so this template is
// unit-tested only. Pure.

#include <string>

#include "api/securityprofile.h"

namespace secprov::render {

// The bootstrap YAML for a profile with spec.enabler in Sidecar mode; "" otherwise. Throws
// RenderError where haproxy_cfg() does (sbi.tls.mode Disabled).
// Differences from HAProxy that Envoy (BoringSSL) imposes: TLS 1.3 suites are not
// configurable, and certificates given as static files are read at start only.
std::string envoy_yaml(const api::SecurityProfile& profile);

}  // namespace secprov::render

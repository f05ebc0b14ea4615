#pragma once
// The validating admission webhook on SecurityProfile (POST /validate-securityprofile):
// api::check_security_profile for the object alone, then the cross-object rules of
// profile_rules.h against the operator's cache, deprecation warnings, and the impact preview
// (check/impact.h): an UPDATE that breaks a consistent pair of its namespace is refused (403)
// when the profile or that peer has spec.consistency.mode Enforce, and admitted with one
// warning per broken pair (peer, interface, reason) under Warn.

#include <functional>
#include <string>

#include "http/server.h"
#include "webhook/admission.h"
#include "webhook/profile_rules.h"

namespace secprov::webhook {

inline constexpr const char* kValidateProfilePath = "/validate-securityprofile";

// Where the other profiles come from: the operator's cache (every replica runs its caches,
// leader or not). in_namespace(ns): the profiles of one namespace; in_trust_domain(name): the
// profiles of one trust domain in every served namespace; synced(): the cache listed once.
struct ProfileLookup {
  std::function<rules::Profiles(const std::string& ns)> in_namespace;
  std::function<rules::Profiles(const std::string& trust_domain)> in_trust_domain;
  std::function<bool()> synced;
};

// The decision for one request. DELETE and CONNECT are admitted; a request for another kind
// is refused (400). Refused when the cache has not synced yet (503: retried by the client,
// and the webhook's failurePolicy decides meanwhile).
AdmissionResponse validate_security_profile(const AdmissionRequest& request,
                                            const ProfileLookup& lookup);

// The HTTP handler: AdmissionReview in, AdmissionReview out (400 for a body that is not one).
http::Handler profile_validator_handler(ProfileLookup lookup);

}  // namespace secprov::webhook

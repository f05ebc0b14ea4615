#include "webhook/profile_validator.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/securityprofile.h"
#include "api/text.h"
#include "check/impact.h"
#include "check/scope.h"

namespace secprov::webhook {
namespace {

AdmissionResponse refuse(int code, std::string message) {
  AdmissionResponse response;
  response.allowed = false;
  response.code = code;
  response.message = std::move(message);
  return response;
}

// The object with the request's namespace when the manifest leaves it out.
nlohmann::json with_namespace(nlohmann::json object, const std::string& ns) {
  if (object.is_object() && !ns.empty()) {
    auto& metadata = object["metadata"];
    if (metadata.is_object() && !metadata.contains("namespace")) metadata["namespace"] = ns;
  }
  return object;
}

// The consistent pairs of the namespace this UPDATE would break (check/impact.h). A create
// breaks nothing (its pairs are new), nor does an update that leaves the spec as it was
// (metadata, finalizers): the profile's peers are the same.
check::Impact impact_of(const AdmissionRequest& request, const api::SecurityProfile& candidate,
                        const rules::Profiles& same_namespace) {
  if (request.operation != "UPDATE") return {};
  const auto old =
      api::parse_security_profile(with_namespace(request.old_object, request.namespace_));
  if (!old || old->spec == candidate.spec) return {};
  std::vector<const api::SecurityProfile*> others;
  for (const auto& p : same_namespace) {
    if (p && p->metadata.name != candidate.metadata.name) others.push_back(p.get());
  }
  const std::vector<const api::TrustDomain*> domains;  // trust by domain name on both sides
  const auto before = check::scope_for(*old, others, domains);
  const auto after = check::scope_for(candidate, others, domains);
  std::set<std::string> enforcing;
  for (const auto& p : after.profiles) {
    if (api::consistency_mode(p) == api::ConsistencyMode::Enforce) {
      enforcing.insert(p.metadata.namespace_ + "/" + p.metadata.name);
    }
  }
  return check::preview(before, after,
                        candidate.metadata.namespace_ + "/" + candidate.metadata.name, enforcing);
}

// The refusal under Enforce: every pair the change breaks, and how to proceed.
std::string enforce_message(const check::Impact& impact) {
  return "consistency Enforce: this change " + api::join(impact.messages(), "; and ") +
         ". A profile in Enforce mode, this one or its peer, is protected: change both ends "
         "together, or set spec.consistency.mode Warn";
}

}  // namespace

AdmissionResponse validate_security_profile(const AdmissionRequest& request,
                                            const ProfileLookup& lookup) {
  if (request.operation != "CREATE" && request.operation != "UPDATE") return {};
  if (request.kind != "SecurityProfile") {
    return refuse(400, "this webhook validates SecurityProfiles, not " + request.kind);
  }
  // The apiserver sends the namespace beside the object when the manifest leaves it out.
  const auto object = with_namespace(request.object, request.namespace_);
  // Single-object rules: the API layer's, the same as the CRD's.
  if (const auto errors = api::check_security_profile(object); !errors.empty()) {
    std::vector<std::string> messages;
    for (const auto& e : errors) messages.push_back(e.message());
    return refuse(422, api::join(messages, "; "));
  }
  const auto profile = api::parse_security_profile(object);
  if (!profile) return refuse(422, profile.errors().front().message());
  if (!lookup.synced || !lookup.synced()) {
    return refuse(503, "the operator's cache of SecurityProfiles is not synced yet; retry shortly");
  }
  const auto same_namespace = lookup.in_namespace(profile->metadata.namespace_);
  const auto same_domain = lookup.in_trust_domain(profile->spec.trust_domain_ref.name);
  const auto violations = rules::cross_object_violations(*profile, same_namespace, same_domain);
  AdmissionResponse response;
  if (!violations.empty()) {
    std::vector<std::string> messages;
    for (const auto& v : violations) messages.push_back(v.message);
    response = refuse(422, api::join(messages, "; "));
  }
  response.warnings = rules::deprecation_warnings(*profile);
  if (!response.allowed) return response;
  // Impact preview: consistent pairs this change breaks deny it under Enforce (either end's
  // mode), and are admission warnings under Warn.
  const auto impact = impact_of(request, *profile, same_namespace);
  if (impact.denied()) {
    auto refused = refuse(403, enforce_message(impact));
    refused.warnings = std::move(response.warnings);
    return refused;
  }
  for (auto& message : impact.messages()) {
    response.warnings.push_back("this change " + std::move(message));
  }
  return response;
}

http::Handler profile_validator_handler(ProfileLookup lookup) {
  return [lookup = std::move(lookup)](const http::Request& request) {
    if (request.method != "POST") {
      return http::Response{405, "text/plain; charset=utf-8", "POST an AdmissionReview\n"};
    }
    nlohmann::json body;
    try {
      body = nlohmann::json::parse(request.body);
    } catch (const nlohmann::json::exception&) {
      return http::Response{400, "text/plain; charset=utf-8", "the body is not JSON\n"};
    }
    const auto review = parse_admission_review(body);
    if (!review) {
      return http::Response{
          400, "text/plain; charset=utf-8",
          "not an AdmissionReview v1: " + review.errors().front().message() + "\n"};
    }
    const auto decision = validate_security_profile(*review, lookup);
    spdlog::debug("admission {} SecurityProfile {}/{}: {}", review->operation, review->namespace_,
                  review->name, decision.allowed ? "allowed" : "refused");
    return http::Response{200, "application/json",
                          admission_review_response(review->uid, decision).dump()};
  };
}

}  // namespace secprov::webhook

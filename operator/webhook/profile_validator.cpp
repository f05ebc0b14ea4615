#include "webhook/profile_validator.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/securityprofile.h"

namespace secprov::webhook {
namespace {

AdmissionResponse refuse(int code, std::string message) {
  AdmissionResponse response;
  response.allowed = false;
  response.code = code;
  response.message = std::move(message);
  return response;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

}  // namespace

AdmissionResponse validate_security_profile(const AdmissionRequest& request,
                                            const ProfileLookup& lookup) {
  if (request.operation != "CREATE" && request.operation != "UPDATE") return {};
  if (request.kind != "SecurityProfile") {
    return refuse(400, "this webhook validates SecurityProfiles, not " + request.kind);
  }
  auto object = request.object;
  // The apiserver sends the namespace beside the object when the manifest leaves it out.
  if (object.is_object() && !request.namespace_.empty()) {
    auto& metadata = object["metadata"];
    if (metadata.is_object() && !metadata.contains("namespace")) {
      metadata["namespace"] = request.namespace_;
    }
  }
  // Single-object rules: the API layer's, the same as the CRD's.
  if (const auto errors = api::check_security_profile(object); !errors.empty()) {
    std::vector<std::string> messages;
    for (const auto& e : errors) messages.push_back(e.message());
    return refuse(422, join(messages));
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
    response = refuse(422, join(messages));
  }
  response.warnings = rules::deprecation_warnings(*profile);
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

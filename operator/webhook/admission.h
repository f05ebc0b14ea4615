#pragma once
// admission.k8s.io/v1 AdmissionReview: the request the apiserver sends to a webhook and the
// response it expects. Pure codec, no I/O; the handlers in this folder decide.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/errors.h"

namespace secprov::webhook {

struct AdmissionRequest {
  std::string uid;
  std::string kind;       // request.kind.kind, e.g. "Pod", "SecurityProfile"
  std::string operation;  // CREATE, UPDATE, DELETE, CONNECT
  std::string namespace_;
  std::string name;           // may be empty on CREATE (generateName)
  nlohmann::json object;      // request.object (null on DELETE)
  nlohmann::json old_object;  // request.oldObject (null on CREATE)
  bool dry_run = false;
};

struct AdmissionResponse {
  bool allowed = true;
  std::optional<std::string> message;   // status.message when refused
  int code = 0;                         // status.code when refused (e.g. 422, 400)
  std::vector<std::string> warnings;    // shown by kubectl as "Warning: ..."
  std::optional<nlohmann::json> patch;  // RFC 6902 JSON Patch array (mutating only)
};

// Parses an AdmissionReview v1 body; an error names the field that is missing or wrong.
api::Result<AdmissionRequest> parse_admission_review(const nlohmann::json& review);
// The AdmissionReview v1 response for `uid` (patch base64-encoded with patchType JSONPatch).
nlohmann::json admission_review_response(const std::string& uid, const AdmissionResponse& response);

}  // namespace secprov::webhook

#include "webhook/admission.h"

#include "crypto/encoding.h"

namespace secprov::webhook {
namespace {

using nlohmann::json;

api::FieldError error(api::FieldErrorType type, std::string field, std::string reason) {
  return api::FieldError{type, std::move(field), std::move(reason)};
}

// A string member, required or not; appends an error when present with another type.
std::optional<std::string> string_at(const json& object, const std::string& key,
                                     const std::string& path, bool required,
                                     api::FieldErrors& errors) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) errors.push_back(error(api::FieldErrorType::Required, path, "required"));
    return std::nullopt;
  }
  if (!it->is_string()) {
    errors.push_back(error(api::FieldErrorType::TypeInvalid, path, "must be a string"));
    return std::nullopt;
  }
  return it->get<std::string>();
}

}  // namespace

api::Result<AdmissionRequest> parse_admission_review(const json& review) {
  api::FieldErrors errors;
  if (!review.is_object()) {
    return api::FieldErrors{
        error(api::FieldErrorType::TypeInvalid, "", "an AdmissionReview must be a JSON object")};
  }
  const auto api_version = string_at(review, "apiVersion", "apiVersion", true, errors);
  if (api_version && *api_version != "admission.k8s.io/v1") {
    errors.push_back(error(api::FieldErrorType::NotSupported, "apiVersion",
                           "only admission.k8s.io/v1 is served, got \"" + *api_version + "\""));
  }
  const auto kind = string_at(review, "kind", "kind", true, errors);
  if (kind && *kind != "AdmissionReview") {
    errors.push_back(error(api::FieldErrorType::NotSupported, "kind",
                           "must be AdmissionReview, got \"" + *kind + "\""));
  }
  const auto request = review.find("request");
  if (request == review.end() || !request->is_object()) {
    errors.push_back(error(request == review.end() || request->is_null()
                               ? api::FieldErrorType::Required
                               : api::FieldErrorType::TypeInvalid,
                           "request", "an object is required"));
    return errors;
  }
  AdmissionRequest out;
  if (auto uid = string_at(*request, "uid", "request.uid", true, errors)) out.uid = *uid;
  if (const auto k = request->find("kind"); k != request->end() && k->is_object()) {
    if (auto v = string_at(*k, "kind", "request.kind.kind", true, errors)) out.kind = *v;
  } else {
    errors.push_back(error(api::FieldErrorType::Required, "request.kind", "an object is required"));
  }
  if (auto op = string_at(*request, "operation", "request.operation", true, errors)) {
    if (*op != "CREATE" && *op != "UPDATE" && *op != "DELETE" && *op != "CONNECT") {
      errors.push_back(error(api::FieldErrorType::NotSupported, "request.operation",
                             "must be CREATE, UPDATE, DELETE or CONNECT, got \"" + *op + "\""));
    }
    out.operation = *op;
  }
  if (auto ns = string_at(*request, "namespace", "request.namespace", false, errors)) {
    out.namespace_ = *ns;
  }
  if (auto name = string_at(*request, "name", "request.name", false, errors)) out.name = *name;
  out.object = request->value("object", json());
  out.old_object = request->value("oldObject", json());
  if (const auto dry = request->find("dryRun"); dry != request->end() && !dry->is_null()) {
    if (dry->is_boolean()) {
      out.dry_run = dry->get<bool>();
    } else {
      errors.push_back(
          error(api::FieldErrorType::TypeInvalid, "request.dryRun", "must be a boolean"));
    }
  }
  if ((out.operation == "CREATE" || out.operation == "UPDATE") && !out.object.is_object()) {
    errors.push_back(error(api::FieldErrorType::Required, "request.object",
                           "an object is required on " + out.operation));
  }
  if (!errors.empty()) return errors;
  return out;
}

json admission_review_response(const std::string& uid, const AdmissionResponse& response) {
  json body = {{"uid", uid}, {"allowed", response.allowed}};
  if (!response.allowed || response.message) {
    json status = json::object();
    if (response.message) status["message"] = *response.message;
    if (!response.allowed) {
      status["code"] = response.code != 0 ? response.code : 403;
      const int code = status["code"].get<int>();
      status["reason"] = code == 400 ? "BadRequest" : code == 422 ? "Invalid" : "Forbidden";
    }
    body["status"] = std::move(status);
  }
  if (!response.warnings.empty()) body["warnings"] = response.warnings;
  if (response.patch) {
    body["patchType"] = "JSONPatch";
    body["patch"] = crypto::base64_encode(response.patch->dump());
  }
  return {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", body}};
}

}  // namespace secprov::webhook

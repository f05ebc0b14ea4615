#include "webhook/admission.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace secprov::webhook {
namespace {

using nlohmann::json;

// An AdmissionReview v1 as kube-apiserver sends it for `kubectl apply` of a new
// SecurityProfile (every field of the v1 request; userInfo trimmed). The integration test
// (webhook_test.cpp) has the real apiserver send them.
const char* kCreateReview = R"({
  "kind": "AdmissionReview",
  "apiVersion": "admission.k8s.io/v1",
  "request": {
    "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
    "kind": {"group": "secprov.io", "version": "v1alpha1", "kind": "SecurityProfile"},
    "resource": {"group": "secprov.io", "version": "v1alpha1", "resource": "securityprofiles"},
    "requestKind": {"group": "secprov.io", "version": "v1alpha1", "kind": "SecurityProfile"},
    "requestResource": {"group": "secprov.io", "version": "v1alpha1", "resource": "securityprofiles"},
    "name": "amf",
    "namespace": "core",
    "operation": "CREATE",
    "userInfo": {"username": "admin", "groups": ["system:masters", "system:authenticated"]},
    "object": {"apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile",
               "metadata": {"name": "amf", "namespace": "core"},
               "spec": {"nfType": "AMF", "selector": {"matchLabels": {"app": "amf"}},
                        "trustDomainRef": {"name": "td"}}},
    "oldObject": null,
    "dryRun": false,
    "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1",
                "fieldManager": "kubectl-client-side-apply", "fieldValidation": "Strict"}
  }
})";

TEST(AdmissionReview, ParsesARealCreateRequest) {
  const auto parsed = parse_admission_review(json::parse(kCreateReview));
  ASSERT_TRUE(parsed.ok()) << parsed.errors().front().message();
  EXPECT_EQ(parsed->uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(parsed->kind, "SecurityProfile");
  EXPECT_EQ(parsed->operation, "CREATE");
  EXPECT_EQ(parsed->namespace_, "core");
  EXPECT_EQ(parsed->name, "amf");
  EXPECT_EQ(parsed->object["spec"]["nfType"], "AMF");
  EXPECT_TRUE(parsed->old_object.is_null());
  EXPECT_FALSE(parsed->dry_run);
}

TEST(AdmissionReview, ParsesUpdateWithOldObjectAndDryRun) {
  auto review = json::parse(kCreateReview);
  review["request"]["operation"] = "UPDATE";
  review["request"]["oldObject"] = review["request"]["object"];
  review["request"]["dryRun"] = true;
  const auto parsed = parse_admission_review(review);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->operation, "UPDATE");
  EXPECT_EQ(parsed->old_object["metadata"]["name"], "amf");
  EXPECT_TRUE(parsed->dry_run);
}

TEST(AdmissionReview, ErrorsNameTheField) {
  const auto field_of = [](json review) {
    const auto parsed = parse_admission_review(review);
    return parsed.ok() ? std::string("<ok>") : parsed.errors().front().field;
  };
  auto review = json::parse(kCreateReview);
  EXPECT_EQ(field_of(json::array()), "");
  auto v1beta1 = review;
  v1beta1["apiVersion"] = "admission.k8s.io/v1beta1";
  EXPECT_EQ(field_of(v1beta1), "apiVersion");
  auto no_uid = review;
  no_uid["request"].erase("uid");
  EXPECT_EQ(field_of(no_uid), "request.uid");
  auto bad_op = review;
  bad_op["request"]["operation"] = "PATCH";
  EXPECT_EQ(field_of(bad_op), "request.operation");
  auto no_request = review;
  no_request.erase("request");
  EXPECT_EQ(field_of(no_request), "request");
  auto no_object = review;
  no_object["request"]["object"] = nullptr;
  EXPECT_EQ(field_of(no_object), "request.object");
  auto bad_dry = review;
  bad_dry["request"]["dryRun"] = "yes";
  EXPECT_EQ(field_of(bad_dry), "request.dryRun");
  auto del = review;  // DELETE has no object
  del["request"]["operation"] = "DELETE";
  del["request"]["object"] = nullptr;
  EXPECT_EQ(field_of(del), "<ok>");
}

TEST(AdmissionReview, AllowedResponseWithWarnings) {
  AdmissionResponse response;
  response.warnings = {"spec.sbi.tls.maxVersion: deprecated"};
  const auto out = admission_review_response("uid-1", response);
  EXPECT_EQ(out["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(out["kind"], "AdmissionReview");
  EXPECT_EQ(out["response"]["uid"], "uid-1");
  EXPECT_EQ(out["response"]["allowed"], true);
  EXPECT_FALSE(out["response"].contains("status"));
  EXPECT_EQ(out["response"]["warnings"], json::array({"spec.sbi.tls.maxVersion: deprecated"}));
  EXPECT_FALSE(out["response"].contains("patch"));
}

TEST(AdmissionReview, RefusalCarriesCodeAndMessage) {
  AdmissionResponse response;
  response.allowed = false;
  response.code = 422;
  response.message = "spec.nfInstanceId: taken";
  const auto out = admission_review_response("uid-2", response);
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_EQ(out["response"]["status"]["code"], 422);
  EXPECT_EQ(out["response"]["status"]["message"], "spec.nfInstanceId: taken");
  EXPECT_EQ(out["response"]["status"]["reason"], "Invalid");
}

TEST(AdmissionReview, PatchIsBase64JsonPatch) {
  AdmissionResponse response;
  response.patch = json::array({{{"op", "add"}, {"path", "/metadata/labels/a"}, {"value", "b"}}});
  const auto out = admission_review_response("uid-3", response);
  EXPECT_EQ(out["response"]["patchType"], "JSONPatch");
  const auto decoded = crypto::base64_decode(out["response"]["patch"].get<std::string>());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(json::parse(*decoded), *response.patch);
}

}  // namespace
}  // namespace secprov::webhook

#include "webhook/profile_validator.h"

#include <gtest/gtest.h>

namespace secprov::webhook {
namespace {

using nlohmann::json;

const std::string kId = "0b0d8f6a-3a0e-4d2c-9a43-5f0e8d6c1b7a";

json document(const std::string& name, const std::string& app) {
  return {{"apiVersion", "secprov.io/v1alpha1"},
          {"kind", "SecurityProfile"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"nfType", "AMF"},
            {"selector", {{"matchLabels", {{"app", app}}}}},
            {"trustDomainRef", {{"name", "td"}}}}}};
}

AdmissionRequest request(const json& object, const std::string& operation = "CREATE") {
  AdmissionRequest r;
  r.uid = "u";
  r.kind = "SecurityProfile";
  r.operation = operation;
  r.namespace_ = "core";
  r.name = object["metadata"].value("name", "");
  r.object = object;
  return r;
}

// A cache holding `stored` (namespace core).
ProfileLookup lookup(std::vector<json> stored, bool synced = true) {
  rules::Profiles profiles;
  for (auto& doc : stored) {
    doc["metadata"]["namespace"] = "core";
    profiles.push_back(
        std::make_shared<const api::SecurityProfile>(api::parse_security_profile(doc).value()));
  }
  return {[profiles](const std::string& ns) {
            rules::Profiles out;
            for (const auto& p : profiles)
              if (p->metadata.namespace_ == ns) out.push_back(p);
            return out;
          },
          [profiles](const std::string& domain) {
            rules::Profiles out;
            for (const auto& p : profiles)
              if (p->spec.trust_domain_ref.name == domain) out.push_back(p);
            return out;
          },
          [synced] { return synced; }};
}

TEST(ProfileValidator, SingleObjectRulesAreTheApiLayers) {
  auto doc = document("amf", "amf");
  doc["spec"]["nfInstanceId"] = "not-a-uuid";
  const auto decision = validate_security_profile(request(doc), lookup({}));
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.code, 422);
  ASSERT_TRUE(decision.message);
  // The same text api::check_security_profile gives (and the CRD's pattern names).
  const auto errors = api::check_security_profile([&] {
    auto d = doc;
    d["metadata"]["namespace"] = "core";
    return d;
  }());
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(decision.message->rfind(errors.front().message(), 0), 0u) << *decision.message;
  EXPECT_NE(decision.message->find("spec.nfInstanceId"), std::string::npos);
}

TEST(ProfileValidator, RefusesADuplicateNfInstanceIdAndAnOverlap) {
  auto stored = document("amf-1", "amf");
  stored["spec"]["nfInstanceId"] = kId;
  auto candidate = document("amf-2", "amf");
  candidate["spec"]["nfInstanceId"] = kId;
  const auto decision = validate_security_profile(request(candidate), lookup({stored}));
  EXPECT_FALSE(decision.allowed);
  ASSERT_TRUE(decision.message);
  EXPECT_NE(decision.message->find("spec.selector.matchLabels: "), std::string::npos);
  EXPECT_NE(decision.message->find("spec.nfInstanceId: "), std::string::npos);
}

TEST(ProfileValidator, UpdateIgnoresTheObjectItself) {
  auto stored = document("amf", "amf");
  stored["spec"]["nfInstanceId"] = kId;
  auto updated = stored;
  updated["spec"]["sbi"] = {{"tls", {{"mode", "MutualTLS"}}}};
  const auto decision = validate_security_profile(request(updated, "UPDATE"), lookup({stored}));
  EXPECT_TRUE(decision.allowed) << decision.message.value_or("");
}

TEST(ProfileValidator, AdmitsWithWarnings) {
  auto doc = document("amf", "amf");
  doc["spec"]["sbi"] = {{"tls", {{"maxVersion", "1.2"}}}};
  const auto decision = validate_security_profile(request(doc), lookup({}));
  EXPECT_TRUE(decision.allowed);
  ASSERT_EQ(decision.warnings.size(), 1u);
  EXPECT_NE(decision.warnings[0].find("spec.sbi.tls.maxVersion"), std::string::npos);
}

TEST(ProfileValidator, CacheNotSyncedDeleteAndOtherKinds) {
  const auto doc = document("amf", "amf");
  const auto unsynced = validate_security_profile(request(doc), lookup({}, false));
  EXPECT_FALSE(unsynced.allowed);
  EXPECT_EQ(unsynced.code, 503);
  auto del = request(doc, "DELETE");
  del.object = nullptr;
  EXPECT_TRUE(validate_security_profile(del, lookup({}, false)).allowed);
  auto pod = request(doc);
  pod.kind = "Pod";
  EXPECT_EQ(validate_security_profile(pod, lookup({})).code, 400);
}

TEST(ProfileValidatorHandler, AnswersAnAdmissionReview) {
  const auto handler = profile_validator_handler(lookup({}));
  auto doc = document("amf", "amf");
  doc["spec"]["sbi"] = {{"tls", {{"maxVersion", "1.2"}}}};
  const json review = {
      {"apiVersion", "admission.k8s.io/v1"},
      {"kind", "AdmissionReview"},
      {"request",
       {{"uid", "abc"},
        {"kind", {{"group", "secprov.io"}, {"version", "v1alpha1"}, {"kind", "SecurityProfile"}}},
        {"operation", "CREATE"},
        {"namespace", "core"},
        {"name", "amf"},
        {"object", doc}}}};
  const auto answer = handler({"POST", kValidateProfilePath, review.dump()});
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  const auto body = json::parse(answer.body);
  EXPECT_EQ(body["response"]["uid"], "abc");
  EXPECT_EQ(body["response"]["allowed"], true);
  EXPECT_EQ(body["response"]["warnings"].size(), 1u);

  EXPECT_EQ(handler({"POST", kValidateProfilePath, "{"}).status, 400);
  EXPECT_EQ(handler({"POST", kValidateProfilePath, "{}"}).status, 400);
  EXPECT_EQ(handler({"GET", kValidateProfilePath, ""}).status, 405);
}

}  // namespace
}  // namespace secprov::webhook

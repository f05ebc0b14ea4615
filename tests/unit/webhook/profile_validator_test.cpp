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

// An N4 profile of namespace core towards `peer`, one IKE proposal, consistency `mode`.
json n4(const std::string& name, const std::string& nf_type, const std::string& local,
        const std::string& peer, const std::string& remote, const std::string& ike,
        const std::string& mode = "Warn") {
  auto doc = document(name, name);
  doc["metadata"]["namespace"] = "core";
  doc["spec"]["nfType"] = nf_type;
  doc["spec"]["consistency"] = {{"mode", mode}};
  doc["spec"]["ipsec"] = {{"interfaces",
                           {{{"name", "N4"},
                             {"localAddress", local},
                             {"ike", {{"proposals", {ike}}}},
                             {"peers", {{{"name", peer}, {"address", remote}}}}}}}};
  return doc;
}

AdmissionRequest update(const json& old_object, const json& object) {
  auto r = request(object, "UPDATE");
  r.old_object = old_object;
  return r;
}

TEST(ProfileValidator, ImpactPreviewWarnsUnderWarnAndDeniesUnderEnforce) {
  const std::string ike256 = "aes256gcm16-prfsha384-ecp384";
  const std::string ike128 = "aes128gcm16-prfsha256-ecp256";
  const auto smf = n4("smf", "SMF", "10.10.4.1", "upf", "10.10.4.2", ike256);
  const auto smf_new = n4("smf", "SMF", "10.10.4.1", "upf", "10.10.4.2", ike128);
  const auto upf = n4("upf", "UPF", "10.10.4.2", "smf", "10.10.4.1", ike256);
  const auto upf_enforce = n4("upf", "UPF", "10.10.4.2", "smf", "10.10.4.1", ike256, "Enforce");

  const auto warned = validate_security_profile(update(smf, smf_new), lookup({smf, upf}));
  EXPECT_TRUE(warned.allowed);
  ASSERT_EQ(warned.warnings.size(), 1u);
  EXPECT_EQ(
      warned.warnings[0].rfind("this change would break the consistent N4 pair with core/upf: "
                               "NoCommonIkeProposal",
                               0),
      0u)
      << warned.warnings[0];

  const auto denied = validate_security_profile(update(smf, smf_new), lookup({smf, upf_enforce}));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.code, 403);
  ASSERT_TRUE(denied.message);
  EXPECT_NE(denied.message->find("consistency Enforce: this change would break the consistent "
                                 "N4 pair with core/upf: NoCommonIkeProposal"),
            std::string::npos)
      << *denied.message;

  // The same spec (a metadata change) and a create are previewed as breaking nothing.
  auto relabelled = smf;
  relabelled["metadata"]["labels"] = {{"tier", "core"}};
  const auto same = validate_security_profile(update(smf, relabelled), lookup({smf, upf_enforce}));
  EXPECT_TRUE(same.allowed);
  EXPECT_TRUE(same.warnings.empty());
  EXPECT_TRUE(validate_security_profile(request(smf_new), lookup({upf_enforce})).allowed);
  // Fixing a broken pair is never refused.
  const auto fixed =
      validate_security_profile(update(smf_new, smf), lookup({smf_new, upf_enforce}));
  EXPECT_TRUE(fixed.allowed);
  EXPECT_TRUE(fixed.warnings.empty());
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

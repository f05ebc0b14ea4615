#include "webhook/pod_injector.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "crypto/encoding.h"
#include "render/enabler.h"

namespace secprov::webhook {
namespace {

using nlohmann::json;

std::shared_ptr<const api::SecurityProfile> profile(const std::string& name,
                                                    const std::string& mode) {
  const json doc = {
      {"apiVersion", "secprov.io/v1alpha1"},
      {"kind", "SecurityProfile"},
      {"metadata", {{"name", name}, {"namespace", "core"}, {"generation", 5}}},
      {"spec",
       {{"nfType", "AMF"},
        {"selector", {{"matchLabels", {{"app", "amf"}}}}},
        {"trustDomainRef", {{"name", "td"}}},
        {"sbi", {{"tls", {{"mode", "MutualTLS"}}}}},
        {"enabler", {{"mode", mode}, {"inbound", {{"port", 8080}, {"tlsPort", 8443}}}}}}},
  };
  auto parsed = api::parse_security_profile(doc);
  if (!parsed) throw std::runtime_error(parsed.errors().front().message());
  return std::make_shared<const api::SecurityProfile>(std::move(parsed).value());
}

json pod(const std::string& ns = "core") {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"generateName", "amf-"}, {"namespace", ns}, {"labels", {{"app", "amf"}}}}},
          {"spec", {{"containers", json::array({{{"name", "amf"}, {"image", "amf:1"}}})}}}};
}

AdmissionRequest create(json object, const std::string& ns = "core") {
  AdmissionRequest r;
  r.uid = "uid-1";
  r.kind = "Pod";
  r.operation = "CREATE";
  r.namespace_ = ns;
  r.object = std::move(object);
  return r;
}

PodInjectorOptions options(rules::Profiles profiles, bool native = true) {
  PodInjectorOptions o;
  o.in_namespace = [profiles = std::move(profiles)](const std::string& ns) {
    rules::Profiles out;
    for (const auto& p : profiles) {
      if (p->metadata.namespace_ == ns) out.push_back(p);
    }
    return out;
  };
  o.synced = [] { return true; };
  o.default_image = "ghcr.io/secprov/enabler:1.0";
  o.native_sidecars = native;
  return o;
}

TEST(PodInjector, InjectsTheSidecarProfilesEnabler) {
  const auto amf = profile("amf", "Sidecar");
  const PodInjector injector(options({amf}));
  const auto response = injector.admit(create(pod()));
  EXPECT_TRUE(response.allowed);
  ASSERT_TRUE(response.patch.has_value());
  const json out = pod().patch(*response.patch);
  ASSERT_EQ(out["spec"]["initContainers"].size(), 1u);
  EXPECT_EQ(out["spec"]["initContainers"][0]["image"], "ghcr.io/secprov/enabler:1.0");
  EXPECT_EQ(out["spec"]["initContainers"][0]["restartPolicy"], "Always");
  EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/profile"], "amf");
  EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/profile-generation"], "5");
  EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/enabler-digest"],
            render::enabler_injection(*amf, "ghcr.io/secprov/enabler:1.0").config_digest);
  // Re-admitting the injected Pod changes nothing.
  const auto again = injector.admit(create(out));
  EXPECT_TRUE(again.allowed);
  EXPECT_FALSE(again.patch.has_value());
}

TEST(PodInjector, RegularContainerWhenTheServerHasNoNativeSidecars) {
  const PodInjector injector(options({profile("amf", "Sidecar")}, false));
  const auto response = injector.admit(create(pod()));
  ASSERT_TRUE(response.patch.has_value());
  const json out = pod().patch(*response.patch);
  EXPECT_FALSE(out["spec"].contains("initContainers"));
  EXPECT_EQ(out["spec"]["containers"][1]["name"], "secprov-enabler");
}

TEST(PodInjector, LeavesPodsAloneWithoutAPatch) {
  const PodInjector injector(options({profile("amf", "Sidecar"), profile("nrf", "Native")}));
  json opted = pod();
  opted["metadata"]["annotations"] = {{"secprov.io/inject", "false"}};
  json host = pod();
  host["spec"]["hostNetwork"] = true;
  json other = pod();
  other["metadata"]["labels"] = {{"app", "smf"}};
  struct Case {
    const char* name;
    AdmissionRequest request;
  };
  std::vector<Case> cases{{"opted out", create(opted)},
                          {"hostNetwork", create(host)},
                          {"not selected", create(other)},
                          {"kube-system", create(pod("kube-system"), "kube-system")},
                          {"profile elsewhere", create(pod("edge"), "edge")}};
  AdmissionRequest update = create(pod());
  update.operation = "UPDATE";
  cases.push_back({"update", update});
  AdmissionRequest service = create(json{{"kind", "Service"}});
  service.kind = "Service";
  cases.push_back({"not a Pod", service});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto response = injector.admit(c.request);
    EXPECT_TRUE(response.allowed);
    EXPECT_FALSE(response.patch.has_value());
    EXPECT_TRUE(response.warnings.empty());
  }
}

TEST(PodInjector, TwoSidecarProfilesWarnAndInjectNothing) {
  const PodInjector injector(options({profile("amf-a", "Sidecar"), profile("amf-b", "Sidecar")}));
  const auto response = injector.admit(create(pod()));
  EXPECT_TRUE(response.allowed);
  EXPECT_FALSE(response.patch.has_value());
  ASSERT_EQ(response.warnings.size(), 1u);
  EXPECT_NE(response.warnings[0].find("amf-a, amf-b"), std::string::npos);
}

TEST(PodInjector, UnsyncedCacheIsUnavailableNotAGuess) {
  auto o = options({profile("amf", "Sidecar")});
  o.synced = [] { return false; };
  const auto injector = std::make_shared<const PodInjector>(o);
  EXPECT_THROW((void)injector->admit(create(pod())), InjectorUnavailable);

  json review = {{"apiVersion", "admission.k8s.io/v1"},
                 {"kind", "AdmissionReview"},
                 {"request",
                  {{"uid", "u"},
                   {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                   {"operation", "CREATE"},
                   {"namespace", "core"},
                   {"object", pod()}}}};
  const auto handler = pod_injector_handler(injector);
  EXPECT_EQ(handler({"POST", kMutatePodsPath, review.dump()}).status, 503);
}

TEST(PodInjector, HandlerAnswersAnAdmissionReviewWithAJsonPatch) {
  const auto injector = std::make_shared<const PodInjector>(options({profile("amf", "Sidecar")}));
  const auto handler = pod_injector_handler(injector);
  const json review = {{"apiVersion", "admission.k8s.io/v1"},
                       {"kind", "AdmissionReview"},
                       {"request",
                        {{"uid", "u-42"},
                         {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                         {"operation", "CREATE"},
                         {"namespace", "core"},
                         {"object", pod()}}}};
  const auto answer = handler({"POST", kMutatePodsPath, review.dump()});
  ASSERT_EQ(answer.status, 200);
  const json body = json::parse(answer.body);
  EXPECT_EQ(body["response"]["uid"], "u-42");
  EXPECT_EQ(body["response"]["allowed"], true);
  EXPECT_EQ(body["response"]["patchType"], "JSONPatch");
  const auto patch = crypto::base64_decode(body["response"]["patch"].get<std::string>());
  ASSERT_TRUE(patch.has_value());
  const json out = pod().patch(json::parse(*patch));
  EXPECT_EQ(out["spec"]["initContainers"][0]["name"], "secprov-enabler");

  EXPECT_EQ(handler({"GET", kMutatePodsPath, ""}).status, 405);
  EXPECT_EQ(handler({"POST", kMutatePodsPath, "{"}).status, 400);
}

TEST(NativeSidecars, FromTheServerVersion) {
  EXPECT_TRUE(native_sidecars_supported({{"major", "1"}, {"minor", "29"}}));
  EXPECT_TRUE(native_sidecars_supported({{"major", "1"}, {"minor", "31+"}}));
  EXPECT_FALSE(native_sidecars_supported({{"major", "1"}, {"minor", "28"}}));
  EXPECT_FALSE(native_sidecars_supported({{"major", "1"}, {"minor", "27+"}}));
  EXPECT_TRUE(native_sidecars_supported({{"major", ""}, {"gitVersion", "v1.30.0-rc.1+k3s1"}}));
  EXPECT_FALSE(native_sidecars_supported({{"gitVersion", "v1.28.4"}}));
  EXPECT_FALSE(native_sidecars_supported(json::object()));
  EXPECT_FALSE(native_sidecars_supported(json("v1.29")));
}

}  // namespace
}  // namespace secprov::webhook

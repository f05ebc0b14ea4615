#include "render/injection.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "render/enabler.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::profile_doc;

// Until spec.enabler is read here, the tests name the Sidecar profiles themselves.
SidecarPredicate sidecar_if(std::vector<std::string> names) {
  return [names = std::move(names)](const api::SecurityProfile& p) {
    return std::find(names.begin(), names.end(), p.metadata.name) != names.end();
  };
}

api::SecurityProfile profile_named(const std::string& name, json match_labels) {
  json doc = profile_doc();
  doc["metadata"]["name"] = name;
  doc["spec"]["selector"]["matchLabels"] = std::move(match_labels);
  return testing::parse(doc);
}

json pod(json labels = {{"app", "amf"}, {"tier", "cp"}}) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", "amf-0"}, {"namespace", "5gc"}, {"labels", std::move(labels)}}},
      {"spec", {{"containers", json::array({{{"name", "amf"}, {"image", "open5gs/amf:2.7"}}})}}},
  };
}

EnablerInjection injection(const std::string& digest = "sha256:aaaa") {
  EnablerInjection i;
  i.profile = "amf";
  i.generation = 3;
  i.config_digest = digest;
  i.image = "secprov/enabler:0.1";
  i.command = {"/usr/bin/secprov-operator"};
  i.args = {"enabler-agent", "--config=/etc/secprov-enabler/haproxy.cfg"};
  i.env = {{"OPENSSL_CONF", "/etc/secprov-enabler/config/openssl.cnf"}};
  i.container_ports = {29443};
  i.resources = {{"limits", {{"cpu", "500m"}, {"memory", "64Mi"}}}};
  i.volumes = {
      {"secprov-enabler-tls",
       "Secret",
       "amf-tls",
       {{"tls.crt", "tls.crt", 0444}, {"tls.key", "tls.key", 0400}, {"ca.crt", "ca.crt", 0444}},
       "/etc/secprov-enabler/tls"},
      {"secprov-enabler-config",
       "ConfigMap",
       "amf-security",
       {{"haproxy.cfg", "haproxy.cfg", 0444}},
       "/etc/secprov-enabler/config"},
  };
  return i;
}

json patched(const json& document, const json& patch) {
  return document.patch(patch);
}

// ---- decide_injection ----

struct SkipCase {
  const char* name;
  std::string ns;
  json pod;
  const char* reason;
};

TEST(DecideInjection, EachSkipReason) {
  const auto amf = profile_named("amf", {{"app", "amf"}});
  const std::vector<const api::SecurityProfile*> profiles{&amf};
  json host = pod();
  host["spec"]["hostNetwork"] = true;
  json opted = pod();
  opted["metadata"]["annotations"] = {{"secprov.io/inject", "false"}};
  const std::vector<SkipCase> cases{
      {"kube-system", "kube-system", pod(), "SystemNamespace"},
      {"kube-public", "kube-public", pod(), "SystemNamespace"},
      {"hostNetwork", "5gc", host, "HostNetwork"},
      {"opt-out", "5gc", opted, "OptedOut"},
      {"labels differ", "5gc", pod({{"app", "smf"}}), "NoMatchingProfile"},
      {"no labels", "5gc", pod(json::object()), "NoMatchingProfile"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto d = decide_injection(c.pod, c.ns, profiles, sidecar_if({"amf"}));
    EXPECT_FALSE(d.inject());
    EXPECT_EQ(d.reason, c.reason);
    EXPECT_FALSE(d.message.empty());
    EXPECT_TRUE(d.warnings.empty());
  }
}

TEST(DecideInjection, OptOutOnlyOnFalse) {
  const auto amf = profile_named("amf", {{"app", "amf"}});
  json p = pod();
  p["metadata"]["annotations"] = {{"secprov.io/inject", "true"}};
  const auto d = decide_injection(p, "5gc", {&amf}, sidecar_if({"amf"}));
  ASSERT_TRUE(d.inject());
  EXPECT_EQ(d.profile, &amf);
  EXPECT_EQ(d.reason, "Injected");
}

TEST(DecideInjection, NativeModeProfileIsNotInjected) {
  const auto amf = profile_named("amf", {{"app", "amf"}});
  const auto d = decide_injection(pod(), "5gc", {&amf}, sidecar_if({}));
  EXPECT_FALSE(d.inject());
  EXPECT_EQ(d.reason, "NoMatchingProfile");
}

TEST(DecideInjection, SelectorIsASubsetOfThePodLabels) {
  const auto both = profile_named("amf", {{"app", "amf"}, {"tier", "cp"}});
  EXPECT_TRUE(decide_injection(pod(), "5gc", {&both}, sidecar_if({"amf"})).inject());
  EXPECT_FALSE(
      decide_injection(pod({{"app", "amf"}}), "5gc", {&both}, sidecar_if({"amf"})).inject());
}

TEST(DecideInjection, ProfileOfAnotherNamespaceIsIgnored) {
  json doc = profile_doc();
  doc["metadata"]["namespace"] = "other";
  const auto elsewhere = testing::parse(doc);
  const auto d = decide_injection(pod(), "5gc", {&elsewhere}, sidecar_if({"amf"}));
  EXPECT_EQ(d.reason, "NoMatchingProfile");
}

TEST(DecideInjection, NamespaceFromThePodWhenTheRequestHasNone) {
  const auto amf = profile_named("amf", {{"app", "amf"}});
  json p = pod();
  p["metadata"]["namespace"] = "kube-system";
  EXPECT_EQ(decide_injection(p, "", {&amf}, sidecar_if({"amf"})).reason, "SystemNamespace");
}

TEST(DecideInjection, TwoSidecarProfilesInjectNothingAndWarnNamingThem) {
  const auto b = profile_named("amf-b", {{"app", "amf"}});
  const auto a = profile_named("amf-a", {{"tier", "cp"}});
  const auto native = profile_named("amf-c", {{"app", "amf"}});
  const auto d = decide_injection(pod(), "5gc", {&b, &a, &native}, sidecar_if({"amf-a", "amf-b"}));
  EXPECT_FALSE(d.inject());
  EXPECT_EQ(d.reason, "AmbiguousProfiles");
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_NE(d.warnings[0].find("amf-a, amf-b"), std::string::npos) << d.warnings[0];
  EXPECT_EQ(d.warnings[0].find("amf-c"), std::string::npos) << d.warnings[0];
}

// ---- pod_patch ----

TEST(PodPatch, NativeSidecarIsTheFirstInitContainer) {
  json p = pod();
  p["spec"]["initContainers"] = json::array({{{"name", "wait-nrf"}, {"image", "busybox"}}});
  const json out = patched(p, pod_patch(p, injection(), true));
  const auto& inits = out["spec"]["initContainers"];
  ASSERT_EQ(inits.size(), 2u);
  EXPECT_EQ(inits[0]["name"], "secprov-enabler");
  EXPECT_EQ(inits[0]["restartPolicy"], "Always");
  EXPECT_EQ(inits[1]["name"], "wait-nrf");
  ASSERT_EQ(out["spec"]["containers"].size(), 1u);  // the NF alone
}

TEST(PodPatch, NativeSidecarCreatesInitContainersWhenAbsent) {
  const json p = pod();
  const json patch = pod_patch(p, injection(), true);
  EXPECT_EQ(patch[0]["op"], "add");
  EXPECT_EQ(patch[0]["path"], "/spec/initContainers");
  const json out = patched(p, patch);
  ASSERT_EQ(out["spec"]["initContainers"].size(), 1u);
}

TEST(PodPatch, RegularContainerWithoutNativeSidecars) {
  const json p = pod();
  const json out = patched(p, pod_patch(p, injection(), false));
  EXPECT_FALSE(out["spec"].contains("initContainers"));
  const auto& cs = out["spec"]["containers"];
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]["name"], "amf");
  EXPECT_EQ(cs[1]["name"], "secprov-enabler");
  EXPECT_FALSE(cs[1].contains("restartPolicy"));
}

TEST(PodPatch, ContainerIsHardenedAndMountsReadOnly) {
  const json c = enabler_container(injection(), true);
  const auto& sc = c["securityContext"];
  EXPECT_EQ(sc["runAsNonRoot"], true);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["capabilities"]["drop"], json::array({"ALL"}));
  EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_EQ(c["image"], "secprov/enabler:0.1");
  EXPECT_EQ(c["ports"], json::parse(R"([{"containerPort":29443,"protocol":"TCP"}])"));
  EXPECT_EQ(c["resources"]["limits"]["memory"], "64Mi");
  const auto& mounts = c["volumeMounts"];
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0]["readOnly"], true);
  EXPECT_EQ(mounts[1]["readOnly"], true);
  // The runtime directory is the only writable one.
  EXPECT_EQ(mounts[2]["name"], "secprov-enabler-run");
  EXPECT_EQ(mounts[2]["mountPath"], "/run/secprov-enabler");
  EXPECT_FALSE(mounts[2].contains("readOnly"));
}

// The key is 0400 and root-owned without an fsGroup: the non-root enabler reads it through
// the Pod's fsGroup, added when the Pod has none, kept when it has one.
TEST(PodPatch, EnablerReadsItsKeyThroughThePodsFsGroup) {
  const json c = enabler_container(injection(), true);
  EXPECT_EQ(c["securityContext"]["runAsUser"], kEnablerUid);
  EXPECT_EQ(c["securityContext"]["runAsGroup"], kEnablerUid);

  const json added = patched(pod(), pod_patch(pod(), injection(), true));
  EXPECT_EQ(added["spec"]["securityContext"]["fsGroup"], kEnablerUid);
  EXPECT_EQ(added["spec"]["securityContext"]["fsGroupChangePolicy"], "OnRootMismatch");

  json with_context = pod();
  with_context["spec"]["securityContext"] = {{"runAsNonRoot", true}};
  const json merged = patched(with_context, pod_patch(with_context, injection(), true));
  EXPECT_EQ(merged["spec"]["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(merged["spec"]["securityContext"]["fsGroup"], kEnablerUid);

  json with_group = pod();
  with_group["spec"]["securityContext"] = {{"fsGroup", 2000}};
  const json kept = patched(with_group, pod_patch(with_group, injection(), true));
  EXPECT_EQ(kept["spec"]["securityContext"], json({{"fsGroup", 2000}}));
  // Idempotent: the patched Pod needs nothing more.
  EXPECT_EQ(pod_patch(added, injection(), true), json::array());
}

TEST(PodPatch, VolumesProjectOnlyTheListedKeysWithTheirModes) {
  const json out = patched(pod(), pod_patch(pod(), injection(), true));
  const auto& vols = out["spec"]["volumes"];
  ASSERT_EQ(vols.size(), 3u);
  EXPECT_EQ(vols[0], json::parse(R"({"name":"secprov-enabler-tls","secret":{
      "secretName":"amf-tls","defaultMode":256,"items":[
        {"key":"tls.crt","path":"tls.crt","mode":292},
        {"key":"tls.key","path":"tls.key","mode":256},
        {"key":"ca.crt","path":"ca.crt","mode":292}]}})"));
  EXPECT_EQ(vols[1], json::parse(R"({"name":"secprov-enabler-config","configMap":{
      "name":"amf-security","defaultMode":292,"items":[
        {"key":"haproxy.cfg","path":"haproxy.cfg","mode":292}]}})"));
  EXPECT_EQ(vols[2]["emptyDir"]["medium"], "Memory");
}

TEST(PodPatch, NoRuntimeDirNoEmptyDir) {
  auto i = injection();
  i.runtime_dir.clear();
  EXPECT_EQ(enabler_pod_volumes(i).size(), 2u);
  EXPECT_EQ(enabler_container(i, false)["volumeMounts"].size(), 2u);
}

TEST(PodPatch, AppendsToExistingVolumesWithoutTouchingThem) {
  json p = pod();
  p["spec"]["volumes"] = json::array({{{"name", "data"}, {"emptyDir", json::object()}}});
  const json out = patched(p, pod_patch(p, injection(), true));
  ASSERT_EQ(out["spec"]["volumes"].size(), 4u);
  EXPECT_EQ(out["spec"]["volumes"][0]["name"], "data");
}

TEST(PodPatch, AnnotationsCreatedWhenAbsent) {
  const json p = pod();
  const json patch = pod_patch(p, injection(), true);
  EXPECT_EQ(patch.back(), json::parse(R"({"op":"add","path":"/metadata/annotations","value":{
      "secprov.io/profile":"amf","secprov.io/profile-generation":"3",
      "secprov.io/enabler-digest":"sha256:aaaa"}})"));
}

TEST(PodPatch, AnnotationKeysAreEscapedWhenAnnotationsExist) {
  json p = pod();
  p["metadata"]["annotations"] = {{"team", "core"}};
  const json patch = pod_patch(p, injection(), true);
  std::vector<std::string> paths;
  for (const auto& o : patch) paths.push_back(o["path"]);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/metadata/annotations/secprov.io~1profile"),
            paths.end());
  EXPECT_NE(
      std::find(paths.begin(), paths.end(), "/metadata/annotations/secprov.io~1enabler-digest"),
      paths.end());
  const json out = patched(p, patch);
  EXPECT_EQ(out["metadata"]["annotations"]["team"], "core");
  EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/enabler-digest"], "sha256:aaaa");
}

TEST(PodPatch, JsonPointerEscape) {
  EXPECT_EQ(json_pointer_escape("a/b~c"), "a~1b~0c");
  EXPECT_EQ(json_pointer_escape("~/"), "~0~1");
  EXPECT_EQ(json_pointer_escape("plain"), "plain");
}

TEST(PodPatch, ReadmittingAnInjectedPodGivesAnEmptyPatch) {
  for (const bool native : {true, false}) {
    SCOPED_TRACE(native ? "native" : "regular");
    json p = pod();
    p["metadata"]["annotations"] = {{"team", "core"}};
    const json once = patched(p, pod_patch(p, injection(), native));
    EXPECT_EQ(pod_patch(once, injection(), native), json::array());
  }
}

TEST(PodPatch, ApiserverDefaultedFieldsDoNotCauseAPatch) {
  json once = patched(pod(), pod_patch(pod(), injection(), true));
  auto& c = once["spec"]["initContainers"][0];
  c["terminationMessagePath"] = "/dev/termination-log";
  c["terminationMessagePolicy"] = "File";
  once["spec"]["volumes"][2]["emptyDir"]["extra"] = "x";
  EXPECT_EQ(pod_patch(once, injection(), true), json::array());
}

TEST(PodPatch, OlderDigestIsRepatchedInPlace) {
  const json old = patched(pod(), pod_patch(pod(), injection("sha256:old"), true));
  auto next = injection("sha256:new");
  next.generation = 4;
  next.args.push_back("--verbose");
  const json patch = pod_patch(old, next, true);
  for (const auto& o : patch) EXPECT_NE(o["op"], "add") << o.dump();  // replace, never add
  const json out = patched(old, patch);
  ASSERT_EQ(out["spec"]["initContainers"].size(), 1u);
  EXPECT_EQ(out["spec"]["initContainers"][0], enabler_container(next, true));
  EXPECT_EQ(out["spec"]["volumes"].size(), 3u);
  EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/enabler-digest"], "sha256:new");
  EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/profile-generation"], "4");
  EXPECT_EQ(pod_patch(out, next, true), json::array());
}

TEST(PodPatch, ChangedVolumeSourceIsReplacedNotDuplicated) {
  const json old = patched(pod(), pod_patch(pod(), injection(), true));
  auto next = injection();
  next.volumes[0].source = "amf-tls-2";
  const json out = patched(old, pod_patch(old, next, true));
  ASSERT_EQ(out["spec"]["volumes"].size(), 3u);
  EXPECT_EQ(out["spec"]["volumes"][0]["secret"]["secretName"], "amf-tls-2");
}

TEST(PodPatch, SwitchingBetweenRegularAndNativeMovesTheContainer) {
  const json regular = patched(pod(), pod_patch(pod(), injection(), false));
  const json native = patched(regular, pod_patch(regular, injection(), true));
  ASSERT_EQ(native["spec"]["containers"].size(), 1u);
  ASSERT_EQ(native["spec"]["initContainers"].size(), 1u);
  EXPECT_EQ(pod_patch(native, injection(), true), json::array());
  const json back = patched(native, pod_patch(native, injection(), false));
  EXPECT_TRUE(back["spec"]["initContainers"].empty());
  ASSERT_EQ(back["spec"]["containers"].size(), 2u);
  EXPECT_EQ(back["spec"]["containers"][1]["name"], "secprov-enabler");
}

TEST(PodPatch, NativeEnablerNotFirstIsMovedFirst) {
  json p = pod();
  p["spec"]["initContainers"] = json::array(
      {{{"name", "wait-nrf"}, {"image", "busybox"}}, enabler_container(injection(), true)});
  const json out = patched(p, pod_patch(p, injection(), true));
  ASSERT_EQ(out["spec"]["initContainers"].size(), 2u);
  EXPECT_EQ(out["spec"]["initContainers"][0]["name"], "secprov-enabler");
  EXPECT_EQ(out["spec"]["initContainers"][1]["name"], "wait-nrf");
}

TEST(PodPatch, DecideThenPatchThenDecideAgainIsStable) {
  const auto amf = profile_named("amf", {{"app", "amf"}});
  const json p = pod();
  const auto d = decide_injection(p, "5gc", {&amf}, sidecar_if({"amf"}));
  ASSERT_TRUE(d.inject());
  const json out = patched(p, pod_patch(p, injection(), true));
  const auto again = decide_injection(out, "5gc", {&amf}, sidecar_if({"amf"}));
  ASSERT_TRUE(again.inject());
  EXPECT_EQ(pod_patch(out, injection(), true), json::array());
}

// ---- with spec.enabler (the real mode field) and render::enabler_injection ----

json enabler_doc(const std::string& name, const std::string& mode) {
  json doc = profile_doc();
  doc["metadata"]["name"] = name;
  doc["metadata"]["generation"] = 2;
  doc["spec"]["sbi"] = {{"tls", {{"mode", "MutualTLS"}}}};
  doc["spec"]["enabler"] = {{"mode", mode}, {"inbound", {{"port", 8080}, {"tlsPort", 8443}}}};
  return doc;
}

TEST(DecideInjection, ModeFieldDecides) {
  const auto sidecar = testing::parse(enabler_doc("amf", "Sidecar"));
  const auto native = testing::parse(enabler_doc("amf-native", "Native"));
  const auto without = profile_named("amf-plain", {{"app", "amf"}});
  const auto d = decide_injection(pod(), "5gc", {&native, &without, &sidecar});
  ASSERT_TRUE(d.inject());
  EXPECT_EQ(d.profile, &sidecar);
  EXPECT_EQ(decide_injection(pod(), "5gc", {&native, &without}).reason, "NoMatchingProfile");
}

// OPENSSL_CONF (the outbound groups, render/enabler.h): set on the container in order, and
// a Pod injected before the variable existed is brought up to date in place, once.
TEST(PodPatch, EnvironmentIsSetAndAddedToAnOlderInjection) {
  const json c = enabler_container(injection(), true);
  EXPECT_EQ(c["env"], json::parse(R"([{"name":"OPENSSL_CONF",)"
                                  R"("value":"/etc/secprov-enabler/config/openssl.cnf"}])"));
  auto without = injection();
  without.env.clear();
  EXPECT_FALSE(enabler_container(without, true).contains("env"));
  for (const bool native : {true, false}) {
    SCOPED_TRACE(native ? "native" : "regular");
    const json old = patched(pod(), pod_patch(pod(), without, native));
    const json patch = pod_patch(old, injection(), native);
    ASSERT_EQ(patch.size(), 1u) << patch.dump();
    EXPECT_EQ(patch[0]["op"], "replace");
    const json out = patched(old, patch);
    EXPECT_EQ(pod_patch(out, injection(), native), json::array());
  }
}

TEST(PodPatch, EnablerInjectionOfASidecarProfileIsIdempotent) {
  const auto profile = testing::parse(enabler_doc("amf", "Sidecar"));
  const auto inj = enabler_injection(profile, "ghcr.io/secprov/enabler:1.0");
  for (const bool native : {true, false}) {
    SCOPED_TRACE(native ? "native" : "regular");
    const json out = patched(pod(), pod_patch(pod(), inj, native));
    EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/profile"], "amf");
    EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/profile-generation"], "2");
    EXPECT_EQ(out["metadata"]["annotations"]["secprov.io/enabler-digest"], inj.config_digest);
    EXPECT_EQ(pod_patch(out, inj, native), json::array());
  }
}

}  // namespace
}  // namespace secprov::render

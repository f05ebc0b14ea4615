// Issue 9, "Injection: a mutating admission webhook on Pods": the real kube-apiserver calls the
// operator's /mutate-pods over HTTPS (caBundle injected by the operator). Pods that the
// controller-manager makes for a Deployment carry the enabler of the profile selecting them;
// an opted-out Pod and a Pod in kube-system are untouched; an injected Pod created again gets
// nothing added twice (the apiserver's defaulted fields included).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "operator_fixture.h"
#include "render/enabler.h"
#include "support/free_port.h"

namespace secprov::testing {
namespace {

using kube::Json;

const kube::ResourceType kMutating{"admissionregistration.k8s.io", "v1",
                                   "mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
                                   false};

struct Cleanup {
  std::string configuration;
  std::string system_pod;
  ~Cleanup() {
    kubectl("delete mutatingwebhookconfiguration " + configuration + " --ignore-not-found");
    kubectl("delete pod -n kube-system " + system_pod + " --ignore-not-found --wait=false");
  }
};

// Every container named secprov-enabler, in both lists.
std::vector<Json> enablers(const Json& pod) {
  std::vector<Json> out;
  for (const char* list : {"initContainers", "containers"}) {
    for (const auto& c : pod["spec"].value(list, Json::array())) {
      if (c.value("name", std::string{}) == "secprov-enabler") out.push_back(c);
    }
  }
  return out;
}

std::string pod_yaml(const std::string& name, const std::string& labels,
                     const std::string& annotations = {}) {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  labels:\n" + labels +
         (annotations.empty() ? "" : "  annotations:\n" + annotations) +
         "spec:\n  containers:\n  - name: amf\n    image: registry.invalid/amf:1\n";
}

class InjectionTest : public OperatorTest {};

// Pods of a Deployment get the enabler; an opted-out Pod and a kube-system Pod do not. (A short
// name: the namespace is named after it and the webhook certificate's CN holds it.)
TEST_F(InjectionTest, DeploymentPodsGetTheEnabler) {
  const auto domain = create_trust_domain();
  const auto port = free_loopback_port();
  const std::string configuration = "secprov-" + namespace_;
  const std::string system_pod = "inject-" + namespace_.substr(0, 40);
  Cleanup cleanup{configuration, system_pod};
  std::string output;
  ASSERT_EQ(kubectl("label namespace " + namespace_ + " secprov.io/injection=enabled", &output), 0)
      << output;
  start_operator("injector", {"--webhook-port", std::to_string(port), "--webhook-address",
                              "127.0.0.1", "--webhook-extra-ip-addresses", "127.0.0.1",
                              "--webhook-configuration-name", configuration});

  // As deploy/operator/mutating-webhook.yaml, with a url instead of the Service and limited
  // to this test: its namespace, and in kube-system only the Pod of this test (objectSelector).
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/mutate-pods";
  const std::string common =
      "  clientConfig:\n    url: " + url +
      "\n  rules:\n  - apiGroups: [\"\"]\n    apiVersions: [v1]\n"
      "    operations: [CREATE]\n    resources: [pods]\n    scope: Namespaced\n"
      "  failurePolicy: Fail\n  timeoutSeconds: 10\n  sideEffects: None\n"
      "  reinvocationPolicy: IfNeeded\n  admissionReviewVersions: [v1]\n";
  ASSERT_EQ(apply_yaml("apiVersion: admissionregistration.k8s.io/v1\n"
                       "kind: MutatingWebhookConfiguration\nmetadata:\n  name: " +
                           configuration +
                           "\n  labels:\n    app.kubernetes.io/managed-by: secprov\n"
                           "webhooks:\n- name: pods.inject.secprov.io\n" +
                           common +
                           "  namespaceSelector:\n    matchLabels:\n"
                           "      secprov.io/injection: enabled\n"
                           "      kubernetes.io/metadata.name: " +
                           namespace_ + "\n- name: system-pods.inject.secprov.io\n" + common +
                           "  namespaceSelector:\n    matchLabels:\n"
                           "      kubernetes.io/metadata.name: kube-system\n"
                           "  objectSelector:\n    matchLabels:\n      secprov-test: " +
                           namespace_.substr(0, 63) + "\n",
                       &output),
            0)
      << output;
  ASSERT_TRUE(eventually(
      [&] {
        const auto config = client_->get(kMutating, "", configuration);
        for (const auto& w : config["webhooks"]) {
          if (w["clientConfig"].value("caBundle", std::string{}).empty()) return false;
        }
        return true;
      },
      std::chrono::seconds(60)))
      << operators_[0]->log();

  ASSERT_EQ(apply_yaml("apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n"
                       "  name: amf\nspec:\n  nfType: AMF\n  selector:\n    matchLabels:\n"
                       "      app: amf\n  trustDomainRef:\n    name: " +
                           domain +
                           "\n  sbi:\n    tls:\n      mode: MutualTLS\n"
                           "  enabler:\n    mode: Sidecar\n    inbound:\n      port: 8080\n"
                           "      tlsPort: 8443\n",
                       &output),
            0)
      << output;

  // The operator's cache has the profile once a server-side dry run of a selected Pod comes
  // back injected (the real apiserver calling the webhook, nothing stored).
  const auto probe_file = cluster_paths().binary_dir / "it" / (namespace_ + "-probe-pod.yaml");
  std::ofstream(probe_file) << pod_yaml("probe", "    app: amf\n");
  ASSERT_TRUE(eventually(
      [&] {
        std::string dry;
        return kubectl("create --dry-run=server -o json -n " + namespace_ + " -f " +
                           probe_file.string(),
                       &dry) == 0 &&
               dry.find("secprov-enabler") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << operators_[0]->log();

  // A Deployment: the controller-manager creates its Pods, the apiserver calls the webhook.
  ASSERT_EQ(apply_yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: amf\n"
                       "spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: amf\n"
                       "  template:\n    metadata:\n      labels:\n        app: amf\n"
                       "    spec:\n      containers:\n      - name: amf\n"
                       "        image: registry.invalid/amf:1\n",
                       &output),
            0)
      << output;
  Json pod;
  ASSERT_TRUE(eventually(
      [&] {
        kube::ListOptions options;
        options.label_selector = "app=amf";
        const auto pods = client_->list(kube::resources::pods(), namespace_, options);
        if (pods.items.empty()) return false;
        pod = pods.items.front();
        return true;
      },
      std::chrono::seconds(60)))
      << "no Pod of the Deployment";
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");

  // Kubernetes >= 1.29: a native sidecar, the first init container, restartPolicy Always.
  const auto injected = enablers(pod);
  ASSERT_EQ(injected.size(), 1u) << pod.dump(2);
  const auto& init = pod["spec"]["initContainers"];
  ASSERT_FALSE(init.empty()) << pod.dump(2);
  EXPECT_EQ(init[0]["name"], "secprov-enabler");
  EXPECT_EQ(init[0]["restartPolicy"], "Always");
  EXPECT_EQ(init[0]["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(init[0]["ports"][0]["containerPort"], 8443);

  // Annotations: the profile, its generation, the digest of its rendered configuration.
  const auto stored = client_->get(kube::resources::security_profiles(), namespace_, "amf");
  const auto parsed = api::parse_security_profile(stored);
  ASSERT_TRUE(parsed.ok());
  const auto& annotations = pod["metadata"]["annotations"];
  EXPECT_EQ(annotations["secprov.io/profile"], "amf");
  EXPECT_EQ(annotations["secprov.io/profile-generation"],
            std::to_string(stored["metadata"]["generation"].get<std::int64_t>()));
  EXPECT_EQ(annotations["secprov.io/enabler-digest"],
            render::enabler_config_digest(*parsed));

  // The key alone from the TLS Secret, mode 0400; the mounts read-only.
  bool tls_volume = false;
  for (const auto& v : pod["spec"]["volumes"]) {
    if (v["name"] != "secprov-enabler-tls") continue;
    tls_volume = true;
    for (const auto& item : v["secret"]["items"]) {
      if (item["key"] == "tls.key") {
        EXPECT_EQ(item["mode"], 0400);
      }
    }
    EXPECT_EQ(v["secret"]["items"].size(), 2u);
  }
  EXPECT_TRUE(tls_volume) << pod.dump(2);
  for (const auto& m : init[0]["volumeMounts"]) {
    if (m["name"] != "secprov-enabler-run") {
      EXPECT_EQ(m.value("readOnly", false), true) << m;
    }
  }

  // The injected Pod created again (its spec as stored, defaults and all): nothing is added
  // twice, and the enabler is the same.
  Json again = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", "amf-again"},
                  {"labels", pod["metadata"]["labels"]},
                  {"annotations", pod["metadata"]["annotations"]}}},
                {"spec", pod["spec"]}};
  again["spec"].erase("nodeName");
  const auto created = client_->create(kube::resources::pods(), namespace_, again);
  ASSERT_EQ(enablers(created).size(), 1u) << created.dump(2);
  EXPECT_EQ(created["spec"]["initContainers"], pod["spec"]["initContainers"]);
  EXPECT_EQ(created["spec"]["volumes"].size(), pod["spec"]["volumes"].size());

  // Opted out: untouched.
  ASSERT_TRUE(eventually([&] {
    return apply_yaml(
               pod_yaml("amf-opted-out", "    app: amf\n", "    secprov.io/inject: \"false\"\n"),
               &output) == 0;
  })) << output;
  const auto opted = client_->get(kube::resources::pods(), namespace_, "amf-opted-out");
  EXPECT_TRUE(enablers(opted).empty()) << opted.dump(2);
  EXPECT_FALSE(opted["metadata"]["annotations"].contains("secprov.io/profile"));

  // kube-system: sent to the webhook (failurePolicy Fail: created means it answered), never
  // injected, even with the selected labels.
  ASSERT_EQ(apply_yaml(pod_yaml(system_pod, "    app: amf\n    secprov-test: " +
                                                namespace_.substr(0, 63) + "\n"),
                       &output, "kube-system"),
            0)
      << output;
  const auto system = client_->get(kube::resources::pods(), "kube-system", system_pod);
  EXPECT_TRUE(enablers(system).empty()) << system.dump(2);
}

}  // namespace
}  // namespace secprov::testing

// The Helm chart helm/secprov and the kustomize base deploy/operator against the real control
// plane: lint, server-side dry runs, the chart compared with the base, install / upgrade /
// uninstall, and the schema rejecting bad values. No kubelet runs, so the chart's operator Pods
// never start: these tests check what the API server accepts and stores, not a running Pod.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "operator_fixture.h"
#include "support/free_port.h"
#include "support/samples.h"

namespace secprov::testing {
namespace {

namespace fs = std::filesystem;
using kube::Json;

const fs::path& source_dir() {
  return cluster_paths().source_dir;
}
fs::path chart_dir() {
  return source_dir() / "helm" / "secprov";
}
fs::path helm_binary() {
  return source_dir() / "build" / "bin" / "helm";
}

// helm against the test control plane; stdout and stderr in `output`.
int helm(const std::string& args, std::string* output = nullptr) {
  return run_command(helm_binary().string() + " --kubeconfig " +
                         cluster_paths().admin_kubeconfig.string() + " " + args,
                     output);
}

std::string kubectl_command() {
  return cluster_paths().kubectl.string() + " --kubeconfig " +
         cluster_paths().admin_kubeconfig.string();
}

// A scratch directory of this test.
fs::path scratch(const std::string& name) {
  const auto dir = cluster_paths().binary_dir / "it" / "helm" / name;
  fs::create_directories(dir);
  return dir;
}

// The objects of a YAML stream (a file), as the API server's types see them: kubectl parses
// them (client-side dry run, so nothing is created) and prints JSON. Warnings go to stderr,
// kept out of the JSON.
std::vector<Json> objects_of(const fs::path& yaml_file) {
  const auto json_file = fs::path(yaml_file).replace_extension(".json");
  std::string output;
  const int rc = run_command(kubectl_command() + " create --dry-run=client -o json -f " +
                                 yaml_file.string() + " > " + json_file.string(),
                             &output);
  if (rc != 0) throw std::runtime_error("kubectl create --dry-run=client failed: " + output);
  // One JSON document per object, one after the other.
  std::istringstream stream(read_text(json_file));
  std::vector<Json> objects;
  while ((stream >> std::ws).peek() != std::char_traits<char>::eof()) {
    Json object;
    stream >> object;
    if (object.value("kind", "") == "List") {
      for (const auto& item : object["items"]) objects.push_back(item);
    } else {
      objects.push_back(std::move(object));
    }
  }
  return objects;
}

// `helm template` of the chart into a file; extra helm arguments (--set ...) appended.
fs::path render_chart(const fs::path& dir, const std::string& ns, const std::string& extra = {}) {
  const auto file = dir / "chart.yaml";
  std::string output;
  const int rc = run_command(helm_binary().string() + " template secprov " + chart_dir().string() +
                                 " --namespace " + ns + " " + extra + " > " + file.string(),
                             &output);
  if (rc != 0) throw std::runtime_error("helm template failed: " + output);
  return file;
}

fs::path build_kustomization(const fs::path& dir, const std::string& kustomization) {
  const auto file = dir / "kustomize.yaml";
  std::string output;
  const int rc = run_command(kubectl_command() + " kustomize " +
                                 (source_dir() / kustomization).string() + " > " + file.string(),
                             &output);
  if (rc != 0) throw std::runtime_error("kubectl kustomize failed: " + output);
  return file;
}

std::string key_of(const Json& object) {
  const auto& meta = object["metadata"];
  return object.value("kind", "") + " " + meta.value("namespace", "") + "/" +
         meta.value("name", "");
}

const Json* find_object(const std::vector<Json>& objects, const std::string& kind,
                        const std::string& name) {
  for (const auto& object : objects) {
    if (object.value("kind", "") == kind && object["metadata"].value("name", "") == name) {
      return &object;
    }
  }
  return nullptr;
}

// RBAC rules without order: each rule's lists sorted, then the rules sorted.
Json normalized_rules(const Json& role) {
  std::vector<Json> rules;
  for (auto rule : role.value("rules", Json::array())) {
    for (auto& [field, value] : rule.items()) {
      if (value.is_array()) {
        auto items = value.get<std::vector<std::string>>();
        std::sort(items.begin(), items.end());
        value = items;
      }
    }
    rules.push_back(rule);
  }
  std::sort(rules.begin(), rules.end(),
            [](const Json& a, const Json& b) { return a.dump() < b.dump(); });
  return rules;
}

std::vector<std::string> container_args(const Json& deployment) {
  return deployment["spec"]["template"]["spec"]["containers"][0]["args"]
      .get<std::vector<std::string>>();
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

bool exists(const std::string& what) {
  return kubectl("get " + what) == 0;
}

Json get_json(const std::string& what) {
  const auto file = scratch("get") / "object.json";
  std::string output;
  if (run_command(kubectl_command() + " get " + what + " -o json > " + file.string(), &output) !=
      0) {
    throw std::runtime_error("kubectl get " + what + " failed: " + output);
  }
  return Json::parse(read_text(file));
}

}  // namespace

// The chart's CRDs are a byte-equal copy of crds/, the single source (templates/crds.yaml
// renders them so that helm upgrade updates them).
TEST(HelmChartTest, CrdCopyIsCurrent) {
  const auto copy_dir = chart_dir() / "files" / "crds";
  std::set<std::string> sources;
  for (const auto& entry : fs::directory_iterator(source_dir() / "crds")) {
    const auto name = entry.path().filename().string();
    sources.insert(name);
    ASSERT_TRUE(fs::exists(copy_dir / name))
        << "helm/secprov/files/crds/" << name << " is missing: cp crds/*.yaml "
        << "helm/secprov/files/crds/";
    EXPECT_EQ(read_text(entry.path()), read_text(copy_dir / name))
        << "helm/secprov/files/crds/" << name << " differs from crds/" << name
        << ": cp crds/*.yaml helm/secprov/files/crds/";
  }
  for (const auto& entry : fs::directory_iterator(copy_dir)) {
    EXPECT_TRUE(sources.count(entry.path().filename().string()))
        << "helm/secprov/files/crds/" << entry.path().filename() << " is not in crds/";
  }
  EXPECT_EQ(sources.size(), 2u);
}

// Every leaf value of values.yaml is documented in helm/secprov/README.md, and nothing
// documented is gone (tests/tools/helm/values-doc.py --check).
TEST(HelmChartTest, ValuesAreDocumented) {
  std::string output;
  EXPECT_EQ(run_command("python3 " + (source_dir() / "tests/tools/helm/values-doc.py").string() +
                            " --check",
                        &output),
            0)
      << output;
}

TEST(HelmChartTest, Lints) {
  ASSERT_TRUE(fs::exists(helm_binary())) << "run tests/tools/helm/build.sh";
  std::string output;
  EXPECT_EQ(run_command(helm_binary().string() + " lint --strict " + chart_dir().string(), &output),
            0)
      << output;
  // The same with the other shapes of the chart.
  EXPECT_EQ(
      run_command(helm_binary().string() + " lint --strict " + chart_dir().string() +
                      " --set 'watchNamespaces={a,b}' --set networkPolicy.enabled=true"
                      " --set webhook.enabled=false --set metrics.serviceMonitor.enabled=true",
                  &output),
      0)
      << output;
}

// The CRDs are templated (so helm upgrade updates them), kept on uninstall by default, and
// left out with crds.install=false.
TEST(HelmChartTest, CrdsFollowValues) {
  ASSERT_TRUE(fs::exists(helm_binary())) << "run tests/tools/helm/build.sh";
  const auto crds = [](const std::string& values, std::string* output) {
    return run_command(helm_binary().string() + " template secprov " + chart_dir().string() +
                           " --show-only templates/crds.yaml " + values,
                       output);
  };
  std::string output;
  ASSERT_EQ(crds("", &output), 0) << output;
  EXPECT_NE(output.find("name: securityprofiles.secprov.io"), std::string::npos);
  EXPECT_NE(output.find("name: trustdomains.secprov.io"), std::string::npos);
  EXPECT_NE(output.find("helm.sh/resource-policy: keep"), std::string::npos);
  ASSERT_EQ(crds("--set crds.keep=false", &output), 0) << output;
  EXPECT_NE(output.find("name: securityprofiles.secprov.io"), std::string::npos);
  EXPECT_EQ(output.find("helm.sh/resource-policy"), std::string::npos) << output;
  EXPECT_NE(crds("--set crds.install=false", &output), 0);
  EXPECT_NE(output.find("could not find template templates/crds.yaml"), std::string::npos)
      << output;
}

class HelmClusterTest : public OperatorTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(helm_binary())) << "run tests/tools/helm/build.sh";
    OperatorTest::SetUp();
    dir_ = scratch(namespace_);
  }

  // Objects of the chart outside the release namespace that exist without this release (the
  // CRDs applied by `kubectl apply -f crds/`, RBAC left by an earlier test) are adopted into
  // it, as helm/secprov/README.md tells users to; helm refuses to take them over otherwise.
  void adopt_shared_objects(const std::string& release, const std::string& values) {
    for (const auto& object : objects_of(render_chart(dir_, namespace_, values))) {
      const auto ns = object["metadata"].value("namespace", "");
      if (ns == namespace_) continue;
      const auto what = object["kind"].get<std::string>() + "/" +
                        object["metadata"]["name"].get<std::string>() +
                        (ns.empty() ? "" : " -n " + ns);
      if (!exists(what)) continue;
      ASSERT_EQ(kubectl("label --overwrite " + what + " app.kubernetes.io/managed-by=Helm"), 0);
      ASSERT_EQ(kubectl("annotate --overwrite " + what + " meta.helm.sh/release-name=" + release +
                        " meta.helm.sh/release-namespace=" + namespace_),
                0);
    }
  }

  fs::path dir_;
};

// helm template of the defaults and of the other shapes, applied with a server-side dry run:
// the API server accepts every object (schemas, admission) without creating any.
TEST_F(HelmClusterTest, TemplateAppliesWithServerDryRun) {
  const std::vector<std::string> shapes = {
      "",
      "--set watchNamespaces={" + namespace_ +
          "} --set networkPolicy.enabled=true "
          "--set networkPolicy.apiServerCidrs={10.0.0.0/8} --set logLevel=debug --set "
          "logFormat=text",
      "--set webhook.enabled=false --set podDisruptionBudget.enabled=false "
      "--set serviceAccount.create=false --set serviceAccount.name=custom --set crlBaseUrl=none",
  };
  for (const auto& shape : shapes) {
    std::string output;
    const auto file = render_chart(dir_, namespace_, shape);
    EXPECT_EQ(
        run_command(kubectl_command() + " apply --dry-run=server -f " + file.string(), &output), 0)
        << shape << "\n"
        << output;
  }
  // With webhooks off: no webhook port in the NetworkPolicy, no configurations, no Service.
  const auto with_policy = objects_of(render_chart(
      dir_, namespace_, "--set networkPolicy.enabled=true --set webhook.enabled=false"));
  const auto* policy = find_object(with_policy, "NetworkPolicy", "secprov-operator");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->dump().find("9443"), std::string::npos) << "no webhook port when disabled";
  EXPECT_EQ(find_object(with_policy, "ValidatingWebhookConfiguration", "secprov"), nullptr);
  EXPECT_EQ(find_object(with_policy, "Service", "secprov-webhook"), nullptr);
  EXPECT_TRUE(contains(container_args(*find_object(with_policy, "Deployment", "secprov-operator")),
                       "--webhook-port=0"));
  // A ServiceMonitor only when asked (its CRD is the Prometheus Operator's, not installed
  // here: rendered, not applied).
  std::string rendered;
  ASSERT_EQ(helm("template secprov " + chart_dir().string() +
                     " --set metrics.serviceMonitor.enabled=true --show-only "
                     "templates/servicemonitor.yaml",
                 &rendered),
            0)
      << rendered;
  EXPECT_NE(rendered.find("kind: ServiceMonitor"), std::string::npos) << rendered;
  EXPECT_EQ(
      find_object(objects_of(render_chart(dir_, namespace_)), "ServiceMonitor", "secprov-operator"),
      nullptr);
}

// The kustomize base and the samples overlay, with a server-side dry run. The base's objects
// live in secprov-system, which the dry run does not create: it is made for the test when
// missing.
TEST_F(HelmClusterTest, KustomizeBaseAppliesWithServerDryRun) {
  const bool made = !exists("namespace secprov-system");
  if (made) {
    ASSERT_EQ(kubectl("create namespace secprov-system"), 0);
  }
  std::string output;
  EXPECT_EQ(kubectl("apply -k " + (source_dir() / "deploy/operator").string() + " --dry-run=server",
                    &output),
            0)
      << output;
  if (made) kubectl("delete namespace secprov-system --wait=false");
  // The overlay: the base plus every sample (namespace 5gc, the TrustDomain, six profiles),
  // none of deploy/samples/invalid.
  const auto overlay = objects_of(build_kustomization(dir_, "deploy/samples"));
  const auto base = objects_of(build_kustomization(dir_, "deploy/operator"));
  EXPECT_EQ(overlay.size(), base.size() + 8);
  EXPECT_NE(find_object(overlay, "TrustDomain", "mnc001-mcc001"), nullptr);
  EXPECT_NE(find_object(overlay, "SecurityProfile", "sepp"), nullptr);
  EXPECT_NE(find_object(overlay, "Deployment", "secprov-operator"), nullptr);
}

// The chart's defaults and the kustomize base make the same objects (kinds, namespaces,
// names) and grant the same RBAC rules to the same subject. Left out: the base's Namespace
// (helm install --create-namespace makes it) and the chart's CRDs (applied from crds/ before
// the base; CrdCopyIsCurrent ties them to it).
TEST_F(HelmClusterTest, ChartMatchesKustomizeBase) {
  const auto chart = objects_of(render_chart(dir_, "secprov-system"));
  const auto base = objects_of(build_kustomization(dir_, "deploy/operator"));
  std::set<std::string> chart_keys, base_keys;
  for (const auto& object : chart) {
    if (object["kind"] != "CustomResourceDefinition") chart_keys.insert(key_of(object));
  }
  for (const auto& object : base) {
    if (object["kind"] != "Namespace") base_keys.insert(key_of(object));
  }
  EXPECT_EQ(chart_keys, base_keys);

  for (const auto& object : base) {
    const auto kind = object["kind"].get<std::string>();
    const auto name = object["metadata"]["name"].get<std::string>();
    const Json* twin = nullptr;
    for (const auto& candidate : chart) {
      if (key_of(candidate) == key_of(object)) twin = &candidate;
    }
    if (twin == nullptr) continue;  // reported above
    if (kind == "Role" || kind == "ClusterRole") {
      EXPECT_EQ(normalized_rules(*twin), normalized_rules(object)) << key_of(object);
    }
    if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
      EXPECT_EQ((*twin)["roleRef"], object["roleRef"]) << key_of(object);
      EXPECT_EQ((*twin)["subjects"], object["subjects"]) << key_of(object);
    }
    if (kind == "Deployment") {
      // Every flag of the base, with the same value, in the chart's (which adds the defaults
      // it makes explicit, e.g. --log-level=info).
      const auto chart_args = container_args(*twin);
      for (const auto& arg : container_args(object)) {
        EXPECT_TRUE(contains(chart_args, arg)) << arg << " missing from the chart's Deployment";
      }
      EXPECT_EQ((*twin)["spec"]["replicas"], object["spec"]["replicas"]);
    }
    if (kind == "ValidatingWebhookConfiguration" || kind == "MutatingWebhookConfiguration") {
      // Compared whole: names, rules, policies, selectors, the Service.
      EXPECT_EQ((*twin)["webhooks"], object["webhooks"]) << key_of(object);
      EXPECT_EQ((*twin)["metadata"]["labels"]["app.kubernetes.io/managed-by"], "secprov");
    }
  }
}

// Bad values fail helm install with the schema's message naming the value; nothing is
// installed.
TEST_F(HelmClusterTest, BadValuesFailInstall) {
  struct Case {
    std::string set;
    std::string message;
    bool schema = true;  // the schema's message, or the chart's own check
  };
  const std::vector<Case> cases = {
      {"--set replicaCount=-1", "at '/replicaCount': minimum: got -1, want 0"},
      {"--set logLevel=loud",
       "at '/logLevel': value must be one of 'trace', 'debug', 'info', 'warn', 'error'"},
      {"--set-string replicaCount=two", "at '/replicaCount': got string, want integer"},
      {"--set noSuchValue=1", "additional properties 'noSuchValue' not allowed"},
      {"--set workers=0", "at '/workers': minimum: got 0, want 1"},
      {"--set replicaCount=3 --set leaderElection.enabled=false",
       "replicaCount > 1 needs leaderElection.enabled", false},
  };
  for (const auto& c : cases) {
    std::string output;
    EXPECT_NE(
        helm("install bad " + chart_dir().string() + " --namespace " + namespace_ + " " + c.set,
             &output),
        0)
        << c.set;
    if (c.schema) {
      EXPECT_NE(output.find("values don't meet the specifications of the schema"),
                std::string::npos)
          << output;
    }
    EXPECT_NE(output.find(c.message), std::string::npos) << c.set << ":\n" << output;
  }
  std::string releases;
  ASSERT_EQ(helm("list --all --short --namespace " + namespace_, &releases), 0) << releases;
  EXPECT_EQ(releases, "");
  EXPECT_FALSE(exists("deployment secprov-operator -n " + namespace_));
}

// helm install into the test's namespace, helm upgrade with changed values, helm uninstall:
// the CRDs and the user's SecurityProfile stay. No kubelet: the operator Pods never run, so
// no replica answers the webhooks; the release sets webhook.failurePolicy=Ignore so that the
// profile is admitted without them (with Fail, the API server would refuse it).
TEST_F(HelmClusterTest, InstallUpgradeUninstall) {
  const std::string release = "secprov";
  // A name of its own: another test's leftover "secprov" configurations do not collide.
  const std::string configuration = namespace_;
  const std::string values =
      "--set webhook.failurePolicy=Ignore --set webhook.configurationName=" + configuration;
  adopt_shared_objects(release, values);
  std::string output;
  ASSERT_EQ(helm("install " + release + " " + chart_dir().string() + " --namespace " + namespace_ +
                     " " + values,
                 &output),
            0)
      << output;

  auto deployment = get_json("deployment secprov-operator -n " + namespace_);
  EXPECT_EQ(deployment["spec"]["replicas"], 2);
  auto args = container_args(deployment);
  EXPECT_TRUE(contains(args, "--log-level=info"));
  EXPECT_TRUE(contains(args, "--namespace=" + namespace_));
  EXPECT_TRUE(contains(args, "--webhook-configuration-name=" + configuration));
  EXPECT_TRUE(contains(args, "--leader-elect"));
  EXPECT_TRUE(contains(args, "--workers=2"));
  EXPECT_TRUE(contains(args, "--io-threads=2"));
  EXPECT_TRUE(contains(args, "--resync-period=36000"));
  EXPECT_TRUE(exists("serviceaccount secprov-operator -n " + namespace_));
  EXPECT_TRUE(exists("poddisruptionbudget secprov-operator -n " + namespace_));
  EXPECT_TRUE(exists("service secprov-webhook -n " + namespace_));
  EXPECT_TRUE(exists("clusterrole secprov-operator-all-namespaces"));
  const auto validating = get_json("validatingwebhookconfiguration " + configuration);
  // Helm labels every object it installs app.kubernetes.io/managed-by=Helm, over the chart's
  // "secprov"; the label the operator also accepts stays.
  EXPECT_EQ(validating["metadata"]["labels"]["app.kubernetes.io/managed-by"], "Helm");
  EXPECT_EQ(validating["metadata"]["labels"]["secprov.io/inject-ca-bundle"], "true");
  EXPECT_EQ(validating["webhooks"][0]["failurePolicy"], "Ignore");
  EXPECT_EQ(validating["webhooks"][0]["clientConfig"]["service"]["namespace"], namespace_);
  const auto mutating = get_json("mutatingwebhookconfiguration " + configuration);
  EXPECT_EQ(mutating["webhooks"][0]["namespaceSelector"]["matchLabels"]["secprov.io/injection"],
            "enabled");
  for (const std::string crd : {"securityprofiles.secprov.io", "trustdomains.secprov.io"}) {
    const auto object = get_json("crd " + crd);
    EXPECT_EQ(object["metadata"]["annotations"]["helm.sh/resource-policy"], "keep") << crd;
    EXPECT_EQ(object["metadata"]["annotations"]["meta.helm.sh/release-namespace"], namespace_);
  }

  // The operator (a process here: no kubelet runs the chart's Pods) injects its caBundle into
  // the chart's webhook configurations, although Helm relabelled them managed-by=Helm.
  const auto port = free_loopback_port();
  start_operator("helm", {"--webhook-port", std::to_string(port), "--webhook-address", "127.0.0.1",
                          "--webhook-extra-ip-addresses", "127.0.0.1",
                          "--webhook-configuration-name", configuration});
  const auto bundle = [&](const std::string& kind) {
    return get_json(kind + " " + configuration)["webhooks"][0]["clientConfig"].value("caBundle",
                                                                                     std::string{});
  };
  ASSERT_TRUE(eventually(
      [&] {
        return !bundle("validatingwebhookconfiguration").empty() &&
               !bundle("mutatingwebhookconfiguration").empty();
      },
      std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto injected = bundle("validatingwebhookconfiguration");

  // The user's profile, admitted with no webhook answering (failurePolicy Ignore).
  const auto profile_yaml =
      localized(read_text(source_dir() / "deploy/samples/nrf.yaml"), "mnc001-mcc001", "helm-it");
  ASSERT_EQ(apply_yaml(profile_yaml, &output), 0) << output;

  // Upgrade: values change, and the CRDs are the release's like any object (a drifted label
  // of a CRD is put back, so a newer chart's CRD would be applied the same way).
  ASSERT_EQ(kubectl("label --overwrite crd securityprofiles.secprov.io "
                    "app.kubernetes.io/name=drifted"),
            0);
  ASSERT_EQ(helm("upgrade " + release + " " + chart_dir().string() + " --namespace " + namespace_ +
                     " --reuse-values --set replicaCount=3 --set logLevel=debug --set workers=4",
                 &output),
            0)
      << output;
  deployment = get_json("deployment secprov-operator -n " + namespace_);
  EXPECT_EQ(deployment["spec"]["replicas"], 3);
  args = container_args(deployment);
  EXPECT_TRUE(contains(args, "--log-level=debug"));
  EXPECT_FALSE(contains(args, "--log-level=info"));
  EXPECT_TRUE(contains(args, "--workers=4"));
  EXPECT_EQ(
      get_json("validatingwebhookconfiguration " + configuration)["webhooks"][0]["failurePolicy"],
      "Ignore")
      << "--reuse-values keeps the install's values";
  // The upgrade leaves the operator's caBundle alone (the template has none).
  EXPECT_EQ(bundle("validatingwebhookconfiguration"), injected);
  EXPECT_FALSE(bundle("mutatingwebhookconfiguration").empty());
  EXPECT_EQ(
      get_json("crd securityprofiles.secprov.io")["metadata"]["labels"]["app.kubernetes.io/name"],
      "secprov");

  // Uninstall: the release's objects go, the CRDs and the profile stay.
  ASSERT_EQ(helm("uninstall " + release + " --namespace " + namespace_, &output), 0) << output;
  EXPECT_NE(output.find("kept due to the resource policy"), std::string::npos) << output;
  EXPECT_TRUE(eventually([&] { return !exists("deployment secprov-operator -n " + namespace_); }));
  EXPECT_FALSE(exists("validatingwebhookconfiguration " + configuration));
  EXPECT_FALSE(exists("mutatingwebhookconfiguration " + configuration));
  EXPECT_FALSE(exists("clusterrole secprov-operator-all-namespaces"));
  EXPECT_FALSE(exists("serviceaccount secprov-operator -n " + namespace_));
  EXPECT_TRUE(exists("crd securityprofiles.secprov.io"));
  EXPECT_TRUE(exists("crd trustdomains.secprov.io"));
  EXPECT_TRUE(exists("securityprofile nrf -n " + namespace_));
  EXPECT_EQ(
      kubectl("wait --for=condition=Established --timeout=30s crd/securityprofiles.secprov.io"), 0);
}

}  // namespace secprov::testing

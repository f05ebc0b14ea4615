// Issue 10, "RBAC proof": the operator runs with a token of the Helm chart's own ServiceAccount,
// bound by exactly the RBAC the chart renders (helm template --show-only templates/rbac.yaml),
// and passes the profile scenarios, webhooks included. Then each grant of the chart is removed
// in turn, and the operator's own log (or, for a rollout, its Event) shows the specific request
// the apiserver refused. Last, what the token can read of Secrets the operator does not manage.
//
// Not shown here, and why:
// - securityprofiles/finalizers and trustdomains/finalizers (update): only checked by the
//   OwnerReferencesPermissionEnforcement admission plugin (blockOwnerDeletion on generated
//   objects), which the test control plane, like upstream kube-apiserver by default, does not
//   enable; without it nothing the operator does is refused.
// - statefulsets get/patch: the same rule as deployments (one verb list for both), shown with
//   a Deployment (no StatefulSet controller runs here); validatingwebhookconfigurations: the
//   same rules as mutatingwebhookconfigurations, whose refusal comes first.
// A grant the chart renders that no case removes and that is not named here fails the test.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "operator_fixture.h"
#include "support/free_port.h"
#include "support/webhook_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;

const kube::ResourceType kValidating{"admissionregistration.k8s.io", "v1",
                                     "validatingwebhookconfigurations",
                                     "ValidatingWebhookConfiguration", false};
const kube::ResourceType kMutating{"admissionregistration.k8s.io", "v1",
                                   "mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
                                   false};
const kube::ResourceType kDeployments{"apps", "v1", "deployments", "Deployment", true};

const std::string kInstanceId = "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31";

std::filesystem::path helm_binary() {
  return cluster_paths().source_dir / "build/bin/helm";
}
std::filesystem::path chart_dir() {
  return cluster_paths().source_dir / "helm/secprov";
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// stdout alone (kubectl and helm warn on stderr).
int run_stdout(const std::string& command, std::string* output) {
  return run_command("( " + command + " ) 2>/dev/null", output);
}

std::string kubectl_command() {
  return cluster_paths().kubectl.string() + " --kubeconfig " +
         cluster_paths().admin_kubeconfig.string();
}

// Every denial the apiserver words for this ServiceAccount, e.g. `User
// "system:serviceaccount:ns:secprov-operator" cannot create resource "secrets" in API group ""
// in the namespace "ns"`.
std::string denial(const std::string& user, const std::string& verb, const std::string& resource,
                   const std::string& group, const std::string& ns) {
  return "User \"" + user + "\" cannot " + verb + " resource \"" + resource + "\" in API group \"" +
         group + "\"" +
         (ns.empty() ? std::string(" at the cluster scope") : " in the namespace \"" + ns + "\"");
}

std::string profile_yaml(const std::string& name, const std::string& domain,
                         const std::string& extra_spec = {}) {
  return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
         "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels:\n      app: " + name +
         "\n  trustDomainRef:\n    name: " + domain + "\n" + extra_spec;
}

const std::string kSidecar =
    "  sbi:\n    tls:\n      mode: MutualTLS\n"
    "  enabler:\n    mode: Sidecar\n    rollout: Restart\n    inbound:\n      port: 8080\n"
    "      tlsPort: 8443\n";

class RbacProofTest : public OperatorTest {
 protected:
  void SetUp() override {
    OperatorTest::SetUp();
    if (!std::filesystem::exists(helm_binary())) {
      GTEST_SKIP() << helm_binary() << " is missing: tests/tools/helm/build.sh builds it";
    }
    served_ = namespace_ + "-srv";
    unserved_ = namespace_ + "-oth";
    for (const auto& ns : {served_, unserved_}) {
      client_->create(resources::namespaces(), "",
                      {{"apiVersion", "v1"},
                       {"kind", "Namespace"},
                       {"metadata", {{"name", ns}, {"labels", {{"secprov.io/test", "true"}}}}}});
    }
    configuration_ = "secprov-" + namespace_;
  }

  void TearDown() override {
    OperatorTest::TearDown();  // stops the operators first
    kubectl("delete validatingwebhookconfiguration " + configuration_ + " --ignore-not-found");
    kubectl("delete mutatingwebhookconfiguration " + configuration_ + " --ignore-not-found");
    if (!rbac_file_.empty()) kubectl("delete --ignore-not-found --wait=false -f " + rbac_file_);
    for (const auto& domain : domains_) kubectl("delete trustdomain " + domain + " --wait=false");
    if (!system_secret_.empty()) {
      kubectl("delete secret -n kube-system " + system_secret_ + " --ignore-not-found");
    }
    for (const auto& ns : {served_, unserved_}) {
      if (ns.empty()) continue;
      // Profiles left mid-finalization by a case without a grant: let the namespace go.
      try {
        for (const auto& p : client_->list(resources::security_profiles(), ns).items) {
          client_->merge_patch(resources::security_profiles(), ns,
                               p["metadata"].value("name", std::string{}),
                               {{"metadata", {{"finalizers", nullptr}}}});
        }
        client_->remove(resources::namespaces(), "", ns);
      } catch (const kube::ApiError&) {
      }
    }
  }

  // The chart's RBAC (and its ServiceAccount, when the chart has that template) rendered with
  // this test's namespace as the release namespace, as a kubectl List.
  Json render_chart(const std::vector<std::string>& sets) {
    const auto dir = cluster_paths().binary_dir / "it";
    const auto yaml = dir / (namespace_ + "-chart-rbac.yaml");
    std::string command = helm_binary().string() + " template secprov " + chart_dir().string() +
                          " --namespace " + namespace_ + " --show-only templates/rbac.yaml";
    if (std::filesystem::exists(chart_dir() / "templates/serviceaccount.yaml")) {
      command += " --show-only templates/serviceaccount.yaml";
    }
    for (const auto& set : sets) command += " --set '" + set + "'";
    std::string output;
    EXPECT_EQ(run_command(command + " > " + yaml.string(), &output), 0) << output;
    std::string json;
    EXPECT_EQ(run_stdout(kubectl_command() + " create --dry-run=client -o json -f " + yaml.string(),
                         &json),
              0)
        << json;
    // One JSON document per object.
    Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
    std::istringstream in(json);
    while ((in >> std::ws).peek() != std::char_traits<char>::eof()) {
      Json object;
      in >> object;
      list["items"].push_back(std::move(object));
    }
    return list;
  }

  // Applies the rendered List (kubectl apply replaces a Role's rules as a whole).
  void apply_rbac(const Json& list) {
    rbac_file_ = (cluster_paths().binary_dir / "it" / (namespace_ + "-rbac.json")).string();
    std::ofstream(rbac_file_) << list.dump();
    std::string output;
    ASSERT_EQ(kubectl("apply -f " + rbac_file_, &output), 0) << output;
  }

  // The ServiceAccount the rendered bindings name (created when the chart has no template).
  void find_service_account(const Json& list) {
    bool templated = false;
    for (const auto& item : list["items"]) {
      if (item["kind"] == "ServiceAccount") templated = true;
      if (item["kind"] == "RoleBinding" && item["metadata"]["namespace"] == namespace_) {
        service_account_ = item["subjects"][0]["name"].get<std::string>();
      }
    }
    ASSERT_FALSE(service_account_.empty()) << list.dump(2);
    user_ = "system:serviceaccount:" + namespace_ + ":" + service_account_;
    if (!templated) kubectl("create serviceaccount -n " + namespace_ + " " + service_account_);
  }

  // A kubeconfig holding a token of the chart's ServiceAccount (kubectl create token).
  std::filesystem::path token_kubeconfig() {
    std::string token, server, ca;
    EXPECT_EQ(run_stdout(kubectl_command() + " create token " + service_account_ + " -n " +
                             namespace_ + " --duration=2h",
                         &token),
              0)
        << token;
    run_stdout(kubectl_command() +
                   " config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}'",
               &server);
    run_stdout(kubectl_command() +
                   " config view --raw --minify -o "
                   "jsonpath='{.clusters[0].cluster.certificate-authority-data}'",
               &ca);
    const auto file = cluster_paths().binary_dir / "it" / (namespace_ + "-chart-sa.kubeconfig");
    std::ofstream(file) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                           "    server: "
                        << trimmed(server) << "\n    certificate-authority-data: " << trimmed(ca)
                        << "\nusers:\n- name: u\n  user:\n    token: " << trimmed(token)
                        << "\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
                           "current-context: x\n";
    return file;
  }

  std::vector<std::string> operator_flags(const std::string& watch) const {
    auto flags = loopback_webhook_flags(webhook_port_, configuration_);
    flags.insert(flags.begin(), {"--leader-elect", "--watch-namespaces=" + watch});
    return flags;
  }

  // As start_operator_as, without waiting for readiness: a missing grant may keep a cache
  // from ever syncing.
  ChildProcess& launch(const std::filesystem::path& kubeconfig, const std::string& identity,
                       const std::vector<std::string>& extra) {
    const int port = free_loopback_port();
    std::vector<std::string> argv = {cluster_paths().operator_binary.string(),
                                     "--kubeconfig",
                                     kubeconfig.string(),
                                     "--namespace",
                                     namespace_,
                                     "--identity",
                                     identity,
                                     "--probe-address",
                                     "127.0.0.1",
                                     "--probe-port",
                                     std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    operators_.push_back(std::make_unique<ChildProcess>(
        argv, cluster_paths().binary_dir / "it" / "logs" / (namespace_ + "-" + identity + ".log")));
    ports_.push_back(port);
    return *operators_.back();
  }

  void stop(ChildProcess& process) {
    process.signal(SIGTERM);
    process.wait_for(std::chrono::seconds(15));
  }

  // The webhook configurations as the chart makes them (labelled managed-by=secprov, named
  // by webhook.configurationName), with a url to the local port instead of the Service,
  // matching only namespaces with the label `selector`=true.
  void apply_webhook_configurations(const std::string& selector) {
    const std::string base = "https://127.0.0.1:" + std::to_string(webhook_port_);
    const std::string common =
        "  failurePolicy: Fail\n  sideEffects: None\n  timeoutSeconds: 10\n"
        "  admissionReviewVersions: [v1]\n  namespaceSelector:\n    matchLabels:\n      " +
        selector + ": \"true\"\n";
    std::string output;
    ASSERT_EQ(apply_yaml("apiVersion: admissionregistration.k8s.io/v1\n"
                         "kind: ValidatingWebhookConfiguration\nmetadata:\n  name: " +
                             configuration_ +
                             "\n  labels:\n    app.kubernetes.io/managed-by: secprov\n"
                             "webhooks:\n- name: securityprofiles.secprov.io\n"
                             "  clientConfig:\n    url: " +
                             base +
                             "/validate-securityprofile\n"
                             "  rules:\n  - apiGroups: [secprov.io]\n"
                             "    apiVersions: [v1alpha1]\n    operations: [CREATE, UPDATE]\n"
                             "    resources: [securityprofiles]\n" +
                             common,
                         &output),
              0)
        << output;
    ASSERT_EQ(apply_yaml("apiVersion: admissionregistration.k8s.io/v1\n"
                         "kind: MutatingWebhookConfiguration\nmetadata:\n  name: " +
                             configuration_ +
                             "\n  labels:\n    app.kubernetes.io/managed-by: secprov\n"
                             "webhooks:\n- name: pods.inject.secprov.io\n"
                             "  clientConfig:\n    url: " +
                             base +
                             "/mutate-pods\n"
                             "  rules:\n  - apiGroups: [\"\"]\n    apiVersions: [v1]\n"
                             "    operations: [CREATE]\n    resources: [pods]\n"
                             "  reinvocationPolicy: IfNeeded\n" +
                             common,
                         &output),
              0)
        << output;
  }

  bool ca_bundles_injected() {
    for (const auto& type : {kValidating, kMutating}) {
      const auto config = client_->get(type, "", configuration_);
      if (config["webhooks"][0]["clientConfig"].value("caBundle", std::string{}).empty()) {
        return false;
      }
    }
    return true;
  }

  std::string new_trust_domain(const std::string& suffix) {
    const auto name = ("td-" + namespace_).substr(0, 50) + "-" + suffix;
    std::string output;
    EXPECT_EQ(apply_yaml(
                  "apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " + name +
                      "\nspec:\n  domain: 5gc.mnc001.mcc001.3gppnetwork.org\n  country: FR\n"
                      "  ca:\n    generate:\n      keyAlgorithm: ECDSA-P256\n",
                  &output),
              0)
        << output;
    domains_.push_back(name);
    return name;
  }

  std::string condition(const kube::ResourceType& type, const std::string& ns,
                        const std::string& name, const std::string& condition_type) {
    try {
      const auto object = client_->get(type, ns, name);
      for (const auto& c :
           object.value("status", Json::object()).value("conditions", Json::array())) {
        if (c["type"] == condition_type) return c.value("status", "");
      }
    } catch (const kube::ApiError&) {
    }
    return "";
  }

  bool ready(const std::string& ns, const std::string& profile) {
    return condition(resources::security_profiles(), ns, profile, "Ready") == "True";
  }

  bool exists(const kube::ResourceType& type, const std::string& ns, const std::string& name) {
    try {
      client_->get(type, ns, name);
      return true;
    } catch (const kube::ApiError& e) {
      if (kube::is_not_found(e)) return false;
      throw;
    }
  }

  // `kubectl auth can-i` as the ServiceAccount (the admin impersonates it).
  bool can_i(const std::string& args) {
    std::string output;
    run_stdout(kubectl_command() + " auth can-i " + args + " --as=" + user_, &output);
    return trimmed(output) == "yes";
  }

  // Messages of the Events in `ns` (where a rollout reports a refused request).
  std::string event_messages(const std::string& ns) {
    std::string text;
    for (const auto& e : client_->list(resources::events(), ns).items) {
      text += e.value("message", std::string{}) + "\n";
    }
    return text;
  }

  static bool forbidden(const std::function<void()>& call) {
    try {
      call();
      return false;
    } catch (const kube::ApiError& e) {
      return e.kind() == kube::ErrorKind::Forbidden;
    }
  }

  std::string served_;
  std::string unserved_;
  std::string configuration_;
  std::string rbac_file_;
  std::string service_account_;
  std::string user_;
  std::string system_secret_;
  std::vector<std::string> domains_;
  int webhook_port_ = free_loopback_port();
};

// The default values (watchNamespaces: [], webhooks on): TrustDomain Ready, a profile Ready
// with its Secret and ConfigMap, the validating webhook refusing a bad profile through the
// apiserver, a Pod injected in a labelled namespace, and no request of the operator refused.
TEST_F(RbacProofTest, ChartRbacAll) {
  const auto list =
      render_chart({"webhook.enabled=true", "webhook.configurationName=" + configuration_});
  ASSERT_NO_FATAL_FAILURE(find_service_account(list));
  ASSERT_NO_FATAL_FAILURE(apply_rbac(list));
  const auto kubeconfig = token_kubeconfig();
  ASSERT_TRUE(eventually([&] { return can_i("list secrets -A"); }));

  const auto domain = new_trust_domain("a");
  ASSERT_NO_FATAL_FAILURE(apply_webhook_configurations("secprov-proof-" + namespace_));
  std::string output;
  ASSERT_EQ(kubectl("label namespace " + namespace_ + " secprov-proof-" + namespace_ +
                        "=true secprov.io/injection=enabled",
                    &output),
            0)
      << output;
  start_operator_as(kubeconfig, "op", operator_flags("all"));
  auto& log = *operators_.back();

  EXPECT_TRUE(eventually(
      [&] { return condition(resources::trust_domains(), "", domain, "Ready") == "True"; },
      std::chrono::seconds(60)))
      << log.log();
  ASSERT_TRUE(eventually([&] { return ca_bundles_injected(); }, std::chrono::seconds(60)))
      << log.log();

  // A profile (the webhook admits it), Ready with its Secret and ConfigMap.
  ASSERT_EQ(
      apply_yaml(profile_yaml("amf", domain, "  nfInstanceId: " + kInstanceId + "\n" + kSidecar),
                 &output),
      0)
      << output << log.log();
  EXPECT_TRUE(eventually([&] { return ready(namespace_, "amf"); }, std::chrono::seconds(60)))
      << log.log();
  EXPECT_TRUE(exists(resources::secrets(), namespace_, "amf-tls"));
  EXPECT_TRUE(exists(resources::config_maps(), namespace_, "amf-security"));

  // A bad profile (the same nfInstanceId in the trust domain): refused by the webhook,
  // through the real apiserver, once the webhook's cache has amf.
  const auto file = cluster_paths().binary_dir / "it" / (namespace_ + "-bad.yaml");
  std::ofstream(file) << profile_yaml("amf-dup", domain, "  nfInstanceId: " + kInstanceId + "\n");
  EXPECT_TRUE(eventually(
      [&] {
        return kubectl("apply -n " + namespace_ + " -f " + file.string(), &output) != 0 &&
               output.find("denied the request") != std::string::npos &&
               output.find("spec.nfInstanceId") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << output;
  EXPECT_FALSE(exists(resources::security_profiles(), namespace_, "amf-dup"));

  // A Pod the profile selects, in the labelled namespace: injected by the mutating webhook.
  const auto pod = client_->create(
      resources::pods(), namespace_,
      {{"apiVersion", "v1"},
       {"kind", "Pod"},
       {"metadata", {{"name", "amf-0"}, {"labels", {{"app", "amf"}}}}},
       {"spec", {{"containers", {{{"name", "amf"}, {"image", "registry.invalid/amf:1"}}}}}}});
  bool injected = false;
  for (const char* list_name : {"initContainers", "containers"}) {
    for (const auto& c : pod["spec"].value(list_name, Json::array())) {
      injected = injected || c.value("name", std::string{}) == "secprov-enabler";
    }
  }
  EXPECT_TRUE(injected) << pod.dump(2);
  EXPECT_EQ(pod["metadata"]["annotations"].value("secprov.io/profile", ""), "amf");
  // The operator sees it (status.pods), with the Pods grant alone.
  EXPECT_TRUE(eventually(
      [&] {
        const auto p = profile("amf");
        return p.value("status", Json::object())
                   .value("pods", Json::object())
                   .value("selected", 0) == 1;
      },
      std::chrono::seconds(30)))
      << profile("amf").value("status", Json::object()).dump();

  EXPECT_EQ(log.log().find("forbidden: User \"" + user_ + "\""), std::string::npos) << log.log();

  // What watchNamespaces: [] grants, said plainly: every Secret of the cluster (RBAC cannot
  // select by label). The token reads a Secret of kube-system. List mode narrows this
  // (EachRuleIsNeeded).
  system_secret_ = "rbac-proof-" + namespace_.substr(namespace_.size() - 6);
  client_->create(resources::secrets(), "kube-system",
                  {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", system_secret_}}},
                   {"data", {{"k", "dg=="}}}});
  EXPECT_TRUE(can_i("get secrets -n kube-system"));
  EXPECT_TRUE(can_i("list secrets -A"));
  const auto as_operator = kube::Client::connect(kube::load_kubeconfig(kubeconfig));
  EXPECT_NO_THROW(as_operator->get(resources::secrets(), "kube-system", system_secret_));
}

// List mode (watchNamespaces: [served]): first what the token can read of Secrets it does not
// manage; then every grant of the chart removed in turn, each with the request it refuses.
TEST_F(RbacProofTest, EachRuleIsNeeded) {
  const std::vector<std::string> sets = {"webhook.enabled=true",
                                         "webhook.configurationName=" + configuration_,
                                         "watchNamespaces={" + served_ + "}"};
  const auto full = render_chart(sets);
  ASSERT_NO_FATAL_FAILURE(find_service_account(full));
  ASSERT_NO_FATAL_FAILURE(apply_rbac(full));
  const auto kubeconfig = token_kubeconfig();
  ASSERT_TRUE(eventually([&] { return can_i("list secrets -n " + served_); }));

  // Secrets the operator does not manage. kube-system and an unserved namespace: refused, by
  // can-i and by a real GET with the token. The served namespace: RBAC cannot select by label,
  // so the token may read a user's Secret there (the operator itself lists only labelled
  // ones); and nothing cluster-wide.
  const Json user_secret = {{"apiVersion", "v1"},
                            {"kind", "Secret"},
                            {"metadata", {{"name", "db-password"}}},
                            {"data", {{"password", "cHc="}}}};
  client_->create(resources::secrets(), unserved_, user_secret);
  client_->create(resources::secrets(), served_, user_secret);
  system_secret_ = "rbac-proof-" + namespace_.substr(namespace_.size() - 6);
  auto system_secret = user_secret;
  system_secret["metadata"]["name"] = system_secret_;
  client_->create(resources::secrets(), "kube-system", system_secret);
  const auto as_operator = kube::Client::connect(kube::load_kubeconfig(kubeconfig));
  EXPECT_FALSE(can_i("get secrets -n kube-system"));
  EXPECT_FALSE(can_i("get secrets -n " + unserved_));
  EXPECT_FALSE(can_i("list secrets -A"));
  EXPECT_TRUE(
      forbidden([&] { as_operator->get(resources::secrets(), "kube-system", system_secret_); }));
  EXPECT_TRUE(forbidden([&] { as_operator->get(resources::secrets(), unserved_, "db-password"); }));
  EXPECT_TRUE(forbidden([&] { as_operator->list(resources::secrets(), ""); }));
  EXPECT_TRUE(can_i("get secrets -n " + served_));
  EXPECT_NO_THROW(as_operator->get(resources::secrets(), served_, "db-password"));

  // The baseline with every grant: the trust domain, a profile Ready, the caBundles injected
  // (their namespace selector matches no namespace: these configurations serve only the
  // webhook cases), a Lease.
  const auto domain = new_trust_domain("base");
  ASSERT_NO_FATAL_FAILURE(apply_webhook_configurations("secprov-proof-never"));
  std::string output;
  ASSERT_EQ(apply_yaml(profile_yaml("base", domain), &output, served_), 0) << output;
  {
    auto& op = launch(kubeconfig, "base", operator_flags(served_));
    ASSERT_TRUE(eventually([&] { return ready(served_, "base"); }, std::chrono::seconds(60)))
        << op.log();
    ASSERT_TRUE(eventually([&] { return ca_bundles_injected(); }, std::chrono::seconds(60)))
        << op.log();
    ASSERT_TRUE(eventually([&] {
      return exists(resources::config_maps(), namespace_, domain + "-crl");
    })) << op.log();
    EXPECT_EQ(op.log().find("forbidden: User \"" + user_ + "\""), std::string::npos) << op.log();
    stop(op);
  }
  const auto base_uid =
      client_->get(resources::security_profiles(), served_, "base")["metadata"]["uid"];

  const std::string& op_ns = namespace_;
  int serial = 0;
  const auto unique = [&](const std::string& stem) { return stem + std::to_string(serial); };
  const auto new_profile = [&](const std::string& name, const std::string& extra = {}) {
    std::string out;
    EXPECT_EQ(apply_yaml(profile_yaml(name, domain, extra), &out, served_), 0) << out;
  };
  // A Deployment whose Pods carry an enabler of an older configuration of profile `name`: with
  // rollout: Restart the operator reads their ReplicaSet and annotates the Deployment.
  const auto stale_deployment = [&](const std::string& name) {
    std::string out;
    EXPECT_EQ(
        apply_yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
                       "\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: " + name +
                       "\n  template:\n    metadata:\n      labels:\n        app: " + name +
                       "\n      annotations:\n        secprov.io/profile: " + name +
                       "\n        secprov.io/enabler-digest: older\n"
                       "    spec:\n      containers:\n      - name: nf\n"
                       "        image: registry.invalid/nf:1\n"
                       "      - name: secprov-enabler\n"
                       "        image: registry.invalid/enabler:1\n",
                   &out, served_),
        0)
        << out;
    EXPECT_TRUE(eventually(
        [&] {
          kube::ListOptions options;
          options.label_selector = "app=" + name;
          return !client_->list(resources::pods(), served_, options).items.empty();
        },
        std::chrono::seconds(30)));
    new_profile(name, kSidecar);
  };
  const auto owned_by_base = [&](const std::string& kind, const std::string& name) {
    return Json{{"apiVersion", "v1"},
                {"kind", kind},
                {"metadata",
                 {{"name", name},
                  {"labels", {{"app.kubernetes.io/managed-by", "secprov"}}},
                  {"ownerReferences",
                   {{{"apiVersion", "secprov.io/v1alpha1"},
                     {"kind", "SecurityProfile"},
                     {"name", "base"},
                     {"uid", base_uid},
                     {"controller", true}}}}}},
                {"data", {{"k", kind == "Secret" ? "dg==" : "v"}}}};
  };

  struct Case {
    // The grant removed: the rendered object (kind, name, namespace), the rule's resource,
    // whether it is the rule limited by resourceNames, and the verb.
    std::string kind, name, ns, resource;
    bool named;
    std::string verb;
    // The refused request as the apiserver words it: resource, API group, namespace.
    std::string group, denied_ns;
    std::function<void()> before;  // before the operator starts
    std::function<void()> after;   // once it runs
    bool in_events = false;        // the refusal is reported in an Event (rollout)
  };
  const auto nothing = [] {};
  const std::string role = "secprov-operator";
  const std::string served_role = "secprov-operator-served";
  const std::vector<Case> cases = {
      // The operator namespace: CA key pairs (cache), webhook Secrets, CRLs, the Lease.
      {"Role", role, op_ns, "secrets", false, "list", "", op_ns, nothing, nothing},
      {"Role", role, op_ns, "secrets", false, "watch", "", op_ns, nothing, nothing},
      {"Role", role, op_ns, "secrets", false, "create", "", op_ns, nothing,
       [&] { new_trust_domain(unique("s")); }},
      {"Role", role, op_ns, "secrets", false, "update", "", op_ns,
       [&] {  // the webhook CA made unusable: the operator replaces it (PUT)
         client_->merge_patch(resources::secrets(), op_ns, "secprov-webhook-ca",
                              {{"data", {{"tls.crt", "eA=="}, {"tls.key", "eA=="}}}});
       },
       nothing},
      {"Role", role, op_ns, "secrets", true, "get", "", op_ns, nothing, nothing},
      {"Role", role, op_ns, "configmaps", false, "list", "", op_ns, nothing, nothing},
      {"Role", role, op_ns, "configmaps", false, "watch", "", op_ns, nothing, nothing},
      {"Role", role, op_ns, "configmaps", false, "create", "", op_ns, nothing,
       [&] { new_trust_domain(unique("c")); }},
      {"Role", role, op_ns, "configmaps", false, "update", "", op_ns, nothing,
       [&] {  // a deleted profile's certificate is recorded in the CRL ConfigMap
         const auto name = unique("rev");
         new_profile(name, "  deletionPolicy: Delete\n");
         EXPECT_TRUE(eventually([&] { return ready(served_, name); }, std::chrono::seconds(30)));
         client_->remove(resources::security_profiles(), served_, name);
       }},
      {"Role", role, op_ns, "leases", false, "create", "coordination.k8s.io", op_ns,
       [&] {
         try {
           client_->remove(resources::leases(), op_ns, "secprov-operator");
         } catch (const kube::ApiError&) {
         }
       },
       nothing},
      {"Role", role, op_ns, "leases", true, "get", "coordination.k8s.io", op_ns, nothing, nothing},
      {"Role", role, op_ns, "leases", true, "update", "coordination.k8s.io", op_ns, nothing,
       nothing},
      // Events about TrustDomains, in "default".
      {"Role", "secprov-operator-events", "default", "events", false, "create", "", "default",
       nothing, [&] { new_trust_domain(unique("e")); }},
      {"Role", "secprov-operator-events", "default", "events", false, "patch", "", "default",
       nothing,
       [&] {  // a repeated TrustDomain Event is counted: a foreign trust bundle ConfigMap is
              // reported at each bundle pass, and every pass of a profile using it makes one
         const auto td = new_trust_domain(unique("b"));
         EXPECT_TRUE(eventually(
             [&] { return condition(resources::trust_domains(), "", td, "Ready") == "True"; },
             std::chrono::seconds(30)));
         client_->create(resources::config_maps(), served_,
                         {{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata", {{"name", td + "-ca"}}},
                          {"data", {{"ca.crt", "someone else's"}}}});
         std::string out;
         for (const auto& name : {unique("bp"), unique("bq")}) {
           EXPECT_EQ(apply_yaml(profile_yaml(name, td), &out, served_), 0) << out;
         }
       }},
      // TrustDomains.
      {"ClusterRole", "secprov-operator-trustdomains", "", "trustdomains", false, "list",
       "secprov.io", "", nothing, nothing},
      {"ClusterRole", "secprov-operator-trustdomains", "", "trustdomains", false, "watch",
       "secprov.io", "", nothing, nothing},
      {"ClusterRole", "secprov-operator-trustdomains", "", "trustdomains/status", false, "update",
       "secprov.io", "", nothing, [&] { new_trust_domain(unique("t")); }},
      // The webhook configurations' caBundle.
      {"ClusterRole", "secprov-operator-webhooks", "", "mutatingwebhookconfigurations", false,
       "list", "admissionregistration.k8s.io", "", nothing, nothing},
      {"ClusterRole", "secprov-operator-webhooks", "", "mutatingwebhookconfigurations", false,
       "watch", "admissionregistration.k8s.io", "", nothing, nothing},
      {"ClusterRole", "secprov-operator-webhooks", "", "mutatingwebhookconfigurations", true, "get",
       "admissionregistration.k8s.io", "", nothing, nothing},
      {"ClusterRole", "secprov-operator-webhooks", "", "mutatingwebhookconfigurations", true,
       "patch", "admissionregistration.k8s.io", "",
       [&] {  // configurations without caBundle again
         kubectl("delete validatingwebhookconfiguration,mutatingwebhookconfiguration " +
                 configuration_);
         apply_webhook_configurations("secprov-proof-never");
       },
       nothing},
      // The served namespace.
      {"Role", served_role, served_, "securityprofiles", false, "list", "secprov.io", served_,
       nothing, nothing},
      {"Role", served_role, served_, "securityprofiles", false, "watch", "secprov.io", served_,
       nothing, nothing},
      {"Role", served_role, served_, "securityprofiles", false, "patch", "secprov.io", served_,
       nothing,
       [&] {  // a Retain profile's finalizer (Delete needs none)
         new_profile(unique("fin"), "  deletionPolicy: Retain\n");
       }},
      {"Role", served_role, served_, "securityprofiles/status", false, "update", "secprov.io",
       served_, nothing, [&] { new_profile(unique("st")); }},
      {"Role", served_role, served_, "secrets", false, "get", "", served_, nothing,
       [&] {  // a provisioned Secret whose label was removed leaves the cache: read by name
         client_->merge_patch(
             resources::secrets(), served_, "base-tls",
             {{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", nullptr}}}}}});
       }},
      {"Role", served_role, served_, "secrets", false, "list", "", served_, nothing, nothing},
      {"Role", served_role, served_, "secrets", false, "watch", "", served_, nothing, nothing},
      {"Role", served_role, served_, "secrets", false, "create", "", served_, nothing,
       [&] { new_profile(unique("sc")); }},
      {"Role", served_role, served_, "secrets", false, "patch", "", served_, nothing,
       [&] {  // drift: the certificate replaced by garbage is issued again (apply)
         client_->merge_patch(resources::secrets(), served_, "base-tls",
                              {{"data", {{"tls.crt", "Z2FyYmFnZQ=="}}}});
       }},
      {"Role", served_role, served_, "secrets", false, "delete", "", served_, nothing,
       [&] {  // an IPsec Secret of a profile without IPsec is removed
         client_->create(resources::secrets(), served_, owned_by_base("Secret", "base-ipsec"));
       }},
      {"Role", served_role, served_, "configmaps", false, "get", "", served_, nothing,
       [&] {  // as for Secrets: a provisioned ConfigMap out of the cache is read by name
         client_->merge_patch(
             resources::config_maps(), served_, "base-security",
             {{"metadata", {{"labels", {{"app.kubernetes.io/managed-by", nullptr}}}}}});
       }},
      {"Role", served_role, served_, "configmaps", false, "list", "", served_, nothing, nothing},
      {"Role", served_role, served_, "configmaps", false, "watch", "", served_, nothing, nothing},
      {"Role", served_role, served_, "configmaps", false, "create", "", served_, nothing,
       [&] { new_profile(unique("cc")); }},
      {"Role", served_role, served_, "configmaps", false, "patch", "", served_, nothing,
       [&] {  // drift in the settings ConfigMap is repaired (apply)
         client_->merge_patch(resources::config_maps(), served_, "base-security",
                              {{"data", {{"security.yaml", "tampered"}}}});
       }},
      {"Role", served_role, served_, "configmaps", false, "delete", "", served_, nothing,
       [&] {  // the trust bundle of a domain the namespace's last profile of it left
         const auto td = new_trust_domain(unique("cd"));
         const auto name = unique("cd");
         std::string out;
         EXPECT_EQ(apply_yaml(profile_yaml(name, td), &out, served_), 0) << out;
         EXPECT_TRUE(eventually([&] { return ready(served_, name); }, std::chrono::seconds(30)));
         client_->remove(resources::security_profiles(), served_, name);
       }},
      {"Role", served_role, served_, "events", false, "create", "", served_, nothing,
       [&] { new_profile(unique("ev")); }},
      {"Role", served_role, served_, "events", false, "patch", "", served_, nothing,
       [&] {  // the same drift repaired twice: the second DriftRepaired Event is counted
         for (int round = 0; round < 2; ++round) {
           client_->merge_patch(resources::config_maps(), served_, "base-security",
                                {{"data", {{"security.yaml", "tampered"}}}});
           EXPECT_TRUE(eventually([&] {
             return client_->get(resources::config_maps(), served_,
                                 "base-security")["data"]["security.yaml"] != "tampered";
           }));
         }
       }},
      {"Role", served_role, served_, "pods", false, "list", "", served_, nothing,
       [&] { new_profile(unique("pl"), kSidecar); }},
      {"Role", served_role, served_, "pods", false, "watch", "", served_, nothing,
       [&] { new_profile(unique("pw"), kSidecar); }},
      {"Role", served_role, served_, "replicasets", false, "get", "apps", served_, nothing,
       [&] { stale_deployment(unique("rs")); }},
      {"Role", served_role, served_, "deployments", false, "get", "apps", served_, nothing,
       [&] { stale_deployment(unique("dg")); }, true},
      {"Role", served_role, served_, "deployments", false, "patch", "apps", served_, nothing,
       [&] { stale_deployment(unique("dp")); }, true},
  };

  // Every grant the chart renders is removed by a case above, or is one of those the top of
  // this file says cannot be shown: a grant added without its proof fails here.
  std::set<std::string> proven;
  for (const auto& c : cases) {
    proven.insert(c.kind + " " + c.name + ": " + c.verb + " " + c.resource +
                  (c.named ? " (resourceNames)" : ""));
  }
  const std::set<std::string> not_shown = {
      "ClusterRole secprov-operator-trustdomains: update trustdomains/finalizers",
      "Role secprov-operator-served: update securityprofiles/finalizers",
      "Role secprov-operator-served: get statefulsets",
      "Role secprov-operator-served: patch statefulsets",
      "ClusterRole secprov-operator-webhooks: list validatingwebhookconfigurations",
      "ClusterRole secprov-operator-webhooks: watch validatingwebhookconfigurations",
      "ClusterRole secprov-operator-webhooks: get validatingwebhookconfigurations (resourceNames)",
      "ClusterRole secprov-operator-webhooks: patch validatingwebhookconfigurations "
      "(resourceNames)"};
  for (const auto& item : full["items"]) {
    for (const auto& rule : item.value("rules", Json::array())) {
      for (const auto& resource : rule["resources"]) {
        for (const auto& verb : rule["verbs"]) {
          const auto grant = item["kind"].get<std::string>() + " " +
                             item["metadata"]["name"].get<std::string>() + ": " +
                             verb.get<std::string>() + " " + resource.get<std::string>() +
                             (rule.contains("resourceNames") ? " (resourceNames)" : "");
          EXPECT_TRUE(proven.contains(grant) || not_shown.contains(grant))
              << grant << ": granted by the chart, but no case shows what it is for";
        }
      }
    }
  }
  // The ClusterRole of watchNamespaces: [] has exactly the served namespace's rules, so the
  // cases prove it too.
  Json all_namespaces, served_rules;
  const auto defaults = render_chart({});
  for (const auto& item : defaults["items"]) {
    if (item["metadata"]["name"] == "secprov-operator-all-namespaces" &&
        item["kind"] == "ClusterRole") {
      all_namespaces = item["rules"];
    }
  }
  for (const auto& item : full["items"]) {
    if (item["metadata"]["name"] == served_role && item["kind"] == "Role") {
      served_rules = item["rules"];
    }
  }
  EXPECT_EQ(all_namespaces, served_rules);

  for (const auto& c : cases) {
    ++serial;
    const std::string id = c.kind + " " + c.name + ": " + c.verb + " " + c.resource +
                           (c.named ? " (resourceNames)" : "");
    SCOPED_TRACE(id);
    const auto started = std::chrono::steady_clock::now();
    // The chart's RBAC without that one verb.
    auto without = full;
    bool removed = false;
    for (auto& item : without["items"]) {
      if (item["kind"] != c.kind || item["metadata"]["name"] != c.name ||
          item["metadata"].value("namespace", std::string{}) != c.ns) {
        continue;
      }
      auto& rules = item["rules"];
      for (auto rule = rules.begin(); rule != rules.end(); ++rule) {
        const auto& names = rule->value("resourceNames", Json::array());
        const auto& res = (*rule)["resources"];
        if (names.empty() == c.named ||
            std::find(res.begin(), res.end(), c.resource) == res.end()) {
          continue;
        }
        auto& verbs = (*rule)["verbs"];
        const auto at = std::find(verbs.begin(), verbs.end(), c.verb);
        if (at == verbs.end()) continue;
        verbs.erase(at);
        if (verbs.empty()) rules.erase(rule);
        removed = true;
        break;
      }
    }
    ASSERT_TRUE(removed) << "the chart has no such grant";
    ASSERT_NO_FATAL_FAILURE(apply_rbac(without));
    // Until the apiserver's authorizer has the change.
    const std::string resource_arg =
        c.resource.substr(0, c.resource.find('/')) + (c.group.empty() ? "" : "." + c.group);
    const std::string can_args =
        c.verb + " " + resource_arg +
        (c.resource.find('/') != std::string::npos
             ? " --subresource=" + c.resource.substr(c.resource.find('/') + 1)
             : "") +
        (c.ns.empty() ? "" : " -n " + c.ns);
    ASSERT_TRUE(eventually([&] { return !can_i(can_args); })) << can_args;

    const auto granted = std::chrono::steady_clock::now();
    c.before();
    auto& op = launch(kubeconfig, "case" + std::to_string(serial), operator_flags(served_));
    c.after();
    const auto needle = "is forbidden: " + denial(user_, c.verb, c.resource, c.group, c.denied_ns);
    EXPECT_TRUE(eventually(
        [&] {
          return op.log().find(needle) != std::string::npos ||
                 (c.in_events && event_messages(served_).find(needle) != std::string::npos);
        },
        std::chrono::seconds(30)))
        << "expected: " << needle << "\n"
        << op.log();
    const auto refused = std::chrono::steady_clock::now();
    stop(op);
    // A Lease left held (its release refused) would keep the next case waiting for it.
    try {
      client_->remove(resources::leases(), op_ns, "secprov-operator");
    } catch (const kube::ApiError&) {
    }
    const auto ms = [](auto d) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    std::cout << "[ case ] " << id << ": RBAC " << ms(granted - started) << " ms, refused after "
              << ms(refused - granted) << " ms, stopped in "
              << ms(std::chrono::steady_clock::now() - refused) << " ms\n";
  }
  apply_rbac(full);
}

}  // namespace
}  // namespace secprov::testing

#include "operator_fixture.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "crypto/encoding.h"
#include "support/free_port.h"

namespace secprov::testing {
namespace {

std::string http_get(int port, const std::string& path) {
  std::string output;
  run_command("curl -s --max-time 5 http://127.0.0.1:" + std::to_string(port) + path, &output);
  return output;
}

void install_crds_once() {
  static const bool installed = [] {
    std::string output;
    const int rc = kubectl(
        "apply --server-side -f " + (cluster_paths().source_dir / "crds").string(), &output);
    if (rc != 0) throw std::runtime_error("installing CRDs failed: " + output);
    kubectl(
        "wait --for=condition=Established --timeout=60s crd/securityprofiles.secprov.io "
        "crd/trustdomains.secprov.io",
        &output);
    return true;
  }();
  (void)installed;
}

}  // namespace

void OperatorTest::SetUp() {
  ClusterTest::SetUp();
  install_crds_once();
}

void OperatorTest::TearDown() {
  for (auto& process : operators_) {
    if (process->running()) {
      process->signal(SIGTERM);
      process->wait_for(std::chrono::seconds(15));
    }
  }
  operators_.clear();
  if (!trust_domain_.empty()) kubectl("delete trustdomain " + trust_domain_ + " --wait=false");
  ClusterTest::TearDown();
}

std::size_t OperatorTest::start_operator(const std::string& identity,
                                         std::vector<std::string> extra) {
  return start_operator_as(cluster_paths().admin_kubeconfig, identity, std::move(extra));
}

std::size_t OperatorTest::start_operator_as(const std::filesystem::path& kubeconfig,
                                            const std::string& identity,
                                            std::vector<std::string> extra) {
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
  // Webhooks off unless a test asks for them (a port per operator, not the default 9443).
  if (std::ranges::find(extra, "--webhook-port") == extra.end()) {
    argv.insert(argv.end(), {"--webhook-port", "0"});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  const auto log =
      cluster_paths().binary_dir / "it" / "logs" / (namespace_ + "-" + identity + ".log");
  operators_.push_back(std::make_unique<ChildProcess>(argv, log));
  ports_.push_back(port);
  const auto index = operators_.size() - 1;
  EXPECT_TRUE(eventually([&] { return http_get(port, "/readyz").find("ok") != std::string::npos; },
                         std::chrono::seconds(30)))
      << "operator " << identity << " never became ready:\n"
      << operators_.back()->log();
  return index;
}

double OperatorTest::metric(std::size_t index, const std::string& name,
                            const std::string& labels) const {
  std::istringstream lines(http_get(ports_.at(index), "/metrics"));
  double total = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != '{' && next != ' ') continue;
    if (!labels.empty() && line.find(labels) == std::string::npos) continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

std::string OperatorTest::create_trust_domain() {
  trust_domain_ = "td-" + namespace_;
  if (trust_domain_.size() > 60) trust_domain_ = trust_domain_.substr(0, 60);
  std::string output;
  const int rc = apply_yaml(
      "apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " + trust_domain_ +
          "\nspec:\n  domain: 5gc.mnc001.mcc001.3gppnetwork.org\n  country: FR\n"
          "  ca:\n    generate:\n      keyAlgorithm: ECDSA-P256\n",
      &output);
  EXPECT_EQ(rc, 0) << output;
  return trust_domain_;
}

int OperatorTest::apply_yaml(const std::string& yaml, std::string* output, const std::string& ns) {
  const auto file = cluster_paths().binary_dir / "it" / (namespace_ + "-apply.yaml");
  {
    std::ofstream out(file);
    out << yaml;
  }
  return kubectl(
      "apply --validate=strict -n " + (ns.empty() ? namespace_ : ns) + " -f " + file.string(),
      output);
}

std::filesystem::path OperatorTest::service_account_kubeconfig(const std::string& ns,
                                                               const std::string& name) {
  const auto& paths = cluster_paths();
  const auto out = paths.binary_dir / "it" / (ns + "-" + name + ".kubeconfig");
  std::string output;
  const int rc = run_command(
      (paths.source_dir / "build" / "bin" / "secprov-controlplane").string() +
          " sa-kubeconfig --kubeconfig " + paths.admin_kubeconfig.string() + " --namespace " + ns +
          " --service-account " + name + " --out " + out.string(),
      &output);
  EXPECT_EQ(rc, 0) << output;
  return out;
}

kube::Json OperatorTest::profile(const std::string& name) {
  return client_->get(kube::resources::security_profiles(), namespace_, name);
}

kube::Json OperatorTest::profile_document(const std::string& name, const std::string& nf_type,
                                          const kube::Json& spec) const {
  kube::Json document = {{"apiVersion", "secprov.io/v1alpha1"},
                         {"kind", "SecurityProfile"},
                         {"metadata", {{"name", name}}},
                         {"spec",
                          {{"nfType", nf_type},
                           {"selector", {{"matchLabels", {{"app.kubernetes.io/name", name}}}}},
                           {"trustDomainRef", {{"name", trust_domain_}}}}}};
  document["spec"].update(spec);
  return document;
}

kube::Json OperatorTest::condition(const std::string& name, const std::string& type) {
  for (const auto& c : profile(name)["status"].value("conditions", kube::Json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return kube::Json::object();
}

bool OperatorTest::profile_condition(const std::string& name, const std::string& type,
                                     const std::string& status) {
  try {
    const auto object = profile(name);
    for (const auto& condition :
         object.value("status", kube::Json::object()).value("conditions", kube::Json::array())) {
      if (condition["type"] == type) {
        return condition["status"] == status &&
               condition["observedGeneration"] == object["metadata"]["generation"];
      }
    }
  } catch (const kube::ApiError&) {
  }
  return false;
}

bool OperatorTest::profile_without_condition(const std::string& name, const std::string& type) {
  try {
    const auto object = profile(name);
    const auto status = object.value("status", kube::Json::object());
    if (status.value("observedGeneration", std::int64_t{0}) !=
        object["metadata"].value("generation", std::int64_t{-1})) {
      return false;
    }
    for (const auto& condition : status.value("conditions", kube::Json::array())) {
      if (condition["type"] == type) return false;
    }
    return true;
  } catch (const kube::ApiError&) {
    return false;
  }
}

kube::Json OperatorTest::events(const std::string& name, const std::string& reason) {
  std::string output;
  if (kubectl("get events -n " + namespace_ +
                  " -o json --field-selector involvedObject.name=" + name + ",reason=" + reason,
              &output) != 0) {
    return kube::Json::array();
  }
  const auto list = kube::Json::parse(output, nullptr, false);
  return list.is_object() ? list.value("items", kube::Json::array()) : kube::Json::array();
}

std::string decode(const kube::Json& secret, const std::string& key) {
  return crypto::base64_decode(secret["data"][key].get<std::string>()).value();
}

kube::Json OperatorTest::secret(const std::string& name) {
  return client_->get(kube::resources::secrets(), namespace_, name);
}

kube::Json OperatorTest::config_map(const std::string& name) {
  return client_->get(kube::resources::config_maps(), namespace_, name);
}

bool OperatorTest::gone(const kube::ResourceType& type, const std::string& name) {
  try {
    client_->get(type, namespace_, name);
    return false;
  } catch (const kube::ApiError& e) {
    return kube::is_not_found(e);
  }
}

}  // namespace secprov::testing

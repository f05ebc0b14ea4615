#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/cluster.h"
#include "support/process.h"

namespace secprov::testing {

// The decoded value of a Secret's data key.
std::string decode(const kube::Json& secret, const std::string& key);

// Installs the CRDs (once per process) and runs secprov-operator processes whose operator
// namespace is the test's namespace.
class OperatorTest : public ClusterTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts an operator; extra flags are appended. Returns its index in operators_.
  std::size_t start_operator(const std::string& identity, std::vector<std::string> extra = {});
  // The same, connecting with `kubeconfig` instead of the admin's.
  std::size_t start_operator_as(const std::filesystem::path& kubeconfig,
                                const std::string& identity, std::vector<std::string> extra = {});
  // A kubeconfig with a token of ServiceAccount `ns`/`name` (created when missing).
  std::filesystem::path service_account_kubeconfig(const std::string& ns, const std::string& name);
  int probe_port(std::size_t index) const { return ports_.at(index); }
  // Value of a metric line (sum over label sets containing `labels`), scraped over HTTP.
  double metric(std::size_t index, const std::string& name, const std::string& labels = {}) const;
  // A TrustDomain with a generated CA whose name is unique to this test.
  std::string create_trust_domain();
  // kubectl apply of YAML text in `ns` (default: the test's namespace); returns exit code,
  // output in `output`.
  int apply_yaml(const std::string& yaml, std::string* output = nullptr,
                 const std::string& ns = {});
  kube::Json profile(const std::string& name);
  // A SecurityProfile document as kubectl sends it: `name`, `nf_type`, this test's trust domain
  // and a selector of the Pods labelled app.kubernetes.io/name=<name>; `spec` adds to (or
  // replaces) those spec fields.
  kube::Json profile_document(const std::string& name, const std::string& nf_type,
                              const kube::Json& spec) const;
  // The condition `type` of profile `name` (an empty object when it has none).
  kube::Json condition(const std::string& name, const std::string& type);
  // Objects of the test's namespace.
  kube::Json secret(const std::string& name);
  kube::Json config_map(const std::string& name);
  bool gone(const kube::ResourceType& type, const std::string& name);
  bool profile_condition(const std::string& name, const std::string& type,
                         const std::string& status);
  // The profile's status is of its generation and has no condition `type`: how an
  // abnormal-true condition (Drifted, Stalled, Reconciling, CAExpiringSoon) says False.
  bool profile_without_condition(const std::string& name, const std::string& type);
  // The Events of `reason` about object `name` of the test's namespace (each with its count).
  kube::Json events(const std::string& name, const std::string& reason);

  std::vector<std::unique_ptr<ChildProcess>> operators_;
  std::vector<int> ports_;
  std::string trust_domain_;
};

}  // namespace secprov::testing

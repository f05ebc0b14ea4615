#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/cluster.h"
#include "support/process.h"

namespace secprov::testing {

// Installs the CRDs (once per process) and runs secprov-operator processes whose operator
// namespace is the test's namespace.
class OperatorTest : public ClusterTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts an operator; extra flags are appended. Returns its index in operators_.
  std::size_t start_operator(const std::string& identity, std::vector<std::string> extra = {});
  int probe_port(std::size_t index) const { return ports_.at(index); }
  // Value of a metric line (sum over label sets containing `labels`), scraped over HTTP.
  double metric(std::size_t index, const std::string& name, const std::string& labels = {}) const;
  // A TrustDomain with a generated CA whose name is unique to this test.
  std::string create_trust_domain();
  // kubectl apply of YAML text; returns exit code, output in `output`.
  int apply_yaml(const std::string& yaml, std::string* output = nullptr);
  kube::Json profile(const std::string& name);
  bool profile_condition(const std::string& name, const std::string& type,
                         const std::string& status);

  std::vector<std::unique_ptr<ChildProcess>> operators_;
  std::vector<int> ports_;
  std::string trust_domain_;
};

}  // namespace secprov::testing

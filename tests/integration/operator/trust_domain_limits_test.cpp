// TrustDomains at the limits the CRD accepts, against the real control plane: a name of up
// to 253 characters and a home domain longer than an X.509 CN or O holds. Before render/
// computed the CA key pair, the first made a Secret name the apiserver rejects and the
// second a subject crypto refuses: both retried forever without a word in status.
#include <gtest/gtest.h>

#include "crypto/certificate.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;
using std::chrono::seconds;

const std::string kLongHomeDomain =
    std::string(60, 'x') + ".5gc.mnc001.mcc001.3gppnetwork.org";  // 94 characters

class TrustDomainLimitsTest : public OperatorTest {
 protected:
  // A TrustDomain of this test (deleted by the fixture) with a generated CA.
  void create_domain(const std::string& name, const std::string& home_domain,
                     const std::string& organization = {}) {
    trust_domain_ = name;
    std::string output;
    ASSERT_EQ(apply_yaml(
                  "apiVersion: secprov.io/v1alpha1\nkind: TrustDomain\nmetadata:\n  name: " + name +
                      "\nspec:\n  domain: " + home_domain + "\n  country: FR\n" +
                      (organization.empty() ? "" : "  organization: " + organization + "\n") +
                      "  ca:\n    generate:\n      keyAlgorithm: ECDSA-P256\n",
                  &output),
              0)
        << output;
  }
  Json status() {
    return client_->get(resources::trust_domains(), "", trust_domain_)
        .value("status", Json::object());
  }
  Json condition(const std::string& type) {
    for (const auto& c : status().value("conditions", Json::array())) {
      if (c["type"] == type) return c;
    }
    return Json::object();
  }
  bool condition_is(const std::string& type, const std::string& value, const std::string& reason) {
    const auto c = condition(type);
    return c.value("status", "") == value && c.value("reason", "") == reason;
  }
  // A short name unique to the test.
  std::string short_name() const { return "td-" + namespace_.substr(namespace_.rfind('-') + 1); }
};

TEST_F(TrustDomainLimitsTest, NameOf253CharactersGetsItsCaKeyPair) {
  std::string name = short_name() + "-";
  name += std::string(253 - name.size(), 'n');
  create_domain(name, "5gc.mnc001.mcc001.3gppnetwork.org");
  start_operator("op");
  ASSERT_TRUE(eventually([&] { return condition_is("Ready", "True", "CAReady"); }, seconds(60)))
      << status().dump(2) << operators_[0]->log();
  const std::string secret_name = status().value("caSecretName", "");
  EXPECT_LE(secret_name.size(), 253u);
  EXPECT_TRUE(secret_name.ends_with("-ca-keypair")) << secret_name;
  const auto key_pair = secret(secret_name);
  EXPECT_EQ(key_pair["type"], "kubernetes.io/tls");
  const auto& annotations = key_pair["metadata"]["annotations"];
  EXPECT_EQ(annotations.value("secprov.io/generated-for", ""), name);
}

TEST_F(TrustDomainLimitsTest, LongHomeDomainWithOrganizationGetsItsCa) {
  create_domain(short_name(), kLongHomeDomain, "Operator-A");
  start_operator("op");
  ASSERT_TRUE(eventually([&] { return condition_is("Ready", "True", "CAReady"); }, seconds(60)))
      << status().dump(2) << operators_[0]->log();
  const auto ca =
      crypto::Certificate::parse_chain(decode(secret(short_name() + "-ca-keypair"), "tls.crt"))
          .front();
  EXPECT_EQ(ca.subject().organization, "Operator-A");
  EXPECT_LE(ca.subject().common_name.size(), 64u);
  EXPECT_TRUE(ca.subject().common_name.ends_with(" CA")) << ca.subject().common_name;
}

TEST_F(TrustDomainLimitsTest, LongHomeDomainWithoutOrganizationStallsNamingTheField) {
  create_domain(short_name(), kLongHomeDomain);
  start_operator("op");
  ASSERT_TRUE(
      eventually([&] { return condition_is("Stalled", "True", "InvalidSpec"); }, seconds(60)))
      << status().dump(2) << operators_[0]->log();
  EXPECT_TRUE(condition_is("Ready", "False", "InvalidSpec"));
  const std::string message = condition("Stalled").value("message", "");
  EXPECT_NE(message.find("spec.organization"), std::string::npos) << message;
  EXPECT_TRUE(gone(resources::secrets(), short_name() + "-ca-keypair"));
}

}  // namespace
}  // namespace secprov::testing

// Issue 8 defect 9, revocation: each TrustDomain publishes a CRL signed by its CA in the
// ConfigMap "<domain>-crl" of the operator namespace, served over HTTP at
// /crl/<domain>.crl; certificates carry that URL as cRLDistributionPoints (--crl-base-url);
// a certificate replaced because its key was edited, or deleted with its profile, is listed.
#include "crypto/crl.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "operator_fixture.h"
#include "render/names.h"
#include "render/trust_domain.h"

namespace secprov::testing {
namespace {

using kube::Json;
namespace resources = kube::resources;
using namespace std::chrono_literals;

constexpr const char* kBaseUrl = "http://secprov-operator.secprov-system.svc:8081";

class CrlTest : public OperatorTest {
 protected:
  std::string profile_yaml(const std::string& name) {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: AMF\n  selector:\n    matchLabels: {app: nf}\n"
           "  trustDomainRef:\n    name: " +
           trust_domain_ + "\n";
  }
  crypto::Certificate ca() {
    return crypto::Certificate::from_pem(decode(secret(trust_domain_ + "-ca-keypair"), "tls.crt"));
  }
  crypto::Certificate leaf_of(const std::string& secret_name) {
    return crypto::Certificate::parse_chain(decode(secret(secret_name), "tls.crt")).front();
  }
  // The CRL in the ConfigMap, when there is one that parses.
  std::optional<crypto::CertificateRevocationList> published() {
    try {
      const auto object = config_map(render::crl_config_map_name(trust_domain_));
      return crypto::CertificateRevocationList::from_pem(
          object["data"][std::string(render::kCrlKey)].get<std::string>());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  // GET /crl/<domain>.crl from the operator: status, content type and body.
  struct Fetched {
    std::string status_and_type;
    std::string body;
  };
  Fetched fetch_crl(const std::string& domain) {
    const auto file = cluster_paths().binary_dir / "it" / (namespace_ + "-fetched.crl");
    std::filesystem::remove(file);
    Fetched fetched;
    run_command("curl -s --max-time 5 -o " + file.string() +
                    " -w '%{http_code} %{content_type}' http://127.0.0.1:" +
                    std::to_string(probe_port(0)) + "/crl/" + domain + ".crl",
                &fetched.status_and_type);
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    fetched.body = body.str();
    return fetched;
  }
};

TEST_F(CrlTest, PublishedSignedServedAndListsReplacedAndDeletedCertificates) {
  start_operator("op", {std::string("--crl-base-url=") + kBaseUrl});
  create_trust_domain();

  // 1. Published: signed by the domain's CA, valid a day, owned by the TrustDomain.
  ASSERT_TRUE(eventually(
      [&] {
        const auto crl = published();
        return crl && crl->issued_by(ca());
      },
      60s))
      << operators_[0]->log();
  const auto first = *published();
  ASSERT_TRUE(first.next_update());
  EXPECT_EQ(*first.next_update() - first.this_update(), render::kCrlValidity);
  EXPECT_TRUE(first.revoked().empty());
  ASSERT_TRUE(first.number());
  const auto object = config_map(render::crl_config_map_name(trust_domain_));
  const auto domain_uid =
      client_->get(resources::trust_domains(), "", trust_domain_)["metadata"]["uid"]
          .get<std::string>();
  ASSERT_EQ(object["metadata"].value("ownerReferences", Json::array()).size(), 1u) << object.dump();
  EXPECT_EQ(object["metadata"]["ownerReferences"][0]["uid"], domain_uid);
  EXPECT_EQ(object["metadata"]["ownerReferences"][0]["kind"], "TrustDomain");

  // 2. Served over HTTP as DER, exactly what the ConfigMap holds.
  EXPECT_EQ(fetch_crl(trust_domain_).status_and_type, "200 application/pkix-crl");
  EXPECT_TRUE(eventually([&] { return fetch_crl(trust_domain_).body == published()->der(); }))
      << operators_[0]->log();
  EXPECT_EQ(fetch_crl("no-such-domain").status_and_type.substr(0, 3), "404");

  // 3. A certificate issued now names the CRL's URL.
  std::string output;
  ASSERT_EQ(apply_yaml(profile_yaml("amf"), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); }, 60s))
      << operators_[0]->log();
  const auto original = leaf_of("amf-tls");
  EXPECT_EQ(original.crl_distribution_points(),
            std::vector<std::string>{std::string(kBaseUrl) + "/crl/" + trust_domain_ + ".crl"});

  // 4. Its key edited: the replacement is issued and the replaced certificate is revoked.
  client_->merge_patch(resources::secrets(), namespace_, "amf-tls",
                       {{"data", {{"tls.key", crypto::base64_encode("tampered")}}}});
  ASSERT_TRUE(
      eventually([&] { return leaf_of("amf-tls").serial_hex() != original.serial_hex(); }, 60s))
      << operators_[0]->log();
  const auto replacement = leaf_of("amf-tls");
  ASSERT_TRUE(eventually(
      [&] {
        const auto crl = published();
        return crl && crl->revokes(original);
      },
      60s))
      << config_map(render::crl_config_map_name(trust_domain_)).dump() << operators_[0]->log();
  const auto second = *published();
  EXPECT_TRUE(second.issued_by(ca()));
  // The profile namespace's trust bundle carries the same CRL, for the security enabler.
  EXPECT_TRUE(eventually([&] {
    return config_map(render::trust_bundle_name(trust_domain_))["data"].value(
               std::string(render::kCrlKey), std::string{}) == second.to_pem();
  })) << config_map(render::trust_bundle_name(trust_domain_)).dump();
  EXPECT_FALSE(second.revokes(replacement));
  ASSERT_TRUE(second.number());
  EXPECT_GT(*second.number(), *first.number());
  // What is served is what is published (the cache follows the ConfigMap).
  EXPECT_TRUE(eventually([&] {
    const auto served = fetch_crl(trust_domain_);
    return served.status_and_type == "200 application/pkix-crl" &&
           served.body == published()->der();
  })) << operators_[0]->log();

  // 5. Its profile deleted (deletionPolicy Delete): the certificate it held is revoked too.
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); }, 60s));
  const auto last = leaf_of("amf-tls");
  client_->remove(resources::security_profiles(), namespace_, "amf");
  ASSERT_TRUE(eventually([&] { return gone(resources::secrets(), "amf-tls"); }, 60s))
      << operators_[0]->log();
  ASSERT_TRUE(eventually(
      [&] {
        const auto crl = published();
        return crl && crl->revokes(last) && crl->revokes(original);
      },
      60s))
      << operators_[0]->log();
  // The records are kept next to the CRL, with the certificates' notAfter (they leave then).
  std::set<std::string> serials;
  for (const auto& record :
       render::recorded_revocations(config_map(render::crl_config_map_name(trust_domain_)))) {
    serials.insert(record.serial_hex);
    EXPECT_GT(record.not_after, std::chrono::system_clock::now());
  }
  EXPECT_TRUE(serials.contains(original.serial_hex()));
  EXPECT_TRUE(serials.contains(last.serial_hex()));
}

// Delete needs no finalizer on the profile: the garbage collector deletes the Secret, whose own
// finalizer holds it until the operator has revoked its certificate, even when the operator
// was down while the profile went.
TEST_F(CrlTest, AProfileDeletedWhileTheOperatorIsDownHasItsCertificateRevokedOnItsReturn) {
  start_operator("op");
  create_trust_domain();
  std::string output;
  ASSERT_EQ(apply_yaml(profile_yaml("smf"), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("smf", "Ready", "True"); }, 60s))
      << operators_[0]->log();
  EXPECT_FALSE(profile("smf")["metadata"].contains("finalizers")) << profile("smf").dump();
  const auto held = secret("smf-tls");
  EXPECT_EQ(held["metadata"]["finalizers"], Json::array({"secprov.io/revoke"}));
  EXPECT_EQ(held["metadata"]["annotations"]["secprov.io/issuer"], trust_domain_);
  const auto issued = leaf_of("smf-tls");

  operators_[0]->signal(SIGTERM);
  ASSERT_TRUE(operators_[0]->wait_for(15s).has_value());
  client_->remove(resources::security_profiles(), namespace_, "smf");
  // The garbage collector deletes the Secret; its finalizer keeps it while nobody revokes.
  ASSERT_TRUE(eventually(
      [&] {
        const auto current = client_->get(resources::secrets(), namespace_, "smf-tls");
        return current["metadata"].contains("deletionTimestamp");
      },
      60s));
  EXPECT_TRUE(eventually([&] { return gone(resources::config_maps(), "smf-security"); }, 60s));
  EXPECT_FALSE(gone(resources::secrets(), "smf-tls"));

  start_operator("op");
  ASSERT_TRUE(eventually([&] { return gone(resources::secrets(), "smf-tls"); }, 60s))
      << operators_[1]->log();
  ASSERT_TRUE(eventually(
      [&] {
        const auto crl = published();
        return crl && crl->revokes(issued);
      },
      60s))
      << operators_[1]->log();
}

TEST_F(CrlTest, WithoutBaseUrlNoDistributionPointButTheCrlIsStillPublished) {
  start_operator("op");
  create_trust_domain();
  std::string output;
  ASSERT_EQ(apply_yaml(profile_yaml("amf"), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); }, 60s))
      << operators_[0]->log();
  EXPECT_TRUE(leaf_of("amf-tls").crl_distribution_points().empty());
  ASSERT_TRUE(eventually(
      [&] {
        const auto crl = published();
        return crl && crl->issued_by(ca());
      },
      60s))
      << operators_[0]->log();

  // A CRL edited by hand is replaced by a signed one with a higher crlNumber.
  const auto number = published()->number().value_or(0);
  client_->merge_patch(resources::config_maps(), namespace_,
                       render::crl_config_map_name(trust_domain_),
                       {{"data", {{std::string(render::kCrlKey), "tampered"}}}});
  EXPECT_TRUE(eventually(
      [&] {
        const auto crl = published();
        return crl && crl->issued_by(ca()) && crl->number().value_or(0) > number;
      },
      60s))
      << operators_[0]->log();
}

// Ownership: a ConfigMap of the CRL's name that is not the TrustDomain's (here one carrying
// every CRL label, which the operator's CRL cache selects, but no ownerReference) is never
// written over: no CRL is published into it, no revocation recorded in it, and both are
// reported. The profiles of the domain are issued all the same.
TEST_F(CrlTest, AForeignConfigMapOfTheCrlNameIsReportedAndNeverWritten) {
  create_trust_domain();  // its reconciler runs once the operator starts, below
  const std::string name = render::crl_config_map_name(trust_domain_);
  Json foreign = {{"apiVersion", "v1"},
                  {"kind", "ConfigMap"},
                  {"metadata",
                   {{"name", name},
                    {"namespace", namespace_},
                    {"labels",
                     {{"app.kubernetes.io/part-of", "secprov"},
                      {"app.kubernetes.io/component", "crl"},
                      {"secprov.io/trust-domain", trust_domain_}}}}},
                  {"data", {{"ca.crl", "someone else's"}}}};
  // Created by someone else (kubectl): the operator's own client would be taken for an
  // older operator's object.
  std::string output;
  ASSERT_EQ(apply_yaml(foreign.dump(), &output), 0) << output;
  const auto version = config_map(name)["metadata"]["resourceVersion"].get<std::string>();

  start_operator("op");
  ASSERT_EQ(apply_yaml(profile_yaml("amf"), &output), 0) << output;
  ASSERT_TRUE(eventually([&] { return profile_condition("amf", "Ready", "True"); }, 60s))
      << operators_[0]->log();
  const auto reported = [&](const std::string& reason, const std::string& object) {
    std::string events;
    kubectl("get events -A --field-selector reason=" + reason + ",involvedObject.name=" + object +
                " -o name",
            &events);
    return !events.empty();
  };
  EXPECT_TRUE(eventually([&] { return reported("CRLConflict", trust_domain_); }, 60s))
      << operators_[0]->log();

  // A key edited: the certificate is replaced; its revocation cannot be recorded: reported.
  const auto original = leaf_of("amf-tls");
  client_->merge_patch(resources::secrets(), namespace_, "amf-tls",
                       {{"data", {{"tls.key", crypto::base64_encode("tampered")}}}});
  ASSERT_TRUE(
      eventually([&] { return leaf_of("amf-tls").serial_hex() != original.serial_hex(); }, 60s))
      << operators_[0]->log();
  EXPECT_TRUE(eventually([&] { return reported("RevocationNotRecorded", "amf"); }, 60s))
      << operators_[0]->log();

  const auto after = config_map(name);
  EXPECT_EQ(after["metadata"]["resourceVersion"], version) << after.dump();
  EXPECT_EQ(after["data"], foreign["data"]);
  EXPECT_FALSE(after["metadata"].contains("ownerReferences"));
}

}  // namespace
}  // namespace secprov::testing

// Issue 11, co-operation: the impact preview of the validating webhook against the real
// apiserver. A SecurityProfile change that breaks a consistent pair is admitted with an
// admission warning that kubectl prints on stderr under Warn (the default), and refused,
// naming the peer, the interface and the reason, when the changed profile or that peer is in
// Enforce mode. A change that breaks nothing gets no warning, and fixing a broken pair is
// never refused.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>

#include "operator_fixture.h"
#include "support/process.h"
#include "support/webhook_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

const std::string kIke256 = "aes256gcm16-prfsha384-ecp384";
const std::string kIke128 = "aes128gcm16-prfsha256-ecp256";

class ImpactTest : public OperatorTest {
 protected:
  // The operator with its webhook on a local port, and our configuration for this namespace,
  // once the operator injected its caBundle.
  void start_with_webhook() {
    trust_domain_ = create_trust_domain();
    const auto& webhook = webhook_.emplace(namespace_);
    start_operator("impact", webhook.operator_flags());
    std::string output;
    ASSERT_EQ(apply_yaml(webhook.configuration_yaml(), &output), 0) << output;
    ASSERT_FALSE(webhook.await_bundle(*client_).empty()) << operators_[0]->log();
  }

  // `name` with one N4 interface towards the profile `peer`, IKE proposal `ike`.
  std::string n4(const std::string& name, const std::string& nf_type, const std::string& local,
                 const std::string& peer, const std::string& peer_address, const std::string& ike,
                 const std::string& mode = "Warn") const {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: " + nf_type + "\n  selector:\n    matchLabels: {app: " + name +
           "}\n  trustDomainRef:\n    name: " + trust_domain_ +
           "\n  consistency:\n    mode: " + mode +
           "\n  ipsec:\n    interfaces:\n      - name: N4\n        localAddress: " + local +
           "\n        ike:\n          proposals: [" + ike +
           "]\n        peers:\n          - name: " + peer +
           "\n            address: " + peer_address + "\n";
  }
  std::string smf(const std::string& ike, const std::string& mode = "Warn") const {
    return n4("smf", "SMF", "10.10.4.1", "upf", "10.10.4.2", ike, mode);
  }
  std::string upf(const std::string& ike, const std::string& mode = "Warn") const {
    return n4("upf", "UPF", "10.10.4.2", "smf", "10.10.4.1", ike, mode);
  }

  // kubectl apply of `yaml`; `err` holds kubectl's "Warning: ..." lines and refusals.
  // `dry_run`: server-side dry run (the webhook is called, nothing is stored).
  CommandOutput apply(const std::string& yaml, bool dry_run = false) {
    const auto dir = cluster_paths().binary_dir / "it";
    const auto file = dir / (namespace_ + "-impact.yaml");
    std::ofstream(file) << yaml;
    return run_command_apart(cluster_paths().kubectl.string() + " --kubeconfig " +
                                 cluster_paths().admin_kubeconfig.string() + " apply -n " +
                                 namespace_ + (dry_run ? " --dry-run=server" : "") + " -f " +
                                 file.string(),
                             dir / (namespace_ + "-impact.stderr"));
  }

  std::string ike_of(const std::string& name) {
    return profile(name)["spec"]["ipsec"]["interfaces"][0]["ike"]["proposals"][0];
  }

  std::optional<LoopbackWebhook> webhook_;
};

TEST_F(ImpactTest, WarnAdmitsWithAWarningEnforceDeniesNamingThePeer) {
  start_with_webhook();
  if (HasFatalFailure()) return;
  ASSERT_EQ(apply(smf(kIke256)).code, 0);
  ASSERT_EQ(apply(upf(kIke256)).code, 0);
  const std::string peer = namespace_ + "/upf";
  const std::string warning = "Warning: this change would break the consistent N4 pair with " +
                              peer + ": NoCommonIkeProposal";

  // The webhook decides from the operator's cache: polled (dry runs) until it has both.
  CommandOutput last;
  ASSERT_TRUE(eventually(
      [&] {
        last = apply(smf(kIke128), true);
        return last.err.find(warning) != std::string::npos;
      },
      std::chrono::seconds(30)))
      << last.code << " " << last.out << last.err << operators_[0]->log();

  // A change that breaks nothing (the peer still shares a proposal): no warning.
  auto result = apply(smf(kIke256 + ", " + kIke128));
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err.find("Warning:"), std::string::npos) << result.err;

  // Warn (both ends): admitted, and kubectl prints the warning naming peer, interface, reason.
  result = apply(smf(kIke128));
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.err.find(warning), std::string::npos) << result.err;
  EXPECT_NE(result.out.find("securityprofile.secprov.io/smf configured"), std::string::npos)
      << result.out;
  EXPECT_EQ(ike_of("smf"), kIke128);

  // The pair is broken now: opting the peer into Enforce and fixing the pair are not refused.
  result = apply(upf(kIke256, "Enforce"));
  EXPECT_EQ(result.code, 0) << result.err;
  result = apply(smf(kIke256));
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err.find("Warning:"), std::string::npos) << result.err;

  // The peer is in Enforce: the same breaking change is refused, naming the peer, the
  // interface and the reason; the stored spec stays.
  const std::string denial =
      "consistency Enforce: this change would break the consistent N4 "
      "pair with " +
      peer + ": NoCommonIkeProposal";
  ASSERT_TRUE(
      eventually([&] { return apply(smf(kIke128), true).err.find(denial) != std::string::npos; },
                 std::chrono::seconds(30)));
  result = apply(smf(kIke128));
  EXPECT_NE(result.code, 0);
  EXPECT_NE(result.err.find("denied the request"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(denial), std::string::npos) << result.err;
  EXPECT_EQ(ike_of("smf"), kIke256);

  // Enforce on the changed profile itself protects its pairs too: upf may not break smf.
  result = apply(upf(kIke128, "Enforce"));
  EXPECT_NE(result.code, 0);
  EXPECT_NE(result.err.find("consistency Enforce: this change would break the consistent N4 "
                            "pair with " +
                            namespace_ + "/smf"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(ike_of("upf"), kIke256);
}

}  // namespace
}  // namespace secprov::testing

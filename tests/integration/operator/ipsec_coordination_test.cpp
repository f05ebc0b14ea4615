// Issue 11, co-operation: co-ordinated IPsec proposal changes on an N4 link in the real
// control plane. A proposal change on one end that the other end's spec does not share yet
// leaves that end's IPsec Secret as it is (the configuration on the wire), and its status
// says it waits for the peer (Ready False, IpsecChangePending, the peer named). Once the
// peer's spec has the new proposals, both Secrets switch. On the wire (two charon daemons
// loading the two Secrets, as ipsec_wire_test.cpp does): the link still establishes while
// the change waits (both ends keep proposals in common). Entering the hold and both ends
// switching are each told once, by an Event on the held profile.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "operator_fixture.h"
#include "support/charon.h"

namespace secprov::testing {
namespace {

using kube::Json;

const std::string kIke256 = "aes256gcm16-prfsha384-ecp384";
const std::string kIke128 = "aes128gcm16-prfsha256-ecp256";

// What the profile's pod mounts (the TLS and IPsec Secrets, tls.key for swanctl).
std::map<std::string, std::string> profile_files(const Json& tls, const Json& ipsec) {
  std::map<std::string, std::string> files;
  for (const char* key : {"tls.crt", "tls.key", "ca.crt"}) {
    files[std::string("/etc/secprov/tls/") + key] = decode(tls, key);
  }
  files["/etc/secprov/ipsec/private/tls.key"] = decode(tls, "tls.key");
  for (const auto& [key, value] : ipsec["data"].items()) {
    files["/etc/secprov/ipsec/" + key] = decode(ipsec, key);
  }
  return files;
}

bool child_installed(const std::string& sas, const std::string& child) {
  return std::regex_search(sas, std::regex("\n  " + child + ": #[0-9]+, reqid [0-9]+, INSTALLED"));
}

class IpsecCoordinationTest : public OperatorTest {
 protected:
  std::string n4(const std::string& name, const std::string& nf_type, const std::string& local,
                 const std::string& peer, const std::string& peer_address,
                 const std::string& ike) const {
    return "apiVersion: secprov.io/v1alpha1\nkind: SecurityProfile\nmetadata:\n  name: " + name +
           "\nspec:\n  nfType: " + nf_type + "\n  selector:\n    matchLabels: {app: " + name +
           "}\n  trustDomainRef:\n    name: " + trust_domain_ +
           "\n  ipsec:\n    interfaces:\n      - name: N4\n        localAddress: " + local +
           "\n        ike:\n          proposals: [" + ike +
           "]\n        peers:\n          - name: " + peer +
           "\n            address: " + peer_address + "\n";
  }
  std::string smf(const std::string& ike) const {
    return n4("smf", "SMF", "10.10.4.1", "upf", "10.10.4.2", ike);
  }
  std::string upf(const std::string& ike) const {
    return n4("upf", "UPF", "10.10.4.2", "smf", "10.10.4.1", ike);
  }
  Json ipsec_secret(const std::string& name) { return secret(name + "-ipsec"); }
  // The SMF initiates N4 to the UPF with the Secrets as they are: both ends install the child.
  // Skipped (not failed) where charon cannot run (not root, strongSwan missing).
  void check_link_on_the_wire() {
    if (const auto why = charon_unavailable()) {
      std::cout << "wire check skipped: " << *why << "\n";
      return;
    }
    CharonLab lab(cluster_paths().binary_dir / "it" / (namespace_ + "-coordination-wire"));
    const std::map<std::string, std::string> addresses = {{"smf", "10.10.4.1/24"},
                                                          {"upf", "10.10.4.2/24"}};
    for (const auto& [name, address] : addresses) {
      lab.add({name,
               {address},
               profile_files(secret(name + "-tls"), ipsec_secret(name)),
               IpsecKernel::Libipsec});
      std::string output;
      EXPECT_EQ(lab.swanctl(name, "--load-all --file /etc/secprov/ipsec/swanctl.conf", &output), 0)
          << name << ": " << output;
    }
    std::string output;
    EXPECT_EQ(lab.swanctl("smf", "--initiate --timeout 30 --child n4-upf", &output), 0)
        << output << "\n--- upf:\n"
        << lab.log("upf");
    const auto sas = [&](const std::string& node) {
      std::string out;
      lab.swanctl(node, "--list-sas", &out);
      return out;
    };
    EXPECT_TRUE(
        eventually([&] { return child_installed(sas("smf"), "n4-upf"); }, std::chrono::seconds(20)))
        << sas("smf");
    EXPECT_TRUE(
        eventually([&] { return child_installed(sas("upf"), "n4-smf"); }, std::chrono::seconds(20)))
        << sas("upf");
  }
  std::string swanctl(const std::string& name) {
    return decode(ipsec_secret(name), "swanctl.conf");
  }
  // The Ready condition of the profile's current generation; null until there is one.
  Json ready_condition(const std::string& name) {
    const auto p = profile(name);
    const auto generation = p["metadata"].value("generation", std::int64_t{0});
    for (const auto& c : p.value("status", Json::object()).value("conditions", Json::array())) {
      if (c.value("type", "") == "Ready" &&
          c.value("observedGeneration", std::int64_t{-1}) == generation) {
        return c;
      }
    }
    return nullptr;
  }
};

TEST_F(IpsecCoordinationTest, AProposalChangeWaitsForThePeerThenBothEndsSwitch) {
  trust_domain_ = create_trust_domain();
  start_operator("coordination");
  std::string output;
  ASSERT_EQ(apply_yaml(smf(kIke256), &output), 0) << output;
  ASSERT_EQ(apply_yaml(upf(kIke256), &output), 0) << output;
  ASSERT_TRUE(eventually(
      [&] {
        return profile_condition("smf", "Ready", "True") &&
               profile_condition("upf", "Ready", "True");
      },
      std::chrono::seconds(60)))
      << operators_[0]->log();
  const auto smf_before = ipsec_secret("smf");
  const auto upf_before = ipsec_secret("upf");
  ASSERT_NE(decode(smf_before, "swanctl.conf").find(kIke256), std::string::npos);

  // One end only: the SMF's Secret stays, its status names the peer it waits for.
  ASSERT_EQ(apply_yaml(smf(kIke128), &output), 0) << output;
  Json held;
  ASSERT_TRUE(eventually(
      [&] {
        held = ready_condition("smf");
        return !held.is_null() && held.value("reason", "") == "IpsecChangePending";
      },
      std::chrono::seconds(30)))
      << held.dump() << operators_[0]->log();
  EXPECT_EQ(held.value("status", ""), "False");
  const auto message = held.value("message", "");
  EXPECT_NE(message.find("N4 with " + namespace_ + "/upf"), std::string::npos) << message;
  EXPECT_NE(message.find("NoCommonIkeProposal"), std::string::npos) << message;
  EXPECT_NE(message.find("until the spec of " + namespace_ + "/upf matches"), std::string::npos)
      << message;
  // Decided in the pass that wrote that status: the Secrets are as they were.
  const auto smf_held = ipsec_secret("smf");
  EXPECT_EQ(smf_held["metadata"]["resourceVersion"], smf_before["metadata"]["resourceVersion"]);
  EXPECT_EQ(decode(smf_held, "swanctl.conf"), decode(smf_before, "swanctl.conf"));
  EXPECT_EQ(ipsec_secret("upf")["metadata"]["resourceVersion"],
            upf_before["metadata"]["resourceVersion"]);
  EXPECT_TRUE(profile_condition("upf", "Ready", "True"));
  // Entering the hold is told once, as a Warning naming the peer (not once per pass: the
  // peer's events bring this profile back while it waits).
  ASSERT_TRUE(eventually([&] { return !events("smf", "IpsecChangePending").empty(); },
                         std::chrono::seconds(30)))
      << operators_[0]->log();
  const auto hold_events = events("smf", "IpsecChangePending");
  ASSERT_EQ(hold_events.size(), 1u) << hold_events.dump(2);
  EXPECT_EQ(hold_events[0].value("type", ""), "Warning");
  EXPECT_NE(hold_events[0].value("message", "").find("until the spec of " + namespace_ + "/upf"),
            std::string::npos)
      << hold_events.dump(2);
  check_link_on_the_wire();

  // The peer catches up: both Secrets switch to the new proposals, both Ready.
  ASSERT_EQ(apply_yaml(upf(kIke128), &output), 0) << output;
  EXPECT_TRUE(eventually(
      [&] {
        const auto a = swanctl("smf");
        const auto b = swanctl("upf");
        return a.find(kIke128) != std::string::npos && a.find(kIke256) == std::string::npos &&
               b.find(kIke128) != std::string::npos && b.find(kIke256) == std::string::npos;
      },
      std::chrono::seconds(30)))
      << operators_[0]->log();
  EXPECT_TRUE(eventually(
      [&] {
        const auto a = ready_condition("smf");
        const auto b = ready_condition("upf");
        return !a.is_null() && a.value("status", "") == "True" && !b.is_null() &&
               b.value("status", "") == "True";
      },
      std::chrono::seconds(30)))
      << profile("smf")["status"].dump();
  // Both ends switched: told once, as a Normal Event; the hold's Warning was not repeated.
  ASSERT_TRUE(eventually([&] { return !events("smf", "IpsecChangeApplied").empty(); },
                         std::chrono::seconds(30)))
      << operators_[0]->log();
  const auto applied_events = events("smf", "IpsecChangeApplied");
  ASSERT_EQ(applied_events.size(), 1u) << applied_events.dump(2);
  EXPECT_EQ(applied_events[0].value("type", ""), "Normal");
  EXPECT_EQ(applied_events[0].value("count", 1), 1);
  const auto held_events = events("smf", "IpsecChangePending");
  ASSERT_EQ(held_events.size(), 1u);
  EXPECT_EQ(held_events[0].value("count", 1), 1) << held_events.dump(2);
}

}  // namespace
}  // namespace secprov::testing

// Every valid sample in deploy/samples/ passes parse+validate; every sample in
// deploy/samples/invalid/ is rejected with an error on the field it is about.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "test_util.h"
#include "yaml_json.h"

namespace secprov::api {
namespace {

namespace fs = std::filesystem;
using testing::HasError;
using testing::NoErrors;

const fs::path kSamples = fs::path(SECPROV_SOURCE_DIR) / "deploy" / "samples";

FieldErrors check(const nlohmann::json& doc) {
  const std::string kind = doc.value("kind", "");
  if (kind == "SecurityProfile") return check_security_profile(doc);
  if (kind == "TrustDomain") return check_trust_domain(doc);
  return {};
}

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Samples, ValidSamplesPass) {
  std::map<std::string, int> kinds;
  std::set<std::string> nf_types;
  for (const auto& file : yaml_files(kSamples)) {
    for (const auto& doc : testing::load_yaml_file(file.string())) {
      const std::string kind = doc.value("kind", "");
      ++kinds[kind];
      EXPECT_TRUE(NoErrors(check(doc))) << file.filename();
      if (kind == "SecurityProfile") {
        EXPECT_EQ(doc["metadata"].value("namespace", ""), "5gc") << file.filename();
        nf_types.insert(doc["spec"].value("nfType", ""));
      }
    }
  }
  EXPECT_EQ(kinds["Namespace"], 1);
  EXPECT_EQ(kinds["TrustDomain"], 1);
  EXPECT_GE(kinds["SecurityProfile"], 5);
  EXPECT_EQ(nf_types, (std::set<std::string>{"AMF", "SMF", "NRF", "UPF", "SEPP", "AUSF"}));
}

struct Expectation {
  std::string field;
  std::string text;  // substring of the reason
};

const std::map<std::string, Expectation> kInvalid = {
    {"tls-1.1.yaml", {"spec.sbi.tls.minVersion", "Unsupported value: \"1.1\""}},
    {"cbc-suite.yaml",
     {"spec.sbi.tls.tls12CipherSuites[1]", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"}},
    {"rsa-1024.yaml", {"spec.sbi.tls.certificate.keyAlgorithm", "at least 2048 bits"}},
    {"duration-4y.yaml", {"spec.sbi.tls.certificate.duration", "must be at most 26280h"}},
    {"renew-not-below.yaml",
     {"spec.sbi.tls.certificate.renewBefore", "must be shorter than duration"}},
    {"bad-uuid.yaml", {"spec.nfInstanceId", "should match"}},
    {"unknown-nftype.yaml", {"spec.nfType", "Unsupported value: \"AMFF\""}},
    {"n32-on-amf.yaml", {"spec.n32", "only allowed when nfType is SEPP"}},
    {"unknown-field.yaml", {"spec.sbi.tls.ciphers", "unknown field"}},
    {"min-above-max.yaml", {"spec.sbi.tls.minVersion", "must not be greater than maxVersion"}},
    {"oauth2-no-nrf.yaml", {"spec.sbi.oauth2.nrfApiRoot", "required when oauth2 is enabled"}},
    {"weak-ike.yaml",
     {"spec.ipsec.interfaces[0].ike.proposals[0]", "3des is not in the NDS/IP allow-list"}},
    // Issue 8 defect 5: the proposal allow-list, token by token, and the structure.
    {"esp-null.yaml",
     {"spec.ipsec.interfaces[0].esp.proposals[0]", "null is not in the NDS/IP allow-list"}},
    {"ike-sha1.yaml",
     {"spec.ipsec.interfaces[0].ike.proposals[0]", "sha1 is not in the NDS/IP allow-list"}},
    {"ike-modp1536.yaml",
     {"spec.ipsec.interfaces[0].ike.proposals[0]", "modp1536 is not in the NDS/IP allow-list"}},
    {"ike-unknown-token.yaml",
     {"spec.ipsec.interfaces[0].ike.proposals[0]", "p384 is not in the NDS/IP allow-list"}},
    {"ike-no-encryption.yaml",
     {"spec.ipsec.interfaces[0].ike.proposals[0]", "needs an encryption algorithm"}},
    {"esp-gcm-with-cbc.yaml",
     {"spec.ipsec.interfaces[0].esp.proposals[0]", "cannot be combined in one proposal"}},
    {"esp-cbc-no-integrity.yaml",
     {"spec.ipsec.interfaces[0].esp.proposals[0]", "needs an integrity algorithm"}},
    {"esp-gcm-with-integrity.yaml",
     {"spec.ipsec.interfaces[0].esp.proposals[0]", "protects integrity itself"}},
    {"ike-gcm-no-prf.yaml", {"spec.ipsec.interfaces[0].ike.proposals[0]", "needs a PRF"}},
    {"ike-no-dh.yaml",
     {"spec.ipsec.interfaces[0].ike.proposals[0]", "needs a Diffie-Hellman group"}},
    {"psk-on-n2.yaml",
     {"spec.ipsec.interfaces[0].authentication", "needs allowPreSharedKey: true"}},
    // Issue 8 defect 6: OAuth2 only over TLS; scopes are TS 29.510 service names.
    {"oauth2-without-tls.yaml", {"spec.sbi.oauth2.enabled", "TS 33.501 13.3.2.1"}},
    {"unknown-scope.yaml",
     {"spec.sbi.oauth2.scopes[1]", "nnrf-discovery is not an NF service name of TS 29.510"}},
    {"bad-peer-address.yaml",
     {"spec.ipsec.interfaces[0].peers[0].address", "IP address or a lowercase FQDN"}},
};

TEST(Samples, InvalidSamplesAreRejectedOnTheRightField) {
  std::set<std::string> seen;
  for (const auto& file : yaml_files(kSamples / "invalid")) {
    const std::string name = file.filename().string();
    seen.insert(name);
    auto it = kInvalid.find(name);
    ASSERT_NE(it, kInvalid.end()) << "no expectation for invalid sample " << name;
    const auto docs = testing::load_yaml_file(file.string());
    ASSERT_EQ(docs.size(), 1u) << name;
    const auto errs = check(docs[0]);
    EXPECT_TRUE(HasError(errs, it->second.field, it->second.text)) << name;
    // one mistake per sample: nothing else is wrong with it
    for (const auto& e : errs) EXPECT_EQ(e.field, it->second.field) << name << ": " << e.message();
  }
  for (const auto& [name, exp] : kInvalid)
    EXPECT_TRUE(seen.count(name)) << "missing sample " << name;
}

}  // namespace
}  // namespace secprov::api

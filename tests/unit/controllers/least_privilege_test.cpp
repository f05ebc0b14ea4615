// What the operator may see: the namespaces it serves (--watch-namespaces) and the
// Secrets its CA cache accepts as a trust domain's CA.
#include <gtest/gtest.h>

#include <chrono>

#include "api/trustdomain.h"
#include "controllers/ca_provider.h"
#include "controllers/manager.h"
#include "crypto/authority.h"
#include "crypto/encoding.h"

namespace secprov::controllers {
namespace {

using nlohmann::json;

WatchNamespaces served(std::string_view flag) {
  const auto parsed = parse_watch_namespaces(flag);
  EXPECT_TRUE(std::holds_alternative<WatchNamespaces>(parsed)) << flag;
  return std::holds_alternative<WatchNamespaces>(parsed) ? std::get<WatchNamespaces>(parsed)
                                                         : WatchNamespaces{};
}

std::string rejection(std::string_view flag) {
  const auto parsed = parse_watch_namespaces(flag);
  const auto* invalid = std::get_if<InvalidWatchNamespaces>(&parsed);
  return invalid ? invalid->message : std::string{};
}

TEST(WatchNamespaces, AllOrEmptyMeansEveryNamespace) {
  EXPECT_TRUE(served("all").all());
  EXPECT_TRUE(served("").all());
}

TEST(WatchNamespaces, AListIsSortedAndDeduplicated) {
  const auto namespaces = served("ran-5gc,core,core");
  EXPECT_FALSE(namespaces.all());
  EXPECT_EQ(namespaces.names, (std::vector<std::string>{"core", "ran-5gc"}));
}

TEST(WatchNamespaces, AnythingButNamespaceNamesIsRejectedNamingTheEntry) {
  EXPECT_NE(rejection("core,,edge").find("\"\""), std::string::npos);
  EXPECT_NE(rejection("core, edge").find("\" edge\""), std::string::npos);
  EXPECT_NE(rejection("Core").find("\"Core\""), std::string::npos);
  EXPECT_FALSE(rejection("a.b").empty());
  EXPECT_FALSE(rejection("-a").empty());
  EXPECT_FALSE(rejection(std::string(64, 'a')).empty());
  EXPECT_TRUE(rejection(std::string(63, 'a')).empty());
  // "all" in a list is ambiguous (every namespace, or one named "all"?): refused.
  EXPECT_NE(rejection("all,core").find("\"all\" cannot be combined"), std::string::npos);
}

TEST(CaSecretSelector, SelectsTrustDomainLabelledSecretsThatAreNotProfileOutputs) {
  EXPECT_EQ(ca_secret_selector(), "secprov.io/trust-domain,!secprov.io/profile");
}

class CaProviderTest : public ::testing::Test {
 protected:
  api::TrustDomain domain(const std::string& name, const std::string& secret_ref) {
    const auto parsed =
        api::parse_trust_domain({{"apiVersion", "secprov.io/v1alpha1"},
                                 {"kind", "TrustDomain"},
                                 {"metadata", {{"name", name}, {"generation", 1}}},
                                 {"spec",
                                  {{"domain", "5gc.mnc001.mcc001.3gppnetwork.org"},
                                   {"country", "FR"},
                                   {"ca", {{"secretRef", {{"name", secret_ref}}}}}}}});
    EXPECT_TRUE(parsed.ok());
    return parsed.value();
  }
  void put_ca_secret(const std::string& name, const json& labels) {
    json metadata = {{"name", name}, {"namespace", "secprov-system"}, {"resourceVersion", "1"}};
    if (!labels.is_null()) metadata["labels"] = labels;
    secrets_->upsert(json{{"apiVersion", "v1"},
                          {"kind", "Secret"},
                          {"metadata", metadata},
                          {"data",
                           {{"tls.crt", crypto::base64_encode(ca_.certificate().to_pem())},
                            {"tls.key", crypto::base64_encode(ca_.key().to_pkcs8_pem())}}}});
  }

  const std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  const crypto::CertificateAuthority ca_ = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256,
      {.country = "FR", .organization = "test", .organizational_unit = {}, .common_name = "CA"},
      std::chrono::hours(24 * 365), now_);
  const std::shared_ptr<runtime::Store> secrets_ = std::make_shared<runtime::Store>();
  CaProvider provider_{secrets_, "secprov-system"};
};

TEST_F(CaProviderTest, AnImportedCaLabelledForItsDomainLoads) {
  put_ca_secret("imported", {{"secprov.io/trust-domain", "home"}});
  const auto result = provider_.get(domain("home", "imported"), now_);
  ASSERT_TRUE(result.ca) << result.error.message;
}

TEST_F(CaProviderTest, AnUnlabelledSecretIsNotACaEvenWhenPointedAt) {
  put_ca_secret("imported", nullptr);
  const auto result = provider_.get(domain("home", "imported"), now_);
  EXPECT_FALSE(result.ca);
  EXPECT_EQ(result.error.reason, "CASecretNotFound");
  EXPECT_EQ(result.error.message,
            "Secret secprov-system/imported not found or not labelled "
            "secprov.io/trust-domain=home");
}

TEST_F(CaProviderTest, AnotherDomainsCaCannotBeBorrowed) {
  put_ca_secret("other-ca-keypair", {{"secprov.io/trust-domain", "other"}});
  const auto result = provider_.get(domain("home", "other-ca-keypair"), now_);
  EXPECT_FALSE(result.ca);
  EXPECT_EQ(result.error.reason, "CASecretNotFound");
}

}  // namespace
}  // namespace secprov::controllers

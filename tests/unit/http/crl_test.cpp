#include "http/crl.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace secprov::http {
namespace {

std::optional<std::string> lookup(std::string_view trust_domain) {
  if (trust_domain == "operator-a") return std::string("\x30\x82\x01\x00", 4);  // DER bytes
  return std::nullopt;
}

TEST(CrlRoute, ServesThePublishedDerOfTheNamedTrustDomain) {
  const auto ok = crl_response({"GET", "/crl/operator-a.crl", ""}, lookup);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.content_type, "application/pkix-crl");
  EXPECT_EQ(ok.body, std::string("\x30\x82\x01\x00", 4));
}

TEST(CrlRoute, NotFoundForOtherNamesAndPaths) {
  for (const char* path : {"/crl/operator-b.crl", "/crl/operator-a", "/crl/.crl", "/crl/",
                           "/crl/../operator-a.crl", "/crl/Operator-A.crl", "/crl/a/b.crl"}) {
    EXPECT_EQ(crl_response({"GET", path, ""}, lookup).status, 404) << path;
  }
  EXPECT_EQ(crl_response({"POST", "/crl/operator-a.crl", ""}, lookup).status, 405);
}

TEST(CrlRoute, RegisteredUnderThePrefix) {
  const auto routes = crl_routes(lookup);
  ASSERT_TRUE(routes.contains("/crl/"));
  EXPECT_EQ(routes.at("/crl/")({"GET", "/crl/operator-a.crl", ""}).status, 200);
}

}  // namespace
}  // namespace secprov::http

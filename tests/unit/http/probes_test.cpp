#include "http/probes.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace secprov::http {
namespace {

TEST(ProbeResponse, AllChecksPassingAnswersOk) {
  const auto response =
      probe_response({{"ping", [] { return true; }}, {"informers", [] { return true; }}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "[+]ping ok\n[+]informers ok\nok\n");
}

TEST(ProbeResponse, OneFailingCheckAnswers500AndNamesIt) {
  const auto response =
      probe_response({{"ping", [] { return true; }}, {"informers", [] { return false; }}});
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("[-]informers failed"), std::string::npos);
  EXPECT_NE(response.body.find("[+]ping ok"), std::string::npos);
}

TEST(MetricsResponse, SerializesRegisteredFamiliesInTextFormat) {
  prometheus::Registry registry;
  auto& family = prometheus::BuildCounter()
                     .Name("controller_runtime_reconcile_total")
                     .Help("Total reconciliations")
                     .Register(registry);
  family.Add({{"controller", "profile"}, {"result", "success"}}).Increment(3);
  const auto response = metrics_response(registry);
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.content_type.find("version=0.0.4"), std::string::npos);
  EXPECT_NE(response.body.find(
                "controller_runtime_reconcile_total{controller=\"profile\",result=\"success\"} 3"),
            std::string::npos)
      << response.body;
}

TEST(OperationalRoutes, ServesTheThreeEndpoints) {
  bool ready = false;
  auto registry = std::make_shared<prometheus::Registry>();
  auto routes = operational_routes({{"ping", [] { return true; }}},
                                   {{"caches", [&] { return ready; }}}, registry);
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes.at("/healthz")({}).status, 200);
  EXPECT_EQ(routes.at("/readyz")({}).status, 500);
  ready = true;
  EXPECT_EQ(routes.at("/readyz")({}).status, 200);
  EXPECT_EQ(routes.at("/metrics")({}).status, 200);
}

}  // namespace
}  // namespace secprov::http

#include "http/probes.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace secprov::http {

Response probe_response(const std::vector<Check>& checks) {
  std::string detail;
  bool all_pass = true;
  for (const auto& check : checks) {
    const bool passes = check.passes();
    all_pass = all_pass && passes;
    detail += (passes ? "[+]" : "[-]") + check.name + (passes ? " ok\n" : " failed\n");
  }
  if (all_pass) return Response{200, "text/plain; charset=utf-8", detail + "ok\n"};
  return Response{500, "text/plain; charset=utf-8", detail + "check failed\n"};
}

Response metrics_response(const prometheus::Registry& registry) {
  const prometheus::TextSerializer serializer;
  return Response{200, "text/plain; version=0.0.4; charset=utf-8",
                  serializer.Serialize(registry.Collect())};
}

Routes operational_routes(std::vector<Check> liveness, std::vector<Check> readiness,
                          std::shared_ptr<const prometheus::Registry> registry) {
  Routes routes;
  routes["/healthz"] = [liveness = std::move(liveness)](const Request&) {
    return probe_response(liveness);
  };
  routes["/readyz"] = [readiness = std::move(readiness)](const Request&) {
    return probe_response(readiness);
  };
  routes["/metrics"] = [registry = std::move(registry)](const Request&) {
    return metrics_response(*registry);
  };
  return routes;
}

}  // namespace secprov::http

#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/server.h"

namespace prometheus {
class Registry;
}

namespace secprov::http {

// A named check, as kube-apiserver's /healthz and /readyz list them.
struct Check {
  std::string name;
  std::function<bool()> passes;  // must be cheap and thread-safe
};

// 200 "ok" when every check passes, else 500 with one "[+]name ok" / "[-]name failed" line each.
Response probe_response(const std::vector<Check>& checks);

// Prometheus text exposition format of everything in `registry`.
Response metrics_response(const prometheus::Registry& registry);

// /healthz (liveness), /readyz (readiness: caches synced) and /metrics.
Routes operational_routes(std::vector<Check> liveness, std::vector<Check> readiness,
                          std::shared_ptr<const prometheus::Registry> registry);

}  // namespace secprov::http

#include "webhook/pod_injector.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "api/securityprofile.h"
#include "kube/errors.h"
#include "render/enabler.h"

namespace secprov::webhook {
namespace {

using nlohmann::json;

// The leading decimal digits of `text` ("29+" -> 29); nullopt when there are none.
std::optional<int> leading_number(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  return value;
}

std::optional<std::string> string_member(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

http::Response text(int status, std::string body) {
  return http::Response{status, "text/plain; charset=utf-8", std::move(body)};
}

}  // namespace

PodInjector::PodInjector(PodInjectorOptions options) : options_(std::move(options)) {
  if (!options_.injection) {
    options_.injection = [image = options_.default_image](const api::SecurityProfile& p) {
      return render::enabler_injection(p, image);
    };
  }
}

AdmissionResponse PodInjector::admit(const AdmissionRequest& request) const {
  // Only a Pod being created is injected: an update cannot add containers.
  if (request.kind != "Pod" || request.operation != "CREATE" || !request.object.is_object()) {
    return {};
  }
  if (!options_.synced || !options_.synced()) {
    throw InjectorUnavailable("the operator's cache of SecurityProfiles is not synced yet");
  }
  const rules::Profiles held = options_.in_namespace(request.namespace_);
  std::vector<const api::SecurityProfile*> profiles;
  profiles.reserve(held.size());
  for (const auto& p : held) profiles.push_back(p.get());

  const auto decision = render::decide_injection(request.object, request.namespace_, profiles);
  AdmissionResponse response;
  response.warnings = decision.warnings;
  if (!decision.inject()) return response;

  const auto injection = options_.injection(*decision.profile);
  json patch = render::pod_patch(request.object, injection, options_.native_sidecars);
  if (!patch.empty()) response.patch = std::move(patch);
  return response;
}

http::Handler pod_injector_handler(std::shared_ptr<const PodInjector> injector) {
  return [injector = std::move(injector)](const http::Request& request) {
    if (request.method != "POST") return text(405, "POST an AdmissionReview\n");
    json body;
    try {
      body = json::parse(request.body);
    } catch (const json::exception&) {
      return text(400, "the body is not JSON\n");
    }
    const auto review = parse_admission_review(body);
    if (!review) {
      return text(400, "not an AdmissionReview v1: " + review.errors().front().message() + "\n");
    }
    try {
      const auto response = injector->admit(*review);
      spdlog::debug("admission {} Pod {}/{}: {}", review->operation, review->namespace_,
                    review->name, response.patch ? "patched" : "unchanged");
      return http::Response{200, "application/json",
                            admission_review_response(review->uid, response).dump()};
    } catch (const InjectorUnavailable& e) {
      return text(503, std::string(e.what()) + "\n");
    }
  };
}

bool native_sidecars_supported(const json& version) {
  auto major = leading_number(string_member(version, "major").value_or(""));
  auto minor = leading_number(string_member(version, "minor").value_or(""));
  if (!major || !minor) {
    // gitVersion: "v1.29.3", "v1.30.0-rc.1+k3s1".
    std::string_view git = "";
    const auto git_version = string_member(version, "gitVersion");
    if (git_version) git = *git_version;
    if (!git.empty() && git.front() == 'v') git.remove_prefix(1);
    major = leading_number(git);
    const auto dot = git.find('.');
    minor = dot == std::string_view::npos ? std::nullopt : leading_number(git.substr(dot + 1));
    if (!major || !minor) return false;
  }
  return *major > 1 || (*major == 1 && *minor >= 29);
}

bool detect_native_sidecars(kube::Client& client) {
  try {
    const bool native = native_sidecars_supported(client.get_path("/version"));
    spdlog::info("enabler injection: {} (from the server's /version)",
                 native ? "native sidecar containers" : "regular containers");
    return native;
  } catch (const kube::ApiError& e) {
    spdlog::warn("enabler injection: GET /version failed ({}); injecting regular containers",
                 e.what());
    return false;
  }
}

}  // namespace secprov::webhook

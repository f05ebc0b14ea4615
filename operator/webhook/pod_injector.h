#pragma once
// The mutating admission webhook on Pods (POST /mutate-pods): on CREATE, a Pod selected by
// exactly one SecurityProfile of its namespace with spec.enabler.mode Sidecar gets the
// enabler (render::decide_injection, render::pod_patch: pure). The namespaceSelector
// secprov.io/injection=enabled, the failurePolicy and the timeout are the
// MutatingWebhookConfiguration's (deploy/operator/mutating-webhook.yaml).

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "http/server.h"
#include "kube/client.h"
#include "render/injection.h"
#include "webhook/admission.h"
#include "webhook/profile_rules.h"

namespace secprov::webhook {

inline constexpr const char* kMutatePodsPath = "/mutate-pods";
// The enabler image when a profile names none (spec.enabler.image).
inline constexpr const char* kDefaultEnablerImage = "secprov/enabler:0.1.0";

struct PodInjectorOptions {
  // The profiles of one namespace (the operator's cache, in every replica).
  std::function<rules::Profiles(const std::string& ns)> in_namespace;
  std::function<bool()> synced;  // the cache listed once
  // What to inject for a Sidecar profile; default: render::enabler_injection(profile, image).
  std::function<render::EnablerInjection(const api::SecurityProfile&)> injection;
  std::string default_image;  // the operator's enabler image (--enabler-image)
  // Kubernetes >= 1.29 sidecar containers (see detect_native_sidecars).
  bool native_sidecars = false;
};

// The cache has not listed the profiles yet: the handler answers 503 so that the webhook
// configuration's failurePolicy decides, not a guess.
class InjectorUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PodInjector {
 public:
  explicit PodInjector(PodInjectorOptions options);

  // Allowed always (this webhook never refuses a Pod); a patch when the Pod gets or must
  // update the enabler, none when it already carries it; a warning when two profiles select
  // it. Only Pod CREATE is looked at. Throws InjectorUnavailable before the cache synced,
  // and whatever rendering the profile's injection throws (the server answers 500: the
  // failurePolicy decides).
  AdmissionResponse admit(const AdmissionRequest& request) const;

  bool native_sidecars() const { return options_.native_sidecars; }

 private:
  PodInjectorOptions options_;
};

// The HTTP handler: AdmissionReview in, AdmissionReview out (400 for a body that is not one,
// 503 while unavailable).
http::Handler pod_injector_handler(std::shared_ptr<const PodInjector> injector);

// Whether the server's GET /version body is Kubernetes >= 1.29 (native sidecar containers on
// by default). Reads major/minor ("29+" counts as 29), else gitVersion "v1.29.3".
bool native_sidecars_supported(const nlohmann::json& version);
// GET /version once; false (regular containers) when the server cannot be asked.
bool detect_native_sidecars(kube::Client& client);

}  // namespace secprov::webhook

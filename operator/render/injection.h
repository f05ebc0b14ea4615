#pragma once
// The security enabler as a Pod sees it: what the mutating webhook injects next to an NF
// (render/enabler.h computes it from the profile; pod_patch() turns it into a JSON Patch).
// Pure: no I/O. The enabler's rendered configuration names exactly these mount paths.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"

namespace secprov::render {

// ---- names shared by the rendered enabler configuration and the Pod patch ----
inline constexpr std::string_view kEnablerContainerName = "secprov-enabler";
// Pod annotations written by the webhook.
inline constexpr std::string_view kInjectedProfileAnnotation = "secprov.io/profile";
inline constexpr std::string_view kInjectedGenerationAnnotation = "secprov.io/profile-generation";
inline constexpr std::string_view kInjectedDigestAnnotation = "secprov.io/enabler-digest";
// Per-Pod opt-out: "false" on the Pod leaves it untouched.
inline constexpr std::string_view kInjectAnnotation = "secprov.io/inject";
// Namespace label that the webhook configuration's namespaceSelector requires.
inline constexpr std::string_view kInjectionNamespaceLabel = "secprov.io/injection";
// The enabler's only writable directory (its root filesystem is read-only): HAProxy's
// master socket, runtime API socket and pid file. An in-memory emptyDir.
inline constexpr std::string_view kEnablerRuntimeVolume = "secprov-enabler-run";
inline constexpr std::string_view kEnablerRuntimeDir = "/run/secprov-enabler";
// The enabler runs as this UID and GID (the enabler image's user). The kubelet writes Secret
// files owned by root: the key (mode 0400) is readable by a non-root container only through
// the Pod's fsGroup (group-owned, group-readable). A Pod without one gets this GID as its
// fsGroup, with fsGroupChangePolicy OnRootMismatch (no recursive chown of the NF's volumes on
// every start); a Pod with one keeps it, and the enabler reads through it (every container
// has the fsGroup as a supplementary group). Istio's injector does the same for its token.
inline constexpr std::int64_t kEnablerUid = 65532;

// One projected key of a Secret or ConfigMap volume.
struct VolumeItem {
  std::string key;
  std::string path;  // relative to the mount path
  int mode = 0444;   // decimal in the Pod spec; private keys 0400
  friend bool operator==(const VolumeItem&, const VolumeItem&) = default;
};

struct EnablerVolume {
  std::string name;    // volume name in the Pod (prefixed "secprov-")
  std::string kind;    // "Secret" or "ConfigMap"
  std::string source;  // the object's name, in the Pod's namespace
  std::vector<VolumeItem> items;
  std::string mount_path;
  friend bool operator==(const EnablerVolume&, const EnablerVolume&) = default;
};

// One environment variable of the enabler container (a plain value, never Secret data).
struct EnvVar {
  std::string name;
  std::string value;
  friend bool operator==(const EnvVar&, const EnvVar&) = default;
};

// Everything the webhook adds for one profile.
struct EnablerInjection {
  std::string profile;  // SecurityProfile name (same namespace)
  std::int64_t generation = 0;
  std::string config_digest;  // "sha256:<hex>" of the rendered enabler configuration
  std::string image;
  std::string image_pull_policy = "IfNotPresent";
  std::vector<std::string> command;  // the agent supervising HAProxy
  std::vector<std::string> args;
  std::vector<EnvVar> env;                              // in this order
  std::vector<std::uint16_t> container_ports;           // TLS ports the enabler exposes
  nlohmann::json resources = nlohmann::json::object();  // Pod-spec resources object
  std::vector<EnablerVolume> volumes;
  // Mount path of the writable runtime emptyDir (kEnablerRuntimeVolume); empty: none.
  std::string runtime_dir{kEnablerRuntimeDir};
  friend bool operator==(const EnablerInjection&, const EnablerInjection&) = default;
};

// ---- the decision: whether a Pod gets the enabler, as a named reason (controllers/policies.h)
// ----

// Reasons, CamelCase. Only kInjectReasonInjected comes with a profile.
inline constexpr std::string_view kInjectReasonInjected = "Injected";
inline constexpr std::string_view kInjectReasonSystemNamespace = "SystemNamespace";
inline constexpr std::string_view kInjectReasonHostNetwork = "HostNetwork";
inline constexpr std::string_view kInjectReasonOptedOut = "OptedOut";
inline constexpr std::string_view kInjectReasonNoProfile = "NoMatchingProfile";
inline constexpr std::string_view kInjectReasonAmbiguous = "AmbiguousProfiles";

struct InjectionDecision {
  const api::SecurityProfile* profile = nullptr;  // the one profile to inject; null: none
  std::string reason;
  std::string message;
  std::vector<std::string> warnings;  // admission warnings (AmbiguousProfiles names them)
  bool inject() const { return profile != nullptr; }
};

// Whether a profile asks for the enabler as a sidecar (spec.enabler.mode: Sidecar); tests
// and callers may name the profiles themselves.
using SidecarPredicate = std::function<bool(const api::SecurityProfile&)>;

// Decides for a Pod being created in `namespace_` (the admission request's: a Pod's own
// metadata.namespace may be empty on CREATE), in this order: never kube-system/kube-public,
// never hostNetwork, not when the Pod carries secprov.io/inject: "false"; then the profiles of
// that namespace that are Sidecar and whose spec.selector.matchLabels are all among the Pod's
// labels (an empty selector selects nothing here): none -> no injection; two or more -> no
// injection and a warning naming them (the validating webhook refuses such profiles; the Pod
// is not guessed at).
InjectionDecision decide_injection(const nlohmann::json& pod, std::string_view namespace_,
                                   const std::vector<const api::SecurityProfile*>& profiles,
                                   const SidecarPredicate& is_sidecar);
// The same with spec.enabler.mode (api::enabler_sidecar).
InjectionDecision decide_injection(const nlohmann::json& pod, std::string_view namespace_,
                                   const std::vector<const api::SecurityProfile*>& profiles);

// ---- the Pod patch ----

// "~" -> "~0", "/" -> "~1" (RFC 6901), for annotation keys in patch paths.
std::string json_pointer_escape(std::string_view token);

// The RFC 6902 JSON Patch (an array) that makes `pod` carry `injection`:
//  - the enabler container: with native_sidecars an init container with restartPolicy Always
//    placed first (it starts before and stops after the NF), else a regular container; one in
//    the other list (the server's support changed) is removed;
//  - hardened securityContext, TLS ports, resources, read-only mounts of its volumes and a
//    writable in-memory runtime emptyDir;
//  - Secret/ConfigMap volumes projecting only the listed keys with their modes;
//  - annotations: profile, generation, configuration digest.
// What is already there (matched by name, the Pod's extra defaulted fields ignored) is left
// alone, what differs is replaced, never duplicated: a Pod that already carries this
// injection gets an empty patch, one injected with an older digest is brought up to date.
nlohmann::json pod_patch(const nlohmann::json& pod, const EnablerInjection& injection,
                         bool native_sidecars);

// The enabler container as pod_patch() writes it (for tests and status checks).
nlohmann::json enabler_container(const EnablerInjection& injection, bool native_sidecars);
// The Pod volumes as pod_patch() writes them, runtime emptyDir last.
std::vector<nlohmann::json> enabler_pod_volumes(const EnablerInjection& injection);

}  // namespace secprov::render

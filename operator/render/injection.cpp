#include "render/injection.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "render/detail/common.h"

namespace secprov::render {
namespace {

using detail::find_path;
using nlohmann::json;

constexpr int kSecretDefaultMode = 0400;
constexpr int kConfigMapDefaultMode = 0444;

std::optional<std::string> string_at(const json& object, std::initializer_list<const char*> keys) {
  const json* v = find_path(object, keys);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

bool selects(const api::LabelSelector& selector, const json& pod_labels) {
  // An empty selector would select every Pod of the namespace: never inject on that.
  if (selector.match_labels.empty() || !pod_labels.is_object()) return false;
  return std::all_of(selector.match_labels.begin(), selector.match_labels.end(),
                     [&](const auto& kv) {
                       const auto it = pod_labels.find(kv.first);
                       return it != pod_labels.end() && it->is_string() &&
                              it->template get<std::string>() == kv.second;
                     });
}

// `actual` holds everything `desired` says; fields the apiserver defaulted (or anything else
// added) are ignored. Arrays must match element by element.
bool covers(const json& actual, const json& desired) {
  if (desired.is_object()) {
    if (!actual.is_object()) return false;
    for (const auto& [key, value] : desired.items()) {
      const auto it = actual.find(key);
      if (it == actual.end() || !covers(*it, value)) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!actual.is_array() || actual.size() != desired.size()) return false;
    for (std::size_t i = 0; i < desired.size(); ++i) {
      if (!covers(actual[i], desired[i])) return false;
    }
    return true;
  }
  return actual == desired;
}

std::optional<std::size_t> index_by_name(const json* list, std::string_view name) {
  if (list == nullptr || !list->is_array()) return std::nullopt;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    if (item.is_object() && item.value("name", std::string{}) == name) return i;
  }
  return std::nullopt;
}

json op(std::string_view verb, std::string path, json value) {
  return json{{"op", verb}, {"path", std::move(path)}, {"value", std::move(value)}};
}

json remove_op(std::string path) {
  return json{{"op", "remove"}, {"path", std::move(path)}};
}

json volume_items(const EnablerVolume& volume) {
  json items = json::array();
  for (const auto& item : volume.items) {
    items.push_back({{"key", item.key}, {"path", item.path}, {"mode", item.mode}});
  }
  return items;
}

// The enabler in one list of the Pod: removed from the other list, placed (first, for an
// init container) or replaced in its own.
void patch_container(const json& spec, const json& desired, bool native_sidecars, json& ops) {
  const std::string own = native_sidecars ? "initContainers" : "containers";
  const std::string other = native_sidecars ? "containers" : "initContainers";

  // Highest index first: earlier removals must not shift later ones.
  if (const json* list = find_path(spec, {other.c_str()}); list != nullptr && list->is_array()) {
    for (std::size_t i = list->size(); i-- > 0;) {
      const auto& c = (*list)[i];
      if (c.is_object() && c.value("name", std::string{}) == kEnablerContainerName) {
        ops.push_back(remove_op("/spec/" + other + "/" + std::to_string(i)));
      }
    }
  }

  const json* list = find_path(spec, {own.c_str()});
  const std::string base = "/spec/" + own;
  if (list == nullptr || !list->is_array() || list->empty()) {
    if (list != nullptr && list->is_array()) {
      ops.push_back(op("add", base + "/-", desired));
    } else {
      ops.push_back(op(list == nullptr ? "add" : "replace", base, json::array({desired})));
    }
    return;
  }
  const auto at = index_by_name(list, kEnablerContainerName);
  if (!native_sidecars) {
    if (!at) {
      ops.push_back(op("add", base + "/-", desired));
    } else if (!covers((*list)[*at], desired)) {
      ops.push_back(op("replace", base + "/" + std::to_string(*at), desired));
    }
    return;
  }
  // Native: first, so that it starts before the other init containers and the NF.
  if (at == std::optional<std::size_t>{0}) {
    if (!covers((*list)[0], desired)) ops.push_back(op("replace", base + "/0", desired));
    return;
  }
  if (at) ops.push_back(remove_op(base + "/" + std::to_string(*at)));
  ops.push_back(op("add", base + "/0", desired));
}

void patch_volumes(const json& spec, const std::vector<json>& desired, json& ops) {
  const json* list = find_path(spec, {"volumes"});
  if (list == nullptr || !list->is_array()) {
    json all = json::array();
    for (const auto& v : desired) all.push_back(v);
    ops.push_back(op(list == nullptr ? "add" : "replace", "/spec/volumes", std::move(all)));
    return;
  }
  for (const auto& v : desired) {
    const auto at = index_by_name(list, v.at("name").get<std::string>());
    if (!at) {
      ops.push_back(op("add", "/spec/volumes/-", v));
    } else if (!covers((*list)[*at], v)) {
      // A volume of the same name but another source: replaced whole, not merged.
      ops.push_back(op("replace", "/spec/volumes/" + std::to_string(*at), v));
    }
  }
}

// See kEnablerUid: an fsGroup the Pod already has is kept.
void patch_fs_group(const json& spec, json& ops) {
  const json* context = find_path(spec, {"securityContext"});
  if (context == nullptr || !context->is_object()) {
    ops.push_back(op("add", "/spec/securityContext",
                     {{"fsGroup", kEnablerUid}, {"fsGroupChangePolicy", "OnRootMismatch"}}));
    return;
  }
  if (context->contains("fsGroup")) return;
  ops.push_back(op("add", "/spec/securityContext/fsGroup", kEnablerUid));
  if (!context->contains("fsGroupChangePolicy")) {
    ops.push_back(op("add", "/spec/securityContext/fsGroupChangePolicy", "OnRootMismatch"));
  }
}

void patch_annotations(const json& pod, const EnablerInjection& injection, json& ops) {
  const json wanted = {
      {std::string(kInjectedProfileAnnotation), injection.profile},
      {std::string(kInjectedGenerationAnnotation), std::to_string(injection.generation)},
      {std::string(kInjectedDigestAnnotation), injection.config_digest},
  };
  const json* annotations = find_path(pod, {"metadata", "annotations"});
  if (annotations == nullptr || !annotations->is_object()) {
    if (find_path(pod, {"metadata"}) == nullptr) {
      ops.push_back(op("add", "/metadata", json{{"annotations", wanted}}));
    } else {
      ops.push_back(
          op(annotations == nullptr ? "add" : "replace", "/metadata/annotations", wanted));
    }
    return;
  }
  for (const auto& [key, value] : wanted.items()) {
    const auto it = annotations->find(key);
    if (it != annotations->end() && *it == value) continue;
    ops.push_back(op(it == annotations->end() ? "add" : "replace",
                     "/metadata/annotations/" + json_pointer_escape(key), value));
  }
}

InjectionDecision skip(std::string_view reason, std::string message) {
  return InjectionDecision{nullptr, std::string(reason), std::move(message), {}};
}

}  // namespace

std::string json_pointer_escape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

InjectionDecision decide_injection(const json& pod, std::string_view namespace_,
                                   const std::vector<const api::SecurityProfile*>& profiles,
                                   const SidecarPredicate& is_sidecar) {
  std::string ns(namespace_);
  if (ns.empty()) ns = string_at(pod, {"metadata", "namespace"}).value_or("");
  if (ns == "kube-system" || ns == "kube-public") {
    return skip(kInjectReasonSystemNamespace, "Pods in " + ns + " are never injected");
  }
  if (const json* host = find_path(pod, {"spec", "hostNetwork"});
      host != nullptr && host->is_boolean() && host->get<bool>()) {
    return skip(kInjectReasonHostNetwork,
                "hostNetwork Pods are never injected: the enabler's ports would be the node's");
  }
  if (string_at(pod, {"metadata", "annotations", std::string(kInjectAnnotation).c_str()}) ==
      std::optional<std::string>{"false"}) {
    return skip(kInjectReasonOptedOut,
                "the Pod carries " + std::string(kInjectAnnotation) + ": \"false\"");
  }

  const json* labels = find_path(pod, {"metadata", "labels"});
  static const json kNoLabels = json::object();
  std::vector<const api::SecurityProfile*> matching;
  for (const api::SecurityProfile* p : profiles) {
    if (p == nullptr) continue;
    if (!p->metadata.namespace_.empty() && p->metadata.namespace_ != ns) continue;
    if (!is_sidecar(*p)) continue;
    if (!selects(p->spec.selector, labels != nullptr ? *labels : kNoLabels)) continue;
    matching.push_back(p);
  }
  if (matching.empty()) {
    return skip(kInjectReasonNoProfile,
                "no SecurityProfile with enabler mode Sidecar in " + ns + " selects the Pod");
  }
  if (matching.size() > 1) {
    std::vector<std::string> names;
    names.reserve(matching.size());
    for (const auto* p : matching) names.push_back(p->metadata.name);
    std::sort(names.begin(), names.end());
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    InjectionDecision d = skip(kInjectReasonAmbiguous, "SecurityProfiles " + list +
                                                           " all select the Pod (enabler mode "
                                                           "Sidecar); none is injected");
    d.warnings.push_back("secprov: the enabler was not injected: " + d.message);
    return d;
  }
  return InjectionDecision{
      matching.front(),
      std::string(kInjectReasonInjected),
      "the enabler of SecurityProfile " + matching.front()->metadata.name + " is injected",
      {}};
}

InjectionDecision decide_injection(const json& pod, std::string_view namespace_,
                                   const std::vector<const api::SecurityProfile*>& profiles) {
  return decide_injection(pod, namespace_, profiles,
                          [](const api::SecurityProfile& p) { return api::enabler_sidecar(p); });
}

json enabler_container(const EnablerInjection& injection, bool native_sidecars) {
  json c = {
      {"name", kEnablerContainerName},
      {"image", injection.image},
      {"imagePullPolicy", injection.image_pull_policy},
  };
  if (!injection.command.empty()) c["command"] = injection.command;
  if (!injection.args.empty()) c["args"] = injection.args;
  if (!injection.env.empty()) {
    json env = json::array();
    for (const auto& e : injection.env) env.push_back({{"name", e.name}, {"value", e.value}});
    c["env"] = std::move(env);
  }
  if (!injection.container_ports.empty()) {
    json ports = json::array();
    for (const auto port : injection.container_ports) {
      ports.push_back({{"containerPort", port}, {"protocol", "TCP"}});
    }
    c["ports"] = std::move(ports);
  }
  if (injection.resources.is_object() && !injection.resources.empty()) {
    c["resources"] = injection.resources;
  }
  c["securityContext"] = {
      {"runAsNonRoot", true},
      {"runAsUser", kEnablerUid},
      {"runAsGroup", kEnablerUid},
      {"readOnlyRootFilesystem", true},
      {"allowPrivilegeEscalation", false},
      {"capabilities", {{"drop", json::array({"ALL"})}}},
      {"seccompProfile", {{"type", "RuntimeDefault"}}},
  };
  json mounts = json::array();
  for (const auto& v : injection.volumes) {
    mounts.push_back({{"name", v.name}, {"mountPath", v.mount_path}, {"readOnly", true}});
  }
  if (!injection.runtime_dir.empty()) {
    mounts.push_back({{"name", kEnablerRuntimeVolume}, {"mountPath", injection.runtime_dir}});
  }
  if (!mounts.empty()) c["volumeMounts"] = std::move(mounts);
  // A native sidecar: an init container that keeps running next to the NF.
  if (native_sidecars) c["restartPolicy"] = "Always";
  return c;
}

std::vector<json> enabler_pod_volumes(const EnablerInjection& injection) {
  std::vector<json> out;
  for (const auto& v : injection.volumes) {
    if (v.kind == "Secret") {
      out.push_back({{"name", v.name},
                     {"secret",
                      {{"secretName", v.source},
                       {"items", volume_items(v)},
                       {"defaultMode", kSecretDefaultMode}}}});
    } else {
      out.push_back({{"name", v.name},
                     {"configMap",
                      {{"name", v.source},
                       {"items", volume_items(v)},
                       {"defaultMode", kConfigMapDefaultMode}}}});
    }
  }
  if (!injection.runtime_dir.empty()) {
    out.push_back({{"name", kEnablerRuntimeVolume},
                   {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "1Mi"}}}});
  }
  return out;
}

json pod_patch(const json& pod, const EnablerInjection& injection, bool native_sidecars) {
  json ops = json::array();
  static const json kEmpty = json::object();
  const json* spec = find_path(pod, {"spec"});
  const json& s = spec != nullptr && spec->is_object() ? *spec : kEmpty;
  patch_container(s, enabler_container(injection, native_sidecars), native_sidecars, ops);
  patch_volumes(s, enabler_pod_volumes(injection), ops);
  patch_fs_group(s, ops);
  patch_annotations(pod, injection, ops);
  return ops;
}

}  // namespace secprov::render

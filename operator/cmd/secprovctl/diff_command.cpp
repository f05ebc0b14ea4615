#include "cmd/secprovctl/diff_command.h"

#include <set>
#include <sstream>

#include "cmd/secprovctl/subprocess.h"
#include "render/oauth2.h"

namespace secprov::ctl {
namespace {

std::string label(const nlohmann::json& object) {
  return object.value("kind", std::string{}) + " " + object_name(object);
}

nlohmann::json data_of(const nlohmann::json* object) {
  if (!object || !object->contains("data") || !(*object)["data"].is_object()) {
    return nlohmann::json::object();
  }
  return (*object)["data"];
}

// The first line where two texts differ, for a ConfigMap value (public configuration).
std::string first_difference(const std::string& rendered, const std::string& cluster) {
  std::istringstream a(rendered);
  std::istringstream b(cluster);
  std::string la;
  std::string lb;
  for (int n = 1;; ++n) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "differs";
    if (!more_a) la = "<end>";
    if (!more_b) lb = "<end>";
    if (la != lb || !more_a || !more_b) {
      return "differs at line " + std::to_string(n) + ": rendered \"" + la + "\", cluster \"" + lb +
             "\"";
    }
  }
}

}  // namespace

std::vector<std::string> compare_object(const nlohmann::json& rendered,
                                        const nlohmann::json* cluster) {
  const auto name = label(rendered);
  if (!cluster) return {name + ": missing in the cluster"};
  std::vector<std::string> out;
  const bool secret = rendered.value("kind", std::string{}) == "Secret";
  const auto want = data_of(&rendered);
  const auto got = data_of(cluster);
  std::set<std::string> keys;
  for (const auto& [key, value] : want.items()) keys.insert(key);
  for (const auto& [key, value] : got.items()) keys.insert(key);
  for (const auto& key : keys) {
    const bool rendered_has = want.contains(key);
    const bool cluster_has = got.contains(key);
    if (rendered_has && !cluster_has) {
      out.push_back(name + ": data[" + key + "] missing in the cluster");
    } else if (!rendered_has && cluster_has) {
      out.push_back(name + ": data[" + key + "] in the cluster, not rendered");
    } else if (!secret && want[key] != got[key]) {
      const auto& a = want[key];
      const auto& b = got[key];
      out.push_back(name + ": data[" + key + "] " +
                    (a.is_string() && b.is_string()
                         ? first_difference(a.get<std::string>(), b.get<std::string>())
                         : "differs"));
    }
  }
  return out;
}

DiffResult diff_profiles(const std::vector<Parsed<api::SecurityProfile>>& profiles,
                         const DiffOptions& options) {
  DiffResult result;
  const auto kubectl = [&](const std::string& ns, std::vector<std::string> args) {
    std::vector<std::string> argv{options.kubectl};
    if (!options.kubeconfig.empty()) argv.push_back("--kubeconfig=" + options.kubeconfig);
    if (!options.context.empty()) argv.push_back("--context=" + options.context);
    argv.push_back("--namespace=" + ns);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  };
  // Objects of a `kubectl get -o json`: a List's items, one object, or none.
  const auto items_of = [](const std::string& out) {
    std::vector<nlohmann::json> items;
    if (out.find_first_not_of(" \t\r\n") == std::string::npos) return items;
    auto value = nlohmann::json::parse(out);
    if (value.value("kind", std::string{}) == "List") {
      for (auto& item : value["items"]) items.push_back(std::move(item));
    } else {
      items.push_back(std::move(value));
    }
    return items;
  };
  const auto fail = [&](std::string line) {
    result.exit_code = 2;
    result.lines.push_back(std::move(line));
  };
  for (const auto& parsed : profiles) {
    auto profile = parsed.value;
    const auto& ns = profile.metadata.namespace_;
    const auto id = ns + "/" + profile.metadata.name;
    // The profile as the cluster has it: its uid and the nfInstanceId in use.
    const auto got = kubectl(ns, {"get", "securityprofiles.secprov.io", profile.metadata.name,
                                  "--ignore-not-found", "-o", "json"});
    if (got.exit_code != 0) {
      fail("SecurityProfile " + id + ": kubectl failed (exit " + std::to_string(got.exit_code) +
           "): " + got.err);
      continue;
    }
    std::vector<nlohmann::json> live;
    try {
      live = items_of(got.out);
    } catch (const nlohmann::json::exception& e) {
      fail("SecurityProfile " + id + ": kubectl output is not JSON: " + e.what());
      continue;
    }
    if (live.empty()) {
      result.lines.push_back("SecurityProfile " + id + ": not in the cluster");
      if (result.exit_code == 0) result.exit_code = 1;
      continue;
    }
    const auto& metadata = live.front()["metadata"];
    profile.metadata.uid = metadata.value("uid", std::string{});
    auto inputs = options.inputs;
    if (inputs.nf_instance_id.empty()) {
      inputs.nf_instance_id = live.front()
                                  .value("status", nlohmann::json::object())
                                  .value("nfInstanceId", std::string{});
    }
    // Render first without nrf.crt to learn the names, then fetch every object at once.
    Rendered rendered;
    try {
      rendered = render_profile(profile, inputs);
    } catch (const std::exception& e) {
      fail("SecurityProfile " + id + ": cannot render " + e.what());
      continue;
    }
    std::vector<std::string> args{"get"};
    for (const auto& object : rendered.objects) {
      const auto kind = object.value("kind", std::string{});
      args.push_back((kind == "Secret" ? "secret/" : "configmap/") +
                     object["metadata"].value("name", std::string{}));
    }
    args.insert(args.end(), {"--ignore-not-found", "-o", "json"});
    const auto objects = kubectl(ns, args);
    if (objects.exit_code != 0) {
      fail("SecurityProfile " + id + ": kubectl get failed (exit " +
           std::to_string(objects.exit_code) + "): " + objects.err);
      continue;
    }
    std::vector<nlohmann::json> cluster;
    try {
      cluster = items_of(objects.out);
    } catch (const nlohmann::json::exception& e) {
      fail("SecurityProfile " + id + ": kubectl output is not JSON: " + e.what());
      continue;
    }
    const auto find = [&](const nlohmann::json& object) -> const nlohmann::json* {
      for (const auto& c : cluster) {
        if (c.value("kind", std::string{}) == object.value("kind", std::string{}) &&
            object_name(c) == object_name(object)) {
          return &c;
        }
      }
      return nullptr;
    };
    // nrf.crt is another object's public certificate (the NRF's signing Secret): taken as
    // the input the operator had, so the rest of the ConfigMap compares.
    if (render::is_oauth2_producer(profile) && inputs.nrf_certificate_pem.empty()) {
      if (const auto* config = find(rendered.objects.front())) {
        inputs.nrf_certificate_pem =
            data_of(config).value(std::string(render::kNrfCertificateKey), std::string{});
        if (!inputs.nrf_certificate_pem.empty()) rendered = render_profile(profile, inputs);
      }
    }
    for (const auto& object : rendered.objects) {
      for (auto& line : compare_object(object, find(object))) {
        result.lines.push_back(std::move(line));
        if (result.exit_code == 0) result.exit_code = 1;
      }
    }
  }
  return result;
}

}  // namespace secprov::ctl

#pragma once
// `secprovctl diff`: the rendered objects of SecurityProfiles against a cluster's, read with
// kubectl (a subprocess: the tool links no HTTP client). ConfigMaps: data keys and values;
// Secrets: key sets only (values are never read into the output).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cmd/secprovctl/manifest.h"
#include "cmd/secprovctl/render_command.h"

namespace secprov::ctl {

// One line per difference between a rendered object and the cluster's (nullptr: absent).
// Names the object and the key; never prints a Secret value.
std::vector<std::string> compare_object(const nlohmann::json& rendered,
                                        const nlohmann::json* cluster);

struct DiffOptions {
  std::string kubectl = "kubectl";  // $KUBECTL, else kubectl from PATH
  std::string kubeconfig;
  std::string context;
  RenderInputs inputs;
};

struct DiffResult {
  int exit_code = 0;               // 0 same, 1 differs, 2 error
  std::vector<std::string> lines;  // differences (exit 1) or errors (exit 2)
};

DiffResult diff_profiles(const std::vector<Parsed<api::SecurityProfile>>& profiles,
                         const DiffOptions& options);

}  // namespace secprov::ctl

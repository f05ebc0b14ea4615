#pragma once
// The one decision every generated object goes through: leave it, write it, or only report
// that it drifted. Pure, so each case is unit tested.

#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "controllers/observed.h"

namespace secprov::controllers {

enum class Action {
  None,        // in sync with the spec and untouched since written
  Write,       // create, follow a spec change, or repair drift (Enforce)
  ReportOnly,  // drifted or deleted, and the policy is Report
};

struct Assessment {
  Action action = Action::None;
  api::ObjectState state = api::ObjectState::InSync;  // what status shows after this pass
  std::vector<api::DriftFinding> findings;            // new findings only
  bool repair = false;                                // Write because of drift
};

struct AssessmentInput {
  std::string kind;  // Secret, ConfigMap
  std::string name;
  const Observation* observation = nullptr;
  // status.objects shows the object was provisioned before, and in which state.
  const api::GeneratedObject* previous = nullptr;
  std::string desired_input_digest;
  api::DriftPolicy policy = api::DriftPolicy::Enforce;
  api::Timestamp now{};
};

Assessment assess(const AssessmentInput& input);

}  // namespace secprov::controllers

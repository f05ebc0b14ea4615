#include "controllers/drift.h"

namespace secprov::controllers {

Assessment assess(const AssessmentInput& input) {
  const Observation& observed = *input.observation;
  Assessment result;
  const bool report = input.policy == api::DriftPolicy::Report;
  const api::DriftAction action = report ? api::DriftAction::Reported : api::DriftAction::Repaired;
  // A drift already reported stays reported once, not once per reconcile.
  const bool already_reported = input.previous != nullptr && input.previous->state &&
                                *input.previous->state != api::ObjectState::InSync;
  const auto finding = [&](std::string field, std::string reason) {
    return api::DriftFinding{input.kind,        input.name, std::move(field),
                             std::move(reason), input.now,  action};
  };

  if (!observed.exists) {
    if (input.previous == nullptr) {
      result.action = Action::Write;  // first provisioning
      return result;
    }
    if (!already_reported || !report) result.findings.push_back(finding("", "Deleted"));
    result.repair = !report;
    result.action = report ? Action::ReportOnly : Action::Write;
    result.state = report ? api::ObjectState::Missing : api::ObjectState::InSync;
    return result;
  }

  // A spec change is the user's intent: it is applied whatever the drift policy says.
  if (observed.input_digest != input.desired_input_digest) {
    result.action = Action::Write;
    return result;
  }

  if (!observed.drifted()) return result;

  if (!already_reported || !report) {
    for (const auto& [key, drift] : observed.drifted_keys) {
      result.findings.push_back(
          finding("data." + key, drift == KeyDrift::Removed ? "Removed" : "Modified"));
    }
    if (!observed.labels_intact) result.findings.push_back(finding("metadata.labels", "Modified"));
    if (!observed.owner_intact) {
      result.findings.push_back(finding("metadata.ownerReferences", "Modified"));
    }
  }
  result.repair = !report;
  result.action = report ? Action::ReportOnly : Action::Write;
  result.state = report ? api::ObjectState::Drifted : api::ObjectState::InSync;
  return result;
}

}  // namespace secprov::controllers

#pragma once
// metav1.Condition and the kstatus helpers (Ready, Reconciling, Stalled, Drifted).

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/enums.h"
#include "api/errors.h"
#include "api/text.h"
#include "api/time.h"

namespace secprov::api {

struct Condition {
  // Texts as SharedText: the same few in every profile, which a cache interns (api::TextPool).
  SharedText type;
  ConditionStatus status = ConditionStatus::Unknown;
  std::int64_t observed_generation = 0;
  Timestamp last_transition_time{};
  SharedText reason;   // CamelCase, non-empty
  SharedText message;  // may be empty
  friend bool operator==(const Condition&, const Condition&) = default;
};

// Sets `c` in `conditions` (matched by type), like apimachinery's meta.SetStatusCondition:
// a new condition gets lastTransitionTime = now; an existing one keeps its
// lastTransitionTime unless the status flips (then now). reason, message and
// observedGeneration are always updated. Returns true when anything changed.
// c.last_transition_time is ignored.
bool set_condition(std::vector<Condition>& conditions, const Condition& c, Timestamp now);

// The condition of that type, or nullptr.
const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type);

// True when the condition exists with status True (and, if given, was set for `generation`).
bool is_condition_true(const std::vector<Condition>& conditions, std::string_view type,
                       std::optional<std::int64_t> generation = std::nullopt);

// Removes the condition of that type; returns true if one was removed.
bool remove_condition(std::vector<Condition>& conditions, std::string_view type);

// Syntax checks of metav1.Condition (the apiserver rejects a status update otherwise).
bool is_valid_condition_type(std::string_view type);
bool is_valid_condition_reason(std::string_view reason);

nlohmann::json to_json(const Condition& c);
// `path` prefixes error fields, e.g. "status.conditions[0]".
Result<Condition> parse_condition(const nlohmann::json& j, const std::string& path);

}  // namespace secprov::api

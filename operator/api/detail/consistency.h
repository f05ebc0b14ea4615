#pragma once
// Internal: spec.consistency (issue 11) parse, validate and JSON, kept apart from the rest of
// the SecurityProfile like spec.enabler. Its bounds are OpenAPI limits in the CRD (maxItems,
// maxLength, pattern, enum): the CRD's CEL cost budget is spent, so there is no CEL rule here.

#include <nlohmann/json.hpp>
#include <string>

#include "api/detail/checks.h"
#include "api/errors.h"
#include "api/securityprofile.h"

namespace secprov::api::detail {

ConsistencySpec parse_consistency(const nlohmann::json& j, const std::string& path,
                                  FieldErrors& errs);
void validate_consistency(Checks& c, const SecurityProfileSpec& spec);
nlohmann::json consistency_json(const ConsistencySpec& spec);

// Shared with securityprofile.cpp: one IPsec interface as spec.ipsec.interfaces[] has it.
IpsecInterfaceSpec parse_ipsec_interface(const nlohmann::json& j, const std::string& path,
                                         FieldErrors& errs);
nlohmann::json ipsec_interface_json(const IpsecInterfaceSpec& interface);

}  // namespace secprov::api::detail

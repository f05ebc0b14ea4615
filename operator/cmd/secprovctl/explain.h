#pragma once
// `secprovctl explain <interface>`: what each side of an interface needs, from the
// catalogue (check/catalogue.h) and the checks each of its mechanisms runs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check/catalogue.h"

namespace secprov::ctl {

struct CheckDescription {
  std::string_view name;     // the check function, e.g. "common_tls_version"
  std::string_view reasons;  // the reasons it reports
  std::string_view needs;    // what both sides need for it to pass
};

// The checks of a mechanism, in the order check::evaluate runs them.
std::vector<CheckDescription> checks_of(check::Mechanism mechanism);

// The explanation of "N2", "N3", "N4", "N9", "N32", "SBI" or an SBI relation "AMF-AUSF"
// (also "AMF->AUSF", any case); nullopt when the catalogue has no such interface.
std::optional<std::string> explain(std::string_view topic);

// What explain() accepts, for help and errors.
std::string explain_topics();

}  // namespace secprov::ctl

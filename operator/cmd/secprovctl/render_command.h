#pragma once
// `secprovctl render`: every object the operator writes for a SecurityProfile, from the
// very render/ functions the profile reconciler calls (render::plan_profile and the OAuth2
// and N32 Secret builders). Secrets are skeletons: their data keys with empty values, never
// key material. What the operator obtains at run time is an input here: the trust bundle
// (--trust-bundle), the NRF's signing certificate of an OAuth2 producer (nrf.crt), the
// object's uid and a generated nfInstanceId.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"

namespace secprov::ctl {

// Stands for the uid the API server assigns (ownerReferences need one).
inline constexpr std::string_view kUidPlaceholder = "00000000-0000-0000-0000-000000000000";
// Stands for an nfInstanceId the operator generates (spec and status have none).
inline constexpr std::string_view kNfInstanceIdPlaceholder = "00000000-0000-0000-0000-000000000000";

struct RenderInputs {
  std::optional<api::TrustDomain> trust_domain;  // default: the referenced name, no subject
  std::string trust_bundle_pem;                  // the domain's ca.crt (public)
  std::string nf_instance_id;                    // when neither spec nor status has one
  std::string nrf_certificate_pem;               // an OAuth2 producer's nrf.crt (public)
};

struct Rendered {
  std::vector<nlohmann::json> objects;  // ConfigMap first, then the Secret skeletons
  std::vector<std::string> notes;       // what was assumed (placeholders used)
};

// Throws std::invalid_argument (render::RenderError) naming the field of a spec that
// cannot be rendered.
Rendered render_profile(const api::SecurityProfile& profile, const RenderInputs& inputs);

// Empties every value of a Secret's data (and stringData): keys only.
nlohmann::json secret_skeleton(nlohmann::json secret);

// A multi-document YAML stream, or a JSON List.
std::string objects_to_yaml(const std::vector<nlohmann::json>& objects);
nlohmann::json objects_to_list(const std::vector<nlohmann::json>& objects);

}  // namespace secprov::ctl

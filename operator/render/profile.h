#pragma once
// The whole desired state of one SecurityProfile, computed before anything is written
// (cert-manager's certificatetemplate: spec -> everything the spec decides). What the spec
// cannot decide is material: the NF's key and signed certificate chain, and the IPsec
// pre-shared keys. The reconciler obtains those (generate, sign, or reuse what is stored)
// and hands them back here to get the objects it writes. Nothing in this file does I/O,
// so the admission webhook, the checker and `secprovctl render` compute the same objects.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "render/certificate.h"
#include "render/ipsec.h"

namespace secprov::render {

// One object the profile may generate, under its fixed name.
struct ObjectPlan {
  std::string kind;  // "Secret" or "ConfigMap"
  std::string name;
  bool wanted = false;       // false: the profile does not ask for it (removed if ours)
  std::string input_digest;  // of what it is rendered from; empty when not wanted
};

// What the trust domain contributes.
struct IssuerInputs {
  std::string ca_fingerprint;    // of the CA that signs (part of the certificate's inputs)
  std::string trust_bundle_pem;  // ca.crt: the CA plus previous CAs still in overlap
};

struct ProfilePlan {
  api::SecurityProfile profile;
  std::string nf_instance_id;  // the effective ID, lower case
  std::map<std::string, std::string> labels;
  std::string trust_bundle_pem;
  std::optional<CertificateRequest> certificate;  // when a certificate is needed
  std::vector<std::string> pre_shared_keys;       // names of the PSKs IPsec needs
  ObjectPlan tls;                                 // Secret "<profile>-tls"
  ObjectPlan config;                              // ConfigMap "<profile>-security"
  ObjectPlan ipsec;                               // Secret "<profile>-ipsec"
  nlohmann::json config_map;                      // complete: needs no material

  // Every generated name, in write order (TLS Secret, ConfigMap, IPsec Secret).
  std::vector<const ObjectPlan*> objects() const { return {&tls, &config, &ipsec}; }

  // The TLS Secret with this material (chain: leaf first). Throws std::logic_error when no
  // certificate is planned, std::invalid_argument when the material is empty.
  nlohmann::json tls_secret(const std::string& certificate_chain_pem,
                            const std::string& private_key_pem) const;
  // The IPsec Secret with these PSKs (every name of pre_shared_keys must be present).
  // Throws std::logic_error when IPsec is not planned, RenderError as swanctl_conf.
  nlohmann::json ipsec_secret(const IpsecMaterial& material) const;
};

// Renders everything the spec decides. nf_instance_id: the spec's, else the one in use,
// else a new one (the caller's choice; normalised here). Throws RenderError naming the
// field of anything that cannot be rendered: the caller reports it as InvalidSpec and
// writes nothing.
ProfilePlan plan_profile(const api::SecurityProfile& profile, const api::TrustDomain& domain,
                         std::string_view nf_instance_id, const IssuerInputs& issuer);

}  // namespace secprov::render

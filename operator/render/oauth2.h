#pragma once
// OAuth2 (TS 33.501 13.4.1): the NRF is the authorization server and signs access tokens
// with a key of its own, certified for that purpose alone (RFC 9509); producers verify the
// tokens with the NRF's certificate, rendered into their ConfigMap as nrf.crt. Pure.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/securityprofile.h"
#include "api/trustdomain.h"
#include "render/certificate.h"
#include "render/profile.h"

namespace secprov::render {

// Secret "<profile>-oauth2-signing" of an authorization server (type kubernetes.io/tls:
// tls.crt the signing certificate, leaf first, then the CA; tls.key its private key).
std::string oauth2_signing_secret_name(const api::SecurityProfile& profile);
// ConfigMap data key of a producer's copy of the NRF's signing certificate (public).
inline constexpr std::string_view kNrfCertificateKey = "nrf.crt";

// An NRF with OAuth2 enabled in a role other than Consumer issues access tokens.
bool is_authorization_server(const api::SecurityProfile& profile);
// Any other NF with OAuth2 enabled as Producer or Both verifies access tokens.
bool is_oauth2_producer(const api::SecurityProfile& profile);

// The key algorithm a JWS algorithm signs with, through the one API key-algorithm mapping:
// ES256 -> ECDSA-P256, ES384 -> ECDSA-P384, RS*/PS* -> RSA-2048 (RFC 7518 3.3's minimum;
// free5GC's NRF signs RS512 with RSA-2048). nullopt for algorithms without a key type of
// the NF certificate profile (ES512: P-521; EdDSA).
std::optional<api::KeyAlgorithm> signing_key_algorithm(api::JwsAlgorithm algorithm) noexcept;
// The algorithm the authorization server signs with: the first of its acceptedAlgorithms
// that signing_key_algorithm() maps; nullopt when none does or it is not one.
std::optional<api::JwsAlgorithm> oauth2_signing_algorithm(const api::SecurityProfile& profile);

// The signing certificate of an authorization server: the NF certificate's names and
// subject, keyUsage digitalSignature, extendedKeyUsage id-kp-oauthAccessTokenSigning only,
// the key of oauth2_signing_algorithm(). nullopt when the profile is not an authorization
// server or no accepted algorithm has a key type. Throws RenderError as certificate_request.
std::optional<CertificateRequest> oauth2_signing_request(const api::SecurityProfile& profile,
                                                         const api::TrustDomain& domain,
                                                         std::string_view nf_instance_id);
// Digest of the signing certificate's inputs (a change re-issues it).
std::string oauth2_signing_input_digest(const CertificateRequest& request,
                                        api::JwsAlgorithm algorithm,
                                        const std::string& ca_fingerprint,
                                        const std::map<std::string, std::string>& labels);
// The Secret, with the digest annotations. Throws std::invalid_argument on empty material.
nlohmann::json oauth2_signing_secret(const api::SecurityProfile& profile,
                                     const std::string& certificate_chain_pem,
                                     const std::string& private_key_pem,
                                     const std::string& input_digest);

// Adds the NRF's signing certificate (PEM, public) to the plan's ConfigMap under nrf.crt,
// and makes it an input of the ConfigMap (a renewed NRF certificate rewrites it).
void add_nrf_certificate(ProfilePlan& plan, const std::string& certificate_pem);

}  // namespace secprov::render

#pragma once
// OAuth2 checks of one SBI consumer -> producer relation (TS 33.501 13.4.1: the NRF is the
// authorization server, producers verify its tokens). Ends are effective: a native limit
// (render::native_limits "NoOAuth2": Open5GS has none, free5GC is rendered oauth: false)
// turns OAuth2 off whatever the profile says. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"
#include "check/finding.h"
#include "check/peers.h"

namespace secprov::check {

struct OAuth2End {
  std::string id;
  std::optional<api::NfType> nf_type;
  bool enabled = false;     // effective
  std::string disabled_by;  // "<output>/NoOAuth2" when a native limit turned it off
  api::OAuth2Role role = api::OAuth2Role::Both;
  std::optional<std::string> nrf_instance_id;
  std::optional<std::string> nrf_api_root;
  std::vector<std::string> scopes;
  std::vector<api::JwsAlgorithm> accepted_algorithms;
  bool tls = false;              // TLS on its SBI
  bool requests_tokens() const;  // enabled as Consumer or Both
  bool verifies_tokens() const;  // enabled as Producer or Both
};
OAuth2End oauth2_end(const End& end);

// The authorization server a producer's tokens come from, as found in the scope.
struct Nrf {
  std::string id;
  std::vector<std::string> dns_names;                  // render::sbi_dns_names
  bool authorization_server = false;                   // render::is_authorization_server, effective
  std::optional<api::JwsAlgorithm> signing_algorithm;  // render::oauth2_signing_algorithm
};
// The NRF profile of the scope whose nfInstanceId is `nrf_instance_id` (case-insensitive).
std::optional<Nrf> find_nrf(const Scope& scope, std::string_view nrf_instance_id);

struct OAuth2Pair {
  const OAuth2End& consumer;
  const OAuth2End& producer;
  const Nrf* nrf = nullptr;  // the producer's NRF (else the consumer's); null: not in scope
};

// OAuth2ConsumerWithoutToken (Error): the producer verifies tokens, the consumer asks for
// none; OAuth2NotChecked (Warning): the consumer asks for scopes of the producer's
// services, and the producer never checks the tokens.
Outcome oauth2_on_both(const OAuth2Pair& pair);
// OAuth2WithoutTls: OAuth2 on an end whose SBI has TLS off (TS 33.501 13.3.2.1).
Outcome oauth2_requires_tls(const OAuth2Pair& pair);
// OAuth2DifferentNrf: nrfInstanceId or nrfApiRoot differ.
Outcome oauth2_same_nrf(const OAuth2Pair& pair);
// NrfApiRootNotInSan: the host of the consumer's nrfApiRoot is not in the NRF's SAN.
Outcome oauth2_nrf_name_in_san(const OAuth2Pair& pair);
// OAuth2NrfNotFound / OAuth2NrfNotAuthorizationServer (Error), OAuth2NrfNotInScope (Info):
// the producer can hold the verification certificate of an NRF that issues tokens. Whether
// that certificate is issued yet is the controller's (policies::oauth2_verification_gap).
Outcome oauth2_producer_holds_nrf_certificate(const OAuth2Pair& pair);
// OAuth2AlgorithmNotAccepted: the NRF signs with an algorithm the producer does not accept.
Outcome oauth2_algorithm_in_common(const OAuth2Pair& pair);
// OAuth2NoScopeForProducer: the consumer asks for no scope of the producer's services
// (service_prefix); OAuth2ScopeNotOffered: one it asks for is not among the producer's
// scopes.
Outcome oauth2_scopes_within_producer(const OAuth2Pair& pair);

// The checks above in that order; none when OAuth2 is off on both ends.
std::vector<Finding> check_oauth2(const OAuth2Pair& pair);

// The host of an API root URI ("https://nrf.5gc.svc:443/x" -> "nrf.5gc.svc").
std::string uri_host(std::string_view uri);

}  // namespace secprov::check

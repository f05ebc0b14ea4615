#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http/server.h"

namespace secprov::http {

// The DER of a trust domain's published CRL, or nullopt (must be cheap and thread-safe).
using CrlLookup = std::function<std::optional<std::string>(std::string_view trust_domain)>;

// The path certificates name in cRLDistributionPoints: "/crl/<trust domain>.crl".
inline constexpr std::string_view kCrlPathPrefix = "/crl/";

// GET /crl/<trust domain>.crl: 200 application/pkix-crl (DER, RFC 5280 4.2.1.13), 404 when
// the name is not a trust domain's or nothing is published, 405 for other methods.
Routes crl_routes(CrlLookup lookup);

// The response to one request (the route's handler; tested without a server).
Response crl_response(const Request& request, const CrlLookup& lookup);

}  // namespace secprov::http

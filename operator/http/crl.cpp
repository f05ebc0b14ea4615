#include "http/crl.h"

#include <algorithm>

namespace secprov::http {
namespace {

constexpr std::string_view kSuffix = ".crl";
constexpr std::size_t kMaxName = 253;  // a TrustDomain name is a DNS subdomain

bool subdomain_characters(std::string_view name) {
  return !name.empty() && name.size() <= kMaxName &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
         });
}

Response not_found() {
  return {404, "text/plain; charset=utf-8", "not found\n"};
}

}  // namespace

Response crl_response(const Request& request, const CrlLookup& lookup) {
  std::string_view path = request.path;
  if (path.substr(0, kCrlPathPrefix.size()) != kCrlPathPrefix) return not_found();
  path.remove_prefix(kCrlPathPrefix.size());
  if (path.size() <= kSuffix.size() || path.substr(path.size() - kSuffix.size()) != kSuffix) {
    return not_found();
  }
  path.remove_suffix(kSuffix.size());
  if (!subdomain_characters(path)) return not_found();
  if (request.method != "GET" && request.method != "HEAD") {
    return {405, "text/plain; charset=utf-8", "method not allowed\n"};
  }
  auto der = lookup(path);
  if (!der) return not_found();
  return {200, "application/pkix-crl", std::move(*der)};
}

Routes crl_routes(CrlLookup lookup) {
  return {{std::string(kCrlPathPrefix), [lookup = std::move(lookup)](const Request& request) {
             return crl_response(request, lookup);
           }}};
}

}  // namespace secprov::http

#include "controllers/policies.h"

#include <algorithm>

#include "api/time.h"

namespace secprov::controllers::policies {
namespace {

using Clock = std::chrono::system_clock;

std::string date(Clock::time_point t) {
  return api::format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(t));
}

// What a certificate issued now would get: the CA caps the requested duration.
Clock::time_point issuable_not_after(const Input& input) {
  return std::min(input.now + input.duration, input.ca->not_after());
}

bool in_renewal_window(const Input& input) {
  return input.leaf != nullptr && input.now >= input.leaf->not_after() - input.renew_before;
}

}  // namespace

std::optional<Reason> certificate_missing(const Input& input) {
  if (input.leaf != nullptr) return std::nullopt;
  return Reason{"DoesNotExist", "no readable certificate is stored"};
}

std::optional<Reason> issuer_changed(const Input& input) {
  if (input.leaf == nullptr || input.leaf->issued_by(*input.ca)) return std::nullopt;
  return Reason{"IssuerChanged", "the stored certificate was not issued by the trust domain's CA"};
}

std::optional<Reason> renewal_due(const Input& input) {
  if (!in_renewal_window(input)) return std::nullopt;
  if (issuable_not_after(input) - input.renew_before <= input.now) return std::nullopt;
  return Reason{"Renewing", "the certificate expires at " + date(input.leaf->not_after()) +
                                ", inside its renewal window"};
}

std::optional<Reason> issuing_needed(const Input& input) {
  for (const auto check : {certificate_missing, issuer_changed, renewal_due}) {
    if (auto reason = check(input)) return reason;
  }
  return std::nullopt;
}

std::optional<Reason> renewal_held_back(const Input& input) {
  if (!in_renewal_window(input) || renewal_due(input)) return std::nullopt;
  if (input.ca->not_after() < input.now + input.duration) {
    return Reason{"CAExpiringSoon",
                  "the CA expires at " + date(input.ca->not_after()) +
                      ", inside this certificate's renewal window: it is not renewed again "
                      "until the trust domain's CA is replaced"};
  }
  return Reason{"RenewBeforeNotBelowDuration",
                "renewBefore is not shorter than the duration: the certificate is kept until "
                "it expires"};
}

std::optional<Reason> certificate_replaced(const Input& input,
                                           const std::string* recorded_fingerprint,
                                           std::optional<Clock::time_point> recorded_not_before) {
  if (input.leaf == nullptr || recorded_fingerprint == nullptr ||
      input.leaf->sha256_fingerprint() == *recorded_fingerprint) {
    return std::nullopt;
  }
  const bool own_later_write = input.leaf->issued_by(*input.ca) && recorded_not_before &&
                               input.leaf->not_before() > *recorded_not_before;
  if (own_later_write) return std::nullopt;
  return Reason{"CertificateReplaced",
                "the stored certificate is not the one this profile's status records"};
}

std::string issuance_reason(bool had_certificate, bool repairing,
                            const std::optional<Reason>& trigger) {
  if (!had_certificate) return "Issued";
  if (!repairing && trigger && trigger->reason == "Renewing") return "Renewed";
  return "Reissued";
}

Clock::time_point next_check(const Input& input) {
  if (input.leaf == nullptr) return input.now;
  if (renewal_held_back(input)) return input.leaf->not_after();
  return input.leaf->not_after() - input.renew_before;
}

}  // namespace secprov::controllers::policies

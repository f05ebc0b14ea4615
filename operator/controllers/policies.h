#pragma once
// Whether a certificate must be issued, as named pure checks each returning a reason and a
// message (the shape of cert-manager's certificates/policies). Drift of the stored objects
// and spec changes are judged by assess() (drift.h); these look at the certificate itself.

#include <chrono>
#include <optional>
#include <string>

#include "crypto/certificate.h"

namespace secprov::controllers::policies {

struct Input {
  const crypto::Certificate* leaf = nullptr;  // the stored leaf; null when absent or unreadable
  const crypto::Certificate* ca = nullptr;    // the CA accepted for issuing (never null)
  std::chrono::system_clock::time_point now;
  std::chrono::seconds duration{0};
  std::chrono::seconds renew_before{0};
};

struct Reason {
  std::string reason;  // CamelCase, for Events and conditions
  std::string message;
};

std::optional<Reason> certificate_missing(const Input& input);  // DoesNotExist
std::optional<Reason> issuer_changed(const Input& input);       // IssuerChanged
// Renewing: inside the renewal window, and a certificate issued now would not itself be
// inside it at once (else renewing cannot help and would only loop).
std::optional<Reason> renewal_due(const Input& input);

// The first trigger that holds, in the order above; nullopt: keep the certificate.
std::optional<Reason> issuing_needed(const Input& input);

// Not a trigger: why a certificate inside its renewal window is kept. CAExpiringSoon when the
// CA's notAfter caps what can be issued, RenewBeforeNotBelowDuration when renewBefore is at
// least the duration. nullopt when the certificate is outside its window.
std::optional<Reason> renewal_held_back(const Input& input);

// CertificateReplaced: the stored leaf is not the certificate status records as written,
// and it is not the operator's own later write whose status was lost (a leaf of the same CA
// with a later notBefore, after a crash between the Secret and the status write). The
// data-digests annotation is the object's own claim; status says what was written.
// recorded_* describe status.certificate (null: nothing recorded, nothing to compare).
std::optional<Reason> certificate_replaced(
    const Input& input, const std::string* recorded_fingerprint,
    std::optional<std::chrono::system_clock::time_point> recorded_not_before);

// The Event reason of an issuance: Issued (no certificate before), Reissued (repairing drift
// or another trigger), Renewed (renewal due).
std::string issuance_reason(bool had_certificate, bool repairing,
                            const std::optional<Reason>& trigger);

// When to look at the certificate again: the start of its renewal window, or its expiry
// when renewal is held back.
std::chrono::system_clock::time_point next_check(const Input& input);

}  // namespace secprov::controllers::policies

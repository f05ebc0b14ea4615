#pragma once

// Shared fixtures for the crypto unit tests. All keys are generated at run time.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "crypto/template.h"

namespace secprov::crypto::test_support {

using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

// A fixed "now" keeps the tests deterministic (whole seconds, like X.509 times).
inline Clock::time_point fixed_now() {
  return std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 12h;
}

inline DistinguishedName ca_subject(std::string common_name = "secprov test CA") {
  return {"DE", "5gc.mnc001.mcc001.3gppnetwork.org", "secprov", std::move(common_name)};
}

// The NF profile of TS 33.310 6.1.3c: one-year AMF certificate.
inline CertificateTemplate nf_template(Clock::time_point now) {
  CertificateTemplate t;
  t.subject = {"DE", "5gc.mnc001.mcc001.3gppnetwork.org", "", ""};
  t.dns_names = {"amf1.5gc.mnc001.mcc001.3gppnetwork.org", "amf.free5gc.svc.cluster.local"};
  t.uris = {"urn:uuid:0b7f8a4e-3c1d-4a57-9a2e-5f0d6c1b2a39"};
  t.ip_addresses = {"10.100.200.16", "2001:db8::10"};
  t.not_before = now;
  t.not_after = now + std::chrono::days{365};
  t.server_auth = true;
  t.client_auth = true;
  t.crl_distribution_point = "http://ca.secprov.svc/crl/ca.crl";
  t.nf_types = {"AMF"};
  return t;
}

inline CertificateAuthority make_ca(KeyAlgorithm algorithm = KeyAlgorithm::EcdsaP256,
                                    std::string common_name = "secprov test CA",
                                    Clock::time_point now = fixed_now()) {
  return CertificateAuthority::create_self_signed(algorithm, ca_subject(std::move(common_name)),
                                                  std::chrono::years{10}, now);
}

// Flips one bit of the DER byte at `offset` (negative: from the end) inside a PEM block.
inline std::string corrupt_pem(const std::string& pem, long offset) {
  const auto begin = pem.find('\n') + 1;
  const auto end = pem.rfind("-----END");
  std::string body;
  for (char c : pem.substr(begin, end - begin)) {
    if (c != '\n') body += c;
  }
  std::string der = base64_decode(body).value();
  const auto at =
      static_cast<std::size_t>(offset < 0 ? static_cast<long>(der.size()) + offset : offset);
  der[at] = static_cast<char>(der[at] ^ 0x01);
  const std::string encoded = base64_encode(der);
  std::string lines;
  for (std::size_t i = 0; i < encoded.size(); i += 64) lines += encoded.substr(i, 64) + "\n";
  return pem.substr(0, begin) + lines + pem.substr(end);
}

}  // namespace secprov::crypto::test_support

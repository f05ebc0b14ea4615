#pragma once
// Reading a rendered swanctl.conf in tests: what IKE compares in one connection.

#include <string>

namespace secprov::testing {

struct SwanctlConnection {
  std::string local_addrs, remote_addrs, proposals, local_auth, local_id, remote_auth, remote_id,
      mode, esp_proposals, local_ts, remote_ts;
  std::string psk_id, psk_secret;  // from secrets.ike-<name>, for a PSK connection
};

// The connection `name` of `conf` as swanctl_conf() writes it (two-space indented sections);
// empty fields for what it does not set, all empty when there is no such connection.
SwanctlConnection swanctl_connection(const std::string& conf, const std::string& name);

}  // namespace secprov::testing

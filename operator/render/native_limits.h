#pragma once
// What the NFs behind spec.outputs enforce by themselves, whatever their configuration says,
// and where a profile asks for more (an enforcement gap). One table, native_limits(): each
// row is one fact read in the NF's sources (project, version, file named in the row) and the
// check that finds the part of a profile the NF does not enforce. The facts are those of
// docs/consumers.md (Open5GS v2.7.7, free5GC v1.4.5); a new NF version is a new look at the
// rows, not a change elsewhere. Pure: no I/O.
//
// IPsec is not in the table: the rendered swanctl.conf is enforced by strongSwan, not by the
// NF. The UPFs of both projects have no SBI, so no SBI row applies to a UPF profile.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/securityprofile.h"

namespace secprov::render {

// A native rendering of spec.outputs is the NF software it is for (api::NfImplementation,
// whose api::to_string is the project's name, "Open5GS"); this is its key in spec.outputs and
// in the messages naming it: "open5gs", "free5gc".
std::string_view output_name(api::NfImplementation output);
// The outputs spec.outputs selects, in enum order; empty: secprov writes its Secrets and
// security.yaml only, and what enforces them is a consumer it does not know.
std::vector<api::NfImplementation> native_outputs(const api::OutputsSpec& outputs);

// The part of the NF a row is about, which decides whether the enabler sidecar closes its gap
// (render/enabler.h): the sidecar terminates the NF's inbound TLS (spec.enabler.inbound) and
// originates its TLS to the peers of spec.enabler.outbound. OAuth2 and N32 are neither: the
// sidecar does not do them.
enum class TlsSide { Server, Client, None };

struct NativeLimit {
  api::NfImplementation output;
  std::string_view code;  // CamelCase, the gap's name (e.g. "TLSVersions")
  TlsSide side;
  std::string_view limit;   // what the NF does, whatever it is configured with
  std::string_view source;  // "<project> <version> <file>"
  // What the profile asks for beyond `limit` (one phrase), or nullopt when the NF meets it.
  std::optional<std::string> (*exceeded_by)(const api::SecurityProfile& profile);
};

// The table, grouped by output.
std::span<const NativeLimit> native_limits();

struct EnforcementGap {
  api::NfImplementation output;
  std::string code;  // NativeLimit::code
  TlsSide side = TlsSide::None;
  std::string message;  // one line: the limit, what the profile asks, the source
  friend bool operator==(const EnforcementGap&, const EnforcementGap&) = default;
};

// Every row of the selected outputs whose check finds the profile asking for more, in table
// order. Empty for no output selected: nothing is known then (see native_outputs).
std::vector<EnforcementGap> enforcement_gaps(const api::SecurityProfile& profile);

// Whether the profile's enabler sidecar takes that side of the NF's TLS over: Server with
// spec.enabler.inbound, Client with at least one spec.enabler.outbound peer (the NF reaches
// its peers through it), None never.
bool enabler_takes_over(const api::SecurityProfile& profile, TlsSide side);

// With no native output, what the profile asks of an NF secprov does not know, in this order:
// "inbound TLS" and "outbound TLS" (each unless the enabler takes it over), "OAuth2", "N32".
// Empty: the enabler does all the profile asks.
std::vector<std::string> asked_of_unknown_nf(const api::SecurityProfile& profile);

}  // namespace secprov::render

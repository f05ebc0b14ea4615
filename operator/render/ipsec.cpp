#include "render/ipsec.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "api/text.h"
#include "crypto/encoding.h"
#include "render/detail/common.h"
#include "render/errors.h"
#include "render/labels.h"
#include "render/names.h"

namespace secprov::render {

namespace {

// A swanctl.conf (strongswan.conf syntax) writer. Values made only of "safe" characters are
// written bare; anything else is double-quoted with '"' and '\' escaped. Control characters
// cannot be written safely and are refused, so no input can open or close a section.
class ConfWriter {
 public:
  void comment(std::string_view text) { out_ += "# " + std::string(text) + "\n"; }
  void open(std::string_view section) {
    indent();
    out_ += std::string(section) + " {\n";
    ++depth_;
  }
  void close() {
    --depth_;
    indent();
    out_ += "}\n";
  }
  // `field`: the spec field the value comes from, named when it cannot be written.
  void set(std::string_view key, std::string_view value, std::string_view field = {}) {
    indent();
    out_ += std::string(key) + " = " + quote(value, field) + "\n";
  }
  std::string str() && { return std::move(out_); }

 private:
  static bool safe(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("._:@/%,+-*").find(c) != std::string_view::npos;
  }
  static std::string quote(std::string_view value, std::string_view field) {
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        throw RenderError(field.empty() ? std::string("spec.ipsec") : std::string(field),
                          "contains a control character, which swanctl.conf cannot hold");
      }
    }
    if (!value.empty() && std::all_of(value.begin(), value.end(), safe)) return std::string(value);
    std::string q = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  }
  void indent() { out_.append(static_cast<std::size_t>(depth_) * 2, ' '); }

  std::string out_;
  int depth_ = 0;
};

std::string join(const std::vector<std::string>& items) {
  return api::join(items, ",");
}

const std::string& required_psk(const IpsecMaterial& material, const std::string& name) {
  const auto it = material.pre_shared_keys.find(name);
  if (it == material.pre_shared_keys.end() || it->second.empty()) {
    throw std::invalid_argument("ipsec: pre-shared key " + name + " is missing");
  }
  return it->second;
}

bool has_interfaces(const api::SecurityProfile& p) {
  return p.spec.ipsec && !p.spec.ipsec->interfaces.empty();
}

}  // namespace

std::string ipsec_connection_name(api::IpsecInterface interface, const std::string& peer) {
  return detail::lower(api::to_string(interface)) + "-" + peer;
}

std::string pre_shared_key_name(api::IpsecInterface interface, const std::string& peer) {
  return "psk-" + ipsec_connection_name(interface, peer);
}

std::vector<std::string> required_pre_shared_keys(const api::SecurityProfile& profile) {
  std::vector<std::string> names;
  for (const auto* i : detail::sorted_interfaces(profile)) {
    if (i->authentication != api::IpsecAuthentication::PreSharedKey) continue;
    for (const auto* peer : detail::sorted_peers(*i)) {
      names.push_back(pre_shared_key_name(i->name, peer->name));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string ipsec_local_id(const api::SecurityProfile& profile) {
  return primary_dns_name(profile);
}

std::string effective_remote_id(const api::SecurityProfile& profile, const api::IpsecPeer& peer) {
  if (peer.remote_id) return *peer.remote_id;
  return service_dns_name(peer.name, profile.metadata.namespace_);
}

std::vector<PreSharedKeyInput> pre_shared_key_inputs(const api::SecurityProfile& profile) {
  std::vector<PreSharedKeyInput> inputs;
  const std::string& ns = profile.metadata.namespace_;
  for (const auto* i : detail::sorted_interfaces(profile)) {
    if (i->authentication != api::IpsecAuthentication::PreSharedKey) continue;
    for (const auto* peer : detail::sorted_peers(*i)) {
      const std::string self = ns + "/" + profile.metadata.name;
      const std::string other = ns + "/" + peer->name;
      // Names are DNS labels: '\n' and '/' cannot occur in them, so the info is unambiguous.
      inputs.push_back({pre_shared_key_name(i->name, peer->name),
                        profile.spec.trust_domain_ref.name + "\n" +
                            std::string(api::to_string(i->name)) + "\n" + std::min(self, other) +
                            "\n" + std::max(self, other)});
    }
  }
  std::sort(inputs.begin(), inputs.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  inputs.erase(std::unique(inputs.begin(), inputs.end(),
                           [](const auto& a, const auto& b) { return a.name == b.name; }),
               inputs.end());
  return inputs;
}

std::string swanctl_conf(const api::SecurityProfile& profile, const IpsecMaterial& material) {
  const auto interfaces = detail::sorted_interfaces(profile);
  const std::string local_id = ipsec_local_id(profile);
  const bool any_certificate = std::any_of(interfaces.begin(), interfaces.end(), [](const auto* i) {
    return i->authentication == api::IpsecAuthentication::Certificate;
  });

  ConfWriter w;
  w.comment("strongSwan swanctl.conf rendered by secprov from SecurityProfile " +
            profile.metadata.namespace_ + "/" + profile.metadata.name +
            ". Generated: do not edit.");
  w.comment("Load with: swanctl --load-all --file " + std::string(kSwanctlConfFile));
  if (any_certificate) {
    w.comment("Certificate authentication: swanctl reads the private key from the private/");
    w.comment("folder next to this file: mount tls.key at " + std::string(kIpsecPrivateKeyFile));
  }
  struct Psk {
    std::string section;
    std::string remote_id;
    const std::string* secret;
  };
  std::vector<Psk> psks;

  w.open("connections");
  for (const auto* i : interfaces) {
    const bool cert = i->authentication == api::IpsecAuthentication::Certificate;
    const std::string auth = cert ? "pubkey" : "psk";
    const std::string field =
        "spec.ipsec.interfaces[" + std::to_string(i - profile.spec.ipsec->interfaces.data()) + "]";
    const long long ike_rekey = detail::duration_seconds(i->ike.lifetime, field + ".ike.lifetime");
    const long long esp_rekey = detail::duration_seconds(i->esp.lifetime, field + ".esp.lifetime");
    // The reconciler renders without api::validate(): peers sharing one kernel policy, or a
    // link across IP families, are refused here too.
    if (const auto errs = api::check_peer_traffic_selectors(*i, field); !errs.empty()) {
      throw RenderError(errs.front().field, errs.front().reason);
    }
    for (const auto* peer : detail::sorted_peers(*i)) {
      const std::string name = ipsec_connection_name(i->name, peer->name);
      const std::string peer_field =
          field + ".peers[" + std::to_string(peer - i->peers.data()) + "]";
      const std::string remote_id = effective_remote_id(profile, *peer);
      const std::string remote_id_field = peer_field + (peer->remote_id ? ".remoteId" : ".name");
      w.open(name);
      w.set("version", "2");
      w.set("local_addrs", i->local_address.value_or("%any"), field + ".localAddress");
      w.set("remote_addrs", peer->address, peer_field + ".address");
      w.set("proposals", join(i->ike.proposals), field + ".ike.proposals");
      w.set("rekey_time", std::to_string(ike_rekey) + "s");
      w.open("local");
      w.set("auth", auth);
      if (cert) w.set("certs", kTlsCertificateFile);
      w.set("id", local_id);
      w.close();
      w.open("remote");
      w.set("auth", auth);
      if (cert) w.set("cacerts", kCaBundleFile);
      w.set("id", remote_id, remote_id_field);
      w.close();
      w.open("children");
      w.open(name);
      w.set("mode", detail::lower(api::to_string(i->mode)));
      w.set("esp_proposals", join(i->esp.proposals), field + ".esp.proposals");
      w.set("rekey_time", std::to_string(esp_rekey) + "s");
      // A selector pair per peer (the API refuses two peers of one interface with one pair):
      // one kernel policy per peer, none overwriting another's.
      const auto ts = api::peer_traffic_selectors(*i, *peer);
      if (!ts.local.empty()) {
        w.set("local_ts", join(ts.local), field + ".trafficSelectors.local");
      }
      if (!ts.remote.empty()) {
        const bool own = !i->traffic_selectors || i->traffic_selectors->remote.empty();
        w.set("remote_ts", join(ts.remote),
              own ? peer_field + ".address" : field + ".trafficSelectors.remote");
      }
      w.set("start_action", "trap");
      w.close();
      w.close();
      w.close();
      if (!cert) {
        psks.push_back({"ike-" + name, remote_id,
                        &required_psk(material, pre_shared_key_name(i->name, peer->name))});
      }
    }
  }
  w.close();

  if (!psks.empty()) {
    w.open("secrets");
    for (const auto& psk : psks) {
      w.open(psk.section);
      w.set("id", psk.remote_id);
      // 0x<hex>: the exact bytes of the PSK string, so the peer configures the same string
      // (a bare value starting with "0x" or "0s" would be decoded by strongSwan).
      w.set("secret", "0x" + api::hex(*psk.secret));
      w.close();
    }
    w.close();
  }
  return std::move(w).str();
}

std::optional<nlohmann::json> ipsec_secret(const api::SecurityProfile& profile,
                                           const IpsecMaterial& material) {
  if (!has_interfaces(profile)) return std::nullopt;
  detail::require_identity(profile);
  nlohmann::json data = {
      {std::string(kSwanctlConfKey), crypto::base64_encode(swanctl_conf(profile, material))}};
  for (const auto& name : required_pre_shared_keys(profile)) {
    data[name] = crypto::base64_encode(required_psk(material, name));
  }
  return detail::make_object("Secret", ipsec_secret_name(profile), profile.metadata.namespace_,
                             managed_labels(profile), owner_reference(profile), std::move(data),
                             "Opaque");
}

}  // namespace secprov::render

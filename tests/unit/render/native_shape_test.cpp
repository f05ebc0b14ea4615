// Config-shape tests: every sample profile in deploy/samples/ rendered into the native
// Open5GS / free5GC documents, checked against what the real parsers require
// (/work/shared/docs/consumers.md: Open5GS v2.7.7, free5GC v1.4.5): the fields that must be
// present, https URIs naming FQDNs, no Open5GS document for the UPF, and every file path one
// of the files the TLS Secret mounts (render/names.h).

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "render/config.h"
#include "render/names.h"
#include "test_support.h"
#include "unit/api/yaml_json.h"

namespace secprov::render {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Sample {
  std::string file;
  json doc;
};

std::vector<Sample> sample_profiles() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(SECPROV_SOURCE_DIR) / "deploy" / "samples"))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<Sample> out;
  for (const auto& f : files) {
    for (auto& doc : api::testing::load_yaml_file(f.string())) {
      if (doc.value("kind", "") != "SecurityProfile") continue;
      doc["metadata"]["uid"] = "uid-" + doc["metadata"]["name"].get<std::string>();
      out.push_back({f.filename().string(), std::move(doc)});
    }
  }
  return out;
}

// Parsed with the CRD defaults but not validated: whether a sample is valid is
// unit_api's SamplesTest; here only the shape of what render produces from it counts.
api::SecurityProfile parse_sample(const json& doc) {
  auto r = api::parse_security_profile(doc);
  if (!r.ok()) throw std::runtime_error("sample does not parse");
  return r.value();
}

// node[k1][k2]..., or an undefined node when a step is missing (yaml-cpp throws when a
// const lookup continues past a missing key).
YAML::Node at(const YAML::Node& node, std::initializer_list<const char*> path) {
  YAML::Node n = node;
  for (const char* k : path) {
    if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node child = n[k];
    if (!child.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    n.reset(child);
  }
  return n;
}

std::string instance_id(const api::SecurityProfile& p) {
  return p.spec.nf_instance_id.value_or(testing::kNfInstanceId);
}

bool tls_on(const api::SecurityProfile& p) {
  return p.spec.sbi.tls.mode != api::TlsMode::Disabled;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A DNS name (not an address): what an https URI and `advertise` must carry.
// The enabler's inbound side when it fronts the NF's SBI (read from the spec, not from the
// render helpers under test): the NF then serves h2c on 127.0.0.1:<port> behind it.
const api::EnablerInbound* fronted(const api::SecurityProfile& p) {
  const auto& e = p.spec.enabler;
  return e && e->mode == api::EnablerMode::Sidecar && e->inbound ? &*e->inbound : nullptr;
}

// Whether `uri` is the NF's h2c way to one of its enabler's outbound peers.
bool through_the_enabler(const api::SecurityProfile& p, const std::string& uri) {
  const auto& e = p.spec.enabler;
  if (!e || e->mode != api::EnablerMode::Sidecar) return false;
  return std::ranges::any_of(e->outbound, [&](const api::EnablerOutbound& o) {
    const std::string local = "http://127.0.0.1:" + std::to_string(o.local_port);
    return uri == local || uri.rfind(local + "/", 0) == 0;
  });
}

bool is_fqdn(const std::string& host) {
  return !host.empty() && host.front() != '[' &&
         std::any_of(host.begin(), host.end(), [](unsigned char c) { return std::isalpha(c); });
}

// "https://host[:port][/path]" with host an FQDN.
void expect_https_fqdn_uri(const std::string& uri, const std::string& where) {
  const std::string prefix = "https://";
  ASSERT_EQ(uri.rfind(prefix, 0), 0u) << where << ": " << uri;
  std::string host = uri.substr(prefix.size());
  host = host.substr(0, host.find('/'));
  host = host.substr(0, host.find(':'));
  EXPECT_TRUE(is_fqdn(host)) << where << ": " << uri;
}

// A partner's N32 roots: the pod mounts each peer's trustAnchorRef under this directory.
bool n32_trust_anchor(const std::string& path) {
  return path.rfind(std::string(kN32TrustAnchorDir) + "/", 0) == 0;
}

// Every scalar that is a file path (or sits under a key that names a file) must be a file
// the TLS Secret mounts (or an N32 partner's mounted roots): anything else points at nothing
// in the pod.
void expect_mounted_paths(const YAML::Node& node, const std::string& where) {
  static const std::set<std::string> kMounted = {std::string(kTlsCertificateFile),
                                                 std::string(kTlsPrivateKeyFile),
                                                 std::string(kCaBundleFile)};
  static const std::set<std::string> kFileKeys = {
      "private_key",        "cert",        "cacert", "verify_client_cacert",
      "client_private_key", "client_cert", "pem",    "key",
      "nrfCertPem"};
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      if (kFileKeys.count(key) && kv.second.IsScalar()) {
        EXPECT_TRUE(kMounted.count(kv.second.as<std::string>()) ||
                    n32_trust_anchor(kv.second.as<std::string>()))
            << where << "." << key << " = " << kv.second.as<std::string>();
      }
      expect_mounted_paths(kv.second, where + "." + key);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      expect_mounted_paths(node[i], where + "[" + std::to_string(i) + "]");
  } else if (node.IsScalar()) {
    const std::string v = node.as<std::string>();
    if (!v.empty() && v.front() == '/') {
      EXPECT_TRUE(kMounted.count(v) || n32_trust_anchor(v)) << where << " = " << v;
    }
  }
}

void check_open5gs(const api::SecurityProfile& p, const std::string& text,
                   const std::string& where) {
  const YAML::Node doc = YAML::Load(text);
  const std::string nf = lower(std::string(api::to_string(p.spec.nf_type)));
  ASSERT_TRUE(at(doc, {nf.c_str()}).IsMap()) << where << "\n" << text;
  const YAML::Node root = at(doc, {nf.c_str()});
  const auto sans = sbi_dns_names(p);

  // Without advertise the NF profile carries no name and consumers dial an IP.
  const YAML::Node servers = at(root, {"sbi", "server"});
  ASSERT_TRUE(servers.IsSequence() && servers.size() > 0) << where << "\n" << text;
  // Behind the enabler: h2c on the loopback port HAProxy forwards to, advertising the
  // enabler's TLS port (Open5GS v2.7.7 parses advertise as host[:port]).
  const api::EnablerInbound* inbound = fronted(p);
  for (const auto& s : servers) {
    ASSERT_TRUE(at(s, {"advertise"}).IsScalar()) << where << "\n" << text;
    std::string name = at(s, {"advertise"}).as<std::string>();
    if (inbound) {
      const std::string port = ":" + std::to_string(inbound->tls_port);
      ASSERT_TRUE(name.ends_with(port)) << where << ": advertise " << name;
      name.resize(name.size() - port.size());
      EXPECT_EQ(at(s, {"address"}).as<std::string>(), "127.0.0.1") << where;
      EXPECT_EQ(at(s, {"port"}).as<int>(), inbound->port) << where;
    }
    EXPECT_TRUE(is_fqdn(name)) << where << ": advertise " << name;
    EXPECT_NE(std::find(sans.begin(), sans.end(), name), sans.end())
        << where << ": advertise " << name << " is not in the certificate";
  }

  const YAML::Node tls = at(root, {"default", "tls"});
  ASSERT_TRUE(tls.IsMap()) << where << "\n" << text;
  const std::string scheme = tls_on(p) ? "https" : "http";
  EXPECT_EQ(at(tls, {"server", "scheme"}).as<std::string>(), inbound ? "http" : scheme) << where;
  EXPECT_EQ(at(tls, {"client", "scheme"}).as<std::string>(), scheme) << where;
  if (tls_on(p)) {
    EXPECT_EQ(at(tls, {"server", "private_key"}).IsScalar(), !inbound) << where;
    EXPECT_EQ(at(tls, {"server", "cert"}).IsScalar(), !inbound) << where;
    EXPECT_TRUE(at(tls, {"client", "cacert"}).IsScalar()) << where;
  }

  // A profile that names the NRF gets the NRF client URI, https://<fqdn> when TLS is on.
  const bool names_nrf = p.spec.sbi.oauth2 && p.spec.sbi.oauth2->nrf_api_root;
  if (names_nrf && p.spec.nf_type != api::NfType::NRF) {
    ASSERT_TRUE(at(root, {"sbi", "client", "nrf"}).IsSequence()) << where << "\n" << text;
  }
  for (const char* peer : {"nrf", "scp"}) {
    const YAML::Node list = at(root, {"sbi", "client", peer});
    if (!list.IsDefined()) continue;
    for (const auto& c : list) {
      const std::string uri = at(c, {"uri"}).as<std::string>();
      if (through_the_enabler(p, uri)) continue;  // the enabler originates the TLS
      if (tls_on(p))
        expect_https_fqdn_uri(uri, where + " sbi.client." + peer);
      else
        EXPECT_EQ(uri.rfind("http://", 0), 0u) << where << ": " << uri;
    }
  }
  if (tls_on(p)) {
    for (const auto& c : at(root, {"n32", "client", "sepp"}))
      expect_https_fqdn_uri(at(c, {"uri"}).as<std::string>(), where + " n32.client.sepp");
  }
  expect_mounted_paths(doc, where);
}

void check_free5gc(const api::SecurityProfile& p, const std::string& text,
                   const std::string& where) {
  const YAML::Node doc = YAML::Load(text);
  const YAML::Node conf = at(doc, {"configuration"});
  ASSERT_TRUE(conf.IsMap()) << where << "\n" << text;
  const YAML::Node sbi = at(conf, {"sbi"});
  const api::EnablerInbound* inbound = fronted(p);
  EXPECT_EQ(at(sbi, {"scheme"}).as<std::string>(), tls_on(p) && !inbound ? "https" : "http")
      << where;
  if (inbound) {
    EXPECT_EQ(at(sbi, {"bindingIPv4"}).as<std::string>(), "127.0.0.1") << where;
    EXPECT_EQ(at(sbi, {"port"}).as<int>(), inbound->port) << where;
  }
  if (p.spec.nf_type == api::NfType::NRF) {
    if (tls_on(p)) {
      EXPECT_TRUE(at(sbi, {"cert", "pem"}).IsScalar()) << where << "\n" << text;
      EXPECT_TRUE(at(sbi, {"cert", "key"}).IsScalar()) << where << "\n" << text;
      EXPECT_TRUE(at(sbi, {"rootcert", "pem"}).IsScalar()) << where << "\n" << text;
      // The NRF's validator: "Configuration.Sbi.RootCert.Key: non zero value required".
      EXPECT_TRUE(at(sbi, {"rootcert", "key"}).IsScalar()) << where << "\n" << text;
    }
    // OAuth2 from read-only mounted material cannot work on free5GC: never claimed.
    ASSERT_TRUE(at(sbi, {"oauth"}).IsScalar()) << where << "\n" << text;
    EXPECT_FALSE(at(sbi, {"oauth"}).as<bool>()) << where;
  } else {
    if (tls_on(p) && !inbound) {
      EXPECT_TRUE(at(sbi, {"tls", "pem"}).IsScalar()) << where << "\n" << text;
      EXPECT_TRUE(at(sbi, {"tls", "key"}).IsScalar()) << where << "\n" << text;
    }
    if (p.spec.sbi.oauth2 && p.spec.sbi.oauth2->nrf_api_root) {
      ASSERT_TRUE(at(conf, {"nrfUri"}).IsScalar()) << where << "\n" << text;
      if (tls_on(p) && !through_the_enabler(p, at(conf, {"nrfUri"}).as<std::string>()))
        expect_https_fqdn_uri(at(conf, {"nrfUri"}).as<std::string>(), where + " nrfUri");
    }
  }
  expect_mounted_paths(doc, where);
}

void check_config_map(const api::SecurityProfile& p, const std::string& where) {
  const json cm = security_config_map(p, instance_id(p));
  const json& data = cm["data"];
  if (p.spec.nf_type == api::NfType::UPF) {
    // The Open5GS UPF has no SBI: an open5gs.yaml for it is logged as an unknown key.
    EXPECT_FALSE(data.contains(std::string(kOpen5gsYamlKey))) << where;
  } else {
    EXPECT_EQ(data.contains(std::string(kOpen5gsYamlKey)), p.spec.outputs.open5gs) << where;
  }
  EXPECT_EQ(data.contains(std::string(kFree5gcYamlKey)), p.spec.outputs.free5gc) << where;
  if (data.contains(std::string(kOpen5gsYamlKey)))
    check_open5gs(p, data[std::string(kOpen5gsYamlKey)].get<std::string>(), where + " open5gs");
  if (data.contains(std::string(kFree5gcYamlKey)))
    check_free5gc(p, data[std::string(kFree5gcYamlKey)].get<std::string>(), where + " free5gc");
}

TEST(NativeShape, SamplesAreFound) {
  const auto samples = sample_profiles();
  std::set<std::string> files;
  for (const auto& s : samples) files.insert(s.file);
  EXPECT_TRUE(files.count("nrf.yaml"));
  EXPECT_TRUE(files.count("smf.yaml"));
  EXPECT_TRUE(files.count("upf.yaml"));
}

// Each sample, with the native renderings it asks for.
TEST(NativeShape, EverySampleAsWritten) {
  int rendered = 0;
  for (const auto& s : sample_profiles()) {
    const auto p = parse_sample(s.doc);
    if (p.spec.outputs.open5gs || p.spec.outputs.free5gc) ++rendered;
    check_config_map(p, s.file);
  }
  EXPECT_GE(rendered, 3);  // nrf (free5GC), smf and upf (Open5GS)
}

// Each sample with both renderings switched on: the shape holds for every NF type the
// samples describe, not only the ones whose outputs happen to be set.
TEST(NativeShape, EverySampleWithEveryRendering) {
  for (auto s : sample_profiles()) {
    s.doc["spec"]["outputs"] = {{"open5gs", true}, {"free5gc", true}};
    check_config_map(parse_sample(s.doc), s.file + " (all outputs)");
  }
}

TEST(NativeShape, NrfSampleRootcertHasKey) {
  for (const auto& s : sample_profiles()) {
    if (s.file != "nrf.yaml") continue;
    const auto p = parse_sample(s.doc);
    const YAML::Node sbi = at(YAML::Load(free5gc_yaml(p)), {"configuration", "sbi"});
    ASSERT_TRUE(at(sbi, {"rootcert", "key"}).IsScalar());
    EXPECT_EQ(at(sbi, {"rootcert", "key"}).as<std::string>(), std::string(kTlsPrivateKeyFile));
    EXPECT_EQ(at(sbi, {"rootcert", "pem"}).as<std::string>(), std::string(kTlsCertificateFile));
    return;
  }
  FAIL() << "deploy/samples/nrf.yaml not found";
}

TEST(NativeShape, UpfSampleHasNoOpen5gsDocument) {
  for (const auto& s : sample_profiles()) {
    if (s.file != "upf.yaml") continue;
    const auto p = parse_sample(s.doc);
    ASSERT_TRUE(p.spec.outputs.open5gs);  // the sample asks for it
    EXPECT_FALSE(
        security_config_map(p, instance_id(p))["data"].contains(std::string(kOpen5gsYamlKey)));
    return;
  }
  FAIL() << "deploy/samples/upf.yaml not found";
}

}  // namespace
}  // namespace secprov::render

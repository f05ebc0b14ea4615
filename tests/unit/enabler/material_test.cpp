#include "enabler/material.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <variant>

#include "crypto/authority.h"

namespace secprov::enabler {
namespace {

namespace fs = std::filesystem;
using Kind = MaterialProblem::Kind;

// A self-signed CA: its certificate and key are a matching pair.
crypto::CertificateAuthority pair(const std::string& name) {
  crypto::DistinguishedName subject;
  subject.common_name = name;
  return crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256, subject,
                                                          std::chrono::hours(1),
                                                          std::chrono::system_clock::now());
}

void write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// A Secret volume as the kubelet lays it out: files in a timestamped directory, `..data`
// pointing at it, and one symlink per key through `..data`.
class KubeletVolume {
 public:
  KubeletVolume()
      : dir_(fs::temp_directory_path() /
             ("secprov-enabler-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~KubeletVolume() { fs::remove_all(dir_); }
  KubeletVolume(const KubeletVolume&) = delete;
  KubeletVolume& operator=(const KubeletVolume&) = delete;

  // Writes a new timestamped directory and swaps `..data` to it atomically.
  void publish(const std::map<std::string, std::string>& files) {
    const auto version = "..2026_11_30_00_00_0" + std::to_string(next_++);
    for (const auto& [name, content] : files) write(dir_ / version / name, content);
    fs::create_directory_symlink(version, dir_ / "..data_tmp");
    fs::rename(dir_ / "..data_tmp", dir_ / "..data");
    for (const auto& [name, content] : files) {
      if (!fs::is_symlink(dir_ / name)) fs::create_symlink(fs::path("..data") / name, dir_ / name);
    }
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  int next_ = 0;
};

Snapshot must_read(const std::vector<fs::path>& paths) {
  auto read = read_snapshot(paths);
  if (const auto* error = std::get_if<ReadError>(&read)) {
    ADD_FAILURE() << error->path << ": " << error->reason;
    return {};
  }
  return std::get<Snapshot>(read);
}

TEST(Material, SnapshotHoldsTheKeysNotTheKubeletBookkeeping) {
  KubeletVolume volume;
  volume.publish({{"tls.crt", "c1"}, {"tls.key", "k1"}});
  const auto snapshot = must_read({volume.dir()});
  ASSERT_EQ(snapshot.files.size(), 2u);
  EXPECT_EQ(snapshot.files.at((volume.dir() / "tls.crt").string()), "c1");
  EXPECT_EQ(snapshot.files.at((volume.dir() / "tls.key").string()), "k1");
}

TEST(Material, DigestChangesWithTheSwapAndOnlyThen) {
  KubeletVolume volume;
  volume.publish({{"tls.crt", "c1"}, {"tls.key", "k1"}});
  const auto first = digest(must_read({volume.dir()}));
  EXPECT_EQ(first.rfind("sha256:", 0), 0u);
  EXPECT_EQ(digest(must_read({volume.dir()})), first);
  volume.publish({{"tls.crt", "c2"}, {"tls.key", "k1"}});
  const auto second = digest(must_read({volume.dir()}));
  EXPECT_NE(second, first);
  volume.publish({{"tls.crt", "c1"}, {"tls.key", "k1"}});
  EXPECT_EQ(digest(must_read({volume.dir()})), first) << "same content, same digest";
}

TEST(Material, AMissingDirectoryIsAReadError) {
  const auto read = read_snapshot({"/nonexistent/secprov/enabler"});
  EXPECT_TRUE(std::holds_alternative<ReadError>(read));
}

TEST(Material, AMatchingPairAndATrustBundlePass) {
  const auto leaf = pair("leaf");
  const auto ca = pair("ca");
  Snapshot snapshot;
  snapshot.files = {{"/v/tls.crt", leaf.certificate().to_pem()},
                    {"/v/tls.key", leaf.key().to_pkcs8_pem()},
                    {"/v/ca.crt", ca.certificate().to_pem() + leaf.certificate().to_pem()},
                    {"/c/haproxy.cfg", "global\n"}};
  EXPECT_TRUE(check_tls_material(snapshot).empty());
}

TEST(Material, AKeyOfAnotherCertificateIsRejectedWithoutItsContent) {
  const auto leaf = pair("leaf");
  const auto other = pair("other");
  Snapshot snapshot;
  snapshot.files = {{"/v/tls.crt", leaf.certificate().to_pem()},
                    {"/v/tls.key", other.key().to_pkcs8_pem()}};
  const auto problems = check_tls_material(snapshot);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, Kind::KeyMismatch);
  EXPECT_EQ(problems[0].file, "/v/tls.crt");
  EXPECT_EQ(problems[0].detail.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(to_string(problems[0].kind), "KeyMismatch");
}

TEST(Material, HaproxyKeyNamesAndCombinedPemArePaired) {
  const auto leaf = pair("leaf");
  const auto other = pair("other");
  Snapshot snapshot;
  // X.crt.key (HAProxy's default lookup) and a certificate + key in one .pem.
  snapshot.files = {{"/v/a.crt", leaf.certificate().to_pem()},
                    {"/v/a.crt.key", leaf.key().to_pkcs8_pem()},
                    {"/v/b.pem", leaf.certificate().to_pem() + leaf.key().to_pkcs8_pem()}};
  EXPECT_TRUE(check_tls_material(snapshot).empty());
  snapshot.files["/v/b.pem"] = leaf.certificate().to_pem() + other.key().to_pkcs8_pem();
  const auto problems = check_tls_material(snapshot);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, Kind::KeyMismatch);
  EXPECT_EQ(problems[0].file, "/v/b.pem");
}

TEST(Material, UnparsableCertificateOrKeyIsRejected) {
  const auto leaf = pair("leaf");
  Snapshot snapshot;
  snapshot.files = {
      {"/v/tls.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
      {"/v/tls.key", leaf.key().to_pkcs8_pem()}};
  auto problems = check_tls_material(snapshot);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, Kind::UnreadableCertificate);

  snapshot.files = {{"/v/tls.crt", leaf.certificate().to_pem()}, {"/v/tls.key", "not a key"}};
  problems = check_tls_material(snapshot);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, Kind::UnreadableKey);
  EXPECT_EQ(problems[0].file, "/v/tls.key");

  snapshot.files = {{"/v/extra.key", "truncated"}};
  problems = check_tls_material(snapshot);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, Kind::UnreadableKey);
}

}  // namespace
}  // namespace secprov::enabler

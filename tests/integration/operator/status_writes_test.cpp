// Issue 12 (writes) with issue 11's consistency: a new SecurityProfile that reaches Ready and
// Consistent costs ONE status write. Its first Consistent evaluation rides on the profile
// controller's status write (fold_consistency); the consistency controller writes only what
// differs, and re-evaluates the peers (and the profile itself only when a peer changed while
// that first evaluation was pending). Counted against the real API server twice: every
// version of the profiles a watch delivers (each status change is a new version), and the API
// server's own apiserver_request_total for status PUTs (nothing written that the watch did not
// show, conflicts included).
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/condition.h"
#include "api/trustdomain.h"
#include "operator_fixture.h"

namespace secprov::testing {
namespace {

using kube::Json;

constexpr auto kSettle = std::chrono::seconds(60);

// Every version of the SecurityProfiles of a namespace, as a watch opened at construction
// delivers them, by name and in order.
class ProfileVersions {
 public:
  ProfileVersions(const std::shared_ptr<kube::Client>& client, const std::string& ns) {
    kube::WatchOptions options;
    options.resource_version =
        client->list(kube::resources::security_profiles(), ns).resource_version;
    options.allow_bookmarks = false;
    stream_ = client->watch(kube::resources::security_profiles(), ns, options);
    thread_ = std::jthread([this] {
      try {
        while (auto event = stream_->next()) {
          const std::lock_guard lock(mutex_);
          versions_[event->object["metadata"].value("name", "")].push_back(event->object);
        }
      } catch (const kube::ApiError& e) {
        const std::lock_guard lock(mutex_);
        error_ = e.what();
      }
    });
  }
  ~ProfileVersions() { stream_->cancel(); }
  ProfileVersions(const ProfileVersions&) = delete;
  ProfileVersions& operator=(const ProfileVersions&) = delete;

  // How many versions of `name` changed its status (the first one counts when it has one).
  std::size_t status_changes(const std::string& name) const {
    const std::lock_guard lock(mutex_);
    std::size_t changes = 0;
    Json previous = Json::object();
    const auto it = versions_.find(name);
    if (it == versions_.end()) return 0;
    for (const auto& version : it->second) {
      const auto status = version.value("status", Json::object());
      if (status != previous) ++changes;
      previous = status;
    }
    return changes;
  }
  std::string describe(const std::string& name) const {
    const std::lock_guard lock(mutex_);
    std::ostringstream out;
    out << name << ":";
    if (const auto it = versions_.find(name); it != versions_.end()) {
      for (const auto& v : it->second) {
        out << "\n  rv " << v["metadata"].value("resourceVersion", "") << " status "
            << v.value("status", Json::object()).dump();
      }
    }
    if (!error_.empty()) out << "\n  watch error: " << error_;
    return out.str();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Json>> versions_;
  std::string error_;
  std::shared_ptr<kube::WatchStream> stream_;
  std::jthread thread_;  // last: joined before the members it uses go
};

class StatusWritesTest : public OperatorTest {
 protected:
  Json document(const std::string& name, const std::string& nf_type, const Json& tls) const {
    return profile_document(name, nf_type, {{"sbi", {{"tls", tls}}}});
  }
  void apply(const Json& doc) {
    std::string output;
    ASSERT_EQ(apply_yaml(doc.dump(2), &output), 0) << output;
  }
  // Ready True and Consistent `consistent` for the current generation, the status listing
  // `peer` when given.
  bool settled(const std::string& name, const std::string& consistent,
               const std::string& peer = {}) {
    if (!profile_condition(name, "Ready", "True") ||
        !profile_condition(name, "Consistent", consistent)) {
      return false;
    }
    if (peer.empty()) return true;
    for (const auto& r : profile(name)["status"].value("consistency", Json::array())) {
      if (r.value("peer", "") == peer) return true;
    }
    return false;
  }
  // Nothing queued or in progress in any of the operator's controllers.
  bool idle() const {
    return metric(0, "workqueue_depth") == 0 && metric(0, "controller_runtime_active_workers") == 0;
  }
  // The API server's status PUTs to SecurityProfiles by response code (all namespaces:
  // the tests of this binary run one at a time, each with its own operator).
  static std::map<std::string, double> status_puts() {
    std::string text;
    EXPECT_EQ(kubectl("get --raw /metrics", &text), 0) << text;
    std::map<std::string, double> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("apiserver_request_total{") ||
          line.find("verb=\"PUT\"") == std::string::npos ||
          line.find("resource=\"securityprofiles\"") == std::string::npos ||
          line.find("subresource=\"status\"") == std::string::npos) {
        continue;
      }
      const auto at = line.find("code=\"") + 6;
      out[line.substr(at, line.find('"', at) - at)] += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return out;
  }
  static double total(const std::map<std::string, double>& by_code) {
    double sum = 0;
    for (const auto& [code, n] : by_code) sum += n;
    return sum;
  }
  // Both writes of one profile are counted: the new one and its peer.
  void expect_one_status_write_each(const ProfileVersions& versions,
                                    const std::map<std::string, double>& before) {
    EXPECT_EQ(versions.status_changes("amf"), 1u) << versions.describe("amf");
    // The peer's re-evaluation (the new pair) still happens, through the consistency
    // controller.
    EXPECT_EQ(versions.status_changes("ausf"), 1u) << versions.describe("ausf");
    // Nothing the watch did not show: no write that changed nothing. A write refused for a
    // stale resourceVersion (409) changed nothing either; it is counted apart, not asserted
    // (two controllers write one status; see docs/benchmarks.md).
    const auto after = status_puts();
    const auto successful = [](const std::map<std::string, double>& by_code) {
      const auto it = by_code.find("200");
      return it == by_code.end() ? 0.0 : it->second;
    };
    ::testing::Test::RecordProperty(
        "status_put_conflicts",
        std::to_string(total(after) - successful(after) - (total(before) - successful(before))));
    EXPECT_EQ(successful(after) - successful(before), 2.0)
        << "status PUTs by code, before: " << Json(before).dump()
        << " after: " << Json(after).dump() << "\n"
        << versions.describe("amf") << "\n"
        << versions.describe("ausf");
  }
};

TEST_F(StatusWritesTest, ANewProfileWithAPeerGetsOneStatusWrite) {
  create_trust_domain();
  start_operator("writes");
  apply(document("ausf", "AUSF", Json::object()));
  ASSERT_TRUE(eventually([&] { return settled("ausf", "True") && idle(); }, kSettle))
      << profile("ausf").dump(2) << operators_[0]->log();

  const auto before = status_puts();
  const ProfileVersions versions(client_, namespace_);
  apply(document("amf", "AMF", Json::object()));  // AMF -> AUSF on SBI
  ASSERT_TRUE(eventually(
      [&] { return settled("amf", "True", "ausf") && settled("ausf", "True", "amf") && idle(); },
      kSettle))
      << versions.describe("amf") << "\n"
      << versions.describe("ausf") << operators_[0]->log();
  expect_one_status_write_each(versions, before);
}

// Issue 11 review: a new profile's first Consistent evaluation is made by the profile
// controller, folded into its status write, once per write attempt (a 409 retries, folding
// again), counted from the operator's /metrics against the API server's status PUTs.
TEST_F(StatusWritesTest, ANewProfilesFirstEvaluationIsMadeOncePerStatusWrite) {
  create_trust_domain();
  start_operator("writes");
  // The trust domain settled first: any change of it enqueues its profiles here too.
  const auto domain = [&] {
    return client_->get(kube::resources::trust_domains(), "", trust_domain_);
  };
  ASSERT_TRUE(eventually([&] {
    const auto parsed = api::parse_trust_domain(domain());
    return parsed && api::is_condition_true(parsed.value().status.conditions, "Ready") && idle();
  })) << operators_[0]->log();
  const auto evaluations = [&](const std::string& controller) {
    return metric(0, "secprov_consistency_evaluations_total", "controller=\"" + controller + "\"");
  };
  const double folded = evaluations("securityprofile");
  const double evaluated = evaluations("consistency");
  const auto before = status_puts();
  const auto domain_version = domain()["metadata"].value("resourceVersion", "");
  apply(document("amf", "AMF", Json::object()));  // alone in its namespace: no peer
  ASSERT_TRUE(eventually([&] { return settled("amf", "True") && idle(); }, kSettle))
      << profile("amf").dump(2) << operators_[0]->log();
  EXPECT_GE(evaluations("securityprofile") - folded, 1.0);
  EXPECT_EQ(evaluations("securityprofile") - folded, total(status_puts()) - total(before))
      << "status PUTs by code, before: " << Json(before).dump()
      << " after: " << Json(status_puts()).dump();
  // The consistency controller's own evaluations are recorded, not asserted: events this test
  // does not control (another test's namespace going away, a trust-domain event delivered
  // late) may legitimately make it evaluate the profile; one run in about seven of the whole
  // suite saw one. The unit tests (FirstEvaluationTest) pin the rule itself.
  ::testing::Test::RecordProperty(
      "consistency_evaluations",
      std::to_string(evaluations("consistency") - evaluated) +
          (domain()["metadata"].value("resourceVersion", "") == domain_version
               ? ""
               : " (the trust domain changed meanwhile)"));
}

// Whichever controller evaluated it, a first evaluation that finds a mismatch is told once
// (one Inconsistent Event) and the pair counted once in the gauge.
TEST_F(StatusWritesTest, ANewInconsistentProfileIsToldOnceInItsOneStatusWrite) {
  create_trust_domain();
  start_operator("writes");
  apply(document("ausf", "AUSF", {{"minVersion", "1.3"}}));
  ASSERT_TRUE(eventually([&] { return settled("ausf", "True") && idle(); }, kSettle))
      << profile("ausf").dump(2) << operators_[0]->log();

  const auto before = status_puts();
  const ProfileVersions versions(client_, namespace_);
  apply(document("amf", "AMF", {{"maxVersion", "1.2"}}));
  ASSERT_TRUE(eventually(
      [&] { return settled("amf", "False", "ausf") && settled("ausf", "False", "amf") && idle(); },
      kSettle))
      << versions.describe("amf") << "\n"
      << versions.describe("ausf") << operators_[0]->log();
  expect_one_status_write_each(versions, before);

  // One Event on the new profile (posted asynchronously: waited for), counted once.
  ASSERT_TRUE(eventually([&] { return !events("amf", "Inconsistent").empty(); }, kSettle));
  const auto told = events("amf", "Inconsistent");
  ASSERT_EQ(told.size(), 1u) << told.dump(2);
  EXPECT_EQ(told[0].value("count", 1), 1) << told.dump(2);
  EXPECT_EQ(told[0].value("type", ""), "Warning");
  EXPECT_TRUE(eventually(
      [&] { return metric(0, "secprov_inconsistent_pairs", "interface=\"SBI\"") == 1; }, kSettle))
      << metric(0, "secprov_inconsistent_pairs", "interface=\"SBI\"");
}

}  // namespace
}  // namespace secprov::testing

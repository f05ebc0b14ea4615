#include "enabler/reload_policy.h"

#include <gtest/gtest.h>

namespace secprov::enabler {
namespace {

using namespace std::chrono_literals;
using Action = ReloadGate::Action;

TEST(ReloadGate, ChecksOnlyWhatDiffersFromTheServedSet) {
  const ReloadGate gate("sha256:a", 10s);
  const auto now = ReloadGate::Clock::now();
  EXPECT_EQ(gate.on_observed("sha256:a", now), Action::None);
  EXPECT_EQ(gate.on_observed("sha256:b", now), Action::Check);
}

TEST(ReloadGate, AtMostOneReloadPerInterval) {
  ReloadGate gate("sha256:a", 10s);
  const auto t0 = ReloadGate::Clock::now();
  gate.reloaded("sha256:b", t0);
  EXPECT_EQ(gate.served(), "sha256:b");
  EXPECT_EQ(gate.on_observed("sha256:c", t0 + 9s), Action::Wait);
  EXPECT_EQ(gate.on_observed("sha256:c", t0 + 10s), Action::Check);
  // A reload that did not take also counts, and the set is tried again afterwards.
  gate.reload_failed(t0 + 10s);
  EXPECT_EQ(gate.served(), "sha256:b");
  EXPECT_EQ(gate.on_observed("sha256:c", t0 + 11s), Action::Wait);
  EXPECT_EQ(gate.on_observed("sha256:c", t0 + 20s), Action::Check);
}

TEST(ReloadGate, ARejectedSetIsCheckedOnceUntilTheFilesChange) {
  ReloadGate gate("sha256:a", 0s);
  const auto now = ReloadGate::Clock::now();
  gate.rejected("sha256:bad");
  EXPECT_EQ(gate.on_observed("sha256:bad", now), Action::None);
  EXPECT_EQ(gate.on_observed("sha256:good", now), Action::Check);
  EXPECT_EQ(gate.served(), "sha256:a");
  // Going back to the served set needs nothing either.
  EXPECT_EQ(gate.on_observed("sha256:a", now), Action::None);
}

}  // namespace
}  // namespace secprov::enabler

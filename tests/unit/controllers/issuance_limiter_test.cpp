#include "controllers/issuance_limiter.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace secprov::controllers {
namespace {

using namespace std::chrono_literals;

double metric(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
  }
  return -1;
}

TEST(IssuanceLimiterTest, AllowsABurstThenOnePerIntervalPerProfile) {
  const auto registry = std::make_shared<prometheus::Registry>();
  IssuanceLimiter limiter({.burst = 3, .interval = 20s}, registry);
  const auto t0 = std::chrono::system_clock::time_point{} + 1000h;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.try_take("uid-a", t0), std::nullopt) << i;
  const auto wait = limiter.try_take("uid-a", t0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 20000ms);
  // Another profile has its own budget.
  EXPECT_EQ(limiter.try_take("uid-b", t0), std::nullopt);
  // Half an interval later: still refused, with the rest of the wait.
  EXPECT_EQ(limiter.try_take("uid-a", t0 + 10s), std::optional(10000ms));
  EXPECT_EQ(limiter.try_take("uid-a", t0 + 20s), std::nullopt);
  EXPECT_TRUE(limiter.try_take("uid-a", t0 + 20s).has_value());
  EXPECT_EQ(metric(*registry, "secprov_certificates_issued_total"), 5);
  EXPECT_EQ(metric(*registry, "secprov_certificate_issuance_throttled_total"), 3);
  // A deleted profile's history is dropped.
  limiter.forget("uid-a");
  EXPECT_EQ(limiter.try_take("uid-a", t0 + 20s), std::nullopt);
}

// A burst of issuances leaves one bucket per profile; those that have filled up again are
// dropped (at the first issuance once their count has doubled), and that changes no answer.
TEST(IssuanceLimiterTest, ForgetsProfilesWhoseBucketHasFilledUpAgain) {
  IssuanceLimiter limiter({.burst = 3, .interval = 20s}, nullptr);
  const auto t0 = std::chrono::system_clock::time_point{} + 1000h;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(limiter.try_take("uid-" + std::to_string(i), t0), std::nullopt);
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.try_take("uid-busy", t0 + 50s), std::nullopt);
  EXPECT_EQ(limiter.tracked(), 1001u);
  // 65 s on, the first thousand are full again (2 + 3.25 tokens, at most 3); uid-busy has
  // 0.75 and each newcomer 2. The sweep at 1,024 keeps uid-busy and 23 newcomers.
  const auto later = t0 + 65s;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(limiter.try_take("uid-late-" + std::to_string(i), later), std::nullopt);
  }
  EXPECT_EQ(limiter.tracked(), 101u);
  const auto busy = limiter.try_take("uid-busy", later);
  ASSERT_TRUE(busy.has_value());
  EXPECT_NEAR(static_cast<double>(busy->count()), 5000.0, 1.0);
  // A dropped profile has its whole burst, as it had.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.try_take("uid-7", later), std::nullopt) << i;
  EXPECT_TRUE(limiter.try_take("uid-7", later).has_value());
}

}  // namespace
}  // namespace secprov::controllers

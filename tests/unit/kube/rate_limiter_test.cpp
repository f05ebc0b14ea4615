#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

namespace secprov::kube {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

double as_ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

TEST(TokenBucket, BurstThenOneTokenPerInterval) {
  TokenBucket bucket(10, 3);  // a token every 100 ms, three at once
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(bucket.try_acquire(t0), Clock::duration::zero());
  EXPECT_EQ(bucket.try_acquire(t0), Clock::duration::zero());
  EXPECT_EQ(bucket.try_acquire(t0), Clock::duration::zero());

  const auto wait = bucket.try_acquire(t0);
  EXPECT_NEAR(as_ms(wait), 100.0, 0.01);

  // Half-way the wait has halved, and nothing was taken by asking.
  const auto half = bucket.try_acquire(t0 + 50ms);
  EXPECT_NEAR(as_ms(half), 50.0, 0.01);

  EXPECT_EQ(bucket.try_acquire(t0 + 100ms), Clock::duration::zero());
  EXPECT_GT(bucket.try_acquire(t0 + 100ms), Clock::duration::zero());
  EXPECT_EQ(bucket.try_acquire(t0 + 200ms), Clock::duration::zero());
}

TEST(TokenBucket, RefillIsCappedAtBurst) {
  TokenBucket bucket(10, 2);
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 2; ++i) EXPECT_EQ(bucket.try_acquire(t0), Clock::duration::zero());
  const auto later = t0 + 10s;  // would be 100 tokens without the cap
  EXPECT_EQ(bucket.try_acquire(later), Clock::duration::zero());
  EXPECT_EQ(bucket.try_acquire(later), Clock::duration::zero());
  EXPECT_GT(bucket.try_acquire(later), Clock::duration::zero());
}

TEST(TokenBucket, OlderTimePointsDoNotRefill) {
  TokenBucket bucket(1, 1);
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(bucket.try_acquire(t0), Clock::duration::zero());
  EXPECT_GT(bucket.try_acquire(t0 - 10s), Clock::duration::zero());
}

TEST(TokenBucket, NonPositiveQpsMeansNoLimit) {
  TokenBucket bucket(0, 1);
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(bucket.try_acquire(t0), Clock::duration::zero());
}

TEST(TokenBucket, AcquireBlocksForAboutOneInterval) {
  TokenBucket bucket(20, 1);  // 50 ms per token
  bucket.acquire();
  const auto start = Clock::now();
  bucket.acquire();
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 40ms);
  EXPECT_LT(waited, 500ms);
}

}  // namespace
}  // namespace secprov::kube

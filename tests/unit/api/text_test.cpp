// api/text.h: join, SharedText (a string copies share) and TextPool (interning).
#include "api/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace secprov::api {
namespace {

TEST(Join, PutsTheSeparatorBetweenItemsOnly) {
  EXPECT_EQ(join(std::vector<std::string>{}, ", "), "");
  EXPECT_EQ(join(std::vector<std::string>{"a"}, ", "), "a");
  EXPECT_EQ(join(std::vector<std::string>{"a", "b", "c"}, "; "), "a; b; c");
  // An empty item is still an item.
  EXPECT_EQ(join(std::vector<std::string>{"", "b"}, ","), ",b");
}

TEST(SharedText, ReadsAndComparesAsItsText) {
  const SharedText none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(none.holder(), nullptr);  // the empty text allocates nothing
  EXPECT_EQ(SharedText(std::string()).holder(), nullptr);

  const SharedText text = std::string("remedy: the enabler sidecar");
  EXPECT_EQ(text, "remedy: the enabler sidecar");
  EXPECT_EQ(text, std::string("remedy: the enabler sidecar"));
  EXPECT_EQ(text.size(), 27u);
  const std::string& as_string = text;
  EXPECT_EQ(as_string.rfind("remedy", 0), 0u);
  // Equal texts are equal whether or not they share their copy.
  const SharedText other = std::string("remedy: the enabler sidecar");
  EXPECT_FALSE(text.shares_with(other));
  EXPECT_EQ(text, other);
  EXPECT_NE(text, SharedText("remedy"));
  // A copy shares.
  const SharedText copy = text;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy.shares_with(text));
}

TEST(TextPool, EqualTextsShareOneCopy) {
  TextPool pool;
  const SharedText a = pool.intern(std::string("no native output is selected"));
  const SharedText b = pool.intern(std::string("no native output is selected"));
  const SharedText c = pool.intern(std::string("something else"));
  EXPECT_TRUE(a.shares_with(b));
  EXPECT_FALSE(a.shares_with(c));
  EXPECT_EQ(b, "no native output is selected");
  EXPECT_EQ(pool.size(), 2u);
  // The empty text is not pooled.
  EXPECT_EQ(pool.intern(SharedText()).holder(), nullptr);
  EXPECT_EQ(pool.size(), 2u);
}

TEST(TextPool, DropsTextsNoOneHoldsAndKeepsThoseInUse) {
  TextPool pool;
  const SharedText kept = pool.intern(std::string("kept across every sweep"));
  for (int k = 0; k < 10000; ++k) {
    (void)pool.intern(SharedText("transient message " + std::to_string(k)));
  }
  // Swept whenever it doubles: never more than twice what is held, nor less than its floor.
  EXPECT_LE(pool.size(), 128u);
  const SharedText again = pool.intern(std::string("kept across every sweep"));
  EXPECT_TRUE(again.shares_with(kept));
}

}  // namespace
}  // namespace secprov::api

namespace secprov::api {
namespace {

TEST(Hex, WritesLowercaseDigitsAndUuids) {
  EXPECT_EQ(hex(std::string("\x00\x9f\xff", 3)), "009fff");
  std::string uuid;
  append_uuid(uuid,
              std::string("\x6f\x1e\x4c\x2a\x8d\x3b\x4a\x57\x9c\x0e\x2b\x7d\x5f\x1a\x9e\x31", 16));
  EXPECT_EQ(uuid, "6f1e4c2a-8d3b-4a57-9c0e-2b7d5f1a9e31");
  EXPECT_TRUE(is_lower_uuid(uuid));
  EXPECT_FALSE(is_lower_uuid("6F1E4C2A-8D3B-4A57-9C0E-2B7D5F1A9E31"));
  EXPECT_FALSE(is_lower_uuid(uuid.substr(1)));
  EXPECT_FALSE(is_lower_uuid("6f1e4c2a08d3b-4a57-9c0e-2b7d5f1a9e31"));
}

}  // namespace
}  // namespace secprov::api

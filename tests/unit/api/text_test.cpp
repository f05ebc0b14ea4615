// api/text.h: join, SharedText (a string copies share) and TextPool (interning).
#include "api/text.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
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
  EXPECT_FALSE(none.allocated());  // the empty text allocates nothing
  EXPECT_FALSE(SharedText(std::string()).allocated());
  EXPECT_EQ(sizeof(SharedText), sizeof(void*));  // three in every cached condition

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

TEST(SharedText, CopiesMovesAndAssignmentsKeepEachHandleItsText) {
  SharedText a = std::string("the Enforced condition's message");
  SharedText b = a;
  SharedText moved = std::move(b);
  EXPECT_TRUE(moved.shares_with(a));
  EXPECT_FALSE(b.allocated());  // NOLINT(bugprone-use-after-move): a moved-from text is empty
  EXPECT_EQ(b, "");             // NOLINT(bugprone-use-after-move)
  b = moved;
  a = SharedText("another text");  // the old text lives on in b and moved
  EXPECT_EQ(b, "the Enforced condition's message");
  EXPECT_EQ(a, "another text");
  const SharedText& same = a;
  a = same;  // self-assignment keeps the text
  EXPECT_EQ(a, "another text");
  a = SharedText();
  EXPECT_FALSE(a.allocated());
  // Handles on several threads copy and drop one text at once (the sanitizers check the count).
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&moved] {
      for (int k = 0; k < 10000; ++k) {
        const SharedText copy = moved;
        ASSERT_EQ(copy.size(), 32u);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(moved, "the Enforced condition's message");
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
  EXPECT_FALSE(pool.intern(SharedText()).allocated());
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

namespace secprov::api {
namespace {

TEST(HexText, HoldsHexAsItsBytesAndReadsBackEveryTextAsGiven) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  const std::string fingerprint = "0f" + std::string(62, '9');
  const std::string serial = "64acd5e70cf9a03173c662e94309f6aa";
  for (const auto& text :
       {digest, fingerprint, serial, std::string("sha256:"), std::string("00")}) {
    const HexText held(text);
    EXPECT_TRUE(held.folded()) << text;
    EXPECT_EQ(held.str(), text);
    EXPECT_EQ(held, text);
    EXPECT_FALSE(held.empty());
  }
  // Anything else is kept as it is: uppercase, odd digits, longer than 32 bytes, another
  // prefix, text around the hex.
  for (const auto& text :
       {std::string("sha256:") + std::string(64, 'A'), std::string("abc"), std::string(66, 'a'),
        "sha512:" + std::string(64, 'a'), std::string("sha256: 00"), std::string("00 "),
        std::string("not a digest"), std::string("sha256:0")}) {
    const HexText held(text);
    EXPECT_FALSE(held.folded()) << text;
    EXPECT_EQ(held.str(), text);
    EXPECT_EQ(held, text);
  }
  const HexText none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(none, HexText(""));
  EXPECT_EQ(none, "");
  // Equal exactly when the texts are.
  EXPECT_EQ(HexText(digest), HexText(digest));
  EXPECT_NE(HexText(digest), HexText(digest.substr(7)));
  EXPECT_NE(HexText("00"), HexText("0000"));
  EXPECT_NE(HexText("sha256:"), HexText(""));
  EXPECT_NE(HexText("ab"), HexText("AB"));
  // A digest costs no allocation beyond the value itself: 48 bytes, where a std::string holding
  // it costs 32 and a heap block of 80.
  EXPECT_LE(sizeof(HexText), 48u);
}

TEST(Hex, BytesFromDigitsAreHexsInverse) {
  const std::string bytes("\x00\x9f\xff\x10", 4);
  std::string back;
  append_hex_bytes(back, hex(bytes));
  EXPECT_EQ(back, bytes);
  EXPECT_EQ(lower_hex_value('0'), 0);
  EXPECT_EQ(lower_hex_value('9'), 9);
  EXPECT_EQ(lower_hex_value('a'), 10);
  EXPECT_EQ(lower_hex_value('f'), 15);
  EXPECT_EQ(lower_hex_byte('9', 'f'), 0x9f);
}

}  // namespace
}  // namespace secprov::api

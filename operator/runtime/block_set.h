#pragma once
// An ordered set of small values kept in sorted blocks of at most kBlock members: about 11
// bytes a member, where a std::set node takes 48 (its allocation included). Insert and
// erase search the blocks, then move at most one block's members. For the typed cache's
// index entries (runtime/typed_store.h): with 10,000 profiles, each filed under a handful of
// shared values (a namespace, a trust domain), their nodes took about 2 MB.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <iterator>
#include <vector>

namespace secprov::runtime {

template <class T, class Less = std::less<T>>
class BlockSet {
 public:
  static constexpr std::size_t kBlock = 128;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    reference operator*() const { return (*blocks_)[block_][member_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++member_ == (*blocks_)[block_].size()) {
        ++block_;
        member_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.block_ == b.block_ && a.member_ == b.member_;
    }

   private:
    friend class BlockSet;
    const_iterator(const std::vector<std::vector<T>>* blocks, std::size_t block)
        : blocks_(blocks), block_(block) {}
    const std::vector<std::vector<T>>* blocks_ = nullptr;
    std::size_t block_ = 0;
    std::size_t member_ = 0;
  };

  // False when `value` is a member already.
  bool insert(const T& value) {
    if (blocks_.empty()) {
      blocks_.emplace_back().push_back(value);
      ++size_;
      return true;
    }
    // The block it belongs in: the first whose last member is not below it, else the last.
    auto block = block_for(value);
    if (block == blocks_.end()) --block;
    auto at = std::lower_bound(block->begin(), block->end(), value, less_);
    if (at != block->end() && !less_(value, *at)) return false;
    if (block->size() == kBlock) {
      // Split in halves first, so neither keeps a buffer grown past kBlock.
      const auto middle = block->begin() + kBlock / 2;
      std::vector<T> upper(middle, block->end());
      const bool goes_up = at >= middle;
      const auto offset = goes_up ? at - middle : at - block->begin();
      block->erase(middle, block->end());
      block->shrink_to_fit();
      block = blocks_.insert(std::next(block), std::move(upper));
      if (!goes_up) --block;
      at = block->begin() + offset;
    }
    block->insert(at, value);
    ++size_;
    return true;
  }

  // False when `value` is not a member.
  bool erase(const T& value) {
    const auto block = block_for(value);
    if (block == blocks_.end()) return false;
    const auto at = std::lower_bound(block->begin(), block->end(), value, less_);
    if (at == block->end() || less_(value, *at)) return false;
    block->erase(at);
    --size_;
    if (block->empty()) blocks_.erase(block);
    return true;
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  const_iterator begin() const { return const_iterator(&blocks_, 0); }
  const_iterator end() const { return const_iterator(&blocks_, blocks_.size()); }

 private:
  typename std::vector<std::vector<T>>::iterator block_for(const T& value) {
    return std::lower_bound(
        blocks_.begin(), blocks_.end(), value,
        [this](const std::vector<T>& block, const T& v) { return less_(block.back(), v); });
  }

  std::vector<std::vector<T>> blocks_;  // each non-empty and sorted, in order
  std::size_t size_ = 0;
  Less less_;
};

}  // namespace secprov::runtime

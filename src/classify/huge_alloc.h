// File: src/classify/huge_alloc.h
// An allocator for the classifier's large tables (model.h weights, ppm.h
// counts); defined in model.cc for float and uint32_t.
#pragma once

#include <cstddef>

namespace rampart::classify {

// Allocates large arrays (the weight table) 2 MiB-aligned and asks the
// kernel for transparent huge pages (madvise): a 2^22 x 2 float table spans
// 16 huge pages instead of 8,192 small ones, so the random weight look-ups
// stop missing the TLB. Small arrays come from operator new.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(huge_allocate(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { huge_deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
  static void* huge_allocate(size_t bytes);
  static void huge_deallocate(void* p, size_t bytes);
};

}  // namespace rampart::classify

// The replaced global operator new/delete family of talkory-bench: each operator new counts
// itself (relaxed atomics, only while counting is on) and allocates with malloc, so that the
// allocator itself is the same as without the replacement; every operator delete frees. Linked
// into the bench binary only. Under a sanitizer the sanitizer's malloc and free still see every
// block (only its new/delete mismatch check is lost).
#include "allocation_counter.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0};
std::atomic<std::uint64_t> allocated_bytes{0};

void count(std::size_t size) noexcept {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  }
}

// malloc(0) may return null; operator new must return a unique pointer.
void* try_allocate(std::size_t size) noexcept {
  return std::malloc(size == 0 ? 1 : size);
}

void* try_allocate(std::size_t size, std::align_val_t alignment) noexcept {
  // posix_memalign wants a power of two multiple of sizeof(void*); align_val_t is a power of two.
  const auto align = std::max(static_cast<std::size_t>(alignment), sizeof(void*));
  void* p = nullptr;
  return posix_memalign(&p, align, size == 0 ? 1 : size) == 0 ? p : nullptr;
}

// The throwing forms: call the new-handler until it gives up, as the standard's operator new does.
template <class... Alignment>
void* allocate_or_throw(std::size_t size, Alignment... alignment) {
  count(size);
  for (;;) {
    if (void* p = try_allocate(size, alignment...)) {
      return p;
    }
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) {
      throw std::bad_alloc();
    }
    handler();
  }
}

template <class... Alignment>
void* allocate_or_null(std::size_t size, Alignment... alignment) noexcept {
  try {
    return allocate_or_throw(size, alignment...);
  } catch (...) {
    return nullptr;
  }
}

} // namespace

namespace talkory::bench {

void start_counting_allocations() noexcept {
  allocations.store(0, std::memory_order_relaxed);
  allocated_bytes.store(0, std::memory_order_relaxed);
  counting.store(true, std::memory_order_relaxed);
}

allocation_totals stop_counting_allocations() noexcept {
  counting.store(false, std::memory_order_relaxed);
  return {allocations.load(std::memory_order_relaxed),
          allocated_bytes.load(std::memory_order_relaxed)};
}

} // namespace talkory::bench

// NOLINTBEGIN(misc-new-delete-overloads): the whole family is replaced, each form once.
void* operator new(std::size_t size) {
  return allocate_or_throw(size);
}
void* operator new[](std::size_t size) {
  return allocate_or_throw(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return allocate_or_throw(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return allocate_or_throw(size, alignment);
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, alignment);
}

void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
// NOLINTEND(misc-new-delete-overloads)

//! A small memory allocator for calc, the only unsafe code of the crate.
//!
//! Why: musl's allocator (mallocng, with its mmap/mremap use) is 9.5 KB of
//! the 54 KB scratch image; this one is a few hundred bytes of code and as
//! fast for calc's pattern of many short-lived small blocks.
//!
//! How: a request is rounded up to a power of two, its size class, from 16 B
//! to 32 KiB. Each class keeps a list of freed blocks and a region of fresh
//! ones, carved from 64 KiB chunks the kernel maps. A freed block goes back
//! to its class's list, never to the kernel. A larger request gets a
//! mapping of its own, unmapped when it is freed.
//!
//! Safety argument, for [`GlobalAlloc`]'s contract:
//! - Every block lies inside memory mapped readable and writable by `mmap`.
//!   Chunks are never unmapped; a large mapping is unmapped only by the
//!   `dealloc` of the one block it holds.
//! - Blocks never overlap. A region's cursor only moves forward, carving
//!   disjoint blocks of its class's size; a block is on a free list only
//!   after the caller freed it, and it leaves the list when it is handed out.
//!   The contract makes the caller free a block once, with the layout it was
//!   allocated with, so `dealloc` computes the same class as `alloc` did.
//! - Alignment. A class's size is at least the request's alignment, and
//!   blocks start at multiples of the class size from a page-aligned chunk,
//!   so every block is aligned to its class size up to a page. Requests
//!   aligned to more than a page are refused (null, which Rust reports as
//!   out of memory); calc makes none.
//! - A free block holds the link to the next one in its first 8 bytes:
//!   every block is at least 16 bytes and aligned to 16.
//! - One lock (a spin lock: calc has one thread, so it is never contended)
//!   guards all the lists and regions, and nothing done under it allocates.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

/// The smallest class, 16 B: room for a free-list link, aligned for any scalar.
const MIN_CLASS_SHIFT: u32 = 4;
/// The largest class, 32 KiB; larger requests are mapped one by one.
const MAX_CLASS_SHIFT: u32 = 15;
const CLASSES: usize = (MAX_CLASS_SHIFT - MIN_CLASS_SHIFT + 1) as usize;
/// What a class maps at a time for fresh blocks.
const CHUNK_BYTES: usize = 64 * 1024;
/// The alignment `mmap` guarantees, and the most this allocator gives.
const PAGE_BYTES: usize = 4096;

// Linux's values, the same on x86_64 and aarch64 (the targets this module is built for).
/// PROT_READ (1) and PROT_WRITE (2).
const PROT_READ_WRITE: c_int = 3;
/// MAP_PRIVATE (0x02) and MAP_ANONYMOUS (0x20).
const MAP_PRIVATE_ANONYMOUS: c_int = 0x22;
const MAP_FAILED: *mut c_void = !0 as *mut c_void;

unsafe extern "C" {
    fn mmap(
        address: *mut c_void,
        length: usize,
        protection: c_int,
        flags: c_int,
        descriptor: c_int,
        offset: i64,
    ) -> *mut c_void;
    fn munmap(address: *mut c_void, length: usize) -> c_int;
}

/// A freed block, linking to the next of its class.
struct FreeBlock {
    next: *mut FreeBlock,
}

struct Classes {
    free: [*mut FreeBlock; CLASSES],
    /// The next fresh block of each class, and the end of its region.
    cursor: [usize; CLASSES],
    end: [usize; CLASSES],
}

pub struct Allocator {
    locked: AtomicBool,
    classes: UnsafeCell<Classes>,
}

// The lock makes every access to `classes` exclusive.
unsafe impl Sync for Allocator {}

impl Default for Allocator {
    fn default() -> Self {
        Self::new()
    }
}

impl Allocator {
    pub const fn new() -> Self {
        Allocator {
            locked: AtomicBool::new(false),
            classes: UnsafeCell::new(Classes {
                free: [ptr::null_mut(); CLASSES],
                cursor: [0; CLASSES],
                end: [0; CLASSES],
            }),
        }
    }

    /// Runs `work` with the classes locked.
    fn with_classes<T>(&self, work: impl FnOnce(&mut Classes) -> T) -> T {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference.
        let result = work(unsafe { &mut *self.classes.get() });
        self.locked.store(false, Ordering::Release);
        result
    }
}

/// How a layout is served: the index of its class, or a mapping of its own.
#[derive(Debug, PartialEq, Eq)]
enum Size {
    Class(usize),
    Large(usize),
}

fn size_of(layout: Layout) -> Option<Size> {
    if layout.align() > PAGE_BYTES {
        return None;
    }
    let bytes = layout.size().max(layout.align()).max(1 << MIN_CLASS_SHIFT);
    let rounded = bytes.checked_next_power_of_two()?;
    let shift = rounded.trailing_zeros();
    if shift <= MAX_CLASS_SHIFT {
        Some(Size::Class((shift - MIN_CLASS_SHIFT) as usize))
    } else {
        Some(Size::Large(bytes.checked_next_multiple_of(PAGE_BYTES)?))
    }
}

fn class_bytes(class: usize) -> usize {
    1 << (class as u32 + MIN_CLASS_SHIFT)
}

/// Fresh, zeroed, page-aligned memory from the kernel, or null.
fn map(bytes: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing
    // touches no memory of this process.
    let address = unsafe {
        mmap(
            ptr::null_mut(),
            bytes,
            PROT_READ_WRITE,
            MAP_PRIVATE_ANONYMOUS,
            -1,
            0,
        )
    };
    if address == MAP_FAILED {
        ptr::null_mut()
    } else {
        address.cast()
    }
}

impl Classes {
    fn take(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            // SAFETY: a block on the list was freed and holds its link.
            self.free[class] = unsafe { (*head).next };
            return head.cast();
        }
        let bytes = class_bytes(class);
        if self.cursor[class] + bytes > self.end[class] {
            let chunk = map(CHUNK_BYTES);
            if chunk.is_null() {
                return ptr::null_mut();
            }
            self.cursor[class] = chunk as usize;
            self.end[class] = chunk as usize + CHUNK_BYTES;
        }
        let block = self.cursor[class];
        self.cursor[class] += bytes;
        block as *mut u8
    }

    /// # Safety
    /// `block` was handed out by [`Classes::take`] for `class` and is not used again.
    unsafe fn give_back(&mut self, block: *mut u8, class: usize) {
        let block = block.cast::<FreeBlock>();
        // SAFETY: the block is at least 16 bytes, aligned to 16, and no longer the caller's.
        unsafe {
            block.write(FreeBlock {
                next: self.free[class],
            })
        };
        self.free[class] = block;
    }
}

unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match size_of(layout) {
            Some(Size::Class(class)) => self.with_classes(|classes| classes.take(class)),
            Some(Size::Large(bytes)) => map(bytes),
            None => ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match size_of(layout) {
            // SAFETY: the caller allocated `block` with this layout, so with this class.
            Some(Size::Class(class)) => {
                self.with_classes(|classes| unsafe { classes.give_back(block, class) })
            }
            Some(Size::Large(bytes)) => {
                // SAFETY: the block is the whole of a mapping of `bytes` made by `alloc`.
                unsafe { munmap(block.cast(), bytes) };
            }
            None => {}
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return ptr::null_mut();
        };
        // A block whose class (or mapping size) is unchanged stays where it is.
        if size_of(layout) == size_of(new_layout) {
            return block;
        }
        // SAFETY: as for `alloc`, then the old block is copied and freed by its owner's layout.
        unsafe {
            let moved = self.alloc(new_layout);
            if !moved.is_null() {
                ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("a valid layout")
    }

    #[test]
    fn requests_round_up_to_power_of_two_classes() {
        assert_eq!(size_of(layout(1, 1)), Some(Size::Class(0)));
        assert_eq!(size_of(layout(16, 8)), Some(Size::Class(0)));
        assert_eq!(size_of(layout(17, 8)), Some(Size::Class(1)));
        assert_eq!(size_of(layout(8, 64)), Some(Size::Class(2)));
        assert_eq!(
            size_of(layout(32 * 1024, 8)),
            Some(Size::Class(CLASSES - 1))
        );
        assert_eq!(
            size_of(layout(32 * 1024 + 1, 8)),
            Some(Size::Large(36 * 1024))
        );
        assert_eq!(size_of(layout(8, 8192)), None);
    }

    #[test]
    fn a_freed_block_is_handed_out_again() {
        let allocator = Allocator::new();
        let small = layout(24, 8);
        // SAFETY: the blocks are used within their layouts and freed once.
        unsafe {
            let first = allocator.alloc(small);
            allocator.dealloc(first, small);
            let second = allocator.alloc(small);
            assert_eq!(first, second);
            allocator.dealloc(second, small);
        }
    }

    #[test]
    fn a_chunk_is_carved_into_contiguous_blocks_to_its_last() {
        let allocator = Allocator::new();
        let page = layout(PAGE_BYTES, 8);
        // SAFETY: the blocks are only compared, then freed once each.
        unsafe {
            let blocks: Vec<*mut u8> = (0..CHUNK_BYTES / PAGE_BYTES)
                .map(|_| allocator.alloc(page))
                .collect();
            for (index, block) in blocks.iter().enumerate() {
                assert_eq!(*block as usize, blocks[0] as usize + index * PAGE_BYTES);
            }
            for block in blocks {
                allocator.dealloc(block, page);
            }
        }
    }

    #[test]
    fn a_mapping_the_kernel_refuses_is_reported_as_null() {
        let allocator = Allocator::new();
        // Larger than any address space: no kernel maps it.
        let huge = layout(isize::MAX as usize - 2 * PAGE_BYTES, 8);
        // SAFETY: a null block is never used.
        let block = unsafe { allocator.alloc(huge) };
        assert!(block.is_null());
    }

    #[test]
    fn a_request_aligned_beyond_a_page_is_refused() {
        let allocator = Allocator::new();
        // SAFETY: a null block is never used.
        let block = unsafe { allocator.alloc(layout(64, 2 * PAGE_BYTES)) };
        assert!(block.is_null());
    }
}

//! The allocator under random patterns of allocation, reallocation and
//! free: every block is aligned, no two live blocks overlap (each is filled
//! with a byte of its own and checked before it is freed), and a reallocated
//! block keeps its contents. The whole specification runs with it too:
//! `tests/cli.rs` runs the binary, whose global allocator it is.
#![cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]

use calc::allocator::Allocator;
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout};

#[derive(Debug, Clone)]
enum Step {
    Allocate { size: usize, align_shift: u32 },
    Reallocate { index: usize, size: usize },
    Free { index: usize },
}

fn step() -> impl Strategy<Value = Step> {
    // Sizes across every class and past the largest (32 KiB) into mappings.
    let size = prop_oneof![1usize..64, 64usize..4096, 4096usize..70_000];
    prop_oneof![
        4 => (size.clone(), 0u32..13).prop_map(|(size, align_shift)| Step::Allocate { size, align_shift }),
        2 => (any::<usize>(), size).prop_map(|(index, size)| Step::Reallocate { index, size }),
        3 => any::<usize>().prop_map(|index| Step::Free { index }),
    ]
}

struct Live {
    block: *mut u8,
    layout: Layout,
    fill: u8,
}

/// Every byte of the block still holds its fill: nothing else wrote there.
fn intact(live: &Live) -> bool {
    // SAFETY: the block is live and `layout.size()` bytes long.
    let bytes = unsafe { std::slice::from_raw_parts(live.block, live.layout.size()) };
    bytes.iter().all(|&byte| byte == live.fill)
}

fn fill(live: &Live) {
    // SAFETY: the block is live and `layout.size()` bytes long.
    unsafe { std::ptr::write_bytes(live.block, live.fill, live.layout.size()) };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn blocks_are_aligned_disjoint_and_keep_their_contents(steps in prop::collection::vec(step(), 1..200)) {
        let allocator = Allocator::new();
        let mut live: Vec<Live> = Vec::new();
        let mut next_fill = 1u8;
        for step in steps {
            match step {
                Step::Allocate { size, align_shift } => {
                    let layout = Layout::from_size_align(size, 1 << align_shift).unwrap();
                    // SAFETY: the layout has a non-zero size.
                    let block = unsafe { allocator.alloc(layout) };
                    prop_assert!(!block.is_null(), "out of memory for {layout:?}");
                    prop_assert_eq!(block as usize % layout.align(), 0, "misaligned for {:?}", layout);
                    let entry = Live { block, layout, fill: next_fill };
                    next_fill = next_fill.wrapping_add(1).max(1);
                    fill(&entry);
                    live.push(entry);
                }
                Step::Reallocate { index, size } if !live.is_empty() => {
                    let count = live.len();
                    let entry = &mut live[index % count];
                    prop_assert!(intact(entry), "a block was overwritten before its realloc");
                    // SAFETY: the block is live with this layout; the new size is non-zero.
                    let moved = unsafe { allocator.realloc(entry.block, entry.layout, size) };
                    prop_assert!(!moved.is_null());
                    let kept = entry.layout.size().min(size);
                    // SAFETY: the new block is at least `kept` bytes long.
                    let bytes = unsafe { std::slice::from_raw_parts(moved, kept) };
                    prop_assert!(bytes.iter().all(|&byte| byte == entry.fill), "realloc lost contents");
                    entry.block = moved;
                    entry.layout = Layout::from_size_align(size, entry.layout.align()).unwrap();
                    fill(entry);
                }
                Step::Free { index } if !live.is_empty() => {
                    let entry = live.swap_remove(index % live.len());
                    prop_assert!(intact(&entry), "a block was overwritten while live");
                    // SAFETY: the block is live with this layout and is not used again.
                    unsafe { allocator.dealloc(entry.block, entry.layout) };
                }
                Step::Reallocate { .. } | Step::Free { .. } => {}
            }
        }
        for entry in live {
            prop_assert!(intact(&entry), "a block was overwritten while live");
            // SAFETY: as above.
            unsafe { allocator.dealloc(entry.block, entry.layout) };
        }
    }
}

//! A freestanding binary that links `smsr` without `std`.
//!
//! `cargo check` (and `cargo check --features alloc`) in this directory fails
//! with "duplicate lang item `panic_impl`" as soon as any crate in the graph
//! pulls in `std`. The entry point touches the public API of every layer so
//! that nothing is compiled away.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

/// With `alloc`, a global allocator is needed to link; this one never
/// hands out memory (the check only has to compile and link).
#[cfg(feature = "alloc")]
mod never_alloc {
    use core::alloc::{GlobalAlloc, Layout};

    struct Never;

    // SAFETY: returning null is the documented way to report failure.
    unsafe impl GlobalAlloc for Never {
        unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
            core::ptr::null_mut()
        }
        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    }

    #[global_allocator]
    static GLOBAL: Never = Never;
}

#[panic_handler]
fn panic(_info: &PanicInfo<'_>) -> ! {
    loop {}
}

/// Entry point: exercises the layers with `core` only.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let input = [0x6F_u8, 0x03, 0x84, 0x01, 0x00];
    let mut sink = 0usize;
    for tlv in smsr::tlv::Reader::new(&input) {
        if let Ok(tlv) = tlv {
            sink = sink.wrapping_add(tlv.value().len());
        }
    }
    // A PE-End element: iterate, read its PEHeader, validate, segment.
    let pe_end = [0xAA_u8, 0x07, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x01];
    let pkg = smsr::profile::Package::new(&pe_end);
    for pe in pkg.elements().flatten() {
        if let Ok(Some(h)) = pe.pe_header() {
            sink = sink.wrapping_add(usize::from(h.identification));
        }
    }
    sink = sink.wrapping_add(smsr::profile::validate(
        &pkg,
        smsr::profile::ValidateOptions::default(),
        &mut |_| {},
    ));
    if let Ok(chunks) = smsr::profile::segment::chunks(
        &pe_end,
        smsr::profile::segment::SGP22_MAX_SEGMENT_LEN,
        smsr::profile::segment::Protection::Scp03t,
    ) {
        sink = sink.wrapping_add(chunks.count());
    }
    core::hint::black_box(sink);
    loop {}
}

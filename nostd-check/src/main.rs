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
    if let Ok(chunks) = smsr::scp03t::segment::chunks(
        &pe_end,
        smsr::scp03t::segment::SGP22_MAX_SEGMENT_LEN,
        smsr::scp03t::segment::Protection::Scp03t,
    ) {
        sink = sink.wrapping_add(chunks.count());
    }
    // APDU layer: build a GP command into a caller buffer, view it, and
    // read a response.
    let aid = [0xA0_u8, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10];
    if let Ok(cmd) = smsr::apdu::gp::Delete::object_and_related(&aid).command() {
        let mut buf = [0u8; 64];
        if let Ok(out) = smsr::tlv::Encode::encode_to_slice(&cmd, &mut buf)
            && let Ok(view) = smsr::apdu::CommandView::parse(out)
        {
            sink = sink.wrapping_add(view.data().len());
        }
    }
    if let Ok(r) = smsr::apdu::Response::parse(&[0x6A, 0x88]) {
        sink = sink.wrapping_add(usize::from(r.sw().is_error()));
    }
    // Remote layer: parse a TS 102 226 response script, build a command script.
    let por = [0xAF_u8, 0x80, 0x23, 0x02, 0x6A, 0x88, 0x00, 0x00];
    if let Ok((script, _)) = smsr::remote::ResponseScript::parse(&por) {
        for r in script.r_apdus().flatten() {
            sink = sink.wrapping_add(usize::from(r.sw().0));
        }
    }
    let apdu = [0x80_u8, 0xCA, 0x00, 0x85, 0x00];
    let script = smsr::remote::expanded::command_script(
        (smsr::remote::expanded::c_apdu(&apdu[..]),),
        smsr::remote::Coding::Indefinite,
    );
    let mut buf = [0u8; 16];
    if let Ok(out) = smsr::tlv::Encode::encode_to_slice(&script, &mut buf) {
        sink = sink.wrapping_add(out.len());
    }
    // SCP80: wrap a command packet with AES-128 CC + ciphering, no heap.
    if let Ok(key) = smsr::crypto::Key::aes(&[0x11; 16]) {
        let keys = smsr::scp80::KeySet::new().with_kic(&key).with_kid(&key);
        let header = smsr::scp80::CommandHeader {
            spi: smsr::scp80::Spi([0x16, 0x39]),
            kic: smsr::scp80::Kic(0x12),
            kid: smsr::scp80::Kid(0x12),
            tar: smsr::scp80::Tar([0, 0, 1]),
            cntr: smsr::scp80::Cntr([0, 0, 0, 0, 1]),
        };
        let mut out = [0u8; 64];
        let framing = smsr::scp80::Framing::SmsPp;
        if let Ok(n) = smsr::scp80::command::wrap(framing, &header, &input, &keys, &mut out) {
            sink = sink.wrapping_add(n);
        }
    }
    // ES5 layer: an EnableProfile C-APDU and a notification, without alloc.
    let isdp = smsr::isdr::Aid::sgp02([0x00, 0x00, 0x10]);
    if let Ok(c) = smsr::isdr::es5::enable_profile(&isdp) {
        sink = sink.wrapping_add(c.as_bytes().len());
    }
    if let Ok(n) = smsr::isdr::Notification::parse(&por) {
        sink = sink.wrapping_add(usize::from(n.sequence_number));
    }
    // SCP81: the trigger codec and the HTTP admin parser, no allocation.
    if let Ok(t) = smsr::scp81::trigger::TriggerParams::parse(&[0x81, 0x00]) {
        sink = sink.wrapping_add(t.buffer_len());
    }
    let limits = smsr::scp81::http::Limits::DEFAULT;
    if let Ok(smsr::scp81::http::Status::Complete(_, n)) =
        smsr::scp81::http::parse_request(b"POST / HTTP/1.1\r\n\r\n", &limits)
    {
        sink = sink.wrapping_add(n);
    }
    core::hint::black_box(sink);
    loop {}
}

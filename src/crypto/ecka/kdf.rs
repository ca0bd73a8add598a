//! The ANSI X9.63 key derivation function with SHA-256 (BSI TR-03111
//! §4.3.3.1; NIST SP 800-135 rev. 1 §4.1).

use sha2::{Digest, Sha256};

use super::Error;

/// Fills `out` with `SHA-256(Z ‖ counter ‖ SharedInfo)` blocks, the
/// 32-bit big-endian counter starting at 1 (BSI TR-03111 §4.3.3.1).
///
/// # Errors
/// [`Error::KeyDataLength`] when `out` would need the counter to pass
/// `2^32 - 1` (X9.63 limit).
pub fn x963_kdf_sha256(z: &[u8], shared_info: &[u8], out: &mut [u8]) -> Result<(), Error> {
    let blocks = out.len().div_ceil(32);
    if u32::try_from(blocks).is_err() {
        return Err(Error::KeyDataLength { len: out.len() });
    }
    for (counter, chunk) in (1u32..).zip(out.chunks_mut(32)) {
        let mut h = Sha256::new();
        h.update(z);
        h.update(counter.to_be_bytes());
        h.update(shared_info);
        let block = h.finalize();
        for (o, b) in chunk.iter_mut().zip(block.iter()) {
            *o = *b;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }
    extern crate alloc;
    use alloc::vec::Vec;

    /// NIST CAVP SP 800-135 rev. 1 KDF vectors, file `ansx963_2001.rsp`
    /// (component test vectors, 800-135 "ANS X9.63-2001 KDF"),
    /// `[SHA-256] [shared secret length = 192] [SharedInfo length = 0]
    /// [key data length = 128]`, COUNT = 0.
    #[test]
    fn cavp_sha256_no_shared_info() {
        let z = h("96c05619d56c328ab95fe84b18264b08725b85e33fd34f08");
        let mut out = [0u8; 16];
        x963_kdf_sha256(&z, &[], &mut out).unwrap();
        assert_eq!(out[..], h("443024c3dae66b95e6f5670601558f71")[..]);
    }

    /// Same file, `[SHA-256] [shared secret length = 192] [SharedInfo
    /// length = 128] [key data length = 1024]`, COUNT = 0 (more than one
    /// SHA-256 block: the counter runs to 4).
    #[test]
    fn cavp_sha256_with_shared_info() {
        let z = h("22518b10e70f2a3f243810ae3254139efbee04aa57c7af7d");
        let info = h("75eef81aa3041e33b80971203d2c0c52");
        let mut out = [0u8; 128];
        x963_kdf_sha256(&z, &info, &mut out).unwrap();
        assert_eq!(
            out[..],
            h(
                "c498af77161cc59f2962b9a713e2b215152d139766ce34a776df11866a69bf2e\
               52a13d9c7c6fc878c50c5ea0bc7b00e0da2447cfd874f6cf92f30d0097111485\
               500c90c3af8b487872d04685d14c8d1dc8d7fa08beb0ce0ababc11f0bd496269\
               142d43525a78e5bc79a17f59676a5706dc54d54d4d1f0bd7e386128ec26afc21"
            )[..]
        );
    }

    #[test]
    fn empty_output_is_fine() {
        x963_kdf_sha256(&[1, 2, 3], &[], &mut []).unwrap();
    }
}

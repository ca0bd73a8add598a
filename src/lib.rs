#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod apdu;
pub mod crypto;
#[cfg(feature = "alloc")]
pub mod delivery;
pub mod es8;
#[cfg(feature = "alloc")]
pub mod inventory;
pub mod isdr;
pub mod profile;
pub mod remote;
pub mod scp03t;
pub mod scp80;
pub mod scp81;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "soap")]
pub mod soap;
pub mod tlv;

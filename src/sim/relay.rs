//! The ES8 relay on the card side (SGP.02 §4.1.3.3, §5.5.2): the secured
//! data of an SCP80 command packet or the body of an SCP81 response
//! addressed to a security domain, run against the card. For an ISD-P
//! (SCP80 TAR of the ISD-P, or SCP81 `X-Admin-Targeted-Application:
//! //aid/<ISD-P AID>`) it may carry SCP03t command TLVs, which the ISD-P's
//! SCP03t channel ([`Card::handle_scp03t`]) answers in place (see
//! `sim/script.rs`).
//!
//! The SCP03t session's lifetime follows the transport: over SCP81 it
//! lasts the administration session (moreToDo keeps that open); over
//! SCP80 it lasts a chain of scripts (Script Chaining TLV `83`, SGP.02
//! Annex K as njiwa reads it), and a script that does not continue a chain
//! closes it first, so a segment outside the chain is refused.

use alloc::vec::Vec;
use core::cell::RefCell;

use super::card::{Card, Target};
use super::script;
use crate::isdr::Aid;

impl Card {
    /// Runs `data` for `target`: SCP03t command TLVs (ISD-P only), an
    /// expanded script (with SCP03t items for an ISD-P), or `None` when it
    /// is neither (the caller runs it as compact or refuses it).
    pub(crate) fn run_secured(&mut self, target: Target, data: &[u8]) -> Option<Vec<u8>> {
        let isdp = match target {
            Target::Isdp(aid) => Some(aid),
            Target::IsdR | Target::Ecasd => None,
        };
        if let (Some(aid), true) = (isdp, script::is_scp03t(data)) {
            return Some(script::run_scp03t(data, &mut |c| {
                self.handle_scp03t(&aid, c)
            }));
        }
        if !script::is_expanded(data) {
            return None;
        }
        let card = RefCell::new(self);
        let mut exec = |apdu: &[u8]| card.borrow_mut().execute(target, apdu);
        let mut tlv = |c: &[u8]| match isdp {
            Some(aid) => card.borrow_mut().handle_scp03t(&aid, c),
            None => Vec::new(),
        };
        let scp03t: Option<script::Scp03tExec<'_>> = isdp.map(|_| &mut tlv as _);
        script::run_expanded(data, &mut exec, scp03t)
    }

    /// Closes the SCP03t session of the ISD-P `aid`, if one is open.
    pub(crate) fn close_scp03t(&mut self, aid: &Aid) {
        self.isdp_loads.close(aid);
    }
}

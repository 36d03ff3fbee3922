//! `ofp_to_string` (what `ctswitch ofp-print` prints) on arbitrary bytes:
//! it must not panic, whatever the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openflow_codec::message::print::ofp_to_string;

fuzz_target!(|data: &[u8]| {
    let _ = ofp_to_string(data);
});

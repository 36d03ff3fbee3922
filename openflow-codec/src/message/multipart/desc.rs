//! The DESC reply: the switch's manufacturer, hardware, software, serial
//! number and datapath description.

use std::fmt::Write;

use bytes::BytesMut;

use crate::message::wire::{self, Parsed};

const DESC_STR_LEN: usize = 256;
const SERIAL_NUM_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desc {
    pub mfr_desc: String,
    pub hw_desc: String,
    pub sw_desc: String,
    pub serial_num: String,
    pub dp_desc: String,
}

impl Desc {
    pub fn parse(input: &[u8]) -> Parsed<'_, Desc> {
        let (input, mfr_desc) = wire::fixed_str(DESC_STR_LEN)(input)?;
        let (input, hw_desc) = wire::fixed_str(DESC_STR_LEN)(input)?;
        let (input, sw_desc) = wire::fixed_str(DESC_STR_LEN)(input)?;
        let (input, serial_num) = wire::fixed_str(SERIAL_NUM_LEN)(input)?;
        let (input, dp_desc) = wire::fixed_str(DESC_STR_LEN)(input)?;
        Ok((
            input,
            Desc {
                mfr_desc,
                hw_desc,
                sw_desc,
                serial_num,
                dp_desc,
            },
        ))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        wire::put_fixed_str(out, &self.mfr_desc, DESC_STR_LEN);
        wire::put_fixed_str(out, &self.hw_desc, DESC_STR_LEN);
        wire::put_fixed_str(out, &self.sw_desc, DESC_STR_LEN);
        wire::put_fixed_str(out, &self.serial_num, SERIAL_NUM_LEN);
        wire::put_fixed_str(out, &self.dp_desc, DESC_STR_LEN);
    }

    pub fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            "\nManufacturer: {}\nHardware: {}\nSoftware: {}\nSerial Num: {}\nDP Description: {}\n",
            self.mfr_desc, self.hw_desc, self.sw_desc, self.serial_num, self.dp_desc
        );
    }
}

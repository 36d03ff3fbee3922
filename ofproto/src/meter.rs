//! A bridge's meter table: METER_MOD add/modify/delete with the errors
//! OVS 3.1's userspace datapath sends (but DSCP remark bands run here,
//! where OVS refuses them), the METER, METER_CONFIG and METER_FEATURES
//! replies, and the rate check the `meter` instruction runs.
//!
//! The rate check is a token bucket per band, asked by the datapath's
//! `meter(N)` action for every packet, cached or not: `pktps` bands
//! count packets, `kbps` bands bits; a bucket holds one second of the
//! rate, or the burst size when the meter has the `burst` flag. A band
//! answers with what the datapath does to the packet (`Metered`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use datapath::Metered;
use openflow_codec::error::{MeterModFailedCode, OfpError};
use openflow_codec::message::meter::{
    BandKind, MeterBand, MeterCommand, MeterConfig, MeterFeatures, MeterMod, MeterStats,
    OFPMF_BURST, OFPMF_KBPS, OFPMF_PKTPS, OFPM_ALL, OFPM_CONTROLLER, OFPM_MAX, OFPM_SLOWPATH,
};

/// The most meters (of any ids), and bands per meter, as OVS's
/// userspace datapath.
pub const MAX_METERS: u32 = 262_144;
const MAX_BANDS: u8 = 8;
/// `1 << OFPMBT_DROP | 1 << OFPMBT_DSCP_REMARK`: OVS 3.1's userspace
/// datapath has drop bands only; ctswitch remarks too.
const BAND_TYPES: u32 = 1 << 1 | 1 << 2;
/// kbps, pktps, burst, stats.
const CAPABILITIES: u32 = 0xf;

/// One band's token bucket (thousandths of a packet, or bits) and
/// counters.
#[derive(Debug, Default)]
struct BandState {
    tokens: u64,
    last_ms: u64,
    packets: u64,
    bytes: u64,
}

/// One meter.
#[derive(Debug)]
pub struct Meter {
    config: MeterConfig,
    created_ms: u64,
    packets: AtomicU64,
    bytes: AtomicU64,
    bands: Mutex<Vec<BandState>>,
}

impl Meter {
    fn new(config: &MeterConfig, now_ms: u64) -> Meter {
        Meter {
            config: config.clone(),
            created_ms: now_ms,
            packets: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            bands: Mutex::new(
                config
                    .bands
                    .iter()
                    .map(|band| BandState {
                        tokens: bucket_size(band.rate, band.burst_size, config.flags),
                        last_ms: now_ms,
                        ..BandState::default()
                    })
                    .collect(),
            ),
        }
    }

    /// Runs one packet of `bytes` bytes through the meter at `now_ms`.
    /// Of the bands it is over the rate of, the one with the highest
    /// rate applies (OpenFlow 1.3) and counts the packet: a drop band
    /// drops it, a DSCP remark band remarks it.
    pub fn apply(&self, bytes: u64, now_ms: u64) -> Metered {
        self.packets.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        // A packet costs a thousand thousandths of a packet, or its bits;
        // a band earns its rate of either every millisecond.
        let cost = if self.config.flags & OFPMF_PKTPS != 0 {
            1000
        } else {
            bytes.saturating_mul(8)
        };
        let mut states = self.bands.lock().unwrap_or_else(|e| e.into_inner());
        let mut exceeded: Option<(&MeterBand, &mut BandState)> = None;
        for (band, state) in self.config.bands.iter().zip(states.iter_mut()) {
            let size = bucket_size(band.rate, band.burst_size, self.config.flags);
            let elapsed = now_ms.saturating_sub(state.last_ms);
            state.last_ms = state.last_ms.max(now_ms);
            state.tokens = state
                .tokens
                .saturating_add(elapsed.saturating_mul(u64::from(band.rate)))
                .min(size);
            if state.tokens >= cost {
                state.tokens -= cost;
            } else if exceeded.as_ref().is_none_or(|(b, _)| band.rate > b.rate) {
                exceeded = Some((band, state));
            }
        }
        let Some((band, state)) = exceeded else {
            return Metered::Pass;
        };
        state.packets += 1;
        state.bytes += bytes;
        match band.kind {
            BandKind::DscpRemark { prec_level } => Metered::RemarkDscp { prec_level },
            // `check_bands` lets no other band in.
            BandKind::Drop | BandKind::Experimenter { .. } => Metered::Drop,
        }
    }

    fn stats(&self, meter_id: u32, flow_count: u32, now_ms: u64) -> MeterStats {
        let age_ms = now_ms.saturating_sub(self.created_ms);
        let states = self.bands.lock().unwrap_or_else(|e| e.into_inner());
        MeterStats {
            meter_id,
            flow_count,
            packet_in_count: self.packets.load(Ordering::Relaxed),
            byte_in_count: self.bytes.load(Ordering::Relaxed),
            duration_sec: u32::try_from(age_ms / 1000).unwrap_or(u32::MAX),
            duration_nsec: (age_ms % 1000) as u32 * 1_000_000,
            bands: states.iter().map(|s| (s.packets, s.bytes)).collect(),
        }
    }
}

/// A band's bucket (thousandths of a packet, or bits): one second of
/// the rate, or the burst size when the meter asks for bursts.
fn bucket_size(rate: u32, burst_size: u32, flags: u16) -> u64 {
    let packets = if flags & OFPMF_BURST != 0 && burst_size != 0 {
        burst_size
    } else {
        rate
    };
    u64::from(packets).saturating_mul(1000)
}

/// The meter table.
#[derive(Debug, Default)]
pub struct Meters {
    meters: BTreeMap<u32, Meter>,
}

impl Meters {
    pub fn get(&self, meter_id: u32) -> Option<&Meter> {
        self.meters.get(&meter_id)
    }

    pub fn contains(&self, meter_id: u32) -> bool {
        self.meters.contains_key(&meter_id)
    }

    /// Applies a METER_MOD; returns the ids of the meters it deleted
    /// (whose rules the caller deletes).
    pub fn apply(&mut self, mm: &MeterMod, now_ms: u64) -> Result<Vec<u32>, OfpError> {
        let id = mm.config.meter_id;
        match mm.command {
            MeterCommand::Add | MeterCommand::Modify => {
                check_id(&mm.config)?;
                let exists = self.meters.contains_key(&id);
                let full = self.meters.len() >= MAX_METERS as usize;
                match (mm.command, exists) {
                    (MeterCommand::Add, true) => Err(MeterModFailedCode::MeterExists.into()),
                    (MeterCommand::Modify, false) => Err(MeterModFailedCode::UnknownMeter.into()),
                    (MeterCommand::Add, false) if full => {
                        Err(MeterModFailedCode::OutOfMeters.into())
                    }
                    _ => {
                        check_bands(&mm.config)?;
                        self.meters.insert(id, Meter::new(&mm.config, now_ms));
                        Ok(Vec::new())
                    }
                }
            }
            MeterCommand::Delete if id == OFPM_ALL => {
                let ids = self.meters.keys().copied().collect();
                self.meters.clear();
                Ok(ids)
            }
            MeterCommand::Delete => Ok(self.meters.remove(&id).map(|_| id).into_iter().collect()),
        }
    }

    /// The METER_CONFIG reply's entries; an unknown meter is an error.
    pub fn configs(&self, meter_id: u32) -> Result<Vec<MeterConfig>, OfpError> {
        self.selected(meter_id)
            .map(|list| list.map(|(_, m)| m.config.clone()).collect())
    }

    /// The METER reply's entries; `flow_count` says how many rules use a
    /// meter.
    pub fn stats(
        &self,
        meter_id: u32,
        now_ms: u64,
        flow_count: impl Fn(u32) -> u32,
    ) -> Result<Vec<MeterStats>, OfpError> {
        self.selected(meter_id).map(|list| {
            list.map(|(id, m)| m.stats(*id, flow_count(*id), now_ms))
                .collect()
        })
    }

    fn selected(&self, meter_id: u32) -> Result<impl Iterator<Item = (&u32, &Meter)>, OfpError> {
        if meter_id != OFPM_ALL && !self.meters.contains_key(&meter_id) {
            return Err(MeterModFailedCode::UnknownMeter.into());
        }
        Ok(self
            .meters
            .iter()
            .filter(move |(id, _)| meter_id == OFPM_ALL || **id == meter_id))
    }
}

/// What OVS 3.1 checks before it looks the meter up: an id it takes
/// (1 to OFPM_MAX, whatever MAX_METERS says, or the slowpath and
/// controller meters) and at most `MAX_BANDS` bands.
fn check_id(config: &MeterConfig) -> Result<(), OfpError> {
    let virtual_meter = matches!(config.meter_id, OFPM_SLOWPATH | OFPM_CONTROLLER);
    if config.meter_id == 0 || (config.meter_id > OFPM_MAX && !virtual_meter) {
        return Err(MeterModFailedCode::InvalidMeter.into());
    }
    if config.bands.len() > usize::from(MAX_BANDS) {
        return Err(MeterModFailedCode::OutOfBands.into());
    }
    Ok(())
}

/// What the datapath then checks, in OVS 3.1's order: a rate unit, at
/// least one band, every rate non-zero, then the band types (drop and
/// DSCP remark here; OVS 3.1 refuses remark bands with
/// OFPMMFC_BAD_BAND, ctswitch runs them).
fn check_bands(config: &MeterConfig) -> Result<(), OfpError> {
    if config.flags & (OFPMF_KBPS | OFPMF_PKTPS) == 0 {
        return Err(MeterModFailedCode::BadFlags.into());
    }
    if config.bands.is_empty() {
        return Err(MeterModFailedCode::OutOfBands.into());
    }
    if config.bands.iter().any(|band| band.rate == 0) {
        return Err(MeterModFailedCode::BadRate.into());
    }
    if config
        .bands
        .iter()
        .any(|band| matches!(band.kind, BandKind::Experimenter { .. }))
    {
        return Err(MeterModFailedCode::BadBand.into());
    }
    Ok(())
}

/// What METER_FEATURES says (OVS 3.1's userspace datapath).
pub fn features() -> MeterFeatures {
    MeterFeatures {
        max_meter: MAX_METERS,
        band_types: BAND_TYPES,
        capabilities: CAPABILITIES,
        max_bands: MAX_BANDS,
        max_color: 0,
    }
}

#[cfg(test)]
mod tests {
    use openflow_codec::text::meter_mod::parse_meter_mod;

    use super::*;

    fn mm(text: &str, command: MeterCommand) -> MeterMod {
        parse_meter_mod(text, command).expect(text)
    }

    // Errors as OVS 3.1 answered ovs-ofctl's add-meter/mod-meter.
    #[test]
    fn meter_mods_fail_as_ovs_does() {
        let mut meters = Meters::default();
        let add = mm("meter=1,kbps,bands=type=drop,rate=1000", MeterCommand::Add);
        assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        assert_eq!(
            meters.apply(&add, 0),
            Err(MeterModFailedCode::MeterExists.into())
        );
        let modify = mm("meter=9,kbps,bands=type=drop,rate=1", MeterCommand::Modify);
        assert_eq!(
            meters.apply(&modify, 0),
            Err(MeterModFailedCode::UnknownMeter.into())
        );
        assert_eq!(
            meters.configs(7),
            Err(MeterModFailedCode::UnknownMeter.into())
        );
        // Any id up to OFPM_MAX, and two virtual meters; not 0 or all.
        for id in ["262145", "4294901760", "slowpath", "controller"] {
            let add = mm(
                &format!("meter={id},pktps,bands=type=drop,rate=1"),
                MeterCommand::Add,
            );
            assert_eq!(meters.apply(&add, 0), Ok(Vec::new()), "{id}");
        }
        let mut bad = add.clone();
        for id in [0, OFPM_MAX + 1, OFPM_ALL] {
            bad.config.meter_id = id;
            assert_eq!(
                meters.apply(&bad, 0),
                Err(MeterModFailedCode::InvalidMeter.into()),
                "{id}"
            );
        }
    }

    #[test]
    fn a_pktps_drop_band_passes_its_rate_and_drops_the_rest() {
        let mut meters = Meters::default();
        let add = mm(
            "meter=2,pktps,stats,bands=type=drop,rate=10",
            MeterCommand::Add,
        );
        assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        let Some(meter) = meters.get(2) else {
            panic!("meter 2 is there");
        };
        let passed = (0..30)
            .filter(|_| meter.apply(100, 0) == Metered::Pass)
            .count();
        assert_eq!(passed, 10);
        // A second later, ten more.
        let passed = (0..30)
            .filter(|_| meter.apply(100, 1000) == Metered::Pass)
            .count();
        assert_eq!(passed, 10);
        let stats = meters.stats(2, 1500, |_| 1).unwrap_or_default();
        assert_eq!(
            stats
                .first()
                .map(|s| (s.flow_count, s.packet_in_count, s.byte_in_count)),
            Some((1, 60, 6000))
        );
        assert_eq!(
            stats.first().map(|s| s.bands.clone()),
            Some(vec![(40, 4000)])
        );
    }

    #[test]
    fn a_kbps_drop_band_passes_its_bits_per_second() {
        let mut meters = Meters::default();
        let add = mm("meter=3,kbps,bands=type=drop,rate=8", MeterCommand::Add);
        assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        let Some(meter) = meters.get(3) else {
            panic!("meter 3 is there");
        };
        // 8 kbit/s is 1000 bytes a second: ten 100-byte packets.
        let passed = (0..30)
            .filter(|_| meter.apply(100, 0) == Metered::Pass)
            .count();
        assert_eq!(passed, 10);
        let passed = (0..30)
            .filter(|_| meter.apply(100, 500) == Metered::Pass)
            .count();
        assert_eq!(passed, 5);
    }

    #[test]
    fn deleting_all_reports_every_meter() {
        let mut meters = Meters::default();
        for id in [1, 5] {
            let add = mm(
                &format!("meter={id},kbps,bands=type=drop,rate=1"),
                MeterCommand::Add,
            );
            assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        }
        assert_eq!(
            meters.apply(&mm("", MeterCommand::Delete), 0),
            Ok(vec![1, 5])
        );
        assert_eq!(meters.configs(OFPM_ALL), Ok(Vec::new()));
    }

    // OVS 3.1 refuses dscp_remark bands (OFPMMFC_BAD_BAND); ctswitch runs
    // them, and still refuses experimenter bands.
    #[test]
    fn dscp_remark_bands_are_taken_experimenter_bands_not() {
        let mut meters = Meters::default();
        let remark = mm(
            "meter=3,pktps,bands=type=dscp_remark,rate=10,prec_level=1",
            MeterCommand::Add,
        );
        assert_eq!(meters.apply(&remark, 0), Ok(Vec::new()));
        assert_eq!(meters.configs(3), Ok(vec![remark.config.clone()]));
        let mut experimenter = remark.clone();
        experimenter.config.meter_id = 4;
        experimenter.config.bands[0].kind = BandKind::Experimenter { experimenter: 1 };
        assert_eq!(
            meters.apply(&experimenter, 0),
            Err(MeterModFailedCode::BadBand.into())
        );
        assert_eq!(features().band_types, 0b110);
    }

    #[test]
    fn a_remark_band_remarks_what_is_over_its_rate_and_passes_it() {
        let mut meters = Meters::default();
        let add = mm(
            "meter=1,pktps,bands=type=dscp_remark,rate=10,prec_level=2",
            MeterCommand::Add,
        );
        assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        let Some(meter) = meters.get(1) else {
            panic!("meter 1 is there");
        };
        let verdicts: Vec<Metered> = (0..30).map(|_| meter.apply(100, 0)).collect();
        assert_eq!(verdicts.iter().filter(|v| **v == Metered::Pass).count(), 10);
        assert_eq!(
            verdicts
                .iter()
                .filter(|v| **v == Metered::RemarkDscp { prec_level: 2 })
                .count(),
            20
        );
        let stats = meters.stats(1, 0, |_| 0).unwrap_or_default();
        assert_eq!(
            stats.first().map(|s| s.bands.clone()),
            Some(vec![(20, 2000)])
        );
    }

    // Over both rates the drop band (the higher rate) applies; between
    // them the remark band; a packet counts in one band only.
    #[test]
    fn the_exceeded_band_with_the_highest_rate_applies() {
        let mut meters = Meters::default();
        let add = mm(
            "meter=1,pktps,bands=type=dscp_remark,rate=10,prec_level=1,type=drop,rate=20",
            MeterCommand::Add,
        );
        assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        let Some(meter) = meters.get(1) else {
            panic!("meter 1 is there");
        };
        let verdicts: Vec<Metered> = (0..50).map(|_| meter.apply(100, 0)).collect();
        let remark = Metered::RemarkDscp { prec_level: 1 };
        assert!(verdicts[..10].iter().all(|v| *v == Metered::Pass));
        assert!(verdicts[10..20].iter().all(|v| *v == remark));
        assert!(verdicts[20..].iter().all(|v| *v == Metered::Drop));
        let stats = meters.stats(1, 0, |_| 0).unwrap_or_default();
        assert_eq!(
            stats.first().map(|s| s.bands.clone()),
            Some(vec![(10, 1000), (30, 3000)])
        );
    }

    #[test]
    fn a_full_table_is_out_of_meters_but_still_modifies() {
        let mut meters = Meters::default();
        let mut add = mm("meter=1,pktps,bands=type=drop,rate=1", MeterCommand::Add);
        for id in 1..=MAX_METERS {
            add.config.meter_id = id;
            assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        }
        add.config.meter_id = MAX_METERS + 1;
        assert_eq!(
            meters.apply(&add, 0),
            Err(MeterModFailedCode::OutOfMeters.into())
        );
        add.command = MeterCommand::Modify;
        add.config.meter_id = 7;
        assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
    }

    // As OVS 3.1 answered these METER_MODs (sent raw, ovs-ofctl cannot):
    // the meter is looked up before its flags and bands are checked; no
    // rate unit before no band before a zero rate.
    #[test]
    fn meter_mods_are_checked_in_ovs_order() {
        let mut meters = Meters::default();
        let add = mm("meter=1,kbps,bands=type=drop,rate=10", MeterCommand::Add);
        assert_eq!(meters.apply(&add, 0), Ok(Vec::new()));
        let mut again = add.clone();
        again.config.bands[0].rate = 0;
        assert_eq!(
            meters.apply(&again, 0),
            Err(MeterModFailedCode::MeterExists.into())
        );
        again.command = MeterCommand::Modify;
        again.config.meter_id = 2;
        assert_eq!(
            meters.apply(&again, 0),
            Err(MeterModFailedCode::UnknownMeter.into())
        );
        let mut fresh = add.clone();
        fresh.config.meter_id = 3;
        let cases: [(u16, usize, u32, MeterModFailedCode); 4] = [
            (0, 1, 10, MeterModFailedCode::BadFlags),
            (0, 0, 10, MeterModFailedCode::BadFlags),
            (OFPMF_KBPS, 0, 10, MeterModFailedCode::OutOfBands),
            (OFPMF_PKTPS, 1, 0, MeterModFailedCode::BadRate),
        ];
        for (flags, n_bands, rate, code) in cases {
            fresh.config.flags = flags;
            fresh.config.bands = add.config.bands.repeat(n_bands);
            if let Some(band) = fresh.config.bands.first_mut() {
                band.rate = rate;
            }
            assert_eq!(
                meters.apply(&fresh, 0),
                Err(code.into()),
                "{flags} {n_bands}"
            );
        }
    }
}

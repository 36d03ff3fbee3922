//! Timeout policies as the table applies them (seed 001): policies by id,
//! zones bound to a policy id, and immutable versions so that a changed
//! policy applies only to connections committed afterwards.

use std::collections::HashMap;

use crate::timeout::{TimeoutError, TimeoutPolicy};

/// The most policy versions kept: a connection names its version in 16 bits.
const MAX_VERSIONS: usize = u16::MAX as usize;

#[derive(Debug, Clone)]
pub(crate) struct PolicyTable {
    /// Every policy version ever set; version 0 is OVS's defaults.
    versions: Vec<TimeoutPolicy>,
    /// The current version of each policy id.
    current: HashMap<u32, u16>,
    /// The policy id each zone is bound to.
    zones: HashMap<u16, u32>,
}

impl Default for PolicyTable {
    fn default() -> Self {
        PolicyTable {
            versions: vec![TimeoutPolicy::default()],
            current: HashMap::new(),
            zones: HashMap::new(),
        }
    }
}

impl PolicyTable {
    /// The version a connection committed now in `zone` runs under: the
    /// explicitly requested policy, else the zone's, else zone 0's, else
    /// the defaults.
    pub fn resolve(&self, explicit: Option<u32>, zone: u16) -> u16 {
        if explicit.is_none() && self.zones.is_empty() {
            return 0;
        }
        explicit
            .or_else(|| self.zones.get(&zone).copied())
            .or_else(|| self.zones.get(&0).copied())
            .and_then(|id| self.current.get(&id).copied())
            .unwrap_or(0)
    }

    pub fn get(&self, version: u16) -> &TimeoutPolicy {
        self.versions
            .get(usize::from(version))
            .or_else(|| self.versions.first())
            .unwrap_or(&DEFAULT)
    }

    /// The current policy of `id`.
    pub fn policy(&self, id: u32) -> Option<&TimeoutPolicy> {
        self.current.get(&id).map(|&v| self.get(v))
    }

    pub fn set_policy(&mut self, id: u32, policy: TimeoutPolicy) -> Result<(), TimeoutError> {
        let version = u16::try_from(self.versions.len())
            .map_err(|_| TimeoutError::TooManyVersions(MAX_VERSIONS))?;
        self.versions.push(policy);
        self.current.insert(id, version);
        Ok(())
    }

    /// Removes policy `id`; connections committed under it keep it.
    pub fn remove_policy(&mut self, id: u32) -> bool {
        self.current.remove(&id).is_some()
    }

    pub fn bind_zone(&mut self, zone: u16, id: Option<u32>) {
        match id {
            Some(id) => self.zones.insert(zone, id),
            None => self.zones.remove(&zone),
        };
    }
}

static DEFAULT: TimeoutPolicy = TimeoutPolicy::DEFAULT;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeout::{PolicyAttr, TimeoutKind};

    fn udp_first(secs: u32) -> TimeoutPolicy {
        TimeoutPolicy::with(&[(PolicyAttr::UdpFirst, secs)]).unwrap()
    }

    #[test]
    fn zone_policy_else_zone_zero_else_defaults() {
        let mut t = PolicyTable::default();
        assert_eq!(
            t.get(t.resolve(None, 5)).millis(TimeoutKind::OtherFirst),
            60_000
        );
        t.set_policy(1, udp_first(10)).unwrap();
        t.set_policy(2, udp_first(20)).unwrap();
        t.bind_zone(0, Some(2));
        t.bind_zone(5, Some(1));
        assert_eq!(
            t.get(t.resolve(None, 5)).millis(TimeoutKind::OtherFirst),
            10_000
        );
        assert_eq!(
            t.get(t.resolve(None, 6)).millis(TimeoutKind::OtherFirst),
            20_000
        );
        assert_eq!(
            t.get(t.resolve(Some(1), 6)).millis(TimeoutKind::OtherFirst),
            10_000
        );
    }

    #[test]
    fn changed_policy_leaves_old_versions_alone() {
        let mut t = PolicyTable::default();
        t.set_policy(1, udp_first(10)).unwrap();
        t.bind_zone(5, Some(1));
        let old = t.resolve(None, 5);
        t.set_policy(1, udp_first(99)).unwrap();
        assert_eq!(t.get(old).millis(TimeoutKind::OtherFirst), 10_000);
        assert_eq!(
            t.get(t.resolve(None, 5)).millis(TimeoutKind::OtherFirst),
            99_000
        );
        assert!(t.remove_policy(1));
        assert_eq!(t.resolve(None, 5), 0);
    }
}

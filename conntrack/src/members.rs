//! A zone's connections in one shard: each one's slab handle and the
//! 32 bits of its key's hash that the index files it under, so that
//! deleting a connection, or a whole zone, finds its index slot without
//! reading its key and hashing it again.

/// One connection of a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    pub handle: u32,
    /// What the index files it under.
    pub h32: u32,
}

/// The members of one zone, in no particular order; a connection knows
/// its position (`Conn::zone_pos`), which [`Members::swap_remove`] keeps
/// true for the member it moves. Handle and hash side by side: one
/// vector to grow as a zone fills.
#[derive(Debug, Default)]
pub(crate) struct Members(Vec<Member>);

impl Members {
    /// Adds `handle`, filed in the index under `h32`; returns its position.
    pub fn push(&mut self, handle: u32, h32: u32) -> u32 {
        let pos = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        self.0.push(Member { handle, h32 });
        pos
    }

    pub fn iter(&self) -> impl Iterator<Item = Member> + '_ {
        self.0.iter().copied()
    }

    pub fn handles(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().map(|m| m.handle)
    }

    /// The index hash of `handle`, if it is the member at `pos`.
    pub fn hash_of(&self, pos: usize, handle: u32) -> Option<u32> {
        self.0
            .get(pos)
            .filter(|m| m.handle == handle)
            .map(|m| m.h32)
    }

    /// Removes the member at `pos`, moving the last one there; returns
    /// the handle moved, whose position is now `pos`.
    pub fn swap_remove(&mut self, pos: usize) -> Option<u32> {
        if pos >= self.0.len() {
            return None;
        }
        self.0.swap_remove(pos);
        self.0.get(pos).map(|m| m.handle)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_hashes_through_removals() {
        let mut m = Members::default();
        for h in 0..5u32 {
            assert_eq!(m.push(h, h * 100), h);
        }
        // The last member moves into the hole, with its hash.
        assert_eq!(m.swap_remove(1), Some(4));
        assert_eq!(m.hash_of(1, 4), Some(400));
        assert_eq!(m.hash_of(1, 1), None, "the removed one is gone");
        assert_eq!(m.swap_remove(3), None, "the last one: nothing moves");
        assert_eq!(m.swap_remove(7), None);
        assert_eq!(m.handles().collect::<Vec<_>>(), [0, 4, 2]);
        assert_eq!(m.iter().map(|m| m.h32).collect::<Vec<_>>(), [0, 400, 200]);
        assert_eq!(m.len(), 3);
        assert!(!m.is_empty());
    }
}

//! Values kept apart on cache lines of their own.

use std::ops::Deref;

/// A value alone on its cache lines, so that one thread writing it does
/// not take away from another thread's cache what that thread reads
/// nearby (false sharing). 128 bytes: CPUs fetch lines in adjacent pairs.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CacheLine<T>(pub T);

impl<T> Deref for CacheLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_never_share_a_line() {
        let pair = [CacheLine(1u8), CacheLine(2u8)];
        let (a, b) = (&pair[0] as *const _ as usize, &pair[1] as *const _ as usize);
        assert_eq!(b - a, 128);
        assert_eq!(a % 128, 0);
        assert_eq!(*pair[1], 2);
    }
}

//! Cache prefetch hints, so that a batch can start the memory accesses of
//! its later packets while it works on the earlier ones.

/// Asks the CPU to bring the cache line at `addr` closer. The address may
/// be stale or invalid: a prefetch never faults and reads nothing the
/// program can see.
#[inline(always)]
pub(crate) fn prefetch(addr: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only requires the `sse` target feature, which
    // every x86_64 CPU has; the instruction is a hint that never faults and
    // has no effect visible to the program, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(addr as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetching_any_address_is_harmless() {
        let data = [1u8; 64];
        prefetch(data.as_ptr() as usize);
        prefetch(0);
        prefetch(usize::MAX);
        assert_eq!(data[0], 1);
    }
}

//! A byte-capacity scratchpad with least-recently-used replacement, keyed by tile.

/// Holds whole tiles up to `capacity_bytes` (and at most `max_tiles` of them). A tile larger
/// than the capacity streams through the buffer: it overwrites everything and is not kept.
#[derive(Debug, Clone)]
pub struct LruBuffer<K> {
    capacity_bytes: u64,
    max_tiles: usize,
    used_bytes: u64,
    /// Most recently used last.
    tiles: Vec<(K, u64)>,
}

impl<K: PartialEq> LruBuffer<K> {
    /// An empty buffer.
    pub fn new(capacity_bytes: u64) -> Self {
        Self::with_max_tiles(capacity_bytes, usize::MAX)
    }

    /// An empty buffer that keeps at most `max_tiles` tiles (1: only the current one).
    pub fn with_max_tiles(capacity_bytes: u64, max_tiles: usize) -> Self {
        LruBuffer {
            capacity_bytes,
            max_tiles,
            used_bytes: 0,
            tiles: Vec::new(),
        }
    }

    /// Touches `key` of `bytes`; returns the bytes that had to be fetched (0 on a hit).
    pub fn access(&mut self, key: K, bytes: u64) -> u64 {
        if let Some(pos) = self.tiles.iter().position(|(k, _)| *k == key) {
            let hit = self.tiles.remove(pos);
            self.tiles.push(hit);
            return 0;
        }
        if bytes > self.capacity_bytes {
            self.tiles.clear();
            self.used_bytes = 0;
        } else {
            while self.used_bytes + bytes > self.capacity_bytes
                || self.tiles.len() >= self.max_tiles
            {
                let (_, b) = self.tiles.remove(0);
                self.used_bytes -= b;
            }
            self.tiles.push((key, bytes));
            self.used_bytes += bytes;
        }
        bytes
    }

    /// Whether `key` is held.
    pub fn contains(&self, key: &K) -> bool {
        self.tiles.iter().any(|(k, _)| k == key)
    }

    /// Drops `key` if held.
    pub fn remove(&mut self, key: &K) {
        if let Some(pos) = self.tiles.iter().position(|(k, _)| k == key) {
            let (_, b) = self.tiles.remove(pos);
            self.used_bytes -= b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclic_scan_larger_than_capacity_always_misses() {
        // Three 4-byte tiles through a 10-byte buffer, twice: every access misses.
        let mut b = LruBuffer::new(10);
        let fetched: u64 = (0..2).flat_map(|_| 0..3).map(|t| b.access(t, 4)).sum();
        assert_eq!(fetched, 24);
    }

    #[test]
    fn working_set_that_fits_is_fetched_once() {
        let mut b = LruBuffer::new(12);
        let fetched: u64 = (0..3).flat_map(|_| 0..3).map(|t| b.access(t, 4)).sum();
        assert_eq!(fetched, 12);
        assert!(b.contains(&2));
    }

    #[test]
    fn single_tile_buffer_keeps_only_the_current_tile() {
        let mut b = LruBuffer::with_max_tiles(100, 1);
        assert_eq!(b.access(1, 4), 4);
        assert_eq!(b.access(1, 4), 0);
        assert_eq!(b.access(2, 4), 4);
        assert!(!b.contains(&1));
    }

    #[test]
    fn oversized_tile_streams_through_and_evicts_everything() {
        let mut b = LruBuffer::new(3);
        assert_eq!(b.access(0, 2), 2);
        assert_eq!(b.access(1, 4), 4);
        assert_eq!(b.access(1, 4), 4);
        assert!(!b.contains(&1));
        assert!(!b.contains(&0));
    }
}

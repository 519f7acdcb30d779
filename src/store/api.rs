//! The side table of API and MINI App records: what [`ApiMeta`] says, laid
//! out by how often each part is there. Every entry keeps its token (a reply
//! or notification token hash, 0 when none) and where its users start, 12
//! bytes; a run of users starts with its length; the rare retry keys sit in a
//! list of their own. A reply costs 12 bytes and a push to one user 20,
//! where a whole `ApiMeta` an entry took 24 (22 MB on the 330-hour bench
//! set).

use super::chunked::ChunkVec;
use crate::model::{ApiMeta, NONE, Sym};

/// The bit of [`ApiTable::users`] that says the entry has a retry key.
const KEYED: u32 = 1 << 31;

#[derive(Debug, Default)]
pub struct ApiTable {
    tokens: ChunkVec<u64>,
    /// Per entry: where its run in `runs` starts (its length first), `NONE &
    /// !KEYED` when it named no users; [`KEYED`] set when it has a retry key.
    users: ChunkVec<u32>,
    /// (entry, retry key as two words), in entry order.
    keys: ChunkVec<(u32, [u32; 2])>,
    /// Runs of users: a length, then the users' symbols.
    runs: ChunkVec<Sym>,
}

const NO_USERS: u32 = NONE & !KEYED;

impl ApiTable {
    /// Add an entry naming `users`; returns its index.
    pub fn push(&mut self, meta: &ApiMeta, users: &[Sym]) -> u32 {
        let at = match u32::try_from(users.len()) {
            Ok(0) | Err(_) => NO_USERS,
            Ok(n) => {
                let mut run = Vec::with_capacity(users.len() + 1);
                run.push(n);
                run.extend_from_slice(users);
                // Past 2^31 symbols of runs an entry's users are not kept.
                Some(self.runs.push_run(&run)).filter(|&s| s < NO_USERS).unwrap_or(NO_USERS)
            }
        };
        let i = self.tokens.push(meta.token);
        let keyed = if meta.retry_key != 0 { KEYED } else { 0 };
        self.users.push(at | keyed);
        if meta.retry_key != 0 {
            self.keys.push((i, [meta.retry_key as u32, (meta.retry_key >> 32) as u32]));
        }
        i
    }

    pub fn get(&self, i: u32) -> Option<ApiMeta> {
        let token = *self.tokens.get(i)?;
        let users = *self.users.get(i)?;
        let (users_start, users_len) = self.users_run(users);
        Some(ApiMeta { retry_key: self.key_in(i, users), token, users_start, users_len })
    }

    /// Entry `i`'s retry key, from its `users` word (0: none).
    fn key_in(&self, i: u32, users: u32) -> u64 {
        if users & KEYED != 0 { self.key_of(i) } else { 0 }
    }

    /// Where an entry's users are in `runs` (start, length), from its
    /// `users` word.
    fn users_run(&self, users: u32) -> (u32, u32) {
        match users & !KEYED {
            NO_USERS => (0, 0),
            at => (at + 1, self.runs.get(at).copied().unwrap_or(0)),
        }
    }

    /// An entry's token alone (the sweeps over the requests that want only
    /// it read no more of the entry).
    pub fn token(&self, i: u32) -> Option<u64> {
        self.tokens.get(i).copied()
    }

    /// An entry's retry key alone (0: none).
    pub fn retry_key(&self, i: u32) -> Option<u64> {
        Some(self.key_in(i, *self.users.get(i)?))
    }

    /// An entry's users alone.
    pub fn users_of(&self, i: u32) -> &[Sym] {
        self.users.get(i).map_or(&[], |&u| {
            let (start, len) = self.users_run(u);
            self.runs.slice(start, len)
        })
    }

    /// The users of an entry as [`ApiTable::get`] gave it.
    pub fn users(&self, meta: &ApiMeta) -> &[Sym] {
        self.runs.slice(meta.users_start, meta.users_len)
    }

    fn key_of(&self, i: u32) -> u64 {
        match self.keys.get(self.keys.partition_point(|&(e, _)| e < i)) {
            Some(&(e, [a, b])) if e == i => u64::from(a) | (u64::from(b) << 32),
            _ => 0,
        }
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Heap bytes of the entries and of the users' runs.
    pub fn heap_bytes(&self) -> (usize, usize) {
        (self.tokens.heap_bytes() + self.users.heap_bytes() + self.keys.heap_bytes(), self.runs.heap_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_whole() {
        let mut t = ApiTable::default();
        let cases = [
            (ApiMeta { token: 7, ..ApiMeta::default() }, vec![]),
            (ApiMeta { retry_key: u64::MAX - 3, ..ApiMeta::default() }, vec![5, 6, 7]),
            (ApiMeta::default(), vec![9]),
            (ApiMeta { retry_key: 1 << 40, token: 1, ..ApiMeta::default() }, vec![]),
        ];
        let mut got = Vec::new();
        for _ in 0..40_000 {
            for (m, users) in &cases {
                got.push((t.push(m, users), m, users));
            }
        }
        for (i, m, users) in got {
            let back = t.get(i).unwrap();
            assert_eq!((back.retry_key, back.token), (m.retry_key, m.token), "{i}");
            assert_eq!(t.users(&back), users.as_slice(), "{i}");
            assert_eq!(
                (t.token(i), t.retry_key(i), t.users_of(i)),
                (Some(m.token), Some(m.retry_key), users.as_slice())
            );
        }
        assert_eq!(t.len(), 160_000);
        assert!(t.get(160_000).is_none());
    }
}

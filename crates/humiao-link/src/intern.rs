//! String interning: names, pinyin and address parts become small integers, so that comparing
//! two records is mostly integer equality and term frequencies are array lookups.

use rustc_hash::FxHashMap;

/// Id of an interned string; `Sym::NONE` is "absent".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

impl Sym {
    pub const NONE: Sym = Sym(0);

    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    pub fn is_some(self) -> bool {
        self.0 != 0
    }
}

/// Append-only string table.
#[derive(Debug, Clone)]
pub struct Interner {
    strings: Vec<Box<str>>,
    ids: FxHashMap<Box<str>, u32>,
}

impl Default for Interner {
    fn default() -> Self {
        Self {
            strings: vec!["".into()],
            ids: FxHashMap::default(),
        }
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if s.is_empty() {
            return Sym::NONE;
        }
        if let Some(&id) = self.ids.get(s) {
            return Sym(id);
        }
        let id = u32::try_from(self.strings.len()).expect("fewer than 4 billion distinct strings");
        let boxed: Box<str> = s.into();
        self.strings.push(boxed.clone());
        self.ids.insert(boxed, id);
        Sym(id)
    }

    pub fn intern_opt(&mut self, s: Option<&str>) -> Sym {
        s.map_or(Sym::NONE, |s| self.intern(s))
    }

    /// Looks a string up without adding it.
    pub fn get(&self, s: &str) -> Sym {
        self.ids.get(s).map_or(Sym::NONE, |&id| Sym(id))
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.len() <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable_and_empty_is_none() {
        let mut i = Interner::default();
        let a = i.intern("张伟");
        let b = i.intern("王芳");
        assert_eq!(i.intern("张伟"), a);
        assert_ne!(a, b);
        assert_eq!(i.resolve(b), "王芳");
        assert_eq!(i.intern(""), Sym::NONE);
        assert_eq!(i.get("李娜"), Sym::NONE);
        assert_eq!(i.get("王芳"), b);
    }
}

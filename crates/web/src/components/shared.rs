//! [`Shared`]: large data handed to components, compared by identity.

use std::ops::Deref;
use std::rc::Rc;

/// An `Rc` whose equality is identity ([`Rc::ptr_eq`]): props holding one compare in
/// constant time, never element by element. Whoever builds the data (a `use_memo`, a
/// reducer, a worker's reply) builds it once; a new value is a new `Rc`.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Shared<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(Rc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<Rc<T>> for Shared<T> {
    fn from(rc: Rc<T>) -> Self {
        Self(rc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_identity() {
        let a = Shared::new(vec![1.0_f32; 3]);
        assert_eq!(a, a.clone());
        assert_ne!(
            a,
            Shared::new(vec![1.0_f32; 3]),
            "equal contents, another value"
        );
    }
}

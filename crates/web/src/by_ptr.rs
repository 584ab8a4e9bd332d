//! Identity, not content: an `Rc` compared by pointer, for props and hook dependencies
//! that hold large values (a map's thousands of floats, a gallery, a model's weights).
//!
//! `Rc<T>`'s own `==` compares the values — every element, on every render, even for the
//! same `Rc` when `T` is not `Eq` (floats). A value built once (in state or a `use_memo`)
//! and shared keeps its pointer, so "the same pointer" is "nothing changed"; a value that
//! changes is a new `Rc`.

use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

/// An `Rc` whose `==` is [`Rc::ptr_eq`].
pub struct ByPtr<T: ?Sized>(pub Rc<T>);

impl<T: ?Sized> ByPtr<T> {
    /// Wraps a clone of `rc`.
    pub fn of(rc: &Rc<T>) -> Self {
        Self(Rc::clone(rc))
    }
}

impl<T: ?Sized> Clone for ByPtr<T> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<T: ?Sized> PartialEq for ByPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: ?Sized> Deref for ByPtr<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> fmt::Debug for ByPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ByPtr({:p})", Rc::as_ptr(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_in_two_rcs_differ_the_same_rc_is_equal() {
        let a = Rc::new(vec![1.0_f32, 2.0]);
        let b = Rc::new(vec![1.0_f32, 2.0]);
        assert_eq!(ByPtr::of(&a), ByPtr::of(&a));
        assert_ne!(ByPtr::of(&a), ByPtr::of(&b));
        assert_eq!(Some(ByPtr::of(&a)), Some(ByPtr::of(&a)));
        assert_ne!(Some(ByPtr::of(&a)), Some(ByPtr(b)));
        assert_eq!(None::<ByPtr<Vec<f32>>>, None);
    }
}

//! The labs' built-in images: the lecture's 5×5 binary image and an 8×8 RGB pattern. A leaf:
//! it imports nothing from the labs.

use ndarray::Array4;

/// The lecture's 5×5 binary image.
pub const LECTURE_IMAGE: [[f32; 5]; 5] = [
    [1.0, 1.0, 1.0, 0.0, 0.0],
    [0.0, 1.0, 1.0, 1.0, 0.0],
    [0.0, 0.0, 1.0, 1.0, 1.0],
    [0.0, 0.0, 1.0, 1.0, 0.0],
    [0.0, 1.0, 1.0, 0.0, 0.0],
];

/// The built-in 8×8 RGB pattern: red left half, a green diagonal, a blue square outline.
pub fn rgb_pattern() -> Array4<f32> {
    Array4::from_shape_fn((1, 3, 8, 8), |(_, c, y, x)| {
        let on = match c {
            0 => x < 4,
            1 => x == y || x + 1 == y,
            _ => {
                (2..6).contains(&y) && (x == 2 || x == 5)
                    || (y == 2 || y == 5) && (2..6).contains(&x)
            }
        };
        if on { 1.0 } else { 0.0 }
    })
}

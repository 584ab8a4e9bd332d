//! Square kernels and the named presets (blur, Sobel, the lecture's …). A leaf: it imports
//! nothing from the labs.

/// The largest editable kernel.
pub const MAX_KERNEL: usize = 11;

/// A square kernel, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    /// F.
    pub size: usize,
    /// F·F weights, row by row.
    pub values: Vec<f32>,
}

impl Kernel {
    /// A kernel from rows.
    pub fn from_rows<const N: usize>(rows: [[f32; N]; N]) -> Self {
        Self {
            size: N,
            values: rows.iter().flatten().copied().collect(),
        }
    }

    /// The same kernel resized to `size`, centred (cropped or padded with zeros).
    pub fn resized(&self, size: usize) -> Self {
        let size = size.clamp(1, MAX_KERNEL);
        let mut values = vec![0.0; size * size];
        // Offset of the old kernel inside the new one (may be negative: cropping).
        let off = (size as isize - self.size as isize).div_euclid(2);
        for y in 0..self.size {
            for x in 0..self.size {
                let (ny, nx) = (y as isize + off, x as isize + off);
                if (0..size as isize).contains(&ny) && (0..size as isize).contains(&nx) {
                    values[ny as usize * size + nx as usize] = self.values[y * self.size + x];
                }
            }
        }
        Self { size, values }
    }

    /// The kernel turned `quarter_turns` × 90° clockwise.
    pub fn rotated(&self, quarter_turns: usize) -> Self {
        let n = self.size;
        let mut k = self.clone();
        for _ in 0..quarter_turns % 4 {
            let mut v = vec![0.0; n * n];
            for y in 0..n {
                for x in 0..n {
                    v[x * n + (n - 1 - y)] = k.values[y * n + x];
                }
            }
            k.values = v;
        }
        k
    }
}

/// Named kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The lecture's `[[1,0,1],[0,1,0],[1,0,1]]`.
    Lecture,
    /// Identity.
    Identity,
    /// Box blur (all ones / 9).
    BoxBlur,
    /// Gaussian blur (binomial / 16).
    Gaussian,
    /// Sharpen.
    Sharpen,
    /// Sobel, horizontal gradient.
    SobelX,
    /// Sobel, vertical gradient.
    SobelY,
    /// Laplacian.
    Laplacian,
    /// Emboss.
    Emboss,
}

impl Preset {
    /// Every preset, in menu order.
    pub const ALL: [Preset; 9] = [
        Preset::Lecture,
        Preset::Identity,
        Preset::BoxBlur,
        Preset::Gaussian,
        Preset::Sharpen,
        Preset::SobelX,
        Preset::SobelY,
        Preset::Laplacian,
        Preset::Emboss,
    ];

    /// Short key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Lecture => "lecture",
            Self::Identity => "identity",
            Self::BoxBlur => "box",
            Self::Gaussian => "gauss",
            Self::Sharpen => "sharpen",
            Self::SobelX => "sobelx",
            Self::SobelY => "sobely",
            Self::Laplacian => "laplace",
            Self::Emboss => "emboss",
        }
    }

    /// Parses [`Preset::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lecture => "Lecture [[1,0,1],[0,1,0],[1,0,1]]",
            Self::Identity => "Identity",
            Self::BoxBlur => "Box blur (1/9)",
            Self::Gaussian => "Gaussian blur (1/16)",
            Self::Sharpen => "Sharpen",
            Self::SobelX => "Sobel x",
            Self::SobelY => "Sobel y",
            Self::Laplacian => "Laplacian",
            Self::Emboss => "Emboss",
        }
    }

    /// The 3×3 kernel.
    pub fn kernel(self) -> Kernel {
        let n = 1.0 / 9.0;
        let g = 1.0 / 16.0;
        Kernel::from_rows(match self {
            Self::Lecture => [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]],
            Self::Identity => [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
            Self::BoxBlur => [[n; 3]; 3],
            Self::Gaussian => [
                [g, 2.0 * g, g],
                [2.0 * g, 4.0 * g, 2.0 * g],
                [g, 2.0 * g, g],
            ],
            Self::Sharpen => [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
            Self::SobelX => [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
            Self::SobelY => [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
            Self::Laplacian => [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]],
            Self::Emboss => [[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_resize_and_rotate_around_their_centre() {
        let k = Preset::SobelX.kernel();
        assert_eq!(k.resized(5).resized(3), k);
        assert_eq!(k.rotated(1), Preset::SobelY.kernel());
        assert_eq!(k.rotated(4), k);
    }
}

//! `eval --images DIR`: a folder of labelled image files scored through the upload path,
//! on a few images drawn here (never the outside data `bench/outside_digits.py` writes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use crate::common::{convscope, text};

/// A fresh temporary directory.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("convscope-images-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A 48×48 PNG, dark ink on white: `ink(x, y)` says where.
fn png(path: &Path, ink: impl Fn(u32, u32) -> bool) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::GrayImage::from_fn(48, 48, |x, y| {
        image::Luma([if ink(x, y) { 0 } else { 255 }])
    })
    .save(path)
    .unwrap();
}

/// A "1": one vertical bar, `dx` pixels right of the middle.
fn one(dx: u32) -> impl Fn(u32, u32) -> bool {
    move |x, y| (22 + dx..26 + dx).contains(&x) && (8..40).contains(&y)
}

/// A "0": a ring, its outer radius `r`.
fn zero(r: f32) -> impl Fn(u32, u32) -> bool {
    move |x, y| {
        let (dx, dy) = (x as f32 - 23.5, (y as f32 - 23.5) * 0.75);
        let d = (dx * dx + dy * dy).sqrt();
        d <= r && d >= r - 4.0
    }
}

/// The confusion matrix rows (class, counts) of `eval`'s output.
fn rows(out: &str) -> Vec<(usize, Vec<usize>)> {
    out.lines()
        .filter(|l| l.trim_end().ends_with('%') && !l.contains("accuracy"))
        .map(|l| {
            let mut f = l.split_whitespace();
            let class = f.next().unwrap().parse().unwrap();
            // After the class's name, if it has one (Fashion-MNIST's "1 Trouser").
            let counts: Vec<usize> = f.filter_map(|v| v.parse().ok()).take(10).collect();
            (class, counts)
        })
        .collect()
}

#[test]
fn a_folder_of_labelled_images_is_scored_like_uploads() {
    let dir = temp("ok");
    let set = dir.join("set");
    for (i, dx) in [0, 3, 6].into_iter().enumerate() {
        png(&set.join(format!("1/{i}.png")), one(dx));
    }
    for (i, r) in [14.0, 18.0].into_iter().enumerate() {
        png(&set.join(format!("0/{i}.png")), zero(r));
    }
    // Skipped: hidden files and other endings; read: upper-case endings, JPEG.
    std::fs::write(set.join("1/notes.txt"), "not an image").unwrap();
    std::fs::write(set.join("1/.hidden.png"), "not an image either").unwrap();
    image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(48, 48, |x, y| {
        image::Luma([if one(2)(x, y) { 0 } else { 255 }])
    }))
    .save(set.join("1/jpeg.JPG"))
    .unwrap();

    let o = convscope(&["eval", "--model", "mnist", "--images", "set"], &dir);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("set: accuracy "), "{out}");
    assert!(first.contains(" / 6 images), mean loss "), "{out}");
    let rows = rows(&out);
    assert_eq!(rows.len(), 10, "{out}");
    let total = |c: usize| rows[c].1.iter().sum::<usize>();
    assert_eq!((total(0), total(1)), (2, 4), "{out}");
    assert!((2..10).all(|c| total(c) == 0), "{out}");
    // The shipped LeNet-5 reads these plain strokes right (as `classify` does).
    assert_eq!((rows[0].1[0], rows[1].1[1]), (2, 4), "{out}");
    assert!(
        first.starts_with("set: accuracy 100.00% (6 / 6 images)"),
        "{out}"
    );

    // Every image as `classify` prepares it: the same top class for each file.
    for (file, class) in [("set/0/1.png", "0"), ("set/1/2.png", "1")] {
        let c = convscope(&["classify", "--model", "mnist", file], &dir);
        let (cout, cerr) = text(&c);
        assert!(c.status.success(), "{cerr}");
        assert!(cout.starts_with(&format!("{file}: {class} ")), "{cout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn class_folders_may_be_named_by_class_name() {
    let dir = temp("names");
    // Fashion-MNIST's class 1 is "Trouser": a bar is close enough to be scored at all.
    png(&dir.join("set/Trouser/a.png"), one(0));
    png(&dir.join("set/8/b.png"), zero(16.0));
    let o = convscope(&["eval", "--model", "fashion", "--images", "set"], &dir);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains(" / 2 images)"), "{out}");
    let rows = rows(&out);
    assert_eq!(rows[1].1.iter().sum::<usize>(), 1, "{out}");
    assert_eq!(rows[8].1.iter().sum::<usize>(), 1, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_folder_or_file_is_named() {
    let dir = temp("bad");
    let eval = |set: &str| {
        let o = convscope(&["eval", "--model", "mnist", "--images", set], &dir);
        let (out, err) = text(&o);
        (o.status.code(), out, err)
    };
    // A loose file beside the class folders.
    png(&dir.join("loose/1/a.png"), one(0));
    std::fs::write(dir.join("loose/readme.txt"), "hi").unwrap();
    let (code, _, err) = eval("loose");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("readme.txt: --images DIR holds one folder per class"),
        "{err}"
    );
    // A folder that names no class.
    png(&dir.join("unknown/eleven/a.png"), one(0));
    let (code, _, err) = eval("unknown");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("eleven: the folder names no class of the model"),
        "{err}"
    );
    png(&dir.join("ten/10/a.png"), one(0));
    let (code, _, err) = eval("ten");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("the folder names no class"), "{err}");
    // No images at all; a missing folder.
    std::fs::create_dir_all(dir.join("empty/3")).unwrap();
    let (code, _, err) = eval("empty");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("holds no image files"), "{err}");
    let (code, _, err) = eval("missing");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot read missing"), "{err}");
    // A corrupt and a blank file: named, left out of the figures, and the command fails
    // after printing the rest.
    png(&dir.join("mixed/1/good.png"), one(0));
    png(&dir.join("mixed/1/blank.png"), |_, _| false);
    std::fs::create_dir_all(dir.join("mixed/7")).unwrap();
    std::fs::write(dir.join("mixed/7/corrupt.png"), b"\x89PNG\r\n\x1a\nbroken").unwrap();
    let (code, out, err) = eval("mixed");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        out.starts_with("mixed: accuracy 100.00% (1 / 1 images)"),
        "{out}"
    );
    assert!(err.contains("blank.png: the image is blank"), "{err}");
    assert!(err.contains("corrupt.png: "), "{err}");
    assert!(
        err.contains("2 of 3 image files could not be prepared and are not counted"),
        "{err}"
    );
    // Nothing could be prepared.
    png(&dir.join("blank/1/blank.png"), |_, _| false);
    let (code, out, err) = eval("blank");
    assert_eq!(code, Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("none of the 1 image files could be prepared"),
        "{err}"
    );
    // --robust and --data do not go with --images.
    let o = convscope(
        &["eval", "--model", "mnist", "--images", "mixed", "--robust"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

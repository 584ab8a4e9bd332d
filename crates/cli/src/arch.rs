//! `convscope arch`: a network's layer table, as text aligned like the lecture's or as JSON.

use std::fmt::Write as _;

use convscope_core::arch::{LayerReport, NetworkReport, zoo};
use convscope_core::format::thousands;

/// One row of the text table before alignment.
struct Row {
    label: String,
    params: String,
    macs: String,
    rf: String,
    jump: String,
}

fn rows(layers: &[LayerReport], depth: usize, out: &mut Vec<Row>) {
    for l in layers {
        out.push(Row {
            label: format!("{}{}", "    ".repeat(depth), l.lecture_line()),
            params: thousands(l.params),
            macs: thousands(l.macs),
            rf: l.receptive_field.size.to_string(),
            jump: l.receptive_field.jump.to_string(),
        });
        if !l.main.is_empty() || !l.shortcut.is_empty() {
            rows(&l.main, depth + 1, out);
            if !l.shortcut.is_empty() {
                out.push(Row {
                    label: format!("{}shortcut:", "    ".repeat(depth + 1)),
                    params: String::new(),
                    macs: String::new(),
                    rf: String::new(),
                    jump: String::new(),
                });
                rows(&l.shortcut, depth + 2, out);
            }
        }
    }
}

/// The text table: a title line, the lecture-style layer lines with parameter, MAC and
/// receptive-field columns, and a totals line.
pub fn table(report: &NetworkReport) -> String {
    let mut body = vec![Row {
        label: format!("[{}] INPUT", report.input),
        params: String::new(),
        macs: String::new(),
        rf: "1".to_owned(),
        jump: "1".to_owned(),
    }];
    rows(&report.layers, 0, &mut body);
    let t = &report.totals;
    let header = Row {
        label: "layer".to_owned(),
        params: "params".to_owned(),
        macs: "MACs".to_owned(),
        rf: "RF".to_owned(),
        jump: "jump".to_owned(),
    };
    let total = Row {
        label: format!("TOTAL ({} output)", t.output),
        params: thousands(t.params),
        macs: thousands(t.macs),
        rf: t.receptive_field.size.to_string(),
        jump: t.receptive_field.jump.to_string(),
    };
    let all = || {
        std::iter::once(&header)
            .chain(&body)
            .chain(std::iter::once(&total))
    };
    let width = |f: fn(&Row) -> &String| all().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (wl, wp, wm, wr, wj) = (
        width(|r| &r.label),
        width(|r| &r.params),
        width(|r| &r.macs),
        width(|r| &r.rf),
        width(|r| &r.jump),
    );
    let line = |r: &Row| {
        let pad = wl - r.label.chars().count();
        format!(
            "{}{}  {:>wp$}  {:>wm$}  {:>wr$}  {:>wj$}",
            r.label,
            " ".repeat(pad),
            r.params,
            r.macs,
            r.rf,
            r.jump
        )
        .trim_end()
        .to_owned()
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {}, input {}",
        report.title, report.name, report.input
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", line(&header));
    for r in &body {
        let _ = writeln!(out, "{}", line(r));
    }
    let _ = writeln!(out, "{}", line(&total));
    let _ = writeln!(
        out,
        "\nparams: learnable weights and biases (batch norm: γ and β). MACs: multiply-accumulates of\nconv and linear layers. RF: receptive field in input pixels; jump: product of the strides."
    );
    out
}

/// `--list`: every network with its input, parameters and MACs.
pub fn list() -> String {
    let mut out = String::new();
    for arch in zoo::all() {
        let counts = arch.evaluate().map_or_else(
            |e| format!("error: {e}"),
            |r| {
                format!(
                    "{:>12} params  {:>15} MACs",
                    thousands(r.totals.params),
                    thousands(r.totals.macs)
                )
            },
        );
        let _ = writeln!(
            out,
            "{:<16} {:<10} {counts}  {}",
            arch.name,
            arch.input.to_string(),
            arch.title
        );
    }
    out
}

//! The confusion matrix of the last epoch's test images, with each class's recall.

use yew::prelude::*;

/// Props of [`Confusion`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct ConfusionProps {
    /// `matrix[true][predicted]`.
    pub matrix: Vec<Vec<usize>>,
    /// Class names.
    pub classes: Vec<String>,
    /// After which epoch.
    pub epoch: u32,
}

/// Recall of each class: right answers over the class's images (`None` without images).
pub fn recalls(matrix: &[Vec<usize>]) -> Vec<Option<f64>> {
    matrix
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let total: usize = row.iter().sum();
            (total > 0).then(|| row.get(i).copied().unwrap_or(0) as f64 / total as f64)
        })
        .collect()
}

/// The matrix as a table, cells shaded by their share of the row.
#[component]
pub fn Confusion(props: &ConfusionProps) -> Html {
    let name = |i: usize| {
        props
            .classes
            .get(i)
            .cloned()
            .unwrap_or_else(|| i.to_string())
    };
    let recalls = recalls(&props.matrix);
    let head = (0..props.matrix.len()).map(|j| html! { <th scope="col">{ name(j) }</th> });
    let rows = props.matrix.iter().enumerate().map(|(i, row)| {
        let total: usize = row.iter().sum::<usize>().max(1);
        let cells = row.iter().enumerate().map(|(j, &n)| {
            let share = n as f64 / total as f64;
            let style = if i == j {
                format!("background: rgba(42, 157, 143, {:.2})", share)
            } else {
                format!("background: rgba(230, 57, 70, {:.2})", (share * 3.0).min(1.0))
            };
            html! { <td {style} title={format!("{} taken for {}: {n}", name(i), name(j))}>{ n }</td> }
        });
        let recall = recalls[i].map_or_else(|| "—".to_owned(), |r| format!("{:.1} %", r * 100.0));
        html! {
            <tr>
                <th scope="row">{ name(i) }</th>
                { for cells }
                <td class="recall" data-testid={format!("recall-{i}")}>{ recall }</td>
            </tr>
        }
    });
    html! {
        <div class="confusion-wrap">
            <table class="confusion" data-testid="confusion">
                <caption>{ format!("Test images after epoch {}: rows are the true class, columns what the network said.", props.epoch) }</caption>
                <thead><tr><th scope="col">{"true \\ said"}</th>{ for head }<th scope="col">{"recall"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_is_the_diagonal_over_the_row() {
        let m = vec![vec![3, 1], vec![0, 0]];
        assert_eq!(recalls(&m), vec![Some(0.75), None]);
    }
}

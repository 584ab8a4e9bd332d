//! The web worker's task: core computations run off the UI thread.
//!
//! The page sends a [`CoreRequest`]; the worker answers with a [`CoreReply`] computed by
//! `convscope-core`. Heavy work (inference, training) joins this protocol as it arrives.

use serde::{Deserialize, Serialize};
use yew_agent::prelude::oneshot;

/// What the page asks the worker to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CoreRequest {
    /// Output size along one axis of a convolution.
    OutputSize {
        input: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
    },
}

/// The worker's answer: the result, or the core's error message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CoreReply {
    /// An output size.
    OutputSize(Result<usize, String>),
}

/// Answers one request.
pub fn answer(request: CoreRequest) -> CoreReply {
    match request {
        CoreRequest::OutputSize {
            input,
            kernel,
            stride,
            padding,
            dilation,
        } => CoreReply::OutputSize(
            convscope_core::conv_output_size(input, kernel, stride, padding, dilation)
                .map_err(|e| e.to_string()),
        ),
    }
}

/// The oneshot agent the worker registers: one request in, one reply out.
#[oneshot]
pub async fn CoreTask(request: CoreRequest) -> CoreReply {
    answer(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_answers_alexnet_conv1() {
        let reply = answer(CoreRequest::OutputSize {
            input: 227,
            kernel: 11,
            stride: 4,
            padding: 0,
            dilation: 1,
        });
        assert_eq!(reply, CoreReply::OutputSize(Ok(55)));
    }

    #[test]
    fn worker_reports_errors_as_text() {
        let reply = answer(CoreRequest::OutputSize {
            input: 5,
            kernel: 3,
            stride: 0,
            padding: 0,
            dilation: 1,
        });
        assert!(matches!(reply, CoreReply::OutputSize(Err(msg)) if msg.contains("stride")));
    }
}

//! Rendering entry point. Checks the spec, lays the label out once in millimetres
//! ([`layout`]), then hands the same element list to the PDF or ZPL writer, so the two
//! formats cannot drift apart in content.

mod code128;
mod layout;
mod pdf;
mod text;
mod zpl;

use shiphub_carriers::model::LabelFormat;

use crate::LabelSpec;

/// Why a label could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The hub should ask for PDF or ZPL instead, or rasterize the PDF itself.
    #[error("label format {0:?} is not supported (supported: Pdf, Zpl)")]
    UnsupportedFormat(LabelFormat),
    /// The spec contradicts itself (piece 3 of 2).
    #[error("invalid label spec: {field}: {message}")]
    InvalidSpec {
        /// The `LabelSpec` field at fault.
        field: &'static str,
        /// What is wrong, for a human.
        message: String,
    },
    /// The PDF writer failed; a bug here, not bad input.
    #[error("PDF serialization failed")]
    Pdf(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Renders one 4×6 in label. PDF and ZPL II (203 dpi) are supported; PNG answers
/// [`LabelError::UnsupportedFormat`].
pub fn render(spec: &LabelSpec, format: LabelFormat) -> Result<Vec<u8>, LabelError> {
    match format {
        LabelFormat::Pdf => pdf::write(spec, &layout::layout(spec)?),
        LabelFormat::Zpl => Ok(zpl::write(&layout::layout(spec)?).into_bytes()),
        // Rasterizing needs a font renderer this crate does not carry yet.
        LabelFormat::Png => Err(LabelError::UnsupportedFormat(format)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::sample;

    #[test]
    fn png_is_an_explicit_unsupported_format() {
        let err = render(&sample(), LabelFormat::Png).unwrap_err();
        assert!(matches!(
            err,
            LabelError::UnsupportedFormat(LabelFormat::Png)
        ));
        assert!(err.to_string().contains("Png"), "{err}");
    }

    #[test]
    fn piece_number_outside_the_count_is_rejected_in_both_formats() {
        for (number, count) in [(0, 1), (3, 2), (1, 0)] {
            let spec = LabelSpec {
                piece_number: number,
                piece_count: count,
                ..sample()
            };
            for format in [LabelFormat::Pdf, LabelFormat::Zpl] {
                let err = render(&spec, format).unwrap_err();
                assert!(
                    matches!(
                        err,
                        LabelError::InvalidSpec {
                            field: "piece_number",
                            ..
                        }
                    ),
                    "{number} of {count}: {err}"
                );
            }
        }
    }
}
